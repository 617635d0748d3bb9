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
    Stages,
    is_dvcfile,
    read,
    read_stages,
)


class Reference(NamedTuple):
    out: DvcOut
    label: str  # "v3, 2026-05-01" from the catalog's main line, else "md5 1a2b3c4d"
    rev: str | None  # a commit that holds it, for hints


def references(repo: Repo, tips_only: bool, prefix: str = "") -> list[Reference]:
    """Every output `dvc pull` of some revision fetches from this repository's remotes."""
    from dataward.formats.yamlsafe import MAX_BYTES

    tips = repo.ref_tips()
    if not tips:
        return []
    versions: set[tuple[str, str]] = set()
    stages_at: dict[str, Stages] = {}
    for tip in sorted(set(tips.values())):
        files = [(p, oid) for p, oid in repo.tree_files(tip, DVCFILE_PATHSPECS)]
        versions.update((p, oid) for p, oid in files if is_dvcfile(p) and
                        not p.endswith("dvc.yaml"))
        yamls = {p: oid for p, oid in files if p.endswith("dvc.yaml")}
        heads = repo.object_heads(yamls.values(), MAX_BYTES + 1)
        for path, oid in yamls.items():  # a lock's options come from a tip's dvc.yaml
            stages_at.setdefault(path[:-len("dvc.yaml")], read_stages(path, heads[oid]))
    if not tips_only:
        versions.update((p, oid) for p, oid in repo.file_versions(sorted(set(tips.values())),
                                                                   DVCFILE_PATHSPECS)
                        if is_dvcfile(p) and not p.endswith("dvc.yaml"))
    heads = repo.object_heads({oid for _, oid in versions}, MAX_BYTES + 1)
    labels, revs = _labels(repo)
    found: dict[tuple[str, str | None, str | None], Reference] = {}
    for path, oid in sorted(versions):
        stages = stages_at.get(path[:-len("dvc.lock")], NO_STAGES) \
            if path.endswith("dvc.lock") else NO_STAGES
        for out in read(path, heads.get(oid, b""), stages).outs:
            if not out.in_remote:
                continue
            label = labels.get((out.path, out.md5 or ""), f"md5 {(out.md5 or '')[:8]}")
            shown = out._replace(path=posixpath.join(prefix, out.path) if prefix else out.path)
            found.setdefault((shown.path, out.md5, out.remote),
                             Reference(shown, label, revs.get((out.path, out.md5 or ""))))
    return list(found.values())


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
