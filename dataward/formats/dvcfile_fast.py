"""The `.dvc` file as `dvc add` and `dvc import` write it, checked without pydantic.

Nearly every `.dvc` file a hook sees is one DVC wrote: `outs:` entries of md5, size, nfiles,
hash and path (and the few options DVC writes), maybe `frozen:` or an import's `deps:`.
Importing pydantic and building the strict model (dvcfile_model) costs more than reading
thousands of such files, so `check` accepts exactly that shape, with the model's own rules
for each value, and returns a light object with the fields dvc-files reads (`outs`, `deps`,
`md5`, `cmd`). Anything else returns None, and the strict model decides and explains.
tests/test_dvcfile_fast.py checks that whatever this accepts, the model accepts with the
same fields.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from dataward.formats.dvcfile import COMMIT, MD5

_BIG = 1 << 63  # larger counts are left to the model (and are no real size anyway)


class Out(NamedTuple):
    path: str
    md5: str | None
    nfiles: int | None
    cache: bool

    @property
    def is_dir(self) -> bool:
        return bool(self.md5 and self.md5.endswith(".dir"))


class ImportSource(NamedTuple):
    url: str
    rev_lock: str | None


class Dep(NamedTuple):
    path: str
    repo: ImportSource | None


class DvcFile(NamedTuple):
    outs: list[Out]
    deps: list[Dep] | None
    md5: str | None
    cmd: None = None  # old stage files (with a command) are left to the model


class _No(Exception):
    """Not the shape DVC writes, or a value the model refuses: let the model decide."""


def _str(v: Any) -> Any:
    if type(v) is not str:
        raise _No
    return v


def _str_or_none(v: Any) -> Any:
    return v if v is None else _str(v)


def _bool(v: Any) -> Any:  # `cache: true`: a bool, never None (the model has no None there)
    if type(v) is not bool:
        raise _No
    return v


def _bool_or_none(v: Any) -> Any:
    return v if v is None else _bool(v)


def _count(v: Any) -> Any:  # a whole number >= 0 or None; a bool is no count (strict)
    if v is not None and (type(v) is not int or not 0 <= v < _BIG):
        raise _No
    return v


def _md5(v: Any) -> Any:  # DVC reads `md5:` empty as no hash, and lower-cases it
    if v is None or v == "":
        return None
    if type(v) is not str or not MD5.fullmatch(v.lower()):
        raise _No
    return v.lower()


def _labels(v: Any) -> Any:
    if v is not None and (type(v) is not list or any(type(x) is not str for x in v)):
        raise _No
    return v


def _any(v: Any) -> Any:
    return v


_ARTIFACT: dict[str, Callable[[Any], Any]] = {
    "path": _str, "md5": _md5, "size": _count, "nfiles": _count, "hash": _str_or_none,
    "isexec": _bool_or_none, "version_id": _str_or_none}
_OUT: dict[str, Callable[[Any], Any]] = {
    **_ARTIFACT, "cache": _bool, "push": _bool, "persist": _bool, "remote": _str_or_none,
    "desc": _str_or_none, "type": _str_or_none, "labels": _labels, "meta": _any}
_TOP: dict[str, Callable[[Any], Any]] = {
    "md5": _md5, "wdir": _str_or_none, "frozen": _bool_or_none, "locked": _bool_or_none,
    "always_changed": _bool_or_none, "desc": _str_or_none, "meta": _any}


def _fields(entry: Any, rules: dict[str, Callable[[Any], Any]]) -> dict[str, Any]:
    """The entry's values as the model reads them; every key must be one `rules` knows."""
    if type(entry) is not dict:
        raise _No
    out = {}
    for key, value in entry.items():
        rule = rules.get(key) if type(key) is str else None
        if rule is None:
            raise _No
        out[key] = rule(value)
    return out


def _out(entry: Any) -> Out:
    f = _fields(entry, _OUT)
    if "path" not in f:
        raise _No
    return Out(f["path"], f.get("md5"), f.get("nfiles"), f.get("cache", True))


def _dep(entry: Any) -> Dep:
    repo = entry.get("repo") if type(entry) is dict else None
    f = _fields({k: v for k, v in entry.items() if k != "repo"} if repo else entry, _ARTIFACT)
    if "path" not in f:
        raise _No
    return Dep(f["path"], None if repo is None else _import(repo))


def _import(repo: Any) -> ImportSource:
    f = _fields(repo, {"url": _str, "rev": _str_or_none, "rev_lock": _str_or_none})
    url, lock = f.get("url"), f.get("rev_lock")
    if not url or (lock is not None and not COMMIT.fullmatch(lock)):
        raise _No
    return ImportSource(url, lock)


def check(data: Any) -> DvcFile | None:
    """The file's fields when it has the shape DVC writes and every value is one the strict
    model accepts; None otherwise (then ask the model, which says what is wrong)."""
    try:
        if type(data) is not dict or type(data.get("outs")) is not list:
            return None
        outs = [_out(o) for o in data["outs"]]
        deps = data.get("deps")
        if deps is not None:
            if type(deps) is not list:
                return None
            deps = [_dep(d) for d in deps]
        top = _fields({k: v for k, v in data.items() if k not in ("outs", "deps")}, _TOP)
        return DvcFile(outs, deps, top.get("md5"))
    except _No:
        return None
