"""What a remote says of one stored object, and whether `dvc pull` can use it: pure.

A listing (or a HEAD) gives an object's size, ETag and storage class; `judge` compares them
with what DVC recorded. No request is made here, and none beyond what presence costs is
needed except where the answer depends on it (`needs_head`).

- Intact: the size must be the one the DVC file records, an empty object holds only the
  empty file, and a single-part upload's ETag is the md5 of its bytes, which for a DVC 3
  object is its key (DVC stores objects as they are). A multipart ETag (`<md5>-<parts>`),
  or one of an object encrypted with SSE-KMS or SSE-C, is not an md5: "not verified".
  A DVC 2 key is the md5 of the file with Windows line ends read as Unix ones, so a text
  object's ETag may differ from it and prove nothing either.
- Readable: GLACIER and DEEP_ARCHIVE objects (and Intelligent-Tiering ones moved to its
  opt-in archive tiers) answer HEAD and listings but refuse GET (InvalidObjectState) until
  restored; a restored copy is readable until its expiry date.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal, NamedTuple

if TYPE_CHECKING:  # datetime and email cost a hook run ~10 ms: imported where a date is read
    from datetime import datetime

EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e"
# GET refused until a restore: S3 Glacier Flexible Retrieval and Deep Archive. GLACIER_IR
# (Instant Retrieval) is read like STANDARD.
ARCHIVE_CLASSES = frozenset({"GLACIER", "DEEP_ARCHIVE"})
INTELLIGENT_TIERING = "INTELLIGENT_TIERING"
# Intelligent-Tiering's opt-in tiers, named by HEAD's x-amz-archive-status.
ARCHIVE_STATUSES = frozenset({"ARCHIVE_ACCESS", "DEEP_ARCHIVE_ACCESS"})
KMS = frozenset({"aws:kms", "aws:kms:dsse"})

State = Literal["ok", "corrupt", "archived", "restoring", "restored", "unverified"]


class ObjectInfo(NamedTuple):
    """One object as a remote describes it. `headed`: the HEAD-only fields were asked."""

    size: int  # -1: the remote did not say
    etag: str | None = None  # without quotes
    storage_class: str | None = None  # None: STANDARD, or a remote without classes
    restore: str | None = None  # x-amz-restore: `ongoing-request="false", expiry-date="..."`
    archive_status: str | None = None  # x-amz-archive-status (Intelligent-Tiering)
    encryption: str | None = None  # x-amz-server-side-encryption, or "SSE-C"
    headed: bool = False
    modified: float | None = None  # when it was written (epoch seconds), where listed


class Verdict(NamedTuple):
    state: State
    why: str = ""  # for corrupt and unverified
    until: str | None = None  # restored: the expiry date, ISO 8601


def etag_of(raw: object) -> str | None:
    """An ETag as S3 sends it (quoted) -> its value; None when there is none."""
    text = str(raw or "").strip().strip('"').strip()
    return text.lower() or None


def multipart_parts(etag: str | None) -> int | None:
    """How many parts a multipart ETag (`<md5 hex>-<n>`) says the upload had; else None."""
    match = re.fullmatch(r"[0-9a-f]{32}-(\d+)", etag or "")
    return int(match.group(1)) if match else None


def is_archived_class(info: ObjectInfo) -> bool:
    return info.storage_class in ARCHIVE_CLASSES or \
        info.archive_status in ARCHIVE_STATUSES


def needs_head(info: ObjectInfo, md5: str, it_archive_tiers: bool) -> bool:
    """Whether only a HEAD can decide: an archived object's restore, an Intelligent-Tiering
    object's tier (when the bucket has archive tiers), a single-part ETag that is not the md5
    (encrypted with a key, so not an md5, or corrupt)."""
    if info.headed:
        return False
    if info.storage_class in ARCHIVE_CLASSES:
        return True
    if info.storage_class == INTELLIGENT_TIERING and it_archive_tiers:
        return True
    return info.etag is not None and multipart_parts(info.etag) is None and info.etag != md5


def restore_state(header: str | None, now: datetime) -> tuple[State, str | None]:
    """x-amz-restore -> archived (none, or expired), restoring, or restored until a date."""
    from datetime import timezone
    from email.utils import parsedate_to_datetime

    if not header:
        return "archived", None
    if re.search(r'ongoing-request\s*=\s*"true"', header):
        return "restoring", None
    match = re.search(r'expiry-date\s*=\s*"([^"]+)"', header)
    if not match:
        return "restored", None
    try:
        expiry = parsedate_to_datetime(match.group(1))
    except (TypeError, ValueError):
        return "restored", None
    if expiry.tzinfo is None:
        expiry = expiry.replace(tzinfo=timezone.utc)
    if expiry <= now:
        return "archived", None
    return "restored", expiry.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def judge(info: ObjectInfo, md5: str, legacy: bool, size: int | None,
          now: datetime | None = None) -> Verdict:
    """Whether a `dvc pull` gets the bytes DVC recorded (`md5`, and `size` where known)."""
    if info.size >= 0 and size is not None and info.size != size:
        noun = "byte" if size == 1 else "bytes"
        return Verdict("corrupt", f"it is {info.size} bytes, not the {size} {noun} recorded")
    if info.size == 0 and md5 != EMPTY_MD5:
        return Verdict("corrupt", "it is empty")
    integrity = _integrity(info, md5, legacy)
    if integrity.state == "corrupt":
        return integrity  # a restore would bring back the wrong bytes
    if is_archived_class(info):
        from datetime import datetime, timezone

        state, until = restore_state(info.restore, now or datetime.now(timezone.utc))
        return Verdict(state, integrity.why, until)  # why: a restored copy not verified
    return integrity


def _integrity(info: ObjectInfo, md5: str, legacy: bool) -> Verdict:
    if info.etag is None or info.etag == md5:
        return Verdict("ok")
    parts = multipart_parts(info.etag)
    if parts is not None:
        return Verdict("unverified", f"uploaded in {parts} parts, so its ETag is not its md5")
    if info.encryption in KMS or info.encryption == "SSE-C":
        return Verdict("unverified", f"encrypted with {info.encryption}, so its ETag is not "
                       "its md5")
    if not info.headed:
        return Verdict("unverified", "its ETag is not its md5 and HEAD was not asked why")
    if legacy:
        return Verdict("unverified", "a DVC 2 object, whose md5 reads Windows line ends as "
                       "Unix ones, so its ETag need not equal it")
    return Verdict("corrupt", f"its bytes are not the ones DVC recorded (ETag {info.etag})")
