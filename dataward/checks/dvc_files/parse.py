"""A `.dvc` file read strictly, for diagnostics: the pydantic model's findings with the line
of each offending key, and the claims of its outputs (where each resolves, through the one
reader's `resolve`). Pure: bytes in, a Parsed file, its claims and findings out."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from dataward.findings import Finding, Severity
from dataward.formats.dvcfile import Resolved, is_dvcfile, resolve
from dataward.formats.dvcfile_fast import check as check_fast
from dataward.formats.explain import explain, type_name, where
from dataward.formats.yamlsafe import Document, YamlProblem, load
from dataward.policy import DvcFilesPolicy

CHECK_ID = "dvc-files"
RECOMMIT = "let DVC write it: `dvc commit {file}` (or `dvc add` the data again); never edit hashes"
REIMPORT = "let DVC write it: `dvc import URL PATH` again, or `dvc update {file}`"
_HINTS = {"md5": RECOMMIT, "size": RECOMMIT, "nfiles": RECOMMIT, "etag": RECOMMIT,
          "hash": RECOMMIT, "url": REIMPORT, "rev_lock": REIMPORT, "rev": REIMPORT}
_INSIDE = ("outputs live inside the repository: move the data there and `dvc add` it, or "
           "track outside data with `dvc import-url`")


class Parsed(NamedTuple):
    path: str  # repository-relative
    doc: Document | None
    # A DvcFile when it validated (dvcfile_fast's when it has the shape DVC writes, with the
    # fields judge reads; dvcfile_model's otherwise), else None.
    model: Any
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
    # An output neither there nor ignored whose `path:` a move of its .dvc file left behind:
    # path -> Moved (where the data is, where the .dvc file was), or None when its
    # folder does not exist either and no move is found.
    stale: dict[str, Moved | None]


class Moved(NamedTuple):
    """Where a moved .dvc file's output is, read from where the file was."""

    data: str  # the output `path:` names from the .dvc file's earlier place
    origin: str  # that earlier place of the .dvc file
    known: bool  # git recorded the move (else: found by reading `path:` from a folder above)


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
        hint = f"restore it from git (`git checkout HEAD -- {quoted(path)}`) or `dvc add` the data"
        return Parsed(path, doc, None, [finding(path, 1, "is empty", hint,
                                                rule="dvcfile-empty")])
    if not isinstance(doc.data, dict):
        return Parsed(path, doc, None, [finding(
            path, doc.line_of(()), f"is a YAML {type_name(doc.data)}, not a mapping",
            "a .dvc file is a mapping with an `outs:` list; restore it from git",
            rule="dvcfile-not-mapping")])
    fast = check_fast(doc.data)  # what DVC writes, valid: no pydantic, no model to build
    if fast is not None:
        return Parsed(path, doc, fast, [])
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
    # A NUL, over 4096 bytes or 255 folders deep: no file system holds it; {short} keeps
    # the message short where the path may be 4 KB long.
    "unusable": ("output-empty-path", "output {i} has no usable path ({short}): it holds a NUL "
                 "or is too long or too deep for a file system",
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
        short = repr(written[:60] + ("..." if len(written) > 60 else ""))
        return (message.format(i=i, written=written, where=where, wdir=wdir, short=short),
                hint, rule)
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


def quoted(path: str) -> str:
    """A path as a shell reads it back, for hints that are pasted."""
    import shlex

    return shlex.quote(path)
