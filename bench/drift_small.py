"""The small-files scenario of bench/drift.py (`--small`, `--million`): building its checkout.

Files of 40-80 random bytes (one random stream from a fixed seed: the same tree on every
machine) in 1,000 subfolders of `data/`, `data/dNNN/fNNNNNNN.bin`, file i in folder i % 1000,
every mtime set to the fixed past moment before `dvc add data` (so DVC's state and dataward's
trust them). With `write_dvc`, `data.dvc`, the `.dir` object and `.gitignore` are written by
`write_out` instead of `dvc add`: the same bytes (checked against `dvc add` whenever it runs,
see `check_written`), without copying every file into the DVC cache.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import benchlib

from dataward.drift.hashing import dir_md5, manifest_bytes

DATASET = "data"
FOLDERS = 1000
GENERATOR = "drift-small 1"  # bump when the generated checkout changes
SEED = 20261206


def relpath(i: int) -> str:
    return f"d{i % FOLDERS:03d}/f{i:07d}.bin"


def generate(folder: Path, nfiles: int, mtime: int) -> dict[str, str]:
    """Writes the files; their md5s (relpath -> md5), from the bytes written."""
    rng = random.Random(SEED)
    for j in range(min(FOLDERS, nfiles)):
        (folder / f"d{j:03d}").mkdir(parents=True)
    md5s = {}
    for i in range(nfiles):
        data = rng.randbytes(rng.randint(40, 80))
        rel = relpath(i)
        path = folder / rel
        path.write_bytes(data)
        os.utime(path, (mtime, mtime))
        md5s[rel] = hashlib.md5(data, usedforsecurity=False).hexdigest()
    return md5s


def dvc_text(md5s: dict[str, str], total: int) -> str:
    """`data.dvc` as `dvc add data` (DVC 3) writes it."""
    return (f"outs:\n- md5: {dir_md5(md5s)}\n  size: {total}\n  nfiles: {len(md5s)}\n"
            f"  hash: md5\n  path: {DATASET}\n")


def dir_object(repo: Path, md5: str) -> Path:
    return repo / ".dvc" / "cache" / "files" / "md5" / md5[:2] / md5[2:]


def write_out(repo: Path, md5s: dict[str, str], total: int) -> None:
    """What `dvc add data` leaves in git and the `.dir` object in the cache (not the files'
    objects: `dvc status` may then say so; the scan does not look at the cache)."""
    (repo / f"{DATASET}.dvc").write_text(dvc_text(md5s, total))
    obj = dir_object(repo, dir_md5(md5s))
    obj.parent.mkdir(parents=True, exist_ok=True)
    obj.write_bytes(manifest_bytes(md5s))
    with (repo / ".gitignore").open("a") as fh:
        fh.write(f"/{DATASET}\n")


def check_written(repo: Path, md5s: dict[str, str], total: int) -> None:
    """`write_out` writes exactly what `dvc add` wrote: `data.dvc`, `.dir` object, .gitignore."""
    text = (repo / f"{DATASET}.dvc").read_text()
    if text != dvc_text(md5s, total):
        raise SystemExit(f"dvc add wrote\n{text}\nnot\n{dvc_text(md5s, total)}")
    if dir_object(repo, dir_md5(md5s)).read_bytes() != manifest_bytes(md5s):
        raise SystemExit("the .dir object dvc add wrote differs from manifest_bytes")
    if (repo / ".gitignore").read_text() != f"/{DATASET}\n":
        raise SystemExit(f"dvc add's .gitignore: {(repo / '.gitignore').read_text()!r}")
    print(f"checked: data.dvc, the .dir object and .gitignore are what write_out writes "
          f"for these {len(md5s)} files", flush=True)


def build(repo: Path, nfiles: int, mtime: int, write_dvc: bool,
          sh: Callable[..., str], dvc: str) -> None:
    """git + DVC checkout with `data/` of `nfiles` small files, added and committed; reused
    when built before with the same parameters."""
    how = "written" if write_dvc else "dvc add"
    want = f"{GENERATOR} {nfiles} files, {how}\n"
    if benchlib.reusable(repo, "bench-drift", want):
        return
    t0 = time.perf_counter()
    repo.mkdir(parents=True)
    sh(repo, "git", "init", "-q", "-b", "main")
    sh(repo, dvc, "init", "-q")
    md5s = generate(repo / DATASET, nfiles, mtime)
    total = sum((repo / DATASET / rel).stat().st_size for rel in md5s)
    t1 = time.perf_counter()
    if write_dvc:
        write_out(repo, md5s, total)
    else:
        sh(repo, dvc, "add", "-q", DATASET)
        check_written(repo, md5s, total)
    t2 = time.perf_counter()
    sh(repo, "git", "add", "-A")
    sh(repo, "git", "commit", "-q", "--no-verify", "-m", f"Add {DATASET}")
    benchlib.built(repo, "bench-drift", want)
    print(f"built {repo}: {nfiles} files ({total / 2**20:.1f} MiB) in "
          f"{time.perf_counter() - t0:.1f} s: files {t1 - t0:.1f} s, {how} {t2 - t1:.1f} s, "
          f"commit {time.perf_counter() - t2:.1f} s", flush=True)


# -- the scenario -----------------------------------------------------------------------------

FLOOR = ("import os,sys; [os.lstat(os.path.join(d, f)) for d, _, fs in os.walk(sys.argv[1]) "
         "for f in fs]")
MD5SUM = "find data -type f -print0 | xargs -0 md5sum"
SLOW_STATUS = 20.0  # seconds: a slower `dvc status` is timed twice, outside the rounds
TARGETS = {"cold": 3.0, "state": 1.10, "warm": 2.5}
HASHED = re.compile(r"hashed (\d+) files? \(([^)]*)\); (\d+) unchanged since the last scan")


@dataclass
class Setup:
    """What the scenario needs from bench/drift.py."""

    env: dict[str, str]
    dataward: str
    dvc: str
    mtime: int
    where: str  # the dataward the commands import, and its commit


def settle(folder: Path, mtime: int) -> None:
    """Every file's mtime back to the fixed moment (a no-op on an untouched checkout)."""
    for d, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(d, name)
            if os.lstat(path).st_mtime != mtime:
                os.utime(path, (mtime, mtime))


