"""dvc-pushed's verdicts on objects the remote holds that a `dvc pull` cannot use as they are:
corrupt, archived, being restored, or not proven. Pure: a Gap in, one finding out."""

from __future__ import annotations

from collections.abc import Callable

from dataward.checks.dvc_pushed.judge import CHECK_ID, Gap
from dataward.findings import Finding
from dataward.formats.urls import mask

UPLOAD_OVER = ("run `dvc-pushed --push --rev HEAD`, which uploads this machine's copies over "
               "them (`dvc push` skips objects the remote already has)")
ELSEWHERE = ("this machine's DVC cache lacks the data: on a machine that has it, run "
             "`dvc-pushed --push --rev HEAD` (`dvc push` skips objects the remote already has)")


def unpullable_finding(gap: Gap) -> Finding:
    out, n = gap.out, len(gap.missing)
    where = f"in remote '{gap.remote}' ({mask(gap.url)})"
    of = f"{n} of {gap.total}" if gap.total is not None else f"{n}"
    objects = "object" if n == 1 and gap.total in (None, 1) else "objects"
    are = "is" if n == 1 else "are"
    if gap.kind == "corrupt":
        shown = _shown(gap, lambda label, why: f"{label} is not what {out.dvcfile} records: {why}")
        message = (f"{out.path}: {of} {objects} {where} {are} not the bytes DVC recorded, so "
                   f"`dvc pull` fails or brings wrong data: {shown}")
        hint = UPLOAD_OVER if gap.in_local_cache else ELSEWHERE
        return Finding(out.dvcfile, out.line, CHECK_ID, message, hint, rule="objects-corrupt")
    if gap.kind == "archived":
        shown = _shown(gap, lambda label, why: f"{label} ({why})")
        message = (f"{out.path}: {of} {objects} {where} {are} archived and cannot be read until "
                   f"restored, so `dvc pull` fails: {shown}")
        hint = ("restore them, then pull when the restore is done (minutes to 48 hours): "
                "`dvc-pushed --restore --rev HEAD`" + (f", or one by one: `{gap.fix}`"
                                                       if gap.fix else "") +
                ("; or upload this machine's copies over them: `dvc-pushed --push --rev HEAD`"
                 if gap.in_local_cache else ""))
        return Finding(out.dvcfile, out.line, CHECK_ID, message, hint, rule="objects-archived")
    if gap.kind == "restoring":
        shown = _shown(gap, lambda label, why: f"{label} ({why})")
        message = (f"{out.path}: {of} archived {objects} {where} can be pulled only for now or "
                   f"only soon: {shown}")
        hint = ("pull while the restored copies last, or keep them readable for good: "
                "`dvc-pushed --push --rev HEAD` uploads them again in the standard class"
                if gap.in_local_cache else
                "pull while the restored copies last; `dvc-pushed --restore --days N --rev "
                "HEAD` extends a restore")
        return Finding(out.dvcfile, out.line, CHECK_ID, message, hint, "warning",
                       rule="objects-restoring")
    shown = _shown(gap, lambda label, why: f"{label} ({why})")
    message = (f"{out.path}: {of} {objects} {where} could not be proven intact from what the "
               f"remote says of them: {shown}")
    hint = ("`dvc-pushed --deep --rev HEAD` downloads and hashes them; or set `verify = true` "
            f"on the remote (`dvc remote modify {gap.remote or 'NAME'} verify true`) so "
            "`dvc pull` re-hashes what it downloads")
    return Finding(out.dvcfile, out.line, CHECK_ID, message, hint, "warning",
                   rule="objects-unverified")


def _shown(gap: Gap, each: Callable[[str, str], str]) -> str:
    """The first five, each with why; and how many more."""
    items = [each(label, gap.why.get(key, "")) for key, label in gap.missing[:5]]
    more = len(gap.missing) - 5
    return "; ".join(items) + (f"; and {more} more" if more > 0 else "")
