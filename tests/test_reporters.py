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
