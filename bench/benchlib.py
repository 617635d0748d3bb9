"""What the benchmarks share: running a setup command, reading `python -X importtime`, and
timing commands alternately with each one's peak memory (`Timed`, `alternate`)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

# Prepended to the in-process phase scripts: `timer(owner, name, label)` wraps a function so
# that the time spent in it (from any thread) adds up under `label` in `spent`.
PHASE_TIMER = """
import threading, time
spent, _lock = {}, threading.Lock()
def timer(owner, name, label):
    inner = getattr(owner, name)
    def wrapper(*a, **k):
        t0 = time.perf_counter()
        try:
            return inner(*a, **k)
        finally:
            with _lock:
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - t0
    setattr(owner, name, wrapper)
"""
_IMPORT = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def sh(cwd: Path, *cmd: str, env: Mapping[str, str]) -> str:
    """A setup command's output; a failure ends the benchmark with what it printed."""
    proc = subprocess.run(cmd, cwd=cwd, env=dict(env), capture_output=True, text=True,
                          check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}"
                         f"{proc.stderr}")
    return proc.stdout


def reusable(repo: Path, name: str, sizes: str) -> bool:
    """Whether `repo` was built before with these sizes (a marker in its .git says so); when
    not, it is removed so the caller builds it afresh and then calls `built`."""
    marker = repo / ".git" / name
    if marker.exists() and marker.read_text() == sizes:
        print(f"reusing {repo} ({sizes.strip()})", flush=True)
        return True
    shutil.rmtree(repo, ignore_errors=True)
    return False


def built(repo: Path, name: str, sizes: str) -> None:
    (repo / ".git" / name).write_text(sizes)


def import_rows(stderr: str) -> Iterator[tuple[int, int, str]]:
    """(cumulative microseconds, depth, module) for each line `-X importtime` printed."""
    for line in stderr.splitlines():
        m = _IMPORT.match(line)
        if m:
            yield int(m.group(2)), len(m.group(3)), m.group(4)


@dataclass
class Ran:
    """One finished process: wall seconds, exit code, output, and its own peak memory."""

    elapsed: float
    returncode: int
    stdout: str
    stderr: str
    maxrss_kib: int  # the command's own peak resident memory (GNU time's %M)


TIME = "/usr/bin/time"  # GNU time: the peak memory of the command alone
_MAXRSS = "bench-maxrss-kib="


def run_measured(argv: Sequence[str], cwd: Path, env: Mapping[str, str]) -> Ran:
    """Runs `argv` under GNU time to its end. Why not os.wait4 on the command itself: a
    child forked from this process starts with this process's memory, so its ru_maxrss is
    never below ours (tens of MiB here, hundreds with a million-file manifest in hand)."""
    if not os.access(TIME, os.X_OK):
        raise SystemExit(f"{TIME} is missing: install GNU time (apt-get install time)")
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        returncode = subprocess.run([TIME, "-f", _MAXRSS + "%M", *argv], cwd=cwd,
                                    env=dict(env), stdout=out, stderr=err, check=False
                                    ).returncode
        elapsed = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        stderr = err.read().decode(errors="replace")
        head, _, tail = stderr.rpartition(_MAXRSS)
        return Ran(elapsed, returncode, out.read().decode(errors="replace"), head,
                   int(tail.strip() or 0))


class Timed:
    """A command timed over rounds, with each run's peak memory; exit codes other than
    `ok` end the benchmark with what it printed."""

    def __init__(self, label: str, argv: Sequence[str], *, ok: Sequence[int] = (0,),
                 before: Callable[[], None] | None = None) -> None:
        self.label, self.argv, self.ok, self.before = label, list(argv), tuple(ok), before
        self.times: list[float] = []
        self.rss_kib: list[int] = []
        self.last: Ran | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def spread(self) -> str:
        return f"{min(self.times):.2f}-{max(self.times):.2f}"

    def run(self, cwd: Path, env: Mapping[str, str]) -> Ran:
        if self.before is not None:
            self.before()
        ran = run_measured(self.argv, cwd, env)
        if ran.returncode not in self.ok:
            raise SystemExit(f"{shlex.join(self.argv)} failed ({ran.returncode}):\n"
                             f"{ran.stdout[-3000:]}{ran.stderr[-3000:]}")
        self.last = ran
        return ran

    def record(self, cwd: Path, env: Mapping[str, str]) -> Ran:
        ran = self.run(cwd, env)
        self.times.append(ran.elapsed)
        self.rss_kib.append(ran.maxrss_kib)
        return ran


