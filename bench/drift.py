"""Benchmark for `dataward drift scan`, side by side with md5sum and `dvc status`.

    .venv/bin/python bench/drift.py                       # 64 files x 10 MiB, 11 runs
    .venv/bin/python bench/drift.py --workdir /tmp/drift  # keep the checkout for reuse
    .venv/bin/python bench/drift.py --quick               # 64 files x 1 MiB, 5 runs
    .venv/bin/python bench/drift.py --small --workdir /tmp/drift     # 100,000 files of ~60 B
    .venv/bin/python bench/drift.py --million --workdir /tmp/drift   # 1,000,000 of them
    .venv/bin/python bench/drift.py --small-files 5000 --runs 2      # a quick check of it

Scenario (from the issue: 640 MB in 64 files, page cache warm): a registry made with real git
and real DVC (`git init`, `dvc init`, one dataset folder `images/` of 64 files of random bytes
from a fixed seed, `dvc add images`, committed), so the checkout holds the data it registers:
the registry is also the scan's root. The files' mtimes are set to a fixed moment in the
past (os.utime), so that no cache distrusts them as just written (dataward's state does not
keep the md5 of a file modified within 5 s of its reading), and every file is read once
before timing, so all commands hash from the page cache.

  1. Cold scan, no state: `dataward drift scan --env bench --root R --registry R --no-state`
     with `--jobs 1` and `--jobs 2`, against `md5sum <the 64 files>` (coreutils, one
     process) and, for reference, two md5sum processes on the two halves at once.
                                          targets: --jobs 1 <= 1.05x md5sum, --jobs 2 < 1.0x
  2. Warm re-scan: the same scan with `--state FILE` after a priming run (nothing is read
     again), against its own cold scan (the same command with a fresh, empty state file:
     it hashes every file and writes the state) and against `dvc status` in the same
     checkout (what a user runs to ask "is my checkout in sync?"), DVC's own state warm.
                                          targets: <= 0.15x its cold scan, <= 0.7x dvc status
The commands of each group run alternately (so that machine noise hits all), one round to
warm caches, then --runs rounds; the median wall time of each is reported. Before timing,
every scan must find the dataset in sync (exit 0, the `.dir` md5 of the `.dvc` file) and
md5sum's md5s must equal the `.dir` manifest `dvc add` wrote, so in sync means the scan's
file md5s are md5sum's; after it, the cold scans must have hashed every file and the warm
one none (their "hashed N files ...; M unchanged" line), and `dvc status` be up to date.
The machine's other load shows in the two-md5sum row: with two free cores it takes 0.5x
one md5sum; above 0.75x the report says the second core was busy.

  3. Where the time goes: one scan of each kind in one process, dataward's own functions
     wrapped with a timer (median of 3), `python -X importtime` of the command, and the
     bare interpreter start-up.

Small files (--small, --small-files N, --million; bench/drift_small.py), from the issue:
100,000 files of 40-80 random bytes (fixed seed) in 1,000 subfolders of `data/`, mtimes at the
same fixed moment, `dvc add data` and committed (real git and DVC; `dvc add` took 6 s at
20,000 files and 36 s at 100,000, about 6-7 min extrapolated to a million, so it is used at
every size; --write-dvc writes `data.dvc` and the `.dir` object itself instead, the same bytes:
each `dvc add` build checks that). Checked first: md5sum's md5s are DVC's manifest, the scans
find the dataset in sync. Rounds as above (default 5), all scans with --jobs 1:

  4. Cold: `scan --no-state` against `sh -c 'find data -type f -print0 | xargs -0 md5sum'`
     (xargs runs one md5sum at a time)                                  target <= 3x
     and `scan --state FRESH` (a new, empty state each run) against `--no-state`. <= 1.10x
  5. Warm: `scan --state FILE` (primed by the checks) against the Python floor (os.walk +
     os.lstat of data/) and, for reference, `find data -type f` and `dvc status` (when one
     `dvc status` takes over 20 s it is timed twice outside the rounds; --no-dvc-status leaves
     it out). Peak memory (GNU time's %M) of the warm scan: target <= 150 MiB at 100,000
     files, <= 1 GiB above.                                              target <= 2.5x floor
  6. Re-scan (not timed): one file changed (same size), one added, one removed, the warm
     scan once: it must say "hashed 2 files" and its JSON report name exactly those three in
     `changes`; PASS or FAIL (exit 1), then the files are restored and checked in sync again.
Building takes about 45 s and 800 MB (4 KiB blocks, the files and DVC's cache copy) at 100,000
files; at a million about 8 min and 8 GB (2 million inodes).

The checkout is built in a temporary folder and removed afterwards; with --workdir DIR it is
built in DIR once and reused by later runs of the same size. Python runs with compiled
bytecode, as from an installed package: PYTHONDONTWRITEBYTECODE is dropped and
PYTHONPYCACHEPREFIX points into the work folder (the warm-up round compiles).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import benchlib
import drift_small

BIN = Path(sys.executable).parent
DATAWARD, DVC = str(BIN / "dataward"), str(BIN / "dvc")
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV |= {"DVC_NO_ANALYTICS": "1", "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "b",
        "GIT_AUTHOR_EMAIL": "b@b", "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@b"}
GENERATOR = "drift-bench 1"  # bump when the generated checkout changes
SEED = 20261123
DATASET = "images"
MTIME = 1_767_225_600  # 2026-01-01T00:00:00Z: long enough ago for any cache to trust
TARGETS = {"cold1": 1.05, "cold2": 1.0, "warm_cold": 0.15, "warm_status": 0.7}  # issue 21
HASHED = re.compile(r"hashed (\d+) files? \(([^)]*)\); (\d+) unchanged since the last scan")


# -- the checkout -----------------------------------------------------------------------------

def sh(cwd: Path, *cmd: str) -> str:
    return benchlib.sh(cwd, *cmd, env=ENV)


def build(repo: Path, nfiles: int, size: int) -> None:
    """git + DVC checkout with one dataset folder of `nfiles` random files, added and
    committed; reused when built before with these sizes."""
    want = f"{GENERATOR} {nfiles}x{size}"
    if benchlib.reusable(repo, "bench-drift", want):
        return
    t0 = time.perf_counter()
    repo.mkdir(parents=True)
    sh(repo, "git", "init", "-q", "-b", "main")
    sh(repo, DVC, "init", "-q")
    folder = repo / DATASET
    folder.mkdir()
    for i in range(nfiles):
        (folder / f"img{i:03d}.bin").write_bytes(random.Random(SEED + i).randbytes(size))
    sh(repo, DVC, "add", "-q", DATASET)
    sh(repo, "git", "add", "-A")
    sh(repo, "git", "commit", "-q", "--no-verify", "-m", f"Add {DATASET}")
    benchlib.built(repo, "bench-drift", want)
    print(f"built {repo}: {nfiles} x {size / 2**20:g} MiB, dvc add and commit in "
          f"{time.perf_counter() - t0:.1f} s", flush=True)


def files_of(repo: Path) -> list[Path]:
    return sorted((repo / DATASET).iterdir())


def settle(repo: Path) -> None:
    """Every file's mtime to a fixed moment in the past (the same on every run, so DVC's
    state, keyed on inode, mtime and size, stays valid across runs), then each read once
    so the page cache holds them all."""
    for path in files_of(repo):
        os.utime(path, (MTIME, MTIME))
        with path.open("rb") as fh:
            while fh.read(2**22):
                pass


def manifest(repo: Path) -> tuple[str, dict[str, str]]:
    """The dataset's `.dir` md5 from its `.dvc` file and the manifest `dvc add` wrote."""
    m = re.search(r"md5: ([0-9a-f]{32}\.dir)", (repo / f"{DATASET}.dvc").read_text())
    assert m, "no .dir md5 in the .dvc file"
    md5 = m.group(1)
    path = repo / ".dvc" / "cache" / "files" / "md5" / md5[:2] / md5[2:]
    return md5, {e["relpath"]: e["md5"] for e in json.loads(path.read_text())}


