"""Each dataset's versions, from the registry's first-parent history of `.dvc` files.

A dataset is known by its workspace path (what `dvc import` names), as the one reader of
DVC files resolves it through `wdir` and the file's folder. So a `.dvc` file that is re-spelt
in place (`wdir: ..` + `path: d/x` becoming `path: x`) or moved with `git mv` and its `path:`
adjusted keeps its history, and a version is every commit that changed the path's hash (a
hash going back to an earlier value too). The path moving with its `.dvc` file (`dvc move`,
or a folder renamed and the `path:` rewritten) carries the history along. A dataset whose
path no `.dvc` file claims any more ends; one added there again later starts anew.

Pipeline outputs recorded in `dvc.lock` are datasets too (a registry's users `dvc import`
them): the lock is followed like a `.dvc` file, its paths resolved through the stage `wdir`s
of the dvc.yaml beside it at the same commit, so a commit that only changes that dvc.yaml
re-reads the lock.
"""

from __future__ import annotations

import posixpath
import re
from bisect import bisect_right
from collections.abc import Callable, Sequence
from typing import NamedTuple

from dataward.adapters.git import FileChange, LogEntry
from dataward.catalog.model import Dataset, HashKind, Version
from dataward.formats.dvcfile import DvcOut


class Staged(NamedTuple):
    """A dataset as one DVC file records it, and the dvc.lock stage that wrote it."""

    out: DvcOut
    stage: str | None = None

    @property
    def path(self) -> str:
        return self.out.path

    @property
    def md5(self) -> str | None:
        return self.out.md5


# (the DVC file's path, its blob id, the blob id of the dvc.yaml beside a dvc.lock) -> its
# datasets; None when it cannot be read
Reader = Callable[[str, str, "str | None"], "tuple[Staged, ...] | None"]
# a merge -> the changes of each commit it brings, oldest first
Merged = Callable[[LogEntry], "list[list[FileChange]]"]
Lines = dict[str, list[Version]]  # workspace path -> versions, oldest first


def datasets_of(outs: Sequence[DvcOut], stage: str | None = None) -> tuple[Staged, ...]:
    """The outputs of a DVC file that are datasets: hashed and cached."""
    return tuple(Staged(o, stage) for o in outs if o.md5 and o.cache)


def _pipeline_file(path: str, name: str) -> str | None:
    """The folder of a `dvc.lock` or `dvc.yaml` (`name`); None for another file."""
    folder, base = posixpath.split(path)
    return folder if base == name else None


def versions(history: Sequence[tuple[LogEntry, list[FileChange]]], read: Reader,
             merged: Merged | None = None) -> Lines:
    """Every live dataset's versions after walking `history` (oldest commit first);
    `merged` looks into a merge for the renames its one diff hides."""
    walk = _Walk(read, merged)
    for entry, changes in history:
        walk.commit(entry, changes)
    return walk.lines


