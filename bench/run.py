"""Benchmarks for the hooks, side by side with what a user would otherwise run.

    make bench                       # builds .venv-bench: both tools installed from wheels
    make bench BENCH_ARGS=--quick    # smaller repositories, 5 runs
    make bench BENCH_ARGS='--quick --only registry-commit --only dataset-cards'

Scenarios (targets from issues 5 and 23):
  1. one staged file in a 20k-file repository   vs check-added-large-files (<= 1.0x)
  2. 10k staged files                           vs check-added-large-files (<= 1.2x)
  3. range mode, 1,000 commits / 100k blobs     vs `git rev-list --objects | git cat-file
                                                   --batch-check` (<= 1.25x), with the state
                                                   remembered and as in a fresh clone
  4. dvc-files over 10k .dvc files              vs only YAML-parsing the same files with
                                                   PyYAML's C loader: the floor (<= 1.2x)
  5. registry commit: a lab registry (dataward.toml, .dvc/config with an S3 remote, 40
     datasets with cards) where `dvc add` of one new folder is staged with its card: the
     four commit hooks, each as pre-commit calls it (the staged files its `files:` pattern
     keeps), vs check-added-large-files on the same files; their sum <= 4x. Also the
     `dataward` hook (the four in one process, what `dataward init` sets up; <= 4x) and the
     plain hook (`dataward hook pre-commit`).
  6. dataset-cards over a registry of 500 cards, every .dvc file and card given (as
     `pre-commit run --all-files`), with its content-keyed cache of valid cards warm, vs
     only YAML-parsing the cards' front matter.
Each pair of commands runs alternately, once to warm caches, then --runs times; the median
wall time of each is reported.
Repositories are built with `git fast-import` in a temporary folder and removed afterwards.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import benchlib

BIN = Path(sys.executable).parent
ENV = dict(os.environ)
ENV |= {"GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "b",
       "GIT_AUTHOR_EMAIL": "b@b", "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@b"}


def git(repo: Path, *args: str, stdin: bytes | None = None) -> bytes:
    return subprocess.run(["git", *args], cwd=repo, input=stdin, env=ENV, check=True,
                          capture_output=True).stdout


def fast_import(repo: Path, commits: Sequence[dict[str, bytes]], first_parent: bool) -> None:
    """Commit each {path: content} dict in turn on main, with one fast-import process."""
    chunks: list[bytes] = []
    mark = 0
    for n, files in enumerate(commits):
        chunks.append(f"commit refs/heads/main\ncommitter b <b@b> {1700000000 + n} +0000\n"
                      f"data 8\ncommit{n % 10}\n".encode())
        if n == 0 and not first_parent:
            pass
        for path, content in files.items():
            mark += 1
            chunks.append(f"M 100644 inline {path}\ndata {len(content)}\n".encode()
                          + content + b"\n")
        chunks.append(b"\n")
    git(repo, "fast-import", "--quiet", stdin=b"".join(chunks))


def new_repo(root: Path, name: str) -> Path:
    repo = root / name
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True, env=ENV)
    return repo


def text(i: int, size: int = 200) -> bytes:
    line = f"row {i}, value {i * 7919 % 10007}\n".encode()
    return (line * (size // len(line) + 1))[:size]


def repo_with_files(root: Path, name: str, nfiles: int) -> Path:
    repo = new_repo(root, name)
    files = {f"src/d{i // 100:03d}/f{i:05d}.txt": text(i) for i in range(nfiles)}
    fast_import(repo, [files], first_parent=False)
    git(repo, "reset", "-q", "--hard", "main")
    return repo


def repo_with_history(root: Path, ncommits: int, blobs_per_commit: int) -> Path:
    repo = new_repo(root, "history")
    commits = [{"README": b"base\n"}]
    for c in range(ncommits):
        commits.append({f"data/c{c:04d}/b{b:03d}.txt": text(c * blobs_per_commit + b, 120)
                        for b in range(blobs_per_commit)})
    fast_import(repo, commits, first_parent=True)
    git(repo, "reset", "-q", "--hard", "main")
    return repo


def medians(a: Sequence[str] | str, b: Sequence[str] | str, cwd: Path,
            runs: int) -> tuple[float, float]:
    """Median wall time of two commands, run alternately so that machine noise hits both."""
    ours, anchor = medians_of([a, b], cwd, runs)
    return ours, anchor


def medians_of(cmds: Sequence[Sequence[str] | str], cwd: Path, runs: int,
               ok: tuple[int, ...] = (0, 1)) -> list[float]:
    """Median wall time of each command, all run in turn in every round; the first round
    only warms caches (and dataward's state cache). An exit code outside `ok` ends the run."""
    times: list[list[float]] = [[] for _ in cmds]
    for i in range(runs + 1):
        for cmd, out in zip(cmds, times, strict=True):
            shell = isinstance(cmd, str)
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, cwd=cwd, env=ENV, shell=shell, capture_output=True)
            elapsed = time.perf_counter() - t0
            if proc.returncode not in ok:
                raise SystemExit(f"{cmd!r} failed ({proc.returncode}): {proc.stdout.decode()}"
                                 f"{proc.stderr.decode()}")
            if i:
                out.append(elapsed)
    return [statistics.median(t) for t in times]


