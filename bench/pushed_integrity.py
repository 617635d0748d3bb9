"""Issue 20's benchmark: what the integrity checks cost, and `remote audit` against DVC.

    .venv/bin/python bench/pushed_integrity.py --keep /tmp/bench-reg        # 20 x 2,500
    .venv/bin/python bench/pushed_integrity.py --quick                      # 20 x 100
    .venv/bin/python bench/pushed_integrity.py --old SNAP --new SNAP2       # fixed builds
    .venv/bin/python bench/pushed_integrity.py --files 500 --no-pushed      # 3. only, 20 x 500

On bench/pushed.py's registry (20 datasets x 2,500 files, pushed to moto's S3 server on
loopback; built once and reused with --keep DIR):
  1. `dvc-pushed --rev HEAD --no-cache -v`, the build before the integrity checks (--old,
     default: `git archive d7a2441`) and the one with them (--new, default: a copy of this
     checkout's dataward/ taken at start), alternately, once to warm, then --runs times each,
     with nothing archived or altered. Requirement: the new build makes no more requests.
  2. the same after 100 objects (10 in each of 10 datasets) are copied in place to GLACIER:
     the new build's extra requests must be HEADs of exactly those 100 objects.
  3. `dataward remote audit -v` over 10 versions of the registry (a clone whose 9 later commits
     each change 5 files in each of 2 datasets, all pushed) against what a user would script
     with DVC: `git checkout REV && dvc data status --not-in-remote --granular --json` for
     each of the 10 revisions. dataward's state cache is removed before each audit (cold).

Requests are counted twice: from the `-v` line (dataward's own count) and from the server's
request log (moto logs one line per request; the only count there is for dvc). Each build
runs as `python -c 'from dataward... import main'` with PYTHONPATH at its snapshot, so both
pay the same start-up. moto serves one request at a time on the same 2 cores as the client:
read times as a comparison of request patterns on one server, not as S3's.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import benchlib
import pushed
from pushed import BUCKET, DVC, ENV, S3Server

ROOT = pushed.ROOT
OLD_COMMIT = "d7a2441"
PUSHED_MAIN = "import sys; from dataward.checks.dvc_pushed import main; sys.exit(main())"
CLI_MAIN = "import sys; from dataward.cli import main; sys.exit(main())"
LOG_LINE = re.compile(r'"([A-Z]+) (\S+) HTTP/[\d.]+" (\d+)')
AUDIT_VERBOSE = re.compile(r"remote audit: .* in (\d+) requests")
VERSIONS, CHANGED_SETS, CHANGED_FILES = 10, 2, 5


class LoggedServer(S3Server):
    """moto's server with its request log (one line per request) kept in a file."""

    def __init__(self, log: Path) -> None:
        super().__init__()
        self.log = log

    def start(self) -> LoggedServer:
        with self.log.open("wb") as sink:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                stdout=subprocess.DEVNULL, stderr=sink, env=dict(os.environ))
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=1).close()
                return self
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto's S3 server did not start") from None
                time.sleep(0.05)

    def mark(self) -> int:
        return self.log.stat().st_size

    def since(self, mark: int) -> list[tuple[str, str]]:
        """(method, path) of every request logged after `mark`; waits for the log to settle
        (moto writes a line after it has answered)."""
        size = -1
        while size != self.mark():
            size = self.mark()
            time.sleep(0.15)
        with self.log.open("rb") as fh:
            fh.seek(mark)
            text = fh.read().decode(errors="replace")
        return [(m.group(1), m.group(2)) for m in LOG_LINE.finditer(text)
                if "/moto-api/" not in m.group(2)]


def kinds(requests: list[tuple[str, str]]) -> str:
    """`51 LIST + 100 HEAD`: a run's requests by kind."""
    count = Counter("LIST" if method == "GET" and "?" in path and "list-type" in path
                    else method for method, path in requests)
    return " + ".join(f"{n} {kind}" for kind, n in sorted(count.items())) or "0"


