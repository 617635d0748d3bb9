"""A fast reader for the block-YAML subset DVC writes (`key: value`, `- ` lists, plain words).

A registry holds thousands of `.dvc` files, and libyaml spends most of its time building
nodes and marks nobody asks for. This reader accepts only text whose meaning is beyond
doubt: block mappings and sequences indented with spaces, plain scalars drawn from a narrow
alphabet, resolved by PyYAML's own implicit resolvers (so `on`, `0x1f` or `1:20` are never
guessed). Anything else (quotes, comments, flow style, anchors, tabs, CR, a repeated key,
non-ASCII) returns None and the full parser takes over, with its line numbers and errors.

The resolvers are a copy of PyYAML's (tests/test_yamlfast.py checks it against what PyYAML
builds), so that a valid file is read without importing yaml at all.
"""

import re
from functools import cache
from typing import Any, NamedTuple

# Plain scalars whose text is their value: no indicator may start them, no `: ` or ` #`
# may occur in them, and every character is one YAML never treats specially in a block
# (`<` and `>` only start a merge key or a folded scalar: inside a word they are text).
_SAFE = re.compile(r"[A-Za-z0-9_./~](?:[A-Za-z0-9_./~+=@,()<>-]|:(?=\S)| (?=[^\s#]))*")
# indent, dash, then `key:` with an optional value, or (after a dash) a bare value
_LINE = re.compile(r"( *)(?:(-)(?: +|$))?(?:([A-Za-z_][A-Za-z0-9_]*):(?: +(.*))?|(.*))")
# A hash: at 20+ characters no resolver can take it (ints stop at 19 digits, floats need a
# digit after the dot, timestamps a dash).
_HASH = re.compile(r"[0-9a-fA-F]{20,}(?:\.dir)?")
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_MAX_INDENT = 200
_MAX_KEY = 1024  # YAML's bound on a plain (simple) key: past it, the full parser says why
_STR, _INT, _BOOL = ("tag:yaml.org,2002:" + t for t in ("str", "int", "bool"))

# PyYAML's implicit resolvers (yaml/resolver.py, what SafeLoader and CSafeLoader use), in the
# order it adds them: (tag, pattern, compiled with re.X, first characters). The verbose
# patterns are written without PyYAML's line breaks, which re.X ignores.
PYYAML_RULES: tuple[tuple[str, str, bool, tuple[str, ...]], ...] = (
    ("tag:yaml.org,2002:bool", r"^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE"
     r"|on|On|ON|off|Off|OFF)$", True, tuple("yYnNtTfFoO")),
    ("tag:yaml.org,2002:float", r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?"
     r"|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*"
     r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", True, tuple("-+0123456789.")),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)"
     r"|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$", True,
     tuple("-+0123456789")),
    ("tag:yaml.org,2002:merge", r"^(?:<<)$", False, ("<",)),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", True, ("~", "n", "N", "")),
    ("tag:yaml.org,2002:timestamp", r"^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"
     r"|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?"
     r":[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$",
     True, tuple("0123456789")),
    ("tag:yaml.org,2002:value", r"^(?:=)$", False, ("=",)),
    ("tag:yaml.org,2002:yaml", r"^(?:!|&|\*)$", False, tuple("!&*")),
)
# DVC reads YAML 1.2 (ruamel): `yes`, `no`, `on`, `off` are words, booleans are these only.
_BOOL_12 = r"^(?:true|True|TRUE|false|False|FALSE)$"

Resolvers = dict[Any, list[tuple[str, re.Pattern[str]]]]


def _adjusted() -> dict[str, list[tuple[str, str, int]]]:
    """PyYAML's rules as DVC reads YAML: first character -> (tag, pattern, flags)."""
    out: dict[str, list[tuple[str, str, int]]] = {}
    for tag, pattern, verbose, firsts in PYYAML_RULES:
        if tag == _INT:  # hash-like scalars (a 32-digit md5, a 40-digit commit) stay strings
            pattern = r"(?!.{20})" + pattern
        for first in firsts:
            if tag == _BOOL:
                if first not in "tTfF":
                    out.setdefault(first, [])  # the key stays, as PyYAML's dict has it
                    continue
                pattern = _BOOL_12
            out.setdefault(first, []).append((tag, pattern, re.X if verbose else 0))
    return out


