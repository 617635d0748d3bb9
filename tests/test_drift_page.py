"""The drift dashboard as a page (drift/index.html), opened from disk in headless Chromium:
the matrix, the stale column, each environment's history and fix commands, and names written
by whoever can make a folder shown as text, never run."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from dataward.drift.history import Held, Snapshot
from dataward.drift.model import DriftReport, Entry
from dataward.report.drift_page import render
from dataward.report.escape import visible
from tests.harness.browser import Chromium, Page
from tests.test_catalog_html import _Scripts
from tests.test_drift_fixes import COMMIT, entry, make_report

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=timezone.utc)
# Free text in a report: a dataset's name, the host, the root, the registry URL, the fix.
EVIL = "</script><img src=x onerror=alert(1)><b>x</b>&amp;\u2028\u202eevil"
EVIL_HOST = "<img src=x onerror=alert(2)>gpu\u202e01&amp;\u2028"
EVIL_FIX = "cd '/data/<b>x</b>' && dvc pull --force '</script><img src=x onerror=alert(3)>'"
SECRET_REGISTRY = "https://bob:ghp_SECRET@github.com/lab/<b>datasets</b>"


def report(env: str, time: str, entries: list[Entry], **update: Any) -> DriftReport:
    return make_report(entries).model_copy(update={"env": env, "time": time, **update})


def reports() -> list[DriftReport]:
    lab = report("lab-server", "2026-01-10T02:00:00Z", [
        entry("in_sync", "cats"),
        entry("behind", "dogs", fix="cd /data/sets && git pull && dvc pull dogs"),
        entry("modified", EVIL, fix=EVIL_FIX)],
        host=EVIL_HOST, root="/data/<i>sets</i>", registry=SECRET_REGISTRY)
    abci = report("abci", "2026-01-05T02:00:00Z", [entry("behind", "cats")])
    return [lab, abci]


def snap(time: str, **held: Held) -> Snapshot:
    return Snapshot(env="lab-server", time=time, registry_commit=COMMIT, datasets=held)


BEHIND, CURRENT = Held(status="behind", version=1), Held(status="in_sync", version=3)
HISTORY = {"lab-server": [snap("2026-01-01T02:00:00Z", cats=BEHIND, dogs=BEHIND),
                          snap("2026-01-03T02:00:00Z", cats=CURRENT, dogs=BEHIND),
                          snap("2026-01-05T02:00:00Z", cats=CURRENT, dogs=BEHIND)]}


def page_of(reps: list[DriftReport], history: dict[str, list[Snapshot]] | None = None) -> str:
    return render(reps, history or {}, now=NOW, stale_days=3)


def embedded(page: str) -> tuple[dict[str, Any], str]:
    """The page's data and its script, as the browser reads them."""
    parser = _Scripts()
    parser.feed(page)
    assert [attrs.get("type") for attrs, _ in parser.scripts] == ["application/json", None]
    return json.loads(parser.scripts[0][1]), parser.scripts[1][1]


# ---- without a browser ----------------------------------------------------------------------

def test_the_page_is_self_contained_and_nothing_can_close_its_script() -> None:
    page = page_of(reports(), HISTORY)
    data, script = embedded(page)
    assert page.count("<script") == 2 and page.count("</script") == 2
    assert "<img" not in page and "<b>" not in page and "<!--" not in page
    assert "ghp_SECRET" not in page and "bob" not in page  # the registry URL is masked
    assert "\u2028" not in page and "\u202e" not in page
    assert not re.search(r"\b(src|href)=[\"']|<link|@import|url\(|fetch\(|XMLHttpRequest",
                         page.replace(script, ""))
    assert "default-src 'none'" in page and "script-src 'sha256-" in page
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                 "Function(", "DOMParser", "createContextualFragment"):
        assert sink not in script
    assert [d["name"] for d in data["datasets"]] == [visible(EVIL), "cats", "dogs"]
    assert data["asOf"] == "2026-01-10 12:00 UTC"


@settings(max_examples=60, deadline=None)
@given(name=st.text(min_size=1, max_size=40), host=st.text(max_size=40))
def test_any_name_comes_back_from_the_page_as_written_out(name: str, host: str) -> None:
    rep = report("lab", "2026-01-09T00:00:00Z", [entry("behind", name, fix=name)], host=host)
    page = page_of([rep])
    data, _ = embedded(page)
    assert page.count("</script") == 2 and "<!--" not in page
    assert data["datasets"][0]["name"] == visible(name)
    assert data["environments"][0]["host"] == visible(host)
    assert data["environments"][0]["history"][0]["dataset"] == visible(name)


# ---- in Chromium ----------------------------------------------------------------------------

