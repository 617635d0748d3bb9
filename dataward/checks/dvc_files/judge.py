"""dvc-files' verdicts, pure: a parsed file and the workspace facts -> findings."""

from __future__ import annotations

import bisect
import posixpath

from dataward.checks.dvc_files.parse import (
    RECOMMIT,
    Claim,
    Moved,
    Parsed,
    Workspace,
    finding,
    ignore_query,
    quoted,
)
from dataward.findings import Finding
from dataward.formats.urls import repo_key, within
from dataward.policy import DvcFilesPolicy

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
                             f"`dvc add {quoted(c.path)}` again to record what is there",
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
                             "tracked by DVC", f"git rm -r --cached {quoted(c.path)} (the files "
                             "stay on disk), then commit", rule="output-committed"))
    elif not any(q in ws.ignored for q in ignore_query(c, kind)):
        if c.path in ws.stale:
            return [*found, _stale(c, ws.stale[c.path])]
        parent, name = posixpath.split(c.path)
        gitignore = posixpath.join(parent, ".gitignore")
        found.append(finding(c.dvcfile, c.line, f"`{c.path}` is not ignored by git, so "
                             "`git add` would commit the data",
                             "add the entry `dvc add` writes: `printf '%s\\n' "
                             f"{quoted('/' + name)} >> {quoted(gitignore)}`",
                             rule="output-not-ignored"))
    return found


def _stale(c: Claim, moved: Moved | None) -> Finding:
    """An output that is neither there nor ignored, where `path:` (read from the .dvc file's
    folder) was left behind by a move of the .dvc file: the .gitignore hint would name the
    wrong folder (or one that does not exist), so name the .dvc file to fix instead."""
    where = f"`{c.path}` is not in the workspace and git does not ignore it"
    if moved is None:
        return finding(
            c.dvcfile, c.line, f"{where}; its folder `{posixpath.dirname(c.path)}` does not "
            "exist either",
            f"`path:` is read from the folder of {quoted(c.dvcfile)}: if it was moved (git "
            "mv), move it back beside the data and move both with `dvc move`, or correct its "
            f"`path:`; if the data is not pulled yet: dvc pull {quoted(c.dvcfile)}",
            rule="output-path-stale")
    why = (f"{c.dvcfile} was moved from {moved.origin}, and `path:` is read from the .dvc "
           f"file's folder (its data: `{moved.data}`)" if moved.known else
           f"but `{moved.data}` is there: `path:` is read from the .dvc file's folder, and "
           f"{c.dvcfile} seems moved without its data")
    fixed = posixpath.relpath(moved.data, posixpath.dirname(c.dvcfile) or ".")
    return finding(
        c.dvcfile, c.line, f"{where}{':' if moved.known else ','} {why}",
        f"set `path:` in {quoted(c.dvcfile)} to {quoted(fixed)}, or move it back: git mv "
        f"{quoted(c.dvcfile)} {quoted(moved.origin)} (then `dvc move` moves data and .dvc "
        "file together)", rule="output-path-stale")


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
