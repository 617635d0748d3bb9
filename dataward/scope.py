"""What a gate looks at: the staged index, a range of commits, a push, or all of history.

Each scope resolves to git revisions up front and fails closed: a revision this clone does
not have (a shallow CI checkout) is exit 3 with the reason, never a silent pass.
"""

import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import NamedTuple

from dataward.adapters.git import Change, Repo
from dataward.errors import CouldNotCheck, UsageError

ZERO_OID = "0" * 40
_OID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
SHALLOW_HINT = ("fetch the full history: `git fetch --unshallow`, or `fetch-depth: 0` "
                "in actions/checkout")


class Loose(NamedTuple):
    """A pushed ref that ends, through its tags, at a tree or a blob instead of a commit:
    what it holds is pushed, though no commit of the push adds it."""

    local_ref: str
    remote_ref: str
    remote: str
    kind: str  # "tree" or "blob"
    oid: str


class Scope(NamedTuple):
    kind: str  # "staged", "index", "range" or "all"
    description: str
    revs: tuple[str, ...] = ()  # for "index": the paths
    tip: str | None = None  # the commit whose tree is "now"; None for the index (or a push
    # of trees and blobs only)
    loose: tuple[Loose, ...] = ()

    @property
    def history(self) -> bool:
        return self.kind in ("range", "all")

    def changes(self, repo: Repo, pathspecs: Sequence[str] = ()) -> list[Change]:
        """The (path, blob) pairs the scope's commits (or the index) add, moves included
        (`moved_from` set); for history, limited to `pathspecs`."""
        if self.kind == "staged":
            return repo.staged_changes(moves=True)
        if self.kind == "index":
            return repo.index_changes(self.revs)
        return repo.commit_changes(self.revs, pathspecs)

    def new_blobs(self, repo: Repo, over: int
                  ) -> tuple[dict[str, int], Callable[[], dict[str, int]]]:
        """History scopes: the size of each blob new to the range (its loose trees and blobs
        included) over `over` bytes, by id; and a function that gives every one's.

        Fails closed when the range reaches past a shallow clone's boundary: commits there
        look like new roots, and everything they hold would look new.
        """
        loose = tuple(item.oid for item in self.loose)
        commits, sizes, every = repo.new_blobs((*loose, *self.revs), edges=bool(loose),
                                               over=over)
        cut = repo.shallow_commits().intersection(commits)
        if cut:
            raise CouldNotCheck(
                f"{self.description} reaches past the shallow clone boundary at "
                f"{sorted(cut)[0][:12]}: its commits cannot be told apart from the history "
                "this clone lacks",
                SHALLOW_HINT,
            )
        return sizes, every


def staged() -> Scope:
    return Scope("staged", "the staged changes")


def index(paths: list[str]) -> Scope:
    """The index blobs of these paths (all paths when empty), changed or not."""
    return Scope("index", "the given files in the index", tuple(paths))


def whole_history(repo: Repo) -> Scope:
    head = repo.resolve_commit("HEAD")
    if head is None:
        raise UsageError("HEAD has no commits yet; --all audits committed history",
                         "commit first, or check the staged files without --all")
    return Scope("all", "all history of HEAD", (head,), head)


def commit_range(repo: Repo, spec: str) -> Scope:
    """`BASE..HEAD` (commits in HEAD not in BASE) or `BASE...HEAD` (since their merge base)."""
    sep = "..." if "..." in spec else ".." if ".." in spec else None
    if sep is None:
        raise UsageError(f"--range {spec!r} is not of the form BASE..HEAD",
                         "give two revisions, e.g. --range origin/main..HEAD")
    base_rev, head_rev = (part or "HEAD" for part in spec.split(sep, 1))
    base, head = _need(repo, base_rev, spec), _need(repo, head_rev, spec)
    if sep == "...":
        common = repo.merge_base(base, head)
        if common is None:
            raise CouldNotCheck(f"{base_rev} and {head_rev} share no history in this clone",
                                SHALLOW_HINT)
        base = common
    return Scope("range", f"commits {spec}", (f"{base}..{head}",), head)


def from_pre_commit_env(repo: Repo, env: Mapping[str, str]) -> Scope | None:
    """The scope pre-commit gives a pre-push (or `run --from-ref/--to-ref`) hook, if any."""
    frm, to = env.get("PRE_COMMIT_FROM_REF"), env.get("PRE_COMMIT_TO_REF")
    if frm and to:
        return commit_range(repo, f"{frm}..{to}")
    remote = env.get("PRE_COMMIT_REMOTE_NAME")
    if remote:  # a new branch whose history reaches a root commit: pre-commit gives no range
        local = env.get("PRE_COMMIT_LOCAL_BRANCH") or "HEAD"
        tip = _need(repo, local, "the pushed branch")
        return Scope("range", f"commits of {local} not on {remote}",
                     (tip, "--not", f"--remotes={remote}"), tip)
    return None


