"""`dataward fingerprint PATH`: the md5 `dvc add PATH` would record, for a file or a folder.

Meant where jobs run: a pipeline step's cache key that changes when the images behind a path
change (a Kubeflow step served from its cache because its inputs, the paths, did not), or the
version a job really read, for its records. The hashing is drift's (DVC's rules, no DVC
needed: dataward.drift.hashing), through the drift hash state, so a re-run on unchanged data
reads nothing.
"""

from __future__ import annotations

import os
from typing import NamedTuple

from dataward.drift import hashing
from dataward.drift.hasher import Hasher, Progress
from dataward.drift.hashing import LegacyMd5
from dataward.drift.state_cache import HashState
from dataward.errors import CouldNotCheck, UsageError


class Fingerprint(NamedTuple):
    path: str  # absolute
    md5: str  # as a `.dvc` file writes it: `<md5>` for a file, `<md5>.dir` for a folder
    hash: str  # the rule: "md5" (DVC 3) or "md5-dos2unix" (DVC 2)
    size: int
    nfiles: int
    read: int  # files read this run (the rest the state answered)


def fingerprint(path: str, *, dvc2: bool, state_file: str | None, jobs: int,
                progress: Progress | None = None) -> Fingerprint:
    """Raises UsageError for a path that is no file or folder, CouldNotCheck for one whose
    files cannot all be read (or that DVC itself would refuse to add)."""
    path = os.path.abspath(path)
    files, rels = _files(path)
    state = HashState.load(state_file) if state_file else None
    try:
        if state is not None and os.path.isdir(path):
            state.preload(path)
        many = Hasher(jobs=jobs, state=state,
                      progress=progress.advance if progress is not None else None)
        known = state is not None and state.knows_under(
            path if os.path.isdir(path) else os.path.dirname(path))
        batch = many.look(files, dos2unix=dvc2, ask=known)
        if progress is not None:
            progress.start(sum(many.sizes.values()), len(files))
        try:
            hashes = many.finish(batch)
        finally:
            if progress is not None:
                progress.done()
        if state is not None:
            if os.path.isdir(path):
                state.prune(state.touched, under=path)  # files gone from the folder
            state.save()
    finally:
        if state is not None:
            state.close()
    failed = [(p, h) for p, h in hashes.items() if isinstance(h, OSError)]
    if failed:
        p, err = failed[0]
        more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
        raise CouldNotCheck(f"{p}: {err.strerror or err}{more}",
                            "make every file of it readable by this user, then run again")
    values = {rel: _value(hashes[f], dvc2) for rel, f in zip(rels, files, strict=True)}
    md5 = values[""] if rels == [""] else hashing.dir_md5(values)
    return Fingerprint(path, md5, "md5-dos2unix" if dvc2 else "md5",
                       sum(many.sizes.get(f, 0) for f in files), len(files),
                       int(many.stats.get("hashed", 0)))


def _files(path: str) -> tuple[list[str], list[str]]:
    """The files to hash (absolute) and their names in the manifest ([""] for a file)."""
    if os.path.isdir(path):
        try:
            rels = hashing.walk(path)
        except ValueError as exc:  # a .dvcignore DVC would refuse, or one we cannot apply
            raise CouldNotCheck(str(exc), "fingerprint the folder as DVC would add it") \
                from None
        except OSError as exc:
            raise CouldNotCheck(f"{exc.filename or path}: {exc.strerror or exc}",
                                "make the folder readable by this user") from None
        base = os.path.join(path, "")
        return [base + (r if os.sep == "/" else r.replace("/", os.sep)) for r in rels], rels
    if os.path.isfile(path):
        return [path], [""]
    if os.path.lexists(path):
        raise UsageError(f"{path} is neither a file nor a folder",
                         "pass the file or folder `dvc add` would track")
    raise UsageError(f"{path}: no such file or folder",
                     "pass the file or folder `dvc add` would track")


def _value(h: object, dvc2: bool) -> str:
    """The md5 of one file by the rule asked for: DVC 2.x's own md5-dos2unix with --dvc2
    (it judged text once per file, DVC 3 once per 1 MiB chunk; see dataward.drift.hashing)."""
    if dvc2 and isinstance(h, LegacyMd5):
        return h.dvc2
    return str(h)
