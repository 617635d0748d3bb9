"""Drift: which version of each registry dataset is really under a machine's dataset folder.

`judge` is pure: a dataset's versions, what was found on disk, and the versions' manifests in;
one report entry out. `scan` is the adapter: it walks the root, hashes files exactly as DVC
does (dataward.drift.hashing, with a state cache so an unchanged re-scan hashes nothing) and
reads `.dir` manifests from a DVC cache under the root or the registry.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, NamedTuple

from dataward import __version__
from dataward.catalog.model import Catalog, Dataset, Version
from dataward.drift import hashing as dvc_hash
from dataward.drift.model import (
    STATUSES,
    Changes,
    CopyOf,
    DriftReport,
    Entry,
    Status,
    Summary,
    Unregistered,
)
from dataward.formats.dvc_config import load as dvc_settings
from dataward.formats.dvcfile import read_manifest

# What a top-level name under the root can be without being an ad-hoc dataset copy.
NOT_DATA = frozenset({".git", ".dvc", ".github", ".hg"})


class Found(NamedTuple):
    """What is on disk at a dataset's path."""

    kind: str  # "missing", "file", "dir", "error"
    md5: str | None = None  # a file's md5, or a directory's `<md5>.dir`
    files: Mapping[str, str] | None = None  # a directory's relpath -> md5
    reason: str = ""
    # DVC 1.x/2.x judged text once per file, DVC 3 per 1 MiB chunk: for a DVC 2 output whose
    # files hash differently under the two rules, what DVC 2 would have recorded.
    dvc2_md5: str | None = None
    dvc2_files: Mapping[str, str] | None = None

    def is_(self, md5: str) -> bool:
        return md5 in (self.md5, self.dvc2_md5)

    def shown(self, md5: str) -> str | None:
        """The hash to report: the one that matched `md5`, else DVC 3's."""
        return md5 if self.is_(md5) else self.md5


Manifests = Callable[[str], Mapping[str, str] | None]  # `<md5>.dir` -> relpath -> md5


def judge(dataset: Dataset, found: Found, manifests: Manifests) -> Entry:
    current = dataset.current
    if found.kind == "missing":
        return _entry(dataset, "missing", None)
    if found.kind == "error":
        return _entry(dataset, "not_checked", None, reason=found.reason)
    if found.is_(dataset.md5):
        return _entry(dataset, "in_sync", dataset.md5)
    older = next((v for v in reversed(dataset.versions[:-1]) if found.is_(v.md5)), None)
    if older is not None:
        return _entry(dataset, "behind", older.md5, matched_version=older.version,
                      matched_date=older.date, versions_behind=current.version - older.version)
    if found.kind == "file" or found.files is None:
        return _entry(dataset, "modified", found.md5, nearest_version=current.version,
                      changes=Changes(added=[], removed=[], modified=[dataset.name]))
    return _nearest(dataset, found, manifests)


def _entry(dataset: Dataset, status: Status, actual: str | None, **extra: Any) -> Entry:
    return Entry(name=dataset.name, status=status, expected_md5=dataset.md5,
                 expected_version=dataset.current.version, actual_md5=actual, **extra)


def _nearest(dataset: Dataset, found: Found, manifests: Manifests) -> Entry:
    """A directory that matches no version: partial when every file present matches one
    version (newest first), else modified against the version it differs least from."""
    assert found.files is not None
    best: tuple[int, Version, Changes] | None = None
    for version in reversed(dataset.versions):
        manifest = manifests(version.md5) if version.md5.endswith(".dir") else None
        if manifest is None:
            continue
        changes = min((diff(manifest, files) for files in (found.files, found.dvc2_files)
                       if files is not None), key=_count)
        if not changes.added and not changes.modified and changes.removed:
            return _entry(dataset, "partial", found.md5, nearest_version=version.version,
                          changes=changes)
        if best is None or _count(changes) < best[0]:
            best = (_count(changes), version, changes)
    if best is None:
        return _entry(dataset, "modified", found.md5,
                      reason="no version's .dir manifest is in a DVC cache here or could be "
                             "read from the remote, so the changed files are unknown")
    return _entry(dataset, "modified", found.md5, nearest_version=best[1].version,
                  changes=best[2])


def _count(changes: Changes) -> int:
    return len(changes.added) + len(changes.removed) + len(changes.modified)


def diff(manifest: Mapping[str, str], files: Mapping[str, str]) -> Changes:
    return Changes(added=sorted(map(_shown, set(files) - set(manifest))),
                   removed=sorted(map(_shown, set(manifest) - set(files))),
                   modified=sorted(_shown(p) for p in files.keys() & manifest.keys()
                                   if files[p] != manifest[p]))


