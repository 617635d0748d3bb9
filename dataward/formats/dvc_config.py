"""DVC config files without importing dvc: which options hold secrets, and DVC's remotes
and cache folder as DVC merges its four levels.

DVC merges system, global, repo (`.dvc/config`) and local (`.dvc/config.local`), later levels
overriding earlier ones key by key. The `dvc-pushed` gate reads which remote an output goes
to, where that remote is (its identity, to remember what it is known to hold), and where the
local cache keeps `.dir` manifests, before it decides whether dvc must be loaded at all;
anything this cannot tell goes to dvc. `dvc-config` and the DVC adapter share the secrets.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Any, NamedTuple

# Every option of DVC's config schema (dvc/config_schema.py) that holds a secret.
SECRET_KEYS = frozenset({
    "access_key_id", "secret_access_key", "session_token", "sse_customer_key",  # s3
    "account_key", "sas_token", "connection_string", "client_secret",  # azure
    "oss_key_id", "oss_key_secret", "gdrive_client_secret",
    "password", "passphrase", "token",  # ssh, http, webdav, webhdfs, studio
})
_SECRET_SHAPE = re.compile(r"(secret|password|passphrase|token|_key)$")
_NOT_SECRET = re.compile(r"^(ask_|exclude_)|_(command|path|file|id)$")


def is_secret(key: str) -> bool:
    return key in SECRET_KEYS or (bool(_SECRET_SHAPE.search(key))
                                  and not _NOT_SECRET.search(key))


LEVELS = ("system", "global", "repo", "local")


class DvcSettings(NamedTuple):
    default_remote: str | None
    remotes: dict[str, dict[str, str]]  # name -> options (url, endpointurl, ...)
    cache_dir: str  # absolute


def config_files(dvc_dir: str) -> dict[str, str]:
    """Each level's file, where DVC looks for it (dvc/dirs.py, via platformdirs)."""
    home = os.path.expanduser("~")
    if sys.platform == "win32":
        system = os.path.join(os.environ.get("PROGRAMDATA", r"C:\ProgramData"), "iterative", "dvc")
        user = os.path.join(os.environ.get("LOCALAPPDATA", home), "iterative", "dvc")
    elif sys.platform == "darwin":
        system = "/Library/Application Support/dvc"
        user = os.path.join(home, "Library", "Application Support", "dvc")
    else:
        xdg_dirs = os.environ.get("XDG_CONFIG_DIRS") or "/etc/xdg"
        system = os.path.join(xdg_dirs.split(os.pathsep)[0], "dvc")
        user = os.path.join(os.environ.get("XDG_CONFIG_HOME") or
                            os.path.join(home, ".config"), "dvc")
    return {
        "system": os.path.join(os.environ.get("DVC_SYSTEM_CONFIG_DIR") or system, "config"),
        "global": os.path.join(os.environ.get("DVC_GLOBAL_CONFIG_DIR") or user, "config"),
        "repo": os.path.join(dvc_dir, "config"),
        "local": os.path.join(dvc_dir, "config.local"),
    }


def load(dvc_dir: str) -> DvcSettings:
    """The merged settings; an unreadable level is skipped (dvc itself will then complain)."""
    core: dict[str, str] = {}
    remotes: dict[str, dict[str, str]] = {}
    cache_dir = os.path.join(dvc_dir, "cache")
    for level, path in config_files(dvc_dir).items():
        sections = _read(path)
        core.update(sections.get("core", {}))
        for name, options in sections.items():
            remote = _remote_name(name)
            if remote is not None:
                remotes.setdefault(remote, {}).update(options)
        folder = sections.get("cache", {}).get("dir")
        if folder:
            # Relative paths are relative to the file that names them, as in dvc/config.py.
            base = os.path.dirname(path) if level in ("repo", "local") else os.getcwd()
            cache_dir = os.path.normpath(os.path.join(base, os.path.expanduser(folder)))
    default = core.get("remote") or None
    return DvcSettings(default.lower() if default else None, remotes, cache_dir)


def identity(options: dict[str, str]) -> str:
    """What tells two remotes apart: where the objects are, and which server holds them."""
    return f"{options.get('url', '')}|{options.get('endpointurl', '')}"


