"""SARIF 2.1.0, for code scanning: one rule per rule id, one result per finding."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

from dataward import __version__
from dataward.findings import Finding
from dataward.report.escape import to_json, visible
from dataward.rules import DOCS, RULES, docs_url

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def render(findings: Sequence[Finding]) -> str:
    rule_ids = sorted({_rule_id(f) for f in findings})
    rules = [_rule(rid) for rid in rule_ids]
    results = [_result(f, rule_ids.index(_rule_id(f))) for f in findings]
    doc = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "dataward", "version": __version__,
                "informationUri": DOCS, "rules": rules,
            }},
            "results": results,
        }],
    }
    return to_json(doc)


def _rule_id(f: Finding) -> str:
    return f.rule or f.check


def _rule(rid: str) -> dict[str, object]:
    known = RULES.get(rid)
    return {"id": rid, "name": rid, "helpUri": docs_url(rid),
            "shortDescription": {"text": known.summary if known else rid},
            "properties": {"check": known.check if known else rid}}


def _result(f: Finding, rule_index: int) -> dict[str, object]:
    # A URI names bytes: an undecodable byte of the name is percent-encoded as itself.
    try:
        uri = quote(f.path.encode("utf-8", "surrogateescape"))
    except UnicodeEncodeError:  # a lone surrogate no byte made
        uri = quote(visible(f.path))
    location: dict[str, object] = {"artifactLocation": {"uri": uri}}
    if f.line is not None:
        location["region"] = {"startLine": max(f.line, 1)}
    text = f.message + (f"\nFix: {f.hint}" if f.hint else "")
    return {
        "ruleId": _rule_id(f),
        "ruleIndex": rule_index,
        "level": f.severity,
        "message": {"text": text},
        "locations": [{"physicalLocation": location}],
    }
