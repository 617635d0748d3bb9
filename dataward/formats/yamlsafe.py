"""Bounded, safe YAML for files users and merges can break (`.dvc` files, card front matter).

`load` never raises anything but `YamlProblem`, which names the line and the fix. It refuses
what a safe loader alone would let through: oversized input, merge-conflict markers, text
that is not UTF-8, duplicate keys (YAML keeps the last one silently; DVC refuses the file),
aliases that expand past a bound (an "alias bomb" is tiny on disk and huge when walked),
and nesting deep enough to overflow libyaml's recursive composer (a crash, not an error).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple

from dataward.formats.yamlfast import resolvers, try_load

if TYPE_CHECKING:  # imported when a file needs the full parser: a valid one never does
    import yaml

MAX_BYTES = 1 << 20
MAX_NODES = 10_000  # after alias expansion
MAX_DEPTH = 100
# libyaml composes recursively in C; below this bound on depth it cannot overflow.
_C_SAFE_DEPTH = 1000
_LONG_KEY = 1024  # YAML refuses a plain key longer than this
_CONFLICT = re.compile(rb"^(<{7}|={7}|>{7}|\|{7})(?: |\r?$)", re.MULTILINE)


class YamlProblem(Exception):
    def __init__(self, line: int | None, message: str, hint: str, kind: str = "yaml") -> None:
        super().__init__(message)
        self.line = line
        self.message = message
        self.hint = hint
        self.kind = kind  # "conflict" for merge-conflict markers (a rule of their own)


class Document(NamedTuple):
    data: Any
    node: yaml.Node | None  # keeps the line of every key; None when read by the fast path
    text: str = ""

    def line_of(self, loc: Sequence[str | int]) -> int | None:
        node = self.node
        if node is None and self.text:  # read fast: compose again, for a finding only
            import yaml

            loader = _loader(self.text, DVC_FILE)
            try:
                node = loader.get_single_node()
            except (yaml.YAMLError, YamlProblem):  # the fast path and libyaml disagree:
                return None  # a finding without its line beats no finding
            finally:
                loader.dispose()
        return line_of(node, loc)


class Kind(NamedTuple):
    """What the YAML is, for messages: who reads it, and how a user gets a good copy back."""

    name: str
    reader: str
    restore: str
    size_hint: str
    conflict_hint: str


DVC_FILE = Kind(
    "a DVC metadata file", "DVC",
    "restore it from git (`git checkout HEAD -- FILE`) or re-create it with `dvc add`",
    "a .dvc file is a few hundred bytes; was data saved under this name?",
    "or pick the data and re-run `dvc add`")
CARD = Kind(
    "a card's front matter", "the Hub",
    "restore it from git (`git checkout HEAD -- FILE`) or write it again",
    "keep the front matter to metadata; long text belongs in the Markdown body",
    "or merge the two versions by hand")


def _base() -> Any:
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def loader_class() -> Any:
    """A safe loader (libyaml's when built) that refuses duplicate keys and reads scalars as
    DVC does (yamlfast's resolvers: YAML 1.2 booleans, long numbers as strings)."""

    class Loader(_base()):  # type: ignore[misc]
        kind = DVC_FILE

        def construct_mapping(self, node: yaml.MappingNode,
                              deep: bool = False) -> dict[Any, Any]:
            mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
            if len(mapping) != len(node.value):
                _raise_duplicate(node, self.kind)
            return mapping

    Loader.yaml_implicit_resolvers = resolvers()
    return Loader


def _loader(text: str, kind: Kind) -> Any:
    loader = loader_class()(text)
    loader.kind = kind
    return loader


def load(content: bytes, kind: Kind = DVC_FILE) -> Document:
    if len(content) > MAX_BYTES:
        # Callers read at most MAX_BYTES + 1: the true size is unknown, only that it is over.
        raise YamlProblem(None, f"is over {_size(MAX_BYTES)}, too large to be {kind.name}",
                          kind.size_hint)
    conflict = _CONFLICT.search(content)
    if conflict:
        line = content.count(b"\n", 0, conflict.start()) + 1
        raise YamlProblem(line, "holds merge-conflict markers",
                          "resolve the conflict: keep one side (`git checkout --ours/--theirs "
                          f"FILE`), {kind.conflict_hint}, then remove the markers", "conflict")
    text = _decode(content, kind)
    if not text.strip():
        return Document(None, None)
    data, done = try_load(text)
    if done:
        return Document(data, None, text)
    _check_characters(text, kind)
    if _ODD_BREAKS.search(text):  # keep line numbers as editors count them
        text = _ODD_BREAKS.sub(" ", text)
    # An upper bound on nesting: flow brackets, plus per line its indent and inline indicators.
    if text.count("[") + text.count("{") + 3 * max(map(len, text.splitlines())) + 2 \
            > _C_SAFE_DEPTH:
        _check_depth(text, kind)
    import yaml

    loader = _loader(text, kind)
    try:
        node = loader.get_single_node()
        if node is None:  # comments only
            return Document(None, None)
        if "*" in text:  # an alias: the same node reached twice
            _check_expansion(node)
        return Document(loader.construct_document(node), node)
    except yaml.MarkedYAMLError as exc:
        if "maximum nesting depth" in str(exc.problem):
            raise _too_deep(exc.problem_mark, kind) from None
        raise _parse_problem(exc, text) from None
    except yaml.YAMLError as exc:
        raise _other_problem(exc, text) from None
    finally:
        loader.dispose()


# libyaml counts these as line breaks, editors and git do not: line numbers would drift.
# Read as spaces; they can only sit inside strings, whose exact text is never judged.
_ODD_BREAKS = re.compile("[\x85\u2028\u2029]")
_TAB_AFTER_KEY = re.compile(r"^[^#'\"\n]*:\t", re.MULTILINE)


def _check_characters(text: str, kind: Kind) -> None:
    """What libyaml accepts or misplaces but DVC (ruamel, YAML 1.2) refuses."""
    nul = text.find("\0")
    if nul >= 0:
        raise YamlProblem(text.count("\n", 0, nul) + 1, "holds binary data (a NUL byte)",
                          kind.restore)
    if "\t" in text:
        tab = _TAB_AFTER_KEY.search(text)
        if tab:
            raise YamlProblem(text.count("\n", 0, tab.start()) + 1, "has a tab after `key:`",
                              f"YAML separates with spaces ({kind.reader} refuses the tab); "
                              "use a space")


def _other_problem(exc: yaml.YAMLError, text: str) -> YamlProblem:
    position = getattr(exc, "position", None)  # a ReaderError: a character YAML forbids
    if isinstance(position, int):
        char = text[position] if position < len(text) else ""
        return YamlProblem(text.count("\n", 0, position) + 1,
                           f"holds the control character U+{ord(char or chr(0)):04X}",
                           "remove it (a terminal colour code or a paste gone wrong?)")
    return YamlProblem(None, "is not valid YAML", "fix the syntax")


def _decode(content: bytes, kind: Kind) -> str:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise YamlProblem(1, "is UTF-16 text", f"{kind.reader} reads UTF-8: save the file "
                          "as UTF-8 (a "
                          "PowerShell `>` writes UTF-16; use `Out-File -Encoding utf8`)")
    try:
        return content.decode("utf-8-sig")  # DVC reads UTF-8; a leading BOM is harmless
    except UnicodeDecodeError as exc:
        line = content.count(b"\n", 0, exc.start) + 1
        what = "binary data" if b"\0" in content[:8000] else "text that is not UTF-8"
        raise YamlProblem(line, f"holds {what} (byte {exc.start})",
                          f"{kind.name} is UTF-8 YAML; {kind.restore}") from None


def _parse_problem(exc: yaml.MarkedYAMLError, text: str) -> YamlProblem:
    mark = exc.problem_mark or exc.context_mark
    lines = len(text.splitlines())
    # An unclosed quote or bracket, or a key without its colon, is found where the scan
    # ends (often past the last line); the context mark is where it began.
    began = exc.context and exc.context.startswith(("while scanning a simple key",
                                                    "while scanning a quoted",
                                                    "while parsing a flow"))
    if exc.context_mark and (began or not mark or mark.line + 1 > lines):
        mark = exc.context_mark
    line = min(mark.line + 1, max(lines, 1)) if mark else None
    problem = exc.problem or exc.context or "syntax error"
    source = text.splitlines()[line - 1] if line and line <= len(text.splitlines()) else ""
    if "\t" in source[: len(source) - len(source.lstrip())] or "found character '\\t'" in problem:
        return YamlProblem(line, "is indented with a tab", "YAML indents with spaces only; "
                           "replace the tab with spaces")
    if "simple key" in (exc.context or "") and len(source) > _LONG_KEY:
        return YamlProblem(line, f"has a key over {_LONG_KEY} characters (YAML's limit)",
                           "keys are short field names; fix that line or restore the file")
    return YamlProblem(line, f"is not valid YAML: {problem}", "fix the syntax on that line")


def _check_depth(text: str, kind: Kind) -> None:
    """Walk parse events (libyaml's parser is iterative) before the recursive composer runs."""
    import yaml

    depth = 0
    loader = _base()(text)
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise _too_deep(event.start_mark, kind)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.MarkedYAMLError as exc:
        # PyYAML 6.0.3+ (libyaml 0.2.6's bound) stops deep nesting itself, before our count.
        if "maximum nesting depth" in str(exc.problem):
            raise _too_deep(exc.problem_mark, kind) from None
        raise _parse_problem(exc, text) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(None, f"is not valid YAML: {exc}", "fix the syntax") from None
    finally:
        loader.dispose()


def _too_deep(mark: Any, kind: Kind) -> YamlProblem:  # yaml.Mark, or libyaml's own
    return YamlProblem(mark.line + 1 if mark else None,
                       f"nests collections more than {MAX_DEPTH} deep",
                       f"{kind.name} is a few levels deep; {kind.restore}")


def _raise_duplicate(node: yaml.MappingNode, kind: Kind) -> None:
    import yaml

    keys: dict[Any, int] = {}
    for key, _ in node.value:
        if isinstance(key, yaml.ScalarNode):
            line = key.start_mark.line + 1
            if key.value in keys:
                raise YamlProblem(line, f"repeats the key {key.value!r} (first on line "
                                  f"{keys[key.value]})", "keep one of them: YAML silently "
                                  f"keeps the last, and {kind.reader} refuses the file")
            keys[key.value] = line


def _check_expansion(root: yaml.Node) -> None:
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            on_path.discard(id(node))
            sizes[id(node)] = 1 + sum(sizes[id(c)] for c in _children(node))
            if sizes[id(node)] > MAX_NODES:
                raise YamlProblem(node.start_mark.line + 1, "uses aliases that expand to more "
                                  f"than {MAX_NODES:,} values",
                                  "aliases (`*name`) are not needed here; write the values out")
            continue
        if id(node) in sizes:
            continue
        if id(node) in on_path:
            raise YamlProblem(node.start_mark.line + 1, "has an alias that refers to itself",
                              "aliases (`*name`) are not needed here; write the values out")
        on_path.add(id(node))
        stack.append((node, True))
        stack += ((c, False) for c in _children(node) if id(c) not in sizes)


def _children(node: yaml.Node) -> list[yaml.Node]:
    import yaml

    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def line_of(node: yaml.Node | None, loc: Sequence[str | int]) -> int | None:
    """The line of the value at `loc` (keys and list indexes), or of its nearest parent."""
    if node is None:
        return None
    import yaml

    line = node.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            match = next(((k, v) for k, v in node.value
                          if isinstance(k, yaml.ScalarNode) and k.value == part), None)
            if match is None:
                return line
            line, node = match[0].start_mark.line + 1, match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) \
                and 0 <= part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def _size(n: int) -> str:
    return f"{n / (1 << 20):.1f} MB" if n >= 1 << 20 else f"{n / 1024:.0f} KB"
