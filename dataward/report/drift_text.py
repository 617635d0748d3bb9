"""Drift reports for people: a scan's lines in a terminal, GitHub annotations, and the lab's
dashboard (drift/README.md: one datasets x environments matrix).

Names here are folder names on a machine and paths in the registry: anyone who can create a
folder chooses them, so each goes through dataward.report.escape for its channel."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

from dataward.drift.model import DriftReport, Entry, NotExpected, Pull, Status
from dataward.report.catalog_text import size
from dataward.report.escape import markdown as _md
from dataward.report.escape import terminal, terminal_text
from dataward.report.text import count

SYMBOLS = {"in_sync": "✅", "behind": "⏪", "modified": "✏️", "partial": "◐", "missing": "∅",
           "not_checked": "❓"}
NOT_EXPECTED = "—"  # outside the environment's --datasets: no drift, whatever is there


def describe(e: Entry) -> str:
    if e.status == "in_sync":
        return f"in sync (version {e.expected_version})"
    if e.status == "behind":
        return (f"behind: holds version {e.matched_version} of {e.expected_version} "
                f"({(e.matched_date or '')[:10]}), {count(e.versions_behind or 0, 'version')} "
                "behind" + (f"; {_pull(e.pull)}" if e.pull else ""))
    if e.status in ("modified", "partial") and e.changes is not None:
        c = e.changes
        if e.status == "partial":
            return (f"partial: {count(len(c.removed), 'file')} of "
                    f"version {e.nearest_version} missing ({_few(c.removed)})")
        return (f"modified: matches no version; against version {e.nearest_version}: "
                f"{len(c.added)} added, {len(c.removed)} removed, {len(c.modified)} changed "
                f"({_few(c.modified + c.added + c.removed)})")
    if e.status == "modified":
        return f"modified: matches no version ({e.reason})"
    if e.status == "missing":
        return "missing"
    return f"not checked: {e.reason}"


def _pull(pull: Pull) -> str:
    """What a pull of the current version transfers, worded as `dataward show` words it."""
    from dataward.catalog.pull_cost import PullCost, describe

    return describe(PullCost(pull.objects, pull.bytes, pull.usd), pull.usd_per_gb)


def _few(paths: Sequence[str], n: int = 3) -> str:
    return ", ".join(paths[:n]) + (f", ... {len(paths) - n} more" if len(paths) > n else "")


def text(report: DriftReport) -> str:
    """The report for a terminal or a log: every name shown, none able to start a line."""
    s = report.summary
    lines = [f"{terminal(report.env)} ({terminal(report.root)}) against "
             f"{terminal(report.registry or 'the registry')} at "
             f"{terminal(report.registry_commit[:12])}: " + (
                 f"{s.in_sync} of {s.expected_here} datasets in sync ({s.coverage:.0%})"
                 if s.expected_here else "nothing to check: the registry has no datasets "
                 "at this commit (exit 3: a scan that saw nothing must not pass)")
             + _selected(report)]
    names = {n: terminal(n) for n in [e.name for e in report.datasets]
             + [u.name for u in report.unregistered] + [n.name for n in report.not_expected]}
    width = max((len(names[n]) for n in [*(e.name for e in report.datasets),
                                         *(n.name for n in report.not_expected)]), default=0)
    for e in report.datasets:
        lines.append(f"  {SYMBOLS[e.status]} {names[e.name].ljust(width)}  "
                     f"{terminal(describe(e))}")
        fixing = fix_line(report, e)
        if fixing:
            lines.append(f"      {fixing}")
    lines += _not_expected(report.not_expected, names, width)
    for u in report.unregistered:
        if u.reason:
            lines.append(f"  + {names[u.name].ljust(width)}  unregistered, could not be "
                         f"read: {terminal(u.reason)}")
            continue
        copy = (f"; a copy of {terminal(u.copy_of.dataset)} version {u.copy_of.version}"
                if u.copy_of else "")
        lines.append(f"  + {names[u.name].ljust(width)}  unregistered: {size(u.size)} in "
                     f"{u.nfiles} files{copy}")
    return terminal_text("\n".join(lines))


def fix_line(report: DriftReport, e: Entry) -> str | None:
    """`fix: COMMAND` under a drifting entry (the command last, to paste), or why there is
    none; None when nothing is to fix."""
    from dataward.drift.fixes import unfixable

    if e.fix is not None:
        discards = " (discards the local changes)" if e.status == "modified" else ""
        return f"fix{discards}: {terminal(e.fix)}"
    why = unfixable(report, e)
    return f"no fix command: {terminal(why)}" if why else None


def _selected(report: DriftReport) -> str:
    if report.selection is None:
        return ""
    return (f"; {expected_here(report)} (--datasets "
            f"{terminal(','.join(report.selection))})")


def expected_here(report: DriftReport) -> str:
    """`2 of 15 datasets expected here`, or `all 15 datasets` without --datasets."""
    s = report.summary
    if report.selection is None:
        return f"all {count(s.registered, 'dataset')}"
    return f"{s.expected_here} of {count(s.registered, 'dataset')} expected here"


def _not_expected(others: Sequence[NotExpected], names: dict[str, str], width: int
                  ) -> list[str]:
    """One line per dataset that is there although not expected (someone may be using a stale
    copy), one line naming the rest."""
    lines = [f"  {NOT_EXPECTED} {names[n.name].ljust(width)}  not expected here, yet present "
             "(not checked)" for n in others if n.present]
    absent = [names[n.name] for n in others if not n.present]
    if absent:
        lines.append(f"  {NOT_EXPECTED} not expected here: {_few(absent, 10)}")
    return lines


def workflow_commands(report: DriftReport) -> str:
    from dataward.report.workflow import command

    out = []
    for e in report.datasets:
        if e.status != "in_sync":
            level = "error" if e.status == "not_checked" else "warning"
            fixing = fix_line(report, e)
            out.append(command(level, f"{e.name}: {describe(e)}"
                               + (f"\n{fixing}" if fixing else ""),
                               title=f"drift on {report.env}"))
    return "\n".join(out)


def cell(e: Entry | NotExpected | None) -> str:
    if e is None:
        return ""
    if isinstance(e, NotExpected):
        return NOT_EXPECTED
    return held_text(e.status, e.held_version)


def held_text(status: Status, version: int | None) -> str:
    """`✅ v3`, `✏️ ~v2` (the nearest version), `∅`: a dataset as one environment holds it."""
    if status in ("modified", "partial") and version is not None:
        return f"{SYMBOLS[status]} ~v{version}"
    return f"{SYMBOLS[status]} v{version}" if version else SYMBOLS[status]


STALE_DAYS = 3.0  # nightly scans: a report this old means an environment stopped reporting


def dashboard(reports: Sequence[DriftReport], now: datetime | None = None,
              stale_days: float = STALE_DAYS) -> str:
    """drift/README.md: every dataset of any report x every environment; an environment
    whose report is older than `stale_days` is marked stale (its cells may be long wrong)."""
    now = now or datetime.now(timezone.utc)
    stale = {r.env for r in reports if is_stale(r.time, now, stale_days)}
    reports = sorted(reports, key=lambda r: r.env)
    names, by_env, current = matrix(reports)
    lines = ["# Dataset drift", "",
             "Which version of each registry dataset every environment holds, from the drift "
             "reports the environments publish (`dataward drift publish`). Since when each "
             "holds what it holds: index.html beside this file (history/ holds the record).",
             "",
             "| dataset | " + " | ".join(_md(r.env) + (" (stale)" if r.env in stale else "")
                                         for r in reports) + " |",
             "|---|" + "---|" * len(reports)]
    for name in names:
        lines.append(f"| {_md(name)} (v{current[name]}) | "
                     + " | ".join(cell(envs.get(name)) for envs in by_env) + " |")
    if any(r.unregistered for r in reports):
        lines.append("| *not in the registry* | " + " | ".join(
            "<br>".join(_md(u.name) + (f" (= {_md(u.copy_of.dataset)} v{u.copy_of.version})"
                                       if u.copy_of else "") for u in r.unregistered)
            for r in reports) + " |")
    lines += ["", "| environment | host | root | reported | registry at | datasets | in sync |",
              "|---|---|---|---|---|---|---|"]
    for r in reports:
        lines.append(f"| {_md(r.env)} | {_md(r.host)} | {_md(r.root)} | {_md(r.time)} "
                     f"({age(r.time, now)}" + (", **stale**" if r.env in stale else "")
                     + ") | "
                     f"{_md(r.registry_commit[:12])} | {expected_here(r)} | {r.summary.in_sync} "
                     f"of {r.summary.expected_here} |")
    if stale:
        lines += ["", f"**Stale**: no report for over {stale_days:g} days from "
                  + ", ".join(_md(e) for e in sorted(stale)) + ". Is its scan still running "
                  "(the runner, the cron job)? Its column shows what it held then."]
    lines += _fixes(reports)
    lines += ["", "✅ in sync · ⏪ an older version · ✏️ matches no version (~ nearest) · "
              "◐ partly there · ∅ missing · ❓ could not be read · "
              f"{NOT_EXPECTED} not expected there (--datasets); vN is the version held. "
              f"Written {now.strftime('%Y-%m-%d %H:%M UTC')}."]
    return "\n".join(lines) + "\n"


def matrix(reports: Sequence[DriftReport]
           ) -> tuple[list[str], list[dict[str, Entry | NotExpected]], dict[str, int]]:
    """The dashboards' rows: every dataset any report names, sorted; per report (in the
    order given) its entry of each; and the registry's current version of each, from the
    newest report that names it."""
    by_env: list[dict[str, Entry | NotExpected]] = [
        {**{e.name: e for e in r.not_expected}, **{e.name: e for e in r.datasets}}
        for r in reports]
    current: dict[str, int] = {}
    for r in sorted(reports, key=lambda r: r.time):
        current.update({e.name: e.version for e in r.not_expected})
        current.update({e.name: e.expected_version for e in r.datasets})
    return sorted({name for envs in by_env for name in envs}), by_env, current


def _fixes(reports: Sequence[DriftReport]) -> list[str]:
    """Each environment's fix commands, as its scan wrote them, under the dataset's name."""
    from dataward.report.escape import markdown_block

    lines = []
    for r in reports:
        fixes = fix_block(r)
        if fixes:
            lines += ["", f"To fix **{_md(r.env)}** (paste on that machine):", "",
                      markdown_block(fixes)]
    return lines


def fix_block(r: DriftReport) -> str | None:
    """The environment's fix commands to paste: under each, the dataset's name and status
    as a shell comment."""
    fixes = [f"# {terminal(e.name)} ({e.status}"
             + (", discards the local changes)" if e.status == "modified" else ")")
             + f"\n{terminal(e.fix)}" for e in r.datasets if e.fix is not None]
    return "\n".join(fixes) or None


SKEW_S = 600  # a report this far ahead of the clock that reads it comes from a wrong clock


def is_future(stamp: str, now: datetime) -> bool:
    """A report time ahead of `now` by more than clocks disagree: its machine's clock is
    wrong, and it would otherwise stay the newest report and never turn stale."""
    then = parse_time(stamp)
    return then is not None and (then - now).total_seconds() > SKEW_S


def is_stale(stamp: str, now: datetime, days: float) -> bool:
    then = parse_time(stamp)
    if then is None or is_future(stamp, now):
        return True  # a report whose time cannot be read or believed cannot be called fresh
    return (now - then).total_seconds() > days * 86400


def parse_time(stamp: str) -> datetime | None:
    """A report time (ISO 8601 UTC, as scan writes it); None for any other text."""
    try:
        return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def age(stamp: str, now: datetime) -> str:
    then = parse_time(stamp)
    if then is None:
        return "?"
    if is_future(stamp, now):
        return "in the future: a wrong clock"
    minutes = int((now - then).total_seconds() // 60)
    if minutes < 60:
        return f"{max(minutes, 0)} min old"
    if minutes < 48 * 60:
        return f"{minutes // 60} h old"
    return f"{minutes // (24 * 60)} days old"
