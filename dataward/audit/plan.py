"""What the remote holds that nothing references: a garbage-collection plan, with its bytes
and what they cost a month. Pure. dataward deletes nothing; the plan is for an admin or for
`dvc gc`-style tooling to act on."""

from __future__ import annotations

import json
from typing import NamedTuple

from dataward.findings import Finding
from dataward.formats.remote_object import ObjectInfo
from dataward.formats.urls import mask

FINDING_CHECK = "dvc-pushed"  # its findings are dvc-pushed's, over every revision
GB = 1e9  # as AWS bills: 10^9 bytes


class Plan(NamedTuple):
    remote: str
    url: str
    objects: dict[str, ObjectInfo]  # key -> what the listing said
    usd_per_gb_month: float
    incomplete: str  # why some of these objects may be needed after all; "" when none
    recent: int = 0  # unreferenced objects left out for being newer than keep_days
    keep_days: float = 0

    @property
    def complete(self) -> bool:
        return not self.incomplete

    @property
    def bytes(self) -> int:
        return sum(max(i.size, 0) for i in self.objects.values())

    @property
    def usd_per_month(self) -> float:
        return self.bytes / GB * self.usd_per_gb_month

    def as_dict(self) -> dict[str, object]:
        return {
            "remote": self.remote, "url": mask(self.url),
            "complete": self.complete, "incomplete": self.incomplete or None,
            "objects": len(self.objects), "bytes": self.bytes,
            "left_out_newer_than_days": self.keep_days, "left_out": self.recent,
            "usd_per_gb_month": self.usd_per_gb_month,
            "usd_per_month": round(self.usd_per_month, 6),
            "unreferenced": [{"key": k, "bytes": i.size, "storage_class": i.storage_class or
                              "STANDARD", "modified": _iso(i.modified)}
                             for k, i in sorted(self.objects.items())],
        }


def plans_json(plans: list[Plan]) -> str:
    """The plan file: one entry per remote; `complete: false` means do not act on it."""
    return json.dumps({"schema_version": 1, "remotes": [p.as_dict() for p in plans]},
                      indent=2) + "\n"


def incompleteness(unlisted: int, unreadable: list[str], tips_only: bool = False) -> str:
    """Why the objects nothing was seen to reference may still be needed: folders whose
    manifest could be read nowhere (their files are unknown), and DVC file versions that could
    not be read (their outputs are unknown)."""
    why = []
    if unlisted:
        why.append(f"the .dir manifest of {unlisted} folder{'s' if unlisted != 1 else ''} "
                   "could be read neither here nor in the remote")
    if unreadable:
        shown = ", ".join(unreadable[:3]) + (f" and {len(unreadable) - 3} more"
                                             if len(unreadable) > 3 else "")
        why.append(f"{len(unreadable)} DVC file version{'s' if len(unreadable) != 1 else ''} "
                   f"in history could not be read ({shown})")
    if tips_only:
        why.append("only branch and tag tips were read (--tips), so older versions' objects "
                   "are listed too")
    return "; ".join(why)


def unreferenced(listing: dict[str, ObjectInfo], referenced: set[str], keep_days: float,
                 now: float) -> tuple[dict[str, ObjectInfo], int]:
    """What nothing references, and how many such objects are newer than `keep_days` and
    left out: `dvc push` runs before `git push`, so a fresh object's commit may simply not
    have reached the registry yet."""
    cutoff = now - keep_days * 86400
    found = {k: i for k, i in listing.items() if k not in referenced}
    kept = {k: i for k, i in found.items() if i.modified is None or i.modified <= cutoff}
    return kept, len(found) - len(kept)


def plan_finding(plan: Plan, written_to: str | None) -> Finding | None:
    """One warning saying what the plan holds and what it costs; None when it is empty."""
    if not plan.objects and not plan.recent:
        return None
    n = len(plan.objects)
    message = (f"remote '{plan.remote}' ({mask(plan.url)}) holds {n} object{'s' if n != 1 else ''}"
               f" ({_size(plan.bytes)}) that no branch or tag references: about "
               f"{plan.usd_per_month:.2f} USD a month at {plan.usd_per_gb_month:g} USD/GB-month")
    if plan.recent:
        message += (f"; {plan.recent} newer than {plan.keep_days:g} days left out (their "
                    "commits may not be pushed yet)")
    if not plan.complete:
        message += (f"; NOT a plan to act on: {plan.incomplete}, so needed objects may be "
                    "among these")
    where = f"the plan is in {written_to}" if written_to else \
        "`dataward remote audit --plan plan.json` writes the list"
    hint = (f"{where}; dataward deletes nothing. If no other repository pushes to this remote, "
            "`dvc gc --cloud --all-branches --all-tags --all-commits` removes the same "
            "objects (add every such repository with `--repo` to the audit first)")
    return Finding(".dvc/config", None, FINDING_CHECK, message, hint, "warning",
                   rule="objects-unreferenced")


def _iso(epoch: float | None) -> str | None:
    import time

    return None if epoch is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _size(n: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"
