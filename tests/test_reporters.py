"""Every output format renders the same findings."""

from __future__ import annotations

import json

from dataward.findings import Finding, exit_code
from dataward.report import render

FINDINGS = [
    Finding("b, c:d.bin", None, "no-large-binaries", "b is 1.0 MB, over 50% of it",
            "fix: git rm --cached 'b, c:d.bin'\nthen commit", rule="large-file"),
    Finding("a.dvc", 3, "dvc-files", "bad md5", "", "warning", rule="dvcfile-invalid-value"),
]


def test_text() -> None:
    assert render(FINDINGS, "text").splitlines() == [
        "a.dvc:3: [dvc-files, warning] bad md5 [dvcfile-invalid-value]",
        "b, c:d.bin: [no-large-binaries] b is 1.0 MB, over 50% of it [large-file]",
        "    fix: git rm --cached 'b, c:d.bin'",
        "    then commit",
        "dataward: 1 error, 1 warning",
    ]
    assert render([], "text") == ""


def test_json() -> None:
    doc = json.loads(render(FINDINGS, "json"))
    assert doc["schema_version"] == 1
    assert doc["findings"][0] == {"check": "dvc-files", "rule": "dvcfile-invalid-value",
                                  "severity": "warning", "path": "a.dvc", "line": 3,
                                  "message": "bad md5", "hint": ""}
    assert set(doc["findings"][1]) == {"check", "rule", "severity", "path", "line", "message",
                                       "hint"}
    assert json.loads(render([], "json")) == {"schema_version": 1, "findings": []}


def test_github_workflow_commands_are_escaped() -> None:
    lines = render(FINDINGS, "github").splitlines()
    assert lines[0] == ("::warning file=a.dvc,line=3,title=dvc-files dvcfile-invalid-value::"
                        "bad md5")
    assert lines[1] == (
        "::error file=b%2C c%3Ad.bin,title=no-large-binaries large-file::b is 1.0 MB, over "
        "50%25 of it"
        "%0Afix: git rm --cached 'b, c:d.bin'%0Athen commit")


def test_sarif() -> None:
    doc = json.loads(render(FINDINGS, "sarif"))
    assert doc["version"] == "2.1.0"
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["dvcfile-invalid-value", "large-file"]
    assert rules[1]["helpUri"].endswith("docs/checks.md#large-file")
    assert rules[1]["shortDescription"]["text"] == "a blob over the size limit goes into git"
    assert rules[1]["properties"] == {"check": "no-large-binaries"}
    first, second = run["results"]
    assert first["level"] == "warning" and first["ruleIndex"] == 0
    assert first["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "a.dvc"}, "region": {"startLine": 3}}
    loc = second["locations"][0]["physicalLocation"]
    assert loc == {"artifactLocation": {"uri": "b%2C%20c%3Ad.bin"}}
    assert second["message"]["text"].startswith("b is 1.0 MB")


def test_warnings_alone_exit_0() -> None:
    assert exit_code([FINDINGS[1]]) == 0
    assert exit_code(FINDINGS) == 1
    assert exit_code([]) == 0


HOSTILE = Finding("x\n::error title=a::b\x1b[31m\udce9.bin", None, "no-large-binaries",
                  "big \x07", "fix: git rm --cached 'x\n::warning::c'", rule="large-file")


def test_text_shows_control_characters_and_starts_no_workflow_command() -> None:
    lines = render([HOSTILE], "text").splitlines()
    assert lines[0] == ('"x\\n::error title=a::b\\x1b[31m\\xe9.bin": [no-large-binaries] '
                        'big \\x07 [large-file]')
    assert lines[1:3] == ["    fix: git rm --cached 'x", "    \\x3a:warning::c'"]


def test_github_keeps_each_finding_on_one_command_line() -> None:
    out = render([HOSTILE], "github")
    assert out.count("\n") == 0 and out.startswith("::error file=x%0A%3A%3Aerror title=a%3A")
    assert "\\x1b[31m\\xe9.bin" in out and "\x1b" not in out


def test_json_and_sarif_are_utf8_with_the_byte_shown() -> None:
    doc = json.loads(render([HOSTILE], "json").encode("utf-8"))
    assert doc["findings"][0]["path"] == "x\n::error title=a::b\x1b[31m\\xe9.bin"
    sarif = render([HOSTILE], "sarif")
    sarif.encode("utf-8")  # strict
    uri = json.loads(sarif)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert uri["artifactLocation"]["uri"].endswith("%1B%5B31m%E9.bin")  # the byte itself


def test_markdown_cells_escape_tables_links_code_and_html() -> None:
    from dataward.findings import Outcome
    from dataward.report import markdown

    evil = Finding("a|b`c`[d](e)<img src=x>.bin", 2, "dvc-files", "m|<script>", "h\nnext")
    out = markdown.render([Outcome("dvc-files", 1, [evil])], "dataward")
    row = out.splitlines()[-1]
    assert row == ("| ❌ | `dvc-files` | a\\|b\\`c\\`\\[d\\](e)&lt;img src=x&gt;.bin:2 | "
                   "m\\|&lt;script&gt; | h<br>next |")
