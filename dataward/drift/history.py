"""What each environment held over time, in brief: one `Snapshot` per published report.

A full report names every file that differs and every fix; a year of nightly reports from ten
environments would be too much to read for a dashboard. A snapshot keeps only which version of
each dataset an environment held, so the dashboard can say since when it holds it ("v1 since
2026-11-02") and the catalog page which environments hold which version (`holdings`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from dataward.drift.model import ENV_NAME, DriftReport, Entry, Status

KEEP = 400  # snapshots kept per environment: over a year of nightly scans


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Held(_Model):
    """One dataset in one environment at one time."""

    status: Status
    version: int | None = Field(ge=1, description=(
        "The version held: the current one when in sync, the matched one when behind, the "
        "nearest one when modified or partial; null when missing or not checked."))


class Snapshot(_Model):
    """One published report, in brief."""

    schema_version: Literal[1] = 1
    env: str = Field(pattern=f"^{ENV_NAME}$")  # as DriftReport.env
    time: str = Field(description="The report's time, ISO 8601 UTC.")
    registry_commit: str = Field(pattern=r"^[0-9a-f]{40}$")
    datasets: dict[str, Held] = Field(description="The expected datasets, by name.")


class Holding(_Model):
    """For the catalog page: which version of a dataset one environment holds."""

    env: str
    status: Status
    version: int | None
    time: str = Field(description="The report's time.")
    since: str | None = Field(description="The first report of the run of reports that saw "
                                          "the same; null when unknown.")
    stale: bool = Field(description="The report is older than the dashboard's threshold.")


def held(e: Entry) -> Held:
    return Held(status=e.status, version=e.held_version)


def snapshot(report: DriftReport) -> Snapshot:
    return Snapshot(env=report.env, time=report.time, registry_commit=report.registry_commit,
                    datasets={e.name: held(e) for e in report.datasets})


def since(history: Sequence[Snapshot], dataset: str) -> str | None:
    """When the environment began holding what its latest snapshot says of `dataset`: the
    time of the oldest snapshot of the unbroken run that ends at the latest. A run that
    reaches the oldest kept snapshot began then or earlier; it is still given that time."""
    ordered = sorted(history, key=lambda s: s.time)
    if not ordered or dataset not in ordered[-1].datasets:
        return None
    last = ordered[-1].datasets[dataset]
    start = ordered[-1].time
    for snap in reversed(ordered[:-1]):
        if snap.datasets.get(dataset) != last:
            break
        start = snap.time
    return start


def upto(history: Sequence[Snapshot], report: DriftReport) -> list[Snapshot]:
    """The history that ends with `report`: its snapshot last, none later. A snapshot later
    than the environment's newest report has no report behind it (a publisher stopped
    between its two writes, a stray object): it must not say what is held now."""
    return trimmed([*(s for s in history if s.time < report.time), snapshot(report)])


def holdings(reports: Iterable[DriftReport], history: Mapping[str, Sequence[Snapshot]],
             now: datetime | None = None, stale_days: float = 3.0
             ) -> dict[str, list[Holding]]:
    """Dataset name -> every environment's holding of it, by environment name."""
    from dataward.report.drift_text import is_stale

    now = now or datetime.now(timezone.utc)
    found: dict[str, list[Holding]] = {}
    for r in sorted(reports, key=lambda r: r.env):
        past = upto(history.get(r.env, ()), r)
        stale = is_stale(r.time, now, stale_days)
        for e in r.datasets:
            h = held(e)
            found.setdefault(e.name, []).append(Holding(
                env=r.env, status=h.status, version=h.version, time=r.time,
                since=since(past, e.name), stale=stale))
    return found


def trimmed(history: Sequence[Snapshot], keep: int = KEEP) -> list[Snapshot]:
    """The newest `keep` snapshots, oldest first; one per report time."""
    by_time = {s.time: s for s in history}
    return [by_time[t] for t in sorted(by_time)][-keep:]
