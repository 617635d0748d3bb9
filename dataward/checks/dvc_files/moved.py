"""Outputs whose `path:` a move of their .dvc file left behind (`git mv x.dvc sets/`).

DVC reads `path:` from the .dvc file's folder, so moving the file alone makes it name a place
where nothing is, and the `.gitignore` entry stays beside the data. For each output that is
neither in the workspace nor ignored, this finds where the .dvc file was: from git (a staged
move, or a rename in HEAD's first-parent history), else from the same `path:` read from a
folder above the file. Asked only when such an output exists: a sound registry pays nothing.
"""

from __future__ import annotations

import os
import posixpath

from dataward.adapters.git import Repo
from dataward.checks.dvc_files.parse import Claim, Moved


def stale(repo: Repo, absent: list[Claim]) -> dict[str, Moved | None]:
    """Output path -> Moved; None when no move is found but the output's folder is missing
    too (a .gitignore there is impossible). Outputs that look merely not pulled are left out."""
    if not absent:
        return {}
    moves = _moves(repo, {c.dvcfile for c in absent})
    out: dict[str, Moved | None] = {}
    for c in absent:
        written = posixpath.relpath(c.path, posixpath.dirname(c.dvcfile) or ".")
        old = moves.get(c.dvcfile)
        data = _inside(posixpath.join(posixpath.dirname(old), written)) if old else None
        if old and data and data != c.path:
            out[c.path] = Moved(data, old, True)
            continue
        found = _from_above(repo.root, c, written)
        if found is not None:
            out[c.path] = found
        elif posixpath.dirname(c.path) and \
                not os.path.isdir(os.path.join(repo.root, posixpath.dirname(c.path))):
            out[c.path] = None
    return out


def _inside(path: str) -> str | None:
    path = posixpath.normpath(path)
    return None if path == ".." or path.startswith("../") else path


def _from_above(root: str, c: Claim, written: str) -> Moved | None:
    above = posixpath.dirname(c.dvcfile)
    while above:
        above = posixpath.dirname(above)
        found = _inside(posixpath.join(above, written))
        if found and found != c.path and os.path.lexists(os.path.join(root, found)):
            return Moved(found, posixpath.join(above, posixpath.basename(c.dvcfile)), False)
    return None


def _moves(repo: Repo, wanted: set[str]) -> dict[str, str]:
    """New path -> old path of the wanted .dvc files git saw moved: staged, else the latest
    rename in HEAD's first-parent history."""
    staged = {ch.path: ch.moved_from for ch in repo.staged_changes(moves=True)
              if ch.moved_from is not None and ch.path in wanted}
    history: dict[str, str] = {}
    if wanted - staged.keys() and repo.resolve_commit("HEAD") is not None:
        for _, changes in repo.first_parent_history("HEAD", [":(glob)**/*.dvc"]):
            for fc in changes:
                if fc.path in wanted and fc.status.startswith("R") and fc.old_path:
                    history[fc.path] = fc.old_path  # oldest first: the latest rename wins
    return {**history, **staged}