def _shown(text: str) -> str:
    """A name as it can be reported: bytes that are not UTF-8 as backslash escapes."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def copy_of(found: Found, catalog: Catalog) -> CopyOf | None:
    """The dataset version whose hash this is (an ad-hoc copy of a registered dataset)."""
    for dataset in catalog.datasets:
        for version in reversed(dataset.versions):
            if found.md5 is not None and found.is_(version.md5):
                return CopyOf(dataset=dataset.name, version=version.version)
    return None


def summary(entries: Sequence[Entry], unregistered: int) -> Summary:
    counts = {s: sum(e.status == s for e in entries) for s in STATUSES}
    total = len(entries)
    return Summary(counts=counts, registered=total, in_sync=counts["in_sync"],
                   coverage=round(counts["in_sync"] / total, 4) if total else 1.0,
                   unregistered=unregistered)


def exit_code(report: DriftReport) -> int:
    """0 when every dataset is in sync, 1 for any drift, 3 when a dataset could not be read
    or the registry has none (a scan that saw nothing must not pass)."""
    if report.summary.counts["not_checked"] or not report.summary.registered:
        return 3
    return 0 if report.summary.in_sync == report.summary.registered else 1


# -- the scan (adapter) -----------------------------------------------------------------------

class Progress(NamedTuple):
    start: Callable[[int, int], None]  # total bytes, total files
    advance: Callable[[int, int], None]  # bytes, files done so far
    done: Callable[[], None]


class Scan(NamedTuple):
    report: DriftReport
    stats: Mapping[str, int]  # files hashed, bytes hashed, files the state cache answered


def scan(catalog: Catalog, env: str, root: str, *, jobs: int, state_file: str | None,
         cache_dirs: Sequence[str] = (), remote_root: str | None = None,
         progress: Progress | None = None) -> Scan:
    """`cache_dirs`: DVC cache folders that may hold `.dir` manifests; `remote_root`: a DVC
    project whose remotes to fetch the manifests still missing from (needs dvc)."""
    from dataward.drift.state_cache import HashState

    root = os.path.abspath(root)
    if not os.path.isdir(root):
        from dataward.errors import CouldNotCheck

        raise CouldNotCheck(f"{root} is not a folder this machine can read",
                            "pass --root the folder where this machine keeps datasets")
    state = HashState.load(state_file) if state_file else None
    plans: dict[str, tuple[str, list[str], bool]] = {}  # name -> (kind, paths, dos2unix)
    found: dict[str, Found] = {}
    for dataset in catalog.datasets:
        path = os.path.join(root, *dataset.path.split("/"))
        if dataset.path.startswith(("../", "/")) or "/../" in f"/{dataset.path}/":
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

    files = sorted({p for _, paths, d2u in plans.values() for p in paths})
    sizes = {p: _size(p) for p in files}
    hasher = dvc_hash.Hasher(jobs=jobs, state=state,
                             progress=progress.advance if progress else None)
    if progress:
        progress.start(sum(sizes.values()), len(files))
    hashes: dict[tuple[str, bool], str | OSError] = {}
    for d2u in (False, True):
        wanted = sorted({p for _, paths, flag in plans.values() if flag == d2u for p in paths})
        for p, h in hasher.hash_files(wanted, dos2unix=d2u).items():
            hashes[(p, d2u)] = h
    if progress:
        progress.done()
    if state is not None:
        state.prune(state.touched, under=root)  # files gone from the root leave the cache
        state.save()
        if state.problem:
            import sys

            print(f"dataward drift: the hash cache {state_file} is not in use ({state.problem}): "
                  "every file was hashed", file=sys.stderr)

    for name, (kind, paths, d2u) in plans.items():
        found[name] = _found(kind, os.path.join(root, *name.lstrip("\0").split("/")), paths,
                             d2u, hashes)
    own = os.path.join(root, ".dvc")  # the root is a DVC checkout: its cache, as DVC finds it
    manifests = ManifestCache([dvc_settings(own).cache_dir if os.path.isdir(own) else
                               os.path.join(own, "cache"), *cache_dirs])
    if remote_root:
        _fetch_manifests(catalog, found, manifests, remote_root)
    entries = [judge(d, found[d.name], manifests) for d in catalog.datasets]
    unregistered = []
    for name in extra:
        f = found[f"\0{name}"]
        kept = [p for p in plans.get(f"\0{name}", ("", [], False))[1]
                if not isinstance(hashes.get((p, False)), OSError)]
        unregistered.append(Unregistered(
            name=_shown(name), size=sum(sizes.get(p, 0) for p in kept), nfiles=len(kept),
            actual_md5=f.md5, copy_of=copy_of(f, catalog), reason=f.reason or None))
    return Scan(DriftReport(
        schema_version=1, generator=f"dataward {__version__}", env=env,
        host=socket.gethostname(), root=root, registry=catalog.registry,
        registry_commit=catalog.commit,
        time=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        summary=summary(entries, len(unregistered)), datasets=entries,
        unregistered=unregistered), dict(hasher.stats))


def _plan(name: str, path: str, dos2unix: bool,
          plans: dict[str, tuple[str, list[str], bool]]) -> Found:
    try:
        if os.path.isdir(path):
            plans[name] = ("dir", [os.path.join(path, *r.split("/"))
                                   for r in dvc_hash.walk(path)], dos2unix)
        elif os.path.isfile(path):
            plans[name] = ("file", [path], dos2unix)
        elif os.path.lexists(path):
            return Found("error", reason=f"{path} is neither a file nor a folder")
        else:
            return Found("missing")
    except OSError as exc:
        return Found("error", reason=_shown(f"{exc.strerror or exc}: {exc.filename or path}"))
    except ValueError as exc:  # a .dvcignore inside the dataset, as DVC refuses it
        return Found("error", reason=_shown(str(exc)))
    return Found("missing")  # replaced once hashed


def _found(kind: str, path: str, paths: Sequence[str], dos2unix: bool,
           hashes: Mapping[tuple[str, bool], str | OSError]) -> Found:
    results = {p: hashes[(p, dos2unix)] for p in paths}
    errors = [(p, h) for p, h in results.items() if isinstance(h, OSError)]
    if errors:
        p, err = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        return Found("error", reason=_shown(f"{err.strerror or err}: {p}{more}"))
    if kind == "file":
        h = results[path]
        return Found("file", md5=str(h), dvc2_md5=_dvc2(h))
    rel = {os.path.relpath(p, path).replace(os.sep, "/"): h for p, h in results.items()}
    if not rel:
        return Found("missing")  # an empty folder holds none of the data
    files = {r: str(h) for r, h in rel.items()}
    old = {r: _dvc2(h) or str(h) for r, h in rel.items()}
    return Found("dir", md5=dvc_hash.dir_md5(files), files=files,
                 dvc2_md5=dvc_hash.dir_md5(old) if old != files else None,
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
                    try:
                        with open(os.path.join(folder, *sub, md5[:2], md5[2:]), "rb") as fh:
                            found = read_manifest(fh.read())
                    except OSError:
                        continue
                    if found is not None:
                        self.known[md5] = found
                        return found
        return self.known[md5]

    def store(self, md5: str, manifest: Mapping[str, str]) -> None:
        self.known[md5] = manifest


def _fetch_manifests(catalog: Catalog, found: Mapping[str, Found], manifests: ManifestCache,
                     project: str) -> None:
    """`.dir` manifests no local cache holds, for directories that match no version, read
    from the DVC remote (the registry's, through dvc): the changed files need them."""
    from dataward.formats.dvcfile import object_key

    wanted: dict[str | None, set[tuple[str, bool]]] = {}
    for d in catalog.datasets:
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
                files = read_manifest(data) if data is not None else None
                if files is not None:
                    manifests.store(keys[key], files)
        except Exception as exc:
            print(f"dataward drift: could not read manifests from remote "
                  f"{remote_name or '(default)'}: {str(exc).splitlines()[0][:200]}",
                  file=sys.stderr)


def _tracked_folders(root: str) -> set[str]:
    """Top-level folders git tracks files in, when the root is a registry checkout: cards,
    docs and the like are the registry's own, not ad-hoc copies of data."""
    if not os.path.exists(os.path.join(root, ".git")):
        return set()
    import subprocess

    # safe.directory: a runner user reading a checkout someone else owns (git refuses it
    # otherwise, and the registry's own folders would then look like ad-hoc copies).
    proc = subprocess.run(["git", "-c", f"safe.directory={os.path.abspath(root)}", "-C", root,
                           "ls-files", "-z"], capture_output=True, check=False)
    if proc.returncode != 0:
        import sys

        said = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        print(f"dataward drift: cannot list the files git tracks in {root} "
              f"({said[-1] if said else 'git failed'}); folders of the checkout may be "
              "listed as unregistered", file=sys.stderr)
    return {os.fsdecode(p).split("/")[0] for p in proc.stdout.split(b"\0") if b"/" in p}


def _listdir(root: str) -> list[str]:
    try:
        return os.listdir(root)
    except OSError:
        return []


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0
