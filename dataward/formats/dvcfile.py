"""THE one reader of DVC's files: `.dvc`, `dvc.lock` and `dvc.yaml` bytes -> `DvcOut` values.

Every part of dataward (no-large-binaries, dvc-files, dataset-cards, dvc-pushed, the catalog,
drift) learns what DVC tracks from here, so they cannot disagree about a path, a hash kind or
an identity. Lenient by design: what cannot be read is skipped with the reason kept (the
`dvc-files` check, with its strict model, tells the user why). Nothing here imports dvc or
does I/O: hooks call it on every commit.

Paths: an output's workspace path is its `path:` joined to the file's folder and `wdir`
(a stage's `wdir` from dvc.yaml for dvc.lock, which records paths as dvc.yaml wrote them),
with backslashes as '/', and `./`, `..` and trailing '/' normalised away. That path is the
output's identity in the repository, in history too.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

MD5 = re.compile(r"[0-9a-f]{32}(\.dir)?")
COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")  # sha1, or a sha256 repository
# A relative path with no `.`/`..` segment, backslash, drive, `${` or trailing '/'.
_CLEAN = re.compile(r"(?!\.\.?(?:/|$))[^/:\\$]+(?:/(?!\.\.?(?:/|$))[^/:\\$]+)*")
DVCFILE_PATHSPECS = ("*.dvc", "*dvc.lock", "*dvc.yaml")  # git pathspecs: any folder


class ImportSource(NamedTuple):
    """Where `dvc import` took the data from: another DVC repository, pinned by rev_lock."""

    url: str
    path: str
    rev: str | None
    rev_lock: str | None


class CloudVersion(NamedTuple):
    """The version of a file a version-aware remote holds: DVC 3 writes one per remote
    (`cloud: {REMOTE: {etag, version_id}}`); older DVC one at the top (remote None)."""

    remote: str | None  # lower-cased; None: the older form, for the output's own remote
    etag: str | None
    version_id: str | None


class VersionedFile(NamedTuple):
    """One file of a cloud-versioned output (`files:` of a `version_aware` remote)."""

    relpath: str
    md5: str | None
    etag: str | None  # the older form's, at the top of the entry
    version_id: str | None  # likewise
    size: int | None
    cloud: tuple[CloudVersion, ...] = ()  # DVC 3's, one per remote it was pushed to


class DvcOut(NamedTuple):
    """One output as one DVC file records it at one revision."""

    path: str  # the workspace path, repository-relative: the output's identity
    dvcfile: str  # the .dvc file, dvc.lock or dvc.yaml that declares it
    spec: str  # its `path:` as written in that file
    line: int | None  # the line of its hash (else of the file's start) for findings
    md5: str | None  # `<32 hex>` or `<32 hex>.dir`; None: not hashed yet (dvc.yaml)
    legacy: bool  # DVC 2 hash (md5 of dos2unix text): objects at the remote's root
    size: int | None = None
    nfiles: int | None = None
    cache: bool = True  # `cache: false` outputs belong in git
    push: bool = True  # `push: false` outputs stay in the local cache
    remote: str | None = None  # its own `remote:`, lower-cased; None: the default
    imported: ImportSource | None = None  # `dvc import`: pulled from its source's remote
    files: tuple[VersionedFile, ...] = ()  # cloud-versioned folder: per-file version ids
    cloud: tuple[CloudVersion, ...] = ()  # cloud-versioned file: its versions, per remote

    @property
    def is_dir(self) -> bool:
        return bool(self.md5 and self.md5.endswith(".dir"))

    @property
    def key(self) -> str:
        """Where DVC stores the object, relative to the remote's root."""
        return object_key(self.md5 or "", self.legacy)

    @property
    def target(self) -> str:
        """What to pass `dvc push`/`dvc pull`: the .dvc file, or the stage output's path."""
        return self.dvcfile if self.dvcfile.endswith(".dvc") else self.path

    @property
    def in_remote(self) -> bool:
        """Whether `dvc push` sends it to this repository's remote and `dvc pull` fetches it
        from there: hashed, cached, pushed, and not imported from another repository."""
        return (bool(self.md5) or self.versioned) and self.cache and self.push and \
            self.imported is None

    @property
    def versioned(self) -> bool:
        """Pushed to a version-aware remote: a folder then may have no md5, only `files:`."""
        return bool(self.files or self.cloud)


class DvcFile(NamedTuple):
    """What one DVC file declares; `problem` says why it could not be read (outs empty)."""

    path: str
    outs: tuple[DvcOut, ...]
    imported: ImportSource | None = None
    problem: str | None = None


