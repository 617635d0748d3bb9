"""`dataward verify PATH --dataset NAME`: whether a job's folder holds exactly one version of a
registry dataset, judged as a drift scan judges (dataward.drift.judge), with a lineage record
of what was checked for the run's records.

The verdict: `ok` when PATH holds the version asked for (default: the current one); else
drift's status against that version (`behind`: an older one, `modified`/`partial`: which
files differ, `missing`) or `ahead` (a newer version than the one asked for).
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, NamedTuple

from dataward.errors import CouldNotCheck, UsageError

if TYPE_CHECKING:
    from dataward.catalog.model import Catalog, Dataset, Version
    from dataward.drift.judge import Manifests
    from dataward.drift.model import Entry

LINEAGE_SCHEMA = "dataward-lineage/1"


class Verdict(NamedTuple):
    status: str  # "ok", "ahead", or drift's status against the version asked for
    target: Version
    held: Version | None  # the version found at the path, when it is one
    entry: Entry | None  # drift's judgement against the target (None for ok and ahead)
    actual_md5: str | None


def dataset_named(catalog: Catalog, name: str) -> Dataset:
    from dataward.drift.selection import suggestions

    for dataset in catalog.datasets:
        if dataset.name == name:
            return dataset
    meant = suggestions(name, [d.name for d in catalog.datasets])
    raise UsageError(f"--dataset {name!r} is no dataset of the registry"
                     + (f"; did you mean {' or '.join(meant)}?" if meant else ""),
                     "list them with `dataward ls`")


def version_of(dataset: Dataset, number: int | None) -> Version:
    if number is None:
        return dataset.current
    if not 1 <= number <= len(dataset.versions):
        raise UsageError(f"--version {number}: {dataset.name} has versions 1 to "
                         f"{len(dataset.versions)}", f"--version {len(dataset.versions)}")
    return dataset.versions[number - 1]


def verify(dataset: Dataset, target: Version, path: str, manifests: Manifests, *,
           jobs: int, state_file: str | None) -> Verdict:
    from dataward.drift import judge
    from dataward.drift.scan import found_at

    found = found_at(dataset, path, jobs=jobs, state_file=state_file)
    if found.kind == "error":
        raise CouldNotCheck(f"{path}: {found.reason}", "make it readable by this user")
    held = next((v for v in reversed(dataset.versions) if found.holds(v)), None)
    actual = found.md5
    if held is not None:
        actual = found.by(held.hash).md5
    if held is not None and held.version == target.version:
        return Verdict("ok", target, held, None, actual)
    if held is not None and held.version > target.version:
        return Verdict("ahead", target, held, None, actual)
    # drift's judgement with the version asked for as the newest
    asked = dataset.model_copy(update={"versions": dataset.versions[:target.version],
                                       "md5": target.md5, "hash": target.hash})
    entry = judge.judge(asked, found, manifests)
    return Verdict(entry.status, target, held, entry, actual)


def describe(v: Verdict) -> str:
    from dataward.report.drift_text import describe as drift_says

    if v.status == "ok":
        return f"holds version {v.target.version} ({v.target.date[:10]})"
    if v.status == "ahead" and v.held is not None:
        return (f"holds version {v.held.version} ({v.held.date[:10]}), newer than version "
                f"{v.target.version}")
    assert v.entry is not None
    return drift_says(v.entry)


def lineage(v: Verdict, dataset: Dataset, catalog: Catalog, path: str) -> dict[str, Any]:
    """What a run records of the data it was given: enough to find it again, or to show it
    was not what the experiment claims."""
    return {
        "schema": LINEAGE_SCHEMA, "dataset": dataset.name, "version": v.target.version,
        "md5": v.target.md5, "hash": v.target.hash, "verdict": v.status,
        "held_version": v.held.version if v.held is not None else None,
        "actual_md5": v.actual_md5, "registry": catalog.registry,
        "registry_commit": catalog.commit, "version_commit": v.target.commit,
        "host": socket.gethostname(), "path": os.path.abspath(path),
        "time": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