def opened(browser: Chromium, path: Path, html: str) -> Page:
    path.write_text(html, encoding="utf-8")
    tab = browser.new_page()
    # An alert the page's data managed to call is recorded, and Chromium reports its dialog.
    tab.send("Page.addScriptToEvaluateOnNewDocument", {
        "source": "window.__alerts = []; window.alert = (m) => window.__alerts.push(m);"})
    tab.open(path.as_uri())
    return tab


def dialogs(browser: Chromium) -> list[dict[str, Any]]:
    return [e for e in browser.events if e["method"] == "Page.javascriptDialogOpening"]


CELLS = """[...document.querySelectorAll(%s)].map((tr) =>
    [...tr.children].map((cell) => cell.innerText.trim()))"""


def test_the_dashboard_shows_the_matrix_history_and_fixes(browser: Chromium,
                                                          tmp_path: Path) -> None:
    tab = opened(browser, tmp_path / "index.html", page_of(reports(), HISTORY))
    try:
        head = tab.eval(CELLS % "'#matrix thead tr'")[0]
        assert head == ["Dataset", "Registry", "abci stale\n5 days old", "lab-server\n10 h old"]
        assert tab.eval(CELLS % "'#matrix tbody tr'") == [
            [visible(EVIL), "v3", "", "✏️ ~v3"],
            ["cats", "v3", "⏪ v1", "✅ v3"],
            ["dogs", "v3", "", "⏪ v1"]]
        # The stale column is marked in every row, the fresh one nowhere.
        assert tab.eval("[...document.querySelectorAll('#matrix tr')].map((tr) => "
                        "[...tr.children].map((c) => c.classList.contains('stale')))") == \
            [[False, False, True, False]] * 4
        assert "Stale: no report for over 3 days from abci." in tab.eval(
            "document.getElementById('stale-note').innerText")
        assert "as of 2026-01-10 12:00 UTC" in tab.eval("document.body.innerText")
        lab = tab.eval("document.getElementById('env-lab-server').innerText")
        assert "Reported\n2026-01-10 02:00 UTC (10 h old)" in lab
        assert "In sync\n0 of 3" in lab and f"Registry at\n{COMMIT[:12]}" in lab
        assert "Registry\nhttps://***@github.com/lab/<b>datasets</b>" in lab
        assert "2026-01-05 02:00 UTC (5 days old, stale)" in tab.eval(
            "document.getElementById('env-abci').innerText")
        history = {row[0]: row[1:] for row in tab.eval(CELLS % "'#env-lab-server tbody tr'")}
        assert history["cats"] == ["✅ v3", "✅ v3 since 2026-01-03 02:00 UTC\nfor 7 days",
                                   "2026-01-03 02:00 UTC: ⏪ v1 → ✅ v3"]
        assert history["dogs"] == ["⏪ v1", "⏪ v1 since 2026-01-01 02:00 UTC\nfor 9 days",
                                   "none seen"]
        # A first report: since then, nothing seen before it.
        assert tab.eval(CELLS % "'#env-abci tbody tr'") == [
            ["cats", "⏪ v1", "⏪ v1 since 2026-01-05 02:00 UTC\nfor 5 days", "none seen"]]
        fixes = tab.eval("document.querySelector('#env-lab-server pre.fixes').textContent")
        assert fixes == ("# dogs (behind)\ncd /data/sets && git pull && dvc pull dogs\n"
                         f"# {visible(EVIL)} (modified, discards the local changes)\n{EVIL_FIX}")
        assert tab.eval("document.querySelector('#env-abci pre')") is None  # nothing to fix
        # The hostile names, as literal text; nothing of them became an element or ran.
        assert tab.eval("document.querySelector('#matrix tbody th').textContent") == \
            "</script><img src=x onerror=alert(1)><b>x</b>&amp;\\u2028\\u202eevil"
        assert "Host\n<img src=x onerror=alert(2)>gpu\\u202e01&amp;\\u2028" in lab
        assert "Root\n/data/<i>sets</i>" in lab
        assert tab.eval("document.querySelectorAll('img, b, i, svg, iframe, object, embed')"
                        ".length") == 0
        assert tab.eval("document.scripts.length") == 2
        assert tab.eval("window.__alerts") == [] and dialogs(browser) == []
        assert tab.errors() == []
        assert tab.eval("window.__cspViolations") == [], "something tried to run or load"
    finally:
        tab.send("Page.close")


def test_no_report_yet_says_how_to_publish_one(browser: Chromium, tmp_path: Path) -> None:
    tab = opened(browser, tmp_path / "index.html", page_of([]))
    try:
        assert "No environment has published a drift report yet" in tab.eval(
            "document.getElementById('empty').innerText")
        assert tab.eval("document.querySelectorAll('#matrix tbody tr').length") == 0
        assert tab.errors() == [] and tab.eval("window.__cspViolations") == []
    finally:
        tab.send("Page.close")
