"""Outcomes of several checks as Markdown: the job summary, the sticky comment, check-run text.

One table of checks, one table of findings (each linked to its line at the checked commit).
GitHub renders table cells as inline Markdown with HTML: every value goes through
dataward.report.escape.markdown.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from dataward.findings import Finding, Outcome
from dataward.report.escape import markdown as _cell
from dataward.report.text import count

MAX_ROWS = 200  # GitHub caps bodies at 65,536 characters; the check run lists every finding

ICONS = {"error": "❌", "warning": "⚠️"}


def verdict(outcomes: Sequence[Outcome]) -> int:
    """The worst exit code wins (3 > 2 > 1 > 0)."""
    return max((o.exit_code for o in outcomes), default=0)


def headline(outcomes: Sequence[Outcome]) -> str:
    failed = [o for o in outcomes if o.error]
    findings = [f for o in outcomes for f in o.findings]
    errors = sum(f.severity == "error" for f in findings)
    warnings = len(findings) - errors
    parts = []
    if failed:
        parts.append(f"{count(len(failed), 'check')} could not run")
    if errors:
        parts.append(count(errors, "error"))
    if warnings:
        parts.append(count(warnings, "warning"))
    if not parts:
        return f"{count(len(outcomes), 'check')} passed"
    return ", ".join(parts)


def render(outcomes: Sequence[Outcome], title: str,
           link: Callable[[Finding], str] = lambda f: "", footer: str = "") -> str:
    icon = "✅" if verdict(outcomes) == 0 else "❌"
    lines = [f"### {icon} {title}: {headline(outcomes)}", "",
             "| check | result |", "|---|---|"]
    for o in outcomes:
        lines.append(f"| `{o.check}` | {_result(o)} |")  # our ids: plain words
    findings = sorted((f for o in outcomes for f in o.findings), key=_order)
    if findings:
        lines += ["", "| | rule | where | problem | fix |", "|---|---|---|---|---|"]
        for f in findings[:MAX_ROWS]:
            where = _cell(f.path + (f":{f.line}" if f.line else ""))
            url = _link(link, f)
            lines.append(f"| {ICONS[f.severity]} | {_rule(f)} | "
                         f"{f'[{where}]({url})' if url else where} | {_cell(f.message)} | "
                         f"{_cell(f.hint)} |")
        if len(findings) > MAX_ROWS:
            lines.append(f"\n... and {len(findings) - MAX_ROWS} more: see the annotations")
    if footer:  # our own Markdown (the run's link): not a user's value
        lines += ["", f"<sub>{footer}</sub>"]
    return "\n".join(lines) + "\n"


def _result(o: Outcome) -> str:
    if o.error:
        return f"🚫 could not check: {_cell(o.error)}" + (f" ({_cell(o.hint)})" if o.hint else "")
    errors = sum(f.severity == "error" for f in o.findings)
    warnings = len(o.findings) - errors
    if errors:
        return f"❌ {count(errors, 'error')}" + (f", {count(warnings, 'warning')}"
                                                 if warnings else "")
    if warnings:
        return f"⚠️ {count(warnings, 'warning')}"
    return "✅ passed"


def _rule(f: Finding) -> str:
    """The rule id, linked to what it means and how to fix it."""
    if not f.rule:
        return f"`{f.check}`"
    from dataward.rules import docs_url

    return f"[`{f.rule}`]({docs_url(f.rule)})"


def _link(link: Callable[[Finding], str], f: Finding) -> str:
    """The finding's URL, percent-encoded, or none: a name that is not UTF-8 has no URL."""
    try:
        url = link(f)
    except UnicodeEncodeError:
        return ""
    return url.replace("(", "%28").replace(")", "%29").replace(" ", "%20")


def _order(f: Finding) -> tuple[int, str, int, str]:
    return (f.severity != "error", f.path, f.line or 0, f.check)