def manifest(repo: Path) -> tuple[str, dict[str, str]]:
    """The `.dir` md5 of `data.dvc` and the manifest it names (relpath -> md5)."""
    m = re.search(r"md5: ([0-9a-f]{32}\.dir)", (repo / f"{DATASET}.dvc").read_text())
    if not m:
        raise SystemExit(f"no .dir md5 in {repo / DATASET}.dvc")
    entries = json.loads(dir_object(repo, m.group(1)).read_text())
    return m.group(1), {e["relpath"]: e["md5"] for e in entries}


def scan_report(ran: benchlib.Ran) -> dict[str, Any]:
    try:
        (entry,) = json.loads(ran.stdout)["datasets"]
    except (ValueError, KeyError) as exc:
        raise SystemExit(f"the scan's JSON report ({exc}):\n{ran.stdout[-2000:]}"
                         f"{ran.stderr[-2000:]}") from None
    return cast(dict[str, Any], entry)


def check_in_sync(repo: Path, argv: Sequence[str], dir_md5_: str, s: Setup) -> None:
    ran = benchlib.run_measured([*argv, "--format", "json"], repo, s.env)
    entry = scan_report(ran)
    if ran.returncode != 0 or entry["status"] != "in_sync" or entry["actual_md5"] != dir_md5_:
        raise SystemExit(f"{shlex.join(argv)}: exit {ran.returncode}, {entry['status']} "
                         f"{entry['actual_md5']}, not 0, in_sync {dir_md5_}\n{ran.stderr}")


def hashed(ran: benchlib.Ran | None) -> tuple[int, int] | None:
    """(files hashed, files the state answered) from a scan's stderr."""
    m = HASHED.search(ran.stderr) if ran else None
    return (int(m.group(1)), int(m.group(3))) if m else None


