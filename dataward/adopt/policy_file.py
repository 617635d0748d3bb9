"""`dataward.toml` with every key at its default and the reason for it, from the policy's own
field descriptions (dataward/policy.py), so the file and the code cannot disagree."""

from __future__ import annotations

import json
import textwrap
from typing import Any, get_type_hints

from dataward.adopt.precommit_config import Kind
from dataward.policy import Policy, kebab

POLICY_FILE = "dataward.toml"
# Keys whose default is "unset": shown commented out with a value to start from.
_EXAMPLES = {"binary_max_kb": 100}


def render(kind: Kind) -> str:
    lines = [
        "# dataward's policy for this repository: every key at its default, with what it does.",
        "# Change what the lab needs; docs/configuration.md has examples. Keys are kebab-case;",
        "# an unknown key or a wrong value stops the hooks with the line to fix.",
        "",
        *_field(Policy, "repository", kind),
    ]
    hints = get_type_hints(Policy)
    for name in Policy._fields:
        section = hints[name]
        if not hasattr(section, "_fields"):
            continue
        lines += ["", f"[{kebab(name)}]"]
        for field in section._fields:
            lines += _field(section, field, section._field_defaults[field])
    return "\n".join(lines) + "\n"


def _field(cls: Any, name: str, value: Any) -> list[str]:
    described = get_type_hints(cls, include_extras=True)[name]
    about = " ".join(str(m) for m in getattr(described, "__metadata__", ()))
    lines = textwrap.wrap(about, 90, initial_indent="# ", subsequent_indent="# ")
    key = kebab(name)
    if value is None:
        return [*lines, f"# {key} = {_toml(_EXAMPLES[name])}"]
    return [*lines, f"{key} = {_toml(value)}"]


def _toml(value: Any) -> str:
    """The TOML of a default: strings as JSON strings (valid TOML basic strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    raise TypeError(f"no TOML for {value!r}")
