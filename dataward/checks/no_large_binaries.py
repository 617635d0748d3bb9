"""no-large-binaries: no blob above the size limit, and no binary the policy forbids, enters git.

Judges what git will store (the staged blob, or each blob a commit adds), never the working
file. Needs only git, never dvc; its start-up is as small as the hooks it replaces."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NamedTuple, TypeVar

from dataward import runner, scope
from dataward.adapters.git import SNIFF_BYTES, Change, Repo
from dataward.adapters.state import State
from dataward.filenames import repo_paths
from dataward.findings import Finding, Outcome
from dataward.policy import LargeBinariesPolicy, Policy
from dataward.runner import Request, add_common_options

if TYPE_CHECKING:  # DVC files are read only when a DVC project may hold the files judged
    from dataward.checks.dvc_owners import Owners
    from dataward.formats.dvcfile import DvcOut

CHECK_ID = "no-large-binaries"
LFS_POINTER_PREFIX = b"version https://git-lfs.github.com/spec/v1"
LFS_POINTER_MAX = 1024
T = TypeVar("T")


class Blob(NamedTuple):
    """What is known about one blob entering history at one path."""

    path: str
    oid: str
    size: int
    commit: str | None = None  # None: staged
    binary: bool | None = None  # None: not read, as its kind could not change the verdict
    lfs: bool = False  # the path has filter=lfs
    lfs_pointer: bool = False
    at_tip: bool = True  # still at this path in the newest commit of the scope
    dvc_owner: DvcOut | None = None  # the DVC output holding this path in its own commit
    via: scope.Loose | None = None  # pushed in a tree or as a blob a ref points at, no commit
    path_at_tip: bool = True  # the path, in any version, is in the newest commit of the scope


class Context(NamedTuple):
    """Facts about the scope that shape messages and fixes."""

    kind: str  # "staged", "index", "range" or "all"
    dvc_repo: bool = True  # a DVC project covers these paths (else the fix starts with dvc init)
    subjects: dict[str, str] = {}  # noqa: RUF012 - commit id -> subject; never mutated
    root_commits: frozenset[str] = frozenset()
    tip_blobs: dict[str, tuple[str, ...]] = {}  # noqa: RUF012 - --all: blob -> paths in HEAD


# -- pure policy ----------------------------------------------------------------------------


def size_limits(policy: LargeBinariesPolicy, path: str) -> tuple[int, int]:
    """(binary, text) size limits in KB at `path`: the last glob of `limits` that matches
    sets both. A blob a ref points at has no path (""): the limits that name no path judge it."""
    if policy.limits and path:
        from dataward.formats.globs import last_match

        pattern = last_match(list(policy.limits), path)
        if pattern is not None:
            return policy.limits[pattern], policy.limits[pattern]
    return policy.max_kb, policy.text_max_kb


def limit_kb(policy: LargeBinariesPolicy, path: str, binary: bool | None) -> int:
    """The size limit for a blob of this kind; a blob not read (None) is held to the smaller
    limit: only one over both, or under both, is left unread."""
    limits = size_limits(policy, path)
    return min(limits) if binary is None else limits[0] if binary else limits[1]


def binary_limit_kb(policy: LargeBinariesPolicy, path: str) -> int | None:
    """The stricter limit for binaries at this path, or None when only the size limit applies."""
    if policy.binary_max_kb is None or not path:
        return policy.binary_max_kb
    from dataward.formats.globs import last_match

    return None if last_match(policy.binary_allow, path) else policy.binary_max_kb


def needs_sniff(policy: LargeBinariesPolicy, path: str, size: int) -> bool:
    """Whether telling binary from text could change the verdict on this blob: it lies
    between the limits for text and binaries, or over binary-max-kb but not the size limit.
    A blob over both size limits is refused either way and is not read (it may be GBs)."""
    binary, text = size_limits(policy, path)
    if min(binary, text) * 1024 < size <= max(binary, text) * 1024:
        return True
    blimit = binary_limit_kb(policy, path)
    return blimit is not None and blimit * 1024 < size <= binary * 1024


def stricter(policy: LargeBinariesPolicy, path: str, than: str) -> bool:
    """Whether some blob passes at `than` but not at `path`: a move there needs judging."""
    limit, old = binary_limit_kb(policy, path), binary_limit_kb(policy, than)
    new_sizes, old_sizes = size_limits(policy, path), size_limits(policy, than)
    return any(n < o for n, o in zip(new_sizes, old_sizes, strict=True)) or \
        (limit is not None and (old is None or limit < old))


def verdict(blob: Blob, policy: LargeBinariesPolicy) -> tuple[str, str] | None:
    """(what is wrong, rule id) for a blob over a limit at its path, else None."""
    from dataward.checks.large_file_fixes import human, over_both, over_limit, size_over

    binary, text = size_limits(policy, blob.path)
    limit = limit_kb(policy, blob.path, blob.binary)
    blimit = binary_limit_kb(policy, blob.path) if blob.binary else None
    if blob.size > limit * 1024:
        if binary == text:
            return f"is {over_limit(blob.size, limit)}", "large-file"
        if blob.binary is None:
            return f"is {over_both(blob.size, binary, text)}", "large-file"
        return f"is {over_limit(blob.size, limit, 'binaries' if blob.binary else 'text')}", \
            "large-file"
    if blimit is None or blob.size <= blimit * 1024:
        return None
    if not blimit:
        return (f"is a binary file ({human(blob.size)}); binary files are not allowed here",
                "binary-file")
    shown, most, _ = size_over(blob.size, blimit)
    return f"is a {shown} binary file; binaries over {most} are not allowed here", "binary-file"


def judge(blobs: Sequence[Blob], policy: LargeBinariesPolicy, ctx: Context) -> list[Finding]:
    in_dvc: dict[tuple[str, str], list[Blob]] = {}
    judged: list[tuple[Blob, str, str]] = []
    for blob in blobs:
        if blob.dvc_owner is not None:
            in_dvc.setdefault((blob.dvc_owner.path, blob.dvc_owner.dvcfile), []).append(blob)
        elif not (blob.lfs and blob.lfs_pointer) and (found := verdict(blob, policy)):
            judged.append((blob, *found))
    if not judged and not in_dvc:
        return []
    from dataward.checks import large_file_fixes as fixes

    strip: dict[str, list[str]] = {}  # path -> its offending blobs, for one rewrite
    for blob, _, _ in judged:
        if blob.commit is not None:
            strip.setdefault(blob.path, []).append(blob.oid)
    findings: list[Finding] = []
    for blob, what, rule in judged:
        if blob.via is not None:
            findings.append(fixes.loose_finding(blob, what, rule))
        elif blob.lfs:
            findings.append(_lfs_finding(blob, ctx))
        else:
            findings.append(fixes.finding(blob, ctx, what, rule, strip.get(blob.path, [])))
    for (out_path, dvcfile), members in sorted(in_dvc.items()):
        findings.append(fixes.dvc_output_finding(out_path, dvcfile, members, ctx))
    return findings


def _lfs_finding(blob: Blob, ctx: Context) -> Finding:
    from dataward.checks import large_file_fixes as fixes

    what = (f"is marked filter=lfs, but git got the file itself ({fixes.human(blob.size)}), "
            "not an LFS pointer")
    if blob.commit is not None:
        return fixes.finding(blob, ctx, what, "lfs-not-pointer", [blob.oid])
    from dataward.report.escape import shell_word

    path = shell_word(blob.path)
    return Finding(blob.path, None, CHECK_ID, f"{blob.path} {what}",
                   f"fix: git lfs install && git rm --cached {path} && git add {path}",
                   rule="lfs-not-pointer")


# -- gathering facts through git --------------------------------------------------------------


def collect(repo: Repo, sc: scope.Scope, policy: LargeBinariesPolicy, state: State,
            only: set[str] | None = None) -> tuple[list[Blob], Context]:
    """The blobs that could draw a finding, and what judging them needs to know.

    Each (path, blob) is judged at its path, wherever else the blob already is: a copy of an
    allowed file to a stricter path draws the same finding at commit, in a range and in
    --all. A move adds no data and is judged only when its new path is stricter than the old,
    except by --all, whose findings name every path to purge from history.
    Each commit is judged by its own DVC files: a file committed before it was a DVC output
    (or after it stopped being one) is no DVC output going into git.
    """
    from dataward.checks.dvc_owners import DVCFILE_PATHSPECS, index_owners

    via: dict[Change, scope.Loose] = {}
    if not sc.history:
        if os.path.isdir(os.path.join(repo.root, ".dvc")):  # index_owners will list them
            repo.index_entries_ahead(DVCFILE_PATHSPECS)
        changes = sc.changes(repo)
        if only is not None:
            changes = [c for c in changes if c.path in only]
        sizes = repo.object_sizes(c.oid for c in changes)
        owners, dvc_repo = index_owners(repo, [c.path for c in changes], state)
    else:
        changes, sizes, owners, dvc_repo, via = _history_changes(repo, sc, policy, state)
    # --all is a purge list: a blob left at any path of history is still in the clone.
    changes = [c for c in changes if sc.kind == "all" or c.moved_from is None
               or stricter(policy, c.path, c.moved_from)]

    # At or under the smallest limit a blob is neither over a limit nor worth reading.
    floor = _smallest_limit(policy) * 1024
    judgeable = [c for c in changes if sizes[c.oid] > floor]
    kinds = _kinds(repo, policy, judgeable, sizes)
    over = [c for c in judgeable
            if sizes[c.oid] > limit_kb(policy, c.path, kinds.get((c.path, c.oid))) * 1024]
    flagged = set(over) | {c for c in judgeable if kinds.get((c.path, c.oid))}
    owned = owners.at_commits(repo, [c for c in changes
                                     if c not in via and owners.ever.owner(c.path)])
    # Each (path, blob) once, at the first (oldest) commit that added it; commits first.
    firsts: dict[tuple[str, str], Change] = {}
    for change in changes:
        if change in flagged or change in owned:
            firsts.setdefault((change.path, change.oid), change)
    judged = list(firsts.values())

    flag_attrs = repo.check_attr((c.path for c in judged if c in flagged and c.path),
                                 ["filter"])
    lfs = {p for p, a in flag_attrs.items() if a.get("filter") == "lfs"}
    lfs_heads = repo.object_heads(c.oid for c in judged
                                  if c.path in lfs and sizes[c.oid] <= LFS_POINTER_MAX)
    at_tip = repo.present_at(sc.tip, (c.path for c in judged if c.commit)) if sc.tip else set()
    paths_at_tip = {p for p, _ in at_tip}
    blobs = [
        Blob(c.path, c.oid, sizes[c.oid], c.commit, kinds.get((c.path, c.oid)), c.path in lfs,
             lfs_heads.get(c.oid, b"").startswith(LFS_POINTER_PREFIX),
             c.commit is None or (c.path, c.oid) in at_tip, owned.get(c), via.get(c),
             c.commit is None or c.path in paths_at_tip)
        for c in judged
    ]
    commits = {c.commit for c in judged if c.commit}
    subjects = repo.commit_subjects(commits)
    roots = frozenset(c for c in commits if repo.resolve_commit(f"{c}^") is None)
    tip_blobs = _tip_blobs(repo, sc.tip, {c.oid for c in judged}) \
        if sc.kind == "all" and sc.tip and commits else {}
    return blobs, Context(sc.kind, dvc_repo, subjects, roots, tip_blobs)


def _tip_blobs(repo: Repo, tip: str, wanted: set[str]) -> dict[str, tuple[str, ...]]:
    """Where each of these blobs is in the tip's tree: --all rewrites by blob id, and a blob
    still in HEAD, at any path, must not be stripped from under it."""
    found: dict[str, tuple[str, ...]] = {}
    for path, oid in repo.tree_files(tip, []):
        if oid in wanted:
            found[oid] = (*found.get(oid, ()), path)
    return found


def _kinds(repo: Repo, policy: LargeBinariesPolicy, changes: list[Change],
           sizes: dict[str, int]) -> dict[tuple[str, str], bool]:
    """Binary (True) or text (False), as git decides, of each (path, blob) whose kind could
    change its verdict; the others are not read, so small files cost no read at all.
    Keyed by path too: attributes are per path, and one blob can sit at several paths."""
    sniff = [c for c in changes if needs_sniff(policy, c.path, sizes[c.oid])]
    heads = repo.object_heads(c.oid for c in sniff)
    attrs = repo.check_attr((c.path for c in sniff if c.path), ["diff", "filter"])
    return {(c.path, c.oid): _is_binary(heads[c.oid], attrs.get(c.path, {})) for c in sniff}


def _history_changes(repo: Repo, sc: scope.Scope, policy: LargeBinariesPolicy, state: State
                     ) -> tuple[list[Change], dict[str, int], Owners, bool,
                                dict[Change, scope.Loose]]:
    """The changes of a history scope that could draw a finding (those of a push's loose
    trees and blobs last, with the ref that holds each), the sizes of their blobs, the DVC
    outputs of its commits, and whether DVC is in use at its tip."""
    from dataward.checks import stored_blobs
    from dataward.checks.dvc_owners import Owners, history_owners

    floor = _smallest_limit(policy) * 1024
    # The DVC files of the scope and the repository's large blobs are read by other git
    # processes than the scope's blobs: all at once.
    owners_of = _at_once(lambda: history_owners(repo, sc, state)) if sc.tip else None
    large_of = _at_once(lambda: stored_blobs.blobs_over(repo, floor, state)) \
        if sc.kind != "all" else None
    sizes, every = sc.new_blobs(repo, floor)  # only those over the floor, until needed
    owners, dvc_repo = owners_of() if owners_of else (Owners(), True)
    # A range or a push may copy a blob it does not bring to a stricter path; that takes a
    # walk of every commit, needless when no blob it does not bring is over every limit.
    if large_of is None or all(oid in sizes for oid in large_of()):
        # Every blob that could draw a finding is new to the scope: their sizes say whether
        # any change can, and one walk covers them (and DVC outputs), else only the paths
        # inside some commit's DVC outputs, else none.
        suspects = {oid for oid, size in sizes.items() if size > floor}
        pathspecs = [] if suspects else [":(literal)" + p for p in sorted(owners.ever.by_path)]
        changes = sc.changes(repo, pathspecs) if suspects or pathspecs else []
    else:
        changes = sc.changes(repo)
    if changes:
        # A merge's change against one parent may show a blob the other parent already had.
        sizes = every()
        sizes = {**repo.object_sizes(c.oid for c in changes if c.oid not in sizes), **sizes}
    changes = [c for c in changes if sizes[c.oid] > floor or owners.ever.owner(c.path)]
    via: dict[Change, scope.Loose] = {}
    for loose in sc.loose:
        files = (repo.tree_files(loose.oid, []) if loose.kind == "tree" else [("", loose.oid)])
        for path, oid in files:
            # What the remote has already is not judged again; nor what is small anywhere.
            if sizes.get(oid, 0) > floor:
                via.setdefault(Change(path, oid, "100644"), loose)
    return [*changes, *via], sizes, owners, dvc_repo, via


def _at_once(work: Callable[[], T]) -> Callable[[], T]:
    """Start `work` in a thread now (it waits on git, as the caller does meanwhile); the
    function returned waits for it, then returns what it returned or raises what it raised."""
    import threading

    done: list[tuple[T | None, BaseException | None]] = []

    def target() -> None:
        try:
            done.append((work(), None))
        except BaseException as exc:  # raised in the caller's thread, by result()
            done.append((None, exc))

    thread = threading.Thread(target=target, daemon=True)
    thread.start()

    def result() -> T:
        thread.join()
        value, error = done[0]
        if error is not None:
            raise error
        return value  # type: ignore[return-value]

    return result


def _smallest_limit(policy: LargeBinariesPolicy) -> int:
    """No blob at or under this many KB can draw a size or binary finding anywhere."""
    limits = [policy.max_kb, policy.text_max_kb, *policy.limits.values()]
    if policy.binary_max_kb is not None:
        limits.append(policy.binary_max_kb)
    return min(limits)


def _is_binary(head: bytes, attrs: dict[str, str]) -> bool:
    """As git decides for diffs: the diff attribute wins, else a NUL in the first 8000 bytes."""
    if attrs.get("diff") == "unset":
        return True
    if attrs.get("diff") == "set":
        return False
    return b"\0" in head[:SNIFF_BYTES]


# -- entry point --------------------------------------------------------------------------------


def build_parser(prog: str = CHECK_ID) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=prog,
        description="Refuse blobs over the size limit, and binaries the policy forbids, "
                    "before they enter git history.")
    p.add_argument("filenames", nargs="*",
                   help="check only these staged files (pre-commit passes them)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--range", metavar="BASE..HEAD",
                      help="every blob the commits in this range add (CI over a pull request)")
    mode.add_argument("--all", action="store_true",
                      help="every blob in the history of HEAD, with the commit that added it")
    mode.add_argument("--pre-push", metavar="REMOTE", dest="pre_push",
                      help="as a git pre-push hook: read the pushed refs on stdin")
    p.add_argument("--enforce-all", action="store_true",
                   help="judge the index blob of every given file, not only staged changes")
    p.add_argument("--maxkb", type=int, metavar="KB",
                   help="size limit in KB, overriding max-kb of the policy")
    add_common_options(p)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.maxkb is not None and args.maxkb < 0:
        build_parser().error("--maxkb must be 0 or more")
    lines = tuple(sys.stdin.read().splitlines()) if args.pre_push else ()
    request = Request(files=tuple(args.filenames), range=args.range, all=args.all,
                      pre_push=args.pre_push, push_lines=lines, env=dict(os.environ),
                      enforce_all=args.enforce_all, maxkb=args.maxkb)
    return runner.main(CHECK_ID, run, request, args.format, args.config)


def run(repo: Repo, policy: Policy, request: Request) -> Outcome:
    state = State(repo.common_dir)
    limits = policy.no_large_binaries
    if request.maxkb is not None:
        limits = limits._replace(max_kb=request.maxkb)
    only: set[str] | None = None
    if request.range:
        sc = scope.commit_range(repo, request.range)
    elif request.all:
        sc = scope.whole_history(repo)
    elif request.pre_push:
        push = scope.from_push_lines(repo, request.pre_push, request.push_lines)
        if push is None:
            return runner.outcome(CHECK_ID, [])
        sc = push
    else:
        env_scope = scope.from_pre_commit_env(repo, request.env)
        sc = env_scope or scope.staged()
        if env_scope is None and request.files:
            only = repo_paths(repo.root, request.files)
        if env_scope is None and request.enforce_all:
            sc, only = scope.index(sorted(only) if only else []), None
        elif env_scope is None and only and scope.all_at_most(repo, only, _smallest_limit(limits)):
            return runner.outcome(CHECK_ID, [])  # no file given can draw a finding
    blobs, ctx = collect(repo, sc, limits, state, only)
    return runner.outcome(CHECK_ID, judge(blobs, limits, ctx))


if __name__ == "__main__":
    raise SystemExit(main())
