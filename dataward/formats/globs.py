"""Path patterns with .gitattributes rules, so a policy reads like the files users know.

- A pattern without '/' matches the file name at any depth (`*.pt`).
- A pattern with '/' is anchored at the repository root (`data/raw/*.csv`); a leading '/'
  is allowed and means the same.
- `*` and `?` stop at '/', `**` crosses directories (`assets/**`, `**/fixtures/*.bin`),
  `[...]` is a character class.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache


@lru_cache(maxsize=512)
def compile_pattern(pattern: str) -> re.Pattern[str]:
    anchored = "/" in pattern.rstrip("/")
    pat = pattern.lstrip("/")
    if pat.endswith("/"):  # a directory: everything beneath it
        pat += "**"
    body = _translate(pat)
    prefix = "" if anchored else "(?:.*/)?"
    return re.compile(f"{prefix}{body}", re.DOTALL)


def _translate(pat: str) -> str:
    out: list[str] = []
    i, n = 0, len(pat)
    while i < n:
        c = pat[i]
        if pat.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pat.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            end = pat.find("]", i + 2 if pat[i + 1 : i + 2] in ("!", "^") else i + 1)
            if end == -1:
                out.append(re.escape(c))
                i += 1
                continue
            inner = pat[i + 1 : end]
            if inner[:1] in ("!", "^"):
                inner = "^" + inner[1:]
            out.append("[" + inner.replace("\\", "\\\\") + "]")
            i = end + 1
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out)


def matches(pattern: str, path: str) -> bool:
    return compile_pattern(pattern).fullmatch(path) is not None


def last_match(patterns: Sequence[str], path: str) -> str | None:
    """The last pattern that matches, as in .gitattributes where later lines win."""
    for pattern in reversed(patterns):
        if matches(pattern, path):
            return pattern
    return None
