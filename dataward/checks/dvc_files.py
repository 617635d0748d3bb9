"""`dvc-files`: every `.dvc` file is well formed, and its outputs are inside the repository,
ignored by git, not committed to it, and claimed by no other DVC file.

Parsing and judging are pure (`parse`, `claims`, `judge`, `overlaps`); `collect` is the one
place that asks git and the file system for the facts they need.
"""

import argparse
import bisect
import os
import posixpath
import stat
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from dataward import runner
from dataward.adapters.git import Repo
from dataward.filenames import read_capped, repo_paths
from dataward.findings import Finding, Outcome, Severity
from dataward.formats.dvcfile import Resolved, is_dvcfile, read, resolve
from dataward.formats.explain import explain, type_name, where
from dataward.formats.urls import repo_key, within
from dataward.formats.yamlsafe import MAX_BYTES, Document, YamlProblem, load
from dataward.policy import DvcFilesPolicy, Policy
from dataward.runner import Request, add_common_options

CHECK_ID = "dvc-files"
RECOMMIT = "let DVC write it: `dvc commit {file}` (or `dvc add` the data again); never edit hashes"
REIMPORT = "let DVC write it: `dvc import URL PATH` again, or `dvc update {file}`"
_HINTS = {"md5": RECOMMIT, "size": RECOMMIT, "nfiles": RECOMMIT, "etag": RECOMMIT,
          "hash": RECOMMIT, "url": REIMPORT, "rev_lock": REIMPORT, "rev": REIMPORT}
# A relative path without `.`/`..` segments, doubled or trailing slashes: already normal.
_INSIDE = ("outputs live inside the repository: move the data there and `dvc add` it, or "
           "track outside data with `dvc import-url`")


class Parsed(NamedTuple):
    path: str  # repository-relative
    doc: Document | None
    model: Any  # a DvcFile when it validated, else None
    findings: list[Finding]


class Claim(NamedTuple):
    """One output a DVC file declares, resolved to a repository path."""

    path: str
    dvcfile: str
    doc: Document | None  # for the line, found only when there is a finding
    position: int  # in `outs`; -1 for outputs read without the model (other files)
    cached: bool
    is_dir: bool | None  # from the hash (`.dir`); None when there is none

    @property
    def line(self) -> int | None:
        return self.doc.line_of(("outs", self.position, "path")) if self.doc else None


class Workspace(NamedTuple):
    """What git and the file system say about the claimed paths."""

    tracked: list[str]  # sorted paths in the index
    ignored: set[str]  # as queried: `path`, or `path/` for a folder
    kinds: dict[str, str]  # path -> "dir" | "file"; absent when not in the workspace
    # path -> (the symlinked folder it is reached through, whether that leads outside)
    links: dict[str, tuple[str, bool]]


def finding(path: str, line: int | None, message: str, hint: str,
            severity: Severity = "error", *, rule: str) -> Finding:
    return Finding(path, line, CHECK_ID, message, hint, severity, rule)


# -- parse: bytes -> model, or findings -------------------------------------------------------

