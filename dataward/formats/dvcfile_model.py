"""The `.dvc` file, as every DVC release has written it.

DVC 0.x/1.x single-stage files (`cmd`, `deps`, `locked`, `metric`), DVC 2 (md5 without
`hash:`), DVC 3 (`hash: md5`), imports (`deps[].repo`), import-url (`deps[]` with an etag or
md5), and cloud-versioned outputs (`files:` with `etag`/`version_id`) all validate. Types are
as strict as DVC's own schema (dvc/schema.py, dvc/output.py) and hash formats stricter; keys
this model does not know are kept (`extra="allow"`) so the check can warn instead of failing
when a newer DVC adds one.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from dataward.formats.dvcfile import COMMIT, MD5


def _empty_is_none(value: Any) -> Any:
    # DVC writes and reads `md5:` with no value as "no hash yet" (and lower-cases md5).
    if value == "":
        return None
    return value.lower() if isinstance(value, str) else value


def _md5(value: str | None) -> str | None:
    if value is not None and not MD5.fullmatch(value):
        raise ValueError("is not an md5 (32 hexadecimal digits, `.dir` after a folder's)")
    return value


def _commit(value: str) -> str:
    if not COMMIT.fullmatch(value):
        raise ValueError("is not a full 40-hex commit id")
    return value


Md5 = Annotated[str | None, BeforeValidator(_empty_is_none), AfterValidator(_md5)]
Checksum = Annotated[str | None, BeforeValidator(lambda v: None if v == "" else v)]
Count = Annotated[int, Field(ge=0)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class CloudMeta(_Model):
    """Per-remote metadata of a cloud-versioned file (`cloud: {remote: {...}}`)."""

    etag: Checksum = None
    md5: Md5 = None
    checksum: Checksum = None
    size: Count | None = None
    nfiles: Count | None = None
    isexec: bool | None = None
    version_id: str | None = None


class DirFile(CloudMeta):
    """One entry of `files:` for a cloud-versioned folder output."""

    relpath: str
    cloud: dict[str, CloudMeta] | None = None


class Artifact(CloudMeta):
    """What outputs and dependencies share: a path, its hash and its metadata."""

    path: str
    hash: str | None = None  # "md5" since DVC 3
    files: list[DirFile] | None = None
    cloud: dict[str, CloudMeta] | None = None
    fs_config: dict[str, Any] | None = None


class Out(Artifact):
    cache: bool = True
    push: bool = True
    persist: bool = False
    remote: str | None = None
    desc: str | None = None
    type: str | None = None
    labels: list[str] | None = None
    meta: Any = None
    metric: bool | dict[str, Any] | None = None  # DVC 0.x/1.x: `metric: true` or {type, xpath}
    plot: bool | dict[str, Any] | None = None

    @property
    def is_dir(self) -> bool:
        return bool(self.md5 and self.md5.endswith(".dir"))


class ImportSource(_Model):
    """`deps[].repo` of `dvc import`: where the data came from, pinned to a commit."""

    url: Annotated[str, Field(min_length=1)]
    rev: str | None = None
    rev_lock: Annotated[str, AfterValidator(_commit)] | None = None
    config: str | dict[str, Any] | None = None
    remote: str | dict[str, Any] | None = None


class Dep(Artifact):
    repo: ImportSource | None = None
    db: dict[str, Any] | None = None
    params: Any = None


class DvcFile(_Model):
    outs: list[Out] | None = None
    deps: list[Dep] | None = None
    md5: Md5 = None  # the stage's own hash (imports, old stage files)
    wdir: str | None = None
    frozen: bool | None = None
    locked: bool | None = None  # DVC 0.x spelling of `frozen`
    always_changed: bool | None = None
    desc: str | None = None
    meta: Any = None
    cmd: str | list[str] | None = None  # DVC 0.x/1.x single-stage files

    @property
    def is_import(self) -> bool:
        return any(d.repo is not None for d in self.deps or ())
