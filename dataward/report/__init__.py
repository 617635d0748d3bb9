"""Render findings: text for people, json for tools, github workflow commands, sarif 2.1.0."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from dataward.models.findings import Finding
from dataward.report import jsonfmt, sarif, text, workflow

Renderer = Callable[[Sequence[Finding]], str]

FORMATS: dict[str, Renderer] = {
    "text": text.render,
    "json": jsonfmt.render,
    "github": workflow.render,
    "sarif": sarif.render,
}


def render(findings: Sequence[Finding], fmt: str) -> str:
    return FORMATS[fmt](sorted(findings, key=_order))


def _order(f: Finding) -> tuple[str, int, str, str]:
    return (f.path, f.line or 0, f.check, f.message)
