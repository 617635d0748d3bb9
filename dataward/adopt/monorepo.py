"""A git repository holding DVC subprojects (`dvc init --subdir`) is refused by `dataward
init`, up front and with the reason.

dataward takes one DVC project at the repository's root: `dvc-pushed` reads the root's
`.dvc/config` for the remote, init writes one policy and one workflow per repository and runs
`dvc init` at the root. A subproject keeps its own remote in its own `.dvc/`, so a gate that
read the root's would check the wrong storage (or none) and pass. Refusing before anything
is written is honest; supporting subprojects in every part is a larger change.
"""

from __future__ import annotations

import posixpath
import re
import shlex

from dataward.adapters.git import Repo
from dataward.errors import UsageError

_SHOWN = 10  # subprojects named in the message; the rest are counted


def subprojects(repo: Repo) -> list[str]:
    """Folders below the root with a DVC project of their own (their `.dvc/` is tracked, or
    new and not ignored: `dvc init --subdir` writes `.dvc/config` and `.dvc/.gitignore`)."""
    found = repo.ls_files([":(glob)**/.dvc/config", ":(glob)**/.dvc/.gitignore"],
                          untracked=True)
    folders = {posixpath.dirname(posixpath.dirname(p)) for p in found}
    return sorted(f for f in folders if f)


def refuse_subprojects(repo: Repo) -> None:
    found = subprojects(repo)
    if not found:
        return
    named = ", ".join(found[:_SHOWN]) + (f" and {len(found) - _SHOWN} more"
                                          if len(found) > _SHOWN else "")
    first = found[0]
    branch = re.sub(r"[^A-Za-z0-9._-]+", "-", first).strip("-.") or "subproject"
    raise UsageError(
        f"{repo.root} holds DVC subprojects (`dvc init --subdir`): {named}. dataward takes "
        "one DVC project at the repository's root (its dvc-pushed gate reads the root's "
        "remote, not a subproject's), so it does not set up here; nothing was changed",
        "give each subproject its own git repository and run dataward init there, e.g. "
        f"git subtree split -P {shlex.quote(first)} -b {shlex.quote('split-' + branch)}, "
        "then push that branch to a new repository; or make the data one DVC project at the "
        "root (one .dvc/ folder, one remote)")
