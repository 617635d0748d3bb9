"""no-large-binaries: no blob above the size limit, and no binary the policy forbids, enters git.

Judges what git will store (the staged blob, or each blob a commit adds), never the working
file. Needs only git: it must not import dvc, and keeps its start-up as small as the hooks
it replaces (value objects are NamedTuples; everything else is imported when needed).
"""

import argparse
import os
import posixpath
import sys
from collections.abc import Sequence
from typing import NamedTuple

from dataward import runner, scope
from dataward.adapters.git import SNIFF_BYTES, Change, Repo
from dataward.adapters.state import State
from dataward.checks.dvc_owners import Owners, history_owners, index_owners
from dataward.filenames import repo_paths
from dataward.findings import Finding, Outcome
from dataward.formats.dvcfile import DvcOut
from dataward.policy import LargeBinariesPolicy, Policy
from dataward.runner import Request, add_common_options

CHECK_ID = "no-large-binaries"
LFS_POINTER_PREFIX = b"version https://git-lfs.github.com/spec/v1"
LFS_POINTER_MAX = 1024
DVC_OUTPUT_RULE = "dvc-output-in-git"


class Blob(NamedTuple):
    """What is known about one blob entering history at one path."""

    path: str
    oid: str
    size: int
    commit: str | None = None  # None: staged
    binary: bool = False
    lfs: bool = False  # the path has filter=lfs
    lfs_pointer: bool = False
    at_tip: bool = True  # still at this path in the newest commit of the scope
    dvc_owner: DvcOut | None = None  # the DVC output holding this path in its own commit
    via: scope.Loose | None = None  # pushed in a tree or as a blob a ref points at, no commit


class Context(NamedTuple):
    """Facts about the scope that shape messages and fixes."""

    kind: str  # "staged", "index", "range" or "all"
    dvc_repo: bool = True  # a DVC project covers these paths (else the fix starts with dvc init)
    subjects: dict[str, str] = {}  # noqa: RUF012 - commit id -> subject; never mutated
    root_commits: frozenset[str] = frozenset()


# -- pure policy ----------------------------------------------------------------------------


def limit_kb(policy: LargeBinariesPolicy, path: str) -> int:
    """The size limit at `path`; a blob a ref points at has no path (""): the limits that
    name no path judge it."""
    if not policy.limits or not path:
        return policy.max_kb
    from dataward.formats.globs import last_match

    pattern = last_match(list(policy.limits), path)
    return policy.limits[pattern] if pattern is not None else policy.max_kb


def binary_limit_kb(policy: LargeBinariesPolicy, path: str) -> int | None:
    """The stricter limit for binaries at this path, or None when only the size limit applies."""
    if policy.binary_max_kb is None or not path:
        return policy.binary_max_kb
    from dataward.formats.globs import last_match

    return None if last_match(policy.binary_allow, path) else policy.binary_max_kb


def needs_sniff(policy: LargeBinariesPolicy, path: str, size: int) -> bool:
    """Whether telling binary from text could change the verdict on this blob."""
    blimit = binary_limit_kb(policy, path)
    return blimit is not None and blimit * 1024 < size <= limit_kb(policy, path) * 1024


def stricter(policy: LargeBinariesPolicy, path: str, than: str) -> bool:
    """Whether some blob passes at `than` but not at `path`: a move there needs judging."""
    limit, old = binary_limit_kb(policy, path), binary_limit_kb(policy, than)
    return limit_kb(policy, path) < limit_kb(policy, than) or \
        (limit is not None and (old is None or limit < old))


def judge(blobs: Sequence[Blob], policy: LargeBinariesPolicy, ctx: Context) -> list[Finding]:
    findings: list[Finding] = []
    in_dvc: dict[tuple[str, str], list[Blob]] = {}
    for blob in blobs:
        if blob.dvc_owner is not None:
            in_dvc.setdefault((blob.dvc_owner.path, blob.dvc_owner.dvcfile), []).append(blob)
            continue
        if blob.lfs and blob.lfs_pointer:
            continue
        limit = limit_kb(policy, blob.path)
        blimit = binary_limit_kb(policy, blob.path) if blob.binary else None
        if blob.size > limit * 1024:
            what, rule = f"is {_human(blob.size)}, over the {limit} KB limit", "large-file"
        elif blimit is not None and blob.size > blimit * 1024:
            rule = "binary-file"
            what = (f"is a {_human(blob.size)} binary file; binaries over {blimit} KB are "
                    "not allowed here" if blimit else
                    f"is a binary file ({_human(blob.size)}); binary files are not allowed here")
        else:
            continue
        if blob.via is not None:
            findings.append(_loose_finding(blob, what, rule))
        elif blob.lfs:
            findings.append(_finding(blob, ctx,
                f"is marked filter=lfs, but git got the file itself ({_human(blob.size)}), "
                "not an LFS pointer",
                f"git lfs install && git rm --cached {_q(blob.path)} && git add {_q(blob.path)}",
                "lfs-not-pointer"))
        else:
            findings.append(_finding(blob, ctx, what, _data_fix(blob.path, ctx), rule))
    for (out_path, dvcfile), members in sorted(in_dvc.items()):
        findings.append(_dvc_output_finding(out_path, dvcfile, members, ctx))
    return findings


