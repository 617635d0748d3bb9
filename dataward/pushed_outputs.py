"""What a `dvc pull` of a revision needs from the remote, read from git alone.

Each cached output of a `.dvc` file or a `dvc.lock` stage is one `DataOutput`; a directory's
objects are its `.dir` manifest and every file the manifest lists. Nothing here imports dvc:
an unchanged re-check must stay fast enough for every push.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterable
from typing import Any, NamedTuple

from dataward.findings import Finding

CHECK_ID = "dvc-pushed"
DVC_PATHSPECS = ("*.dvc", "*dvc.lock", "*dvc.yaml")


class DataOutput(NamedTuple):
    """One cached output at one revision."""

    path: str  # repository-relative
    dvcfile: str  # the .dvc file or dvc.lock that records its hash
    line: int | None
    md5: str  # as DVC writes it: `<32 hex>` or `<32 hex>.dir`
    legacy: bool  # DVC 2 hash (md5 of dos2unix text): objects at the remote's root
    remote: str | None  # the output's own `remote:`, else None for the default

    @property
    def is_dir(self) -> bool:
        return self.md5.endswith(".dir")

    @property
    def key(self) -> str:
        return object_key(self.md5, self.legacy)

    @property
    def target(self) -> str:
        """What to pass `dvc push`: the .dvc file, or the stage output's path."""
        return self.dvcfile if self.dvcfile.endswith(".dvc") else self.path


class Unreadable(NamedTuple):
    dvcfile: str
    reason: str


def object_key(md5: str, legacy: bool) -> str:
    """Where DVC stores an object, relative to the remote's root (dvc-data's oid_to_path)."""
    return f"{'' if legacy else 'files/md5/'}{md5[:2]}/{md5[2:]}"


def is_dvc_path(path: str) -> bool:
    name = posixpath.basename(path)
    return (name.endswith(".dvc") and name != ".dvc") or name in ("dvc.lock", "dvc.yaml")


def parse(dvcfile: str, content: bytes, stage_flags: dict[str, dict[str, Any]] | None = None
          ) -> list[DataOutput] | Unreadable:
    """The outputs `dvc push` sends and `dvc pull` fetches, from one `.dvc` file or dvc.lock.

    Skipped: `cache: false` and `push: false` outputs, outputs with no hash yet, and imports
    from another DVC repository (`dvc pull` fetches those from their source's remote).
    """
    from dataward.formats.yamlsafe import YamlProblem, load

    try:
        doc = load(content).data
    except YamlProblem as exc:
        return Unreadable(dvcfile, exc.message)
    if not isinstance(doc, dict):
        return Unreadable(dvcfile, "is not a mapping of DVC fields")
    text = content.decode("utf-8", "replace")
    base = posixpath.dirname(dvcfile)
    if posixpath.basename(dvcfile) == "dvc.lock":
        stages = doc.get("stages") if "schema" in doc else doc
        specs = [(o, (stage_flags or {}).get(_out_path(o) or "", {}))
                 for stage in (stages.values() if isinstance(stages, dict) else [])
                 if isinstance(stage, dict) for o in _list(stage.get("outs"))]
        wdir = ""
    else:
        if any(isinstance(d, dict) and isinstance(d.get("repo"), dict)
               for d in _list(doc.get("deps"))):
            return []
        specs = [(o, o) for o in _list(doc.get("outs"))]
        wdir = doc["wdir"] if isinstance(doc.get("wdir"), str) else ""
    outputs = []
    for spec, flags in specs:
        if not isinstance(spec, dict) or not isinstance(flags, dict):
            continue
        path, md5 = _out_path(spec), spec.get("md5")
        if path is None or not isinstance(md5, str) or not _is_md5(md5):
            continue
        if flags.get("cache", True) is False or flags.get("push", True) is False:
            continue
        remote = flags.get("remote")
        outputs.append(DataOutput(
            posixpath.normpath(posixpath.join(base, wdir, path.replace("\\", "/"))),
            dvcfile, _line_of(text, md5), md5, spec.get("hash") != "md5",
            remote.lower() if isinstance(remote, str) and remote else None))
    return outputs


