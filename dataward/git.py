"""Git plumbing: batched, NUL-separated, one process per question, never one per file.

Paths come back as `str` decoded with surrogateescape, so names that are not UTF-8
survive the round trip to git and back.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from dataward.errors import CouldNotCheck, UsageError

GITLINK = "160000"
NULL_MODE = "000000"
# Enough to tell binary from text, as git does (FIRST_FEW_BYTES in git's xdiff-interface.c).
SNIFF_BYTES = 8000


def _dec(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


def _enc(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


@dataclass(frozen=True)
class Change:
    """A blob that a commit (or the index, when `commit` is None) puts at `path`."""

    path: str
    oid: str
    mode: str
    commit: str | None = None


@dataclass(frozen=True)
class Repo:
    root: str
    git_dir: str
    common_dir: str

    @classmethod
    def discover(cls, cwd: str | None = None) -> Repo:
        proc = subprocess.run(
            ["git", "rev-parse", "--show-toplevel", "--absolute-git-dir", "--git-common-dir"],
            cwd=cwd, capture_output=True, check=False,
        )
        if proc.returncode != 0:
            where = os.path.abspath(cwd or os.curdir)
            raise UsageError(
                f"{where} is not inside a git working tree",
                "run dataward from a git repository (git init, or cd into a clone)",
            )
        root, git_dir, common = _dec(proc.stdout).splitlines()[:3]
        return cls(root, git_dir, os.path.normpath(os.path.join(root, common))
                   if not os.path.isabs(common) else common)

    # -- running git -------------------------------------------------------------------

    def run(self, args: Sequence[str], stdin: bytes | None = None) -> bytes:
        proc = subprocess.run(
            ["git", *args], cwd=self.root, input=stdin, capture_output=True, check=False,
        )
        if proc.returncode != 0:
            raise CouldNotCheck(
                f"git {args[0]} failed: {_first_line(proc.stderr)}",
                "check that the repository is intact (git fsck) and try again",
            )
        return proc.stdout

    def resolve_commit(self, rev: str) -> str | None:
        proc = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"],
            cwd=self.root, capture_output=True, check=False,
        )
        return _dec(proc.stdout).strip() if proc.returncode == 0 else None

    def shallow_commits(self) -> frozenset[str]:
        """Commits whose parents this clone lacks (empty for a full clone)."""
        try:
            with open(os.path.join(self.common_dir, "shallow"), encoding="ascii") as fh:
                return frozenset(line.strip() for line in fh if line.strip())
        except FileNotFoundError:
            return frozenset()

    # -- what enters history -----------------------------------------------------------

    def staged_changes(self) -> list[Change]:
        """Blobs the index adds or changes against HEAD (all of them before the first commit).

        No rename detection: a renamed file is judged at its new path.
        """
        out = self.run([
            "diff", "--cached", "--raw", "-z", "--no-renames", "--no-abbrev", "--no-color",
            "--no-ext-diff", "--diff-filter=AMT",
        ])
        return list(_parse_raw(out.split(b"\0"), commit=None))

    def commit_changes(self, revs: Sequence[str]) -> tuple[list[str], list[Change]]:
        """Every blob each commit of `rev-list REVS` adds or changes, oldest commit first.

        Merges count only what their resolution adds (combined diff), so a merge of main
        into a branch does not re-report main. Returns the commits walked and the changes.
        """
        commits = _dec(self.run(["rev-list", "--reverse", "--topo-order", *revs])).split()
        if not commits:
            return [], []
        out = self.run(
            ["diff-tree", "--stdin", "-z", "-r", "--raw", "--no-renames", "--no-abbrev",
             "-c", "--root"],
            stdin=("\n".join(commits) + "\n").encode("ascii"),
        )
        return commits, list(_parse_raw(out.split(b"\0"), commit=""))

    # -- objects -----------------------------------------------------------------------

    def object_sizes(self, oids: Iterable[str]) -> dict[str, int]:
        """Sizes of blobs by id, in one `cat-file --batch-check`."""
        wanted = list(dict.fromkeys(oids))
        if not wanted:
            return {}
        out = self.run(
            ["cat-file", "--batch-check=%(objectname) %(objecttype) %(objectsize)"],
            stdin=("\n".join(wanted) + "\n").encode("ascii"),
        )
        sizes: dict[str, int] = {}
        for line in _dec(out).splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[1] == "missing":
                raise CouldNotCheck(
                    f"object {parts[0]} is not in this clone (a partial or broken clone?)",
                    "fetch the full history (git fetch --refetch, or a clone without --filter)",
                )
            sizes[parts[0]] = int(parts[2])
        return sizes

    def object_heads(self, oids: Iterable[str], nbytes: int = SNIFF_BYTES) -> dict[str, bytes]:
        """The first `nbytes` of each blob, streamed through one `cat-file --batch`."""
        wanted = list(dict.fromkeys(oids))
        if not wanted:
            return {}
        proc = subprocess.Popen(
            ["git", "cat-file", "--batch"], cwd=self.root,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )
        assert proc.stdin is not None and proc.stdout is not None
        feed = ("\n".join(wanted) + "\n").encode("ascii")
        writer = threading.Thread(target=_feed, args=(proc.stdin, feed), daemon=True)
        writer.start()
        heads: dict[str, bytes] = {}
        for oid in wanted:
            header = proc.stdout.readline().split()
            if len(header) < 3:
                proc.kill()
                raise CouldNotCheck(f"object {oid} could not be read", "run git fsck")
            size = int(header[2])
            heads[oid] = proc.stdout.read(min(size, nbytes))
            _skip(proc.stdout, size - min(size, nbytes) + 1)  # the rest, and the LF
        writer.join()
        proc.wait()
        return heads

    def check_attr(self, paths: Iterable[str], attrs: Sequence[str]) -> dict[str, dict[str, str]]:
        """Git attributes of each path (values: 'set', 'unset', 'unspecified' or a string)."""
        wanted = list(dict.fromkeys(paths))
        if not wanted:
            return {}
        out = self.run(
            ["check-attr", "-z", "--stdin", *attrs],
            stdin=b"\0".join(_enc(p) for p in wanted) + b"\0",
        )
        result: dict[str, dict[str, str]] = {p: {} for p in wanted}
        fields = out.split(b"\0")
        for i in range(0, len(fields) - 2, 3):
            result.setdefault(_dec(fields[i]), {})[_dec(fields[i + 1])] = _dec(fields[i + 2])
        return result

    def index_entries(self, pathspecs: Sequence[str]) -> list[tuple[str, str]]:
        """(path, blob id) of index entries matching the pathspecs."""
        return [(c.path, c.oid) for c in self._ls_files(pathspecs, literal=False)]

    def index_changes(self, paths: Sequence[str]) -> list[Change]:
        """The index blobs of these literal paths (every entry when none are given)."""
        return self._ls_files(paths, literal=True)

    def _ls_files(self, pathspecs: Sequence[str], literal: bool) -> list[Change]:
        flags = ["--literal-pathspecs"] if literal else []
        out = self.run([*flags, "ls-files", "-s", "-z", "--", *pathspecs])
        entries = []
        for rec in out.split(b"\0"):
            if rec:
                meta, _, path = rec.partition(b"\t")
                mode, oid = _dec(meta.split()[0]), _dec(meta.split()[1])
                if mode != GITLINK:
                    entries.append(Change(_dec(path), oid, mode))
        return entries

    def tree_entries(self, treeish: str) -> list[tuple[str, str]]:
        """(path, blob id) of every blob in a commit's tree."""
        out = self.run(["ls-tree", "-r", "-z", "--full-tree", treeish])
        entries = []
        for rec in out.split(b"\0"):
            if rec:
                meta, _, path = rec.partition(b"\t")
                mode, kind, oid = meta.split()
                if kind == b"blob":
                    entries.append((_dec(path), _dec(oid)))
        return entries

    def commit_subjects(self, commits: Iterable[str]) -> dict[str, str]:
        wanted = list(dict.fromkeys(commits))
        if not wanted:
            return {}
        out = self.run(["show", "-s", "--no-walk", "--format=%H %s", *wanted])
        return dict(line.split(" ", 1) if " " in line else (line, "")
                    for line in _dec(out).splitlines())


