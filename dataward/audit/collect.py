"""What a remote must hold: every output of every DVC file version in the history of any
branch or tag (or at their tips only), each labelled with the dataset version it is."""

from __future__ import annotations

import posixpath
from typing import NamedTuple

from dataward.adapters.git import Repo
from dataward.adapters.git.process import dec
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

NULL_OID = "0" * 40


class Reference(NamedTuple):
    out: DvcOut
    label: str  # "v3, 2026-05-01" from the catalog's main line, else "md5 1a2b3c4d"
    rev: str | None  # a commit that holds it, for hints


def references(repo: Repo, tips_only: bool, prefix: str = "") -> list[Reference]:
    """Every output `dvc pull` of some revision fetches from this repository's remotes."""
    from dataward.formats.yamlsafe import MAX_BYTES

    tips = sorted(set(repo.ref_tips().values()))
    if not tips:
        return []
    # Each DVC file version -> the commits found holding it: the tips whose tree does, then
    # those whose change brought it, newest first; the last is where it was written, which
    # hints name (at a tip, a stale dvc.lock may have lost its dvc.yaml).
    held: dict[tuple[str, str], list[str]] = {}
    for tip in tips:
        for path, oid in repo.tree_files(tip, DVCFILE_PATHSPECS):
            held.setdefault((path, oid), []).append(tip)
    if not tips_only:
        for key, commits in _history(repo, tips).items():
            held.setdefault(key, []).extend(commits)
    versions = {k: c for k, c in held.items() if is_dvcfile(k[0]) and
                posixpath.basename(k[0]) != "dvc.yaml"}
    stages = _lock_stages(repo, {k: c for k, c in versions.items()
                                 if posixpath.basename(k[0]) == "dvc.lock"})
    heads = repo.object_heads({oid for _, oid in versions}, MAX_BYTES + 1)
    labels, revs = _labels(repo)
    found: dict[tuple[str, str | None, str | None], Reference] = {}
    for (path, oid), commits in sorted(versions.items()):
        for out in read(path, heads.get(oid, b""), stages.get((path, oid), NO_STAGES)).outs:
            if not out.in_remote:
                continue
            key = (out.path, out.md5 or "")
            label = labels.get(key, f"md5 {(out.md5 or '')[:8]}")
            shown = out._replace(path=posixpath.join(prefix, out.path) if prefix else out.path)
            found.setdefault((shown.path, out.md5, out.remote),
                             Reference(shown, label, revs.get(key, commits[-1])))
    return list(found.values())


def _history(repo: Repo, tips: list[str]) -> dict[tuple[str, str], list[str]]:
    """(path, blob) of every DVC file version the tips' history brought -> the commits that
    brought it. Every version a tree of that history holds is the new side of some commit's
    change (root commits show their files), so the new sides are enough."""
    out = dec(repo.run(["-c", "log.showRoot=true", "log", "--format=%x01%H", "--raw", "-z",
                        "-m", "--no-renames", "--no-abbrev", *tips, "--", *DVCFILE_PATHSPECS]))
    found: dict[tuple[str, str], list[str]] = {}
    commit = ""
    it = iter(out.split("\0"))
    for tok in it:
        tok = tok.lstrip("\n")
        if tok.startswith("\x01"):
            commit = tok[1:]
        elif tok.startswith(":"):
            path = next(it, "")
            meta = tok[1:].split(" ")
            if len(meta) >= 4 and meta[3] != NULL_OID and meta[1] != "160000":
                commits = found.setdefault((path, meta[3]), [])
                if commit not in commits:
                    commits.append(commit)
    return found


def _lock_stages(repo: Repo, locks: dict[tuple[str, str], list[str]]
                 ) -> dict[tuple[str, str], Stages]:
    """Each dvc.lock version -> its stages' wdirs and options from the dvc.yaml beside it in
    the commits that hold it, the oldest first: a lock's paths are relative to its stages'
    wdir, and cache/push/remote live in dvc.yaml as they were when the lock was written (the
    tips' dvc.yaml may have renamed or dropped the stage, or be gone beside a stale lock)."""
    from dataward.formats.yamlsafe import MAX_BYTES

    asked = [(key, f"{c}:{key[0][:-len('dvc.lock')]}dvc.yaml") for key, commits in
             locks.items() for c in reversed(commits) if "\n" not in key[0]]
    if not asked:
        return {}
    lines = dec(repo.run(["cat-file", "--batch-check"],
                         stdin="".join(e + "\n" for _, e in asked).encode())).splitlines()
    yamls: dict[tuple[str, str], list[str]] = {}  # lock version -> its dvc.yaml blobs
    for (key, _), line in zip(asked, lines, strict=True):
        fields = line.split(" ")
        if len(fields) == 3 and fields[1] == "blob" and fields[0] not in yamls.get(key, []):
            yamls.setdefault(key, []).append(fields[0])
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
