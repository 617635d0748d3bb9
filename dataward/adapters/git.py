"""Git plumbing: batched, NUL-separated, one process per question, never one per file.

Paths come back as `str` decoded with surrogateescape, so names that are not UTF-8
survive the round trip to git and back. Output is decoded once per call, not per entry:
range mode parses a hundred thousand entries.
"""

import os
import subprocess
from collections.abc import Iterable, Sequence
from typing import IO, NamedTuple

from dataward.errors import CouldNotCheck, UsageError

GITLINK = "160000"
NULL_MODE = "000000"
# Enough to tell binary from text, as git does (FIRST_FEW_BYTES in git's xdiff-interface.c).
SNIFF_BYTES = 8000
EMPTY_TREE = {40: "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
              64: "6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321"}
# Environment that changes where git looks for the repository: leave discovery to git.
_GIT_LOCATION_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_CEILING_DIRECTORIES")


def _dec(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


def _enc(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


class Change(NamedTuple):
    """A blob that a commit (or the index, when `commit` is None) puts at `path`."""

    path: str
    oid: str
    mode: str
    commit: str | None = None


class LogEntry(NamedTuple):
    sha: str
    date: str  # author date, ISO 8601 with offset
    author: str
    subject: str


class FileChange(NamedTuple):
    """What a commit did to one path: status A(dded), M(odified), D(eleted), R(enamed from
    `old_path`), C(opied), T(ype changed); `oid` is the blob after the change."""

    path: str
    oid: str
    status: str
    old_path: str | None = None


class Repo(NamedTuple):
    root: str
    git_dir: str
    common_dir: str

    @classmethod
    def discover(cls, cwd: str | None = None) -> "Repo":
        """The working tree around `cwd`: found by looking for `.git`, as git does, else by git."""
        start = os.path.abspath(cwd or os.curdir)
        if not any(v in os.environ for v in _GIT_LOCATION_ENV):
            found = _find_dot_git(start)
            if found is not None:
                return found
        proc = subprocess.run(
            ["git", "rev-parse", "--show-toplevel", "--absolute-git-dir", "--git-common-dir"],
            cwd=start, capture_output=True, check=False,
        )
        if proc.returncode != 0:
            raise UsageError(
                f"{start} is not inside a git working tree",
                "run dataward from a git repository (git init, or cd into a clone)",
            )
        root, git_dir, common = _dec(proc.stdout).splitlines()[:3]
        return cls(root, git_dir, os.path.normpath(os.path.join(root, common)))

    # -- running git -------------------------------------------------------------------

    def run(self, args: Sequence[str], stdin: bytes | None = None,
            ok: tuple[int, ...] = (0,)) -> bytes:
        proc = subprocess.run(
            ["git", *args], cwd=self.root, input=stdin, capture_output=True, check=False,
        )
        if proc.returncode not in ok:
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

        A file moved or renamed unchanged adds no blob to history and is left out.
        """
        out = self.run([
            "diff", "--cached", "--raw", "-z", "--no-renames", "--no-abbrev", "--no-color",
            "--no-ext-diff", "--diff-filter=AMTD",
        ])
        changes, removed = _parse_raw(_dec(out).split("\0"), with_commits=False)
        # A blob that a deletion in the same commit takes away is a move: no new data.
        return [c for c in changes if c.oid not in removed]

    def new_blobs(self, revs: Sequence[str]) -> tuple[list[str], dict[str, int]]:
        """Commits of `rev-list REVS`, and the size of every blob their trees bring that the
        excluded revisions lack: `rev-list --objects | cat-file --batch-check`, piped in git."""
        walk = subprocess.Popen(
            ["git", "rev-list", "--objects", "--no-object-names", *revs], cwd=self.root,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        check = subprocess.run(
            ["git", "cat-file", "--batch-check=%(objecttype) %(objectname) %(objectsize)",
             "--buffer"], cwd=self.root, stdin=walk.stdout, capture_output=True, check=False)
        assert walk.stdout is not None and walk.stderr is not None
        walk.stdout.close()
        err = walk.stderr.read()
        if walk.wait() != 0 or check.returncode != 0:
            raise CouldNotCheck(f"git rev-list failed: {_first_line(err or check.stderr)}",
                                "check that the repository is intact (git fsck)")
        commits: list[str] = []
        sizes: dict[str, int] = {}
        for line in _dec(check.stdout).splitlines():
            kind, _, rest = line.partition(" ")
            if kind == "blob":
                oid, _, size = rest.partition(" ")
                sizes[oid] = int(size)
            elif kind == "commit":
                commits.append(rest.partition(" ")[0])
            elif rest == "missing":  # "<oid> missing"
                raise CouldNotCheck(f"object {kind} is not in this clone (a partial clone?)",
                                    "fetch the full history (a clone without --filter)")
        return commits, sizes

    def commit_changes(self, revs: Sequence[str], pathspecs: Sequence[str] = ()
                       ) -> list[Change]:
        """Every blob each commit of `rev-list REVS` adds or changes, oldest commit first,
        limited to `pathspecs` when given.

        Merges count only what their resolution adds (combined diff), so a merge of main
        into a branch does not re-report main.
        """
        commits = _dec(self.run(["rev-list", "--reverse", "--topo-order", *revs])).split()
        if not commits:
            return []
        out = self.run(
            ["diff-tree", "--stdin", "-z", "-r", "--raw", "--no-renames", "--no-abbrev",
             "-c", "--root", "--", *pathspecs],
            stdin=("\n".join(commits) + "\n").encode("ascii"),
        )
        return _parse_raw(_dec(out).split("\0"), with_commits=True)[0]

    def first_parent_history(self, rev: str, pathspecs: Sequence[str]
                             ) -> list[tuple[LogEntry, list[FileChange]]]:
        """The commits of `rev`'s first-parent line that change files matching `pathspecs`,
        oldest first, each with its changes against its first parent (renames detected: a
        renamed file is one Change whose `old_path` is set). One `git log`."""
        out = _dec(self.run(["log", "--first-parent", "--diff-merges=first-parent", "--root",
                             "--reverse", "-z", "--raw", "--no-abbrev", "-M",
                             "--format=%x01%H%x00%aI%x00%an%x00%s", rev, "--", *pathspecs]))
        history: list[tuple[LogEntry, list[FileChange]]] = []
        tokens = iter(out.split("\0"))
        for token in tokens:  # read in order: metadata may hold any byte but NUL
            token = token.lstrip("\n")
            if token.startswith("\x01") and len(token) == 41:
                header = [token[1:], next(tokens, ""), next(tokens, ""), next(tokens, "")]
                history.append((LogEntry(*header), []))
            elif token.startswith(":") and history:
                _, _, _, new_oid, status = token[1:].split()
                path, old = next(tokens), None
                if status[0] in "RC":
                    old, path = (path if status[0] == "R" else None), next(tokens)
                history[-1][1].append(FileChange(path, new_oid, status[0], old))
        return history

    def file_versions(self, revs: Sequence[str], pathspecs: Sequence[str]
                      ) -> set[tuple[str, str]]:
        """Every (path, blob id) that the commits of `rev-list REVS` add, change or remove
        at `pathspecs`: both sides of each change, merges against each parent. With the
        files of the newest tree, these are every version those commits' trees hold."""
        out = self.run(["-c", "log.showRoot=true", "log", "--format=", "--raw", "-z", "-m",
                        "--no-renames", "--no-abbrev", *revs, "--", *pathspecs])
        versions: set[tuple[str, str]] = set()
        it = iter(_dec(out).split("\0"))
        for tok in it:
            tok = tok.lstrip("\n")
            if not tok.startswith(":"):
                continue
            path = next(it, "")
            meta = tok[1:].split(" ")
            for mode, oid in ((meta[0], meta[2]), (meta[1], meta[3])):
                if mode not in (NULL_MODE, GITLINK):
                    versions.add((path, oid))
        return versions

    def blobs_at(self, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """The blob id at each (commit, path) that exists, in one `cat-file --batch-check`."""
        wanted = [(c, p) for c, p in dict.fromkeys(pairs) if "\n" not in p]
        if not wanted:
            return {}
        feed = "".join(f"{c}:{p}\n" for c, p in wanted)
        out = self.run(["cat-file", "--batch-check=%(objecttype) %(objectname)", "--buffer"],
                       stdin=_enc(feed))
        found = {}
        for pair, line in zip(wanted, _dec(out).splitlines(), strict=False):
            kind, _, oid = line.partition(" ")
            if kind == "blob":
                found[pair] = oid
        return found

    def tree_files(self, commit: str, pathspecs: Sequence[str]) -> list[tuple[str, str]]:
        """(path, blob id) of the files in a commit's tree matching glob pathspecs.

        `ls-tree` cannot filter by glob; a diff against the empty tree can, inside git.
        """
        out = self.run(["diff-tree", "-r", "-z", "--raw", "--no-abbrev", "--no-renames",
                        EMPTY_TREE[len(commit)], commit, "--", *pathspecs])
        return [(c.path, c.oid) for c in _parse_raw(_dec(out).split("\0"), False)[0]]

    def present_at(self, commit: str, paths: Iterable[str]) -> set[tuple[str, str]]:
        """Which of these literal paths exist in a commit's tree, as (path, blob id)."""
        wanted = set(paths)
        if not wanted:
            return set()
        out = self.run(["--literal-pathspecs", "ls-tree", "-r", "-z", "--full-tree", commit,
                        "--", *sorted(wanted)])
        found = set()
        for rec in _dec(out).split("\0"):
            meta, _, path = rec.partition("\t")
            if path in wanted:
                found.add((path, meta.split()[2]))
        return found

    # -- objects -----------------------------------------------------------------------

    def object_sizes(self, oids: Iterable[str]) -> dict[str, int]:
        """Sizes of blobs by id, in one `cat-file --batch-check`."""
        wanted = list(dict.fromkeys(oids))
        if not wanted:
            return {}
        out = self.run(["cat-file", "--batch-check=%(objectsize)", "--buffer"],
                       stdin=("\n".join(wanted) + "\n").encode("ascii"))
        try:
            return dict(zip(wanted, map(int, out.split()), strict=True))
        except ValueError:  # a line "<oid> missing" instead of a size
            missing = next(line for line in _dec(out).splitlines() if line.endswith("missing"))
            raise CouldNotCheck(
                f"object {missing.split()[0]} is not in this clone (a partial or broken clone?)",
                "fetch the full history (git fetch --refetch, or a clone without --filter)",
            ) from None

    def object_heads(self, oids: Iterable[str], nbytes: int = SNIFF_BYTES) -> dict[str, bytes]:
        """The first `nbytes` of each blob, streamed through one `cat-file --batch`."""
        wanted = list(dict.fromkeys(oids))
        if not wanted:
            return {}
        import threading

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
        fields = _dec(out).split("\0")
        for i in range(0, len(fields) - 2, 3):
            result.setdefault(fields[i], {})[fields[i + 1]] = fields[i + 2]
        return result

    def ls_files(self, pathspecs: Sequence[str] = (), untracked: bool = False) -> list[str]:
        """Paths in the index (and, with `untracked`, new files git does not ignore)."""
        extra = ["--others", "--exclude-standard"] if untracked else []
        out = self.run(["ls-files", "-z", "--cached", *extra, "--", *pathspecs])
        return list(dict.fromkeys(_dec(out).split("\0")[:-1]))

    def check_ignore(self, paths: Iterable[str]) -> set[str]:
        """Which paths .gitignore rules ignore, tracked or not (a trailing / asks as a folder)."""
        wanted = list(dict.fromkeys(paths))
        if not wanted:
            return set()
        out = self.run(["check-ignore", "-z", "--stdin", "--no-index"],
                       stdin=b"\0".join(_enc(p) for p in wanted) + b"\0", ok=(0, 1))
        return set(_dec(out).split("\0")[:-1])

    def index_entries(self, pathspecs: Sequence[str]) -> list[tuple[str, str]]:
        """(path, blob id) of index entries matching the (glob) pathspecs."""
        return [(c.path, c.oid) for c in self._ls_files(pathspecs, literal=False)]

    def index_changes(self, paths: Sequence[str]) -> list[Change]:
        """The index blobs of these literal paths (every entry when none are given)."""
        return self._ls_files(paths, literal=True)

    def _ls_files(self, pathspecs: Sequence[str], literal: bool) -> list[Change]:
        flags = ["--literal-pathspecs"] if literal else []
        out = self.run([*flags, "ls-files", "-s", "-z", "--", *pathspecs])
        entries = []
        for rec in _dec(out).split("\0"):
            if rec:
                meta, _, path = rec.partition("\t")
                mode, oid, _stage = meta.split()
                if mode != GITLINK:
                    entries.append(Change(path, oid, mode))
        return entries

    def commit_subjects(self, commits: Iterable[str]) -> dict[str, str]:
        wanted = list(dict.fromkeys(commits))
        if not wanted:
            return {}
        out = self.run(["show", "-s", "--no-walk", "--format=%H %s", *wanted])
        subjects: dict[str, str] = {}
        for line in _dec(out).splitlines():
            commit, _, subject = line.partition(" ")
            subjects[commit] = subject
        return subjects


def _parse_raw(fields: list[str], with_commits: bool) -> tuple[list[Change], set[str]]:
    """Parse `--raw -z` fields: the blobs added or changed, and the blobs deletions remove.

    An entry is ':<modes> <oids> <status>' then the path; diff-tree --stdin puts each commit
    id before its entries. A plain entry has a fixed layout (':100644 100644 <oid> <oid> M'),
    read by offsets: a range can hold a hundred thousand. Combined (merge) entries start with
    one ':' per parent. Submodules are left out.
    """
    changes: list[Change] = []
    removed: set[str] = set()
    append = changes.append
    new = tuple.__new__
    current: str | None = None
    it = iter(fields)
    for tok in it:
        if not tok:
            continue
        if tok[0] != ":":
            if with_commits:
                current = tok
            continue
        path = next(it)
        if tok[1] != ":":
            hexlen = (len(tok) - 18) // 2
            mode, oid = tok[8:14], tok[16 + hexlen:16 + 2 * hexlen]
            if mode == NULL_MODE:
                removed.add(tok[15:15 + hexlen])
        else:
            parents = len(tok) - len(tok.lstrip(":"))
            meta = tok[parents:].split(" ")
            mode, oid = meta[parents], meta[2 * parents + 1]
        if mode != NULL_MODE and mode != GITLINK:
            append(new(Change, (path, oid, mode, current)))
    return changes, removed


def _find_dot_git(start: str) -> Repo | None:
    """The repository whose `.git` is nearest above `start`; None when git should decide."""
    d = start
    while True:
        dot = os.path.join(d, ".git")
        if os.path.isdir(dot):
            if not os.path.isfile(os.path.join(dot, "HEAD")):
                return None
            return Repo(d, dot, dot)
        if os.path.isfile(dot):  # a worktree or submodule: "gitdir: <path>"
            try:
                with open(dot, encoding="utf-8") as fh:
                    text = fh.read().strip()
            except OSError:
                return None
            if not text.startswith("gitdir:"):
                return None
            git_dir = os.path.normpath(os.path.join(d, text[len("gitdir:"):].strip()))
            common = git_dir
            try:
                with open(os.path.join(git_dir, "commondir"), encoding="utf-8") as fh:
                    common = os.path.normpath(os.path.join(git_dir, fh.read().strip()))
            except OSError:
                pass
            return Repo(d, git_dir, common)
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


def _feed(pipe: IO[bytes], data: bytes) -> None:
    try:
        pipe.write(data)
    finally:
        pipe.close()


def _skip(stream: IO[bytes], n: int) -> None:
    while n > 0:
        chunk = stream.read(min(n, 1 << 20))
        if not chunk:
            return
        n -= len(chunk)


def _first_line(stderr: bytes) -> str:
    text = _dec(stderr).strip()
    return text.splitlines()[0] if text else "no message"