class Runs:
    """One command's timings, requests (server log) and output of its last run."""

    def __init__(self, label: str, cmd: Sequence[str], env: dict[str, str]) -> None:
        self.label, self.cmd, self.env = label, list(cmd), env
        self.times: list[float] = []
        self.logged: list[list[tuple[str, str]]] = []
        self.stdout = self.stderr = ""
        self.code = -1

    def once(self, cwd: Path, server: LoggedServer, ok: Sequence[int], keep: bool) -> None:
        mark = server.mark()
        t0 = time.perf_counter()
        proc = subprocess.run(self.cmd, cwd=cwd, env=self.env, capture_output=True, text=True,
                              check=False)
        elapsed = time.perf_counter() - t0
        if proc.returncode not in ok:
            raise SystemExit(f"{self.label} failed ({proc.returncode}):\n{proc.stdout[-2000:]}"
                             f"{proc.stderr[-2000:]}")
        self.stdout, self.stderr, self.code = proc.stdout, proc.stderr, proc.returncode
        requests = server.since(mark)
        if keep:
            self.times.append(elapsed)
            self.logged.append(requests)
        print(f"  {self.label}: {elapsed:.2f} s, exit {proc.returncode}, {kinds(requests)}"
              f"{'' if keep else ' (warm-up)'}", flush=True)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    def said(self) -> str:
        """The request count the command printed with -v."""
        m = pushed.VERBOSE.search(self.stderr)
        if m:
            return m.group(4)
        m = AUDIT_VERBOSE.search(self.stderr)
        return m.group(1) if m else "?"


def alternate(cwd: Path, server: LoggedServer, runs: Sequence[Runs], n: int,
              ok: Sequence[int] = (0, 1)) -> None:
    for i in range(n + 1):
        for r in runs:
            r.once(cwd, server, ok, keep=i > 0)


def snapshots(base: Path, old: Path | None, new: Path | None) -> tuple[Path, Path, str]:
    """PYTHONPATH folders of the two builds, and what they are."""
    old_given, new_given = old is not None, new is not None
    if old is None:
        old = base / f"old-{OLD_COMMIT}"
        shutil.rmtree(old, ignore_errors=True)
        old.mkdir(parents=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", OLD_COMMIT, "dataward"],
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
    if new is None:
        new = base / "new-worktree"
        shutil.rmtree(new, ignore_errors=True)
        shutil.copytree(ROOT / "dataward", new / "dataward",
                        ignore=shutil.ignore_patterns("__pycache__"))
    diff = subprocess.run(["git", "-C", str(ROOT), "diff", "HEAD", "--shortstat", "--",
                           "dataward"], capture_output=True, text=True).stdout.strip()
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True).stdout.strip()
    given = "given with --new" if new_given else (
        f"HEAD {head} + working tree: {diff or 'no diff'}, copied "
        f"{time.strftime('%H:%M UTC', time.gmtime())}")
    what = f"old = {old} ({'given with --old' if old_given else OLD_COMMIT}), new = {new} ({given})"
    return old, new, what


