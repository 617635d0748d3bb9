"""A DVC remote's object store, through DVC's own filesystem for it: which objects it holds,
with their size, ETag and storage class, the bytes of small ones, uploads and restores.

Every call is bounded by a deadline, and every failure becomes `CouldNotCheck` (exit 3) with
a reason that names the remote but never a credential (`translate`).
"""

from __future__ import annotations

import errno
import math
import re
import threading
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

from dataward.adapters.remote_errors import _code, translate
from dataward.errors import CouldNotCheck
from dataward.formats.remote_object import ObjectInfo, etag_of
from dataward.formats.urls import mask

T = TypeVar("T")
R = TypeVar("R")
Item = TypeVar("Item")
PAGE = 1000  # keys per listing request (S3, GCS and Azure alike)
FOLDERS = 256  # objects are spread over `xx/` folders by their first two hex digits
TREE = "files/md5"  # where DVC 3 keeps them
# What DVC stores objects as: DVC 3 under files/md5/, DVC 2 at the root; `.dir` manifests.
OBJECT_KEY = re.compile(r"(files/md5/)?[0-9a-f]{2}/[0-9a-f]{30}(\.dir)?")

class Remote:
    """A DVC remote's object store: which keys it holds, and the bytes of small objects.

    Keys are paths relative to the remote's root: `files/md5/ab/cdef...` for DVC 3 objects,
    `ab/cdef...` for DVC 2 (legacy) ones. No status code alone is taken as presence: before
    the first answer is believed the endpoint must say a key no object can have is absent
    (`_prove`), S3 answers must be S3's (parsed XML listings, HEADs with an ETag), and where
    the .dvc file records a size, the object's length must be that size.
    """

    def __init__(self, name: str, fs: Any, path: str, url: str, options: dict[str, str],
                 secrets: Sequence[str], timeout: float, jobs: int) -> None:
        self.name, self.fs, self.path, self.url = name, fs, path, url
        self.options = options  # as dvc merged its config levels
        self.secrets = [s for s in secrets if s]
        self.timeout, self.jobs = timeout, jobs
        self.requests = 0  # how many existence checks or listings were sent
        self.archived_reads: set[str] = set()  # keys a read found archived (no GET)
        self.listing: dict[str, ObjectInfo] | None = None  # list_all's: stat answers from it
        self.version_aware = False  # objects at workspace paths, fetched by version id
        self._lock = threading.Lock()
        self._it_tiers: bool | None = None
        self._proven = False
        self.is_http = str(fs.protocol) in ("http", "https")

    def count(self, n: int) -> None:
        """Requests sent, for --verbose and the benchmark; workers of a pool add at once."""
        with self._lock:
            self.requests += n

    def stat(self, keys: Iterable[str]) -> dict[str, ObjectInfo]:
        """The keys the remote holds, each with what the remote says of it (size, ETag and
        storage class where it says them). Per prefix folder, one listing or one request per
        key, whichever costs fewer requests; at most `jobs` requests at a time."""
        if self.listing is not None:
            return {k: self.listing[k] for k in set(keys) if k in self.listing}

        def work() -> dict[str, ObjectInfo]:
            self._prove()
            return self._stat(sorted(set(keys)))

        return self._bounded(work)

    def list_all(self) -> dict[str, ObjectInfo]:
        """Every DVC object the remote holds (DVC 3's `files/md5/` and DVC 2's `xx/` folders
        at its root), with what the listing says of each; later `stat`s answer from it. One
        listing of the remote's prefix, page after page."""
        def work() -> dict[str, ObjectInfo]:
            self._prove()
            root = self.path.rstrip("/")
            if self.fs.protocol == "s3":
                self.count(1)
                found = self.fs.fs.find(root, detail=True)
                infos = {p: listed(i) for p, i in found.items()}
                self.count(len(found) // PAGE)  # the pages after the first
            else:
                self.count(1)
                infos = dict.fromkeys(self.fs.find(root), ObjectInfo(-1))
            prefix = root + "/"
            return {p[len(prefix):]: i for p, i in infos.items() if p.startswith(prefix) and
                    OBJECT_KEY.fullmatch(p[len(prefix):])}

        self.listing = self._bounded(work)
        return self.listing

    def head(self, keys: Iterable[str]) -> dict[str, ObjectInfo]:
        """HEAD each key for what only HEAD says (restore, archive tier, encryption)."""
        wanted = sorted(set(keys))
        return self._bounded(lambda: self._heads(wanted)) if wanted else {}

    def it_archive_tiers(self) -> bool:
        """Whether Intelligent-Tiering objects of this bucket may be in an archive tier: the
        bucket has a configuration with archive tiers, or it cannot be read (then only a HEAD
        of each such object tells). One request, once."""
        if self._it_tiers is None:
            bucket = self.path.split("/", 1)[0]

            def ask() -> bool:
                self.count(1)
                try:
                    found = self.fs.fs.call_s3(
                        "list_bucket_intelligent_tiering_configurations", Bucket=bucket)
                except Exception:  # not allowed, or not supported: assume it may
                    return True
                return any(isinstance(c, dict) and c.get("Tierings") for c in
                           found.get("IntelligentTieringConfigurationList") or [])

            self._it_tiers = self.fs.protocol == "s3" and self._bounded(ask)
        return self._it_tiers

    def read(self, keys: Sequence[str]) -> dict[str, bytes | None]:
        """Small objects' bytes (`.dir` manifests), None for those the remote lacks. The
        caller must check the bytes hash to the key: only that proves them."""
        def cat(key: str) -> bytes | None:
            try:
                return bytes(self.fs.cat_file(self._full(key)))
            except FileNotFoundError:
                return None
            except Exception as exc:
                # s3fs turns S3's InvalidObjectState into a PermissionError with its text.
                said = f"{_code(exc)} {exc} {getattr(exc, '__cause__', '')}"
                if "InvalidObjectState" not in said and \
                        "not valid for the object's storage class" not in said:
                    raise
                self.archived_reads.add(key)  # there, in a storage class that refuses GET
                return None

        def cat_all() -> dict[str, bytes | None]:
            from concurrent.futures import ThreadPoolExecutor

            self._prove()
            self.count(len(keys))
            with ThreadPoolExecutor(max_workers=max(1, min(self.jobs, len(keys)))) as pool:
                return dict(zip(keys, pool.map(cat, keys), strict=True))

        return self._bounded(cat_all) if keys else {}

    def upload(self, files: dict[str, str]) -> int:
        """Copy objects from local files (the DVC cache) to these keys; how many were sent."""
        try:  # no deadline: an upload takes as long as the data is large
            for key, local in sorted(files.items()):
                self.count(1)
                self.fs.put_file(local, self._full(key))
        except Exception as exc:
            raise translate(exc, self) from None
        return len(files)

    def keys_under(self, folder: str) -> list[str]:
        """Keys under `folder` (relative to the remote's root), fresh: no cached listing."""
        root = self.path.rstrip("/") + "/"

        def work() -> list[str]:
            fs = self.fs.fs if self.fs.protocol == "s3" else self.fs
            base = self._full(folder).rstrip("/")
            getattr(fs, "invalidate_cache", lambda _: None)(base)
            self.count(1)
            try:
                found = fs.find(base)
            except FileNotFoundError:
                return []
            return sorted(str(p)[len(root):] for p in found if str(p).startswith(root))

        return self._bounded(work)

    def write(self, key: str, data: bytes) -> None:
        """Write one small object (a report), with the deadline of any request."""
        def work() -> None:
            self.count(1)
            path = self._full(key)
            if self.fs.protocol == "local":  # a folder remote: its folders are real
                self.fs.makedirs(path.rpartition("/")[0], exist_ok=True)
            self.fs.pipe_file(path, data)

        self._bounded(work)

    def check_reachable(self) -> None:
        """A listing came back empty: CouldNotCheck when that is a bucket that does not exist
        rather than the remote's answer."""
        self._bounded(self._check_reachable)

    def restore(self, keys: dict[str, str | None], days: int, tier: str) -> dict[str, str]:
        """Ask S3 to restore archived objects (key -> storage class); key -> what S3 said."""
        bucket, _, _ = self.path.partition("/")

        def one(key: str) -> str:
            # Intelligent-Tiering's archive tiers take no Days: the object moves back to the
            # frequent access tier for good.
            request = restore_request(keys[key], days, tier)
            self.count(1)
            try:
                self.fs.fs.call_s3("restore_object", Bucket=bucket,
                                   Key=self._full(key).partition("/")[2],
                                   RestoreRequest=request)
            except Exception as exc:
                if "RestoreAlreadyInProgress" in f"{_code(exc)} {exc}":
                    return "a restore was already in progress"
                raise
            return "restore requested"

        def work() -> dict[str, str]:
            from concurrent.futures import ThreadPoolExecutor

            ordered = sorted(keys)
            with ThreadPoolExecutor(max_workers=max(1, min(self.jobs, len(ordered)))) as pool:
                return dict(zip(ordered, pool.map(one, ordered), strict=True))

        return self._bounded(work) if keys else {}

    def _prove(self) -> None:
        """Once, before any answer is believed: ask for a key no DVC object can have (not an
        md5). A store answers "absent"; an endpoint that answers 200 to everything (a captive
        portal, a proxy's error page, a mistyped endpointurl, a web server's catch-all page)
        says "there", and then none of its "there"s proves anything: exit 3. A 403 is no
        "there" either: S3 says it for a missing key to whoever may not list the bucket."""
        import uuid

        try:
            there = not self._proven and bool(self._heads([f"{TREE}/00/probe-{uuid.uuid4()}"]))
        except PermissionError:
            there = False
        if there:
            raise self._not_a_store("it answers that an object which cannot exist is there")
        self._proven = True

    def _not_a_store(self, why: str) -> CouldNotCheck:
        s3 = self.fs.protocol == "s3"
        where = ("its endpoint: `dvc remote modify --local {} endpointurl https://HOST`, "
                 "AWS_ENDPOINT_URL(_S3), the AWS profile's endpoint_url" if s3 else
                 "its url: `dvc remote modify {} url URL`").format(self.name)
        return CouldNotCheck(f"remote '{self.name}' ({mask(self.url)}) does not answer as "
                             f"{'S3' if s3 else 'a DVC remote'} does, so nothing it says can "
                             f"be trusted: {why}", f"check {where}; `curl -I` there shows what "
                             "answers (a login page, a proxy?)")

    def _stat(self, keys: list[str]) -> dict[str, ObjectInfo]:
        if self.is_http:  # no listing: an HTML index page's links are no proof of anything
            return self._heads(keys)
        groups: dict[str, list[str]] = defaultdict(list)
        for key in keys:
            groups[key.rpartition("/")[0]].append(key)
        order = sorted(groups, key=lambda g: (-len(groups[g]), g))
        found: dict[str, ObjectInfo] = {}
        pages: int | None = None
        if order and len(groups[order[0]]) > 1:
            # List the fullest folder first: its size tells what a listing costs elsewhere.
            first_folder = order.pop(0)
            listed = self._list([first_folder])
            found.update(listed)
            pages = max(1, math.ceil(len(listed) / PAGE))
        to_list = [g for g in order if pages is not None and len(groups[g]) > pages]
        if to_list and pages is not None:
            # Folders are listed `jobs` at a time; one listing of the whole tree is one
            # page after another. Take whichever needs fewer rounds (as dvc-data does).
            whole = math.ceil(len(listed) * FOLDERS / PAGE)
            split = math.ceil(len(to_list) / self.jobs) * pages
            if first_folder.startswith(TREE + "/") and whole < split:
                to_list = [TREE]
        listing = set(to_list)
        to_head = [k for g in order if g not in listing and
                   not (TREE in listing and g.startswith(TREE + "/")) for k in groups[g]]
        if to_list:
            found.update(self._list(to_list))
        if to_head:
            found.update(self._heads(to_head))
        found = {k: found[k] for k in keys if k in found}
        if not found and keys:
            self._check_reachable()
        return found

    def _heads(self, keys: list[str]) -> dict[str, ObjectInfo]:
        """Which keys are there: one existence request per key, `jobs` at a time."""
        self.count(len(keys))
        if self.fs.protocol != "s3" and not self.is_http:
            answers = self.fs.exists([self._full(k) for k in keys], batch_size=self.jobs)
            return {k: ObjectInfo(-1) for k, there in zip(keys, answers, strict=True) if there}
        infos = self._each(self._s3_head if self.fs.protocol == "s3" else self._http_head,
                           keys)
        return {k: i for k, i in zip(keys, infos, strict=True) if i is not None}

    def _each(self, fn: Callable[[Item], Awaitable[R]], items: list[Item]) -> list[R]:
        """`fn` of each item on the filesystem's event loop, `jobs` at a time."""
        import asyncio

        from fsspec.asyn import sync

        async def run() -> list[R]:
            limit = asyncio.Semaphore(self.jobs)

            async def one(item: Item) -> R:
                async with limit:
                    return await fn(item)

            return list(await asyncio.gather(*(one(i) for i in items)))

        answers: list[R] = sync(self.fs.fs.loop, run)
        return answers

    async def _s3_head(self, key: str) -> ObjectInfo | None:
        """HEAD an object: what S3 says of it, None when absent (s3fs's `exists` would add a
        listing per miss: is it a folder?). A 200 without S3's ETag is no S3 answer."""
        bucket, _, name = self._full(key).partition("/")
        try:
            info = await self.fs.fs._call_s3("head_object", Bucket=bucket, Key=name)
        except FileNotFoundError:
            return None
        if not info.get("ETag"):
            raise self._not_a_store(f"its answer to HEAD {key} has no ETag")
        return ObjectInfo(int(info.get("ContentLength", -1)), etag_of(info.get("ETag")),
                          storage_class(info.get("StorageClass")), info.get("Restore"),
                          info.get("ArchiveStatus"), info.get("ServerSideEncryption") or
                          ("SSE-C" if info.get("SSECustomerAlgorithm") else None), True)

    async def _http_head(self, key: str) -> ObjectInfo | None:
        """HEAD a file of an HTTP remote: its Content-Length (-1 if none), None on 404/410.
        fsspec's `exists` says "absent" for any failure, a refused connection included."""
        http = self.fs.fs
        session = await http.set_session()
        async with session.head(http.encode_url(self._full(key)), allow_redirects=True,
                                **http.kwargs) as r:
            if r.status in (404, 410):
                return None
            if r.status in (401, 403):
                raise PermissionError(f"HTTP {r.status} {r.reason}")
            if r.status >= 500:
                raise OSError(errno.EREMOTEIO, f"HTTP {r.status} {r.reason}")
            if not 200 <= r.status < 300:
                raise self._not_a_store(f"it answers HTTP {r.status} to HEAD {key}")
            return ObjectInfo(int(r.headers.get("Content-Length", -1)))

    def _list(self, folders: list[str]) -> dict[str, ObjectInfo]:
        self.count(len(folders))
        root = self.path.rstrip("/") + "/"
        found: dict[str, ObjectInfo] = {}
        if self.fs.protocol == "s3":  # a listing says each object's size, ETag and class
            def find(folder: str) -> Awaitable[dict[str, Any]]:
                return self.fs.fs._find(self._full(folder), detail=True)  # type: ignore[no-any-return]

            for listing in self._each(find, folders):
                found.update((p, listed(i)) for p, i in listing.items())
        else:
            found = dict.fromkeys(self.fs.find([self._full(f) for f in folders],
                                               batch_size=self.jobs), ObjectInfo(-1))
        return {p[len(root):]: i for p, i in found.items() if p.startswith(root)}

    def _check_reachable(self) -> None:
        """Nothing found: make sure that is the remote's answer, not a bucket that is not there
        (s3fs reports keys in a missing bucket as absent)."""
        if self.fs.protocol != "s3":
            return
        bucket = self.path.split("/", 1)[0]
        self.count(1)
        try:
            self.fs.fs.ls(bucket, refresh=True)
        except FileNotFoundError:
            raise CouldNotCheck(
                f"remote '{self.name}' ({mask(self.url)}): bucket {bucket!r} does not exist",
                f"check the url: `dvc remote modify {self.name} url s3://BUCKET/PATH`") from None

    def _full(self, key: str) -> str:
        return f"{self.path.rstrip('/')}/{key}"

    def _bounded(self, work: Callable[[], T]) -> T:
        """Run `work` with a deadline; a remote that hangs is exit 3, not a hung hook."""
        result: list[T] = []
        error: list[BaseException] = []

        def target() -> None:
            try:
                result.append(work())
            except BaseException as exc:  # handed to the caller's thread
                error.append(exc)

        worker = threading.Thread(target=target, daemon=True, name="dataward-remote")
        worker.start()
        worker.join(self.timeout)
        if worker.is_alive():
            raise CouldNotCheck(
                f"remote '{self.name}' ({mask(self.url)}) did not answer within "
                f"{self.timeout:g} s",
                "is the endpoint up and reachable from here? Retry later, or raise --timeout")
        if error:
            raise translate(error[0], self)
        return result[0]


def restore_request(storage_class: str | None, days: int, tier: str) -> dict[str, Any]:
    """S3's RestoreRequest for an archived object: Intelligent-Tiering's archive tiers take no
    Days (the object moves back to the frequent access tier for good)."""
    days_part: dict[str, Any] = {} if storage_class == "INTELLIGENT_TIERING" else {"Days": days}
    return {**days_part, "GlacierJobParameters": {"Tier": tier}}


def listed(info: dict[str, Any]) -> ObjectInfo:
    """What an s3fs listing entry says of an object."""
    return ObjectInfo(int(info.get("size", -1)), etag_of(info.get("ETag")),
                      storage_class(info.get("StorageClass")),
                      modified=_epoch(info.get("LastModified")))


def _epoch(value: object) -> float | None:
    """A listing's LastModified (a datetime) as epoch seconds."""
    stamp = getattr(value, "timestamp", None)
    return float(stamp()) if callable(stamp) else None


def storage_class(value: object) -> str | None:
    """S3 leaves out STANDARD on HEAD and names it in listings: None for both."""
    text = str(value or "").upper()
    return None if text in ("", "STANDARD") else text