class OutOptions(NamedTuple):
    """A dvc.yaml stage's options for one output: what dvc.lock does not repeat."""

    cache: bool = True
    push: bool = True
    remote: str | None = None


class Stages(NamedTuple):
    """What dvc.lock needs from its dvc.yaml: each stage's wdir, each output's options."""

    wdirs: Mapping[str, str]  # stage name -> wdir as written
    options: Mapping[str, OutOptions]  # resolved workspace path -> options


NO_STAGES = Stages({}, {})


def is_dvcfile(path: str) -> bool:
    """A file DVC reads its outputs from: `*.dvc` (not the `.dvc` folder), dvc.lock, dvc.yaml."""
    name = posixpath.basename(path)
    return (name.endswith(".dvc") and name != ".dvc") or name in ("dvc.lock", "dvc.yaml")


def object_key(md5: str, legacy: bool) -> str:
    """Where DVC stores an object, relative to the remote's root (dvc-data's oid_to_path):
    DVC 3 under `files/md5/`, DVC 2 at the root."""
    return f"{'' if legacy else 'files/md5/'}{md5[:2]}/{md5[2:]}"


# -- paths ------------------------------------------------------------------------------------

class Resolved(NamedTuple):
    """An output's workspace path, or why it has none (`problem`: "empty", "unusable" (a NUL,
    too long or too deep for a file system), "url", "absolute-wdir", "absolute", "outside" or
    "template")."""

    path: str | None
    problem: str | None = None


# No file system holds a path over 4096 bytes (Linux's PATH_MAX) or with a NUL; and no
# dataset nests 255 folders deep, while callers walk a path's folders one by one.
MAX_PATH_BYTES = 4096
MAX_PATH_DEPTH = 255


def resolve(dvcfile: str, wdir: str, written: str) -> Resolved:
    """The repository-relative path an output `written` in `dvcfile` (with `wdir`) names."""
    if written.strip() in ("", ".", "./"):
        return Resolved(None, "empty")
    if not _usable(written) or not _usable(wdir):
        return Resolved(None, "unusable")
    if wdir in ("", ".") and _CLEAN.fullmatch(written):  # the usual case: nothing to fold
        folder = posixpath.dirname(dvcfile)
        return _checked(f"{folder}/{written}" if folder else written)
    if ("${" in written or "${" in wdir) and not dvcfile.endswith(".dvc"):
        return Resolved(None, "template")  # dvc.yaml's templating: known only to dvc
    if "://" in written:
        return Resolved(None, "url")
    if wdir.startswith(("/", "\\")) or _drive(wdir):
        return Resolved(None, "absolute-wdir")
    if written.startswith(("/", "\\")) or _drive(written):
        return Resolved(None, "absolute")
    joined = posixpath.join(posixpath.dirname(dvcfile), wdir.replace("\\", "/"),
                            written.replace("\\", "/"))
    path = posixpath.normpath(joined)
    if path in (".", "..") or path.startswith("../"):
        return Resolved(None, "outside")
    return _checked(path)


def _checked(path: str) -> Resolved:
    return Resolved(path) if _usable(path) else Resolved(None, "unusable")


def _usable(path: str) -> bool:
    """Whether a file system could hold `path` at all (see MAX_PATH_BYTES)."""
    return "\0" not in path and len(path) <= MAX_PATH_BYTES \
        and len(path.encode("utf-8", "surrogatepass")) <= MAX_PATH_BYTES \
        and path.count("/") + path.count("\\") < MAX_PATH_DEPTH


def _drive(path: str) -> bool:
    return len(path) > 1 and path[1] == ":" and path[0].isalpha()


# -- reading ----------------------------------------------------------------------------------

def read(dvcfile: str, content: bytes, stages: Stages = NO_STAGES) -> DvcFile:
    """The outputs one DVC file declares. A `.dvc` file and dvc.lock give hashed outputs;
    dvc.yaml gives its stages' outputs unhashed (what a path becomes once the stage runs).
    `stages` is the dvc.yaml beside a dvc.lock (its wdirs and per-output options)."""
    from dataward.formats.yamlsafe import YamlProblem, load

    try:
        doc = load(content).data  # bounded: a hostile file cannot crash or hang a hook
    except YamlProblem as exc:
        return DvcFile(dvcfile, (), None, exc.message)
    if not isinstance(doc, dict):
        return DvcFile(dvcfile, (), None, "is not a mapping of DVC fields")
    name = posixpath.basename(dvcfile)
    if name == "dvc.yaml":
        return DvcFile(dvcfile, tuple(_stage_outs(dvcfile, doc)))
    text = content.decode("utf-8", "replace")
    if name == "dvc.lock":
        return DvcFile(dvcfile, tuple(_lock_outs(dvcfile, doc, text, stages)))
    imported = _imported(doc.get("deps"))
    wdir = doc["wdir"] if isinstance(doc.get("wdir"), str) else ""
    outs = []
    for spec in _list(doc.get("outs")):
        out = _out(dvcfile, wdir, spec, text, None)
        if out is not None:
            outs.append(out._replace(imported=imported) if imported else out)
    return DvcFile(dvcfile, tuple(outs), imported)


