"""The pure judgement of what a remote says of an object (formats/remote_object.py): cases
moto cannot make (SSE-KMS ETags, a restore in progress, Intelligent-Tiering's archive tiers,
DVC 2 text objects) and generated ones."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

from hypothesis import given
from hypothesis import strategies as st

from dataward.formats.remote_object import (
    EMPTY_MD5,
    ObjectInfo,
    etag_of,
    judge,
    multipart_parts,
    needs_head,
    restore_state,
)

MD5 = hashlib.md5(b"photo").hexdigest()
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=timezone.utc)


def test_intact_corrupt_and_empty() -> None:
    assert judge(ObjectInfo(5, MD5), MD5, False, 5).state == "ok"
    assert judge(ObjectInfo(4, MD5), MD5, False, 5) == \
        ("corrupt", "it is 4 bytes, not the 5 bytes recorded", None)
    assert judge(ObjectInfo(0, EMPTY_MD5), MD5, False, None).why == "it is empty"
    assert judge(ObjectInfo(0, EMPTY_MD5), EMPTY_MD5, False, 0).state == "ok"  # an empty file
    other = hashlib.md5(b"other").hexdigest()
    # Only after a HEAD has ruled out encryption is a mismatch called corrupt.
    assert needs_head(ObjectInfo(5, other), MD5, False)
    assert judge(ObjectInfo(5, other), MD5, False, 5).state == "unverified"
    assert judge(ObjectInfo(5, other, headed=True), MD5, False, 5) == \
        ("corrupt", f"its bytes are not the ones DVC recorded (ETag {other})", None)


def test_etags_that_are_no_md5_are_unverified_not_corrupt() -> None:
    multipart = f"{hashlib.md5(b'x').hexdigest()}-3"
    assert multipart_parts(multipart) == 3 and multipart_parts(MD5) is None
    assert not needs_head(ObjectInfo(5, multipart), MD5, False)  # the ETag says it all
    assert judge(ObjectInfo(5, multipart), MD5, False, 5).why == \
        "uploaded in 3 parts, so its ETag is not its md5"
    kms = ObjectInfo(5, "0" * 32, encryption="aws:kms", headed=True)
    assert judge(kms, MD5, False, 5) == \
        ("unverified", "encrypted with aws:kms, so its ETag is not its md5", None)
    # DVC 2 hashed text with CRLF read as LF: a stored CRLF file's ETag differs, rightly.
    legacy = ObjectInfo(5, "1" * 32, headed=True)
    assert judge(legacy, MD5, True, 5).state == "unverified"
    assert etag_of('"ABCdef"') == "abcdef" and etag_of(None) is None


def test_archive_classes_restores_and_intelligent_tiering() -> None:
    glacier = ObjectInfo(5, MD5, "GLACIER")
    assert needs_head(glacier, MD5, False)  # only HEAD says whether it is restored
    assert judge(glacier._replace(headed=True), MD5, False, 5, NOW).state == "archived"
    ongoing = glacier._replace(restore='ongoing-request="true"', headed=True)
    assert judge(ongoing, MD5, False, 5, NOW).state == "restoring"
    done = glacier._replace(restore='ongoing-request="false", expiry-date="Tue, 08 Dec 2026 '
                                    '00:00:00 GMT"', headed=True)
    assert judge(done, MD5, False, 5, NOW) == ("restored", "", "2026-12-08T00:00:00Z")
    expired = done._replace(restore='ongoing-request="false", expiry-date="Fri, 04 Dec 2026 '
                                    '00:00:00 GMT"')
    assert judge(expired, MD5, False, 5, NOW).state == "archived"
    # Intelligent-Tiering: readable unless HEAD names an archive tier; asked only when the
    # bucket has archive tiers configured.
    tiering = ObjectInfo(5, MD5, "INTELLIGENT_TIERING")
    assert not needs_head(tiering, MD5, False) and needs_head(tiering, MD5, True)
    assert judge(tiering, MD5, False, 5).state == "ok"
    deep = tiering._replace(archive_status="DEEP_ARCHIVE_ACCESS", headed=True)
    assert judge(deep, MD5, False, 5, NOW).state == "archived"
    # Instant Retrieval is read like STANDARD.
    assert judge(ObjectInfo(5, MD5, "GLACIER_IR"), MD5, False, 5).state == "ok"
    # Wrong bytes in Glacier: corrupt first (restoring them would not help).
    assert judge(glacier._replace(size=3, headed=True), MD5, False, 5).state == "corrupt"


@given(st.binary(max_size=64), st.binary(max_size=64), st.booleans())
def test_a_single_part_etag_decides_exactly_when_bytes_differ(
        stored: bytes, recorded: bytes, headed: bool) -> None:
    md5 = hashlib.md5(recorded).hexdigest()
    info = ObjectInfo(len(stored), hashlib.md5(stored).hexdigest(), headed=headed)
    verdict = judge(info, md5, False, len(recorded))
    if stored == recorded:
        assert verdict.state == "ok"
    elif len(stored) != len(recorded) or not stored:
        assert verdict.state == "corrupt"
    else:
        assert verdict.state == ("corrupt" if headed else "unverified")


@given(st.text(max_size=80))
def test_any_restore_header_gives_a_state(header: str) -> None:
    state, until = restore_state(header, NOW)
    assert state in ("archived", "restoring", "restored")
    assert until is None or until.endswith("Z")
