"""The catalog page's parts (dataward/catalog/static/) linted like code.

`dataward.catalog.page` inlines body.html, page.css and page.js into one document whose
Content-Security-Policy allows that script and style and nothing else, and whose safety rests
on the script building every element itself, strings as text nodes. So: page.js must parse
(`node --check`), be strict, and never turn a string into HTML or code; body.html must close
every element it opens, in order, and hold nothing the policy would block; page.css must
balance its braces and request nothing. Each check is also run on a broken copy, in memory,
to show it can fail.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest

import dataward.catalog

STATIC = Path(dataward.catalog.__file__).parent / "static"
BODY = (STATIC / "body.html").read_text(encoding="utf-8")
CSS = (STATIC / "page.css").read_text(encoding="utf-8")
JS = (STATIC / "page.js").read_text(encoding="utf-8")

NODE_MISSING = ("node is needed to check the catalog page's script (`node --check`): "
                "`sudo apt-get install nodejs` (`make test` installs it)")


# -- page.js ------------------------------------------------------------------------------------

def node_check(source: str, folder: Path) -> None:
    """`node --check` on `source`: a syntax error fails with node's own message."""
    node = shutil.which("node")
    if node is None:
        pytest.fail(NODE_MISSING, pytrace=False)
    path = folder / "page.js"
    path.write_text(source, encoding="utf-8")
    proc = subprocess.run([node, "--check", str(path)], capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 0, f"node --check page.js:\n{proc.stdout}{proc.stderr}"


_STRICT = re.compile(r"(?:\s|//[^\n]*\n|/\*.*?\*/)*([\"'])use strict\1;", re.S)
# What would turn a catalog string into markup or code, or fetch something.
_SINKS = re.compile(r"\b(?:innerHTML|outerHTML|insertAdjacentHTML|document\.write(?:ln)?"
                    r"|createContextualFragment|DOMParser|srcdoc|eval\s*\(|Function\s*\("
                    r"|set(?:Timeout|Interval)\s*\(\s*[\"'`]|fetch\s*\(|XMLHttpRequest"
                    r"|WebSocket|EventSource|sendBeacon|import\s*\(|javascript:|debugger\b)")
# The script is inlined in <script>: any of these would end it or change how it is read.
_SCRIPT_BREAKERS = re.compile(r"</script|<script|<!--", re.I)


def js_problems(source: str) -> list[str]:
    problems = []
    if not _STRICT.match(source):
        problems.append('page.js does not start with "use strict";')
    for m in _SINKS.finditer(source):
        line = source.count("\n", 0, m.start()) + 1
        problems.append(f"page.js line {line}: {m.group(0)!r}")
    for m in _SCRIPT_BREAKERS.finditer(source):
        line = source.count("\n", 0, m.start()) + 1
        problems.append(f"page.js line {line}: {m.group(0)!r} inside the inlined <script>")
    return problems


# Ids the script looks up, and the ids page.py adds around body.html.
_LOOKUPS = re.compile(r"(?:\$|getElementById)\(\s*[\"']([^\"']+)[\"']\s*\)")
_ADDED_BY_PAGE_PY = {"catalog-data", "pull-data", "holding-data"}


def missing_ids(script: str, body: str) -> list[str]:
    tree = _Tree()
    tree.feed(body)
    tree.close()
    return sorted(set(_LOOKUPS.findall(script)) - set(tree.ids) - _ADDED_BY_PAGE_PY)


def test_page_js_parses(tmp_path: Path) -> None:
    node_check(JS, tmp_path)


def test_page_js_is_strict_and_never_parses_html_or_code() -> None:
    assert js_problems(JS) == []


def test_every_id_the_script_looks_up_is_in_the_body() -> None:
    assert _LOOKUPS.findall(JS), "the script looks up no element: the pattern is stale"
    assert missing_ids(JS, BODY) == []


# -- body.html ----------------------------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}
# Elements and attributes the policy (default-src 'none', scripts and styles by hash) blocks,
# or that would load something: the body has no use for any.
_BLOCKED_TAGS = {"script", "style", "link", "img", "iframe", "frame", "object", "embed", "base",
                 "form", "audio", "video", "source", "picture", "svg", "math"}
_BLOCKED_ATTRS = re.compile(r"on[a-z]+|style|src|srcset|href|action|formaction|data|poster")


class _Tree(HTMLParser):
    """Every element must be closed, in the order opened; void elements never are."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[tuple[str, int]] = []
        self.problems: list[str] = []
        self.blocked: list[str] = []
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        self._look(tag, attrs, line)
        if tag not in VOID:
            self.open.append((tag, line))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        self._look(tag, attrs, line)
        if tag not in VOID:  # HTML ignores the slash: <div/> opens a div
            self.problems.append(f"line {line}: <{tag}/> is not closed by its slash")

    def handle_endtag(self, tag: str) -> None:
        line = self.getpos()[0]
        if tag in VOID:
            self.problems.append(f"line {line}: </{tag}> closes a void element")
        elif not self.open:
            self.problems.append(f"line {line}: </{tag}> closes nothing")
        elif self.open[-1][0] != tag:
            opened, at = self.open[-1]
            if all(t != tag for t, _ in self.open):
                self.problems.append(f"line {line}: </{tag}> closes nothing open")
                return
            self.problems.append(f"line {line}: </{tag}> where <{opened}> of line {at} is open")
            while self.open.pop()[0] != tag:  # go on from the element it closes
                pass
        else:
            self.open.pop()

    def close(self) -> None:
        super().close()
        self.problems += [f"line {at}: <{tag}> is never closed" for tag, at in self.open]
        self.open = []
        doubled = sorted({i for i in self.ids if self.ids.count(i) > 1})
        self.problems += [f'id "{i}" is used twice' for i in doubled]

    def _look(self, tag: str, attrs: list[tuple[str, str | None]], line: int) -> None:
        if tag in _BLOCKED_TAGS:
            self.blocked.append(f"line {line}: <{tag}>")
        for name, value in attrs:
            if _BLOCKED_ATTRS.fullmatch(name):
                self.blocked.append(f"line {line}: <{tag} {name}=...>")
            if name == "id" and value:
                self.ids.append(value)


def html_problems(source: str) -> list[str]:
    tree = _Tree()
    tree.feed(source)
    tree.close()
    return tree.problems


def html_blocked(source: str) -> list[str]:
    tree = _Tree()
    tree.feed(source)
    tree.close()
    return tree.blocked


def test_body_html_closes_every_element_in_order() -> None:
    assert html_problems(BODY) == []


def test_body_html_holds_nothing_the_policy_blocks() -> None:
    assert html_blocked(BODY) == []
    assert "<!--" not in BODY  # page.py's own test: no comment anywhere in the page


# -- page.css -----------------------------------------------------------------------------------

_CSS_COMMENT_OR_STRING = re.compile(r"/\*.*?\*/|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'",
                                    re.S)
# Anything that would make a request, which the policy forbids (and CSS escapes could hide).
_CSS_REQUESTS = re.compile(r"@import|url\s*\(|image-set\s*\(|@font-face|\\", re.I)


def css_problems(source: str) -> list[str]:
    problems = []
    code = _CSS_COMMENT_OR_STRING.sub(" ", source)
    if "/*" in code or '"' in code or "'" in code:
        problems.append("an unterminated comment or string")
    depth = 0
    for m in re.finditer(r"[{}]", code):
        depth += 1 if m.group(0) == "{" else -1
        if depth < 0:
            line = code.count("\n", 0, m.start()) + 1
            problems.append(f"line {line}: a `}}` closes nothing")
            depth = 0
    if depth:
        problems.append(f"{depth} `{{` never closed")
    for m in _CSS_REQUESTS.finditer(source):
        line = source.count("\n", 0, m.start()) + 1
        problems.append(f"line {line}: {m.group(0)!r} (the page may request nothing)")
    if re.search(r"</style", source, re.I):
        problems.append("`</style` would end the inlined <style>")
    return problems


def test_page_css_balances_its_braces_and_requests_nothing() -> None:
    assert css_problems(CSS) == []


# -- each check fails on a broken copy ----------------------------------------------------------

def _edit(text: str, old: str, new: str) -> str:
    assert text.count(old) >= 1, f"{old!r} is no longer in the file: update the mutation"
    return text.replace(old, new, 1)


def test_node_check_fails_on_a_syntax_error(tmp_path: Path) -> None:
    with pytest.raises(AssertionError, match="SyntaxError"):
        node_check(JS + "\n})(\n", tmp_path)


def test_node_missing_is_a_failure_that_says_how_to_install(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(pytest.fail.Exception, match="apt-get install nodejs"):
        node_check(JS, tmp_path)


JS_MUTATIONS: dict[str, Callable[[str], str]] = {
    "not strict": lambda s: _edit(s, '"use strict";\n', ""),
    "innerHTML": lambda s: s + "\ndocument.body.innerHTML = location.hash;\n",
    "outerHTML": lambda s: s + "\nel.outerHTML = x;\n",
    "insertAdjacentHTML": lambda s: s + '\nel.insertAdjacentHTML("beforeend", x);\n',
    "eval": lambda s: s + "\neval(x);\n",
    "new Function": lambda s: s + '\nnew Function("return 1")();\n',
    "document.write": lambda s: s + "\ndocument.write(x);\n",
    "a string timer": lambda s: s + '\nsetTimeout("go()", 10);\n',
    "fetch": lambda s: s + '\nfetch("https://example.org/");\n',
    "</script>": lambda s: s + '\nconst end = "</script>";\n',
}


@pytest.mark.parametrize("mutation", sorted(JS_MUTATIONS))
def test_js_check_fails_on(mutation: str) -> None:
    assert js_problems(JS_MUTATIONS[mutation](JS)) != []


def test_id_check_fails_when_the_body_loses_an_id() -> None:
    assert missing_ids(JS, _edit(BODY, 'id="count"', 'id="counter"')) == ["count"]


HTML_MUTATIONS: dict[str, Callable[[str], str]] = {
    "closed out of order": lambda s: _edit(s, "</table>\n</div>", "</div>\n</table>"),
    "a close tag lost": lambda s: _edit(s, "</section>", ""),
    "a stray close tag": lambda s: _edit(s, "</main>", "</span></main>"),
    "a self-closed div": lambda s: _edit(s, "<div class=\"scroll\">",
                                         "<div class=\"scroll\"/><div>"),
    "a void element closed": lambda s: _edit(s, "</label>", "</label></input>"),
    "an id twice": lambda s: _edit(s, 'id="empty"', 'id="count"'),
}
BLOCKED_MUTATIONS: dict[str, Callable[[str], str]] = {
    "a script": lambda s: _edit(s, "</main>", "<script>alert(1)</script></main>"),
    "an inline handler": lambda s: _edit(s, '<input type="search"',
                                         '<input onfocus="go()" type="search"'),
    "a style attribute": lambda s: _edit(s, "<header>", '<header style="color: red">'),
    "an image": lambda s: _edit(s, "</header>", '<img alt="" src="logo.png"></header>'),
    "a link": lambda s: _edit(s, "</footer>", '<a href="https://example.org">x</a></footer>'),
}


@pytest.mark.parametrize("mutation", sorted(HTML_MUTATIONS))
def test_html_check_fails_on(mutation: str) -> None:
    assert html_problems(HTML_MUTATIONS[mutation](BODY)) != []


@pytest.mark.parametrize("mutation", sorted(BLOCKED_MUTATIONS))
def test_blocked_check_fails_on(mutation: str) -> None:
    assert html_blocked(BLOCKED_MUTATIONS[mutation](BODY)) != []


CSS_MUTATIONS: dict[str, Callable[[str], str]] = {
    "a brace lost": lambda s: _edit(s, "nowrap; }", "nowrap;"),
    "a brace too many": lambda s: _edit(s, "* { box-sizing: border-box; }",
                                        "* { box-sizing: border-box; } }"),
    "a brace in a comment only": lambda s: s + "\n/* } */ .x { color: red;\n",
    "an unterminated comment": lambda s: s + "\n/* never closed\n",
    "@import": lambda s: '@import "theme.css";\n' + s,
    "url(": lambda s: s + "\nbody { background: URL(bg.png); }\n",
    "an escaped url(": lambda s: s + "\nbody { background: u\\72l(bg.png); }\n",
    "</style>": lambda s: s + "\n/* </style> */\n",
}


@pytest.mark.parametrize("mutation", sorted(CSS_MUTATIONS))
def test_css_check_fails_on(mutation: str) -> None:
    assert css_problems(CSS_MUTATIONS[mutation](CSS)) != []


# -- the other page parts: dom.js (shared) and the drift dashboard's ----------------------------

DRIFT_STATIC = Path(dataward.catalog.__file__).parent.parent / "report" / "static"


@pytest.mark.parametrize("script", [STATIC / "dom.js", DRIFT_STATIC / "drift.js"],
                         ids=lambda p: p.name)
def test_every_script_parses_is_strict_and_never_parses_html(script: Path,
                                                             tmp_path: Path) -> None:
    source = script.read_text(encoding="utf-8")
    node_check(source, tmp_path)
    assert js_problems(source) == []


def test_the_drift_page_holds_every_id_its_script_looks_up_and_nothing_blocked() -> None:
    body = (DRIFT_STATIC / "drift_body.html").read_text(encoding="utf-8")
    script = (DRIFT_STATIC / "drift.js").read_text(encoding="utf-8")
    assert _LOOKUPS.findall(script), "the script looks up no element: the pattern is stale"
    assert sorted(set(_LOOKUPS.findall(script)) - set(_ids(body)) - {"drift-data"}) == []
    assert html_problems(body) == [] and html_blocked(body) == []
    assert "<!--" not in body
    assert css_problems((DRIFT_STATIC / "drift.css").read_text(encoding="utf-8")) == []


def _ids(body: str) -> list[str]:
    tree = _Tree()
    tree.feed(body)
    tree.close()
    return tree.ids
