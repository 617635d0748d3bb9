"""A fast reader for the block-YAML subset DVC writes (`key: value`, `- ` lists, plain words).

A registry holds thousands of `.dvc` files, and libyaml spends most of its time building
nodes and marks nobody asks for. This reader accepts only text whose meaning is beyond
doubt: block mappings and sequences indented with spaces, plain scalars drawn from a narrow
alphabet, resolved by PyYAML's own implicit resolvers (so `on`, `0x1f` or `1:20` are never
guessed). Anything else (quotes, comments, flow style, anchors, tabs, CR, a repeated key,
non-ASCII) returns None and the full parser takes over, with its line numbers and errors.
"""

import re
from typing import Any, NamedTuple

# Plain scalars whose text is their value: no indicator may start them, no `: ` or ` #`
# may occur in them, and every character is one YAML never treats specially in a block.
_SAFE = re.compile(r"[A-Za-z0-9_./~](?:[A-Za-z0-9_./~+=@,()-]|:(?=\S)| (?=[^\s#]))*")
# indent, dash, then `key:` with an optional value, or (after a dash) a bare value
_LINE = re.compile(r"( *)(?:(-)(?: +|$))?(?:([A-Za-z_][A-Za-z0-9_]*):(?: +(.*))?|(.*))")
# A hash: at 20+ characters no resolver can take it (ints stop at 19 digits, floats need a
# digit after the dot, timestamps a dash).
_HASH = re.compile(r"[0-9a-fA-F]{20,}(?:\.dir)?")
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_MAX_INDENT = 200
_MAX_KEY = 1024  # YAML's bound on a plain (simple) key: past it, the full parser says why
_STR, _INT, _BOOL = ("tag:yaml.org,2002:" + t for t in ("str", "int", "bool"))


class _Unsure(Exception):
    """Not in the subset: let the full parser decide."""


class _Tok(NamedTuple):
    col: int  # where the line's content (after any `- `) starts
    dash_col: int  # where its `-` is; -1 for none
    key: str | None
    value: str | None  # None: nothing after `key:` (a block or null follows)


def load(text: str, resolvers: dict[Any, list[tuple[str, re.Pattern[str]]]]) -> Any:
    """The document's data, or raises _Unsure (use `try_load`)."""
    toks = []
    for line in text.split("\n"):
        if not line.strip(" "):
            continue
        m = _LINE.fullmatch(line)
        if m is None:
            raise _Unsure
        indent, dash, key, value, bare = m.groups()
        col = (m.start(3) if key else m.start(5)) if dash else len(indent)
        if col > _MAX_INDENT:
            raise _Unsure
        if key:
            if len(key) > _MAX_KEY or _scalar(key, resolvers) != key:
                raise _Unsure  # a key YAML reads as something else (`null:`, `~:`)
            toks.append(_Tok(col, len(indent) if dash else -1, key, value))
        elif dash and bare:
            toks.append(_Tok(col, len(indent), None, bare))
        else:
            raise _Unsure
    if not toks or (toks[0].col != 0 and toks[0].dash_col != 0):
        raise _Unsure
    value, end = _node(toks, 0, resolvers)
    if end != len(toks):
        raise _Unsure
    return value


def try_load(text: str, resolvers: dict[Any, list[tuple[str, re.Pattern[str]]]]) -> Any:
    try:
        return load(text, resolvers), True
    except _Unsure:
        return None, False


def _node(toks: list[_Tok], i: int, rs: Any) -> tuple[Any, int]:
    t = toks[i]
    return _seq(toks, i, t.dash_col, rs) if t.dash_col >= 0 else _map(toks, i, t.col, rs)


def _seq(toks: list[_Tok], i: int, col: int, rs: Any) -> tuple[list[Any], int]:
    items: list[Any] = []
    while i < len(toks) and toks[i].dash_col == col:
        t = toks[i]
        if t.key is None:
            items.append(_scalar(t.value or "", rs))
            i += 1
        else:
            item, i = _map(toks, i, t.col, rs)
            items.append(item)
    if i < len(toks) and toks[i].col > col and toks[i].dash_col != col:
        raise _Unsure
    return items, i


def _map(toks: list[_Tok], i: int, col: int, rs: Any) -> tuple[dict[str, Any], int]:
    out: dict[str, Any] = {}
    first = True
    while i < len(toks):
        t = toks[i]
        if not first and (t.col != col or t.dash_col >= 0):
            if t.col > col and t.dash_col < 0:
                raise _Unsure
            break
        first = False
        if t.key is None or t.key in out:
            raise _Unsure
        i += 1
        if t.value is not None:
            out[t.key] = _scalar(t.value, rs)
        elif i < len(toks) and toks[i].dash_col == col:  # an indentless `- ` list
            out[t.key], i = _seq(toks, i, col, rs)
        elif i < len(toks) and toks[i].col > col and toks[i].dash_col != col:
            nested = toks[i]
            if nested.dash_col >= 0 and nested.dash_col <= col:
                raise _Unsure
            out[t.key], i = _node(toks, i, rs)
        else:
            out[t.key] = None
    return out, i


_SEEN: dict[str, Any] = {}  # keys and common values repeat across thousands of files


def _scalar(text: str, resolvers: dict[Any, list[tuple[str, re.Pattern[str]]]]) -> Any:
    if text in _SEEN:
        return _SEEN[text]
    value = _resolve(text, resolvers)
    if len(text) < 24 and len(_SEEN) < 4096:  # not hashes: they never repeat
        _SEEN[text] = value
    return value


def _resolve(text: str, resolvers: dict[Any, list[tuple[str, re.Pattern[str]]]]) -> Any:
    if _HASH.fullmatch(text):
        return text
    if not _SAFE.fullmatch(text):
        raise _Unsure
    tag = _STR
    for candidate, regexp in resolvers.get(text[0], []) + resolvers.get(None, []):
        if regexp.match(text):
            tag = candidate
            break
    if tag == _STR:
        return text
    if tag == _INT and _DECIMAL.fullmatch(text):
        return int(text)
    if tag == _BOOL and text in ("true", "false"):
        return text == "true"
    raise _Unsure
