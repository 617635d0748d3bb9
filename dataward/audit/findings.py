"""The audit's findings: dvc-pushed's verdict on each dataset version, named by its version
and with hints for that version's commit rather than HEAD. Pure."""

from __future__ import annotations

import shlex

from dataward.audit.collect import Reference
from dataward.checks.dvc_pushed.judge import Gap, gap_finding
from dataward.findings import Finding


def reference_findings(gaps: list[Gap], refs: list[Reference]) -> list[Finding]:
    by_out = {(r.out.path, r.out.md5, r.out.remote): r for r in refs}
    findings = []
    for gap in gaps:
        ref = by_out.get((gap.out.path, gap.out.md5, gap.out.remote))
        if ref is None:
            findings.append(gap_finding(gap))
            continue
        finding = gap_finding(gap, ref.rev or "HEAD", f"{gap.out.path} ({ref.label})")
        if gap.kind == "missing" and not gap.manifest_pushed:  # else dvc push sends nothing
            finding = finding._replace(hint=(
                "in a clone whose DVC cache holds them (where the data was added): "
                f"`git checkout {ref.rev or 'COMMIT'} && dvc push "
                f"{shlex.quote(gap.out.target)}`, or `dvc push --all-commits` for every "
                "version at once"))
        findings.append(finding)
    return findings