def stage_flags(content: bytes) -> dict[str, dict[str, Any]]:
    """dvc.yaml's per-output options (`cache`, `push`, `remote`), by output path."""
    from dataward.formats.yamlsafe import YamlProblem, load

    try:
        doc = load(content).data
    except YamlProblem:
        return {}
    flags: dict[str, dict[str, Any]] = {}
    stages = doc.get("stages") if isinstance(doc, dict) else None
    for stage in stages.values() if isinstance(stages, dict) else []:
        if not isinstance(stage, dict):
            continue
        for key in ("outs", "metrics", "plots"):
            for spec in _list(stage.get(key)):
                if isinstance(spec, dict) and len(spec) == 1:
                    (path, opts), = spec.items()
                    if isinstance(path, str) and isinstance(opts, dict):
                        flags[path] = opts
    return flags


def manifest(content: bytes, legacy: bool) -> list[tuple[str, str]] | None:
    """A `.dir` object's (object key, relpath) entries; None when it is not a manifest."""
    try:
        entries = json.loads(content)
    except ValueError:
        return None
    if not isinstance(entries, list):
        return None
    out = []
    for entry in entries:
        if not isinstance(entry, dict):
            return None
        md5, relpath = entry.get("md5"), entry.get("relpath")
        if not isinstance(md5, str) or not isinstance(relpath, str) or not _is_md5(md5):
            return None
        out.append((object_key(md5, legacy), relpath))
    return out


class Gap(NamedTuple):
    """One output's objects that a remote lacks."""

    out: DataOutput
    remote: str
    url: str
    missing: list[tuple[str, str]]  # (object key, what to call it)
    total: int | None  # objects the output has; None when its manifest is nowhere
    in_local_cache: bool  # this machine can send them

    @property
    def manifest_pushed(self) -> bool:
        """The `.dir` is in the remote but files are not: `dvc push` trusts the `.dir` and
        sends nothing (dvc-data's remote index), so only an upload of the files fixes it."""
        return self.out.is_dir and all(key != self.out.key for key, _ in self.missing)


def gap_finding(gap: Gap) -> Finding:
    """One dataset's verdict: how many objects are missing, the first paths, and the fix."""
    names = [label for _, label in gap.missing]
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    count = f"{len(names)} of {gap.total}" if gap.total is not None else f"{len(names)}"
    noun = "object is" if len(names) == 1 and gap.total in (None, 1) else "objects are"
    out = gap.out
    message = f"{out.path}: {count} {noun} not in remote '{gap.remote}' ({gap.url}): {shown}"
    if not gap.in_local_cache:
        hint = (f"this machine's DVC cache lacks them too: run `dvc push {out.target}` where "
                "the data was added, or get the data back and `dvc add` it again")
    elif gap.manifest_pushed:
        hint = ("`dvc push` sends nothing here (the remote has the .dir manifest, so dvc "
                "takes the files as there too): run `dvc-pushed --push --rev HEAD`, which "
                "uploads the missing files from this machine's cache")
    else:
        hint = f"dvc push {out.target}"
    return Finding(out.dvcfile, out.line, CHECK_ID, message, hint)


def dedupe(outputs: Iterable[DataOutput]) -> list[DataOutput]:
    """Each (path, hash) once: the same dataset can be pushed in several refs."""
    return list({(o.path, o.md5, o.remote): o for o in outputs}.values())


def _out_path(spec: Any) -> str | None:
    path = spec.get("path") if isinstance(spec, dict) else None
    return path if isinstance(path, str) and path and "${" not in path else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _is_md5(value: str) -> bool:
    digest = value[:-4] if value.endswith(".dir") else value
    return len(digest) == 32 and all(c in "0123456789abcdef" for c in digest)


def _line_of(text: str, needle: str) -> int | None:
    at = text.find(needle)
    return text.count("\n", 0, at) + 1 if at >= 0 else None
