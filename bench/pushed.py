"""Benchmark for dvc-pushed, side by side with the DVC commands a user would otherwise run.

    .venv/bin/python bench/pushed.py                    # 20 datasets x 2,500 files, 5 runs
    .venv/bin/python bench/pushed.py --quick            # 20 datasets x 100 files
    .venv/bin/python bench/pushed.py --keep /tmp/reg    # keep the built repository for reuse

Scenario (from the issue): a registry of 20 datasets and 50k objects, pushed to an S3 remote
on loopback (moto's server, tests/harness/s3server.py); then 100 file objects are deleted from the
bucket, 10 in each of 10 datasets, leaving every `.dir` manifest in place.
  1. `dvc-pushed --rev HEAD --no-cache` vs `dvc data status --not-in-remote --granular --json`
     (the one DVC command that finds such objects)                          target <= 0.5x
  2. the unchanged re-check: `dvc-pushed --rev HEAD` with its presence cache warm and nothing
     missing (the 100 objects restored with `dvc-pushed --push`)            target <= 0.3 s
     and, for the record, the same with the 100 still missing (the cache remembers only what
     is present, so those 100 are asked about on every check)
  3. recall: how many of the 100 deleted objects each tool reports, and `dvc status -c`
     (expected none: it trusts a `.dir` object the remote holds)
The two commands of 1. run alternately, once to warm caches, then --runs times; the re-checks
likewise on their own; the median wall time of each is reported. `dvc status -c` runs once.
dataward's commands run with -v, which prints how many requests they sent.

The repository is built in a temporary folder and removed afterwards; with --keep DIR it is
built in DIR once and reused by later runs of the same size (building 50k files takes
minutes). The server is new on every run, so the bucket is always filled again, with
`dvc push` (its time is reported) or, with --fill boto3, by uploading the DVC cache in DVC's
layout (`store/files/md5/ab/cdef...`) from a thread pool; either way `dvc status -c` must then
say the remote is in sync.

Python runs with compiled bytecode, as from an installed package: PYTHONDONTWRITEBYTECODE is
dropped and PYTHONPYCACHEPREFIX points into the work folder (the warm-up runs compile).
dataward is imported from wherever the environment says (the header names it): to measure a
fixed commit while the tree changes, `git archive HEAD | tar -x -C SNAP` and set PYTHONPATH=SNAP.

moto keeps objects in memory and serves one request at a time under the GIL, on the same two
cores as the client: its per-request costs (and a listing that grows with the bucket) are not
S3's, so read the ratios as a comparison of request patterns on one server.
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
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import benchlib

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.harness.s3server import OPEN_KEY, S3Server  # noqa: E402

BIN = Path(sys.executable).parent
DVC, PUSHED = str(BIN / "dvc"), str(BIN / "dvc-pushed")
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV |= {"DVC_NO_ANALYTICS": "1", "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "b",
        "GIT_AUTHOR_EMAIL": "b@b", "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@b"}
BUCKET, PREFIX, REMOTE = "bench", "store", "bench"
DAMAGED_SETS, DELETED_PER_SET = 10, 10
VERBOSE = re.compile(r"dvc-pushed: (\d+) outputs? \((\d+) known complete from earlier checks\); "
                     r"asked about (\d+) objects in (\d+) requests; (\d+) missing")
GAP = re.compile(r"^(\S+): (\d+)(?: of \d+)? objects? (?:is|are) not in remote")


class Result:
    """One command's timings and its output on the last run."""

    def __init__(self, cmd: Sequence[str]) -> None:
        self.cmd = list(cmd)
        self.times: list[float] = []
        self.stdout = self.stderr = ""

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    def requests(self) -> str:
        m = VERBOSE.search(self.stderr)
        return m.group(4) if m else "?"


def sh(cwd: Path, *cmd: str) -> str:
    return benchlib.sh(cwd, *cmd, env=ENV)


def timed(cwd: Path, cmds: Sequence[Sequence[str]], runs: int, ok: Sequence[int] = (0, 1)
          ) -> list[Result]:
    """Each command run alternately: once to warm caches, then `runs` times."""
    results = [Result(cmd) for cmd in cmds]
    for i in range(runs + 1):
        for res in results:
            t0 = time.perf_counter()
            proc = subprocess.run(res.cmd, cwd=cwd, env=ENV, capture_output=True, text=True,
                                  check=False)
            elapsed = time.perf_counter() - t0
            if proc.returncode not in ok:
                raise SystemExit(f"{' '.join(res.cmd)} failed ({proc.returncode}):\n"
                                 f"{proc.stdout}{proc.stderr}")
            res.stdout, res.stderr = proc.stdout, proc.stderr
            if i:  # the first round only warms caches
                res.times.append(elapsed)
            print(f"  {'warm-up' if not i else f'run {i}/{runs}'}: {Path(res.cmd[0]).name} "
                  f"{' '.join(res.cmd[1:3])} ... {elapsed:.2f} s", flush=True)
    return results


