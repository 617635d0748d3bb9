"""Benchmark for `dataward catalog build`, side by side with the git loop a lab would write.

    .venv/bin/python bench/catalog.py                       # 500 datasets x 20 versions, 5 runs
    .venv/bin/python bench/catalog.py --workdir /tmp/cat    # keep the registry for reuse
    .venv/bin/python bench/catalog.py --datasets 50 --versions 5 --runs 3   # a quick check

Scenario (target from the issue: 500 datasets x 20 versions, build <= 5 s): a registry made
with `git fast-import` in DVC 3's format, exactly as `dvc add` writes it (no DVC needed),
with `.dvc/config` naming an S3 default remote, a card beside every `.dvc` file and a
`.gitignore` entry per output. Every dataset gets --versions versions (a commit each, one
`.dvc` file changed, the datasets interleaved at random with a fixed seed), some datasets
live in nested folders, five `.dvc` files are moved with `git mv` (with their cards) halfway
through their history, and one dataset is removed (`dvc remove`) after its last version.

  1. `dataward catalog build -o FILE` (the console script), once to warm caches and compile
     bytecode, then --runs times: median wall time.
  2. The anchor, run once: for each `.dvc` file at HEAD, `git log --follow --name-status`
     for its commits (and its path at each), then `git show <commit>:<path>` per commit to
     read the md5 with a regex, kept when it changed. A loop of subprocess calls, in this
     process. If it runs past --cap seconds it stops and its time is extrapolated from the
     datasets it finished (said so in the output; the order is random, the moved ones first).
  3. Both must give the same versions (md5 and commit, oldest first) for every dataset the
     anchor finished. The history is linear, so dataward's first-parent walk and `git log
     --follow` see the same commits. One difference is allowed and counted: `--follow` may
     take a new `.dvc` file for a copy (status C) of an older, similar one and list that
     one's versions first (the loop is wrong there; dataward's must equal the rest).
  4. Where the time goes: the phases of one build timed in one process (dataward's own
     functions wrapped with a timer; median of 3), the two git commands alone, and
     `python -X importtime`.

The registry is built in a temporary folder and removed afterwards; with --workdir DIR it is
built in DIR once and reused by later runs of the same size. Python runs with compiled
bytecode, as from an installed package: PYTHONDONTWRITEBYTECODE is dropped and
PYTHONPYCACHEPREFIX points into the work folder.
"""

from __future__ import annotations

import argparse
import hashlib
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
from collections.abc import Mapping, Sequence
from pathlib import Path

import benchlib

BIN = Path(sys.executable).parent
DATAWARD = str(BIN / "dataward")
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV |= {"GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@b",
        "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@b"}
GENERATOR = "catalog-bench 3"  # bump when the generated registry changes
SEED = 20261122
TARGET_S = 5.0
RENAMED, REMOVED = 5, 1

FOLDERS = ["", "images", "images/medical", "audio", "text", "text/corpora/en",
           "text/corpora/ja", "tabular", "tabular/sensors/2024", "video"]
KINDS = ["photos", "scans", "recordings", "corpus", "logs", "frames", "labels", "survey"]
PEOPLE = [("Ada Lovelace", "ada@lab.example", "+0000"), ("Taro Yamada", "taro@lab.example",
          "+0900"), ("Grace Hopper", "grace@lab.example", "-0500"),
          ("Hanako Sato", "hanako@lab.example", "+0900"), ("Alan Turing", "alan@lab.example",
          "+0100"), ("Lab Bot", "bot@lab.example", "+0000")]
CONFIG = (b"[core]\n    remote = storage\n['remote \"storage\"']\n"
          b"    url = s3://lab-datasets/dvcstore\n")
SECTIONS = ("Motivation", "Composition", "Collection process", "Preprocessing", "Uses",
            "Distribution", "Maintenance")


# -- the registry -----------------------------------------------------------------------------

def git(repo: Path, *args: str, stdin: bytes | None = None) -> bytes:
    return subprocess.run(["git", *args], cwd=repo, input=stdin, env=ENV, check=True,
                          capture_output=True).stdout


