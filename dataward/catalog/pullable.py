"""`dataward show NAME --remote`: what a pull of the current version meets in the remote now,
asked through dvc-pushed's own judge (archived, missing, corrupt objects, counted)."""

from __future__ import annotations

from typing import NamedTuple

from dataward.catalog.model import Dataset
from dataward.runner import Request


class RemoteState(NamedTuple):
    archived: int
    restoring: int
    missing: int  # missing or corrupt: a pull fails on them whatever is done to the rest
    hint: str


def ask(root: str, dataset: Dataset, timeout: float = 60.0) -> RemoteState:
    """Asks the dataset's remote about every object of its current version (no presence
    cache: this is the question asked on purpose)."""
    from dataward.adapters.git import Repo
    from dataward.adapters.state import State
    from dataward.checks.dvc_pushed.remote import Verifier
    from dataward.formats.dvcfile import DvcOut

    out = DvcOut(dataset.path, dataset.dvc_file, dataset.path, None, dataset.md5,
                 dataset.hash == "md5-dos2unix", dataset.size, dataset.nfiles,
                 remote=dataset.remote)
    repo = Repo.discover(root)
    verifier = Verifier(repo.root, State(repo.common_dir),
                        Request(use_cache=False, timeout=timeout))
    gaps, _ = verifier.verify([out])
    count = {kind: sum(len(g.missing) for g in gaps if g.kind == kind)
             for kind in ("archived", "restoring", "missing", "corrupt")}
    rev = dataset.current.commit
    hint = (f"`dvc-pushed --restore --rev {rev}` asks S3 to restore them" if count["archived"]
            else f"`dvc-pushed --rev {rev}` says which and how to fix them"
            if count["missing"] or count["corrupt"] else "")
    return RemoteState(count["archived"], count["restoring"],
                       count["missing"] + count["corrupt"], hint)


def describe(state: RemoteState) -> str:
    if not (state.archived or state.restoring or state.missing):
        return "in the remote now: every object is there and can be pulled"
    parts = [f"{n:,} {what}" for n, what in ((state.archived, "archived"),
                                              (state.restoring, "being restored or restored "
                                                                "for a while"),
                                              (state.missing, "missing or corrupt")) if n]
    return f"in the remote now: {', '.join(parts)}; {state.hint}".rstrip("; ")
