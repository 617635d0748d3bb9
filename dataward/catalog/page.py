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

Sizes are 1024-based, as DVC counts them (`dvc du`), and labelled as such: KiB, MiB, GiB.
Dates are the commit's date in the committer's own offset (the ISO string's date part), so the
page says the same thing in every time zone.
"""

from __future__ import annotations

import base64
import hashlib
import json
from importlib import resources

from dataward.catalog.model import Catalog

__all__ = ["render"]


def render(catalog: Catalog) -> str:
    """The catalog page, one HTML5 document."""
    csp = "; ".join([
        "default-src 'none'",
        f"script-src {_sha256(_SCRIPT)}",
        f"style-src {_sha256(_STYLE)}",
        "base-uri 'none'",
        "form-action 'none'",
    ])
    return "".join([
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n',
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n',
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
        '<meta name="generator" content="dataward">\n',
        "<title>Datasets</title>\n",
        f"<style>{_STYLE}</style>\n",
        "</head>\n<body>\n",
        _BODY,
        f'<script type="application/json" id="catalog-data">'
        f'{_script_json(catalog.model_dump(mode="json"))}</script>\n',
        f'<script type="application/json" id="pull-data">{_script_json(_pulls(catalog))}'
        '</script>\n',
        f"<script>{_SCRIPT}</script>\n",
        "</body>\n</html>\n",
    ])


def _pulls(catalog: Catalog) -> dict[str, list[str]]:
    """Dataset name -> what a pull of each version transfers, oldest first: the sentence
    `dataward show` and drift print, made by the one function that words it."""
    from dataward.catalog.pull_cost import describe

    return {d.name: [describe(*v.pull_cost()) for v in d.versions] for d in catalog.datasets}


def _script_json(data: object) -> str:
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


def _asset(name: str) -> str:
    """One of the page's parts, kept as its own file in static/ so editors and linters see
    HTML, CSS and JavaScript as what they are."""
    return (resources.files("dataward.catalog") / "static" / name).read_text("utf-8")


_BODY = _asset("body.html")
_STYLE = _asset("page.css")
_SCRIPT = _asset("page.js")