class _Walk:
    def __init__(self, read: Reader, merged: Merged | None) -> None:
        self.read, self.merged = read, merged
        self.files: dict[str, tuple[Staged, ...]] = {}  # DVC file -> its datasets now
        self.claims: dict[str, dict[str, Staged]] = {}  # workspace path -> DVC file -> out
        self.lines: Lines = {}
        self.oids: dict[str, str] = {}  # dvc.lock -> its blob now
        self.stages: dict[str, str] = {}  # folder -> the blob of its dvc.yaml now

    def _pipelines(self, changes: list[FileChange]) -> list[FileChange]:
        """The changes without dvc.yaml's, which set the stages the locks beside them are
        read with; a lock whose dvc.yaml changed alone is re-read as if it had changed."""
        rest, folders = [], set()
        for change in changes:
            folder = _pipeline_file(change.path, "dvc.yaml")
            if folder is None:
                rest.append(change)
                continue
            old = _pipeline_file(change.old_path or "", "dvc.yaml")
            for gone in (old, folder if change.status == "D" else None):
                if gone is not None:
                    self.stages.pop(gone, None)
                    folders.add(gone)
            if change.status != "D":
                self.stages[folder] = change.oid
                folders.add(folder)
        named = {c.path for c in rest} | {c.old_path for c in rest if c.old_path}
        for folder in sorted(folders):
            lock = posixpath.join(folder, "dvc.lock")
            if lock in self.oids and lock not in named:
                rest.append(FileChange(lock, self.oids[lock], "M"))
        return rest

    def _read(self, path: str, oid: str) -> tuple[Staged, ...] | None:
        folder = _pipeline_file(path, "dvc.lock")
        if folder is not None:
            self.oids[path] = oid
        return self.read(path, oid, None if folder is None else self.stages.get(folder))

    def commit(self, entry: LogEntry, changes: list[FileChange]) -> None:
        touched: set[str] = set()
        moves: dict[str, str] = {}  # old workspace path -> new, within one DVC file's life
        changes = self._pipelines(changes)
        paired = _paired(changes, self.files, self.read)
        if self.merged is not None and len(entry.parents) > 1:
            paired = _renamed_in_branch(paired, self.merged(entry))
        for change in paired:
            old_file = change.old_path if change.status == "R" and change.old_path \
                else change.path
            before = self.files.get(old_file, ())
            self.oids.pop(old_file, None)
            if change.status == "D":
                after: tuple[Staged, ...] = ()
            else:
                read = self._read(change.path, change.oid)
                # Unreadable at this commit: it says nothing new (dvc-files says why).
                after = before if read is None else read
            moves.update(_moved(before, after))
            self._unset(old_file)
            if change.status != "D":
                self._set(change.path, after)
            touched |= {o.path for o in before} | {o.path for o in after}
        for old, new in moves.items():
            if old in self.lines and not self.claims.get(old) and new not in self.lines:
                self.lines[new] = self.lines.pop(old)
        for path in sorted(touched):
            claim = self.claims.get(path)
            if not claim:
                self.lines.pop(path, None)
                continue
            dvcfile = min(claim)  # two files claiming one path: dvc-files reports it
            out = claim[dvcfile]
            seen = self.lines.setdefault(path, [])
            if not seen or seen[-1].md5 != out.md5:
                seen.append(version(len(seen) + 1, out, entry))
            elif seen[-1].hash != (kind := _kind(out)):
                # `hash: md5` added to an unchanged md5 (`dvc cache migrate --dvc-files`):
                # the same data, now read by DVC 3's rule
                seen[-1] = seen[-1].model_copy(update={"hash": kind})

    def _unset(self, dvcfile: str) -> None:
        for out in self.files.pop(dvcfile, ()):
            claim = self.claims.get(out.path, {})
            claim.pop(dvcfile, None)
            if not claim:
                self.claims.pop(out.path, None)

    def _set(self, dvcfile: str, outs: tuple[Staged, ...]) -> None:
        self.files[dvcfile] = outs
        for out in outs:
            self.claims.setdefault(out.path, {})[dvcfile] = out


def _moved(before: Sequence[Staged], after: Sequence[Staged]) -> dict[str, str]:
    """Datasets of one `.dvc` file (renamed or edited) whose path changed: the same hash,
    else the only one gone and the only one come."""
    gone = [o for o in before if o.path not in {a.path for a in after}]
    came = [o for o in after if o.path not in {b.path for b in before}]
    moves: dict[str, str] = {}
    for old in list(gone):
        same = next((new for new in came if new.md5 == old.md5), None)
        if same is not None:
            moves[old.path] = same.path
            gone.remove(old)
            came.remove(same)
    if len(gone) == 1 and len(came) == 1:
        moves[gone[0].path] = came[0].path
    return moves


def _paired(changes: list[FileChange], files: dict[str, tuple[Staged, ...]],
            read: Reader) -> list[FileChange]:
    """Renames git did not see: a `.dvc` file is small, so a move that also edits its lines
    falls under git's similarity threshold and shows as a delete and an add. A delete and an
    add of the same file name, or (alone in the commit) of the same data, are a rename."""
    deleted = [c for c in changes if c.status == "D"]
    added = [c for c in changes if c.status == "A"]
    pairs: dict[str, str] = {}  # added path -> deleted path
    by_name: dict[str, list[str]] = {}
    for c in deleted:
        by_name.setdefault(posixpath.basename(c.path), []).append(c.path)
    for c in added:
        olds = by_name.get(posixpath.basename(c.path), [])
        if len(olds) == 1:
            pairs[c.path] = olds.pop()
    if len(deleted) == 1 and len(added) == 1 and not pairs:
        old_md5s = {o.md5 for o in files.get(deleted[0].path, ())}
        new_md5s = {o.md5 for o in read(added[0].path, added[0].oid, None) or ()}
        if old_md5s & new_md5s:
            pairs[added[0].path] = deleted[0].path
    return _as_renames(changes, pairs)