def dvcfile(d: int, version: int, name: str) -> bytes:
    """Version `version` of dataset d, as DVC 3 writes it (a folder, or one file in five)."""
    md5 = hashlib.md5(f"{d}/{version}".encode()).hexdigest()
    size = 10_000_000 + d * 7919 + version * 123_457
    if d % 5 == 4:
        return f"outs:\n- md5: {md5}\n  size: {size}\n  hash: md5\n  path: {name}\n".encode()
    return (f"outs:\n- md5: {md5}.dir\n  size: {size}\n  nfiles: {100 + d % 37 + version * 3}\n"
            f"  hash: md5\n  path: {name}\n").encode()


def card(d: int, name: str) -> bytes:
    person = PEOPLE[d % len(PEOPLE)]
    body = "".join(f"\n## {s}\n\nA few sentences about {s.lower()}.\n" for s in SECTIONS)
    return (f"---\npretty_name: {name.replace('_', ' ').title()}\nlicense: cc-by-4.0\n"
            f"size_categories:\n- n<1K\nmaintainers:\n- name: {person[0]}\n"
            f"  email: {person[1]}\nsource: https://lab.example/data/{name}\n"
            f"tags:\n- {KINDS[d % len(KINDS)]}\n---\n\n# {name}\n\n"
            f"Dataset {d} of the lab, collected for study {d % 17}.\n{body}").encode()


def layout(d: int) -> tuple[str, str]:
    """(folder, output name) of dataset d."""
    name = f"{KINDS[d % len(KINDS)]}_{d:04d}" + (".csv" if d % 5 == 4 else "")
    return FOLDERS[d % len(FOLDERS)], name


def join(folder: str, name: str) -> str:
    return f"{folder}/{name}" if folder else name


def stem(name: str) -> str:
    return name.removesuffix(".csv")


def events(ndatasets: int, nversions: int) -> list[tuple[str, int]]:
    """("version", d) per version, interleaved at random; a "move" halfway through each moved
    dataset's history and a "remove" after the removed one's last version."""
    rng = random.Random(SEED)
    order = [d for d in range(ndatasets) for _ in range(nversions)]
    rng.shuffle(order)
    moved = set(rng.sample(range(ndatasets), RENAMED))
    removed = rng.choice([d for d in range(ndatasets) if d not in moved])
    seen = [0] * ndatasets
    out: list[tuple[str, int]] = []
    for d in order:
        seen[d] += 1
        out.append(("version", d))
        if d in moved and seen[d] == nversions // 2:
            out.append(("move", d))
        if d == removed and seen[d] == nversions:
            out.append(("remove", d))
    return out