def from_push_lines(repo: Repo, remote: str, lines: Iterable[str]) -> Scope | None:
    """The scope of a plain git pre-push hook: `<local ref> <sha> <remote ref> <sha>` lines.

    Every object a pushed ref reaches and the remote lacks: the commits (through any tags)
    and what they add, and trees and blobs that a tag (or any ref) points at directly.
    """
    pushed = _pushed_refs(repo, remote, lines)
    if not pushed:
        return None
    tips = [p.peeled for p in pushed if p.kind == "commit"]
    loose = tuple(Loose(p.local_ref, p.remote_ref, remote, p.kind, p.peeled)
                  for p in pushed if p.kind != "commit")
    known_remote = [p.remote_sha for p in pushed if p.remote_sha]
    revs = (*tips, "--not", *known_remote, f"--remotes={remote}")
    return Scope("range", f"commits pushed to {remote}", revs, tips[-1] if tips else None,
                 loose)


def per_pushed_ref(repo: Repo, remote: str, lines: Iterable[str]) -> list[Scope]:
    """One scope per pushed ref that ends at a commit, each with its own tip: what that
    ref's commits change, seen at the commit the remote ref will point at."""
    scopes = []
    for p in _pushed_refs(repo, remote, lines):
        if p.kind != "commit":
            continue
        revs = (p.peeled, "--not", *([p.remote_sha] if p.remote_sha else []),
                f"--remotes={remote}")
        scopes.append(Scope("range", f"commits pushed to {remote} ({p.peeled[:12]})", revs,
                            p.peeled))
    return scopes


class _Pushed(NamedTuple):
    local_ref: str
    remote_ref: str
    kind: str  # what the pushed object is once its tags are peeled: commit, tree or blob
    peeled: str
    remote_sha: str | None  # what the remote ref holds now, when this clone has it


def _pushed_refs(repo: Repo, remote: str, lines: Iterable[str]) -> list[_Pushed]:
    """The pushed refs, tags peeled; deletions are skipped."""
    parsed: list[list[str]] = []
    for line in lines:
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 4 or not all(_OID.fullmatch(p) for p in (parts[1], parts[3])):
            # A gate that skipped what it cannot read would pass what it never saw.
            raise CouldNotCheck(
                f"cannot read the pre-push line {line[:200]!r}: git gives four fields, "
                "`<local ref> <local sha> <remote ref> <remote sha>`",
                "run it as git's pre-push hook (or `dataward hook pre-push REMOTE URL`), "
                "which feeds it these lines on stdin")
        if parts[1] != ZERO_OID:  # deleting a remote ref adds nothing
            parsed.append(parts)
    peeled = repo.peel(oid for p in parsed for oid in (p[1], p[3]) if oid != ZERO_OID)
    pushed = []
    for local_ref, local_sha, remote_ref, remote_sha in parsed:
        if local_sha not in peeled:
            raise CouldNotCheck(
                f"{local_ref} is pushed as {local_sha[:12]}, which is not in this clone",
                f"run `git fsck`, then push again: git push {_q(remote)} {_q(local_ref)}")
        kind, oid = peeled[local_sha]
        # Any object this clone has of the remote's is known there, whatever its type.
        known = remote_sha if remote_sha in peeled else None
        pushed.append(_Pushed(local_ref, remote_ref, kind, oid, known))
    return pushed


def _q(word: str) -> str:
    import shlex

    return shlex.quote(word)


def commit(repo: Repo, rev: str, context: str) -> str:
    """The commit `rev` names; exit 3 with the reason when this clone lacks it."""
    return _need(repo, rev, context)


def _need(repo: Repo, rev: str, context: str) -> str:
    oid = repo.resolve_commit(rev)
    if oid is not None:
        return oid
    if repo.shallow_commits():
        raise CouldNotCheck(f"{rev} (from {context}) is not in this shallow clone", SHALLOW_HINT)
    raise CouldNotCheck(f"{rev} (from {context}) is not a commit in this clone",
                        f"fetch it first (git fetch origin {rev}) or check the spelling")


# cat-file finds an index entry by name in about 20 us; past this many, the staged changes
# (one `diff --cached`) and their sizes (loose objects read directly) cost less.
NAMED_AT_MOST = 500


def all_at_most(repo: Repo, paths: Iterable[str], kb: int) -> bool:
    """Whether the index blob of each path is at most `kb` KB, outside any DVC project,
    from one git process: then no-large-binaries finds nothing in them, staged or not (the
    files pre-commit passes are almost always these). Any doubt is False: the full check."""
    wanted = sorted(paths)
    if len(wanted) > NAMED_AT_MOST:
        return False
    sizes = None if dvc_project_covers(repo.root, wanted) else repo.index_sizes(wanted)
    return sizes is not None and max(sizes, default=0) <= kb * 1024


def dvc_project_covers(root: str, paths: Iterable[str]) -> bool:
    """Whether a `.dvc` folder sits at the root or above any of these paths."""
    if os.path.isdir(os.path.join(root, ".dvc")):
        return True
    dirs: set[str] = set()
    for parent in {p.rpartition("/")[0] for p in paths}:
        while parent and parent not in dirs:
            dirs.add(parent)
            parent = parent.rpartition("/")[0]
    return any(os.path.isdir(os.path.join(root, d, ".dvc")) for d in dirs)
