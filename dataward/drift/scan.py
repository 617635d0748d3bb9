"""Drift's scan: what is under a machine's dataset folder, judged against the registry's catalog.

It walks the root, hashes files exactly as DVC does (dataward.drift.hashing, on many threads
with a state cache so an unchanged re-scan hashes nothing: dataward.drift.hasher), reads
`.dir` manifests from a DVC cache under the root or the registry (or the remote, through
dvc), and hands each dataset to the pure judgement (dataward.drift.judge) for the report.
"""

from __future__ import annotations

import os
import posixpath
import socket
import threading
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, NamedTuple, cast

from dataward import __version__
from dataward.catalog.model import Catalog, Dataset
from dataward.drift import hasher, hashing
from dataward.drift import judge as judging
from dataward.drift.hasher import Progress
from dataward.drift.judge import Found, Hashed, copy_of, printable, summary
from dataward.drift.manifests import ManifestCache, fetch_manifests
from dataward.drift.model import DriftReport, NotExpected, Unregistered
from dataward.drift.selection import select
from dataward.formats.dvc_config import load as dvc_settings

if TYPE_CHECKING:
    from dataward.drift.head_start import HeadStart
    from dataward.drift.state_cache import HashState

# What a folder under the root can be named without being an ad-hoc dataset copy.
NOT_DATA = frozenset({".git", ".dvc", ".github", ".hg"})
KIND = {False: "md5", True: "md5-dos2unix"}  # dos2unix -> the hash kind DVC names


class Scan(NamedTuple):
    report: DriftReport
    stats: Mapping[str, int]  # files hashed, bytes hashed, files the state cache answered


class Plan(NamedTuple):
    kind: str  # "dir" or "file"
    path: str  # the dataset's (or the folder's) absolute path
    paths: list[str]  # the files to hash
    # dos2unix per hash kind to hash by: the dataset's own first, then the other kind its
    # older versions were recorded with (a history that mixes DVC 2 and DVC 3)
    rules: tuple[bool, ...]


Plans = dict[str, Plan]  # a dataset's name, or NUL and an unregistered folder's -> the plan
Hashes = dict[bool, Mapping[str, str | OSError]]  # dos2unix -> path -> md5, or why not


def scan(catalog: Catalog, env: str, root: str, *, jobs: int, state_file: str | None,
         cache_dirs: Sequence[str] = (), remote_root: str | None = None,
         progress: Progress | None = None, selection: Sequence[str] | None = None,
         head: HeadStart | None = None) -> Scan:
    """`cache_dirs`: DVC cache folders that may hold `.dir` manifests; `remote_root`: a DVC
    project whose remotes to fetch the manifests still missing from (needs dvc);
    `selection`: the `--datasets` globs, when this environment holds only those datasets
    (the others are listed as not expected, unhashed); `head`: the head start begun on the
    same root and state (dataward.drift.head_start), stopped here."""
    from dataward.drift.state_cache import HashState

    chosen = set(select([d.name for d in catalog.datasets], selection)) if selection else None
    expected = [d for d in catalog.datasets if chosen is None or d.name in chosen]

    root = os.path.abspath(root)
    if not os.path.isdir(root):
        from dataward.errors import CouldNotCheck

        raise CouldNotCheck(f"{root} is not a folder this machine can read",
                            "pass --root the folder where this machine keeps datasets")
    if head is not None:  # it opened the state and read the root's entries already
        state: HashState | None = head.stop()
        if state_file is None and not head.fresh:
            state = None  # --no-state, and nothing hashed ahead: no lookups to make
        loader = None
    else:
        state = HashState.load(state_file) if state_file else None
        # The state's entries for the root are read while the root is walked: SQLite and
        # the file system calls release the GIL, so on two cores the two overlap.
        loader = threading.Thread(target=state.preload, args=(root,), name="dataward-state",
                                  daemon=True) if state is not None else None
    if loader is not None:
        loader.start()
    plans, found, extra = _plan_root(catalog, expected, root)
    if loader is not None:
        loader.join()  # a preload that failed leaves one query per file: slower, as correct
    hashes, sizes, stats = _hash(plans, jobs, state, state_file, root, progress,
                                 head.fresh if head is not None else frozenset())
    for name, plan in plans.items():
        found[name] = _found(plan, hashes)
    own = os.path.join(root, ".dvc")  # the root is a DVC checkout: its cache, as DVC finds it
    manifests = ManifestCache([dvc_settings(own).cache_dir if os.path.isdir(own) else
                               os.path.join(own, "cache"), *cache_dirs])
    if remote_root:
        fetch_manifests(expected, found, manifests, remote_root)
    entries = [judging.judge(d, found[d.name], manifests) for d in expected]
    unregistered = _unregistered(catalog, extra, found, plans, hashes, sizes)
    return Scan(DriftReport(
        schema_version=1, generator=f"dataward {__version__}", env=env,
        host=socket.gethostname(), root=root, registry=catalog.registry,
        registry_commit=catalog.commit,
        time=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        selection=list(selection) if selection else None,
        summary=summary(entries, len(unregistered), len(catalog.datasets)), datasets=entries,
        not_expected=_not_expected(catalog, chosen, root), unregistered=unregistered), stats)


