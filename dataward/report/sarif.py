"""SARIF 2.1.0, for code scanning: one rule per check id, one result per finding."""

from __future__ import annotations

import json
from collections.abc import Sequence
from urllib.parse import quote

from dataward import __version__
from dataward.findings import Finding

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
DOCS = "https://github.com/dataward/dataward/blob/main/docs/checks.md"


def render(findings: Sequence[Finding]) -> str:
    rule_ids = sorted({f.check for f in findings})
    rules = [
        {"id": rid, "name": rid, "helpUri": f"{DOCS}#{rid}",
         "shortDescription": {"text": rid}}
        for rid in rule_ids
    ]
    results = [_result(f, rule_ids.index(f.check)) for f in findings]
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
    return json.dumps(doc, indent=2, ensure_ascii=False)


def _result(f: Finding, rule_index: int) -> dict[str, object]:
    location: dict[str, object] = {"artifactLocation": {"uri": quote(f.path)}}
    if f.line is not None:
        location["region"] = {"startLine": max(f.line, 1)}
    text = f.message + (f"\nFix: {f.hint}" if f.hint else "")
    return {
        "ruleId": f.check,
        "ruleIndex": rule_index,
        "level": f.severity,
        "message": {"text": text},
        "locations": [{"physicalLocation": location}],
    }
