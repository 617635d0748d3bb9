"""`--deep`: download objects and hash them as DVC does, for those whose ETag proves nothing
(multipart uploads, SSE-KMS). Bounded concurrency (`jobs`), a progress line every 10 s."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from dataward.adapters.remote_errors import translate

if TYPE_CHECKING:
    from dataward.adapters.object_store import Remote
    from dataward.drift.hashing import LegacyMd5


def hash_objects(remote: Remote, expect: dict[str, tuple[str, bool]]
                 ) -> dict[str, tuple[str, bool]]:
    """Download each object and hash it as DVC does (key -> (md5, legacy)): key ->
    (the md5 found, whether it is the one expected). No deadline: a download takes as
    long as the data is large; a line on stderr every 10 seconds says how far it is."""
    import sys
    import time
    from concurrent.futures import ThreadPoolExecutor

    done, started, last = [0, 0], time.monotonic(), [time.monotonic()]
    lock = threading.Lock()

    def count(n: int) -> None:
        with lock:
            done[1] += n

    def one(key: str) -> tuple[str, bool]:
        md5, legacy = expect[key]
        remote.count(1)
        if legacy:  # DVC 2's md5: either of its two dos2unix rules
            two = _legacy_md5(remote, key, count)
            found, matches = str(two), two.matches(md5)
        else:
            found = _md5(remote, key, count)
            matches = found == md5
        with lock:
            done[0] += 1
            report = time.monotonic() - last[0] >= 10 or done[0] == len(expect)
        if report:
            last[0] = time.monotonic()
            print(f"dvc-pushed --deep: hashed {done[0]} of {len(expect)} objects, "
                  f"{done[1] / 1e6:.1f} MB in {last[0] - started:.0f} s", file=sys.stderr)
        return found, matches

    try:
        with ThreadPoolExecutor(max_workers=max(1, min(remote.jobs, len(expect)))) as pool:
            return dict(zip(expect, pool.map(one, list(expect)), strict=True))
    except Exception as exc:
        raise translate(exc, remote) from None


def _md5(remote: Remote, key: str, count: Callable[[int], None]) -> str:
    """DVC 3's md5: of the bytes, streamed."""
    import hashlib

    from dataward.drift.hashing import READ_CHUNK

    digest = hashlib.md5()
    with remote.fs.open(remote._full(key), "rb") as src:
        while chunk := src.read(READ_CHUNK):
            digest.update(chunk)
            count(len(chunk))
    return digest.hexdigest()


def _legacy_md5(remote: Remote, key: str, count: Callable[[int], None]) -> LegacyMd5:
    """DVC 2's md5 reads text chunks with CRLF as LF: hashed from a downloaded copy."""
    import tempfile

    from dataward.drift.hashing import READ_CHUNK, legacy_md5

    with tempfile.TemporaryDirectory(prefix="dataward-deep-") as tmp:
        local = os.path.join(tmp, "object")
        with remote.fs.open(remote._full(key), "rb") as src, open(local, "wb") as dst:
            while chunk := src.read(READ_CHUNK):
                dst.write(chunk)
                count(len(chunk))
        return legacy_md5(local)
