"""dvc-pushed's verdicts, pure: an output's missing objects -> one finding with its fix."""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping
from typing import Literal, NamedTuple

from dataward.findings import Finding
from dataward.formats.dvcfile import DvcFile, DvcOut
from dataward.formats.urls import mask

CHECK_ID = "dvc-pushed"
Kind = Literal["missing", "corrupt", "archived", "restoring", "unverified"]


class Gap(NamedTuple):
    """One output's objects that a remote lacks."""

    out: DvcOut
    remote: str
    url: str
    missing: list[tuple[str, str]]  # (object key, what to call it)
    total: int | None  # objects the output has; None when its manifest is nowhere
    in_local_cache: bool  # this machine can send them
    kind: Kind = "missing"  # what is wrong with the objects in `missing`
    why: Mapping[str, str] = {}  # key -> why, for corrupt, restoring and unverified
    fix: str = ""  # archived: the exact command that restores the first of them

    @property
    def manifest_pushed(self) -> bool:
        """The `.dir` is in the remote but files are not: `dvc push` trusts the `.dir` and
        sends nothing (dvc-data's remote index), so only an upload of the files fixes it."""
        return self.out.is_dir and self.kind == "missing" and \
            all(key != self.out.key for key, _ in self.missing)


def gap_finding(gap: Gap, rev: str = "HEAD", name: str | None = None) -> Finding:
    """One dataset's verdict: how many objects are missing, the first paths, and the fix.
    `rev`: the revision the hints name; `name`: what to call the output (else its path)."""
    if gap.kind != "missing":
        from dataward.checks.dvc_pushed.judge_unpullable import unpullable_finding

        return unpullable_finding(gap, rev, name)
    names = [label for _, label in gap.missing]
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    count = f"{len(names)} of {gap.total}" if gap.total is not None else f"{len(names)}"
    noun = "object is" if len(names) == 1 and gap.total in (None, 1) else "objects are"
    out = gap.out
    target = shlex.quote(out.target)
    message = (f"{name or out.path}: {count} {noun} not in remote '{gap.remote}' "
               f"({mask(gap.url)}): {shown}")
    if not gap.in_local_cache:
        hint = (f"this machine's DVC cache lacks them too: run `dvc push {target}` where "
                "the data was added, or get the data back and `dvc add` it again")
    elif gap.manifest_pushed:
        hint = ("`dvc push` sends nothing here (the remote has the .dir manifest, so dvc "
                f"takes the files as there too): run `dvc-pushed --push --rev {rev}`, which "
                "uploads the missing files from this machine's cache")
    else:
        hint = f"dvc push {target}"
    return Finding(out.dvcfile, out.line, CHECK_ID, message, hint, rule="objects-not-in-remote")


def dedupe(outputs: Iterable[DvcOut]) -> list[DvcOut]:
    """Each (path, hash) once: the same dataset can be pushed in several refs."""
    return list({(o.path, o.md5, o.remote): o for o in outputs}.values())


def unreadable(dvcfile: DvcFile) -> Finding:
    """A DVC file nobody can pull from: dvc cannot read it either."""
    return Finding(dvcfile.path, None, CHECK_ID, f"cannot be read: {dvcfile.problem}",
                   "fix the file (the dvc-files hook says how); dvc cannot pull it either",
                   rule="dvcfile-unpullable")