_RULES = _adjusted()  # strings only: a pattern is compiled when a value first needs it
_FIRSTS = frozenset(first for first, rules in _RULES.items() if rules)


def pyyaml_resolvers() -> Resolvers:
    """PyYAML's `yaml_implicit_resolvers` (SafeLoader's), built from the copy as PyYAML
    builds them: for tests, which compare the two."""
    out: Resolvers = {}
    for tag, pattern, verbose, firsts in PYYAML_RULES:
        for first in firsts:
            out.setdefault(first, []).append((tag, re.compile(pattern, re.X if verbose else 0)))
    return out


@cache
def resolvers() -> Resolvers:
    """The resolvers as DVC reads YAML, compiled: for the full parser (yamlsafe's loader)."""
    return {first: [(tag, _compiled(p, f)) for tag, p, f in rules]
            for first, rules in _RULES.items()}


@cache
def _compiled(pattern: str, flags: int) -> re.Pattern[str]:
    return re.compile(pattern, flags)


class _Unsure(Exception):
    """Not in the subset: let the full parser decide."""


class _Tok(NamedTuple):
    col: int  # where the line's content (after any `- `) starts
    dash_col: int  # where its `-` is; -1 for none
    key: str | None
    value: str | None  # None: nothing after `key:` (a block or null follows)


def load(text: str) -> Any:
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
            if len(key) > _MAX_KEY or _scalar(key) != key:
                raise _Unsure  # a key YAML reads as something else (`null:`, `~:`)
            toks.append(_Tok(col, len(indent) if dash else -1, key, value))
        elif dash and bare:
            toks.append(_Tok(col, len(indent), None, bare))
        else:
            raise _Unsure
    if not toks or (toks[0].col != 0 and toks[0].dash_col != 0):
        raise _Unsure
    value, end = _node(toks, 0)
    if end != len(toks):
        raise _Unsure
    return value


def try_load(text: str) -> tuple[Any, bool]:
    try:
        return load(text), True
    except _Unsure:
        return None, False


def _node(toks: list[_Tok], i: int) -> tuple[Any, int]:
    t = toks[i]
    return _seq(toks, i, t.dash_col) if t.dash_col >= 0 else _map(toks, i, t.col)


def _seq(toks: list[_Tok], i: int, col: int) -> tuple[list[Any], int]:
    items: list[Any] = []
    while i < len(toks) and toks[i].dash_col == col:
        t = toks[i]
        if t.key is None:
            items.append(_scalar(t.value or ""))
            i += 1
        else:
            item, i = _map(toks, i, t.col)
            items.append(item)
    if i < len(toks) and toks[i].col > col and toks[i].dash_col != col:
        raise _Unsure
    return items, i


def _map(toks: list[_Tok], i: int, col: int) -> tuple[dict[str, Any], int]:
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
            out[t.key] = _scalar(t.value)
        elif i < len(toks) and toks[i].dash_col == col:  # an indentless `- ` list
            out[t.key], i = _seq(toks, i, col)
        elif i < len(toks) and toks[i].col > col and toks[i].dash_col != col:
            nested = toks[i]
            if nested.dash_col >= 0 and nested.dash_col <= col:
                raise _Unsure
            out[t.key], i = _node(toks, i)
        else:
            out[t.key] = None
    return out, i


_SEEN: dict[str, Any] = {}  # keys and common values repeat across thousands of files


def _scalar(text: str) -> Any:
    if text in _SEEN:
        return _SEEN[text]
    value = _resolve(text)
    if len(text) < 24 and len(_SEEN) < 4096:  # not hashes: they never repeat
        _SEEN[text] = value
    return value


def _resolve(text: str) -> Any:
    if _HASH.fullmatch(text):
        return text
    if not _SAFE.fullmatch(text):
        raise _Unsure
    if text[0] not in _FIRSTS:  # no rule starts with this character: a word
        return text
    if _DECIMAL.fullmatch(text):  # under 20 digits (longer is a _HASH): an int, as PyYAML's
        return int(text)
    tag = _STR
    for candidate, pattern, flags in _RULES[text[0]]:
        if _compiled(pattern, flags).match(text):
            tag = candidate
            break
    if tag == _STR:
        return text
    if tag == _BOOL and text in ("true", "false"):
        return text == "true"
    raise _Unsure
