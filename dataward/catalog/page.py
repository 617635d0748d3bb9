"""The catalog as one static HTML page a lab member opens from disk: no server, no network.

`render(catalog)` returns a self-contained HTML5 document: inline CSS and vanilla JavaScript,
the catalog embedded verbatim as JSON (`<script type="application/json">`, every `<`, `>` and
`&` written as a `\\u` escape, so no card can close the element). The script draws a searchable
table of datasets and, at `#dataset=<name>`, a shareable detail view: the card, the version
history and the exact `dvc import` / `dvc get` commands, and what a pull of each version transfers
and costs (worded in Python by dataward.catalog.pull_cost, embedded as a second JSON element).

Cards come from pull requests, so the page treats every string of the catalog as text:

- the script creates every element itself and puts strings in as text nodes (it never parses
  HTML: no `innerHTML`); card Markdown goes through a small renderer (headings, paragraphs, lists,
  block quotes, code, emphasis) whose links are kept only for http(s) URLs;
- a Content-Security-Policy allows the page's own script and style (by hash) and nothing else:
  no other script, no inline handler, no image, no request of any kind.

With drift reports (`catalog build --drift DIR`), the detail view also says which
environments hold which version of the dataset (dataward.drift.history.holdings), each with its
report's age as of the page's making.

`document`, `script_json` and `asset` are shared with the drift dashboard
(dataward.report.drift_page), which follows the same rules.

Sizes are 1024-based, as DVC counts them (`dvc du`), and labelled as such: KiB, MiB, GiB.
Dates are the commit's date in the committer's own offset (the ISO string's date part), so the
page says the same thing in every time zone.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from importlib import resources
from typing import TYPE_CHECKING

from dataward.catalog.model import Catalog

if TYPE_CHECKING:
    from dataward.drift.history import Holding, Snapshot
    from dataward.drift.model import DriftReport

__all__ = ["asset", "document", "on_branch", "render", "script_json"]


def render(catalog: Catalog, holdings: Mapping[str, Sequence[Holding]] | None = None, *,
           now: datetime | None = None) -> str:
    """The catalog page, one HTML5 document; with `holdings` (dataset name -> environments),
    the dataset view says which environment holds which version, ages as of `now`."""
    data: dict[str, object] = {"catalog-data": catalog.model_dump(mode="json"),
                               "pull-data": _pulls(catalog)}
    if holdings is not None:
        data["holding-data"] = _holdings(holdings, now or datetime.now(timezone.utc))
    return document("Datasets", _STYLE, _SCRIPT, _BODY, data)


def on_branch(catalog_json: bytes, reports: Sequence[DriftReport],
              history: Mapping[str, Sequence[Snapshot]], stale_days: float) -> bytes | None:
    """index.html of a publication branch that holds catalog.json and drift reports: the
    page with which environment holds which version. Whichever lands last, the catalog or
    a drift report, writes it, so the page never lags behind either. None when catalog.json
    is no catalog (the branch's page is then left as it is)."""
    from pydantic import ValidationError

    from dataward.drift.history import holdings

    try:
        catalog = Catalog.model_validate_json(catalog_json)
    except ValidationError:
        return None
    now = datetime.now(timezone.utc)
    return render(catalog, holdings(reports, history, now, stale_days), now=now).encode()


def document(title: str, style: str, script: str, body: str,
             data: Mapping[str, object]) -> str:
    """One self-contained HTML5 page: `body` (our own markup), each of `data` as a JSON
    element of that id, then `script`; a Content-Security-Policy that allows this script and
    this style (by hash) and nothing else."""
    csp = "; ".join([
        "default-src 'none'",
        f"script-src {_sha256(script)}",
        f"style-src {_sha256(style)}",
        "base-uri 'none'",
        "form-action 'none'",
    ])
    return "".join([
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n',
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n',
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
        '<meta name="generator" content="dataward">\n',
        f"<title>{title}</title>\n",
        f"<style>{style}</style>\n",
        "</head>\n<body>\n",
        body,
        *(f'<script type="application/json" id="{ident}">{script_json(value)}</script>\n'
          for ident, value in data.items()),
        f"<script>{script}</script>\n",
        "</body>\n</html>\n",
    ])


def _pulls(catalog: Catalog) -> dict[str, list[str]]:
    """Dataset name -> what a pull of each version transfers, oldest first: the sentence
    `dataward show` and drift print, made by the one function that words it."""
    from dataward.catalog.pull_cost import describe

    return {d.name: [describe(*v.pull_cost()) for v in d.versions] for d in catalog.datasets}


def _holdings(holdings: Mapping[str, Sequence[Holding]], now: datetime) -> dict[str, object]:
    """The holdings as the page shows them: times and ages worded here, as of `now` (the
    page is static), every free string with its controls shown."""
    from dataward.report.drift_page import held_for, when
    from dataward.report.drift_text import age
    from dataward.report.escape import visible

    return {"asOf": when(now), "datasets": {name: [{
        "env": visible(h.env), "status": h.status, "version": h.version,
        "time": when(h.time), "age": age(h.time, now),
        "since": when(h.since) if h.since else None,
        "sinceAge": held_for(h.since, now) if h.since else None, "stale": h.stale}
        for h in held] for name, held in holdings.items()}}


def script_json(data: object) -> str:
    """Data as JSON that cannot end its <script> element nor open a comment in it."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    # <, > and & occur only inside JSON strings, where \\u escapes mean the same characters.
    for char, escape in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    return text


def _sha256(source: str) -> str:
    digest = base64.b64encode(hashlib.sha256(source.encode()).digest()).decode()
    return f"'sha256-{digest}'"


def asset(name: str, package: str = "dataward.catalog") -> str:
    """One of a page's parts, kept as its own file in the package's static/ so editors and
    linters see HTML, CSS and JavaScript as what they are."""
    return (resources.files(package) / "static" / name).read_text("utf-8")


_BODY = asset("body.html")
_STYLE = asset("page.css")
# dom.js: the functions that make elements (h, fields), shared with the drift dashboard.
DOM_SCRIPT = asset("dom.js")
_SCRIPT = DOM_SCRIPT + asset("page.js")