# -- timing -----------------------------------------------------------------------------------

class Cmd:
    """One timed command: one process, or several started at once (timed until all end)."""

    def __init__(self, label: str, *argvs: Sequence[str],
                 before: Callable[[], None] | None = None) -> None:
        self.label = label
        self.argvs = [list(a) for a in argvs]
        self.before = before
        self.times: list[float] = []
        self.stdout = self.stderr = ""

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def spread(self) -> str:
        return f"{min(self.times):.2f}-{max(self.times):.2f}"

    def run(self, cwd: Path) -> float:
        if self.before is not None:
            self.before()
        t0 = time.perf_counter()
        procs = [subprocess.Popen(a, cwd=cwd, env=ENV, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for a in self.argvs]
        outs = [p.communicate() for p in procs]
        elapsed = time.perf_counter() - t0
        for p, a, (out, err) in zip(procs, self.argvs, outs, strict=True):
            if p.returncode != 0:
                raise SystemExit(f"{' '.join(a[:6])} ... failed ({p.returncode}):\n{out}{err}")
        self.stdout = "".join(o for o, _ in outs)
        self.stderr = "".join(e for _, e in outs)
        return elapsed


def timed(cwd: Path, cmds: Sequence[Cmd], runs: int) -> None:
    """The commands alternately: one round to warm caches, then `runs` rounds."""
    for i in range(runs + 1):
        for cmd in cmds:
            elapsed = cmd.run(cwd)
            if i:
                cmd.times.append(elapsed)
            print(f"  {'warm-up' if not i else f'run {i}/{runs}'}: {cmd.label} ... "
                  f"{elapsed:.2f} s", flush=True)


# -- checks -----------------------------------------------------------------------------------

def md5sum_output(stdout: str, repo: Path) -> dict[str, str]:
    out = {}
    for line in stdout.splitlines():
        md5, path = line.split(maxsplit=1)
        out[Path(path).relative_to(repo / DATASET).as_posix()] = md5
    return out


def check_scan(repo: Path, scan: Sequence[str], dir_md5: str) -> None:
    proc = subprocess.run([*scan, "--format", "json"], cwd=repo, env=ENV, capture_output=True,
                          text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"the scan exited {proc.returncode}, not 0 (in sync):\n"
                         f"{proc.stdout[-2000:]}{proc.stderr}")
    report = json.loads(proc.stdout)
    (entry,) = report["datasets"]
    if entry["status"] != "in_sync" or entry["actual_md5"] != dir_md5:
        raise SystemExit(f"the scan found {entry['status']} {entry['actual_md5']}, "
                         f"not in_sync {dir_md5}")


def hashed(cmd: Cmd) -> tuple[int, int]:
    """(files hashed, files the state answered) from the scan's last stderr."""
    m = HASHED.search(cmd.stderr)
    if not m:
        raise SystemExit(f"{cmd.label}: no 'hashed ...' line in:\n{cmd.stderr}")
    return int(m.group(1)), int(m.group(3))


# -- where the time goes ----------------------------------------------------------------------

PHASES = """
import time
t_start = time.perf_counter()
""" + benchlib.PHASE_TIMER + """
import json, sys
from dataward.drift import scan as drift
from dataward.drift import cli as drift_cli
from dataward.drift import hasher
from dataward.drift import hashing as dvc_hash
from dataward.drift import judge as drift_judge
from dataward.drift import state_cache as hash_state
from dataward.drift.model import DriftReport
from dataward.report import drift_text
for owner, name, label in [
        (drift_cli, "_catalog", "catalog from git (policy, git, .dvc files)"),
        (drift, "scan", "scan (walk, hash, state, judge, report model)"),
        (dvc_hash, "walk", "walk the dataset folder"),
        (drift, "_size", "stat for sizes"),
        (hasher.Hasher, "hash_files", "hash_files (md5 and state lookups)"),
        (dvc_hash, "hash_path", "reading + md5 (all threads)"),
        (hash_state.HashState, "load", "state: open sqlite"),
        (hash_state.HashState, "get", "state: lookups (all threads)"),
        (hash_state.HashState, "put", "state: put (all threads)"),
        (hash_state.HashState, "prune", "state: prune"),
        (hash_state.HashState, "save", "state: save"),
        (drift_judge, "judge", "judge"),
        (DriftReport, "model_dump_json", "report to JSON"),
        (drift_text, "text", "report to text")]:
    if hasattr(owner, name):  # the scan's code moves: a phase it no longer has is left out
        timer(owner, name, label)
spent["imports before main"] = time.perf_counter() - t_start
from dataward.cli import main
t0 = time.perf_counter()
code = main(sys.argv[1:])
spent["main (in process)"] = time.perf_counter() - t0
assert code == 0, code
print(json.dumps(spent))
"""


def phases(repo: Path, argv: Sequence[str], runs: int = 3,
           before: Callable[[], None] | None = None) -> dict[str, float]:
    """Median seconds of each phase over `runs` in-process scans."""
    seen: dict[str, list[float]] = {}
    for _ in range(runs):
        if before is not None:
            before()
        proc = subprocess.run([sys.executable, "-c", PHASES, *argv], cwd=repo, env=ENV,
                              capture_output=True, text=True, check=True)
        for label, s in json.loads(proc.stdout.strip().splitlines()[-1]).items():
            seen.setdefault(label, []).append(s)
    return {label: statistics.median(s) for label, s in seen.items()}


def import_time(repo: Path, argv: Sequence[str]) -> tuple[float, list[tuple[str, float]]]:
    """Total import seconds of one scan, and the heaviest packages (dataward's own modules
    and third-party ones, by cumulative time)."""
    proc = subprocess.run([sys.executable, "-X", "importtime", DATAWARD, *argv], cwd=repo,
                          env=ENV, capture_output=True, text=True, check=True)
    total, packages = 0, dict[str, int]()
    for cumulative, depth, name in benchlib.import_rows(proc.stderr):
        if depth == 1:
            total += cumulative
        root = name.split(".")[0]
        if root.startswith("__editable__") or (root in sys.stdlib_module_names
                                               and depth > 1):
            continue
        key = name if root == "dataward" else root
        if root == "dataward" or "." not in name:
            packages[key] = max(packages.get(key, 0), cumulative)
    heavy = sorted(packages.items(), key=lambda kv: -kv[1])[:8]
    return total / 1e6, [(k, v / 1e6) for k, v in heavy]


def startup(repo: Path, runs: int) -> float:
    """Median wall time of the bare interpreter (site included, as the console script)."""
    cmd = Cmd("python -c pass", [sys.executable, "-c", "pass"])
    for _ in range(runs):
        cmd.times.append(cmd.run(repo))
    return cmd.median


# -- main -------------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=64)
    parser.add_argument("--mib", type=float, default=10.0, help="size of each file (MiB)")
    parser.add_argument("--runs", type=int, help="rounds (default: 11; 5 with --quick, "
                                                  "--small or --million)")
    parser.add_argument("--quick", action="store_true", help="64 files x 1 MiB, 5 runs")
    small = parser.add_argument_group("the small-files scenario (bench/drift_small.py)")
    small.add_argument("--small", action="store_true",
                       help="100,000 files of ~60 bytes in 1,000 folders instead")
    small.add_argument("--small-files", type=int, metavar="N",
                       help="that many files instead of 100,000 (implies --small)")
    small.add_argument("--million", action="store_true", help="--small with 1,000,000 files")
    small.add_argument("--no-dvc-status", action="store_true",
                       help="leave `dvc status` out (5 s at 100,000 files here)")
    small.add_argument("--write-dvc", action="store_true",
                       help="write data.dvc and the .dir object instead of running `dvc add` "
                            "(the same bytes; the files are not copied into DVC's cache)")
    parser.add_argument("--workdir", metavar="DIR", type=Path,
                        help="build the checkout in DIR, or reuse the one built there")
    parser.add_argument("--no-profile", action="store_true",
                        help="skip the breakdown of where the time goes")
    args = parser.parse_args()
    if args.million:
        args.small_files = 1_000_000
    small_scenario = args.small or args.small_files is not None
    if small_scenario and args.small_files is None:
        args.small_files = 100_000
    if args.quick:
        args.mib = 1.0
    if args.runs is None:
        args.runs = 5 if args.quick or small_scenario else 11
    size = int(args.mib * 2**20)
    tmp = None if args.workdir else tempfile.mkdtemp(prefix="dataward-bench-drift-")
    base = args.workdir.resolve() if args.workdir else Path(tmp or "")
    base.mkdir(parents=True, exist_ok=True)
    ENV["PYTHONPYCACHEPREFIX"] = str(base / "pycache")
    try:
        if small_scenario:
            return drift_small.run(args, base, drift_small.Setup(ENV, DATAWARD, DVC, MTIME,
                                                                 where()))
        repo = base / f"registry-{args.files}x{args.mib:g}MiB"
        build(repo, args.files, size)
        settle(repo)
        sh(repo, DVC, "status")  # DVC's state: re-hashes once if the mtimes just moved
        files = [str(p) for p in files_of(repo)]
        dir_md5, dvc_manifest = manifest(repo)
        state = base / "state" / "drift-state.sqlite3"
        fresh = base / "state" / "fresh.sqlite3"

        def no_fresh_state() -> None:
            for suffix in ("", "-journal", "-wal", "-shm"):
                Path(f"{fresh}{suffix}").unlink(missing_ok=True)

        scan = [DATAWARD, "drift", "scan", "--env", "bench", "--root", str(repo),
                "--registry", str(repo)]
        cold1 = Cmd("scan --jobs 1 --no-state", [*scan, "--jobs", "1", "--no-state"])
        cold2 = Cmd("scan --jobs 2 --no-state", [*scan, "--jobs", "2", "--no-state"])
        half = len(files) // 2
        md5sum = Cmd("md5sum", ["md5sum", *files])
        md5sum2 = Cmd("md5sum x2", ["md5sum", *files[:half]], ["md5sum", *files[half:]])
        warm = Cmd("scan --jobs 2 --state (warm)",
                   [*scan, "--jobs", "2", "--state", str(state)])
        own_cold = Cmd("scan --jobs 2 --state (fresh)",
                       [*scan, "--jobs", "2", "--state", str(fresh)], before=no_fresh_state)
        status = Cmd("dvc status", [DVC, "status"])

        # Correctness first: DVC's manifest is md5sum's, and the scan finds the dataset in sync.
        md5sum.run(repo)
        md5sum2.run(repo)
        sums, halves = md5sum_output(md5sum.stdout, repo), md5sum_output(md5sum2.stdout, repo)
        if sums != dvc_manifest or halves != sums:
            raise SystemExit("md5sum and DVC's .dir manifest disagree")
        for argv in (cold1.argvs[0], cold2.argvs[0], warm.argvs[0]):
            check_scan(repo, argv, dir_md5)
        print(f"checked: {len(sums)} md5s from md5sum equal DVC's manifest of {dir_md5}; "
              "every scan finds the dataset in sync", flush=True)

        load0 = os.getloadavg()[0]
        print("cold: no state", flush=True)
        timed(repo, [cold1, cold2, md5sum, md5sum2], args.runs)
        print("warm: the state primed (the check above), DVC's state warm", flush=True)
        timed(repo, [warm, own_cold, status], args.runs)
        load1 = os.getloadavg()[0]
        n = len(files)
        for cmd, want in ((cold1, (n, 0)), (cold2, (n, 0)), (own_cold, (n, 0)),
                          (warm, (0, n))):
            if hashed(cmd) != want:
                raise SystemExit(f"{cmd.label}: hashed/unchanged {hashed(cmd)}, not {want}")
        if "up to date" not in status.stdout:
            raise SystemExit(f"dvc status: {status.stdout}")

        breakdown = None
        if not args.no_profile:
            print("profiling ...", flush=True)
            breakdown = {
                "cold --jobs 1": phases(repo, cold1.argvs[0][1:]),
                "warm --jobs 2": phases(repo, warm.argvs[0][1:]),
            }
            imports = {"cold --jobs 1": import_time(repo, cold1.argvs[0][1:]),
                       "warm --jobs 2": import_time(repo, warm.argvs[0][1:])}
            bare = startup(repo, 11)

        report(args, n, size, [cold1, cold2, md5sum, md5sum2], [warm, own_cold, status],
               f"load average {load0:.1f} before, {load1:.1f} after")
        if breakdown is not None:
            walls = {"cold --jobs 1": cold1.median, "warm --jobs 2": warm.median}
            for name, spent in breakdown.items():
                total, heavy = imports[name]
                print(f"\nwhere the time goes, {name} (wall median {walls[name]:.3f} s; "
                      f"in-process phases, median of 3):")
                print(f"  {'interpreter start-up (python -c pass)':48} {bare:.3f} s")
                print(f"  {'imports, -X importtime total (1 run)':48} {total:.3f} s")
                for label, s in spent.items():
                    print(f"  {label:48} {s:.3f} s")
                print("  heaviest imports: " + ", ".join(f"{k} {v * 1000:.0f} ms"
                                                         for k, v in heavy))
        return 0
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def report(args: argparse.Namespace, nfiles: int, size: int, cold: Sequence[Cmd],
           warm: Sequence[Cmd], load: str) -> None:
    cold1, cold2, md5sum, md5sum2 = cold
    scan_warm, own_cold, status = warm
    print(f"\n{nfiles} files x {size / 2**20:g} MiB = {nfiles * size / 2**20:g} MiB, page "
          f"cache warm; {args.runs} runs each, alternately, median wall time (min-max); "
          f"{sh(Path.cwd(), DVC, '--version').strip()} (dvc), "
          f"{sh(Path.cwd(), 'md5sum', '--version').splitlines()[0]}, "
          f"Python {sys.version.split()[0]}, {os.cpu_count()} cores, {load}; "
          f"dataward from {where()}\n")

    def verdict(ratio: float, target: float, strict: bool = False) -> str:
        ok = ratio < target if strict else ratio <= target
        return "met" if ok else "MISSED"

    print("| command | median | vs md5sum | target |")
    print("|---|---|---|---|")
    for cmd, target, strict in ((cold1, TARGETS["cold1"], False),
                                (cold2, TARGETS["cold2"], True)):
        r = cmd.median / md5sum.median
        op = "<" if strict else "<="
        print(f"| `{cmd.label}` | {cmd.median:.3f} s ({cmd.spread}) | {r:.2f}x | "
              f"{op} {target}x ({verdict(r, target, strict)}) |")
    for cmd in (md5sum, md5sum2):
        print(f"| `{cmd.label}` | {cmd.median:.3f} s ({cmd.spread}) | "
              f"{cmd.median / md5sum.median:.2f}x | |")
    print("\n| command | median | vs own cold scan | vs dvc status | target |")
    print("|---|---|---|---|---|")
    rc, rs = scan_warm.median / own_cold.median, scan_warm.median / status.median
    print(f"| `{scan_warm.label}` | {scan_warm.median:.3f} s ({scan_warm.spread}) | {rc:.2f}x "
          f"| {rs:.2f}x | <= {TARGETS['warm_cold']}x cold ({verdict(rc, TARGETS['warm_cold'])})"
          f", <= {TARGETS['warm_status']}x dvc status "
          f"({verdict(rs, TARGETS['warm_status'])}) |")
    print(f"| `{own_cold.label}` | {own_cold.median:.3f} s ({own_cold.spread}) | 1.00x | "
          f"{own_cold.median / status.median:.2f}x | |")
    print(f"| `{status.label}` | {status.median:.3f} s ({status.spread}) | | 1.00x | |")
    print(f"\nwarm vs the cold scan without state (--jobs 2 --no-state): "
          f"{scan_warm.median / cold2.median:.2f}x")
    two = md5sum2.median / md5sum.median
    if two > 0.75:
        print(f"note: two md5sum processes took {two:.2f}x one (0.5x with two free cores): "
              "the second core was busy with other work, so --jobs 2 could not gain much "
              "either; judge its target on a quieter run")


def where() -> str:
    """The dataward the commands import, and its commit."""
    code = "import dataward, os; print(os.path.dirname(os.path.dirname(dataward.__file__)))"
    path = subprocess.run([sys.executable, "-c", code], env=ENV, capture_output=True,
                          text=True, check=True).stdout.strip()
    commit = subprocess.run(["git", "-C", path, "describe", "--always", "--dirty"], env=ENV,
                            capture_output=True, text=True, check=False).stdout.strip()
    return f"{path} ({commit or 'not a git checkout'})"


if __name__ == "__main__":
    raise SystemExit(main())