def archive_some(server: LoggedServer, repo: Path, storage_class: str) -> set[str]:
    """10 file objects in each of 10 datasets: copied in place to GLACIER, or (STANDARD) put
    again from the DVC cache (S3 refuses to copy an archived object); their keys."""
    keys = set()
    for _, entries in sorted(pushed.manifests(repo).items())[::2][:10]:
        for k in range(10):
            keys.add(pushed.object_key(entries[(k * len(entries)) // 10 + 5]["md5"]))
    client = server.client()
    for key in sorted(keys):
        if storage_class == "GLACIER":
            client.copy_object(Bucket=BUCKET, Key=key, CopySource={"Bucket": BUCKET, "Key": key},
                               StorageClass="GLACIER", MetadataDirective="COPY")
        else:
            md5 = key.rsplit("/", 2)[-2] + key.rsplit("/", 1)[-1]
            body = (repo / ".dvc/cache/files/md5" / md5[:2] / md5[2:]).read_bytes()
            client.put_object(Bucket=BUCKET, Key=key, Body=body)
    return keys


def versions(repo: Path, base: Path, nsets: int, nfiles: int) -> Path:
    """A clone of `repo` with VERSIONS commits: each later one changes CHANGED_FILES files in
    each of CHANGED_SETS datasets (dvc add, git commit)."""
    clone = base / f"audit-{nsets}x{nfiles}"
    size = f"{nsets}x{nfiles}x{VERSIONS}\n"
    if benchlib.reusable(clone, "audit-built", size):
        return clone
    t0 = time.perf_counter()
    pushed.sh(base, "git", "clone", "-q", str(repo), str(clone))
    subprocess.run(["cp", "-al", str(repo / ".dvc" / "cache"), str(clone / ".dvc" / "cache")],
                   check=True)  # cache objects are read-only: sharing them is safe
    subprocess.run(["cp", "-a", str(repo / "datasets"), str(clone)], check=True)
    for v in range(1, VERSIONS):
        changed = [f"datasets/ds{(CHANGED_SETS * v + j) % nsets:02d}"
                   for j in range(CHANGED_SETS)]
        for folder in changed:
            for i in range(CHANGED_FILES):
                path = clone / folder / f"f{(v * 37 + i * 101) % nfiles:05d}.csv"
                path.unlink()
                path.write_text(f"dataset,row,value\nversion {v},{i},{folder}\n")
        pushed.sh(clone, DVC, "add", "-q", *changed)
        pushed.sh(clone, "git", "add", "-A")
        pushed.sh(clone, "git", "commit", "-q", "-m", f"version {v + 1}: {', '.join(changed)}")
    benchlib.built(clone, "audit-built", size)
    print(f"built {clone}: {VERSIONS} versions in {time.perf_counter() - t0:.1f} s", flush=True)
    return clone


def status_loop(clone: Path) -> list[str]:
    """What a user would script: each revision checked out, `dvc data status` on it."""
    revs = pushed.sh(clone, "git", "rev-list", "main").split()
    lines = ["set -e"]
    for rev in revs:
        lines += [f"git checkout -q --detach {rev}",
                  f"{DVC} data status --not-in-remote --granular --json > /dev/null"]
    lines.append("git checkout -q main")
    return ["bash", "-c", "\n".join(lines)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--audit-runs", type=int, default=3)
    parser.add_argument("--status-runs", type=int, default=1,
                        help="runs of the dvc data status loop (default 1: 10 dvc runs; 0: none)")
    parser.add_argument("--quick", action="store_true", help="20 datasets x 100 files")
    parser.add_argument("--files", type=int, help="files per dataset (default 2,500)")
    parser.add_argument("--keep", metavar="DIR", type=Path)
    parser.add_argument("--old", type=Path, help=f"PYTHONPATH of the old build ({OLD_COMMIT})")
    parser.add_argument("--new", type=Path, help="PYTHONPATH of the new build")
    parser.add_argument("--no-audit", action="store_true", help="scenarios 1 and 2 only")
    parser.add_argument("--no-pushed", action="store_true", help="scenario 3 only")
    args = parser.parse_args()
    nsets, nfiles = 20, args.files or (100 if args.quick else 2_500)
    tmp = None if args.keep else tempfile.mkdtemp(prefix="dataward-bench-integrity-")
    base = args.keep.resolve() if args.keep else Path(tmp or "")
    ENV["PYTHONPYCACHEPREFIX"] = str(base / "pycache")
    base.mkdir(parents=True, exist_ok=True)
    server = LoggedServer(base / "moto-requests.log").start()
    try:
        repo = base / f"registry-{nsets}x{nfiles}"
        pushed.build(repo, nsets, nfiles)
        old, new, what = snapshots(base, args.old, args.new)
        print(what, flush=True)
        pushed.point_at(repo, server)
        server.bucket(BUCKET)
        fill_s, how = pushed.fill(repo, server, "boto3", 16)
        print(f"{how}: filled in {fill_s:.1f} s", flush=True)
        if not args.no_pushed:
            run_pushed(repo, server, old, new, args.runs)
        if not args.no_audit:
            run_audit(repo, base, server, new, nsets, nfiles, args.audit_runs,
                      args.status_runs)
        print(f"\n{nsets} datasets x {nfiles} files; {what}; dvc "
              f"{pushed.sh(repo, DVC, '--version').strip()}, Python {sys.version.split()[0]}, "
              f"{os.cpu_count()} cores, load average now {os.getloadavg()[0]:.1f}")
        return 0
    finally:
        server.stop()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def run_pushed(repo: Path, server: LoggedServer, old: Path, new: Path, runs: int) -> None:
    flags = ["--rev", "HEAD", "--no-cache", "--format", "json", "-v"]
    builds = [Runs(f"{label} dvc-pushed", [sys.executable, "-c", PUSHED_MAIN, *flags],
                   ENV | {"PYTHONPATH": str(path)}) for label, path in (("old", old),
                                                                        ("new", new))]
    print("\n1. nothing archived or altered", flush=True)
    alternate(repo, server, builds, runs, ok=(0,))
    table("1. nothing archived or altered", builds)
    clean_requests = [len(r.logged[-1]) for r in builds]
    if clean_requests[1] > clean_requests[0]:
        print(f"REQUIREMENT MISSED: new {clean_requests[1]} > old {clean_requests[0]}")
    glacier = archive_some(server, repo, "GLACIER")
    print(f"\n2. {len(glacier)} objects copied in place to GLACIER", flush=True)
    archived = [Runs(r.label, r.cmd, r.env) for r in builds]
    alternate(repo, server, archived, max(1, runs // 2))
    table(f"2. {len(glacier)} objects in GLACIER", archived)
    old_heads, new_heads = (heads(r.logged[-1]) for r in archived)
    extra = len(archived[1].logged[-1]) - len(archived[0].logged[-1])
    print(f"HEADs the new build sent and the old did not: {len(new_heads - old_heads)}, of "
          f"them archived: {len(new_heads - old_heads & glacier)}; requests beyond the old "
          f"build's: {extra}")
    for r in archived:
        found = json.loads(r.stdout or "{}").get("findings", [])
        print(f"{r.label}: exit {r.code}, {len(found)} findings: "
              f"{[f.get('message', '')[:110] for f in found[:2]]}")
    archive_some(server, repo, "STANDARD")


def heads(requests: list[tuple[str, str]]) -> set[str]:
    """The keys of a run's HEAD requests (the path is /bucket/key), but the write probe's
    (a new random name on every run)."""
    return {path.split("/", 2)[-1].split("?")[0] for method, path in requests
            if method == "HEAD" and "/probe-" not in path}


def run_audit(repo: Path, base: Path, server: LoggedServer, new: Path, nsets: int,
              nfiles: int, runs: int, loops: int) -> None:
    clone = versions(repo, base, nsets, nfiles)
    pushed.point_at(clone, server)
    t0 = time.perf_counter()
    pushed.sh(clone, DVC, "push", "-q", "--all-commits", "-j", "16")
    print(f"\n3. audit clone pushed (dvc push --all-commits) in {time.perf_counter() - t0:.1f} s",
          flush=True)
    env = ENV | {"PYTHONPATH": str(new)}
    audit = Runs("dataward remote audit", [sys.executable, "-c", CLI_MAIN, "remote", "audit",
                                           "--format", "json", "-v"], env)
    loop = Runs(f"dvc data status x {VERSIONS} revisions", status_loop(clone), ENV)
    state = clone / ".git" / "dataward"

    def cold(r: Runs, keep: bool) -> None:
        for pickle in state.glob("**/pushed*.pickle"):
            pickle.unlink()  # the audit runs cold, as the first one on a machine
        r.once(clone, server, (0, 1), keep)

    cold(audit, False)
    for i in range(runs):
        cold(audit, True)
        if i < loops:
            cold(loop, True)
    table(f"3. {VERSIONS} versions", [audit, loop] if loop.times else [audit])
    print(audit.stderr.strip()[-400:])


def table(title: str, runs: Sequence[Runs]) -> None:
    base = runs[0].median
    print(f"\n{title}\n\n| command | median | ratio | requests (-v) | requests (server log) |")
    print("|---|---|---|---|---|")
    for r in runs:
        print(f"| {r.label} ({len(r.times)} runs: {', '.join(f'{t:.2f}' for t in r.times)}) "
              f"| {r.median:.2f} s | {r.median / base:.2f}x | {r.said()} | "
              f"{kinds(r.logged[-1])} |")
    print(flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