def read_stages(dvcfile: str, content: bytes) -> Stages:
    """dvc.yaml's stage wdirs and per-output options, for reading the dvc.lock beside it."""
    from dataward.formats.yamlsafe import YamlProblem, load

    try:
        doc = load(content).data
    except YamlProblem:
        return NO_STAGES
    wdirs = {name: wdir for name, wdir, _ in _stage_bodies(doc)}
    options = {path: opts for _, path, opts in _declared(dvcfile, doc)}
    for _, wdir, stage in _stage_bodies(doc):  # `${item}.json`: matched by _declared_options
        for key in ("outs", "metrics", "plots"):
            for spec in _list(stage.get(key)):
                entry = _stage_spec(spec)
                if entry and "${" in entry[0]:
                    options.setdefault(posixpath.normpath(posixpath.join(
                        posixpath.dirname(dvcfile), wdir, entry[0])), entry[1])
    return Stages(wdirs, options)


def _stage_bodies(doc: Any) -> list[tuple[str, str, dict[str, Any]]]:
    """dvc.yaml's stages as (name, wdir, body); a `foreach`/`matrix` stage as its `do`."""
    stages = doc.get("stages") if isinstance(doc, dict) else None
    found = []
    for stage_name, stage in stages.items() if isinstance(stages, dict) else []:
        if isinstance(stage, dict) and isinstance(stage.get("do"), dict):
            stage = stage["do"]
        if isinstance(stage, dict):
            wdir = stage["wdir"] if isinstance(stage.get("wdir"), str) else ""
            found.append((str(stage_name), wdir, stage))
    return found


def _declared(dvcfile: str, doc: Any) -> list[tuple[str, str, OutOptions]]:
    """dvc.yaml's outputs as (path as written, workspace path, options); paths only dvc can
    resolve are left out."""
    found = []
    for _, wdir, stage in _stage_bodies(doc):
        for key in ("outs", "metrics", "plots"):
            for spec in _list(stage.get(key)):
                entry = _stage_spec(spec)
                path = resolve(dvcfile, wdir, entry[0]).path if entry else None
                if entry and path is not None:
                    found.append((entry[0], path, entry[1]))
    return found


def _stage_spec(spec: Any) -> tuple[str, OutOptions] | None:
    """`- path` or `- path: {cache: false, push: false, remote: ...}`."""
    if isinstance(spec, str):
        return spec, OutOptions()
    if isinstance(spec, dict) and len(spec) == 1:
        (written, opts), = spec.items()
        if isinstance(written, str):
            return written, _options(opts if isinstance(opts, dict) else {})
    return None


def _stage_outs(dvcfile: str, doc: dict[str, Any]) -> list[DvcOut]:
    return [DvcOut(path, dvcfile, written, None, None, False, None, None, opts.cache,
                   opts.push, opts.remote) for written, path, opts in _declared(dvcfile, doc)]


def _lock_outs(dvcfile: str, doc: dict[str, Any], text: str, stages: Stages) -> list[DvcOut]:
    # DVC 2+ writes `schema: '2.0'` and `stages:`; DVC 1 wrote the stages at the top.
    entries = doc.get("stages") if "schema" in doc else doc
    outs = []
    for stage_name, stage in entries.items() if isinstance(entries, dict) else []:
        # A stage its dvc.yaml no longer defines is a leftover: dvc pulls and keeps nothing of it.
        if not isinstance(stage, dict) or (stages is not NO_STAGES and str(stage_name).split(
                "@", 1)[0] not in stages.wdirs):
            continue
        # `name@key` is one iteration of a foreach stage, whose wdir is the stage's.
        wdir = stages.wdirs.get(str(stage_name).split("@", 1)[0], "")
        for spec in _list(stage.get("outs")):
            out = _out(dvcfile, wdir, spec, text, stages.options)
            if out is not None:
                outs.append(out)
    return outs


