"""GitHub Actions workflow commands (`::error file=...,line=...,title=...::message`): the only
lines dataward prints that start with `::`.

Escaping follows the runner's rules (dataward.report.escape): data escapes %, CR and LF;
property values also escape ':' and ','.
"""

from __future__ import annotations

from collections.abc import Sequence

from dataward.findings import Finding
from dataward.report.escape import workflow_data, workflow_property

escape = workflow_data  # the name other modules have imported


def command(level: str, message: str, **props: str | int | None) -> str:
    """One workflow command; every value escaped for its place."""
    given = ",".join(f"{k}={workflow_property(str(v))}" for k, v in props.items()
                     if v is not None)
    return f"::{level} {given}::{workflow_data(message)}" if given \
        else f"::{level}::{workflow_data(message)}"


def render(findings: Sequence[Finding]) -> str:
    lines = []
    for f in findings:
        body = f.message + (f"\n{f.hint}" if f.hint else "")
        lines.append(command(f.severity, body, file=f.path, line=f.line,
                             title=f"{f.check} {f.rule}" if f.rule else f.check))
    return "\n".join(lines)