def build(repo: Path, ndatasets: int, nversions: int) -> None:
    """The registry, with one `git fast-import`; reused when built before with these sizes."""
    want = f"{GENERATOR} {ndatasets}x{nversions}"
    if benchlib.reusable(repo, "bench-catalog", want):
        return
    t0 = time.perf_counter()
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True, env=ENV)
    rng = random.Random(SEED + 1)
    when = 1_640_995_200  # 2022-01-01
    chunks: list[bytes] = []
    ignores: dict[str, list[str]] = {}
    where = {d: layout(d) for d in range(ndatasets)}  # folder, output name (moves change it)
    version = [0] * ndatasets

    def commit(who: int, message: str, files: Mapping[str, bytes | None],
               moves: Sequence[tuple[str, str]] = ()) -> None:
        nonlocal when
        when += rng.randrange(300, 14_400)
        name, email, tz = PEOPLE[who % len(PEOPLE)]
        msg = message.encode()
        chunks.append(f"commit refs/heads/main\nauthor {name} <{email}> {when} {tz}\n"
                      f"committer {name} <{email}> {when} {tz}\ndata {len(msg)}\n".encode()
                      + msg + b"\n")
        for old, new in moves:
            chunks.append(f"R {old} {new}\n".encode())
        for path, content in files.items():
            if content is None:
                chunks.append(f"D {path}\n".encode())
            else:
                chunks.append(f"M 100644 inline {path}\ndata {len(content)}\n".encode()
                              + content + b"\n")
        chunks.append(b"\n")

    def gitignore(folder: str) -> tuple[str, bytes | None]:
        lines = ignores.get(folder, [])
        return join(folder, ".gitignore"), "".join(lines).encode() if lines else None

    commit(0, "dvc init", {".dvc/config": CONFIG, ".dvc/.gitignore": b"/config.local\n/tmp\n"
                           b"/cache\n", ".dvcignore": b"# DVC ignore file\n",
                           "README.md": b"# datasets\n\nThe lab's dataset registry.\n"})
    for what, d in events(ndatasets, nversions):
        folder, name = where[d]
        path = join(folder, f"{stem(name)}.dvc")
        if what == "version":
            version[d] += 1
            files: dict[str, bytes | None] = {path: dvcfile(d, version[d], name)}
            if version[d] == 1:
                files[join(folder, f"{stem(name)}.card.md")] = card(d, name)
                ignores.setdefault(folder, []).append(f"/{name}\n")
                files.update([gitignore(folder)])
                message = f"Add {join(folder, name)}"
            else:
                message = f"Update {join(folder, name)}: v{version[d]}"
            commit(d * 7 + version[d], message, files)
        elif what == "move":  # git mv of the .dvc file and its card, into an archive folder
            new = join("archive", folder)
            where[d] = (new, name)
            ignores[folder].remove(f"/{name}\n")
            ignores.setdefault(new, []).append(f"/{name}\n")
            commit(d, f"Move {join(folder, name)} to {new}/",
                   dict([gitignore(folder), gitignore(new)]),
                   [(path, join(new, f"{stem(name)}.dvc")),
                        (join(folder, f"{stem(name)}.card.md"),
                         join(new, f"{stem(name)}.card.md"))])
        else:  # dvc remove: the .dvc file, its .gitignore entry; the card goes too
            ignores[folder].remove(f"/{name}\n")
            commit(d, f"Remove {join(folder, name)}",
                   {path: None, join(folder, f"{stem(name)}.card.md"): None,
                    **dict([gitignore(folder)])})
    git(repo, "fast-import", "--quiet", stdin=b"".join(chunks))
    git(repo, "reset", "-q", "--hard", "main")
    git(repo, "gc", "-q")  # packed, as a clone is
    ncommits = int(git(repo, "rev-list", "--count", "HEAD"))
    benchlib.built(repo, "bench-catalog", want)
    print(f"built {repo}: {ncommits} commits in {time.perf_counter() - t0:.1f} s", flush=True)


# -- the anchor: what a lab would script ------------------------------------------------------

MD5 = re.compile(r"md5: ([0-9a-f]{32}(?:\.dir)?)")


def git_loop(repo: Path, dvcfiles: Sequence[str], cap: float
             ) -> tuple[dict[str, list[tuple[str, str, str]]], float]:
    """Each `.dvc` file's versions [(md5, commit, status)], oldest first, by `git log --follow`
    and `git show` per commit; stops after `cap` seconds. (versions, seconds)."""
    def run(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=repo, env=ENV, capture_output=True,
                              text=True, check=True).stdout

    found: dict[str, list[tuple[str, str, str]]] = {}
    t0 = time.perf_counter()
    for dvcfile in dvcfiles:
        log = run("log", "--follow", "--name-status", "--format=%x01%H%x00%aI%x00%an%x00%s",
                  "--", dvcfile)
        history = []
        for record in log.split("\x01")[1:]:
            meta, _, names = record.partition("\n")
            sha, date, author, subject = meta.split("\x00")
            status, *paths = names.strip().splitlines()[-1].split("\t")
            history.append((sha, paths[-1], status, date, author, subject))
        versions: list[tuple[str, str, str]] = []
        for sha, path, status, *_ in reversed(history):
            m = MD5.search(run("show", f"{sha}:{path}"))
            if m and (not versions or versions[-1][0] != m.group(1)):
                versions.append((m.group(1), sha, status))
        found[dvcfile] = versions
        if time.perf_counter() - t0 > cap:
            break
    return found, time.perf_counter() - t0


def compare(ours: dict[str, list[tuple[str, str]]],
            anchor: dict[str, list[tuple[str, str, str]]]) -> list[str]:
    """Datasets whose versions differ only because `git log --follow` took a new file for a
    copy of an older, similar one (status C) and went on into that file's history; any other
    difference stops the benchmark."""
    borrowed = []
    for dvcfile, versions in anchor.items():
        pairs = [(md5, sha) for md5, sha, _ in versions]
        if ours.get(dvcfile) == pairs:
            continue
        copied = [i for i, (_, _, status) in enumerate(versions) if status.startswith("C")]
        if copied and ours.get(dvcfile) == pairs[copied[-1]:]:
            borrowed.append(dvcfile)
            continue
        raise SystemExit(f"{dvcfile} differs:\n  dataward {ours.get(dvcfile)}\n"
                         f"  git loop {versions}")
    return borrowed