def rescan(repo: Path, warm: Sequence[str], n: int, s: Setup) -> tuple[bool, str]:
    """One file changed (same size), one added, one removed, the warm scan run once; then all
    three restored. Passes when it hashed 2 files and names exactly those three."""
    folder = repo / DATASET
    changed, removed, added = relpath(n // 2), relpath(n // 4), "d000/added.bin"
    old_changed, old_removed = (folder / changed).read_bytes(), (folder / removed).read_bytes()
    try:
        (folder / changed).write_bytes(bytes(b ^ 0xFF for b in old_changed))
        (folder / added).write_bytes(b"added by the re-scan check\n")
        (folder / removed).unlink()
        ran = benchlib.run_measured([*warm, "--format", "json"], repo, s.env)
    finally:
        for rel, data in ((changed, old_changed), (removed, old_removed)):
            (folder / rel).write_bytes(data)
            os.utime(folder / rel, (s.mtime, s.mtime))
        (folder / added).unlink(missing_ok=True)
    entry = scan_report(ran)
    want = {"modified": [changed], "added": [added], "removed": [removed]}
    changes = entry.get("changes") or {}
    got = {k: sorted(changes.get(k) or []) for k in want}
    counts = hashed(ran)
    ok = (ran.returncode in (0, 1) and entry["status"] == "modified" and got == want
          and counts is not None and counts[0] == 2)
    return ok, (f"exit {ran.returncode}, {entry['status']}, hashed/unchanged {counts} "
                f"(want 2 hashed), changes {got} (want {want}), {ran.elapsed:.2f} s, "
                f"{ran.maxrss_kib / 1024:.1f} MiB")


def run(args: argparse.Namespace, base: Path, s: Setup) -> int:
    """Builds (or reuses) the checkout, checks, times, re-scans, reports; 1 when the
    re-scan check fails."""
    n = args.small_files
    if n < 4:
        raise SystemExit("--small-files: at least 4 (the re-scan check changes 3 files)")
    repo = base / f"registry-small-{n}{'-written' if args.write_dvc else ''}"
    build(repo, n, s.mtime, args.write_dvc, lambda cwd, *cmd: benchlib.sh(cwd, *cmd, env=s.env),
          s.dvc)
    settle(repo / DATASET, s.mtime)
    dir_md5_, dvc_manifest = manifest(repo)
    (base / "state").mkdir(exist_ok=True)
    state, fresh = base / "state" / f"small-{n}.sqlite3", base / "state" / f"small-{n}-fresh"

    def no_fresh_state() -> None:
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{fresh}{suffix}").unlink(missing_ok=True)

    scan = [s.dataward, "drift", "scan", "--env", "bench", "--root", str(repo),
            "--registry", str(repo), "--jobs", "1"]
    cold = benchlib.Timed("scan --jobs 1 --no-state", [*scan, "--no-state"])
    own = benchlib.Timed("scan --jobs 1 --state FRESH", [*scan, "--state", str(fresh)],
                         before=no_fresh_state)
    md5sum = benchlib.Timed(MD5SUM, ["sh", "-c", MD5SUM])
    warm = benchlib.Timed("scan --jobs 1 --state FILE (warm)", [*scan, "--state", str(state)])
    floor = benchlib.Timed("python os.walk + os.lstat", [sys.executable, "-c", FLOOR,
                                                          str(repo / DATASET)])
    find = benchlib.Timed("find data -type f", ["find", DATASET, "-type", "f"])
    status = benchlib.Timed("dvc status", [s.dvc, "status"])

    # Correctness first: md5sum's md5s are DVC's manifest, and the scans find it in sync.
    sums = {}
    for line in md5sum.run(repo, s.env).stdout.splitlines():
        md5, path = line.split(maxsplit=1)
        sums[path.removeprefix(f"{DATASET}/")] = md5
    if sums != dvc_manifest:
        raise SystemExit("md5sum and DVC's .dir manifest disagree")
    for argv in (cold.argv, warm.argv):  # the second primes the warm state
        check_in_sync(repo, argv, dir_md5_, s)
    print(f"checked: {len(sums)} md5s from md5sum equal DVC's manifest of {dir_md5_}; "
          "the scans find the dataset in sync", flush=True)
    del sums, dvc_manifest  # a million entries: not kept through the timing

    load0 = os.getloadavg()[0]
    print("cold: no state, a fresh state, md5sum", flush=True)
    benchlib.alternate(repo, [cold, own, md5sum], args.runs, s.env)
    warm_cmds = [warm, floor, find]
    slow_status = False
    if not args.no_dvc_status:
        status.run(repo, s.env)  # DVC's state: re-hashes once if the mtimes just moved
        first = status.record(repo, s.env)
        slow_status = first.elapsed > SLOW_STATUS
        print(f"  dvc status: {first.elapsed:.2f} s" + (
            f" (over {SLOW_STATUS:g} s: timed once more after the rounds, not in them)"
            if slow_status else " (in the rounds)"), flush=True)
        if not slow_status:
            status.times.clear()
            warm_cmds.append(status)
    print("warm: the state primed, the floor, find" + (", dvc status" * (status in warm_cmds)),
          flush=True)
    benchlib.alternate(repo, warm_cmds, args.runs, s.env)
    if slow_status:
        status.record(repo, s.env)
    load1 = os.getloadavg()[0]
    for cmd, want in ((cold, (n, 0)), (own, (n, 0)), (warm, (0, n))):
        if hashed(cmd.last) != want:
            raise SystemExit(f"{cmd.label}: hashed/unchanged {hashed(cmd.last)}, not {want}")
    # written (--write-dvc): the files are in sync but not in DVC's cache, and it says so
    expect = "not in cache" if args.write_dvc else "up to date"
    if status.last and expect not in status.last.stdout:
        raise SystemExit(f"dvc status, not {expect!r}: {status.last.stdout}")

    print("re-scan check: one file changed, one added, one removed", flush=True)
    passed, detail = rescan(repo, warm.argv, n, s)
    check_in_sync(repo, warm.argv, dir_md5_, s)  # restored: in sync again
    report(args, repo, [cold, own, md5sum], [warm, floor, find, status], s,
           f"load average {load0:.1f} before, {load1:.1f} after")
    print(f"\nre-scan check (not timed): {'PASS' if passed else 'FAIL'}: {detail}")
    return 0 if passed else 1


def report(args: argparse.Namespace, repo: Path, cold: Sequence[benchlib.Timed],
           warm: Sequence[benchlib.Timed], s: Setup, load: str) -> None:
    cold1, own, md5sum = cold
    scan, floor, find, status = warm
    n = args.small_files
    size = sum(e.stat().st_size for d in os.scandir(repo / DATASET) for e in os.scandir(d))
    rss_target = 150 if n <= 100_000 else 1024
    version = benchlib.sh(repo, s.dvc, "--version", env=s.env).strip()
    md5v = benchlib.sh(repo, "md5sum", "--version", env=s.env).splitlines()[0]
    print(f"\n{n} files ({size / 2**20:.1f} MiB) in {min(FOLDERS, n)} folders, page cache "
          f"warm; {args.runs} runs each, alternately, median wall time (min-max), peak memory "
          f"the largest ru_maxrss of the runs; dvc {version}, {md5v}, Python "
          f"{sys.version.split()[0]}, {os.cpu_count()} cores, {load}; dataward from "
          f"{s.where}\n")

    def row(cmd: benchlib.Timed, ratio: str = "", target: str = "", rss: str = "") -> None:
        label = cmd.label.replace("|", "\\|")
        n_runs = "" if len(cmd.times) == args.runs else f", {len(cmd.times)} runs"
        print(f"| `{label}` | {cmd.median:.3f} s ({cmd.spread}{n_runs}) | {ratio} | {target} "
              f"| {rss} |")

    def versus(cmd: benchlib.Timed, base: benchlib.Timed, target: float | None = None,
               name: str = "") -> tuple[str, str]:
        r = cmd.median / base.median
        met = "" if target is None else f"<= {target:g}x ({'met' if r <= target else 'MISSED'})"
        return f"{r:.2f}x {name or base.label}", met

    def mib(cmd: benchlib.Timed, target: int | None = None) -> str:
        peak = max(cmd.rss_kib) / 1024
        return f"{peak:.1f} MiB" + ("" if target is None else
                                    f" (<= {target} MiB: {'met' if peak <= target else 'MISSED'})")

    print("| command | median (min-max) | ratio | target | peak memory |")
    print("|---|---|---|---|---|")
    row(cold1, *versus(cold1, md5sum, TARGETS["cold"], "md5sum"), mib(cold1))
    row(md5sum, "1.00x md5sum")
    row(own, *versus(own, cold1, TARGETS["state"], "--no-state"), mib(own))
    ratio, met = versus(scan, floor, TARGETS["warm"], "floor")
    others = [versus(scan, c, name=c.label)[0] for c in (find, status) if c.times]
    row(scan, "; ".join([ratio, *others]), met, mib(scan, rss_target))
    row(floor, "1.00x floor")
    row(find)
    if status.times:
        row(status, "", "(--write-dvc: 'not in cache')" if args.write_dvc else "")
    else:
        print("| `dvc status` | not run (--no-dvc-status) | | | |")
    print(f"\nthe commands, run in {repo}:")
    for cmd in (cold1, own, scan, md5sum, floor, find, status):
        print(f"  {shlex.join(cmd.argv)}")
    print("(FRESH: a new, empty state file each run; FILE: a state the checks primed; "
          "xargs runs md5sum one process at a time, as many as the arguments need)")
    print(f"\nreproduce: make bench-drift BENCH_ARGS={shlex.quote(shlex.join(sys.argv[1:]))}")
