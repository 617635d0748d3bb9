"""A drift report: which version of each registry dataset one environment really holds.

`dataward drift scan -o report.json` writes one `DriftReport`; schemas/drift-report.schema.json
is generated from these models and the tests validate reports against it.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["in_sync", "behind", "modified", "partial", "missing", "not_checked"]
STATUSES: tuple[Status, ...] = ("in_sync", "behind", "modified", "partial", "missing",
                                "not_checked")


# An environment's name becomes a file name (drift/<env>.json), a key on a remote and a
# dashboard column: one plain name.
ENV_NAME = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"


def plain_env(name: str) -> bool:
    """Whether `name` is a plain environment name: never `/`, `..` or a final newline."""
    return re.fullmatch(ENV_NAME, name) is not None and ".." not in name


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Changes(_Model):
    """Files that differ from a version's manifest (paths inside the dataset)."""

    added: list[str]
    removed: list[str]
    modified: list[str]


class Pull(_Model):
    """What a pull of the registry's current version transfers (dataward.catalog.pull_cost)."""

    objects: int = Field(ge=1, description="Objects fetched: 1 for a file; a directory's files "
                                           "and its .dir manifest.")
    bytes: int | None = Field(ge=0, description="Bytes fetched; null when unknown.")
    usd_per_gb: float | None = Field(ge=0, allow_inf_nan=False, description=(
        "The registry policy's `[remote] transfer-usd-per-gb` (a GB is 10^9 bytes); null when "
        "the catalog records no price."))
    usd: float | None = Field(ge=0, allow_inf_nan=False, description=(
        "bytes / 10^9 x usd_per_gb; null when either is unknown."))


class Entry(_Model):
    """One registry dataset, as found under the root."""

    name: str = Field(description="The dataset's name (its path in the registry).")
    status: Status
    expected_md5: str = Field(description="The current version's hash, as DVC writes it.")
    expected_version: int = Field(ge=1)
    actual_md5: str | None = Field(description="The hash of what is on disk (`.dir` for a "
                                               "directory); null when missing or unread.")
    matched_version: int | None = Field(
        default=None, description="`behind`: the older version the data is.")
    matched_date: str | None = Field(default=None, description="`behind`: that version's date.")
    versions_behind: int | None = Field(default=None, ge=1)
    pull: Pull | None = Field(
        default=None, description="`behind`: what a pull of the current version transfers; "
                                  "null when its size is unknown, and in older reports.")
    nearest_version: int | None = Field(
        default=None, description="`modified`/`partial`: the version the data is closest to.")
    changes: Changes | None = Field(
        default=None, description="`modified`/`partial`: against the nearest version.")
    reason: str | None = Field(default=None, description="Why it was not checked, or why the "
                                                         "changes are unknown.")
    fix: str | None = Field(default=None, description=(
        "A shell command that brings the dataset to the registry's current version, to paste "
        "as it is: `cd ROOT && [git pull &&] dvc pull [--force] PATH` in a checkout of the "
        "registry, else a `dvc get` of the scanned commit swapped in for the folder (`modified`: "
        "it discards the local changes). Null when in sync, not checked, when no command can "
        "be written (no registry URL for a plain folder), and in older reports."))

    @property
    def held_version(self) -> int | None:
        """The version the folder holds, as far as its status says: the expected one when in
        sync, the one it matches when behind, the nearest when modified or partial."""
        return {"in_sync": self.expected_version, "behind": self.matched_version,
                "modified": self.nearest_version,
                "partial": self.nearest_version}.get(self.status)


class CopyOf(_Model):
    dataset: str
    version: int


class Unregistered(_Model):
    """A folder under the root, at the top level or beside a dataset (`images/cats_old` next
    to `images/cats`), that is no registry dataset."""

    name: str
    size: int = Field(ge=0)
    nfiles: int = Field(ge=0)
    actual_md5: str | None
    copy_of: CopyOf | None = Field(description="The dataset version it is a copy of, if any.")
    reason: str | None = Field(default=None, description="Why it could not be read.")


class NotExpected(_Model):
    """A registry dataset outside this environment's `--datasets`: neither hashed nor judged,
    never drift."""

    name: str
    version: int = Field(ge=1, description="The registry's current version.")
    present: bool = Field(description="Something is at its path under the root.")


class Summary(_Model):
    counts: dict[Status, int] = Field(description="Of the expected datasets.")
    registered: int = Field(ge=0, description="Datasets in the registry.")
    expected: int | None = Field(
        default=None, ge=0, description="Datasets expected in this environment (`--datasets`); "
                                        "null in reports older than it: every registered one.")
    in_sync: int = Field(ge=0)
    coverage: float = Field(ge=0, le=1, description="in_sync / expected (1 when none).")
    unregistered: int = Field(ge=0)

    @property
    def expected_here(self) -> int:
        return self.registered if self.expected is None else self.expected


class DriftReport(_Model):
    """`dataward drift scan`: one environment against the registry at one commit."""

    schema_version: Literal[1]
    generator: str
    env: str = Field(pattern=f"^{ENV_NAME}$",
                     description="The environment's name (lab-server, abci, ...).")
    host: str
    root: str = Field(description="Where this machine keeps datasets.")
    registry: str | None
    registry_commit: str = Field(pattern=r"^[0-9a-f]{40}$")
    time: str = Field(description="When the scan finished, ISO 8601 UTC.")
    selection: list[str] | None = Field(
        default=None, description="The `--datasets` globs naming the datasets this environment "
                                  "is meant to hold; null: every registered dataset.")
    summary: Summary
    datasets: list[Entry] = Field(description="The expected datasets, judged.")
    not_expected: list[NotExpected] = Field(
        default_factory=list, description="Registered datasets outside the selection.")
    unregistered: list[Unregistered]
