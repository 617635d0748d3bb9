"""The catalog page, opened from disk in headless Chromium and used as a lab member uses it."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from dataward.catalog.build import priced
from dataward.catalog.model import Card, Catalog, Dataset, Import, Maintainer, Version
from dataward.catalog.page import render
from dataward.drift import collection
from dataward.drift.history import Held, Holding, holdings, snapshot
from tests.harness.browser import BrowserError, Chromium, Page, find_chromium
from tests.harness.repo import GitRepo
from tests.test_catalog import dataward, dvcfile
from tests.test_drift_fixes import entry, make_report

REGISTRY = "https://github.com/lab/datasets"
GiB = 1024 ** 3


def sha(n: int) -> str:
    return hashlib.sha1(str(n).encode()).hexdigest()


def version(n: int, commit: int, size: int | None, nfiles: int | None, date: str,
            message: str, dvc_file: str) -> Version:
    return Version(version=n, md5=f"{commit:032x}" + (".dir" if nfiles is not None else ""),
                   size=size, nfiles=nfiles, commit=sha(commit), date=date,
                   author="Ada Lovelace", message=message, dvc_file=dvc_file)


def card(path: str, text: str, **fields: Any) -> Card:
    values: dict[str, Any] = {
        "path": path, "description": text.split("\n\n")[0], "text": text, "license": ["mit"],
        "maintainers": [], "language": [], "task_categories": [], "size_categories": [],
        "tags": [], "front_matter": {}}
    values.update(fields)
    return Card(**values)


def dataset(name: str, versions: list[Version], **fields: Any) -> Dataset:
    current = versions[-1]
    values: dict[str, Any] = {
        "name": name, "dvc_file": current.dvc_file, "path": name, "md5": current.md5,
        "hash": "md5", "size": current.size, "nfiles": current.nfiles,
        "is_dir": current.nfiles is not None, "remote": "storage",
        "remote_url": "s3://lab-datasets/dvc", "object_url": None, "imported": None,
        "card": None, "versions": versions}
    values.update(fields)
    return Dataset(**values)


CATS_TEXT = """\
Photos of cats and dogs, labelled by the lab.

# Collection

Taken with the lab's **own** cameras, see [the protocol](https://example.org/protocol).

- 6,000 cats
- 6,000 dogs

```
images/cats/0001.jpg
```
"""

# A card as a hostile pull request could write it: each payload would set window.__pwned or
# the title if it ran, or leave an element behind if it were parsed as HTML.
HOSTILE_TEXT = """\
Looks harmless <script>window.__pwned = 1; document.title = "pwned"</script>

<img src=x onerror="window.__pwned = 2"> and [click me](javascript:window.__pwned=3)