def _finding(blob: Blob, ctx: Context, what: str, fix: str, rule: str) -> Finding:
    message = f"{blob.path} {what}"
    if blob.commit is None:
        return Finding(blob.path, None, CHECK_ID, message, f"fix: {fix}", rule=rule)
    message += f"; added in {_commit_label(blob.commit, ctx)}"
    if not blob.at_tip:
        message += ", and deleted later, but it stays in history"
    return Finding(blob.path, None, CHECK_ID, message,
                   _history_fix(blob.path, blob.commit, ctx, keep_data=blob.at_tip), rule=rule)


def _loose_finding(blob: Blob, what: str, rule: str) -> Finding:
    """A blob pushed in a tree or as a blob that a ref (a tag, mostly) points at: no commit
    holds it, so the fix is to drop the ref, here and (if it got there) on the remote."""
    assert blob.via is not None
    v, local = blob.via, blob.via.local_ref.startswith("refs/")
    ref = v.local_ref if local else v.remote_ref
    kind, _, short = ref.partition("refs/")[2].partition("/")
    noun = {"tags": "tag", "heads": "branch"}.get(kind) if ref.startswith("refs/") else None
    label = f"{noun} {short}" if noun else ref
    name = f"{blob.path} (in {label}, a tree)" if blob.path else f"{label} (a blob)"
    drop = {"tag": f"git tag -d {_q(short)}", "branch": f"git branch -D {_q(short)}"}.get(
        noun or "", f"git update-ref -d {_q(ref)}")
    hint = (f"fix: {label} points at a {v.kind}, not a commit: do not push it"
            + (f"; delete it here: {drop}" if local else "")
            + f"\nif an earlier push sent it, delete it there: git push {_q(v.remote)} "
            f"{_q(':' + v.remote_ref)}")
    return Finding(name, None, CHECK_ID, f"{name} {what}", hint, rule=rule)


def _dvc_output_finding(out_path: str, dvcfile: str, members: list[Blob],
                        ctx: Context) -> Finding:
    directory = any(b.path != out_path for b in members)
    rm = "git rm -r --cached" if directory else "git rm --cached"
    if directory:
        what = (f"{len(members)} file{'s' if len(members) > 1 else ''} of {out_path}/, "
                f"a DVC output of {dvcfile}, {'are' if len(members) > 1 else 'is'} "
                "going into git")
    else:
        what = f"{out_path} is a DVC output of {dvcfile} and must not go into git"
    # `dvc add OUT` writes OUT.dvc: right when that is the file tracking it; for a stage's
    # output or another .dvc file it would claim the path a second time.
    own = dvcfile == out_path + ".dvc"
    fix = f"{rm} {_q(out_path)}" + (f" && dvc add {_q(out_path)}" if own else
                                    f"\n{dvcfile} tracks it already: `dvc commit {_q(dvcfile)}` "
                                    "records the data if it changed")
    first = members[0]  # blobs come oldest commit first
    if first.commit is None:
        return Finding(out_path, None, CHECK_ID, what, f"fix: {fix}", rule=DVC_OUTPUT_RULE)
    what += f"; added in {_commit_label(first.commit, ctx)}"
    return Finding(out_path, None, CHECK_ID, what,
                   _history_fix(out_path, first.commit, ctx, keep_data=own),
                   rule=DVC_OUTPUT_RULE)


def _data_fix(path: str, ctx: Context) -> str:
    fix = f"git rm --cached {_q(path)} && dvc add {_q(path)}"
    if not ctx.dvc_repo:
        fix = f"dvc init && {fix}"
    dvcfile = _q(path + ".dvc")
    gitignore = _q(posixpath.join(posixpath.dirname(path), ".gitignore"))
    return f"{fix}\nthen commit {dvcfile} and {gitignore}, and dvc push the data"