MAX_CONFIG = 16 << 20  # DVC reads a config whole; no real one comes near this


def _read(path: str) -> dict[str, dict[str, str]]:
    """One level's sections; {} when it is missing, not a regular file (a FIFO must not hang
    a hook), larger than MAX_CONFIG or unreadable: dvc itself then says what is wrong."""
    from dataward.adapters.files import read_given

    try:
        return sections(read_given(path, MAX_CONFIG))
    except OSError:
        return {}


def sections(content: bytes) -> dict[str, dict[str, str]]:
    """A DVC config file's sections (lower-cased names and keys); {} when unreadable."""
    try:
        data = configobj_dict(content.decode("utf-8"))
    except (Unreadable, UnicodeDecodeError):
        return {}
    out: dict[str, dict[str, str]] = {}
    for name, section in data.items():
        if isinstance(section, dict):
            out[str(name).strip().lower()] = {str(k).lower(): _text(v)
                                              for k, v in section.items()}
    return out


class Unreadable(Exception):
    """configobj cannot read the config. Its own message quotes the line, which may hold a
    secret: only where (`line`, when it said) and whether a key or section came twice."""

    def __init__(self, line: int | None, duplicate: bool) -> None:
        super().__init__(f"unreadable at line {line}")
        self.line = line
        self.duplicate = duplicate


def configobj_dict(text: str) -> dict[str, Any]:
    """What configobj (DVC's reader) makes of a config, as nested dicts; Unreadable when it
    cannot read it. The plain form DVC writes is read here, without importing configobj (a
    sixth of a commit hook's time)."""
    plain = plain_dict(text)
    if plain is not None:
        return plain
    from configobj import ConfigObj, ConfigObjError

    try:
        return ConfigObj(text.splitlines(), interpolation=False).dict()  # type: ignore[no-any-return]
    except ConfigObjError as exc:
        errors = getattr(exc, "errors", None) or [exc]
        raise Unreadable(getattr(errors[0], "line_number", None),
                         "Duplicate" in str(errors[0])) from None


# The plain form: `[name]` or `['remote "name"']` headers, `key = value` lines with a value of
# no quotes, commas or `#` (configobj would read lists, quoted strings and comments there),
# comments and blank lines, ASCII only. Anything else is configobj's to read.
_PLAIN_HEADER = re.compile(r"\[\s*(?:'([^'\[\]#\s](?:[^'\[\]#]*[^'\[\]#\s])?)'"
                           r"|([^'\"\[\]#\s](?:[^'\"\[\]#]*[^'\"\[\]#\s])?))\s*\]")
_PLAIN_OPTION = re.compile(r"([A-Za-z0-9_.-]+)\s*=\s*([^'\",#\s](?:[^'\",#]*[^'\",#\s])?)?")


def plain_dict(text: str) -> dict[str, Any] | None:
    """configobj's reading of a config in the plain form; None for any other."""
    if not text.isascii():
        return None
    root: dict[str, Any] = {}
    current = root
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] == "#":
            continue
        if line[0] == "[":
            header = _PLAIN_HEADER.fullmatch(line)
            if header is None:
                return None
            name = header.group(1) or header.group(2)
            if name in root:  # configobj refuses a section twice
                return None
            current = root[name] = {}
            continue
        option = _PLAIN_OPTION.fullmatch(line)
        if option is None or option.group(1) in current:
            return None
        current[option.group(1)] = option.group(2) or ""
    return root


def remotes_of(content: bytes) -> tuple[str | None, dict[str, dict[str, str]]]:
    """The default remote's name and every remote's options, from one config file."""
    found = sections(content)
    remotes = {name: options for section, options in found.items()
               if (name := _remote_name(section)) is not None}
    default = found.get("core", {}).get("remote") or None
    return (default.lower() if default else None), remotes


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _remote_name(section: str) -> str | None:
    # `['remote "storage"']`; DVC compares remote names case-insensitively.
    if not section.startswith("remote "):
        return None
    name = section[len("remote "):].strip()
    return name.strip("\"'").lower() or None