def _unregistered(catalog: Catalog, extra: Sequence[str], found: Mapping[str, Found],
                  plans: Plans, hashes: Hashes, sizes: Mapping[str, int]) -> list[Unregistered]:
    out = []
    for name in extra:
        f = found[f"\0{name}"]
        plan = plans.get(f"\0{name}")
        kept = [p for p in (plan.paths if plan else [])
                if not isinstance(hashes[False].get(p), OSError)]
        out.append(Unregistered(
            name=printable(name), size=sum(sizes.get(p, 0) for p in kept), nfiles=len(kept),
            actual_md5=f.md5, copy_of=copy_of(f, catalog), reason=f.reason or None))
    return out


def found_at(dataset: Dataset, path: str, *, jobs: int, state_file: str | None) -> Found:
    """What is at `path` (any path: a job's mount), hashed as a scan hashes `dataset`: by
    every kind of hash its versions use, through the state cache."""
    from dataward.drift.state_cache import HashState

    path = os.path.abspath(path)
    own = dataset.hash == "md5-dos2unix"
    rules = (own, *sorted({v.hash == "md5-dos2unix" for v in dataset.versions} - {own}))
    plans: Plans = {}
    found = _plan(dataset.name, path, rules, plans)
    if dataset.name not in plans:
        return found  # missing, or why it cannot be read
    state = HashState.load(state_file) if state_file else None
    if state is not None:
        state.preload(path)
    hashes, _, _ = _hash(plans, jobs, state, state_file, path, None, frozenset())
    return _found(plans[dataset.name], hashes)


def _not_expected(catalog: Catalog, chosen: set[str] | None, root: str) -> list[NotExpected]:
    """The datasets outside the selection, and whether something is at each one's path (a
    look, no hashing: a box may keep a stale copy of a dataset it is not meant to hold)."""
    if chosen is None:
        return []
    return [NotExpected(name=printable(d.name), version=d.current.version,
                        present=_inside(d.path) and os.path.lexists(
                            os.path.join(root, *d.path.split("/"))))
            for d in catalog.datasets if d.name not in chosen]


def _inside(path: str) -> bool:
    """A registry path that stays under the root (a crafted catalog may say otherwise)."""
    return not path.startswith(("../", "/")) and "/../" not in f"/{path}/"


def _plan_root(catalog: Catalog, expected: Sequence[Dataset], root: str
               ) -> tuple[Plans, dict[str, Found], list[str]]:
    """What to hash under the root: each expected dataset's files, by every kind of hash its
    versions use, and those of every folder at the top level or beside a dataset that is no
    registered dataset's (an ad-hoc copy, keyed by NUL and its path). Also what was found
    without hashing (missing, unreadable), and the paths of those folders."""
    plans: Plans = {}
    found: dict[str, Found] = {}
    for dataset in expected:
        path = os.path.join(root, *dataset.path.split("/"))
        if not _inside(dataset.path):
            found[dataset.name] = Found("error", reason="its path leaves the root")
            continue
        own = dataset.hash == "md5-dos2unix"
        rules = (own, *sorted({v.hash == "md5-dos2unix" for v in dataset.versions} - {own}))
        found[dataset.name] = _plan(dataset.name, path, rules, plans)
    extra = _beside(catalog, root)
    for name in extra:
        found[f"\0{name}"] = _plan(f"\0{name}", os.path.join(root, *name.split("/")),
                                    (False,), plans)
    return plans, found, extra


