"""Git history: commits, what each changed, and the blobs they bring, read in bulk.

Everything here is one `rev-list`, `diff-tree --stdin` or `log` per question however many
commits it covers; `parse_raw` reads their `--raw -z` output by offsets.
"""

import os
import subprocess
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import NamedTuple

from dataward.adapters.git.process import GIT, Git, dec, first_line
from dataward.errors import CouldNotCheck

GITLINK = "160000"
NULL_MODE = "000000"
NULL_OID = "0" * 40
# blobs_over lists sizes alone first from this floor up (bytes); see there.
_SIZES_FIRST = 64 * 1024


def _blobs_over(fields: list[bytes], size: int) -> dict[str, int]:
    """The blobs over `size` bytes (every one for -1), by id, from cat-file's `<type> <id>
    <size>` lines split into fields: read as columns, and a size closely only when it has
    as many digits as `size` (a listing can hold every object of the repository)."""
    digits = len(str(size)) if size >= 0 else 0
    return {oid.decode(): int(n) for kind, oid, n in zip(fields[0::3], fields[1::3],
                                                         fields[2::3], strict=True)
            if len(n) >= digits and kind == b"blob" and int(n) > size}


class Change(NamedTuple):
    """A blob that a commit (or the index, when `commit` is None) puts at `path`;
    `moved_from`: a path the same commit deletes that blob from (a move, or a rename)."""

    path: str
    oid: str
    mode: str
    commit: str | None = None
    moved_from: str | None = None


class LogEntry(NamedTuple):
    sha: str
    date: str  # author date, ISO 8601 with offset
    author: str
    subject: str
    parents: tuple[str, ...] = ()  # known where the walk needs them (first_parent_history)


class FileChange(NamedTuple):
    """What a commit did to one path: status A(dded), M(odified), D(eleted), R(enamed from
    `old_path`), C(opied), T(ype changed); `oid` is the blob after the change."""

    path: str
    oid: str
    status: str
    old_path: str | None = None


