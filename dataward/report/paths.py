"""Show a path on one terminal line, the way git does with core.quotePath=false."""

from __future__ import annotations

from dataward.report.escape import visible


def display(path: str) -> str:
    """The path as is, or quoted with its specials escaped (`"caf\\xe9.bin"`, `"a\\nb"`) when
    it holds control characters, undecodable bytes or quotes, or starts like a workflow
    command (`::`, `#`) or a quote would."""
    shown = visible(path)
    if shown == path and '"' not in path and "\\" not in path \
            and not path.lstrip().startswith((":", "#")):
        return path
    return '"' + visible(path.replace("\\", "\\\\").replace('"', '\\"')) + '"'
