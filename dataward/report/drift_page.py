"""The lab's drift dashboard as one static HTML page: drift/index.html beside drift/README.md.

`render(reports, history)` draws what the Markdown dashboard shows (datasets x environments, the
version each holds, stale environments marked, each environment's fix commands) and what a
table cannot: each environment's history, since when it holds what it holds and when that
last changed (dataward.drift.history).

The page follows the catalog page's rules (dataward.catalog.page), and shares its CSS, its
element-making function and its document: the data is embedded as JSON that nothing can close,
the script builds every element with text nodes, and a Content-Security-Policy allows that
script and style (by hash) and nothing else. Names are folder names on lab machines and paths
in the registry: every free string is worded here with its control characters shown
(dataward.report.escape.visible: a right-to-left override reads `\\u202e`, never reorders).

The page is static: ages are computed here, as of `now`, and the page says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone

from dataward.catalog.page import DOM_SCRIPT, asset, document
from dataward.drift.history import Held, Snapshot, since, upto
from dataward.drift.model import DriftReport, Entry, NotExpected
from dataward.report import drift_text
from dataward.report.escape import visible

__all__ = ["held_for", "render", "when"]

CHANGES_SHOWN = 5  # per dataset and environment, newest first: "when it last changed"
LEGEND = ("✅ in sync · ⏪ an older version · ✏️ matches no version (~ nearest) · "
          "◐ partly there · ∅ missing · ❓ could not be read · "
          f"{drift_text.NOT_EXPECTED} not expected there (--datasets); vN is the version held.")


def render(reports: Sequence[DriftReport], history: Mapping[str, Sequence[Snapshot]], *,
           now: datetime | None = None, stale_days: float = drift_text.STALE_DAYS) -> str:
    """drift/index.html: one HTML5 document."""
    from dataward import __version__

    now = now or datetime.now(timezone.utc)
    reports = sorted(reports, key=lambda r: r.env)
    data = {"generator": f"dataward {__version__}", "asOf": when(now),
            "staleDays": f"{stale_days:g}", "legend": LEGEND,
            "environments": [_environment(r, history.get(r.env, ()), now, stale_days)
                             for r in reports],
            "datasets": _matrix(reports)}
    return document("Dataset drift", _STYLE, _SCRIPT, _BODY, {"drift-data": data})


def when(stamp: datetime | str) -> str:
    """`2026-01-05 02:00 UTC`; a report time that is no ISO 8601 UTC time, as written."""
    then = stamp if isinstance(stamp, datetime) else drift_text.parse_time(stamp)
    if then is None:
        return visible(str(stamp))
    return then.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def held_for(stamp: str, now: datetime) -> str:
    """`for 5 days`: how long a holding has lasted."""
    old = drift_text.age(stamp, now)
    return f"for {old.removesuffix(' old')}" if old.endswith(" old") else old


def _matrix(reports: Sequence[DriftReport]) -> list[dict[str, object]]:
    """One row per dataset of any report: the registry's current version (from the newest
    report), then each environment's cell, as the Markdown dashboard writes it."""
    names, by_env, current = drift_text.matrix(reports)
    return [{"name": visible(name), "current": current[name],
             "cells": [_cell(envs.get(name)) for envs in by_env]} for name in names]


def _cell(e: Entry | NotExpected | None) -> dict[str, str] | None:
    if e is None:
        return None
    title = ("not expected here (--datasets)" if isinstance(e, NotExpected)
             else drift_text.describe(e))
    return {"text": drift_text.cell(e), "title": visible(title)}


def _environment(r: DriftReport, past: Sequence[Snapshot], now: datetime,
                 stale_days: float) -> dict[str, object]:
    from dataward.formats.urls import mask

    s = r.summary
    return {
        "env": r.env, "host": visible(r.host), "root": visible(r.root),
        "registry": visible(mask(r.registry)) if r.registry else None,
        "commit": r.registry_commit, "time": when(r.time), "age": drift_text.age(r.time, now),
        "stale": drift_text.is_stale(r.time, now, stale_days),
        "expected": drift_text.expected_here(r), "inSync": f"{s.in_sync} of {s.expected_here}",
        "unregistered": [visible(u.name) + (f" (= {visible(u.copy_of.dataset)} "
                                            f"v{u.copy_of.version})" if u.copy_of else "")
                         for u in r.unregistered],
        "history": _history(r, past, now),
        "fixes": drift_text.fix_block(r),
    }


def _history(r: DriftReport, past: Sequence[Snapshot], now: datetime
             ) -> list[dict[str, object]]:
    """Per expected dataset: what the environment holds, since when, and the times what it
    held changed (newest first), from its snapshots and this report."""
    snaps = upto(past, r)  # oldest first, this report last
    rows: list[dict[str, object]] = []
    for e in r.datasets:
        seen: list[tuple[str, Held, Held]] = []
        before: Held | None = None
        for snap in snaps:
            now_held = snap.datasets.get(e.name)
            if now_held is None:
                continue  # not expected then: no change of what was held
            if before is not None and now_held != before:
                seen.append((snap.time, before, now_held))
            before = now_held
        start = since(snaps, e.name)
        rows.append({
            "dataset": visible(e.name), "held": held_text(snaps[-1].datasets[e.name]),
            "since": when(start) if start else None,
            "sinceAge": held_for(start, now) if start else None,
            "changes": [{"time": when(t), "from": held_text(a), "to": held_text(b)}
                        for t, a, b in reversed(seen[-CHANGES_SHOWN:])],
            "earlier": max(len(seen) - CHANGES_SHOWN, 0)})
    return rows


def held_text(h: Held) -> str:
    """As a cell of the matrix: `✅ v3`, `✏️ ~v2`, `∅`."""
    return drift_text.held_text(h.status, h.version)


_BODY = asset("drift_body.html", "dataward.report")
# The catalog page's style, then the dashboard's additions: one style, one hash.
_STYLE = asset("page.css") + asset("drift.css", "dataward.report")
_SCRIPT = DOM_SCRIPT + asset("drift.js", "dataward.report")