# -- the registry -----------------------------------------------------------------------------

def build(repo: Path, nsets: int, nfiles: int) -> None:
    """A git + DVC repository with `nsets` datasets of `nfiles` small distinct files each."""
    size = f"{nsets}x{nfiles}\n"
    if benchlib.reusable(repo, "bench-built", size):
        return
    repo.mkdir(parents=True)
    t0 = time.perf_counter()
    sh(repo, "git", "init", "-q", "-b", "main")
    sh(repo, DVC, "init", "-q")
    sh(repo, DVC, "config", "core.check_update", "false")
    sh(repo, DVC, "remote", "add", "-d", REMOTE, f"s3://{BUCKET}/{PREFIX}")
    names = []
    for d in range(nsets):
        folder = repo / "datasets" / f"ds{d:02d}"
        folder.mkdir(parents=True)
        for i in range(nfiles):
            row = f"{d},{i},{(d * 100_003 + i) * 7919 % 1_000_003}\n"
            (folder / f"f{i:05d}.csv").write_text("dataset,row,value\n" + row * 4)
        names.append(f"datasets/ds{d:02d}")
    sh(repo, DVC, "add", "-q", *names)
    sh(repo, "git", "add", "-A")
    sh(repo, "git", "commit", "-q", "-m", "registry")
    benchlib.built(repo, "bench-built", size)
    print(f"built {repo}: {nsets} x {nfiles} files, dvc add and commit in "
          f"{time.perf_counter() - t0:.1f} s", flush=True)


def point_at(repo: Path, server: S3Server) -> None:
    """This run's server, in config.local: its port changes from run to run."""
    local = repo / ".dvc" / "config.local"
    local.unlink(missing_ok=True)
    for option, value in (("endpointurl", server.endpoint), ("access_key_id", OPEN_KEY[0]),
                          ("secret_access_key", OPEN_KEY[1])):
        sh(repo, DVC, "remote", "modify", "--local", REMOTE, option, value)
    state = repo / ".git" / "dataward"
    for pickle in state.glob("**/pushed*.pickle"):  # pushed-*, pushed3-* (issue 20)
        pickle.unlink()  # a presence cache of an earlier server


def manifests(repo: Path) -> dict[str, list[dict[str, str]]]:
    """Each dataset's `.dir` manifest, from the local DVC cache."""
    out = {}
    for dvcfile in sorted((repo / "datasets").glob("*.dvc")):
        md5 = re.search(r"md5: ([0-9a-f]{32}\.dir)", dvcfile.read_text())
        assert md5, dvcfile
        key = md5.group(1)
        path = repo / ".dvc" / "cache" / "files" / "md5" / key[:2] / key[2:]
        out[f"datasets/{dvcfile.stem}"] = json.loads(path.read_text())
    return out


def object_key(md5: str) -> str:
    return f"{PREFIX}/files/md5/{md5[:2]}/{md5[2:]}"


