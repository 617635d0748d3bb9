"""`{"schema_version": 1, "findings": [...]}`: the machine-readable form of the findings."""

from __future__ import annotations

from collections.abc import Sequence

from dataward.findings import Finding
from dataward.report.escape import to_json

SCHEMA_VERSION = 1


def render(findings: Sequence[Finding]) -> str:
    doc = {"schema_version": SCHEMA_VERSION, "findings": [f.as_dict() for f in findings]}
    return to_json(doc)
