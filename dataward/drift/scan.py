"""Drift's scan: what is under a machine's dataset folder, judged against the registry's catalog.

It walks the root, hashes files exactly as DVC does (dataward.drift.hashing, on many threads
with a state cache so an unchanged re-scan hashes nothing: dataward.drift.hasher), reads
`.dir` manifests from a DVC cache under the root or the registry (or the remote, through
dvc), and hands each dataset to the pure judgement (dataward.drift.judge) for the report.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, NamedTuple, cast

from dataward import __version__
from dataward.adapters.files import read_given
from dataward.catalog.model import Catalog, Dataset
from dataward.drift import hasher, hashing
from dataward.drift import judge as judging
from dataward.drift.judge import Found, copy_of, printable, summary
from dataward.drift.model import DriftReport, NotExpected, Unregistered
from dataward.drift.selection import select
from dataward.formats.dvc_config import load as dvc_settings
from dataward.formats.manifest import MAX_MANIFEST, read_manifest

if TYPE_CHECKING:
    from dataward.drift.state_cache import HashState

# What a top-level name under the root can be without being an ad-hoc dataset copy.
NOT_DATA = frozenset({".git", ".dvc", ".github", ".hg"})


class Progress(NamedTuple):
    start: Callable[[int, int], None]  # total bytes, total files
    advance: Callable[[int, int], None]  # bytes, files done so far
    done: Callable[[], None]


class Scan(NamedTuple):
    report: DriftReport
    stats: Mapping[str, int]  # files hashed, bytes hashed, files the state cache answered


Plans = dict[str, tuple[str, list[str], bool]]  # name -> (kind, paths, dos2unix)
Hashes = dict[bool, Mapping[str, str | OSError]]  # dos2unix -> path -> md5, or why not


def scan(catalog: Catalog, env: str, root: str, *, jobs: int, state_file: str | None,
         cache_dirs: Sequence[str] = (), remote_root: str | None = None,
         progress: Progress | None = None, selection: Sequence[str] | None = None) -> Scan:
    """`cache_dirs`: DVC cache folders that may hold `.dir` manifests; `remote_root`: a DVC
    project whose remotes to fetch the manifests still missing from (needs dvc);
    `selection`: the `--datasets` globs, when this environment holds only those datasets
    (the others are listed as not expected, unhashed)."""
    from dataward.drift.state_cache import HashState

    chosen = set(select([d.name for d in catalog.datasets], selection)) if selection else None
    expected = [d for d in catalog.datasets if chosen is None or d.name in chosen]

    root = os.path.abspath(root)
    if not os.path.isdir(root):
        from dataward.errors import CouldNotCheck

        raise CouldNotCheck(f"{root} is not a folder this machine can read",
                            "pass --root the folder where this machine keeps datasets")
    state = HashState.load(state_file) if state_file else None
    # The state's entries for the root are read while the root is walked: SQLite and the
    # file system calls release the GIL, so on two cores the two overlap.
    loader = threading.Thread(target=state.preload, args=(root,), name="dataward-state",
                              daemon=True) if state is not None else None
    if loader is not None:
        loader.start()
    plans, found, extra = _plan_root(catalog, expected, root)
    if loader is not None:
        loader.join()  # a preload that failed leaves one query per file: slower, as correct
    hashes, sizes, stats = _hash(plans, jobs, state, state_file, root, progress)
    for name, (kind, paths, d2u) in plans.items():
        found[name] = _found(kind, os.path.join(root, *name.lstrip("\0").split("/")), paths,
                             d2u, hashes)
    own = os.path.join(root, ".dvc")  # the root is a DVC checkout: its cache, as DVC finds it
    manifests = ManifestCache([dvc_settings(own).cache_dir if os.path.isdir(own) else
                               os.path.join(own, "cache"), *cache_dirs])
    if remote_root:
        _fetch_manifests(expected, found, manifests, remote_root)
    entries = [judging.judge(d, found[d.name], manifests) for d in expected]
    unregistered = []
    for name in extra:
        f = found[f"\0{name}"]
        kept = [p for p in plans.get(f"\0{name}", ("", [], False))[1]
                if not isinstance(hashes[False].get(p), OSError)]
        unregistered.append(Unregistered(
            name=printable(name), size=sum(sizes.get(p, 0) for p in kept), nfiles=len(kept),
            actual_md5=f.md5, copy_of=copy_of(f, catalog), reason=f.reason or None))
    return Scan(DriftReport(
        schema_version=1, generator=f"dataward {__version__}", env=env,
        host=socket.gethostname(), root=root, registry=catalog.registry,
        registry_commit=catalog.commit,
        time=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        selection=list(selection) if selection else None,
        summary=summary(entries, len(unregistered), len(catalog.datasets)), datasets=entries,
        not_expected=_not_expected(catalog, chosen, root), unregistered=unregistered), stats)


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
    """What to hash under the root: each expected dataset's files, and those of every folder
    there that is no registered dataset's (an ad-hoc copy, keyed by NUL and its name). Also
    what was found without hashing (missing, unreadable), and the names of those folders."""
    plans: Plans = {}
    found: dict[str, Found] = {}
    for dataset in expected:
        path = os.path.join(root, *dataset.path.split("/"))
        if not _inside(dataset.path):
            found[dataset.name] = Found("error", reason="its path leaves the root")
            continue
        found[dataset.name] = _plan(dataset.name, path, dataset.hash == "md5-dos2unix",
                                    plans)
    owned = {d.path.split("/")[0] for d in catalog.datasets} | _tracked_folders(root)
    extra = sorted(n for n in _listdir(root) if n not in owned and n not in NOT_DATA
                   and not n.startswith(".") and os.path.isdir(os.path.join(root, n))
                   and not os.path.islink(os.path.join(root, n)))  # a link is someone's
    for name in extra:
        found[f"\0{name}"] = _plan(f"\0{name}", os.path.join(root, name), False, plans)
    return plans, found, extra


def _hash(plans: Plans, jobs: int, state: HashState | None, state_file: str | None,
          root: str, progress: Progress | None) -> tuple[Hashes, Mapping[str, int],
                                                         dict[str, int]]:
    """Every planned file's hash, each rule once per file, and its size; the state cache
    kept up to date (files gone from the root leave it)."""
    many = hasher.Hasher(jobs=jobs, state=state,
                         progress=progress.advance if progress else None)
    batches = []
    for d2u in (False, True):
        wanted = sorted({p for _, paths, flag in plans.values() if flag == d2u for p in paths})
        batches.append(many.look(wanted, dos2unix=d2u))  # stats all, answers the unchanged
    if progress:
        progress.start(sum(many.sizes.values()), len(many.sizes))
    hashes: Hashes = {batch.dos2unix: many.finish(batch) for batch in batches}
    if progress:
        progress.done()
    if state is not None:
        state.prune(state.touched, under=root)
        state.save()
        state.close()  # and the preloaded entries are freed before the report is built
        if state.problem:
            import sys

            from dataward.report.escape import terminal

            print(f"dataward drift: the hash cache {terminal(str(state_file))} is not in use "
                  f"({terminal(state.problem)}): every file was hashed", file=sys.stderr)
    return hashes, many.sizes, dict(many.stats)


def _plan(name: str, path: str, dos2unix: bool, plans: Plans) -> Found:
    try:
        if os.path.isdir(path):
            base = os.path.join(path, "")  # what os.path.join(path, *parts) puts first
            plans[name] = ("dir", [base + (r if os.sep == "/" else r.replace("/", os.sep))
                                   for r in hashing.walk(path)], dos2unix)
        elif os.path.isfile(path):
            plans[name] = ("file", [path], dos2unix)
        elif os.path.lexists(path):
            return Found("error", reason=f"{path} is neither a file nor a folder")
        else:
            return Found("missing")
    except OSError as exc:
        return Found("error", reason=printable(f"{exc.strerror or exc}: {exc.filename or path}"))
    except ValueError as exc:  # a .dvcignore inside the dataset, as DVC refuses it
        return Found("error", reason=printable(str(exc)))
    return Found("missing")  # replaced once hashed


def _found(kind: str, path: str, paths: Sequence[str], dos2unix: bool,
           hashes: Hashes) -> Found:
    results = {p: hashes[dos2unix][p] for p in paths}
    errors = [(p, h) for p, h in results.items() if isinstance(h, OSError)]
    if errors:
        p, err = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        return Found("error", reason=printable(f"{err.strerror or err}: {p}{more}"))
    if kind == "file":
        h = results[path]
        return Found("file", md5=str(h), dvc2_md5=_dvc2(h))
    base = os.path.join(path, "")
    if os.path.normpath(path) == path and all(p.startswith(base) for p in results):
        # the paths are `_plan`'s base + relpath: slicing is relpath's answer, 5x faster
        cut, sep = len(base), os.sep
        rel = {(p[cut:] if sep == "/" else p[cut:].replace(sep, "/")): h
               for p, h in results.items()}
    else:
        rel = {os.path.relpath(p, path).replace(os.sep, "/"): h for p, h in results.items()}
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


class ManifestCache:
    """`.dir` manifests by hash: from DVC cache folders (DVC 3 and 2 layouts), read once each,
    or stored after a fetch from the remote."""

    def __init__(self, cache_dirs: Sequence[str]) -> None:
        self.cache_dirs = list(cache_dirs)
        self.known: dict[str, Mapping[str, str] | None] = {}

    def __call__(self, md5: str) -> Mapping[str, str] | None:
        if md5 not in self.known:
            self.known[md5] = None
            for folder in self.cache_dirs:
                for sub in (("files", "md5"), ()):
                    try:  # a regular file only (a FIFO in a shared cache must not hang)
                        found = read_manifest(read_given(
                            os.path.join(folder, *sub, md5[:2], md5[2:]), MAX_MANIFEST), md5)
                    except OSError:
                        continue
                    if found is not None:
                        self.known[md5] = found
                        return found
        return self.known[md5]

    def store(self, md5: str, manifest: Mapping[str, str]) -> None:
        self.known[md5] = manifest


def _fetch_manifests(datasets: Sequence[Dataset], found: Mapping[str, Found],
                     manifests: ManifestCache, project: str) -> None:
    """`.dir` manifests no local cache holds, for directories that match no version, read
    from the DVC remote (the registry's, through dvc): the changed files need them."""
    from dataward.formats.dvcfile import object_key

    wanted: dict[str | None, set[tuple[str, bool]]] = {}
    for d in datasets:
        f = found[d.name]
        if f.kind != "dir" or any(f.is_(v.md5) for v in d.versions) or d.imported:
            continue
        for v in d.versions:
            if v.md5.endswith(".dir") and manifests(v.md5) is None:
                wanted.setdefault(d.remote, set()).add((v.md5, d.hash == "md5-dos2unix"))
    import importlib.util
    import sys

    if wanted and importlib.util.find_spec("dvc") is None:
        print("dataward drift: changed folders are reported without which files changed: their "
              "manifests are in no local DVC cache, and reading them from the remote needs dvc "
              "(pip install 'dataward[dvc]')", file=sys.stderr)
        return
    for remote_name, objects in wanted.items():
        try:
            from dataward.adapters.dvc import open_remote

            remote = open_remote(project, remote_name, timeout=30, jobs=8)
            keys = {object_key(md5, legacy): md5 for md5, legacy in objects}
            for key, data in remote.read(sorted(keys)).items():
                files = read_manifest(data, keys[key]) if data is not None else None
                if files is not None:
                    manifests.store(keys[key], files)
        except Exception as exc:
            from dataward.formats.urls import mask_text
            from dataward.report.escape import terminal

            said = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
            print(f"dataward drift: could not read manifests from remote "
                  f"{terminal(remote_name or '(default)')}: {terminal(mask_text(said))}",
                  file=sys.stderr)


def _tracked_folders(root: str) -> set[str]:
    """Top-level folders git tracks files in, when the root is a registry checkout: cards,
    docs and the like are the registry's own, not ad-hoc copies of data."""
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
    return {p.split("/")[0] for p in paths if "/" in p}


def _listdir(root: str) -> list[str]:
    try:
        return os.listdir(root)
    except OSError:
        return []