</script><script>window.__pwned = 4</script><!-- <svg onload="window.__pwned = 5">
"""
HOSTILE = "contrib/evil<b>name</b>"


def make_catalog(registry: str | None = REGISTRY) -> Catalog:
    cats = dataset(
        "images/cats",
        priced([version(1, 0xA1, 512 * 1024 ** 2, 4000, "2023-01-15T10:00:00+09:00",
                        "Add cats", "cats.dvc"),
                version(2, 0xA2, GiB, 8000, "2023-06-01T23:30:00+09:00", "More cats",
                        "cats.dvc"),
                version(3, 0xA3, GiB + GiB // 2, 12000, "2024-05-02T08:15:00+09:00",
                        "Dogs too", "images/cats.dvc")], 0.114),
        object_url="s3://lab-datasets/dvc/files/md5/00/00000000000000000000000000a3.dir",
        card=card("images/cats.card.md", CATS_TEXT, pretty_name="Cats and Dogs",
                  license=["cc-by-4.0"], tags=["vision", "classification"],
                  maintainers=[Maintainer(name="Ada Lovelace", email="ada@lab.example",
                                          github="ada")],
                  source="https://example.org/cats", access="lab", personal_data=False))
    weather = dataset(
        "tables/weather.csv",
        [version(1, 0xB1, 2048, None, "2022-11-30T16:00:00-05:00", "Weather table",
                 "tables/weather.csv.dvc")],
        hash="md5-dos2unix")
    mnist = dataset(
        "external/mnist",
        [version(1, 0xC1, 50 * 1024 ** 2, 70000, "2021-03-03T09:00:00+00:00", "Import MNIST",
                 "external/mnist.dvc"),
         version(2, 0xC2, 55 * 1024 ** 2, 70000, "2021-09-09T09:00:00+00:00", "Update MNIST",
                 "external/mnist.dvc")],
        remote=None, remote_url=None,
        imported=Import(url="https://github.com/other-lab/registry", path="mnist", rev="v2",
                        rev_lock=sha(0xDD)),
        card=card("external/mnist.card.md", "The MNIST digits.",
                  maintainers=[Maintainer(name="Grace Hopper", email="grace@lab.example")],
                  tags=["digits"]))
    evil = dataset(
        HOSTILE,
        [version(1, 0xE1, 10, None, "2024-01-01T00:00:00+00:00", "<img src=x onerror=alert(1)>",
                 "contrib/evil.dvc")],
        card=card("contrib/evil.card.md", HOSTILE_TEXT,
                  pretty_name='<img src=x onerror="window.__pwned = 6">Evil',
                  license=["other"], license_name="<b>Evil</b> License",
                  license_link="javascript:window.__pwned=7",
                  maintainers=[Maintainer(name="<script>window.__pwned = 8</script>",
                                          email='"><script>x</script>@evil.example',
                                          github="../../evil")],
                  source="javascript:window.__pwned=9",
                  tags=['<svg onload="window.__pwned = 10">']))
    return Catalog(schema_version=1, generator="dataward 0.1.0", registry=registry,
                   commit=sha(0xF00D), date="2024-05-03T12:00:00+09:00",
                   datasets=sorted([cats, weather, mnist, evil], key=lambda d: d.name))


# ---- without a browser ----------------------------------------------------------------------

class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._open: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self._open = dict(attrs)
            self.scripts.append((self._open, ""))

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._open = None


def test_page_embeds_the_catalog_and_nothing_can_close_its_script() -> None:
    catalog = make_catalog()
    page = render(catalog)
    parser = _Scripts()
    parser.feed(page)
    assert [attrs.get("type") for attrs, _ in parser.scripts] == ["application/json"] * 2 + [
        None]
    assert Catalog.model_validate_json(parser.scripts[0][1]) == catalog
    # what a pull of each version costs, worded as `dataward show` words it, hostile names too
    pulls = json.loads(parser.scripts[1][1])
    assert list(pulls) == [d.name for d in catalog.datasets]
    assert pulls["images/cats"][-1] == (
        "a pull transfers 12,001 objects, 1.6 GB: about 0.18 USD at 0.114 USD/GB")
    assert pulls["tables/weather.csv"] == ["a pull transfers 1 object, 2.0 kB"]  # no price
    assert page.count("<script") == 3 and page.count("</script") == 3
    assert "<!--" not in page and "<img" not in page
    # Nothing is fetched: the page refers to no other file, and its policy forbids any.
    markup = page.replace(parser.scripts[0][1], "")
    assert not re.search(r"\b(src|href)=[\"']|<link|@import|url\(|fetch\(|XMLHttpRequest", markup)
    assert "default-src 'none'" in page


def test_page_script_never_parses_html() -> None:
    script = _Scripts()
    script.feed(render(make_catalog()))
    code = script.scripts[2][1]
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                 "Function(", "DOMParser", "createContextualFragment"):
        assert sink not in code


# ---- in Chromium ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def catalog_page(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("site") / "index.html"
    path.write_text(render(make_catalog()), encoding="utf-8")
    return path.as_uri()


@pytest.fixture
def page(browser: Chromium, catalog_page: str) -> Iterator[Page]:
    tab = browser.new_page()
    tab.open(catalog_page)
    yield tab
    assert tab.errors() == []
    assert tab.eval("window.__cspViolations") == [], "something tried to run or load"
    tab.send("Page.close")


# Each visible row as a user reads it: the dataset's link, then every other cell.
ROWS = """[...document.querySelectorAll("#datasets tbody tr")].filter((tr) => !tr.hidden)
    .map((tr) => [tr.querySelector("a").textContent,
                  ...[...tr.children].map((cell) => cell.innerText.trim())])"""


def visible(page: Page, selector: str) -> bool:
    return bool(page.eval(f"(() => {{ const el = document.querySelector({json.dumps(selector)});"
                          " return !!el && el.checkVisibility(); })()"))


def test_every_dataset_is_a_row_with_its_version_and_size(page: Page) -> None:
    assert page.eval("document.querySelector('label[for=search]').textContent") == \
        "Search datasets"
    assert page.eval("document.getElementById('count').textContent") == "4 datasets"
    rows = {row[0]: row[1:] for row in page.eval(ROWS)}
    assert list(rows) == [HOSTILE, "external/mnist", "images/cats", "tables/weather.csv"]
    assert rows["images/cats"] == ["images/cats\nCats and Dogs", "v3", "1.50 GiB", "12,000",
                                   "cc-by-4.0", "Ada Lovelace", "2024-05-02"]
    assert rows["tables/weather.csv"] == ["tables/weather.csv no card", "v1", "2.00 KiB", "1",
                                          "", "", "2022-11-30"]
    assert rows["external/mnist"][:4] == ["external/mnist import", "v2", "55.0 MiB", "70,000"]
    assert rows[HOSTILE][1:3] == ["v1", "10 B"]


def test_search_filters_rows_as_the_user_types(page: Page) -> None:
    def names() -> list[str]:
        return [row[0] for row in page.eval(ROWS)]

    page.type("#search", "ca")        # images/cats; "classification" tag too
    assert names() == ["images/cats"]
    assert page.eval("document.getElementById('count').textContent") == "Showing 1 of 4 datasets"
    for query, expected in [("grace", ["external/mnist"]),          # maintainer
                            ("cc-by", ["images/cats"]),              # license
                            ("digits", ["external/mnist"]),          # tag
                            ("MIT", ["external/mnist"]),             # license, any case
                            ("t", ["contrib/evil<b>name</b>", "external/mnist", "images/cats",
                                   "tables/weather.csv"]),
                            ("weather t", ["tables/weather.csv"]),   # every word
                            ("nothing-like-this", [])]:
        page.clear("#search")
        page.type("#search", query)
        assert names() == expected, query
    assert page.eval("document.getElementById('count').textContent") == "Showing 0 of 4 datasets"
    assert visible(page, "#empty")
    page.clear("#search")
    assert len(names()) == 4
    assert page.eval("document.getElementById('count').textContent") == "4 datasets"


def test_detail_view_shows_history_and_the_exact_commands(page: Page) -> None:
    page.type("#search", "vision")
    page.click('a[href="#dataset=images/cats"]')
    page.wait_for("location.hash === '#dataset=images/cats' && !document.getElementById"
                  "('detail').hidden")
    assert not visible(page, "#list")
    assert page.eval("document.activeElement.tagName") == "H2"
    assert page.eval("document.querySelector('#detail h2').textContent") == "Cats and Dogs"
    text = page.eval("document.getElementById('detail').innerText")
    assert f"dvc import {REGISTRY} images/cats\n" in text
    assert f"dvc get {REGISTRY} images/cats\n" in text
    history = page.eval("""[...document.querySelectorAll('#detail table.history tbody tr')]
        .map((tr) => [...tr.children].map((cell) => cell.innerText.trim()))""")
    assert [row[0] for row in history] == ["v3 current", "v2", "v1"]
    assert history[0][1:] == ["2024-05-02", "Ada Lovelace", "Dogs too", f"{0xA3:032x}.dir",
                              "1.50 GiB", "12,000", sha(0xA3)[:7],
                              f"dvc import {REGISTRY} images/cats --rev {sha(0xA3)}"]
    assert history[2][3] == "Add cats\nin cats.dvc"       # renamed since
    assert history[2][5:7] == ["512 MiB", "4,000"]
    # What a pull of the current version transfers and costs, in the user's view and Storage.
    pull = "A pull transfers 12,001 objects, 1.6 GB: about 0.18 USD at 0.114 USD/GB."
    assert page.eval("document.getElementById('pull').innerText") == f"v3: {pull}"
    assert f"Pull\n{pull}" in text or f"Pull\t{pull}" in text, text
    # The card's Markdown, as elements; its first paragraph is the description, shown once.
    assert text.count("Photos of cats and dogs, labelled by the lab.") == 1
    assert page.eval("document.querySelector('#detail .card-text h4').textContent") == \
        "Collection"
    assert page.eval("[...document.querySelectorAll('#detail .card-text li')]"
                     ".map((li) => li.textContent)") == ["6,000 cats", "6,000 dogs"]
    assert page.eval("document.querySelector('#detail .card-text a').href") == \
        "https://example.org/protocol"
    assert page.eval("document.querySelector('a[href^=\"mailto:\"]').href") == \
        "mailto:ada@lab.example"
    # Back: the list as it was left, the search still applied.
    page.click("#detail a.back")
    page.wait_for("!document.getElementById('list').hidden")
    assert not visible(page, "#detail")
    assert page.eval("document.getElementById('search').value") == "vision"
    assert page.eval("document.getElementById('count').textContent") == "Showing 1 of 4 datasets"


def test_a_shared_link_opens_the_detail_of_an_import(page: Page, catalog_page: str) -> None:
    page.open(catalog_page + "#dataset=external/mnist")
    assert visible(page, "#detail") and not visible(page, "#list")
    text = page.eval("document.getElementById('detail').innerText")
    assert "Imported into the registry from https://github.com/other-lab/registry " \
           f"(path mnist, revision v2, locked at {sha(0xDD)[:7]})." in text
    assert f"dvc import {REGISTRY} external/mnist\n" in text
    assert f"dvc import https://github.com/other-lab/registry mnist --rev {sha(0xDD)}\n" in text
    page.open(catalog_page + "#dataset=no/such")
    assert "This catalog has no dataset named no/such." in page.eval(
        "document.getElementById('detail').innerText")


def test_a_hostile_card_is_shown_as_text_and_nothing_of_it_runs(page: Page,
                                                                catalog_page: str) -> None:
    page.click("#datasets tbody a")          # the hostile dataset sorts first
    page.wait_for("!document.getElementById('detail').hidden")
    assert page.eval("typeof window.__pwned") == "undefined"
    assert page.eval("document.title") == f"{HOSTILE} · Datasets"
    assert page.eval("document.querySelectorAll('img, svg, iframe, object, embed, b').length") \
        == 0
    assert page.eval("document.scripts.length") == 3  # two JSON, one script
    assert page.eval("[...document.querySelectorAll('a')].filter((a) => "
                     "!/^(https?:|mailto:|file:)/.test(a.href)).map((a) => a.href)") == []
    card = page.eval("document.querySelector('#detail .card-text').innerText")
    assert '<img src=x onerror="window.__pwned = 2"> and [click me](javascript:window.' \
           '__pwned=3)' in card
    assert '<!-- <svg onload="window.__pwned = 5">' in card
    text = page.eval("document.getElementById('detail').innerText")
    for shown in ('Looks harmless <script>window.__pwned = 1; document.title = "pwned"</script>',
                  '<img src=x onerror="window.__pwned = 6">Evil', "<b>Evil</b> License",
                  "<script>window.__pwned = 8</script>", "javascript:window.__pwned=9",
                  '<svg onload="window.__pwned = 10">', "<img src=x onerror=alert(1)>",
                  f"dvc import {REGISTRY} 'contrib/evil<b>name</b>'"):
        assert shown in text
    # Opened fresh from a shared link, too.
    page.open(catalog_page + "#dataset=" + HOSTILE.replace("<", "%3C").replace(">", "%3E"))
    assert page.eval("document.querySelector('#detail h2').textContent") == \
        '<img src=x onerror="window.__pwned = 6">Evil'
    assert page.eval("typeof window.__pwned") == "undefined"


def test_without_a_registry_url_commands_show_a_placeholder(
        browser: Chromium, tmp_path: Path) -> None:
    path = tmp_path / "catalog.html"
    path.write_text(render(make_catalog(registry=None)), encoding="utf-8")
    tab = browser.new_page()
    try:
        tab.open(path.as_uri() + "#dataset=tables/weather.csv")
        text = tab.eval("document.getElementById('detail').innerText")
        assert "dvc import <registry url> tables/weather.csv\n" in text
        assert "dvc get <registry url> tables/weather.csv\n" in text
        assert "This dataset has no card. Write one with dataward card new " \
               "tables/weather.csv.dvc." in text
        assert "md5-dos2unix" in text
        assert tab.errors() == []
    finally:
        tab.send("Page.close")


def test_chromium_missing_is_a_failure_that_says_how_to_install(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DATAWARD_CHROMIUM", "no-such-chromium")
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_chromium() is None
    with pytest.raises(BrowserError, match="apt-get install chromium"):
        Chromium(tmp_path)


def pipeline_catalog() -> Catalog:
    # A dvc.lock output without a card, versions named by tags; a card with no description.
    tagged = [version(1, 0x51, 10, 1, "2024-01-01T00:00:00+00:00", "v1", "dvc.lock"),
              version(2, 0x52, 20, 1, "2024-02-01T00:00:00+00:00", "v2", "dvc.lock"),
              version(3, 0x53, 30, 1, "2024-03-01T00:00:00+00:00", "v3", "dvc.lock")]
    tagged = [v.model_copy(update={"stage": "testset", "tags": tags})
              for v, tags in zip(tagged, [["v1.0.0", "v1.1.0"], [], ["it's-v3"]], strict=True)]
    bare = dataset("tables/bare.csv", [version(1, 0x61, 5, None, "2024-01-01T00:00:00+00:00",
                                               "bare", "tables/bare.csv.dvc")],
                   card=card("tables/bare.card.md", "# Only a heading\n", description=""))
    return Catalog(schema_version=1, generator="dataward 0.1.0", registry=REGISTRY,
                   commit=sha(0x53), date="2024-03-01T00:00:00+00:00", datasets=[
                       dataset("data/raw/testset", tagged, stage="testset"), bare])


def test_no_description_shows_nothing_and_tags_name_versions(browser: Chromium,
                                                             tmp_path: Path) -> None:
    path = tmp_path / "catalog.html"
    path.write_text(render(pipeline_catalog()), encoding="utf-8")
    tab = browser.new_page()
    try:
        for name in ("tables/bare.csv", "data/raw/testset"):
            tab.open(path.as_uri() + "#dataset=" + name)
            text = tab.eval("document.getElementById('detail').innerText")
            assert "null" not in text and "undefined" not in text
            assert tab.eval("[...document.getElementById('detail').childNodes]"
                            ".filter((n) => n.nodeType !== 1).map((n) => n.textContent)") == []
        assert "data/raw/testset · v3 (it's-v3) · last change 2024-03-01 · 30 B" in text
        assert "This dataset has no card: it is the output of a pipeline stage, testset in " \
               "dvc.lock." in text
        assert "Pipeline file\ndvc.lock\nStage\ntestset" in text
        history = tab.eval("""[...document.querySelectorAll('#detail table.history tbody tr')]
            .map((tr) => [tr.children[0].innerText.trim(), tr.lastChild.innerText.trim()])""")
        command = f"dvc import {REGISTRY} data/raw/testset --rev"
        assert history == [["v3 current\nit's-v3", f"{command} 'it'\"'\"'s-v3'"],
                           ["v2", f"{command} {sha(0x52)}"],
                           ["v1\nv1.0.0, v1.1.0", f"{command} v1.0.0"]]
        assert tab.errors() == []
    finally:
        tab.send("Page.close")


# ---- which environments hold which version (`catalog build --drift DIR`) --------------------

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=timezone.utc)
HOLDINGS = """[...document.querySelectorAll('#detail table.holdings tbody tr')]
    .map((tr) => [...tr.children].map((cell) => cell.innerText.trim()))"""


def drift_holdings() -> dict[str, list[Holding]]:
    lab = make_report([entry("in_sync", "images/cats")]).model_copy(
        update={"env": "lab-server", "time": "2026-01-10T02:00:00Z"})
    abci = make_report([entry("behind", "images/cats"), entry("modified", HOSTILE, nearest=1)]
                       ).model_copy(update={"env": "abci", "time": "2026-01-05T02:00:00Z"})
    past = [snapshot(lab).model_copy(update={"time": t, "datasets": {"images/cats": held}})
            for t, held in [("2026-01-01T02:00:00Z", Held(status="behind", version=2)),
                            ("2026-01-03T02:00:00Z", Held(status="in_sync", version=3))]]
    return holdings([lab, abci], {"lab-server": past}, NOW)


def test_holdings_are_embedded_only_when_given() -> None:
    parser = _Scripts()
    parser.feed(render(make_catalog(), drift_holdings(), now=NOW))
    assert [attrs.get("id") for attrs, _ in parser.scripts] == [
        "catalog-data", "pull-data", "holding-data", None]
    data = json.loads(parser.scripts[2][1])
    assert data["asOf"] == "2026-01-10 12:00 UTC"
    assert [h["env"] for h in data["datasets"]["images/cats"]] == ["abci", "lab-server"]
    assert 'id="holding-data"' not in render(make_catalog())


def test_the_dataset_view_says_which_environment_holds_which_version(
        browser: Chromium, tmp_path: Path, catalog_page: str) -> None:
    path = tmp_path / "catalog.html"
    path.write_text(render(make_catalog(), drift_holdings(), now=NOW), encoding="utf-8")
    tab = browser.new_page()
    try:
        tab.open(path.as_uri() + "#dataset=images/cats")
        assert tab.eval(HOLDINGS) == [
            ["abci stale", "v1 behind", "2026-01-05 02:00 UTC\nfor 5 days",
             "2026-01-05 02:00 UTC\n5 days old"],
            ["lab-server", "v3 current", "2026-01-03 02:00 UTC\nfor 7 days",
             "2026-01-10 02:00 UTC\n10 h old"]]
        assert "from its latest drift report, as of 2026-01-10 12:00 UTC." in tab.eval(
            "document.getElementById('detail').innerText")
        tab.open(path.as_uri() + "#dataset=" + HOSTILE.replace("<", "%3C").replace(">", "%3E"))
        assert tab.eval(HOLDINGS) == [["abci stale", "~v1 modified",
                                       "2026-01-05 02:00 UTC\nfor 5 days",
                                       "2026-01-05 02:00 UTC\n5 days old"]]
        assert tab.eval("document.querySelectorAll('img, b, svg').length") == 0
        tab.open(path.as_uri() + "#dataset=tables/weather.csv")
        assert tab.eval(HOLDINGS) == []
        assert "No environment's drift report names this dataset (as of 2026-01-10 12:00 " \
               "UTC)." in tab.eval("document.getElementById('detail').innerText")
        assert tab.errors() == [] and tab.eval("window.__cspViolations") == []
        # Without drift reports the view is as it always was: no such section.
        tab.open(catalog_page + "#dataset=images/cats")
        assert tab.eval("document.querySelectorAll('#detail table.holdings').length") == 0
        assert "Environments" not in tab.eval("[...document.querySelectorAll('#detail h3')]"
                                              ".map((h) => h.textContent)")
        assert tab.errors() == [] and tab.eval("window.__cspViolations") == []
    finally:
        tab.send("Page.close")


def test_catalog_build_shows_a_drift_folder_on_the_page(browser: Chromium,
                                                       tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "registry")
    for md5, message in (("a" * 32, "data v1"), ("b" * 32, "data v2")):
        repo.write("data.csv.dvc", dvcfile(md5, "data.csv"))
        repo.add("data.csv.dvc")
        repo.commit(message)
    drift = tmp_path / "drift"
    (drift / "history").mkdir(parents=True)
    lab = make_report([entry("in_sync", "data.csv").model_copy(update={"expected_version": 2})]
                      ).model_copy(update={"time": "2020-01-01T00:00:00Z"})
    (drift / "lab-server.json").write_text(lab.model_dump_json())
    (drift / "history" / "lab-server.json").write_bytes(collection.history_bytes(
        [snapshot(lab).model_copy(update={"time": "2019-12-30T00:00:00Z"})]))
    (drift / "abci.json").write_text("{}")   # no report: left out, never an error
    out = tmp_path / "site"
    build = ["catalog", "build", "-o", str(out / "catalog.json"), "--registry-url", REGISTRY]
    proc = dataward(repo.path, *build, "--html", str(out / "index.html"), "--drift", str(drift))
    assert proc.returncode == 0, proc.stderr
    assert "with the drift reports of 1 environment" in proc.stdout
    tab = browser.new_page()
    try:
        tab.open((out / "index.html").as_uri() + "#dataset=data.csv")
        rows = tab.eval(HOLDINGS)
        assert [row[:2] for row in rows] == [["lab-server stale", "v2 current"]]
        # held since the older snapshot of the same; ages as of the build
        assert rows[0][2].startswith("2019-12-30 00:00 UTC\nfor ")
        assert rows[0][3].startswith("2020-01-01 00:00 UTC\n") and "days old" in rows[0][3]
        assert tab.errors() == [] and tab.eval("window.__cspViolations") == []
    finally:
        tab.send("Page.close")
    # A folder that is not there: exit 2, naming it and how to get one; nothing written.
    missing = tmp_path / "no such drift"
    proc = dataward(repo.path, *build, "--html", str(tmp_path / "p.html"), "--drift",
                    str(missing))
    assert proc.returncode == 2
    assert f"--drift {missing}: No such file or directory" in proc.stderr
    assert f"dataward drift collect --remote NAME -o '{missing}'" in proc.stderr
    assert "dataward branch's drift/ folder" in proc.stderr
    assert not (tmp_path / "p.html").exists()
    proc = dataward(repo.path, *build, "--drift", str(drift))
    assert proc.returncode == 2 and "--drift needs --html" in proc.stderr