def row(name: str, pair: tuple[float, float], anchor_name: str, target: float | None) -> str:
    ours, anchor = pair
    ratio = ours / anchor
    goal = "none" if target is None else \
        f"<= {target:.{2 if round(target, 1) != target else 1}f}x " \
        f"({'meets' if ratio <= target else 'MISSES'})"
    return (f"| {name} | {ours * 1000:.0f} ms | {anchor_name} {anchor * 1000:.0f} ms | "
            f"{ratio:.2f}x | {goal} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--quick", action="store_true", help="smaller repositories, 5 runs")
    parser.add_argument("--only", choices=sorted(SCENARIOS), action="append",
                        help="run only these scenarios (repeatable)")
    args = parser.parse_args()
    runs = 5 if args.quick else args.runs
    scale = 10 if args.quick else 1
    if not Path(ANCHOR).exists():
        raise SystemExit("check-added-large-files is missing: run `make bench`")
    rows = []
    with tempfile.TemporaryDirectory(prefix="dataward-bench-") as tmp:
        root = Path(tmp)
        for name, scenario in SCENARIOS.items():
            if not args.only or name in args.only:
                rows += scenario(root, scale, runs)
        shutil.rmtree(root, ignore_errors=True)
    git_version = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout
    print(f"\n{runs} runs each, median wall time; {git_version.strip()}, "
          f"Python {sys.version.split()[0]}, {os.cpu_count()} cores\n")
    print("| scenario | dataward | anchor | ratio | target |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))
    return 0


ANCHOR = str(BIN / "check-added-large-files")


def large_binaries(root: Path, scale: int, runs: int) -> list[str]:
    ours, anchor = str(BIN / "no-large-binaries"), ANCHOR
    rows = []
    repo = repo_with_files(root, "one-staged", 20_000 // scale)
    (repo / "new.bin").write_bytes(os.urandom(100_000))
    git(repo, "add", "new.bin")
    rows.append(row(f"1 staged file, {20_000 // scale} files in repo",
                    medians([ours, "new.bin"], [anchor, "new.bin"], repo, runs),
                    "check-added-large-files", 1.0))
    (repo / "dataward.toml").write_text("[no-large-binaries]\nmax-kb = 400\n")
    (repo / ".dvc").mkdir()
    (repo / ".dvc" / "config").write_text("")
    for i in range(50):
        (repo / f"set{i}.dvc").write_text(
            f"outs:\n- md5: {i:032x}.dir\n  size: 1\n  nfiles: 1\n  path: set{i}\n")
    git(repo, "add", "dataward.toml", ".dvc", *[f"set{i}.dvc" for i in range(50)])
    rows.append(row("same, with a policy file and 50 .dvc files (cache warm)",
                    medians([ours, "new.bin"], [anchor, "new.bin"], repo, runs),
                    "check-added-large-files", 1.0))

    repo = repo_with_files(root, "many-staged", 20_000 // scale)
    names = []
    for i in range(10_000 // scale):
        name = f"new/d{i // 100:03d}/n{i:05d}.txt"
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_bytes(text(i + 10**6))
        names.append(name)
    git(repo, "add", "new")
    rows.append(row(f"{10_000 // scale} staged files",
                    medians([ours, *names], [anchor, *names], repo, runs),
                    "check-added-large-files", 1.2))

    ncommits = 1000 // scale
    repo = repo_with_history(root, ncommits, 100)
    base = git(repo, "rev-list", "--max-parents=0", "HEAD").decode().strip()
    pipeline = (f"git rev-list --objects {base}..HEAD | "
                "git cat-file --batch-check > /dev/null")
    # Cold: as in a fresh CI clone, nothing remembered (the state folder removed first).
    cold = f"rm -rf .git/dataward && {shlex.quote(ours)} --range {base}..HEAD"
    warm, cold_t, anchor_t = medians_of([[ours, "--range", f"{base}..HEAD"], cold, pipeline],
                                        repo, runs)
    rows.append(row(f"--range over {ncommits} commits / {ncommits * 100} blobs, state warm",
                    (warm, anchor_t), "rev-list \\| cat-file", 1.25))
    rows.append(row(f"--range over {ncommits} commits / {ncommits * 100} blobs, state cold "
                    "(a fresh clone)", (cold_t, anchor_t), "rev-list \\| cat-file", 1.25))
    return rows


def yaml_floor(pattern: str, front_matter: bool) -> str:
    """The floor a YAML check is held to: git lists the files, PyYAML's C loader parses each
    (or its front matter), nothing else."""
    part = ".split(b'---', 2)[1]" if front_matter else ""
    return ("import subprocess, yaml; L = yaml.CSafeLoader; "
            f"names = subprocess.run(['git', 'ls-files', '-z', {pattern!r}], capture_output="
            "True, check=True).stdout.decode().split(chr(0))[:-1]; "
            f"[yaml.load(open(n, 'rb').read(){part}, Loader=L) for n in names]")


YAML_FLOOR = yaml_floor("*.dvc", front_matter=False)


def dvc_files(root: Path, scale: int, runs: int) -> list[str]:
    """A registry of 10k datasets in DVC 3 format, every output ignored as `dvc add` does."""
    n = 10_000 // scale
    repo = new_repo(root, "registry")
    files: dict[str, bytes] = {".dvc/config": b"[core]\n    remote = s3\n"}
    ignores: dict[str, list[str]] = {}
    for i in range(n):
        folder, name = f"datasets/g{i // 100:03d}", f"set{i:05d}"
        kind = (f"  md5: {i:032x}.dir\n  size: {i * 4096}\n  nfiles: {i % 50 + 1}\n" if i % 3
                else f"  md5: {i:032x}\n  size: {i * 512}\n")
        files[f"{folder}/{name}.dvc"] = (f"outs:\n-{kind[1:]}  hash: md5\n  path: {name}\n"
                                         ).encode()
        ignores.setdefault(folder, []).append(f"/{name}\n")
    for folder, lines in ignores.items():
        files[f"{folder}/.gitignore"] = "".join(lines).encode()
    fast_import(repo, [files], first_parent=False)
    git(repo, "reset", "-q", "--hard", "main")
    ours = [str(BIN / "dvc-files")]
    floor = [str(BIN / "python"), "-c", YAML_FLOOR]
    return [row(f"dvc-files, {n} .dvc files", medians(ours, floor, repo, runs),
                "YAML parse only", 1.2)]


# -- issue 23: a lab registry's commit, and dataset-cards over a whole registry ---------------

MANIFEST = Path(__file__).resolve().parent.parent / ".pre-commit-hooks.yaml"
COMMIT_HOOKS = ("no-large-binaries", "dvc-files", "dvc-config", "dataset-cards")


def lab_repo(root: Path, name: str, ndatasets: int) -> Path:
    """A registry after `dataward init` (its dataward.toml) and `ndatasets` commits of
    `dvc add` + card; no data pulled into the workspace (a clone)."""
    repo = new_repo(root, name)
    policy = subprocess.run([str(BIN / "python"), "-c", "from dataward.adopt.policy_file "
                             "import render; print(render('registry'), end='')"],
                            capture_output=True, check=True).stdout
    fast_import(repo, benchlib.lab_registry(ndatasets, policy), first_parent=True)
    git(repo, "reset", "-q", "--hard", "main")
    return repo


def as_pre_commit(hook: str, staged: Sequence[str]) -> list[str] | None:
    """The command line pre-commit runs for a hook of our manifest: the staged files its
    `files:` pattern keeps (none when `pass_filenames: false`); None when it skips the hook."""
    import yaml

    spec = next(h for h in yaml.safe_load(MANIFEST.read_text()) if h["id"] == hook)
    kept = [f for f in staged if re.search(spec.get("files", ""), f)]
    if not kept and not spec.get("always_run"):
        return None
    return [str(BIN / spec["entry"]), *(kept if spec.get("pass_filenames", True) else [])]


def registry_commit(root: Path, scale: int, runs: int) -> list[str]:
    """`dvc add` of a new folder and its card, staged in a registry of 40 datasets."""
    del scale  # a lab's registry is this size whatever the machine
    repo = lab_repo(root, "lab-registry", 40)
    folder, name, area = benchlib.lab_dataset(40)
    for i in range(3):
        (repo / folder / name).mkdir(parents=True, exist_ok=True)
        (repo / folder / name / f"item{i}.bin").write_bytes(os.urandom(4096))
    (repo / folder / f"{name}.dvc").write_bytes(benchlib.lab_dvcfile(40, name))
    (repo / folder / f"{name}.card.md").write_bytes(benchlib.lab_card(name, area))
    with (repo / folder / ".gitignore").open("a") as fh:
        fh.write(f"/{name}\n")
    staged = sorted(f"{folder}/{f}" for f in (f"{name}.dvc", f"{name}.card.md", ".gitignore"))
    git(repo, "add", *staged)
    hooks = {h: as_pre_commit(h, staged) for h in COMMIT_HOOKS}
    cmds = [argv or [str(BIN / h)] for h, argv in hooks.items()]
    one_hook = as_pre_commit("dataward", staged)  # what `dataward init` sets up
    assert one_hook is not None
    plain = [str(BIN / "dataward"), "hook", "pre-commit"]
    *each, anchor, together, plain_t = medians_of([*cmds, [ANCHOR, *staged], one_hook, plain],
                                                  repo, runs, ok=(0,))
    rows = [row(f"registry commit: {h}" + (" (pre-commit skips it: no staged file matches its "
                                           "`files:`; the plain hook runs it)"
                                           if hooks[h] is None else ""),
                (t, anchor), "check-added-large-files", None)
            for h, t in zip(COMMIT_HOOKS, each, strict=True)]
    rows.append(row("registry commit: the four hooks, sum", (sum(each), anchor),
                    "check-added-large-files", 4.0))
    run_by_pre_commit = [t for h, t in zip(COMMIT_HOOKS, each, strict=True) if hooks[h]]
    rows.append(row(f"registry commit: the {len(run_by_pre_commit)} hooks pre-commit runs, sum",
                    (sum(run_by_pre_commit), anchor), "check-added-large-files", 4.0))
    rows.append(row("registry commit: the `dataward` hook (the four in one process, as "
                    "`dataward init` sets up)", (together, anchor), "check-added-large-files",
                    4.0))
    rows.append(row("registry commit: `dataward hook pre-commit` (the plain git hook)",
                    (plain_t, anchor), "check-added-large-files", None))
    return rows


CARD_FLOOR = yaml_floor("*.card.md", front_matter=True)


def dataset_cards(root: Path, scale: int, runs: int) -> list[str]:
    """Every .dvc file and card of a 500-dataset registry given, as `pre-commit run
    --all-files` gives them."""
    del scale  # building 500 cards takes a second
    repo = lab_repo(root, "card-registry", 500)
    argv = as_pre_commit("dataset-cards", git(repo, "ls-files").decode().splitlines())
    assert argv is not None
    ours, floor = medians_of([argv, [str(BIN / "python"), "-c", CARD_FLOOR]], repo, runs,
                             ok=(0,))
    return [row(f"dataset-cards, {len(argv) - 1} files (500 cards), --all-files",
                (ours, floor), "front matter YAML parse only", None)]


SCENARIOS: dict[str, Callable[[Path, int, int], list[str]]] = {
    "no-large-binaries": large_binaries, "dvc-files": dvc_files,
    "registry-commit": registry_commit, "dataset-cards": dataset_cards}

if __name__ == "__main__":
    raise SystemExit(main())