def _as_renames(changes: list[FileChange], pairs: dict[str, str]) -> list[FileChange]:
    """`changes` with each paired add (added path -> deleted path) a rename, its delete gone."""
    if not pairs:
        return changes
    gone = set(pairs.values())
    return [FileChange(c.path, c.oid, "R", pairs[c.path]) if c.path in pairs else c
            for c in changes if not (c.status == "D" and c.path in gone)]


def _renamed_in_branch(changes: list[FileChange],
                       brought: list[list[FileChange]]) -> list[FileChange]:
    """A merge's deletes and adds that are renames made along the merged branch: a `dvc
    move` and a new hash in one branch show, against the first parent, as a delete and an
    add that share neither a name nor a hash; the branch's own commits show the move."""
    deleted = {c.path for c in changes if c.status == "D"}
    added = {c.path for c in changes if c.status == "A"}
    if not deleted or not added:
        return changes
    chain: dict[str, str] = {}  # a path the merge's first parent has -> where it went
    for commit in brought:
        for c in _paired(commit, {}, lambda _path, _oid, _stages: None):
            if c.status != "R" or c.old_path is None:
                continue
            origin = next((k for k, v in chain.items() if v == c.old_path), c.old_path)
            chain[origin] = c.path
    return _as_renames(changes, {new: old for old, new in chain.items()
                                 if old in deleted and new in added})


def _kind(staged: Staged) -> HashKind:
    """The hash kind DVC reads the output's md5 by: DVC 2's when no `hash: md5` is written."""
    return "md5-dos2unix" if staged.out.legacy else "md5"


def version(number: int, staged: Staged, entry: LogEntry) -> Version:
    out = staged.out
    return Version(version=number, md5=out.md5 or "", size=out.size, nfiles=out.nfiles,
                   hash=_kind(staged), commit=entry.sha,
                   date=entry.date, author=shown(entry.author),
                   message=shown(entry.subject), dvc_file=shown(out.dvcfile),
                   stage=None if staged.stage is None else shown(staged.stage))


def shown(text: str) -> str:
    """Text as it can be published: bytes that are not UTF-8 (git keeps them in names and
    messages) as backslash escapes."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def tagged(datasets: Sequence[Dataset], line: Sequence[str],
           tags: dict[str, list[str]]) -> list[Dataset]:
    """The datasets, each version named by the git tags of the main-line commits (`line`,
    newest first) that hold it: a tag at a commit names the version current there, so `dvc
    import --rev TAG` gets those bytes. A version's tags: those on the oldest such commit
    first (the release that brought it), then later ones; on one commit, in version order
    (v2.9 before v2.10). A name that is not UTF-8 is left out: it could not be pasted."""
    at = {commit: n for n, commit in enumerate(reversed(line))}  # oldest: 0
    marks = sorted((at[oid], _version_order(name), name) for oid, names in tags.items()
                   if oid in at for name in names if shown(name) == name)
    found = []
    for dataset in datasets:
        starts = [at.get(v.commit, -1) for v in dataset.versions]
        names: list[list[str]] = [[] for _ in starts]
        for position, _, name in marks:
            live = bisect_right(starts, position) - 1  # versions come in main-line order
            if live >= 0 and starts[live] >= 0:
                names[live].append(name)
        if any(names):
            dataset = dataset.model_copy(update={"versions": [
                v.model_copy(update={"tags": n}) for v, n in zip(dataset.versions, names,
                                                                 strict=True)]})
        found.append(dataset)
    return found


def _version_order(name: str) -> list[tuple[int, int, str]]:
    """v2.9 before v2.10: runs of digits compare as numbers."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part)
            for part in re.split(r"(\d+)", name) if part]
