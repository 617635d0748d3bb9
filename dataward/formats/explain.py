"""Pydantic validation errors as one sentence per offending value, for findings.

Shared by every check that validates YAML a user wrote (.dvc files, card front matter): the
location is written as the user would (`outs[0].md5`), and a union that fails once per
member is reported once.
"""

from collections.abc import Sequence
from typing import Any

KINDS = {"string_type": "a string", "int_type": "a whole number", "bool_type": "true or false",
         "list_type": "a list", "dict_type": "a mapping", "model_type": "a mapping",
         "model_attributes_type": "a mapping", "none_required": "empty",
         "float_type": "a number"}


def explain(data: Any, errors: list[Any]) -> list[tuple[tuple[Any, ...], str]]:
    """(location, message) per offending value, in the order pydantic found them."""
    by_loc: dict[tuple[Any, ...], list[Any]] = {}
    for err in errors:
        loc = tuple(err["loc"]) if err["type"] == "missing" else real_loc(data, err["loc"])
        by_loc.setdefault(loc, []).append(err)
    # A value that matched one member of a union in shape (a list) but not inside: report
    # the inner problem only, not "must be a string" for the other member too.
    deeper = {loc[:n] for loc in by_loc for n in range(len(loc))}
    out = []
    for loc, errs in by_loc.items():
        if loc in deeper and all(len(e["loc"]) > len(loc) for e in errs):
            continue
        first = errs[0]
        if first["type"] == "missing":
            message = f"`{where(loc)}` is missing"
        elif first["type"] == "value_error":
            message = f"`{where(loc)}` {first['msg'].removeprefix('Value error, ')}"
            if not isinstance(first["input"], dict):
                message += f": {short(first['input'])}"
        elif first["type"] == "string_too_short":
            message = f"`{where(loc)}` is empty"
        elif first["type"] == "too_short":
            message = f"`{where(loc)}` is an empty list"
        elif first["type"] == "invalid_key":
            message = f"the key `{first['input']}` is not a name (keys are words)"
        elif first["type"] == "greater_than_equal":
            message = f"`{where(loc)}` is negative ({first['input']})"
        elif first["type"] == "extra_forbidden":
            message = f"`{where(loc)}` is not a key here"
        elif first["type"] == "literal_error":
            message = f"`{where(loc)}` is {short(first['input'])}; " \
                      f"{first['msg'].replace('Input should be', 'it must be')}"
        elif all(e["type"] in KINDS for e in errs):
            kinds = " or ".join(dict.fromkeys(KINDS[e["type"]] for e in errs))
            message = f"`{where(loc)}` must be {kinds}, not {type_name(first['input'])}" \
                      f" ({short(first['input'])})"
        else:
            message = f"`{where(loc)}`: {first['msg']}"
        out.append((loc, message))
    return out


def real_loc(data: Any, loc: Sequence[Any]) -> tuple[Any, ...]:
    """The part of a pydantic error location that exists in the data (drops union tags)."""
    real: list[Any] = []
    for part in loc:
        in_list = isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        if in_list or (isinstance(data, dict) and part in data):
            data = data[part]
            real.append(part)
        elif isinstance(part, str) and _is_tag(part):
            continue  # a union member's name (`list[str]`, `DatasetInfo`), not in the data
        else:
            break
    return tuple(real)


def _is_tag(part: str) -> bool:
    return "[" in part or part[:1].isupper() or part in ("str", "int", "bool", "float")


def where(loc: Sequence[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(document)"


def type_name(value: Any) -> str:
    return {dict: "mapping", list: "list", str: "string", int: "number", float: "decimal number",
            bool: "boolean", type(None): "empty value"}.get(type(value), type(value).__name__)


def short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