def alternate(cwd: Path, cmds: Sequence[Timed], runs: int, env: Mapping[str, str]) -> None:
    """The commands alternately (so that machine noise hits all): one round to warm caches,
    then `runs` timed rounds."""
    for i in range(runs + 1):
        for cmd in cmds:
            ran = cmd.record(cwd, env) if i else cmd.run(cwd, env)
            print(f"  {f'run {i}/{runs}' if i else 'warm-up'}: {cmd.label} ... "
                  f"{ran.elapsed:.2f} s, {ran.maxrss_kib / 1024:.1f} MiB", flush=True)


# -- a lab's dataset registry (bench/run.py's registry scenarios) -----------------------------

# What `dvc init` and `dvc remote add -d storage s3://...` write, plus the lab's autostage.
LAB_DVC_CONFIG = (b"[core]\n    remote = storage\n    autostage = true\n"
                  b"['remote \"storage\"']\n    url = s3://lab-registry/dvc\n"
                  b"    region = eu-west-1\n")
LAB_AREAS = ("vision", "audio", "text")
_SECTIONS = ("Motivation", "Composition", "Collection process", "Preprocessing", "Uses",
             "Distribution", "Maintenance")  # dataward.policy.DATASHEET_SECTIONS


def lab_dvcfile(i: int, name: str) -> bytes:
    """What DVC 3's `dvc add FOLDER` writes for a folder of `i % 900 + 1` files."""
    return (f"outs:\n- md5: {i * 2654435761 % 16**32:032x}.dir\n  size: {(i + 1) * 48_611}\n"
            f"  nfiles: {i % 900 + 1}\n  hash: md5\n  path: {name}\n").encode()


def lab_card(name: str, area: str) -> bytes:
    """A valid card, as `dataward card new` makes and a lab member fills in: Hub keys with
    vocabulary values (license, size, task, language), the lab's keys, a datasheet."""
    task = {"vision": "image-classification", "audio": "automatic-speech-recognition",
            "text": "text-classification"}[area]
    title = name.replace("-", " ").capitalize()
    sections = "".join(f"\n## {s}\n\nA few sentences about {s.lower()} of {title}.\n"
                       for s in _SECTIONS)
    return (f"---\npretty_name: {title}\nlicense: cc-by-4.0\nlanguage:\n- en\n"
            f"task_categories:\n- {task}\nsize_categories:\n- n<1K\n"
            f"maintainers:\n- name: Ada Lovelace\n  email: ada@lab.example\n"
            f"source: https://lab.example/{area}/{name}\n---\n\n# {title}\n\n"
            f"{title}: recordings the lab made in 2024 for the {area} group's studies.\n"
            f"{sections}").encode()


def lab_dataset(i: int) -> tuple[str, str, str]:
    """(folder, dataset name, area) of the registry's i-th dataset."""
    area = LAB_AREAS[i % len(LAB_AREAS)]
    return f"datasets/{area}", f"{area}-set-{i:04d}", area


def lab_registry(ndatasets: int, policy: bytes) -> list[dict[str, bytes]]:
    """The registry's history, one commit per dataset added (with its card and the
    `.gitignore` line `dvc add` writes), after a first commit of `dvc init` + the policy."""
    first = {".dvc/config": LAB_DVC_CONFIG, ".dvc/.gitignore": b"/config.local\n/tmp\n/cache\n",
             ".dvcignore": b"# Add patterns of files dvc should ignore\n",
             "dataward.toml": policy, "README.md": b"# The lab's datasets\n"}
    commits = [first]
    ignores: dict[str, bytes] = {}
    for i in range(ndatasets):
        folder, name, area = lab_dataset(i)
        ignores[folder] = ignores.get(folder, b"") + f"/{name}\n".encode()
        commits.append({f"{folder}/{name}.dvc": lab_dvcfile(i, name),
                        f"{folder}/{name}.card.md": lab_card(name, area),
                        f"{folder}/.gitignore": ignores[folder]})
    return commits
