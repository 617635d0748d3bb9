"""Which DVC output holds a path, in the commit (or the index) that adds it.

no-large-binaries asks this of every blob it judges: a file inside a DVC output must not go
into git, but only where that commit's own DVC files say so. A file committed before it was
tracked by DVC, or after it stopped being, is judged as any other file. Read through the one
reader of DVC files; parsed files are remembered by blob id.
"""

import os
import re
from typing import NamedTuple

from dataward import scope
from dataward.adapters.git import Change, Repo
from dataward.adapters.state import State
from dataward.formats.dvcfile import DvcOut, OutputIndex, is_dvcfile, read

DVCFILE_PATHSPECS = ("*.dvc", "*dvc.yaml")  # what declares outputs; dvc.lock only hashes them


class Owners(NamedTuple):
    """The DVC outputs of the scope: `ever` holds every output any of its commits (or the
    index) declares, `files` which DVC files declared each, `parsed` each version of those
    files read; `staged` marks the index, where `ever` is exactly what is declared now."""

    ever: OutputIndex = OutputIndex([])
    files: dict[str, set[str]] = {}  # noqa: RUF012 - output path -> DVC files; never mutated
    parsed: dict[tuple[str, str], tuple[DvcOut, ...]] = {}  # noqa: RUF012 - (path, blob) -> outs
    staged: bool = False

    def at_commits(self, repo: Repo, changes: list[Change]) -> dict[Change, DvcOut]:
        """The output holding each change's path in the change's own commit. DVC's own
        files (.dvc files, the .gitignore it writes, .dvcignore) are never data."""
        changes = [c for c in changes if not is_dvc_metadata(c.path)]
        if self.staged:
            return {c: o for c in changes if (o := self.ever.owner(c.path)) is not None}
        wanted: dict[Change, list[str]] = {}
        for c in changes:
            claimants: set[str] = set()
            for out_path in _prefixes(c.path):
                claimants |= self.files.get(out_path, set())
            wanted[c] = sorted(claimants)
        blobs = repo.blobs_at((c.commit or "", f) for c, files in wanted.items() for f in files)
        found: dict[Change, DvcOut] = {}
        for c, files in wanted.items():
            for f in files:
                # Every version a commit of the scope holds was read by history_owners.
                oid = blobs.get((c.commit or "", f))
                owner = OutputIndex(self.parsed.get((f, oid), ())).owner(c.path) if oid \
                    else None
                if owner is not None:
                    found[c] = owner
                    break
        return found


def is_dvc_metadata(path: str) -> bool:
    """A file DVC itself keeps in git, beside or inside the data it tracks."""
    name = path.rpartition("/")[2]
    return name in (".gitignore", ".dvcignore") or is_dvcfile(path)


def _prefixes(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(len(parts), 0, -1)]


def history_owners(repo: Repo, sc: scope.Scope, state: State) -> tuple[Owners, bool]:
    """Every DVC output any commit of the scope declares; and whether DVC is in use at its
    tip. Read from the DVC files of the tip's tree and every version the commits change."""
    assert sc.tip is not None
    files, changed = _dvc_files(repo, sc, state)
    dvc_repo = any(p == ".dvc/config" or p.endswith("/.dvc/config") for p, _ in files)
    versions = {(p, oid) for p, oid in files if is_dvcfile(p)}
    versions |= {v for v in changed if is_dvcfile(v[0])}
    parsed = _parsed(repo, sorted(versions), state, "dvc-outputs-history.pickle")
    claimed: dict[str, set[str]] = {}
    outs = []
    for (path, _), found in parsed.items():
        for out in found:
            claimed.setdefault(out.path, set()).add(path)
            outs.append(out)
    return Owners(OutputIndex(outs), claimed, parsed), dvc_repo


def _dvc_files(repo: Repo, sc: scope.Scope, state: State
               ) -> tuple[list[tuple[str, str]], set[tuple[str, str]]]:
    """The DVC files (and DVC configs) of the tip's tree, and every version of a DVC file
    the scope's commits change. Finding them diffs every commit of the scope, which costs
    git about as much as listing the scope's blobs: remembered for the last scope named by
    commit ids alone (a CI job run again, a range checked twice), whose commits, trees and
    so answer never change. Not in a shallow clone, or with grafts: there the same ids can
    stand for other parents."""
    key = _fixed_scope(repo, sc)
    if key is not None:
        cached = state.load("dvc-files-range.pickle", key)
        if isinstance(cached, tuple) and len(cached) == 2:
            return cached
    files = repo.tree_files(sc.tip or "", [*DVCFILE_PATHSPECS, ".dvc/config",
                                           "*/.dvc/config"])
    changed = repo.file_versions(sc.revs, DVCFILE_PATHSPECS)
    if key is not None:
        state.save("dvc-files-range.pickle", key, (files, changed))
    return files, changed


_FIXED_REV = re.compile(r"\^?[0-9a-f]{40}(?:[0-9a-f]{24})?"
                        r"(?:\.\.[0-9a-f]{40}(?:[0-9a-f]{24})?)?")


def _fixed_scope(repo: Repo, sc: scope.Scope) -> str | None:
    """A key naming the scope by object ids alone, or None when a ref or a shallow clone's
    boundary (or grafts) could make the same words mean other commits."""
    if not all(_FIXED_REV.fullmatch(rev) for rev in sc.revs) or repo.shallow_commits() \
            or os.path.exists(os.path.join(repo.common_dir, "info", "grafts")) \
            or any(os.environ.get(v) for v in ("GIT_GRAFT_FILE", "GIT_SHALLOW_FILE")):
        return None
    # How git reads the pathspecs is part of the question.
    magic = [os.environ.get(f"GIT_{m}_PATHSPECS", "") for m in ("LITERAL", "GLOB", "NOGLOB",
                                                                "ICASE")]
    return " ".join((sc.tip or "", *sc.revs, *magic))


def index_owners(repo: Repo, paths: list[str], state: State) -> tuple[Owners, bool]:
    """The DVC outputs the index declares, and whether a DVC project covers these paths."""
    if not paths:
        return Owners(staged=True), True
    dvc_repo = scope.dvc_project_covers(repo.root, paths)
    files = repo.index_entries(DVCFILE_PATHSPECS) if dvc_repo else []
    parsed = _parsed(repo, [(p, oid) for p, oid in files if is_dvcfile(p)], state,
                     "dvc-outputs-index.pickle", prune=True)
    return Owners(OutputIndex(o for outs in parsed.values() for o in outs), staged=True), \
        dvc_repo


def _parsed(repo: Repo, dvcfiles: list[tuple[str, str]], state: State, name: str,
            prune: bool = False) -> dict[tuple[str, str], tuple[DvcOut, ...]]:
    """Cached outputs of the given (path, blob id) DVC files (outputs with `cache: false`
    belong in git); parses only blobs not seen before, and remembers them (`prune`: only
    these, so the cache a commit hook loads stays the size of the index)."""
    cached = state.load(name, "outputs")
    known: dict[tuple[str, str], tuple[DvcOut, ...]] = cached if isinstance(cached, dict) else {}
    todo = [(p, oid) for p, oid in dvcfiles if (p, oid) not in known]
    if todo:
        from dataward.formats.yamlsafe import MAX_BYTES

        heads = repo.object_heads((oid for _, oid in todo), MAX_BYTES + 1)
        for p, oid in todo:
            known[(p, oid)] = tuple(o for o in read(p, heads.get(oid, b"")).outs if o.cache)
    current = {k: known[k] for k in dvcfiles}
    if todo or (prune and len(current) != len(known)):
        state.save(name, "outputs", current if prune else known)
    return current
