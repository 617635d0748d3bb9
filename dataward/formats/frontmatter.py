"""Markdown with YAML front matter, split as the Hub and static-site tools split it.

The front matter is the text between a first line `---` and the next line `---`. Line
numbers are kept: `yaml_line` is the file line where the YAML starts, so a YAML line n is
file line n + yaml_line - 1.
"""

import re
from typing import NamedTuple

_FENCE = re.compile(r"---[ \t]*\r?$")


class Split(NamedTuple):
    yaml: bytes
    yaml_line: int  # the file line of the YAML's first line
    body: str
    body_line: int  # the file line of the body's first line


class Unsplit(NamedTuple):
    line: int
    message: str
    hint: str


def split(content: bytes) -> Split | Unsplit:
    if content.startswith(b"\xef\xbb\xbf"):
        content = content[3:]
    lines = content.split(b"\n")
    if not _FENCE.match(lines[0].decode("utf-8", "replace")):
        return Unsplit(1, "has no front matter (the file must start with a line `---`)",
                       "put the metadata first, between two lines `---` "
                       "(`dataward card new FILE.dvc` writes a template)")
    for i, line in enumerate(lines[1:], 1):
        if _FENCE.match(line.decode("utf-8", "replace")):
            body = b"\n".join(lines[i + 1:]).decode("utf-8", "replace")
            return Split(b"\n".join(lines[1:i]), 2, body, i + 2)
    return Unsplit(1, "opens its front matter on line 1 and never closes it",
                   "end the metadata with a line `---` before the Markdown text")
