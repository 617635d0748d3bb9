"""The policy: `[tool.dataward]` in pyproject.toml, or a dataward.toml at the repository root.

The policy is plain frozen dataclasses so that hooks read it without importing pydantic;
pydantic validates it (strictly, unknown keys refused) only when the file's bytes are new,
and the validated policy is kept in the state cache keyed by those bytes.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, ClassVar

from dataward.errors import ConfigError
from dataward.state import State

POLICY_FILES = ("dataward.toml", "pyproject.toml")


def _kebab(name: str) -> str:
    return name.replace("_", "-")


# Read by pydantic when it validates these (stdlib) dataclasses.
_PYDANTIC_CONFIG = {"extra": "forbid", "strict": True, "alias_generator": _kebab}


@dataclass(frozen=True)
class LargeBinariesPolicy:
    """`[tool.dataward.no-large-binaries]`; sizes are in KB of 1024 bytes, as pre-commit-hooks."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _PYDANTIC_CONFIG

    max_kb: int = 500
    # glob -> KB, overriding max-kb; later patterns win, as in .gitattributes
    limits: dict[str, int] = field(default_factory=dict)
    # Binaries (as git decides) above this size are refused; 0 refuses every binary.
    # None judges binaries by the size limits alone.
    binary_max_kb: int | None = None
    # Globs of binaries that binary-max-kb does not apply to (icons, figures in docs).
    binary_allow: list[str] = field(default_factory=list)

    def problems(self) -> list[tuple[list[str], str]]:
        """Range errors that types alone do not catch, as (key path, message)."""
        sizes: list[tuple[list[str], int | None]] = [
            (["max-kb"], self.max_kb), (["binary-max-kb"], self.binary_max_kb),
            *((["limits", pattern], kb) for pattern, kb in self.limits.items()),
        ]
        return [(loc, f"must be 0 or more KB, not {kb}")
                for loc, kb in sizes if kb is not None and kb < 0]


@dataclass(frozen=True)
class Policy:
    __pydantic_config__: ClassVar[dict[str, Any]] = _PYDANTIC_CONFIG

    no_large_binaries: LargeBinariesPolicy = field(default_factory=LargeBinariesPolicy)


@dataclass(frozen=True)
class LoadedPolicy:
    policy: Policy
    source: str | None  # the file it came from; None for the defaults


def load(root: str, explicit: str | None = None, state: State | None = None) -> LoadedPolicy:
    """The policy for the repository at `root`; exits 2 (ConfigError) when it is invalid."""
    path = explicit or next(
        (p for p in (os.path.join(root, f) for f in POLICY_FILES) if os.path.isfile(p)), None)
    if path is None:
        return LoadedPolicy(Policy(), None)
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the policy: {exc.strerror}",
                          "check the path given to --config") from None
    key = hashlib.sha256(os.path.basename(path).encode() + b"\0" + raw).hexdigest()
    state = state or State(None)
    cached = state.load("policy.pickle", key)
    if isinstance(cached, Policy):
        return LoadedPolicy(cached, path)
    policy = _parse(path, raw)
    state.save("policy.pickle", key, policy)
    return LoadedPolicy(policy, path)


def _parse(path: str, raw: bytes) -> Policy:
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib

    name = os.path.basename(path)
    text = raw.decode("utf-8", "replace")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = _line_of_toml_error(str(exc), text)
        raise ConfigError(f"{name}:{line}: not valid TOML: {exc}",
                          "fix the syntax on that line") from None
    in_pyproject = name == "pyproject.toml"
    if in_pyproject:
        data = data.get("tool", {}).get("dataward", {})
        if not isinstance(data, dict):
            raise ConfigError(f"{name}: [tool.dataward] must be a table",
                              "write it as a [tool.dataward] section")
    return _validate(name, text, data, "tool.dataward" if in_pyproject else "")


def _validate(name: str, text: str, data: dict[str, Any], prefix: str) -> Policy:
    import json

    from pydantic import TypeAdapter, ValidationError

    problems: list[tuple[list[str], str]] = []
    try:
        # JSON mode: strict about types (no "500" for 500) yet builds dataclasses from tables.
        policy = TypeAdapter(Policy).validate_json(json.dumps(data, default=str))
    except ValidationError as exc:
        problems = [([str(p) for p in err["loc"]], _explain(err))
                    for err in exc.errors(include_url=False)]
    else:
        problems = [(["no-large-binaries", *loc], msg)
                    for loc, msg in policy.no_large_binaries.problems()]
    if not problems:
        return policy
    lines = []
    for loc, msg in problems:
        line = _line_of_key(text, prefix, loc)
        lines.append(f"{name}:{line}: {'.'.join(loc)}: {msg}" if line
                     else f"{name}: {'.'.join(loc)}: {msg}")
    raise ConfigError("invalid policy\n" + "\n".join(lines),
                      "fix the value (docs/configuration.md lists every key)")


def _explain(err: Any) -> str:
    if err["type"] in ("extra_forbidden", "unexpected_keyword_argument"):
        return f"unknown key; known keys here: {', '.join(_known_keys(err['loc']))}"
    given = err.get("input")
    return str(err["msg"]) + ("" if isinstance(given, dict) else f" (got {given!r})")


def _known_keys(loc: tuple[Any, ...]) -> list[str]:
    cls: Any = Policy
    for part in loc[:-1]:
        match = [f for f in fields(cls) if _kebab(f.name) == part]
        if not match or not is_dataclass(match[0].default_factory):  # type: ignore[misc]
            break
        cls = match[0].default_factory  # type: ignore[misc]
    return [_kebab(f.name) for f in fields(cls)]


def _line_of_key(text: str, prefix: str, loc: list[str]) -> int | None:
    """The line that sets the offending key, found by reading the TOML as text."""
    section = ".".join(p for p in [prefix, *loc[:-1]] if p)
    key = loc[-1] if loc else ""
    table = ".".join(p for p in [prefix, *loc] if p)
    in_section = section == ""
    header = re.compile(r"^\s*\[+\s*([^\]]+?)\s*\]+")
    for number, line in enumerate(text.splitlines(), 1):
        m = header.match(line)
        if m:
            name = m.group(1).replace('"', "").replace(" ", "")
            if name == table:  # the offending key is a whole [table]
                return number
            in_section = name == section
            continue
        if in_section and re.match(rf"\s*[\"']?{re.escape(key)}[\"']?\s*=", line):
            return number
    # An inline table (limits = {"*.csv" = 1}) or a whole section: look one level up.
    return _line_of_key(text, prefix, loc[:-1]) if len(loc) > 1 else None


def _line_of_toml_error(message: str, text: str) -> int:
    m = re.search(r"line (\d+)", message)
    return int(m.group(1)) if m else max(1, len(text.splitlines()))
