"""dvc-pushed's verdicts on objects the remote holds that a `dvc pull` cannot use as they are:
corrupt, archived, being restored, or not proven. Pure: a Gap in, one finding out."""

from __future__ import annotations

from collections.abc import Callable

from dataward.checks.dvc_pushed.judge import CHECK_ID, Gap
from dataward.findings import Finding, Severity
from dataward.formats.urls import mask

RULE_OF_KIND = {"corrupt": "objects-corrupt", "archived": "objects-archived",
                "restoring": "objects-restoring", "unverified": "objects-unverified"}


def unpullable_finding(gap: Gap, rev: str = "HEAD", name: str | None = None) -> Finding:
    """`rev`: the revision the hints name; `name`: what the message calls the output (the
    audit adds its version), else its path."""
    out, n = gap.out, len(gap.missing)
    where = f"in remote '{gap.remote}' ({mask(gap.url)})"
    of = f"{n} of {gap.total}" if gap.total is not None else f"{n}"
    objects = "object" if n == 1 and gap.total in (None, 1) else "objects"
    are = "is" if n == 1 else "are"
    push = f"`dvc-pushed --push --rev {rev}`"
    severity: Severity = "error"
    if gap.kind == "corrupt":
        shown = _shown(gap, lambda label, why: f"{label} is not what {out.dvcfile} records: {why}")
        said = (f"{of} {objects} {where} {are} not the bytes DVC recorded, so `dvc pull` fails "
                f"or brings wrong data: {shown}")
        hint = (f"run {push}, which uploads this machine's copies over them (`dvc push` skips "
                "objects the remote already has)" if gap.in_local_cache else
                f"this machine's DVC cache lacks the data: on a machine that has it, run {push} "
                "(`dvc push` skips objects the remote already has)")
    elif gap.kind == "archived":
        said = (f"{of} {objects} {where} {are} archived and cannot be read until restored, so "
                f"`dvc pull` fails: {_shown(gap)}")
        hint = ("restore them, then pull when the restore is done (minutes to 48 hours): "
                f"`dvc-pushed --restore --rev {rev}`" +
                (f", or one by one: `{gap.fix}`" if gap.fix else "") +
                (f"; or upload this machine's copies over them: {push}"
                 if gap.in_local_cache else ""))
    elif gap.kind == "restoring":
        said = (f"{of} archived {objects} {where} can be pulled only for now or only soon: "
                f"{_shown(gap)}")
        hint = ("pull while the restored copies last, or keep them readable for good: "
                f"{push} uploads them again in the standard class" if gap.in_local_cache else
                "pull while the restored copies last; `dvc-pushed --restore --days N --rev "
                f"{rev}` extends a restore")
        severity = "warning"
    else:
        said = (f"{of} {objects} {where} could not be proven intact from what the remote says "
                f"of them: {_shown(gap)}")
        hint = (f"`dvc-pushed --deep --rev {rev}` downloads and hashes them; or set `verify = "
                f"true` on the remote (`dvc remote modify {gap.remote or 'NAME'} verify true`) "
                "so `dvc pull` re-hashes what it downloads")
        severity = "warning"
    return Finding(out.dvcfile, out.line, CHECK_ID, f"{name or out.path}: {said}", hint,
                   severity, rule=RULE_OF_KIND[gap.kind])


def _shown(gap: Gap, each: Callable[[str, str], str] = lambda label, why: f"{label} ({why})"
           ) -> str:
    """The first five, each with why; and how many more."""
    items = [each(label, gap.why.get(key, "")) for key, label in gap.missing[:5]]
    more = len(gap.missing) - 5
    return "; ".join(items) + (f"; and {more} more" if more > 0 else "")
