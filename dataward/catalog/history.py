"""Each dataset's versions, from the registry's first-parent history of `.dvc` files.

A dataset is known by its workspace path (what `dvc import` names), as the one reader of
DVC files resolves it through `wdir` and the file's folder. So a `.dvc` file that is re-spelt
in place (`wdir: ..` + `path: d/x` becoming `path: x`) or moved with `git mv` and its `path:`
adjusted keeps its history, and a version is every commit that changed the path's hash (a
hash going back to an earlier value too). The path moving with its `.dvc` file (`dvc move`,
or a folder renamed and the `path:` rewritten) carries the history along. A dataset whose
path no `.dvc` file claims any more ends; one added there again later starts anew.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Sequence

from dataward.adapters.git import FileChange, LogEntry
from dataward.catalog.model import Version
from dataward.formats.dvcfile import DvcOut

# (the .dvc file's path, its blob id) -> its datasets; None when it cannot be read
Reader = Callable[[str, str], "tuple[DvcOut, ...] | None"]
# a merge -> the changes of each commit it brings, oldest first
Merged = Callable[[LogEntry], "list[list[FileChange]]"]
Lines = dict[str, list[Version]]  # workspace path -> versions, oldest first


def datasets_of(outs: Sequence[DvcOut]) -> tuple[DvcOut, ...]:
    """The outputs of a `.dvc` file that are datasets: hashed and cached."""
    return tuple(o for o in outs if o.md5 and o.cache)


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
        self.files: dict[str, tuple[DvcOut, ...]] = {}  # .dvc file -> its datasets now
        self.claims: dict[str, dict[str, DvcOut]] = {}  # workspace path -> .dvc file -> out
        self.lines: Lines = {}

    def commit(self, entry: LogEntry, changes: list[FileChange]) -> None:
        touched: set[str] = set()
        moves: dict[str, str] = {}  # old workspace path -> new, within one .dvc file's life
        paired = _paired(changes, self.files, self.read)
        if self.merged is not None and len(entry.parents) > 1:
            paired = _renamed_in_branch(paired, self.merged(entry))
        for change in paired:
            old_file = change.old_path if change.status == "R" and change.old_path \
                else change.path
            before = self.files.get(old_file, ())
            if change.status == "D":
                after: tuple[DvcOut, ...] = ()
            else:
                read = self.read(change.path, change.oid)
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

    def _unset(self, dvcfile: str) -> None:
        for out in self.files.pop(dvcfile, ()):
            claim = self.claims.get(out.path, {})
            claim.pop(dvcfile, None)
            if not claim:
                self.claims.pop(out.path, None)

    def _set(self, dvcfile: str, outs: tuple[DvcOut, ...]) -> None:
        self.files[dvcfile] = outs
        for out in outs:
            self.claims.setdefault(out.path, {})[dvcfile] = out


def _moved(before: Sequence[DvcOut], after: Sequence[DvcOut]) -> dict[str, str]:
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


def _paired(changes: list[FileChange], files: dict[str, tuple[DvcOut, ...]],
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
        new_md5s = {o.md5 for o in read(added[0].path, added[0].oid) or ()}
        if old_md5s & new_md5s:
            pairs[added[0].path] = deleted[0].path
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
        for c in _paired(commit, {}, lambda _path, _oid: None):
            if c.status != "R" or c.old_path is None:
                continue
            origin = next((k for k, v in chain.items() if v == c.old_path), c.old_path)
            chain[origin] = c.path
    pairs = {new: old for old, new in chain.items() if old in deleted and new in added}
    if not pairs:
        return changes
    gone = set(pairs.values())
    return [FileChange(c.path, c.oid, "R", pairs[c.path]) if c.path in pairs else c
            for c in changes if not (c.status == "D" and c.path in gone)]


def version(number: int, out: DvcOut, entry: LogEntry) -> Version:
    return Version(version=number, md5=out.md5 or "", size=out.size, nfiles=out.nfiles,
                   commit=entry.sha, date=entry.date, author=shown(entry.author),
                   message=shown(entry.subject), dvc_file=shown(out.dvcfile))


def shown(text: str) -> str:
    """Text as it can be published: bytes that are not UTF-8 (git keeps them in names and
    messages) as backslash escapes."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