def delete_objects(server: S3Server, sets: dict[str, list[dict[str, str]]]
                   ) -> dict[str, str]:
    """Delete 10 file objects in each of 10 datasets (every other one); {path: key}."""
    deleted = {}
    for name in sorted(sets)[::2][:DAMAGED_SETS]:
        entries = sets[name]
        for k in range(DELETED_PER_SET):
            entry = entries[(k * len(entries)) // DELETED_PER_SET + 3]
            deleted[f"{name}/{entry['relpath']}"] = object_key(entry["md5"])
    assert len(set(deleted.values())) == DAMAGED_SETS * DELETED_PER_SET
    answer = server.client().delete_objects(
        Bucket=BUCKET, Delete={"Objects": [{"Key": k} for k in deleted.values()]})
    assert not answer.get("Errors"), answer["Errors"]
    return deleted


# -- recall -----------------------------------------------------------------------------------

def recall_pushed(stdout: str, deleted: dict[str, str]) -> tuple[int, str]:
    """Deleted objects dataward reports: per dataset, its count of missing objects (the message
    names the first five, which must be among the deleted ones)."""
    per_set: dict[str, int] = {}
    for path in deleted:
        per_set[path.rsplit("/", 1)[0]] = per_set.get(path.rsplit("/", 1)[0], 0) + 1
    found, wrong = 0, []
    for finding in json.loads(stdout)["findings"]:
        m = GAP.match(finding["message"])
        if not m:
            wrong.append(finding["message"][:80])
            continue
        dataset, count = m.group(1), int(m.group(2))
        named = re.findall(r"(datasets/ds\d+/f\d+\.csv)", finding["message"])
        wrong += [p for p in named if p not in deleted]
        if dataset not in per_set:
            wrong.append(dataset)
        found += min(count, per_set.get(dataset, 0))
    return found, f"{len(wrong)} false: {wrong[:3]}" if wrong else ""


def recall_data_status(stdout: str, deleted: dict[str, str]) -> tuple[int, str]:
    reported = set(json.loads(stdout).get("not_in_remote", []))
    extra = sorted(p for p in reported - set(deleted) if not p.endswith("/"))
    return len(reported & set(deleted)), f"{len(extra)} false: {extra[:3]}" if extra else ""


def recall_status_c(stdout: str, deleted: dict[str, str]) -> tuple[int, str]:
    """`dvc status -c --json` names outputs, not files: a dataset it flags counts for the
    objects deleted from it."""
    text = stdout.strip() or "{}"
    flagged = json.dumps(json.loads(text))
    return sum(1 for p in deleted if p in flagged or p.rsplit("/", 1)[0] in flagged), ""


# -- main -------------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="20 datasets x 100 files")
    parser.add_argument("--keep", metavar="DIR", type=Path,
                        help="build the repository in DIR, or reuse the one built there")
    parser.add_argument("--jobs", type=int, default=16, help="dvc push -j (default: 16)")
    parser.add_argument("--fill", choices=["dvc", "boto3"], default="dvc",
                        help="fill the bucket with `dvc push` (default) or with boto3 from the "
                             "DVC cache in DVC's layout (faster against moto)")
    args = parser.parse_args()
    nsets, nfiles = 20, 100 if args.quick else 2_500
    tmp = None if args.keep else tempfile.mkdtemp(prefix="dataward-bench-pushed-")
    base = args.keep.resolve() if args.keep else Path(tmp or "")
    # Compiled bytecode, as an installed package has, kept out of the source tree.
    ENV["PYTHONPYCACHEPREFIX"] = str(base / "pycache")
    server = S3Server().start()
    try:
        repo = base / f"registry-{nsets}x{nfiles}"
        build(repo, nsets, nfiles)
        point_at(repo, server)
        server.bucket(BUCKET)
        fill_s, how = fill(repo, server, args.fill, args.jobs)
        print(f"{how}: {nsets * (nfiles + 1)} objects in {fill_s:.1f} s", flush=True)
        status = sh(repo, DVC, "status", "-c", "--json").strip()
        if json.loads(status or "{}"):
            raise SystemExit(f"dvc status -c after filling is not in sync: {status[:300]}")
        deleted = delete_objects(server, manifests(repo))
        print(f"deleted {len(deleted)} file objects from {DAMAGED_SETS} datasets", flush=True)
        report(measure(repo, deleted, args.runs), deleted,
               f"{nsets} datasets x {nfiles} files ({nsets * (nfiles + 1)} objects), "
               f"{len(deleted)} deleted; {args.runs} runs each, median wall time; "
               f"dvc {sh(repo, DVC, '--version').strip()}, Python {sys.version.split()[0]}, "
               f"{os.cpu_count()} cores; bucket filled by {how} in {fill_s:.1f} s; "
               f"dataward from {where(repo)}; load average after {os.getloadavg()[0]:.1f}")
        return 0
    finally:
        server.stop()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def where(repo: Path) -> str:
    """The dataward the commands import (PYTHONPATH may point at a snapshot), and its commit."""
    code = "import dataward, os; print(os.path.dirname(os.path.dirname(dataward.__file__)))"
    path = subprocess.run([sys.executable, "-c", code], cwd=repo, env=ENV, capture_output=True,
                          text=True, check=True).stdout.strip()
    commit = subprocess.run(["git", "-C", path, "describe", "--always", "--dirty"], env=ENV,
                            capture_output=True, text=True, check=False).stdout.strip()
    return f"{path} ({commit or 'not a git checkout'})"


def fill(repo: Path, server: S3Server, how: str, jobs: int) -> tuple[float, str]:
    """Every object of the DVC cache into the bucket; (seconds, how)."""
    t0 = time.perf_counter()
    if how == "dvc":
        sh(repo, DVC, "push", "-q", "-j", str(jobs))
        return time.perf_counter() - t0, f"`dvc push -j {jobs}`"
    from concurrent.futures import ThreadPoolExecutor

    cache = repo / ".dvc" / "cache" / "files" / "md5"
    client = server.client()

    def put(path: Path) -> None:
        key = f"{PREFIX}/files/md5/{path.parent.name}/{path.name}"
        client.put_object(Bucket=BUCKET, Key=key, Body=path.read_bytes())

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(put, (p for p in cache.glob("*/*") if p.is_file())))
    return time.perf_counter() - t0, f"boto3 ({jobs} threads)"


