"""Render findings: text for people, json for tools, github workflow commands, sarif 2.1.0.

Renderers are imported on use, so a hook that prints text never loads json or sarif.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence

from dataward.findings import Finding

FORMATS = {"text": "text", "json": "jsonfmt", "github": "workflow", "sarif": "sarif"}


def render(findings: Sequence[Finding], fmt: str) -> str:
    renderer: Callable[[Sequence[Finding]], str] = importlib.import_module(
        f"dataward.report.{FORMATS[fmt]}").render
    return renderer(sorted(findings, key=_order))


def _order(f: Finding) -> tuple[str, int, str, str]:
    return (f.path, f.line or 0, f.check, f.message)