# -- timing -----------------------------------------------------------------------------------

def timed(cmd: Sequence[str], cwd: Path, runs: int) -> list[float]:
    """Wall times of `runs` runs after one warm-up."""
    times = []
    for i in range(runs + 1):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=cwd, env=ENV, capture_output=True, text=True)
        elapsed = time.perf_counter() - t0
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}"
                             f"{proc.stderr}")
        if i:
            times.append(elapsed)
    return times


PHASES = benchlib.PHASE_TIMER + """
import json, sys, time
from dataward.catalog import build as catalog
from dataward.adapters import git
for owner, name, label in [
        (git.Repo, "first_parent_history", "git log + parse"),
        (git.Repo, "tree_files", "tree at HEAD"),
        (git.Repo, "object_heads", "cat-file --batch + read"),
        (catalog, "read", "parse .dvc files"),
        (catalog, "versions", "versions from history"),
        (catalog, "_cards", "cards"),
        (catalog, "build", "build (all of the above and the models)"),
        (catalog, "to_json", "to_json")]:
    timer(owner, name, label)
from dataward.cli import main
t0 = time.perf_counter()
code = main(["catalog", "build", "-o", sys.argv[1]])
spent["main (in process)"] = time.perf_counter() - t0
print(json.dumps(spent))
"""


def phases(repo: Path, out: Path, runs: int = 3) -> dict[str, float]:
    """Median seconds of each phase over `runs` in-process builds (imports excluded)."""
    seen: dict[str, list[float]] = {}
    for _ in range(runs):
        proc = subprocess.run([sys.executable, "-c", PHASES, str(out)], cwd=repo, env=ENV,
                              capture_output=True, text=True, check=True)
        for label, s in json.loads(proc.stdout.strip().splitlines()[-1]).items():
            seen.setdefault(label, []).append(s)
    return {label: statistics.median(s) for label, s in seen.items()}


def git_floor(repo: Path, runs: int) -> tuple[float, float]:
    """Median seconds of the two git commands the build is made of, output discarded."""
    log = ("git log --first-parent --diff-merges=first-parent --reverse -z --raw --no-abbrev "
           "-M --format=%x01%H%x00%aI%x00%an%x00%s HEAD -- '*.dvc' > /dev/null")
    oids = set(re.findall(r" ([0-9a-f]{40}) [AMR]", git(
        repo, "log", "--first-parent", "--raw", "--no-abbrev", "-M", "--format=", "HEAD", "--",
        "*.dvc").decode()))
    (repo / ".git" / "bench-oids").write_text("\n".join(sorted(oids)) + "\n")
    batch = "git cat-file --batch < .git/bench-oids > /dev/null"
    return (statistics.median(timed(["sh", "-c", log], repo, runs)),
            statistics.median(timed(["sh", "-c", batch], repo, runs)))


def import_time(repo: Path, out: Path) -> tuple[float, list[tuple[str, float]]]:
    """Total import seconds of one build (interpreter start-up included), and the heaviest
    third-party packages."""
    proc = subprocess.run([sys.executable, "-X", "importtime", DATAWARD, "catalog", "build",
                           "-o", str(out)], cwd=repo, env=ENV, capture_output=True, text=True,
                          check=True)
    total, packages = 0, dict[str, int]()
    for cumulative, depth, name in benchlib.import_rows(proc.stderr):
        if depth == 1:
            total += cumulative
        root = name.split(".")[0]
        if "." not in name and root != "dataward" and root not in sys.stdlib_module_names \
                and not root.startswith("__editable__"):
            packages[root] = max(packages.get(root, 0), cumulative)
    heavy = sorted(packages.items(), key=lambda kv: -kv[1])[:4]
    return total / 1e6, [(k, v / 1e6) for k, v in heavy]