def parse(path: str, content: bytes, policy: DvcFilesPolicy) -> Parsed:
    try:
        doc = load(content)
    except YamlProblem as p:
        rule = "dvcfile-merge-conflict" if p.kind == "conflict" else "dvcfile-not-yaml"
        return Parsed(path, None, None, [finding(path, p.line, p.message, p.hint, rule=rule)])
    if doc.data is None:
        hint = f"restore it from git (`git checkout HEAD -- {_q(path)}`) or `dvc add` the data"
        return Parsed(path, doc, None, [finding(path, 1, "is empty", hint,
                                                rule="dvcfile-empty")])
    if not isinstance(doc.data, dict):
        return Parsed(path, doc, None, [finding(
            path, doc.line_of(()), f"is a YAML {type_name(doc.data)}, not a mapping",
            "a .dvc file is a mapping with an `outs:` list; restore it from git",
            rule="dvcfile-not-mapping")])
    from pydantic import ValidationError

    from dataward.formats.dvcfile_model import DvcFile

    try:
        return Parsed(path, doc, DvcFile.model_validate(doc.data), [])
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
    unknown = [e["loc"] for e in errors if e["type"] == "extra_forbidden"]
    severity: Severity = "error" if policy.unknown_keys == "error" else "warning"
    found = [finding(path, doc.line_of(loc), f"`{where(loc)}` is not a key DVC writes",
                     "a newer DVC may write it (update dataward), or it is a typo; "
                     'unknown-keys = "error" under [dvc-files] refuses such keys', severity,
                     rule="dvcfile-unknown-key")
             for loc in unknown]
    found += _type_findings(path, doc, [e for e in errors if e["type"] != "extra_forbidden"])
    model = None
    if len(found) == len(unknown):  # only unknown keys: judge the rest of the file
        model = DvcFile.model_validate(_without(doc.data, unknown))
    return Parsed(path, doc, model, found)


def _type_findings(path: str, doc: Document, errors: list[Any]) -> list[Finding]:
    found = []
    for loc, message in explain(doc.data, errors):
        key = next((p for p in reversed(loc) if isinstance(p, str)), "")
        hint = _HINTS.get(key, "fix the value, or restore the file from git").format(file=path)
        found.append(finding(path, doc.line_of(loc), message, hint, rule="dvcfile-invalid-value"))
    return found


def _without(data: Any, locs: Iterable[Sequence[Any]]) -> Any:
    import copy

    data = copy.deepcopy(data)
    for loc in locs:
        parent = data
        for part in loc[:-1]:
            parent = parent[part]
        del parent[loc[-1]]
    return data


# -- claims: where each output resolves to -----------------------------------------------------

def claims(parsed: Parsed) -> tuple[list[Claim], list[Finding]]:
    """Outputs resolved against the file's folder and `wdir`; bad paths become findings.

    Read from the YAML, not the model, so that a file with a broken hash still has its
    paths checked.
    """
    doc, path = parsed.doc, parsed.path
    data = doc.data if doc is not None else None
    if doc is None or not isinstance(data, dict) or not isinstance(data.get("outs"), list):
        return [], []
    wdir: str = data["wdir"] if isinstance(data.get("wdir"), str) else "."
    found, out = [], []
    for i, o in enumerate(data["outs"]):
        if not isinstance(o, dict) or not isinstance(o.get("path"), str):
            continue  # the model's findings cover it
        resolved = resolve(path, wdir, o["path"])
        problem = _path_problem(o["path"], wdir, resolved, i)
        if problem or resolved.path is None:
            if problem:
                message, hint, rule = problem
                found.append(finding(path, doc.line_of(("outs", i, "path")), message, hint,
                                     rule=rule))
            continue
        md5 = o.get("md5")
        is_dir = md5.lower().endswith(".dir") if isinstance(md5, str) and md5 else None
        out.append(Claim(resolved.path, path, doc, i, o.get("cache") is not False, is_dir))
    return out, found


_PROBLEMS = {  # formats.dvcfile.resolve's reasons, as the user wrote the output: rule, ...
    "empty": ("output-empty-path", "output {i} has no usable path ({written!r})",
              "name the data, relative to the .dvc file"),
    "url": ("output-url", "output {where} is a URL, not a path in the repository",
            "track remote data with `dvc import-url URL PATH`"),
    "absolute-wdir": ("absolute-wdir", "`wdir: {wdir}` is an absolute path",
                      "wdir is relative to the .dvc file"),
    "absolute": ("output-absolute-path", "output {where} is an absolute path", _INSIDE),
    "outside": ("output-outside-repo", "output {where} is outside the repository", _INSIDE),
}