class History(Git):
    __slots__ = ()

    def resolve_commit(self, rev: str) -> str | None:
        out = self.ask(["rev-parse", "--verify", "--quiet", "--end-of-options",
                        f"{rev}^{{commit}}"])
        return dec(out).strip() if out is not None else None

    def merge_base(self, a: str, b: str) -> str | None:
        """The best common ancestor of two commits; None when they share no history."""
        out = self.ask(["merge-base", a, b])
        return dec(out).split()[0] if out and out.split() else None

    def commit_entry(self, commit: str) -> tuple[LogEntry, str]:
        """A commit as a log names it (id, author date, author, subject), and its committer
        date."""
        out = self.run(["log", "-1", "-z", "--format=%H%x00%aI%x00%an%x00%s%x00%cI", commit])
        sha, date, author, subject, committed = dec(out).split("\0")[:5]
        return LogEntry(sha, date, author, subject), committed

    def is_ancestor(self, commit: str, of: str) -> bool:
        """Whether `of` descends from `commit` (or is it); False when either is unknown."""
        return self.ask(["merge-base", "--is-ancestor", commit, of]) is not None

    def shallow_commits(self) -> frozenset[str]:
        """Commits whose parents this clone lacks (empty for a full clone)."""
        try:
            with open(os.path.join(self.common_dir, "shallow"), encoding="ascii") as fh:
                return frozenset(line.strip() for line in fh if line.strip())
        except FileNotFoundError:
            return frozenset()

    def new_blobs(self, revs: Sequence[str], edges: bool = False, over: int = -1
                  ) -> tuple[list[str], dict[str, int], Callable[[], dict[str, int]]]:
        """Commits of `rev-list REVS`, and the size of every blob their trees bring that the
        excluded revisions lack: `rev-list --objects | cat-file --batch-check`, piped in git.
        The sizes of those over `over` bytes come at once; every one's, from the same
        listing, when the function returned is called (a range brings a hundred thousand
        blobs, and most callers need only the large ones).

        `edges`: REVS name trees or blobs too. git then marks the trees of every excluded
        commit as known (as `push` does for a thin pack), not only those of the parents of
        the commits it walks: a tree has no parents to reach them by.
        """
        edge = ["--objects-edge-aggressive"] if edges else []
        walk = subprocess.Popen(
            [*GIT, "rev-list", "--objects", *edge, "--no-object-names", *revs], cwd=self.root,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        check = subprocess.run(
            [*GIT, "cat-file", "--batch-check=%(objecttype) %(objectname) %(objectsize)",
             "--buffer"], cwd=self.root, stdin=walk.stdout, capture_output=True, check=False)
        assert walk.stdout is not None and walk.stderr is not None
        walk.stdout.close()
        err = walk.stderr.read()
        if walk.wait() != 0 or check.returncode != 0:
            raise CouldNotCheck(f"git rev-list failed: {first_line(err or check.stderr)}",
                                "check that the repository is intact (git fsck)")
        out: bytes = check.stdout
        if b" missing\n" in out:
            for line in dec(out).splitlines():
                kind, _, rest = line.partition(" ")
                if rest == "missing" and kind[0] != "-":  # "<oid> missing"; "-<oid>": an edge
                    raise CouldNotCheck(f"object {kind} is not in this clone (a partial "
                                        "clone?)", "fetch the full history (a clone "
                                        "without --filter)")
            out = b"\n".join(line for line in out.splitlines() if not line.endswith(b"missing"))
        # Every other line is "<type> <id> <size>": read as columns, not line by line, and
        # ids and sizes turned into text and numbers only where they are wanted.
        fields = out.split()
        if len(fields) % 3:  # not one line git writes for an object: left out, as before
            fields = [f for line in out.splitlines() if len(cols := line.split()) == 3
                      for f in cols]
        commits = [oid.decode() for kind, oid in zip(fields[0::3], fields[1::3], strict=True)
                   if kind == b"commit"]
        return commits, _blobs_over(fields, over), partial(_blobs_over, fields, -1)

    def blobs_over(self, size: int) -> set[str]:
        """The blobs over `size` bytes this repository stores, reachable or not: one
        `cat-file --batch-all-objects` (object sizes come from pack indexes and loose
        headers, never the data)."""
        digits = len(str(size))  # a size with fewer digits is not over `size`
        # Most repositories hold no object that large: sizes alone (a tenth of the listing,
        # read by git and here in two thirds of the time) say so; only when some object is
        # over, list them again with their types and ids. A small floor (binaries refused
        # outright) finds some object over it in any repository: list once.
        if size >= _SIZES_FIRST and not any(
                len(n) >= digits and int(n) > size for n in self._all_objects("").split()):
            return set()
        return set(_blobs_over(self._all_objects("%(objecttype) %(objectname) ").split(),
                               size))

    def _all_objects(self, prefix: str) -> bytes:
        """`prefix%(objectsize)` of every object this repository stores, one a line."""
        proc = subprocess.run(
            [*GIT, "cat-file", "--batch-all-objects", "--unordered",
             f"--batch-check={prefix}%(objectsize)"],
            cwd=self.root, capture_output=True, check=False)
        if proc.returncode != 0:
            raise CouldNotCheck("git cat-file could not list this repository's objects",
                                "run `git fsck` to see what is wrong with the repository")
        return proc.stdout

    def commit_changes(self, revs: Sequence[str], pathspecs: Sequence[str] = ()
                       ) -> list[Change]:
        """Every blob each commit of `rev-list REVS` adds or changes, oldest commit first,
        limited to `pathspecs` when given.

        Merges count only what their resolution adds (combined diff), so a merge of main
        into a branch does not re-report main.
        """
        commits = dec(self.run(["rev-list", "--reverse", "--topo-order", *revs])).split()
        if not commits:
            return []
        out = self.run(
            ["diff-tree", "--stdin", "-z", "-r", "--raw", "--no-renames", "--no-abbrev",
             "-c", "--root", "--", *pathspecs],
            stdin=("\n".join(commits) + "\n").encode("ascii"),
        )
        return parse_raw(dec(out).split("\0"), with_commits=True)

    def first_parent_history(self, rev: str, pathspecs: Sequence[str]
                             ) -> list[tuple[LogEntry, list[FileChange]]]:
        """The commits of `rev`'s first-parent line that change files matching `pathspecs`,
        oldest first, each with its changes against its first parent (renames detected: a
        renamed file is one Change whose `old_path` is set). One `git log`."""
        out = dec(self.run(["log", "--first-parent", "--diff-merges=first-parent", "--root",
                            "--reverse", "-z", "--raw", "--no-abbrev", "-M",
                            "--format=%x01%H%x00%P%x00%aI%x00%an%x00%s", rev, "--",
                            *pathspecs]))
        return _parse_log(out)

    def merged_changes(self, merge: LogEntry, pathspecs: Sequence[str]) -> list[list[FileChange]]:
        """The changes at `pathspecs` of each commit a merge brings (those of its second
        and later parents its first parent lacks), oldest first, renames detected: what the
        merge's one diff against its first parent folds together."""
        if len(merge.parents) < 2:
            return []
        out = dec(self.run(["log", "--reverse", "--topo-order", "--no-merges", "-z", "--raw",
                            "--no-abbrev", "-M", "--format=%x01%H%x00%P%x00%aI%x00%an%x00%s",
                            *merge.parents[1:], f"^{merge.parents[0]}", "--", *pathspecs]))
        return [changes for _, changes in _parse_log(out)]

    def file_versions(self, revs: Sequence[str], pathspecs: Sequence[str]
                      ) -> set[tuple[str, str]]:
        """Every (path, blob id) that the commits of `rev-list REVS` add, change or remove
        at `pathspecs`: both sides of each change, merges against each parent. With the
        files of the newest tree, these are every version those commits' trees hold."""
        out = self.run(["-c", "log.showRoot=true", "log", "--format=", "--raw", "-z", "-m",
                        "--no-renames", "--no-abbrev", *revs, "--", *pathspecs])
        versions: set[tuple[str, str]] = set()
        it = iter(dec(out).split("\0"))
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

    def first_parent_line(self, rev: str) -> list[str]:
        """The commits of `rev`'s first-parent line (its main line), newest first."""
        return dec(self.run(["rev-list", "--first-parent", rev])).split()

    def version_commits(self, revs: Sequence[str], pathspecs: Sequence[str]
                        ) -> dict[tuple[str, str], list[str]]:
        """(path, blob) of every file version at `pathspecs` that the history of `revs`
        brought -> the commits that brought it, newest first. Every version a tree of that
        history holds is the new side of some commit's change (root commits show their
        files, merges are diffed against each parent), so the new sides are enough."""
        out = dec(self.run(["-c", "log.showRoot=true", "log", "--format=%x01%H", "--raw", "-z",
                            "-m", "--no-renames", "--no-abbrev", *revs, "--", *pathspecs]))
        found: dict[tuple[str, str], list[str]] = {}
        commit = ""
        it = iter(out.split("\0"))
        for tok in it:
            tok = tok.lstrip("\n")
            if tok.startswith("\x01"):
                commit = tok[1:]
            elif tok.startswith(":"):
                path = next(it, "")
                meta = tok[1:].split(" ")
                if len(meta) >= 4 and meta[3] != NULL_OID and \
                        meta[1] not in (NULL_MODE, GITLINK):
                    commits = found.setdefault((path, meta[3]), [])
                    if commit not in commits:
                        commits.append(commit)
        return found

    def ref_tips(self) -> dict[str, str]:
        """Every branch (local, and remote-tracking: a CI checkout has its branches only as
        `refs/remotes/origin/*`), every tag, DVC experiment (`refs/exps/`) and HEAD -> the
        commit it names (annotated tags
        peeled; a tag on a tree or blob is left out: it holds no DVC files' history)."""
        out = self.run(["for-each-ref", "--format=%(refname)%00%(objectname)%00%(*objectname)"
                        "%00%(objecttype)%00%(*objecttype)", "refs/heads", "refs/remotes",
                        "refs/tags", "refs/exps"])
        head = self.resolve_commit("HEAD")
        tips: dict[str, str] = {"HEAD": head} if head else {}
        for line in dec(out).splitlines():
            ref, oid, peeled, kind, peeled_kind = line.split("\0")
            if (peeled_kind or kind) == "commit":
                tips[ref] = peeled or oid
        return tips

    def tags(self) -> dict[str, list[str]]:
        """Each tagged object -> its tag names (without `refs/tags/`): annotated tags peeled
        to what they finally name, as `git show-ref -d` does. No tags: empty."""
        out = self.ask(["show-ref", "--tags", "-d"])
        named: dict[str, str] = {}  # tag name -> object, the peeled one winning
        for line in dec(out or b"").splitlines():
            oid, _, ref = line.partition(" ")
            name = ref.removeprefix("refs/tags/").removesuffix("^{}")
            if ref.startswith("refs/tags/") and (ref.endswith("^{}") or name not in named):
                named[name] = oid
        tagged: dict[str, list[str]] = {}
        for name, oid in named.items():
            tagged.setdefault(oid, []).append(name)
        return tagged

    def commit_subjects(self, commits: Iterable[str]) -> dict[str, str]:
        wanted = list(dict.fromkeys(commits))
        if not wanted:
            return {}
        out = self.run(["show", "-s", "--no-walk", "--format=%H %s", *wanted])
        subjects: dict[str, str] = {}
        for line in dec(out).splitlines():
            commit, _, subject = line.partition(" ")
            subjects[commit] = subject
        return subjects


def _parse_log(out: str) -> list[tuple[LogEntry, list[FileChange]]]:
    """`git log -z --raw` with the format `%x01%H%x00%P%x00%aI%x00%an%x00%s`."""
    history: list[tuple[LogEntry, list[FileChange]]] = []
    tokens = iter(out.split("\0"))
    for token in tokens:  # read in order: metadata may hold any byte but NUL
        token = token.lstrip("\n")
        if token.startswith("\x01") and len(token) == 41:
            sha, parents = token[1:], next(tokens, "")
            date, author, subject = next(tokens, ""), next(tokens, ""), next(tokens, "")
            history.append((LogEntry(sha, date, author, subject, tuple(parents.split())), []))
        elif token.startswith(":") and history:
            _, _, _, new_oid, status = token[1:].split()
            path, old = next(tokens), None
            if status[0] in "RC":
                old, path = (path if status[0] == "R" else None), next(tokens)
            history[-1][1].append(FileChange(path, new_oid, status[0], old))
    return history


def parse_raw(fields: list[str], with_commits: bool) -> list[Change]:
    """Parse `--raw -z` fields: the blobs added or changed, each with the path a deletion
    in the same commit takes it from (`moved_from`), if any.

    An entry is ':<modes> <oids> <status>' then the path; diff-tree --stdin puts each commit
    id before its entries. A plain entry has a fixed layout (':100644 100644 <oid> <oid> M'),
    read by offsets: a range can hold a hundred thousand. Combined (merge) entries start with
    one ':' per parent. Submodules are left out.
    """
    changes: list[Change] = []
    removed: dict[tuple[str | None, str], str] = {}
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
                removed.setdefault((current, tok[15:15 + hexlen]), path)
        else:
            parents = len(tok) - len(tok.lstrip(":"))
            meta = tok[parents:].split(" ")
            mode, oid = meta[parents], meta[2 * parents + 1]
        if mode != NULL_MODE and mode != GITLINK:
            append(new(Change, (path, oid, mode, current, None)))
    if removed:
        changes = [c._replace(moved_from=removed[(c.commit, c.oid)])
                   if (c.commit, c.oid) in removed else c for c in changes]
    return changes