# -- main -------------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=int, default=500)
    parser.add_argument("--versions", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cap", type=float, default=300.0,
                        help="seconds after which the git loop stops and is extrapolated "
                             "(default: 300)")
    parser.add_argument("--workdir", metavar="DIR", type=Path,
                        help="build the registry in DIR, or reuse the one built there")
    args = parser.parse_args()
    if args.datasets < 2 * (RENAMED + REMOVED) or args.versions < 2:
        parser.error("--datasets must be at least 12 and --versions at least 2")
    tmp = None if args.workdir else tempfile.mkdtemp(prefix="dataward-bench-catalog-")
    base = args.workdir.resolve() if args.workdir else Path(tmp or "")
    base.mkdir(parents=True, exist_ok=True)
    ENV["PYTHONPYCACHEPREFIX"] = str(base / "pycache")
    try:
        repo = base / f"registry-{args.datasets}x{args.versions}"
        build(repo, args.datasets, args.versions)
        load0 = os.getloadavg()[0]
        out = base / "catalog.json"
        times = timed([DATAWARD, "catalog", "build", "-o", str(out)], repo, args.runs)
        catalog = json.loads(out.read_text())
        ours = {d["dvc_file"]: [(v["md5"], v["commit"]) for v in d["versions"]]
                for d in catalog["datasets"]}
        nversions = sum(map(len, ours.values()))

        dvcfiles = git(repo, "ls-files", "*.dvc").decode().split()
        moved = [f for f in dvcfiles if f.startswith("archive/")]
        rest = [f for f in dvcfiles if f not in moved]
        random.Random(SEED).shuffle(rest)  # a random subset, should the cap stop it
        anchor, anchor_s = git_loop(repo, moved + rest, args.cap)
        done = len(anchor)
        full = anchor_s * len(dvcfiles) / done
        borrowed = compare(ours, anchor)

        spent = phases(repo, out)
        log_s, batch_s = git_floor(repo, args.runs)
        imports, heavy = import_time(repo, out)

        median = statistics.median(times)
        load = f"{load0:.1f} before, {os.getloadavg()[0]:.1f} after"
        ncommits = int(git(repo, "rev-list", "--count", "HEAD"))
        git_version = git(repo, "--version").decode().strip()
        print(f"\n{len(dvcfiles)} datasets at HEAD, {nversions} versions, {ncommits} commits "
              f"({len(moved)} moved, 1 removed); {git_version}, Python "
              f"{sys.version.split()[0]}, {os.cpu_count()} cores, load average "
              f"{load}\n")
        print("| command | wall time | ratio | target |")
        print("|---|---|---|---|")
        verdict = "met" if median <= TARGET_S else "MISSED"
        print(f"| `dataward catalog build`, median of {args.runs} | {median:.2f} s "
              f"(runs {', '.join(f'{t:.2f}' for t in sorted(times))}) | "
              f"{median / full:.3f}x | <= {TARGET_S:.0f} s ({verdict}) |")
        how = ("1 run" if done == len(dvcfiles) else
               f"1 run, stopped at the {args.cap:g} s cap after {done} of {len(dvcfiles)} "
               f"datasets ({anchor_s:.1f} s), extrapolated")
        print(f"| git loop (`git log --follow` + `git show` per version), {how} | "
              f"{full:.1f} s | 1.00x | |")
        same = done - len(borrowed)
        print(f"\nsame versions (md5 and commit, oldest first) for {same} of the {done} "
              f"datasets the git loop read ({len(moved)} moved ones among them)"
              + (f"; for {len(borrowed)} the loop is wrong: `git log --follow` took the new "
                 ".dvc file for a copy of an older, similar one and put that one's versions "
                 "before dataward's, which follow them unchanged: "
                 f"{', '.join(borrowed[:5])}" if borrowed else "") + "\n")
        print("phases of one build, in process, median of 3 (s):")
        for label, s in spent.items():
            print(f"  {label:42s} {s:6.3f}")
        print(f"git alone, median of {args.runs}: log {log_s:.3f} s, cat-file --batch "
              f"{batch_s:.3f} s")
        print(f"imports (-X importtime, one run): {imports:.3f} s; heaviest "
              + ", ".join(f"{k} {v:.3f} s" for k, v in heavy))
        return 0
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