def _parse_raw(fields: list[bytes], commit: str | None) -> Iterator[Change]:
    """Parse `--raw -z` output; with commit='' the stream carries commit ids (diff-tree)."""
    current = commit
    i, n = 0, len(fields)
    while i < n:
        tok = fields[i]
        if not tok:
            i += 1
            continue
        if tok.startswith(b":"):
            parents = len(tok) - len(tok.lstrip(b":"))
            meta = tok[parents:].split()
            dst_mode = _dec(meta[parents])
            dst_oid = _dec(meta[2 * parents + 1])
            path = _dec(fields[i + 1])
            i += 2
            if dst_mode not in (NULL_MODE, GITLINK):
                yield Change(path, dst_oid, dst_mode, current or None)
        else:
            current = _dec(tok)
            i += 1


def _feed(pipe: object, data: bytes) -> None:
    import io

    assert isinstance(pipe, io.BufferedWriter)
    try:
        pipe.write(data)
    finally:
        pipe.close()


def _skip(stream: object, n: int) -> None:
    import io

    assert isinstance(stream, io.BufferedReader)
    while n > 0:
        chunk = stream.read(min(n, 1 << 20))
        if not chunk:
            return
        n -= len(chunk)


def _first_line(stderr: bytes) -> str:
    text = _dec(stderr).strip()
    return text.splitlines()[0] if text else "no message"
