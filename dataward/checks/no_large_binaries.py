"""no-large-binaries: no blob above the size limit, and no binary the policy forbids, enters git.

Judges what git will store (the staged blob, or each blob a commit adds), never the working
file. Needs only git: it must not import dvc.
"""

from __future__ import annotations

import argparse
import os
import posixpath
import shlex
import sys
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from dataward import config, scope
from dataward.dvc_outs import OutputIndex, is_dvcfile
from dataward.git import SNIFF_BYTES, Change, Repo
from dataward.globs import last_match
from dataward.models.findings import Finding
from dataward.runner import add_common_options, run
from dataward.state import State

CHECK_ID = "no-large-binaries"
LFS_POINTER_PREFIX = b"version https://git-lfs.github.com/spec/v1"
LFS_POINTER_MAX = 1024


@dataclass(frozen=True)
class Blob:
    """What is known about one blob entering history at one path."""

    path: str
    oid: str
    size: int
    commit: str | None = None  # None: staged
    binary: bool = False
    lfs: bool = False  # the path has filter=lfs
    lfs_pointer: bool = False
    at_tip: bool = True  # still at this path in the newest commit of the scope


@dataclass(frozen=True)
class Context:
    """Facts about the scope that shape messages and fixes."""

    kind: str  # "staged", "index", "range" or "all"
    dvc_repo: bool = True  # a DVC project covers these paths (else the fix starts with dvc init)
    subjects: dict[str, str] | None = None  # commit id -> subject
    root_commits: frozenset[str] = frozenset()


# -- pure policy ----------------------------------------------------------------------------


def limit_kb(policy: config.LargeBinariesPolicy, path: str) -> int:
    pattern = last_match(list(policy.limits), path)
    return policy.limits[pattern] if pattern is not None else policy.max_kb


def binary_limit_kb(policy: config.LargeBinariesPolicy, path: str) -> int | None:
    """The stricter limit for binaries at this path, or None when only the size limit applies."""
    if policy.binary_max_kb is None or last_match(policy.binary_allow, path):
        return None
    return policy.binary_max_kb


def needs_sniff(policy: config.LargeBinariesPolicy, path: str, size: int) -> bool:
    """Whether telling binary from text could change the verdict on this blob."""
    blimit = binary_limit_kb(policy, path)
    return blimit is not None and blimit * 1024 < size <= limit_kb(policy, path) * 1024


def judge(blobs: Sequence[Blob], outputs: OutputIndex, policy: config.LargeBinariesPolicy,
          ctx: Context) -> list[Finding]:
    findings: list[Finding] = []
    in_dvc: dict[str, list[Blob]] = defaultdict(list)
    for blob in blobs:
        owner = outputs.owner(blob.path)
        if owner is not None:
            in_dvc[owner.path].append(blob)
            continue
        if blob.lfs and blob.lfs_pointer:
            continue
        limit = limit_kb(policy, blob.path)
        blimit = binary_limit_kb(policy, blob.path) if blob.binary else None
        if blob.size > limit * 1024:
            what = f"is {_human(blob.size)}, over the {limit} KB limit"
        elif blimit is not None and blob.size > blimit * 1024:
            what = (f"is a {_human(blob.size)} binary file; binaries over {blimit} KB are "
                    "not allowed here" if blimit else
                    f"is a binary file ({_human(blob.size)}); binary files are not allowed here")
        else:
            continue
        if blob.lfs:
            findings.append(_finding(blob, ctx,
                f"is marked filter=lfs, but git got the file itself ({_human(blob.size)}), "
                "not an LFS pointer",
                f"git lfs install && git rm --cached {_q(blob.path)} && git add {_q(blob.path)}"))
        else:
            findings.append(_finding(blob, ctx, what, _data_fix(blob.path, ctx)))
    for out_path, members in sorted(in_dvc.items()):
        owner = outputs.by_path[out_path]
        findings.append(_dvc_output_finding(out_path, owner.dvcfile, members, ctx))
    return findings


