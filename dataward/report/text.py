"""`path:line: [check-id] message [rule-id]`, then the fix indented beneath it."""

from __future__ import annotations

from collections.abc import Sequence

from dataward.findings import Finding
from dataward.report.escape import terminal, terminal_text
from dataward.report.paths import display


def render(findings: Sequence[Finding]) -> str:
    lines: list[str] = []
    for f in findings:
        where = display(f.path) + (f":{f.line}" if f.line is not None else "")
        tag = f.check if f.severity == "error" else f"{f.check}, warning"
        rule = f" [{f.rule}]" if f.rule else ""
        lines.append(f"{where}: [{tag}] {terminal(f.message)}{rule}")
        for hint_line in f.hint.split("\n"):
            if hint_line:
                lines.append(f"    {terminal(hint_line)}")
    if findings:
        errors = sum(f.severity == "error" for f in findings)
        warnings = len(findings) - errors
        lines.append(f"dataward: {count(errors, 'error')}, {count(warnings, 'warning')}")
    # A name in a hint may carry a newline: the lines it makes must not read as commands.
    return terminal_text("\n".join(lines))


def count(n: int, noun: str) -> str:
    """`1 error`, `2 errors`."""
    return f"{n} {noun}" + ("" if n == 1 else "s")
