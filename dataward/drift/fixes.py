"""Drift's fixes, pure: for each drifting dataset of a report, one shell command that brings its
folder to the registry's current version, to paste as it is printed.

Two forms, checked against DVC 3.67:
- the root is a checkout of the registry (a DVC project whose git tracks the dataset's `.dvc`
  file or dvc.lock): `cd ROOT && [git pull &&] dvc pull [--force] PATH`. `git pull` when the
  data is (or may be) of an older version; `--force` for `modified`, since `dvc pull` refuses
  to remove unsaved files without it (it restores missing files, a `partial`, without it).
- a plain folder: the version at the scanned registry commit is fetched beside the folder and
  swapped in: `rm -rf -- NEW && dvc get --rev COMMIT -o NEW -- REGISTRY NAME && rm -rf -- PATH
  && mv -- NEW PATH`. `dvc get -o PATH` into an existing folder, `--force` or not, writes the
  dataset *inside* it (PATH/NAME/...), so it cannot replace a folder in place; and the old data
  stays until the download has succeeded.

A plain folder with no registry to fetch from (a catalog.json that names none) gets no
command: `unfixable` says why and how to get one. The checkout form needs no URL, so it is
given whatever the catalog says. Every word is quoted (shlex.quote) and none can be taken for an
option: paths are absolute or `./`-prefixed, and `--` ends the options of rm, mv and dvc get.
"""

from __future__ import annotations

import posixpath
import shlex
from collections.abc import Collection, Mapping

from dataward.catalog.model import Catalog, Dataset
from dataward.drift.model import DriftReport, Entry, Status
from dataward.formats.urls import mask
from dataward.report.escape import shell_word

NO_REGISTRY = ("the report names no registry to fetch from: scan with --registry URL, or "
               "build the catalog with `dataward catalog build --registry-url URL`")
BAD_REGISTRY = "the registry URL starts with '-' and could be taken for an option"
SUFFIX = ".dataward-new"  # hidden beside the folder: a scan meanwhile does not list it


def command(status: Status, name: str, path: str, *, root: str, registry: str | None,
            commit: str, checkout: bool) -> str | None:
    """The command that brings `path` under `root` to the registry's version at `commit`;
    None when there is nothing to fix, or no command can be written. `name`: the dataset in
    the registry (what `dvc get` takes). A checkout always pulls git first: whether its
    `.dvc` file is behind is not what the data on disk says (a modified copy of an old
    version restored by `dvc pull` alone stays old)."""
    if status in ("in_sync", "not_checked") or not _inside(path):
        return None
    if checkout:
        steps = ["git pull"]
        force = ["--force"] if status == "modified" else []
        steps.append(" ".join(["dvc", "pull", *force, shell_word(path)]))
        return f"cd {shell_word(root)} && " + " && ".join(steps)
    if registry is None or registry.startswith("-"):
        return None
    target = posixpath.join(root, path)
    new = posixpath.join(posixpath.dirname(target), "." + posixpath.basename(target) + SUFFIX)
    t, n = shell_word(target), shell_word(new)
    return (f"rm -rf -- {n} && dvc get --rev {shlex.quote(commit)} -o {n} -- "
            f"{shlex.quote(mask(registry))} {shlex.quote(name)} && rm -rf -- {t} && "
            f"mv -- {n} {t}")


def fix(entry: Entry, dataset: Dataset, *, root: str, registry: str | None, commit: str,
        checkout: bool) -> str | None:
    """`command` for one judged entry of `dataset`."""
    return command(entry.status, dataset.name, dataset.path, root=root, registry=registry,
                   commit=commit, checkout=checkout)


def is_checkout(dataset: Dataset, tracked: Collection[str]) -> bool:
    """`tracked`: the paths git tracks at the root when it is a DVC project's (empty when it
    is no checkout); the dataset's `.dvc` file or dvc.lock is one of them."""
    return dataset.dvc_file in tracked or f"{dataset.path}.dvc" in tracked


def attach(report: DriftReport, catalog: Catalog, tracked: Collection[str],
           registry: str | None) -> DriftReport:
    """The report with each drifting entry's `fix`. `registry`: where `dvc get` fetches from
    (the report's registry, or the local checkout the scan was given)."""
    by_name: Mapping[str, Dataset] = {d.name: d for d in catalog.datasets}
    entries = []
    for e in report.datasets:
        dataset = by_name.get(e.name)
        found = None if dataset is None else fix(
            e, dataset, root=report.root, registry=registry, commit=report.registry_commit,
            checkout=is_checkout(dataset, tracked))
        entries.append(e if found is None else e.model_copy(update={"fix": found}))
    return report.model_copy(update={"datasets": entries})


def unfixable(report: DriftReport, entry: Entry) -> str | None:
    """Why a drifting entry has no fix command; None when it has one or needs none."""
    if entry.fix is not None or entry.status in ("in_sync", "not_checked"):
        return None
    if report.registry is None:
        return NO_REGISTRY
    if report.registry.startswith("-"):
        return BAD_REGISTRY
    return "its path leaves the root"


def _inside(path: str) -> bool:
    """A registry path that names something under the root (as the scan requires)."""
    parts = path.split("/")
    return bool(path) and not path.startswith("/") and all(p not in ("", ".", "..")
                                                          for p in parts)
