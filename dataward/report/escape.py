"""Every name and value dataward prints passes through here: one function per channel.

Names come from users and from whoever can write a folder, a file name, a .dvc file or a card:
they may hold newlines, terminal escape sequences, `::` (a GitHub workflow command), Markdown
or HTML, and bytes that are not UTF-8 (surrogate-escaped by Python). Each channel has its own
rules; a reporter calls the function of the channel it writes to and nothing else.

- `terminal`: one value on a terminal line (text reports, stderr, `dataward ls`/`show`).
- `terminal_text`: a whole block for a terminal; no line of it reads as a workflow command.
- `workflow_data` / `workflow_property`: the message and the properties of a workflow command.
- `markdown`: inline Markdown (job summaries, comments, table cells); `markdown_block` fences.
- `html`: HTML text and attribute values.
- `to_json`: a JSON document (json, sarif, drift reports) that is valid UTF-8 and holds no raw
  terminal control character.
"""

from __future__ import annotations

import html as _html
import json
import re
import shlex
from typing import Any

# Shown visibly wherever they occur: C0 controls, DEL, C1 controls (0x9b is a one-byte CSI),
# line and paragraph separators, the bidirectional overrides ("Trojan Source") and surrogates
# (Python's stand-in for a byte of a file name that is not UTF-8).
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069"
                        "\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# GitHub's runner trims leading white space, then reads `::cmd ...::` (and the old `##[cmd]`).
_COMMAND_LINE = re.compile(r"^(\s*)(::|##\[)", re.MULTILINE)


def _visible(ch: str) -> str:
    code = ord(ch)
    if ch in _NAMED:
        return _NAMED[ch]
    if 0xDC80 <= code <= 0xDCFF:  # surrogateescape: the original byte
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, keep: str = "") -> str:
    """`text` with every invisible or control character written out (`\\x1b`, `\\n`,
    `\\xe9` for an undecodable byte); characters in `keep` stay as they are."""
    return _INVISIBLE.sub(lambda m: m.group() if m.group() in keep else _visible(m.group()),
                          text)


def terminal(value: str) -> str:
    """One value on one terminal line: nothing in it moves the cursor, colours, rings or
    starts a line."""
    return visible(str(value))


def terminal_text(text: str) -> str:
    """A block of lines for a terminal or a log: controls shown except newlines and tabs, and
    a line that GitHub Actions would run as a workflow command shows its first colon as
    `\\x3a`. Only the github reporter writes workflow commands."""
    return _COMMAND_LINE.sub(lambda m: m.group(1) + "\\x3a" + m.group(2)[1:]
                             if m.group(2) == "::" else m.group(1) + "\\x23#[",
                             visible(text, keep="\n\t"))


def workflow_data(value: str) -> str:
    """A workflow command's message (GitHub's rules: `%`, CR and LF escaped), with other
    controls shown, so it stays one command."""
    text = visible(value, keep="\r\n")
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def workflow_property(value: str) -> str:
    """A workflow command's property value (`file=`, `title=`): also `:` and `,`."""
    return workflow_data(value).replace(":", "%3A").replace(",", "%2C")


_MARKDOWN = {"\\": "\\\\", "|": "\\|", "`": "\\`", "[": "\\[", "]": "\\]", "<": "&lt;",
             ">": "&gt;", "&": "&amp;", "\n": "<br>"}
_MARKDOWN_SPECIAL = re.compile(r"[\\|`\[\]<>&\n]")


def markdown(value: str) -> str:
    """Inline Markdown (a table cell, a line of a summary): no column break, code span, link or
    HTML; a newline becomes `<br>`, other controls are shown."""
    text = visible(value, keep="\n")
    return _MARKDOWN_SPECIAL.sub(lambda m: _MARKDOWN[m.group()], text)


def markdown_block(text: str) -> str:
    """`text` verbatim in a fenced code block whose fence no line of it can close."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{terminal_text(text)}\n{fence}"


def html(value: str) -> str:
    """HTML text or a quoted attribute value; controls shown."""
    return _html.escape(visible(value, keep="\n\t"), quote=True)


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return _SURROGATE.sub(lambda m: _visible(m.group()), value)
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


_SURROGATE = re.compile("[\ud800-\udfff]")
# json.dumps escapes C0 itself; these it writes raw (ensure_ascii=False keeps names readable).
_RAW_IN_JSON = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def to_json(doc: Any, indent: int | None = 2) -> str:
    """`doc` as JSON: valid UTF-8 (an undecodable byte of a name shown as `\\xe9`), and no
    raw DEL, C1 or bidi control (written as `\\u` escapes, the same JSON value)."""
    text = json.dumps(_clean(doc), indent=indent, ensure_ascii=False)
    return _RAW_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def shell_word(path: str) -> str:
    """A path as one shell word in a hint to paste, that no command takes for an option
    (`-x.bin` is `./-x.bin`)."""
    return shlex.quote("./" + path if path.startswith("-") else path)