def _finding(blob: Blob, ctx: Context, what: str, fix: str) -> Finding:
    message = f"{blob.path} {what}"
    hint = f"fix: {fix}"
    if blob.commit is not None:
        message += f"; added in {_commit_label(blob.commit, ctx)}"
        if not blob.at_tip:
            message += ", and deleted later, but it stays in history"
        hint = _history_fix(blob.commit, ctx) + "\n" + hint
    return Finding(blob.path, None, CHECK_ID, message, hint)


def _dvc_output_finding(out_path: str, dvcfile: str, members: list[Blob],
                        ctx: Context) -> Finding:
    directory = any(b.path != out_path for b in members)
    if directory:
        what = (f"{len(members)} file{'s' if len(members) > 1 else ''} of {out_path}/, "
                f"a DVC output of {dvcfile}, {'are' if len(members) > 1 else 'is'} "
                "going into git")
        fix = f"git rm -r --cached {_q(out_path)} && dvc add {_q(out_path)}"
    else:
        what = f"{out_path} is a DVC output of {dvcfile} and must not go into git"
        fix = f"git rm --cached {_q(out_path)} && dvc add {_q(out_path)}"
    hint = f"fix: {fix}"
    first = min(members, key=lambda b: b.path)
    if first.commit is not None:
        what += f"; added in {_commit_label(first.commit, ctx)}"
        hint = _history_fix(first.commit, ctx) + "\n" + hint
    return Finding(out_path, None, CHECK_ID, what, hint)


def _data_fix(path: str, ctx: Context) -> str:
    fix = f"git rm --cached {_q(path)} && dvc add {_q(path)}"
    if not ctx.dvc_repo:
        fix = f"dvc init && {fix}"
    dvcfile = _q(path + ".dvc")
    gitignore = _q(posixpath.join(posixpath.dirname(path), ".gitignore"))
    return f"{fix}\nthen commit {dvcfile} and {gitignore}, and dvc push the data"


def _history_fix(commit: str, ctx: Context) -> str:
    if ctx.kind == "all":
        return "it is in published history: remove it with git filter-repo (see docs/checks.md)"
    base = "--root" if commit in ctx.root_commits else f"{commit[:12]}~1"
    return f"take it out of the commit that added it: git rebase -i {base} (edit {commit[:12]})"


def _commit_label(commit: str, ctx: Context) -> str:
    subject = (ctx.subjects or {}).get(commit, "")
    return f"{commit[:12]} ({subject!r})" if subject else commit[:12]


