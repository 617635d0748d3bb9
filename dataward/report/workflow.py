"""GitHub Actions workflow commands (`::error file=...,line=...,title=...::message`).

Escaping follows the runner's rules: data escapes %, CR and LF; property values also
escape ':' and ','.
"""

from __future__ import annotations

from collections.abc import Sequence

from dataward.findings import Finding


def escape(s: str) -> str:
    """A workflow command's message: %, CR and LF escaped, so it stays one command."""
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(s: str) -> str:
    return escape(s).replace(":", "%3A").replace(",", "%2C")


def render(findings: Sequence[Finding]) -> str:
    lines = []
    for f in findings:
        props = [f"file={_prop(f.path)}"]
        if f.line is not None:
            props.append(f"line={f.line}")
        props.append(f"title={_prop(f'{f.check} {f.rule}' if f.rule else f.check)}")
        body = f.message + (f"\n{f.hint}" if f.hint else "")
        lines.append(f"::{f.severity} {','.join(props)}::{escape(body)}")
    return "\n".join(lines)