def _beside(catalog: Catalog, root: str) -> list[str]:
    """The folders that may be ad-hoc copies, as root-relative paths: those at the top level
    and those beside a dataset (`images/cats_old` beside `images/cats`) that are no dataset,
    hold none, are no link (a link is someone's) and hold no file git tracks (the registry
    checkout's own docs and cards)."""
    paths = {posixpath.normpath(d.path) for d in catalog.datasets if _inside(d.path)}
    paths.discard(".")
    owned = {"/".join(parts[:i]) for parts in (p.split("/") for p in paths)
             for i in range(1, len(parts) + 1)}  # the datasets and the folders above them
    tracked = _tracked_folders(root)
    out = []
    for parent in sorted({""} | {p.rpartition("/")[0] for p in paths}):
        folder = os.path.join(root, *parent.split("/")) if parent else root
        for name in _listdir(folder):
            rel = f"{parent}/{name}" if parent else name
            if (rel in owned or rel in tracked or name in NOT_DATA or name.startswith(".")
                    or os.path.islink(os.path.join(folder, name))
                    or not os.path.isdir(os.path.join(folder, name))):
                continue
            out.append(rel)
    return sorted(out)


def _hash(plans: Plans, jobs: int, state: HashState | None, state_file: str | None,
          root: str, progress: Progress | None, fresh: Collection[str]
          ) -> tuple[Hashes, Mapping[str, int], dict[str, int]]:
    """Every planned file's hash, each rule once per file, and its size; the state cache
    kept up to date (files gone from the root leave it). `fresh`: files a head start
    hashed already."""
    many = hasher.Hasher(jobs=jobs, state=state,
                         progress=progress.advance if progress else None, fresh=fresh)
    batches = []
    ask = state is not None and state.knows_under(root)
    for d2u in (False, True):
        wanted = sorted({p for plan in plans.values() if d2u in plan.rules for p in plan.paths})
        # stats all, answers the unchanged
        batches.append(many.look(wanted, dos2unix=d2u, ask=ask))
    if progress:
        # a dataset with DVC 2 and DVC 3 versions has its files read by both rules
        twice = {p for plan in plans.values() if len(plan.rules) > 1 for p in plan.paths}
        progress.start(sum(many.sizes.values()) + sum(many.sizes.get(p, 0) for p in twice),
                       len(many.sizes) + len(twice))
    hashes: Hashes = {batch.dos2unix: many.finish(batch) for batch in batches}
    if progress:
        progress.done()
    if state is not None and state.persistent:
        state.prune(state.touched, under=root)
        state.save()
    if state is not None:
        state.close()  # and the preloaded entries are freed before the report is built
        if state.problem:
            import sys

            from dataward.report.escape import terminal

            print(f"dataward drift: the hash cache {terminal(str(state_file))} is not in use "
                  f"({terminal(state.problem)}): every file was hashed", file=sys.stderr)
    stats = dict(many.stats)
    if all(b.results for b in batches):  # a file read by both rules is one file read
        stats.update(_counts(batches, hashes, fresh, many.sizes))
    return hashes, many.sizes, stats


def _counts(batches: Sequence[hasher.Batch], hashes: Hashes, fresh: Collection[str],
            sizes: Mapping[str, int]) -> dict[str, int]:
    """The scan's counts by file, not by read: read (by this scan, in either batch), could
    not be read, or answered by the state."""
    failed = {p for h in hashes.values() for p, v in h.items() if isinstance(v, OSError)}
    read = {p for b in batches for p in b.todo} | {p for p in fresh if p in sizes}
    read -= failed
    every = {p for b in batches for p in b.results}
    return {"hashed": len(read), "hashed_bytes": sum(sizes.get(p, 0) for p in read),
            "errors": len(failed), "cached": len(every - read - failed)}