def _human(size: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"


def _q(path: str) -> str:
    return shlex.quote(path)


# -- gathering facts through git --------------------------------------------------------------


def collect(repo: Repo, sc: scope.Scope, policy: config.LargeBinariesPolicy, state: State,
            only: set[str] | None = None) -> tuple[list[Blob], OutputIndex, Context]:
    changes = sc.changes(repo)
    if only is not None:
        changes = [c for c in changes if c.path in only]
    # Each (path, blob) once, at the first commit that added it.
    seen: dict[tuple[str, str], Change] = {}
    for change in changes:
        seen.setdefault((change.path, change.oid), change)
    changes = list(seen.values())
    sizes = repo.object_sizes(c.oid for c in changes)

    sniff = [c for c in changes if needs_sniff(policy, c.path, sizes[c.oid])]
    heads = repo.object_heads(c.oid for c in sniff)
    attrs = repo.check_attr((c.path for c in sniff), ["diff", "filter"])
    # Keyed by path too: attributes are per path, and one blob can sit at several paths.
    binary = {(c.path, c.oid): _is_binary(heads[c.oid], attrs.get(c.path, {})) for c in sniff}

    flagged = [c for c in changes if sizes[c.oid] > limit_kb(policy, c.path) * 1024
               or binary.get((c.path, c.oid))]
    flag_attrs = repo.check_attr((c.path for c in flagged), ["filter"])
    lfs = {c.path for c in flagged if flag_attrs.get(c.path, {}).get("filter") == "lfs"}
    lfs_heads = repo.object_heads(c.oid for c in flagged
                                  if c.path in lfs and sizes[c.oid] <= LFS_POINTER_MAX)

    tree = repo.tree_entries(sc.tip) if sc.tip and changes else []
    at_tip = set(tree)
    if sc.tip:
        dvcfiles = [(p, oid) for p, oid in tree if is_dvcfile(p)]
        dvc_repo = any(p == ".dvc/config" or p.endswith("/.dvc/config") for p, _ in tree)
    else:
        dvc_repo = _dvc_project_covers(repo.root, (c.path for c in changes))
        dvcfiles = ([(p, oid) for p, oid in repo.index_entries(["*.dvc", "*dvc.yaml"])
                     if is_dvcfile(p)] if dvc_repo else [])
    outputs = OutputIndex.load(repo, dvcfiles, state)

    blobs = [
        Blob(c.path, c.oid, sizes[c.oid], c.commit, binary.get((c.path, c.oid), False),
             c.path in lfs,
             lfs_heads.get(c.oid, b"").startswith(LFS_POINTER_PREFIX),
             sc.tip is None or (c.path, c.oid) in at_tip)
        for c in changes
    ]
    commits = {c.commit for c in flagged if c.commit} | {
        c.commit for c in changes if c.commit and outputs.owner(c.path)}
    subjects = repo.commit_subjects(commits)
    roots = frozenset(c for c in commits if not _has_parent(repo, c))
    return blobs, outputs, Context(sc.kind, dvc_repo, subjects, roots)


def _is_binary(head: bytes, attrs: dict[str, str]) -> bool:
    """As git decides for diffs: the diff attribute wins, else a NUL in the first 8000 bytes."""
    if attrs.get("diff") == "unset":
        return True
    if attrs.get("diff") == "set":
        return False
    return b"\0" in head[:SNIFF_BYTES]


def _dvc_project_covers(root: str, paths: object) -> bool:
    dirs = {""}
    for path in paths:  # type: ignore[attr-defined]
        d = posixpath.dirname(path)
        while d and d not in dirs:
            dirs.add(d)
            d = posixpath.dirname(d)
    return any(os.path.isdir(os.path.join(root, d, ".dvc")) for d in dirs)


def _has_parent(repo: Repo, commit: str) -> bool:
    return repo.resolve_commit(f"{commit}^") is not None


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
    return run(CHECK_ID, args.format, lambda: _check(args))


def _check(args: argparse.Namespace) -> list[Finding]:
    repo = Repo.discover()
    state = State(repo.common_dir)
    policy = config.load(repo.root, args.config, state).policy.no_large_binaries
    if args.maxkb is not None:
        policy = config.LargeBinariesPolicy(args.maxkb, policy.limits, policy.binary_max_kb,
                                            policy.binary_allow)
    only: set[str] | None = None
    if args.range:
        sc = scope.commit_range(repo, args.range)
    elif args.all:
        sc = scope.whole_history(repo)
    elif args.pre_push:
        push = scope.from_push_lines(repo, args.pre_push, sys.stdin.read().splitlines())
        if push is None:
            return []
        sc = push
    else:
        env_scope = scope.from_pre_commit_env(repo, os.environ)
        sc = env_scope or scope.staged()
        if env_scope is None and args.filenames:
            only = {_repo_path(repo.root, f) for f in args.filenames}
        if env_scope is None and args.enforce_all:
            sc, only = scope.index(sorted(only) if only else []), None
    blobs, outputs, ctx = collect(repo, sc, policy, state, only)
    return judge(blobs, outputs, policy, ctx)


def _repo_path(root: str, name: str) -> str:
    return os.path.relpath(os.path.abspath(name), root).replace(os.sep, "/")


if __name__ == "__main__":
    raise SystemExit(main())
