"""Drift's judgement, pure: a dataset's versions, what was found at its path, and the versions'
`.dir` manifests in; one report entry out (in sync, behind, partial, modified, missing).

Found values are made by the scan (dataward.drift.scan), which walks and hashes; nothing here
reads the disk, so every rule is tested on values alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from dataward.catalog.model import Catalog, Dataset, Version
from dataward.drift.model import (
    STATUSES,
    Changes,
    CopyOf,
    DriftReport,
    Entry,
    Pull,
    Status,
    Summary,
)


class Hashed(NamedTuple):
    """Content hashed by one kind of hash (`md5` or `md5-dos2unix`)."""

    md5: str | None
    files: Mapping[str, str] | None = None
    dvc2_md5: str | None = None
    dvc2_files: Mapping[str, str] | None = None

    def is_(self, md5: str) -> bool:
        return self.md5 is not None and md5 in (self.md5, self.dvc2_md5)


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
    # The kind md5 and files were hashed by (the dataset's current one); None: any kind.
    hash: str | None = None
    # The same content hashed by the other kinds the dataset's versions were recorded with
    # (a history that mixes DVC 2 and DVC 3 versions): kind -> hashes.
    others: Mapping[str, Hashed] | None = None

    def by(self, kind: str) -> Hashed:
        """The content as a version recorded with `kind` hashed it. Without a hash of that
        kind, the own one: the two kinds give the same md5 unless a text file has CRLF line
        ends (dataward.drift.hashing), so a match is still the same data."""
        other = self.others.get(kind) if self.others else None
        return other if other is not None else Hashed(self.md5, self.files, self.dvc2_md5,
                                                      self.dvc2_files)

    def holds(self, version: Version) -> bool:
        """Whether this is the version's content, by the version's own kind of hash."""
        return self.by(version.hash).is_(version.md5)

    def is_(self, md5: str) -> bool:
        return md5 in (self.md5, self.dvc2_md5)


Manifests = Callable[[str], Mapping[str, str] | None]  # `<md5>.dir` -> relpath -> md5


def judge(dataset: Dataset, found: Found, manifests: Manifests) -> Entry:
    current = dataset.current
    if found.kind == "missing":
        return _entry(dataset, "missing", None)
    if found.kind == "error":
        return _entry(dataset, "not_checked", None, reason=found.reason)
    if found.holds(current):
        return _entry(dataset, "in_sync", dataset.md5)
    older = next((v for v in reversed(dataset.versions[:-1]) if found.holds(v)), None)
    if older is not None:
        return _entry(dataset, "behind", older.md5, matched_version=older.version,
                      matched_date=older.date, versions_behind=current.version - older.version,
                      pull=pull_of(current))
    if found.kind == "file" or found.files is None:
        return _entry(dataset, "modified", found.md5, nearest_version=current.version,
                      changes=Changes(added=[], removed=[], modified=[dataset.name]))
    return _nearest(dataset, found, manifests)


def pull_of(version: Version) -> Pull | None:
    """What catching up costs: a pull of the current version, as the catalog prices it."""
    cost, usd_per_gb = version.pull_cost()
    if cost is None:
        return None
    return Pull(objects=cost.objects, bytes=cost.bytes, usd_per_gb=usd_per_gb, usd=cost.usd)


def _entry(dataset: Dataset, status: Status, actual: str | None, **extra: Any) -> Entry:
    return Entry(name=dataset.name, status=status, expected_md5=dataset.md5,
                 expected_version=dataset.current.version, actual_md5=actual, **extra)


def _nearest(dataset: Dataset, found: Found, manifests: Manifests) -> Entry:
    """A directory that matches no version: partial when every file present matches one
    version (newest first), else modified against the version it differs least from."""
    best: tuple[int, Version, Changes] | None = None
    for version in reversed(dataset.versions):
        manifest = manifests(version.md5) if version.md5.endswith(".dir") else None
        hashed = found.by(version.hash)  # the files as this version's kind hashes them
        candidates = [diff(manifest, files) for files in (hashed.files, hashed.dvc2_files)
                      if files is not None and manifest is not None]
        if not candidates:
            continue
        changes = min(candidates, key=_count)
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
    return Changes(added=sorted(map(printable, set(files) - set(manifest))),
                   removed=sorted(map(printable, set(manifest) - set(files))),
                   modified=sorted(printable(p) for p in files.keys() & manifest.keys()
                                   if files[p] != manifest[p]))


def printable(text: str) -> str:
    """A name as it can be reported: bytes that are not UTF-8 as backslash escapes."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def copy_of(found: Found, catalog: Catalog) -> CopyOf | None:
    """The dataset version whose hash this is (an ad-hoc copy of a registered dataset)."""
    for dataset in catalog.datasets:
        for version in reversed(dataset.versions):
            if found.holds(version):
                return CopyOf(dataset=dataset.name, version=version.version)
    return None


def summary(entries: Sequence[Entry], unregistered: int, registered: int | None = None
            ) -> Summary:
    """`entries`: the expected datasets; `registered`: all of the registry's (the same when
    every one is expected)."""
    counts = {s: sum(e.status == s for e in entries) for s in STATUSES}
    total = len(entries)
    return Summary(counts=counts, registered=total if registered is None else registered,
                   expected=total, in_sync=counts["in_sync"],
                   coverage=round(counts["in_sync"] / total, 4) if total else 1.0,
                   unregistered=unregistered)


def exit_code(report: DriftReport) -> int:
    """0 when every expected dataset is in sync, 1 for any drift among them, 3 when one could
    not be read or none is expected (a scan that saw nothing must not pass). Datasets outside
    `--datasets` never count."""
    s = report.summary
    if s.counts["not_checked"] or not s.expected_here:
        return 3
    return 0 if s.in_sync == s.expected_here else 1