def measure(repo: Path, deleted: dict[str, str], runs: int) -> dict[str, Any]:
    ours = [PUSHED, "--rev", "HEAD", "--no-cache", "--format", "json", "-v"]
    anchor = [DVC, "data", "status", "--not-in-remote", "--granular", "--json"]
    cold, data_status = timed(repo, [ours, anchor], runs)
    t0 = time.perf_counter()
    status_c = sh(repo, DVC, "status", "-c", "--json")
    status_c_s = time.perf_counter() - t0

    recheck = [PUSHED, "--rev", "HEAD", "-v"]
    sh_any(repo, *recheck)  # fills the presence cache (it remembers only what is present)
    (warm_missing,) = timed(repo, [recheck], runs)
    restore = sh_any(repo, PUSHED, "--rev", "HEAD", "--push", "-v")
    after = json.loads(sh(repo, *anchor) or "{}").get("not_in_remote", [])
    if any(p in deleted for p in after):
        raise SystemExit(f"dvc-pushed --push did not restore the objects: {restore}")
    (unchanged,) = timed(repo, [recheck], runs, ok=(0,))
    return {"cold": cold, "data_status": data_status, "status_c": (status_c_s, status_c),
            "warm_missing": warm_missing, "unchanged": unchanged}


def report(m: dict[str, Any], deleted: dict[str, str], header: str) -> None:
    cold, data_status = m["cold"], m["data_status"]
    status_c_s, status_c = m["status_c"]
    total = len(deleted)
    rows = [
        ("`dvc-pushed --rev HEAD --no-cache`", cold.median,
         recall_pushed(cold.stdout, deleted), cold.requests()),
        ("`dvc data status --not-in-remote --granular --json`", data_status.median,
         recall_data_status(data_status.stdout, deleted), ""),
        ("`dvc status -c` (1 run)", status_c_s, recall_status_c(status_c, deleted), ""),
    ]
    print(f"\n{header}\n")
    print("| command | median | vs dvc data status | recall | requests |")
    print("|---|---|---|---|---|")
    for name, seconds, (hits, note), requests in rows:
        print(f"| {name} | {seconds:.2f} s | {seconds / data_status.median:.2f}x | "
              f"{hits}/{total} = {hits / total:.2f}{' (' + note + ')' if note else ''} | "
              f"{requests} |")
    ratio = cold.median / data_status.median
    print(f"\nratio target <= 0.5x: {ratio:.2f}x ({'meets' if ratio <= 0.5 else 'MISSES'})\n")
    print("| re-check `dvc-pushed --rev HEAD`, presence cache warm | median | requests | "
          "target |")
    print("|---|---|---|---|")
    print(f"| {total} objects still missing | {m['warm_missing'].median:.3f} s | "
          f"{m['warm_missing'].requests()} | |")
    unchanged = m["unchanged"].median
    print(f"| unchanged, nothing missing | {unchanged:.3f} s | {m['unchanged'].requests()} | "
          f"<= 0.3 s ({'meets' if unchanged <= 0.3 else 'MISSES'}) |\n")
    for key in ("cold", "warm_missing", "unchanged"):
        res = m[key]
        found = VERBOSE.search(res.stderr)
        print(f"{key}: {found.group(0) if found else res.stderr.strip()}")


def sh_any(cwd: Path, *cmd: str) -> str:
    """Run a dataward command that may report findings (exit 1); its stderr."""
    proc = subprocess.run(cmd, cwd=cwd, env=ENV, capture_output=True, text=True, check=False)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}"
                         f"{proc.stderr}")
    return proc.stderr


if __name__ == "__main__":
    raise SystemExit(main())
