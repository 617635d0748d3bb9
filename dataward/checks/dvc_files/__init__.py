"""`dvc-files`: every `.dvc` file is well formed, and its outputs are inside the repository,
ignored by git, not committed to it, and claimed by no other DVC file.

parse.py (`parse`, `claims`) and judge.py (`judge`, `overlaps`) are pure; this module collects
the facts git and the file system hold, and is the check's entry point.
"""

import argparse
import os
import posixpath
import stat
from collections.abc import Sequence

from dataward import runner
from dataward.adapters.files import fix_for, read_capped, why
from dataward.adapters.git import Repo
from dataward.checks.dvc_files.judge import judge, overlaps
from dataward.checks.dvc_files.moved import stale
from dataward.checks.dvc_files.parse import (
    CHECK_ID,
    Claim,
    Workspace,
    claims,
    finding,
    ignore_query,
    parse,
)
from dataward.filenames import repo_paths
from dataward.findings import Finding, Outcome
from dataward.formats.dvcfile import is_dvcfile, read
from dataward.formats.yamlsafe import MAX_BYTES
from dataward.policy import DvcFilesPolicy, Policy
from dataward.runner import Request, add_common_options

__all__ = ["CHECK_ID", "check", "claims", "judge", "main", "overlaps", "parse", "run"]


# -- collect: the facts from git and the file system ------------------------------------------

def workspace(repo: Repo, own: list[Claim]) -> Workspace:
    kinds: dict[str, str] = {}
    links: dict[str, tuple[str, bool]] = {}
    real_root = os.path.realpath(repo.root)
    link_of: dict[str, str | None] = {"": None}
    for c in own:
        link = _symlinked_folder(repo.root, posixpath.dirname(c.path), link_of)
        if link is not None:
            real = os.path.realpath(os.path.join(repo.root, link))
            inside = real == real_root or real.startswith(real_root + os.sep)
            links[c.path] = (link, not inside)
            continue
        try:
            st = os.stat(os.path.join(repo.root, c.path))
        except OSError:
            continue
        kinds[c.path] = "dir" if stat.S_ISDIR(st.st_mode) else "file"
    # git refuses paths beyond a symlink; those outputs are reported already.
    cached = [c for c in own if c.cached and c.path not in links]
    queries = [q for c in cached for q in ignore_query(c, kinds.get(c.path))]
    tracked = sorted(repo.ls_files()) if cached else []
    ignored = repo.check_ignore(queries)
    absent = [c for c in cached if c.path not in kinds
              and not any(q in ignored for q in ignore_query(c, None))]
    return Workspace(tracked, ignored, kinds, links, stale(repo, absent))


def _symlinked_folder(root: str, folder: str, memo: dict[str, str | None]) -> str | None:
    """The first folder on the way to `folder` that is a symlink, if any."""
    if folder in memo:
        return memo[folder]
    parent = posixpath.dirname(folder)
    found = _symlinked_folder(root, parent, memo)
    if found is None and os.path.islink(os.path.join(root, folder)):
        found = folder
    memo[folder] = found
    return found


def _read(root: str, path: str) -> bytes | Finding | None:
    """The file's first bytes; None when it is gone (deleted, not yet staged as deleted)."""
    content = read_capped(root, path, MAX_BYTES + 1)
    if isinstance(content, OSError):
        return finding(path, None, why(content), fix_for(path, content),
                       rule="dvcfile-unreadable")
    return content


def check(repo: Repo, names: Sequence[str], policy: DvcFilesPolicy) -> list[Finding]:
    dvcfiles = [p for p in repo.ls_files([":(glob)**/*.dvc", ":(glob)**/dvc.yaml"],
                                         untracked=True) if is_dvcfile(p)]
    every = [p for p in dvcfiles if p.endswith(".dvc")]
    if names:
        given = repo_paths(repo.root, names)
        # A changed .gitignore or dvc.yaml can break any .dvc file: then check them all.
        widen = any(not g.endswith(".dvc") for g in given)
        chosen = every if widen else sorted(g for g in given if is_dvcfile(g))
    else:
        chosen = every
    checked: set[str] = set()
    found: list[Finding] = []
    own: list[Claim] = []
    parsed_files = []
    for p in chosen:
        content = _read(repo.root, p)
        if content is None:
            continue
        checked.add(p)
        if isinstance(content, Finding):
            found.append(content)
            continue
        parsed = parse(p, content, policy)
        file_claims, bad_paths = claims(parsed)
        found += parsed.findings + bad_paths
        own += file_claims
        parsed_files.append((parsed, file_claims))
    ws = workspace(repo, own)
    for parsed, file_claims in parsed_files:
        found += judge(parsed, file_claims, ws, policy)
    others, unread = _other_claims(repo.root, checked, dvcfiles)
    found += overlaps(own + others, checked)
    return found + unread + _without_project(repo, sorted(checked))


def _without_project(repo: Repo, checked: list[str]) -> list[Finding]:
    """Committed .dvc files (in HEAD) with no .dvc/ folder in their folder or any above it
    (up to the repository's root): no DVC project holds them, so `dvc pull` cannot fetch
    their data. A warning: the files themselves may be sound, and `dvc init` makes them
    usable."""
    project: dict[str, bool] = {}

    def in_project(folder: str) -> bool:
        if folder not in project:
            here = os.path.isdir(os.path.join(repo.root, folder, ".dvc"))
            project[folder] = here or (folder != "" and in_project(posixpath.dirname(folder)))
        return project[folder]

    lone = [p for p in checked if p.endswith(".dvc") and not in_project(posixpath.dirname(p))]
    if not lone:
        return []
    head = repo.resolve_commit("HEAD")  # committed: in HEAD (a new file may yet be moved)
    committed = {p for p, _ in repo.tree_files(head, [":(glob)**/*.dvc"])} if head else set()
    return [finding(p, None, "is committed, but there is no .dvc/ folder at the repository's "
                    "root (or in a folder above the file): no DVC project holds it, and "
                    "`dvc pull` cannot fetch its data",
                    "make the repository a DVC project and commit what that makes: dvc init "
                    "&& git add .dvc/config .dvc/.gitignore .dvcignore (or, in a subfolder "
                    "project, `dvc init --subdir` in its folder)", "warning",
                    rule="no-dvc-folder")
            for p in lone if p in committed]


def _other_claims(root: str, checked: set[str],
                  dvcfiles: list[str]) -> tuple[list[Claim], list[Finding]]:
    """The outputs other DVC files claim; a dvc.yaml that cannot be read is reported, as its
    claims could not be weighed (a link out of the repository is never read)."""
    out: list[Claim] = []
    unread: list[Finding] = []
    for p in dvcfiles:
        if p in checked:
            continue
        content = _read(root, p)
        if isinstance(content, bytes):
            out += [Claim(o.path, p, None, -1, True, None)
                    for o in read(p, content).outs if o.cache]
        elif isinstance(content, Finding) and not p.endswith(".dvc"):
            unread.append(content)
    return out, unread


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=CHECK_ID,
        description="Check that .dvc files are well formed and that their outputs are inside "
                    "the repository, ignored by git and claimed by one DVC file only.")
    p.add_argument("filenames", nargs="*",
                   help="check these .dvc files (default: every .dvc file in the repository)")
    add_common_options(p)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    request = Request(files=tuple(args.filenames))
    return runner.main(CHECK_ID, run, request, args.format, args.config)


def run(repo: Repo, policy: Policy, request: Request) -> Outcome:
    return runner.outcome(CHECK_ID, check(repo, request.files, policy.dvc_files))


if __name__ == "__main__":
    raise SystemExit(main())