def _plan(name: str, path: str, rules: tuple[bool, ...], plans: Plans) -> Found:
    try:
        if os.path.isdir(path):
            base = os.path.join(path, "")  # what os.path.join(path, *parts) puts first
            plans[name] = Plan("dir", path, [base + (r if os.sep == "/" else
                                                     r.replace("/", os.sep))
                                             for r in hashing.walk(path)], rules)
        elif os.path.isfile(path):
            plans[name] = Plan("file", path, [path], rules)
        elif os.path.lexists(path):
            return Found("error", reason=f"{path} is neither a file nor a folder")
        else:
            return Found("missing")
    except OSError as exc:
        return Found("error", reason=printable(f"{exc.strerror or exc}: {exc.filename or path}"))
    except ValueError as exc:  # a .dvcignore inside the dataset, as DVC refuses it
        return Found("error", reason=printable(str(exc)))
    return Found("missing")  # replaced once hashed


def _found(plan: Plan, hashes: Hashes) -> Found:
    """What the plan's files make, by the dataset's own kind of hash, with the other kind its
    versions use in `others`."""
    own, *more = plan.rules
    first = _found_by(plan.kind, plan.path, plan.paths, own, hashes)._replace(hash=KIND[own])
    if first.kind not in ("file", "dir"):
        return first
    others = {}
    for d2u in more:
        found = _found_by(plan.kind, plan.path, plan.paths, d2u, hashes)
        if found.kind != first.kind:
            return found if found.kind == "error" else first  # (a file changed between reads)
        others[KIND[d2u]] = Hashed(found.md5, found.files, found.dvc2_md5, found.dvc2_files)
    return first._replace(others=others) if others else first


def _found_by(kind: str, path: str, paths: Sequence[str], dos2unix: bool,
              hashes: Hashes) -> Found:
    hashed = hashes[dos2unix]
    errors = [(p, h) for p in paths if isinstance(h := hashed[p], OSError)]
    if errors:
        p, err = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        return Found("error", reason=printable(f"{err.strerror or err}: {p}{more}"))
    if kind == "file":
        h = hashed[path]
        return Found("file", md5=str(h), dvc2_md5=_dvc2(h))
    base = os.path.join(path, "")
    if os.path.normpath(path) == path and all(p.startswith(base) for p in paths):
        # the paths are `_plan`'s base + relpath: slicing is relpath's answer, 5x faster
        cut, sep = len(base), os.sep
        rel = {(p[cut:] if sep == "/" else p[cut:].replace(sep, "/")): hashed[p]
               for p in paths}
    else:
        rel = {os.path.relpath(p, path).replace(os.sep, "/"): hashed[p] for p in paths}
    if not rel:
        return Found("missing")  # an empty folder holds none of the data
    if not dos2unix:  # plain md5s (str): one rule, no DVC 2 variant
        files = cast("dict[str, str]", rel)
        return Found("dir", md5=hashing.dir_md5(files), files=files)
    files = {r: str(h) for r, h in rel.items()}
    old = {r: _dvc2(h) or str(h) for r, h in rel.items()}
    return Found("dir", md5=hashing.dir_md5(files), files=files,
                 dvc2_md5=hashing.dir_md5(old) if old != files else None,
                 dvc2_files=old if old != files else None)


def _dvc2(h: object) -> str | None:
    return getattr(h, "dvc2", None)


def _tracked_folders(root: str) -> set[str]:
    """The folders (root-relative, at any depth) git tracks files in, when the root is a
    registry checkout: cards, docs and the like are the registry's own, not ad-hoc copies."""
    if not os.path.exists(os.path.join(root, ".git")):
        return set()
    from dataward.adapters.git import tracked_paths

    # Another user's checkout is read all the same (git's safe.directory): else the
    # registry's own folders would look like ad-hoc copies.
    paths, problem = tracked_paths(root)
    if problem is not None:
        import sys

        from dataward.report.escape import terminal

        print(f"dataward drift: cannot list the files git tracks in {terminal(root)} "
              f"({terminal(problem)}); folders of the checkout may be listed as unregistered",
              file=sys.stderr)
    folders: set[str] = set()
    for p in paths:
        folder = p.rpartition("/")[0]
        while folder and folder not in folders:  # a folder seen had its parents added too
            folders.add(folder)
            folder = folder.rpartition("/")[0]
    return folders


def _listdir(root: str) -> list[str]:
    try:
        return os.listdir(root)
    except OSError:
        return []
