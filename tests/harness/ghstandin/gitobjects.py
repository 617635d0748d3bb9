"""A git object store in memory: blobs, trees and commits with the SHA-1s git computes.

Objects are hashed exactly as git hashes them (`<type> <size>\\0<body>`), trees are sorted
as git sorts them, so a SHA-1 from here equals `git hash-object` / `git mktree` /
`git commit-tree` on the same content.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

BLOB_MODES = frozenset({"100644", "100755", "120000"})
TREE_MODE = "040000"
COMMIT_MODE = "160000"  # a submodule: the entry names a commit of another repository


class GitObjectError(Exception):
    """A request names an object that is missing or of the wrong type."""


@dataclass(frozen=True)
class TreeEntry:
    mode: str  # as the API shows it: 100644, 100755, 120000, 040000, 160000
    type: str  # blob, tree or commit
    sha: str
    name: str


@dataclass(frozen=True)
class Signature:
    name: str
    email: str
    date: datetime  # timezone-aware

    def raw(self) -> bytes:
        offset = self.date.utcoffset() or timedelta(0)
        minutes = int(offset.total_seconds()) // 60
        sign = "-" if minutes < 0 else "+"
        tz = f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
        return f"{self.name} <{self.email}> {int(self.date.timestamp())} {tz}".encode()

    def iso(self) -> str:
        """As GitHub shows it: UTC, seconds, `Z`."""
        return self.date.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Commit:
    sha: str
    tree: str
    parents: tuple[str, ...]
    author: Signature
    committer: Signature
    message: str


def parse_date(value: str | None) -> datetime:
    """An ISO 8601 date as the API takes it; now (UTC, whole seconds) when None."""
    if value is None:
        return datetime.now(timezone.utc).replace(microsecond=0)
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _sort_key(entry: TreeEntry) -> bytes:
    # git compares tree entries as if a tree's name ended with "/"
    return entry.name.encode() + (b"/" if entry.type == "tree" else b"")


class GitStore:
    """Content-addressed objects of one repository."""

    def __init__(self) -> None:
        self._objects: dict[str, tuple[str, bytes]] = {}
        self._trees: dict[str, tuple[TreeEntry, ...]] = {}
        self._commits: dict[str, Commit] = {}

    def _write(self, kind: str, body: bytes) -> str:
        sha = hashlib.sha1(f"{kind} {len(body)}\0".encode() + body).hexdigest()
        self._objects.setdefault(sha, (kind, body))
        return sha

    def kind(self, sha: str) -> str | None:
        obj = self._objects.get(sha)
        return obj[0] if obj else None

    # blobs
    def write_blob(self, data: bytes) -> str:
        return self._write("blob", data)

    def blob(self, sha: str) -> bytes:
        obj = self._objects.get(sha)
        if obj is None or obj[0] != "blob":
            raise GitObjectError(f"{sha} is not a blob")
        return obj[1]

    # trees
    def write_tree(self, entries: list[TreeEntry]) -> str:
        names = [e.name for e in entries]
        if len(set(names)) != len(names):
            raise GitObjectError("duplicate entry in tree")
        ordered = tuple(sorted(entries, key=_sort_key))
        body = b"".join(
            f"{e.mode.lstrip('0')} {e.name}".encode() + b"\0" + bytes.fromhex(e.sha)
            for e in ordered)
        sha = self._write("tree", body)
        self._trees.setdefault(sha, ordered)
        return sha

    def tree(self, sha: str) -> tuple[TreeEntry, ...]:
        if sha not in self._trees:
            raise GitObjectError(f"{sha} is not a tree")
        return self._trees[sha]

    def walk(self, tree_sha: str, prefix: str = "") -> Iterator[tuple[str, TreeEntry]]:
        """Every entry below `tree_sha`, trees before their contents, with full paths."""
        for entry in self.tree(tree_sha):
            path = prefix + entry.name
            yield path, entry
            if entry.type == "tree":
                yield from self.walk(entry.sha, path + "/")

    def flatten(self, tree_sha: str) -> dict[str, TreeEntry]:
        """path -> entry for every non-tree entry (blobs, symlinks, submodules)."""
        return {path: e for path, e in self.walk(tree_sha) if e.type != "tree"}

    def lookup(self, tree_sha: str, path: str) -> TreeEntry | None:
        """The entry at `path` ('' is the tree itself, as a tree entry)."""
        entry = TreeEntry(TREE_MODE, "tree", tree_sha, "")
        for part in [p for p in path.split("/") if p]:
            if entry.type != "tree":
                return None
            found = [e for e in self.tree(entry.sha) if e.name == part]
            if not found:
                return None
            entry = found[0]
        return entry

    def build_tree(self, files: Mapping[str, TreeEntry]) -> str:
        """A (nested) tree from path -> entry of its non-tree entries."""
        here: list[TreeEntry] = []
        subdirs: dict[str, dict[str, TreeEntry]] = {}
        for path, entry in files.items():
            head, sep, rest = path.partition("/")
            if sep:
                subdirs.setdefault(head, {})[rest] = entry
            else:
                here.append(TreeEntry(entry.mode, entry.type, entry.sha, head))
        for name, sub in subdirs.items():
            here.append(TreeEntry(TREE_MODE, "tree", self.build_tree(sub), name))
        return self.write_tree(here)

    # commits
    def write_commit(self, tree: str, parents: list[str], author: Signature,
                     committer: Signature, message: str) -> str:
        if tree not in self._trees:
            raise GitObjectError(f"{tree} is not a tree")
        for parent in parents:
            if parent not in self._commits:
                raise GitObjectError(f"{parent} is not a commit")
        lines = [f"tree {tree}".encode()]
        lines += [f"parent {p}".encode() for p in parents]
        lines += [b"author " + author.raw(), b"committer " + committer.raw()]
        body = b"\n".join(lines) + b"\n\n" + message.encode()
        sha = self._write("commit", body)
        self._commits.setdefault(sha, Commit(sha, tree, tuple(parents), author, committer,
                                             message))
        return sha

    def commit(self, sha: str) -> Commit:
        if sha not in self._commits:
            raise GitObjectError(f"{sha} is not a commit")
        return self._commits[sha]

    def is_commit(self, sha: str) -> bool:
        return sha in self._commits

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        seen: set[str] = set()
        todo = [descendant]
        while todo:
            sha = todo.pop()
            if sha == ancestor:
                return True
            if sha in seen or sha not in self._commits:
                continue
            seen.add(sha)
            todo.extend(self._commits[sha].parents)
        return False

    def first_parent_history(self, sha: str) -> list[Commit]:
        history = []
        current: str | None = sha
        while current is not None and current in self._commits:
            commit = self._commits[current]
            history.append(commit)
            current = commit.parents[0] if commit.parents else None
        return history
