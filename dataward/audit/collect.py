"""What a remote must hold: every output of every DVC file version in the history of any
branch or tag (or at their tips only), each labelled with the dataset version it is."""

from __future__ import annotations

import posixpath
from typing import NamedTuple

from dataward.adapters.git import Repo
from dataward.formats.dvcfile import (
    DVCFILE_PATHSPECS,
    NO_STAGES,
    DvcOut,
    OutOptions,
    Stages,
    is_dvcfile,
    read,
    read_stages,
)


class Reference(NamedTuple):
    out: DvcOut
    label: str  # "v3, 2026-05-01" from the catalog's main line, else "md5 1a2b3c4d"
    rev: str | None  # a commit that holds it, for hints


class Collected(NamedTuple):
    refs: list[Reference]
    unreadable: list[str]  # DVC file versions that could not be read: "path (blob id)"


def references(repo: Repo, tips_only: bool, prefix: str = "") -> Collected:
    """Every output `dvc pull` of some revision fetches from this repository's remotes, and
    the DVC file versions that could not be read (what they name is unknown)."""
    from dataward.formats.yamlsafe import MAX_BYTES

    if not tips_only and repo.shallow_commits():
        # Versions beyond the boundary would be missing, and their objects offered for deletion.
        from dataward.errors import CouldNotCheck
        from dataward.scope import SHALLOW_HINT

        raise CouldNotCheck(f"{repo.root} is a shallow clone: the audit needs every version "
                            "in its history", SHALLOW_HINT)
    tips = sorted(set(repo.ref_tips().values()))
    if not tips:
        return Collected([], [])
    # Each DVC file version -> the commits found holding it: the tips whose tree does, then
    # those whose change brought it, newest first; the last is where it was written, which
    # hints name (at a tip, a stale dvc.lock may have lost its dvc.yaml).
    held: dict[tuple[str, str], list[str]] = {}
    for tip in tips:
        for path, oid in repo.tree_files(tip, DVCFILE_PATHSPECS):
            held.setdefault((path, oid), []).append(tip)
    if not tips_only:
        for key, commits in repo.version_commits(tips, DVCFILE_PATHSPECS).items():
            held.setdefault(key, []).extend(commits)
    versions = {k: c for k, c in held.items() if is_dvcfile(k[0]) and
                posixpath.basename(k[0]) != "dvc.yaml"}
    stages = _lock_stages(repo, {k: c for k, c in versions.items()
                                 if posixpath.basename(k[0]) == "dvc.lock"})
    heads = repo.object_heads({oid for _, oid in versions}, MAX_BYTES + 1)
    labels, revs = _labels(repo)
    found: dict[tuple[str, str | None, str | None], Reference] = {}
    unreadable = []
    for (path, oid), commits in sorted(versions.items()):
        dvcfile = read(path, heads.get(oid, b""), stages.get((path, oid), NO_STAGES))
        if dvcfile.problem:
            unreadable.append(f"{posixpath.join(prefix, path)} ({oid[:12]})")
        for out in dvcfile.outs:
            if not out.in_remote:
                continue
            key = (out.path, out.md5 or "")
            label = labels.get(key, f"md5 {(out.md5 or '')[:8]}")
            shown = out._replace(path=posixpath.join(prefix, out.path) if prefix else out.path)
            found.setdefault((shown.path, out.md5, out.remote),
                             Reference(shown, label, revs.get(key, commits[-1])))
    return Collected(list(found.values()), unreadable)


def _lock_stages(repo: Repo, locks: dict[tuple[str, str], list[str]]
                 ) -> dict[tuple[str, str], Stages]:
    """Each dvc.lock version -> its stages' wdirs and options from the dvc.yaml beside it in
    the commits that hold it, the oldest first: a lock's paths are relative to its stages'
    wdir, and cache/push/remote live in dvc.yaml as they were when the lock was written (the
    tips' dvc.yaml may have renamed or dropped the stage, or be gone beside a stale lock)."""
    from dataward.formats.yamlsafe import MAX_BYTES

    yamls: dict[tuple[str, str], list[str]] = {}  # lock version -> its dvc.yaml blobs
    found = repo.blobs_at((c, key[0][:-len("dvc.lock")] + "dvc.yaml") for key, commits in
                          locks.items() for c in reversed(commits))
    for key, commits in locks.items():
        for c in reversed(commits):
            oid = found.get((c, key[0][:-len("dvc.lock")] + "dvc.yaml"))
            if oid is not None and oid not in yamls.get(key, []):
                yamls.setdefault(key, []).append(oid)
    heads = repo.object_heads({oid for oids in yamls.values() for oid in oids}, MAX_BYTES + 1)
    merged = {}
    for key, oids in yamls.items():
        wdirs: dict[str, str] = {}
        options: dict[str, OutOptions] = {}
        for oid in oids:  # a stage the older dvc.yaml defines keeps what it said
            stages = read_stages(key[0][:-len("dvc.lock")] + "dvc.yaml", heads[oid])
            for name, wdir in stages.wdirs.items():
                wdirs.setdefault(name, wdir)
            for path, opts in stages.options.items():
                options.setdefault(path, opts)
        merged[key] = Stages(wdirs, options)
    return merged


def _labels(repo: Repo) -> tuple[dict[tuple[str, str], str], dict[tuple[str, str], str]]:
    """(path, md5) -> "v3, 2026-05-01" and -> its commit, from the main line's history as the
    catalog numbers versions; empty when it cannot be built (no main line, say)."""
    from dataward.catalog.build import build
    from dataward.errors import DatawardError
    from dataward.policy import DatasetCardsPolicy

    try:
        catalog = build(repo, "HEAD", DatasetCardsPolicy(), None, 0.0)
    except DatawardError:
        return {}, {}
    labels, revs = {}, {}
    for dataset in catalog.datasets:
        for v in dataset.versions:
            labels[(dataset.path, v.md5)] = f"v{v.version}, {v.date[:10]}"
            revs[(dataset.path, v.md5)] = v.commit
    return labels, revs
