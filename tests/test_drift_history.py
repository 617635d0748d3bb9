"""What each environment held over time: the snapshots every publish keeps, and what the
dashboard and the catalog page say from them (since when a version is held, which environments
hold which version, which are stale)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from dataward.drift import collection
from dataward.drift.history import Held, Snapshot, holdings, since, snapshot, trimmed
from dataward.drift.model import DriftReport, Entry
from tests.test_drift_fixes import COMMIT, entry, make_report

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=timezone.utc)


def report(env: str, time: str, *entries: Entry) -> DriftReport:
    return make_report(list(entries)).model_copy(update={"env": env, "time": time})


def snap(time: str, version: int | None, status: str = "in_sync") -> Snapshot:
    return Snapshot(env="lab-server", time=time, registry_commit=COMMIT,
                    datasets={"cats": Held.model_validate({"status": status,
                                                           "version": version})})


def test_a_snapshot_keeps_the_version_each_status_means() -> None:
    got = snapshot(report("abci", "2026-01-02T00:00:00Z", entry("in_sync", "a"),
                          entry("behind", "b"), entry("modified", "c", nearest=2),
                          entry("missing", "d"), entry("not_checked", "e")))
    assert got.env == "abci" and got.time == "2026-01-02T00:00:00Z"
    assert {n: (h.status, h.version) for n, h in got.datasets.items()} == {
        "a": ("in_sync", 3), "b": ("behind", 1), "c": ("modified", 2), "d": ("missing", None),
        "e": ("not_checked", None)}


def test_since_is_the_start_of_the_last_unbroken_run() -> None:
    history = [snap("2026-01-01T00:00:00Z", 1), snap("2026-01-03T00:00:00Z", 2),
               snap("2026-01-02T00:00:00Z", 1), snap("2026-01-04T00:00:00Z", 2)]
    assert since(history, "cats") == "2026-01-03T00:00:00Z"  # v2 since the 3rd, in any order
    assert since(history, "dogs") is None
    assert since([], "cats") is None
    # A modified copy of v2 is not v2: the run ends there.
    edited = [*history, snap("2026-01-05T00:00:00Z", 2, "modified")]
    assert since(edited, "cats") == "2026-01-05T00:00:00Z"


def test_holdings_say_which_environment_holds_which_version_and_since_when() -> None:
    lab = report("lab-server", "2026-01-10T02:00:00Z", entry("behind", "cats"))
    abci = report("abci", "2026-01-05T02:00:00Z", entry("in_sync", "cats"))
    past = {"lab-server": [snap("2026-01-08T02:00:00Z", 1, "behind"),
                           snap("2026-01-09T02:00:00Z", 1, "behind")]}
    got = holdings([lab, abci], past, NOW)
    assert [(h.env, h.status, h.version, h.since, h.stale) for h in got["cats"]] == [
        ("abci", "in_sync", 3, "2026-01-05T02:00:00Z", True),
        ("lab-server", "behind", 1, "2026-01-08T02:00:00Z", False)]


def test_trimmed_keeps_the_newest_once_each() -> None:
    many = [snap(f"2026-01-01T00:00:{s:02d}Z", 1) for s in range(30)]
    kept = trimmed([*many, many[-1]], keep=10)
    assert [s.time for s in kept] == [s.time for s in many[-10:]]


@pytest.mark.parametrize("env", ["../x", "a/b", "", ".hidden", "a b"])
def test_a_snapshot_refuses_an_environment_name_that_is_no_file_name(env: str) -> None:
    with pytest.raises(ValidationError):
        Snapshot(env=env, time="t", registry_commit=COMMIT, datasets={})


@pytest.mark.parametrize(("name", "env"), [
    ("lab-server.json", "lab-server"), ("a.b_c-1.json", "a.b_c-1"), ("README.md", None),
    ("index.html", None), ("../x.json", None), ("a b.json", None), (".x.json", None),
    ("history/abci.json", None), ("sub/abci.json", None)])
def test_only_a_plain_env_name_is_a_report_of_the_folder(name: str, env: str | None) -> None:
    assert collection.report_env(name) == env
    assert collection.history_env("history/" + name) == env


def test_a_history_file_is_read_entry_by_entry() -> None:
    good = snap("2026-01-01T00:00:00Z", 1)
    other = good.model_copy(update={"env": "abci"})
    data = ("[" + good.model_dump_json() + ', {"env": 1}, ' + other.model_dump_json()
            + "]").encode()
    assert collection.parse_history(data, "lab-server") == [good]  # abci's is not ours
    assert collection.parse_history(b"not json", "lab-server") == []
    assert collection.parse_history(b'{"a": 1}', "lab-server") == []


@given(st.lists(st.sampled_from([1, 2, 3]), min_size=1, max_size=12))
def test_a_history_survives_its_file(versions: list[int]) -> None:
    history = [snap(f"2026-01-{d + 1:02d}T00:00:00Z", v) for d, v in enumerate(versions)]
    back = collection.parse_history(collection.history_bytes(history), "lab-server")
    assert back == history
    assert since(back, "cats") == since(history, "cats")


def test_a_report_named_for_another_environment_is_not_its_column() -> None:
    data = report("abci", "2026-01-01T00:00:00Z").model_dump_json().encode()
    assert collection.parse_report(data, "abci") is not None
    assert collection.parse_report(data, "lab-server") is None
    assert collection.parse_report(b"{}", "abci") is None