def _path_problem(written: str, wdir: str, resolved: Resolved,
                  i: int) -> tuple[str, str, str] | None:
    """(message, fix, rule) for an output whose path is no place for data."""
    where = f"`{written}`" + (f" (wdir {wdir})" if wdir != "." else "")
    if resolved.problem is not None:
        rule, message, hint = _PROBLEMS[resolved.problem]
        return message.format(i=i, written=written, where=where, wdir=wdir), hint, rule
    assert resolved.path is not None
    top = resolved.path.split("/", 1)[0]
    if top in (".git", ".dvc"):
        return (f"output {where} is inside {top}/, which belongs to {top[1:]}", _INSIDE,
                "output-in-metadata-dir")
    if is_dvcfile(resolved.path):
        return (f"output {where} is itself a DVC file", "outputs are data; name the data",
                "output-is-dvcfile")
    return None


def ignore_query(claim: Claim, ws_kind: str | None) -> list[str]:
    """What to ask `git check-ignore`: a folder with a trailing '/', so `data/` rules match
    even when the folder is not in the workspace; both forms when the kind is unknown."""
    is_dir = claim.is_dir if ws_kind is None else ws_kind == "dir"
    if is_dir is None:
        return [claim.path, claim.path + "/"]
    return [claim.path + "/"] if is_dir else [claim.path]


# -- judge: a parsed file and the workspace facts -> findings ---------------------------------

def judge(parsed: Parsed, own: list[Claim], ws: Workspace,
          policy: DvcFilesPolicy) -> list[Finding]:
    model, doc, path = parsed.model, parsed.doc, parsed.path
    if model is None or doc is None:
        return []
    found: list[Finding] = []
    # DVC 0.x/1.x stage files may have no outputs: a command (`dvc run`), or only
    # dependencies and the stage's own md5 (`dvc run -d ... -f F`, a pipeline's end point).
    if not model.outs and not model.cmd and not (model.deps and model.md5):
        found.append(finding(path, doc.line_of(("outs",)), "declares no outputs",
                             "a .dvc file tracks data: `dvc add PATH` writes a complete one",
                             rule="no-outputs"))
    for i, o in enumerate(model.outs or ()):
        if o.nfiles is not None and not o.is_dir:
            found.append(finding(path, doc.line_of(("outs", i, "nfiles")),
                                 f"`outs[{i}].nfiles` is set, but the md5 is not a folder's "
                                 "(no `.dir`)", RECOMMIT.format(file=path),
                                 rule="nfiles-without-dir"))
    for c in own:
        found += _judge_claim(c, ws)
    for i, dep in enumerate(model.deps or ()):
        if dep.repo is None:
            continue
        line = doc.line_of(("deps", i, "repo"))
        if dep.repo.rev_lock is None:
            found.append(finding(path, line, f"import from {dep.repo.url} is not pinned "
                                 "(no `rev_lock`)", f"`dvc update {path}` pins it to a commit",
                                 rule="import-not-pinned"))
        allowed = policy.import_urls
        if allowed and not any(within(repo_key(dep.repo.url), repo_key(a)) for a in allowed):
            found.append(finding(path, doc.line_of(("deps", i, "repo", "url")),
                                 f"imports from {dep.repo.url}, which is not an allowed "
                                 "registry", f"import from {' or '.join(allowed)} "
                                 "(import-urls under [dvc-files])", rule="import-not-allowed"))
    return found