def _out(dvcfile: str, wdir: str, spec: Any, text: str,
         stage_options: Mapping[str, OutOptions] | None) -> DvcOut | None:
    """One `outs:` entry of a .dvc file or dvc.lock; None when it names no workspace path."""
    if not isinstance(spec, dict) or not isinstance(spec.get("path"), str):
        return None
    written = spec["path"]
    path = resolve(dvcfile, wdir, written).path
    if path is None:
        return None
    md5 = spec.get("md5")
    md5 = md5.lower() if isinstance(md5, str) and MD5.fullmatch(md5.lower()) else None
    opts = _declared_options(stage_options, path) if stage_options is not None \
        else _options(spec)
    return DvcOut(path, dvcfile, written, _line_of(text, md5 or written), md5,
                  spec.get("hash") != "md5", _count(spec.get("size")),
                  _count(spec.get("nfiles")), opts.cache, opts.push, opts.remote, None,
                  _versioned(spec.get("files")), _cloud(spec))


def _declared_options(options: Mapping[str, OutOptions], path: str) -> OutOptions:
    """What dvc.yaml declares for the output at `path`. A `foreach`/`matrix` stage declares
    `${item}.json`; its dvc.lock entries (`name@key`) hold `alpha.json`, `beta.json`."""
    found = options.get(path)
    if found is not None:
        return found
    for written, opts in options.items():
        if "${" in written and _template(written).fullmatch(path):
            return opts
    return OutOptions()


def _template(path: str) -> re.Pattern[str]:
    """`data/${item}.json` as a pattern: each `${...}` one or more characters."""
    return re.compile(".+?".join(re.escape(p) for p in re.split(r"\$\{[^}]*\}", path)))


def _options(spec: dict[str, Any]) -> OutOptions:
    remote = spec.get("remote")
    return OutOptions(spec.get("cache", True) is not False, spec.get("push", True) is not False,
                      remote.lower() if isinstance(remote, str) and remote else None)


def _imported(deps: Any) -> ImportSource | None:
    for dep in _list(deps):
        repo = dep.get("repo") if isinstance(dep, dict) else None
        if isinstance(repo, dict) and isinstance(repo.get("url"), str):
            return ImportSource(repo["url"], str(dep.get("path", "")), _text(repo.get("rev")),
                                _text(repo.get("rev_lock")))
    return None


def _versioned(files: Any) -> tuple[VersionedFile, ...]:
    found = []
    for entry in _list(files):
        if isinstance(entry, dict) and isinstance(entry.get("relpath"), str):
            md5 = entry.get("md5")
            found.append(VersionedFile(
                entry["relpath"], md5 if isinstance(md5, str) and MD5.fullmatch(md5) else None,
                _text(entry.get("etag")), _text(entry.get("version_id")),
                _count(entry.get("size")), _cloud(entry)))
    return tuple(found)


def _cloud(entry: dict[str, Any]) -> tuple[CloudVersion, ...]:
    """DVC 3's `cloud: {REMOTE: {etag, version_id}}`; a file output's older top-level one."""
    found = []
    cloud = entry.get("cloud")
    for name, where in cloud.items() if isinstance(cloud, dict) else []:
        if isinstance(name, str) and name and isinstance(where, dict):
            found.append(CloudVersion(name.lower(), _text(where.get("etag")),
                                      _text(where.get("version_id"))))
    if "relpath" not in entry and entry.get("version_id"):
        found.append(CloudVersion(None, _text(entry.get("etag")),
                                  _text(entry.get("version_id"))))
    return tuple(found)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 \
        else None


def _text(value: Any) -> str | None:
    return str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) \
        else None


def _line_of(text: str, needle: str) -> int | None:
    at = text.find(needle) if needle else -1
    return text.count("\n", 0, at) + 1 if at >= 0 else None


# -- lookups ----------------------------------------------------------------------------------

class OutputIndex:
    """Outputs by workspace path, answering "which output holds this path?"."""

    def __init__(self, outputs: Iterable[DvcOut]) -> None:
        self.by_path: dict[str, DvcOut] = {}
        for out in outputs:
            self.by_path.setdefault(out.path, out)  # two claims: dvc-files reports them

    def owner(self, path: str) -> DvcOut | None:
        """The output that is `path` or a folder holding it."""
        by_path = self.by_path
        if not by_path:
            return None
        probe = path
        while True:
            if probe in by_path:
                return by_path[probe]
            cut = probe.rfind("/")
            if cut < 0:
                return None
            probe = probe[:cut]
