"""A version-aware DVC remote's object versions (S3 bucket versioning), through DVC's own
filesystem for it: which versions of which keys the bucket holds, and whether the bucket
keeps versions at all.

One paged `ListObjectVersions` per prefix (an output's folder, or a file's own key), never
one request per file; at most `jobs` prefixes at a time, all within the remote's deadline.
Every failure becomes `CouldNotCheck` (exit 3) naming the remote, never a credential.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from dataward.adapters.object_store import Remote, storage_class
from dataward.errors import CouldNotCheck
from dataward.formats.remote_object import ARCHIVE_CLASSES, ObjectInfo, etag_of
from dataward.formats.urls import mask

MAX_PAGES = 100_000  # a listing that never ends is a broken endpoint, not a bucket


class Listed(NamedTuple):
    """What the remote holds under the prefixes asked about."""

    versions: dict[tuple[str, str], ObjectInfo]  # (key under the remote's root, version id)
    latest_deleted: frozenset[str]  # keys whose latest version is a delete marker


def bucket_of(remote: Remote) -> tuple[str, str]:
    """(bucket, the remote's prefix inside it, '' or ending in '/')."""
    bucket, _, prefix = remote.path.strip("/").partition("/")
    return bucket, f"{prefix}/" if prefix else ""


def versioning(remote: Remote) -> str | None:
    """The bucket's versioning status ("Enabled", "Suspended", or None: never enabled);
    "unknown" when the credentials may not ask (s3:GetBucketVersioning is often not granted
    where listing versions is)."""
    bucket, _ = bucket_of(remote)

    def ask() -> str | None:
        remote.requests += 1
        try:
            answer = remote.fs.fs.call_s3("get_bucket_versioning", Bucket=bucket)
        except PermissionError:
            return "unknown"
        status = answer.get("Status")
        return str(status) if status else None

    _s3_only(remote)
    return remote._bounded(ask)


def list_versions(remote: Remote, prefixes: Iterable[str]) -> Listed:
    """Every version of every key under each prefix (relative to the remote's root)."""
    bucket, root = bucket_of(remote)
    wanted = sorted(set(prefixes))

    async def one(prefix: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        versions: list[dict[str, Any]] = []
        markers: list[dict[str, Any]] = []
        page: dict[str, Any] = {"Bucket": bucket, "Prefix": root + prefix}
        for _ in range(MAX_PAGES):
            remote.count(1)
            answer = await remote.fs.fs._call_s3("list_object_versions", **page)
            versions += answer.get("Versions", [])
            markers += answer.get("DeleteMarkers", [])
            if not answer.get("IsTruncated"):
                return versions, markers
            page["KeyMarker"] = answer.get("NextKeyMarker", "")
            page["VersionIdMarker"] = answer.get("NextVersionIdMarker", "")
        raise CouldNotCheck(f"remote '{remote.name}' ({mask(remote.url)}) lists versions of "
                            f"{prefix!r} without end", "check the remote's endpoint")

    def work() -> Listed:
        found: dict[tuple[str, str], ObjectInfo] = {}
        deleted: set[str] = set()
        for versions, markers in remote._each(one, wanted):
            for v in versions:
                key = str(v.get("Key", ""))
                if key.startswith(root) and v.get("VersionId"):
                    found[key[len(root):], str(v["VersionId"])] = ObjectInfo(
                        int(v.get("Size", -1)), etag_of(v.get("ETag")),
                        storage_class(v.get("StorageClass")))
            deleted |= {str(m.get("Key", ""))[len(root):] for m in markers
                        if m.get("IsLatest") and str(m.get("Key", "")).startswith(root)}
        # A listing names the class, not the restore: HEAD each archived version for it.
        archived = [k for k, i in found.items() if i.storage_class in ARCHIVE_CLASSES]
        for (key, vid), restore in zip(archived, remote._each(head, archived), strict=True):
            found[key, vid] = found[key, vid]._replace(restore=restore, headed=True)
        return Listed(found, frozenset(deleted))

    async def head(wanted: tuple[str, str]) -> str | None:
        remote.count(1)
        info = await remote.fs.fs._call_s3("head_object", Bucket=bucket, Key=root + wanted[0],
                                           VersionId=wanted[1])
        restore = info.get("Restore")
        return str(restore) if restore else None

    _s3_only(remote)
    if not wanted:
        return Listed({}, frozenset())
    return remote._bounded(work)  # which turns any failure into CouldNotCheck (translate)


def _s3_only(remote: Remote) -> None:
    if remote.fs.protocol != "s3":
        raise CouldNotCheck(
            f"remote '{remote.name}' ({mask(remote.url)}) is version-aware on "
            f"{remote.fs.protocol}: dvc-pushed checks version-aware remotes on S3 only",
            "`dvc fetch` in a fresh clone fetches exactly the recorded versions")
