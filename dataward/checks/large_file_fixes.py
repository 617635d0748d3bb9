"""no-large-binaries: what a finding says, and the fix it gives, once a blob is judged.

Imported only when there is something to say, so the commit hook that passes never loads
it. Every hint is a command that works when pasted: paths are quoted with shlex.quote. A
fix must not hurt: a lockfile or a notebook is never sent to DVC, and a history rewrite
names the offending blobs by id, so a file still in HEAD keeps its current version.
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING

from dataward.findings import Finding
from dataward.report.escape import shell_word as q

if TYPE_CHECKING:
    from dataward.checks.no_large_binaries import Blob, Context

CHECK_ID = "no-large-binaries"
DVC_OUTPUT_RULE = "dvc-output-in-git"
# Text that belongs in git whatever its size: a project's lockfiles (the command that writes
# each, run in its folder) and notebooks. DVC would take them out of code review and merges.
LOCKFILES = {
    "uv.lock": "uv lock", "poetry.lock": "poetry lock", "Pipfile.lock": "pipenv lock",
    "pdm.lock": "pdm lock", "package-lock.json": "npm install --package-lock-only",
    "npm-shrinkwrap.json": "npm shrinkwrap", "yarn.lock": "yarn install",
    "pnpm-lock.yaml": "pnpm install --lockfile-only", "bun.lock": "bun install",
    "Cargo.lock": "cargo generate-lockfile", "go.sum": "go mod tidy",
    "Gemfile.lock": "bundle lock", "composer.lock": "composer update --lock",
    "conda-lock.yml": "conda-lock", "packages.lock.json": "dotnet restore --force-evaluate",
    "gradle.lockfile": "gradle dependencies --write-locks", "Package.resolved": "",
    "flake.lock": "nix flake lock", "renv.lock": "",
}
STRIP_LIST = ".git/strip-blobs.txt"  # not in the work tree: filter-repo refuses untracked files


def kept_in_git(path: str) -> bool:
    """A lockfile (any `*.lock` too) or a notebook: text that is kept in git."""
    name = path.rpartition("/")[2]
    return name in LOCKFILES or name.endswith((".lock", ".ipynb"))


def size_over(size: int, limit_kb: int) -> tuple[str, str, bool]:
    """(size, limit, exact) as they read side by side: readable ("2.0 MB", "500 KB"), or
    exact bytes when rounding would make the size read equal to the limit or under it."""
    shown = human(size)
    number, unit = shown.split()
    scale = {"GB": 1 << 30, "MB": 1 << 20, "KB": 1 << 10}.get(unit, 1)
    if float(number) * scale > limit_kb * 1024:
        return shown, kb(limit_kb), False
    return f"{size:,} bytes", f"{limit_kb * 1024:,} bytes", True


def over_limit(size: int, limit_kb: int, kind: str = "") -> str:
    """`2.0 MB, over the 500 KB limit[ for binaries]`, or `2,087 bytes, over the
    2,048-byte limit` when the rounded figures would not read as over."""
    shown, limit, exact = size_over(size, limit_kb)
    limit = limit.replace(" bytes", "-byte") if exact else limit
    return f"{shown}, over the {limit} limit" + (f" for {kind}" if kind else "")


def over_both(size: int, binary_kb: int, text_kb: int) -> str:
    """A blob over the limits for either kind: it is not read to tell which it is."""
    shown, _, exact = size_over(size, max(binary_kb, text_kb))

    def limit(n: int) -> str:
        return f"{n * 1024:,} bytes" if exact else kb(n)

    return (f"{shown}, over the limits for binaries ({limit(binary_kb)}) and text "
            f"({limit(text_kb)})")


def kb(n: int) -> str:
    """A limit in KB as a user wrote it, or in MB or GB when it is a whole number of them."""
    for unit, scale in (("GB", 1 << 20), ("MB", 1 << 10)):
        if n >= scale and n % scale == 0:
            return f"{n // scale:,} {unit}"
    return f"{n:,} KB"


def human(size: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"


# -- findings ---------------------------------------------------------------------------------


def finding(blob: Blob, ctx: Context, what: str, rule: str, strip: list[str]) -> Finding:
    """A blob over a limit at its path; `strip`: every offending blob id found at that path
    (oldest first), which one history rewrite takes out together."""
    message = f"{blob.path} {what}"
    keep = keep_fix(blob.path, blob.size) if kept_in_git(blob.path) else None
    if blob.commit is None:
        return Finding(blob.path, None, CHECK_ID, message,
                       f"fix: {keep or data_fix(blob.path, ctx)}", rule=rule)
    message += f"; added in {commit_label(blob.commit, ctx)}{_now(blob, ctx)}"
    if keep:
        hint = f"fix: {keep}; no history rewrite: git stores versions of text as deltas"
    elif ctx.kind == "all":
        hint = purge_fix({blob.path}, strip or [blob.oid], ctx,
                         ("move it to DVC", move_to_dvc(blob.path, ctx)))
    else:
        hint = history_fix(blob.path, blob.commit, ctx, keep_data=blob.at_tip)
    return Finding(blob.path, None, CHECK_ID, message, hint, rule=rule)


def _now(blob: Blob, ctx: Context) -> str:
    """Whether the path, and this version of it, are still in HEAD (the scope's tip)."""
    tip = "HEAD" if ctx.kind == "all" else "the tip"
    if blob.at_tip:
        return f", and still {'in' if ctx.kind == 'all' else 'at'} {tip}"
    if blob.path_at_tip:
        return (f", and changed later: {tip} has another version, but this one stays in "
                "history")
    return ", and deleted later, but it stays in history"


def keep_fix(path: str, size: int) -> str:
    """Keep a lockfile or notebook in git: raise its limit by glob, or make it smaller."""
    name = path.rpartition("/")[2]
    glob = "".join(f"[{c}]" if c in "*?[\\" else c for c in name)
    key = _toml_string(glob)
    need = -(-size // (1 << 20)) * 1024  # the next whole MB, in KB
    fix = (f"keep {q(path)} in git (DVC is for data): raise its limit, `{key} = {need}` as "
           "the last key of `limits` under [no-large-binaries] in the policy (the last glob "
           "that matches wins)")
    folder = posixpath.dirname(path)
    cd = f"cd {q(folder)} && " if folder else ""
    if name.endswith(".ipynb"):
        return fix + f", or clear its outputs: {cd}jupyter nbconvert --clear-output " \
                     f"--inplace {q(name)}"
    tool = LOCKFILES.get(name, "")
    return fix + (f", or regenerate it with fewer dependencies: {cd}{tool}" if tool else "")


def _toml_string(text: str) -> str:
    import json

    return json.dumps(text).replace("\x7f", "\\u007f")  # TOML wants DEL escaped too


def purge_fix(paths: set[str], oids: list[str], ctx: Context, move: tuple[str, str]) -> str:
    """--all: blobs at these paths are in published history. Rewrite by blob id, so that
    only the offending versions go (a path rewrite would erase the current file too); when
    one is still the file in HEAD, `move` (what, command) takes it out of git first. A blob
    that is also another file of HEAD is left: every clone has it anyway, and stripping it
    would empty that file."""
    elsewhere = sorted({p for o in oids for p in ctx.tip_blobs.get(o, ()) if p not in paths})
    ids = [o for o in oids if set(ctx.tip_blobs.get(o, ())) <= paths]
    if not ids:
        return (f"fix: the same content is {q(elsewhere[0])} in HEAD, so every clone has it "
                "anyway: take that file out of git first, then run --all again")
    rewrite = (f"printf '%s\\n' {' '.join(ids)} > {STRIP_LIST} && "
               f"git filter-repo --strip-blobs-with-ids {STRIP_LIST}")
    about = ("strip these blobs from history by id, so only these versions go: in a fresh "
             "clone, coordinated with everyone who cloned")
    if elsewhere:
        about += f" ({len(oids) - len(ids)} more stay: HEAD has them as {q(elsewhere[0])})"
    if not any(ctx.tip_blobs.get(o) for o in ids):
        return f"fix: {about}:\n  {rewrite}"
    return (f"fix: it is still in HEAD: {move[0]} first:\n  {move[1]} && git push\n"
            f"then {about}:\n  {rewrite}")


def move_to_dvc(path: str, ctx: Context, folder: bool = False) -> str:
    """Take a file (or folder) of HEAD out of git into DVC, as one commit."""
    gitignore = q(posixpath.join(posixpath.dirname(path), ".gitignore"))
    init = "" if ctx.dvc_repo else "dvc init && "
    return (f"{init}git rm {'-r ' if folder else ''}--cached {q(path)} && dvc add {q(path)} && "
            f"git add {q(path + '.dvc')} {gitignore} && "
            f"git commit -m {q(f'Move {path} to DVC')} && dvc push")


def data_fix(path: str, ctx: Context) -> str:
    fix = f"git rm --cached {q(path)} && dvc add {q(path)}"
    if not ctx.dvc_repo:
        fix = f"dvc init && {fix}"
    dvcfile = q(path + ".dvc")
    gitignore = q(posixpath.join(posixpath.dirname(path), ".gitignore"))
    return f"{fix}\nthen commit {dvcfile} and {gitignore}, and dvc push the data"


def history_fix(path: str, commit: str, ctx: Context, keep_data: bool) -> str:
    """How to take a blob out of the commits that are not yet published; `keep_data`:
    `dvc add` it there (no DVC file tracks it yet, or PATH.dvc does)."""
    base = "--root" if commit in ctx.root_commits else f"{commit[:12]}~1"
    untrack = f"git rm -r -q --cached {q(path)}"
    if keep_data:
        gitignore = q(posixpath.join(posixpath.dirname(path), ".gitignore"))
        untrack += f" && dvc add {q(path)} && git add {q(path + '.dvc')} {gitignore}"
    return (f"fix: rewrite the unpublished commits: git rebase -i {base}, mark {commit[:12]} "
            f"as edit, then\n  {untrack} && git commit --amend --no-edit && "
            "git rebase --continue")


def commit_label(commit: str, ctx: Context) -> str:
    subject = ctx.subjects.get(commit, "")
    return f"{commit[:12]} ({subject!r})" if subject else commit[:12]


def loose_finding(blob: Blob, what: str, rule: str) -> Finding:
    """A blob pushed in a tree or as a blob that a ref (a tag, mostly) points at: no commit
    holds it, so the fix is to drop the ref, here and (if it got there) on the remote."""
    assert blob.via is not None
    v, local = blob.via, blob.via.local_ref.startswith("refs/")
    ref = v.local_ref if local else v.remote_ref
    kind, _, short = ref.partition("refs/")[2].partition("/")
    noun = {"tags": "tag", "heads": "branch"}.get(kind) if ref.startswith("refs/") else None
    label = f"{noun} {short}" if noun else ref
    name = f"{blob.path} (in {label}, a tree)" if blob.path else f"{label} (a blob)"
    drop = {"tag": f"git tag -d {q(short)}", "branch": f"git branch -D {q(short)}"}.get(
        noun or "", f"git update-ref -d {q(ref)}")
    hint = (f"fix: {label} points at a {v.kind}, not a commit: do not push it"
            + (f"; delete it here: {drop}" if local else "")
            + f"\nif an earlier push sent it, delete it there: git push {q(v.remote)} "
            f"{q(':' + v.remote_ref)}")
    return Finding(name, None, CHECK_ID, f"{name} {what}", hint, rule=rule)


def dvc_output_finding(out_path: str, dvcfile: str, members: list[Blob],
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
    fix = f"{rm} {q(out_path)}" + (f" && dvc add {q(out_path)}" if own else
                                   f"\n{dvcfile} tracks it already: `dvc commit {q(dvcfile)}` "
                                   "records the data if it changed")
    first = members[0]  # blobs come oldest commit first
    if first.commit is None:
        return Finding(out_path, None, CHECK_ID, what, f"fix: {fix}", rule=DVC_OUTPUT_RULE)
    what += f"; added in {commit_label(first.commit, ctx)}"
    if ctx.kind != "all":
        hint = history_fix(out_path, first.commit, ctx, keep_data=own)
    else:
        untrack = move_to_dvc(out_path, ctx, directory) if own else \
            f"{rm} {q(out_path)} && git commit -m {q(f'Take {out_path} out of git')}"
        hint = purge_fix({b.path for b in members}, list(dict.fromkeys(b.oid for b in members)),
                         ctx, ("move it to DVC" if own else "take it out of git", untrack))
    return Finding(out_path, None, CHECK_ID, what, hint, rule=DVC_OUTPUT_RULE)