def _history_fix(path: str, commit: str, ctx: Context, keep_data: bool) -> str:
    """How to take a blob out of the commits that are not yet published (or, for --all, are);
    `keep_data`: `dvc add` it there (no DVC file tracks it yet, or PATH.dvc does)."""
    if ctx.kind == "all":
        return (f"fix: it is in published history; rewrite it with git filter-repo "
                f"--invert-paths --path {_q(path)}, coordinated with everyone who cloned")
    base = "--root" if commit in ctx.root_commits else f"{commit[:12]}~1"
    untrack = f"git rm -r -q --cached {_q(path)}"
    if keep_data:
        gitignore = _q(posixpath.join(posixpath.dirname(path), ".gitignore"))
        untrack += f" && dvc add {_q(path)} && git add {_q(path + '.dvc')} {gitignore}"
    return (f"fix: rewrite the unpublished commits: git rebase -i {base}, mark {commit[:12]} "
            f"as edit, then\n  {untrack} && git commit --amend --no-edit && "
            "git rebase --continue")


def _commit_label(commit: str, ctx: Context) -> str:
    subject = ctx.subjects.get(commit, "")
    return f"{commit[:12]} ({subject!r})" if subject else commit[:12]


def _human(size: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"


def _q(path: str) -> str:
    import shlex  # only when there is something to say

    return shlex.quote(path)


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
    via: dict[Change, scope.Loose] = {}
    if not sc.history:
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

    sniff = ([c for c in changes if needs_sniff(policy, c.path, sizes[c.oid])]
             if policy.binary_max_kb is not None else [])
    heads = repo.object_heads(c.oid for c in sniff)
    attrs = repo.check_attr((c.path for c in sniff if c.path), ["diff", "filter"])
    # Keyed by path too: attributes are per path, and one blob can sit at several paths.
    binary = {(c.path, c.oid) for c in sniff if _is_binary(heads[c.oid], attrs.get(c.path, {}))}
    over = [c for c in changes if sizes[c.oid] > limit_kb(policy, c.path) * 1024]
    flagged = set(over) | {c for c in sniff if (c.path, c.oid) in binary}
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
    blobs = [
        Blob(c.path, c.oid, sizes[c.oid], c.commit, (c.path, c.oid) in binary, c.path in lfs,
             lfs_heads.get(c.oid, b"").startswith(LFS_POINTER_PREFIX),
             c.commit is None or (c.path, c.oid) in at_tip, owned.get(c), via.get(c))
        for c in judged
    ]
    commits = {c.commit for c in judged if c.commit}
    subjects = repo.commit_subjects(commits)
    roots = frozenset(c for c in commits if repo.resolve_commit(f"{c}^") is None)
    return blobs, Context(sc.kind, dvc_repo, subjects, roots)


def _history_changes(repo: Repo, sc: scope.Scope, policy: LargeBinariesPolicy, state: State
                     ) -> tuple[list[Change], dict[str, int], Owners, bool,
                                dict[Change, scope.Loose]]:
    """The changes of a history scope that could draw a finding (those of a push's loose
    trees and blobs last, with the ref that holds each), the sizes of their blobs, the DVC
    outputs of its commits, and whether DVC is in use at its tip."""
    sizes = sc.new_blobs(repo)
    owners, dvc_repo = history_owners(repo, sc, state) if sc.tip else (Owners(), True)
    floor = _smallest_limit(policy) * 1024
    if sc.kind == "all":
        # Every blob of its history is new to --all: their sizes say whether any change can
        # draw a finding, and one walk of history covers them (and DVC outputs), else only
        # the paths inside some commit's DVC outputs, else none.
        suspects = {oid for oid, size in sizes.items() if size > floor}
        pathspecs = [] if suspects else [":(literal)" + p for p in sorted(owners.ever.by_path)]
        changes = sc.changes(repo, pathspecs) if suspects or pathspecs else []
    else:
        # A range or a push may copy a blob it does not bring to a stricter path: walk it.
        changes = sc.changes(repo)
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


def _smallest_limit(policy: LargeBinariesPolicy) -> int:
    """No blob at or under this many KB can draw a size or binary finding anywhere."""
    limits = [policy.max_kb, *policy.limits.values()]
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
    blobs, ctx = collect(repo, sc, limits, state, only)
    return runner.outcome(CHECK_ID, judge(blobs, limits, ctx))


if __name__ == "__main__":
    raise SystemExit(main())
