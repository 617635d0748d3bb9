"""`{"schema_version": 1, "findings": [...]}`: the machine-readable form of the findings."""

from __future__ import annotations

import json
from collections.abc import Sequence

from dataward.findings import Finding

SCHEMA_VERSION = 1


def render(findings: Sequence[Finding]) -> str:
    doc = {"schema_version": SCHEMA_VERSION, "findings": [f.as_dict() for f in findings]}
    return json.dumps(doc, indent=2, ensure_ascii=False)