def _judge_claim(c: Claim, ws: Workspace) -> list[Finding]:
    found = []
    kind = ws.kinds.get(c.path)
    if c.is_dir is not None and kind is not None and c.is_dir != (kind == "dir"):
        what = ("a folder's (ends in `.dir`), but it is a file" if c.is_dir
                else "a file's, but it is a folder")
        found.append(finding(c.dvcfile, c.line, f"the md5 of `{c.path}` is {what}",
                             f"`dvc add {_q(c.path)}` again to record what is there",
                             rule="output-kind-mismatch"))
    link, outside = ws.links.get(c.path, ("", False))
    if outside:
        found.append(finding(c.dvcfile, c.line, f"`{c.path}` leads outside the repository "
                             f"through the symlink `{link}`",
                             "keep outputs inside the repository; for data elsewhere use "
                             "`dvc import-url`, or share the cache (`dvc cache dir`)",
                             rule="output-symlink-outside"))
    elif link:
        found.append(finding(c.dvcfile, c.line, f"`{c.path}` is reached through the symlink "
                             f"`{link}`; DVC does not track data inside symlinked folders",
                             "name the real folder in the path, relative to the .dvc file",
                             rule="output-through-symlink"))
    if link:
        return found
    if not c.cached:
        return found
    if _is_tracked(ws.tracked, c.path):
        found.append(finding(c.dvcfile, c.line, f"`{c.path}` is committed to git as well as "
                             "tracked by DVC", f"git rm -r --cached {_q(c.path)} (the files stay "
                             "on disk), then commit", rule="output-committed"))
    elif not any(q in ws.ignored for q in ignore_query(c, kind)):
        parent, name = posixpath.split(c.path)
        gitignore = posixpath.join(parent, ".gitignore")
        found.append(finding(c.dvcfile, c.line, f"`{c.path}` is not ignored by git, so "
                             "`git add` would commit the data", f"add `/{name}` to {gitignore} "
                             "(`dvc add` writes it)", rule="output-not-ignored"))
    return found


def _is_tracked(tracked: list[str], path: str) -> bool:
    i = bisect.bisect_left(tracked, path)
    if i < len(tracked) and tracked[i] == path:
        return True
    j = bisect.bisect_left(tracked, path + "/")
    return j < len(tracked) and tracked[j].startswith(path + "/")


def overlaps(all_claims: list[Claim], checked: set[str]) -> list[Finding]:
    """Two outputs with the same path, or one inside the other, reported from checked files."""
    paths = sorted({c.path for c in all_claims})
    by_path: dict[str, list[Claim]] = {}
    for c in all_claims:
        by_path.setdefault(c.path, []).append(c)
    found = []
    for c in all_claims:
        if c.dvcfile not in checked:
            continue
        others = [(o, "same") for o in by_path[c.path] if o != c]
        parent = c.path
        while "/" in parent:
            parent = parent.rsplit("/", 1)[0]
            others += [(o, "inside") for o in by_path.get(parent, ())]
        below = c.path + "/"
        for k in range(bisect.bisect_left(paths, below), len(paths)):
            if not paths[k].startswith(below):
                break
            others += [(o, "holds") for o in by_path[paths[k]]]
        for o, how in others:
            other = o.dvcfile if o.position < 0 or o.dvcfile != c.dvcfile else f"outs[{o.position}]"
            message = {"same": f"`{c.path}` is also an output of {other}",
                       "inside": f"`{c.path}` is inside `{o.path}`, an output of {other}",
                       "holds": f"`{c.path}` holds `{o.path}`, an output of {other}"}[how]
            found.append(finding(c.dvcfile, c.line, message, "each path belongs to one DVC "
                                 f"file: `dvc remove` one of them ({c.dvcfile} or {o.dvcfile})",
                                 rule="output-claimed-twice"))
    return found


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
    return Workspace(tracked, repo.check_ignore(queries), kinds, links)


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
        return finding(path, None, f"cannot be read: {content.strerror}",
                       "check the file's permissions", rule="dvcfile-unreadable")
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
    found += overlaps(own + _other_claims(repo.root, checked, dvcfiles), checked)
    return found


def _other_claims(root: str, checked: set[str], dvcfiles: list[str]) -> list[Claim]:
    out = []
    for p in dvcfiles:
        if p in checked:
            continue
        content = _read(root, p)
        if isinstance(content, bytes):
            out += [Claim(o.path, p, None, -1, True, None)
                    for o in read(p, content).outs if o.cache]
    return out


def _q(path: str) -> str:
    """A path as a shell reads it back, for hints that are pasted."""
    import shlex

    return shlex.quote(path)


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
