"""The lab's drift dashboard marks an environment that stopped reporting: its column shows
what it held days ago, which must not read as today's state."""

from __future__ import annotations

import subprocess
from datetime import datetime, timezone

import pytest

from dataward.drift.model import DriftReport
from dataward.report.drift_text import dashboard
from tests.conftest import BIN
from tests.test_drift_fixes import entry, make_report

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=timezone.utc)


def reports() -> list[DriftReport]:
    fresh = make_report([entry("in_sync", "cats")]).model_copy(
        update={"env": "lab-server", "time": "2026-01-10T02:00:00Z"})
    old = make_report([entry("behind", "cats")]).model_copy(
        update={"env": "abci", "time": "2026-01-05T02:00:00Z"})
    return [fresh, old]


def test_an_environment_silent_for_days_is_marked_stale() -> None:
    board = dashboard(reports(), NOW)
    assert "| dataset | abci (stale) | lab-server |" in board
    assert "| abci | h | /data/sets | 2026-01-05T02:00:00Z (5 days old, **stale**) |" in board
    assert "| lab-server | h | /data/sets | 2026-01-10T02:00:00Z (10 h old) |" in board
    assert "**Stale**: no report for over 3 days from abci." in board


@pytest.mark.parametrize(("days", "stale"), [(3, True), (5.5, False), (6, False)])
def test_the_threshold_is_the_publishers(days: float, stale: bool) -> None:
    board = dashboard(reports(), NOW, stale_days=days)
    assert ("abci (stale)" in board) is stale
    assert "lab-server (stale)" not in board


def test_a_report_with_an_unreadable_time_is_never_fresh() -> None:
    odd = reports()[0].model_copy(update={"time": "yesterday"})
    assert "lab-server (stale)" in dashboard([odd], NOW)


@pytest.mark.parametrize("days", ["0", "-1", "nan"])
def test_a_threshold_that_is_no_number_of_days_is_refused(days: str) -> None:
    proc = subprocess.run([f"{BIN}/dataward", "drift", "publish", "report.json",
                           "--stale-days", days], capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert "a report is stale after a number of days above 0" in proc.stderr
    assert "--stale-days 3" in proc.stderr


def test_a_report_from_a_clock_ahead_is_stale_and_says_so() -> None:
    ahead = reports()[0].model_copy(update={"time": "2026-01-11T12:00:00Z"})  # a day ahead
    board = dashboard([ahead], NOW)
    assert "lab-server (stale)" in board
    assert "(in the future: a wrong clock, **stale**)" in board
    # Clocks a few minutes apart are not wrong.
    close = reports()[0].model_copy(update={"time": "2026-01-10T12:05:00Z"})
    assert "lab-server (stale)" not in dashboard([close], NOW)
