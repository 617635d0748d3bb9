"""The one adapter to DVC: its remotes (through DVC's own config and filesystems) and its CLI.

Whatever makes `dvc push` work makes this work: `.dvc/config`, `config.local`, the global and
system configs, environment credentials, `endpointurl`, AWS profiles. Every call is bounded by
a deadline, and every failure becomes `CouldNotCheck` (exit 3) with a reason that names the
remote but never a credential.
"""

from __future__ import annotations

import errno
import math
import os
import re
import shlex
import subprocess
import sys
import threading
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

from dataward.errors import ConfigError, CouldNotCheck
from dataward.formats.dvc_config import SECRET_KEYS
from dataward.formats.urls import mask, mask_text

T = TypeVar("T")
R = TypeVar("R")
PAGE = 1000  # keys per listing request (S3, GCS and Azure alike)
FOLDERS = 256  # objects are spread over `xx/` folders by their first two hex digits
TREE = "files/md5"  # where DVC 3 keeps them
SECRET_ENV = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
CREDENTIALS_HINT = ("check the credentials dvc uses for this remote: `dvc remote modify --local "
                    "{name} access_key_id/secret_access_key`, AWS_PROFILE, or the AWS_* "
                    "environment variables; `dvc push` fails the same way")


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
        self.mismatched: set[str] = set()  # there, but not the size the .dvc file records
        self._proven = False
        self.is_http = str(fs.protocol) in ("http", "https")

    def present(self, keys: Iterable[str], sizes: dict[str, int] | None = None) -> set[str]:
        """The keys the remote holds (and, where `sizes` knows it, at that size). Per prefix
        folder, one listing or one request per key, whichever costs fewer requests; at most
        `jobs` requests at a time."""
        def work() -> set[str]:
            self._prove()
            return self._present(sorted(set(keys)), sizes or {})

        return self._bounded(work)

    def read(self, keys: Sequence[str]) -> dict[str, bytes | None]:
        """Small objects' bytes (`.dir` manifests), None for those the remote lacks. The
        caller must check the bytes hash to the key: only that proves them."""
        def cat(key: str) -> bytes | None:
            try:
                return bytes(self.fs.cat_file(self._full(key)))
            except FileNotFoundError:
                return None

        def cat_all() -> dict[str, bytes | None]:
            from concurrent.futures import ThreadPoolExecutor

            self._prove()
            self.requests += len(keys)
            with ThreadPoolExecutor(max_workers=max(1, min(self.jobs, len(keys)))) as pool:
                return dict(zip(keys, pool.map(cat, keys), strict=True))

        return self._bounded(cat_all) if keys else {}

    def upload(self, files: dict[str, str]) -> int:
        """Copy objects from local files (the DVC cache) to these keys; how many were sent."""
        try:  # no deadline: an upload takes as long as the data is large
            for key, local in sorted(files.items()):
                self.requests += 1
                self.fs.put_file(local, self._full(key))
        except Exception as exc:
            raise translate(exc, self) from None
        return len(files)

    def _prove(self) -> None:
        """Once, before any answer is believed: ask for a key no DVC object can have (not an
        md5). A store answers "absent"; an endpoint that answers 200 to everything (a captive
        portal, a proxy's error page, a mistyped endpointurl, a web server's catch-all page)
        says "there", and then none of its "there"s proves anything: exit 3. A 403 is no
        "there" either: S3 says it for a missing key to whoever may not list the bucket."""
        import uuid

        try:
            there = not self._proven and bool(self._heads([f"{TREE}/00/probe-{uuid.uuid4()}"], {}))
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

    def _present(self, keys: list[str], sizes: dict[str, int]) -> set[str]:
        if self.is_http:  # no listing: an HTML index page's links are no proof of anything
            return self._heads(keys, sizes)
        groups: dict[str, list[str]] = defaultdict(list)
        for key in keys:
            groups[key.rpartition("/")[0]].append(key)
        order = sorted(groups, key=lambda g: (-len(groups[g]), g))
        found: set[str] = set()
        pages: int | None = None
        if order and len(groups[order[0]]) > 1:
            # List the fullest folder first: its size tells what a listing costs elsewhere.
            first_folder = order.pop(0)
            listed = self._list([first_folder], sizes)
            found |= listed
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
            found |= self._list(to_list, sizes)
        if to_head:
            found |= self._heads(to_head, sizes)
        found &= set(keys)
        if not found and keys:
            self._check_reachable()
        return found

    def _heads(self, keys: list[str], sizes: dict[str, int]) -> set[str]:
        """Which keys are there: one existence request per key, `jobs` at a time."""
        self.requests += len(keys)
        if self.fs.protocol != "s3" and not self.is_http:
            answers = self.fs.exists([self._full(k) for k in keys], batch_size=self.jobs)
            return {k for k, there in zip(keys, answers, strict=True) if there}
        lengths = self._each(self._s3_head if self.fs.protocol == "s3" else self._http_head,
                             keys)
        return {k for k, n in zip(keys, lengths, strict=True) if self._fits(k, n, sizes)}

    def _each(self, fn: Callable[[str], Awaitable[R]], items: list[str]) -> list[R]:
        """`fn` of each item on the filesystem's event loop, `jobs` at a time."""
        import asyncio

        from fsspec.asyn import sync

        async def run() -> list[R]:
            limit = asyncio.Semaphore(self.jobs)

            async def one(item: str) -> R:
                async with limit:
                    return await fn(item)

            return list(await asyncio.gather(*(one(i) for i in items)))

        answers: list[R] = sync(self.fs.fs.loop, run)
        return answers

    def _fits(self, key: str, length: int | None, sizes: dict[str, int]) -> bool:
        """Present (length is not None, -1 when unknown) and of the recorded size, if any."""
        if length is not None and key in sizes and length != sizes[key] and length >= 0:
            self.mismatched.add(key)  # a length was given, and it is not the object's
        return length is not None and sizes.get(key, length) == length

    async def _s3_head(self, key: str) -> int | None:
        """HEAD an object: its length, None when absent (s3fs's `exists` would add a listing
        per miss: is it a folder?). A 200 without S3's ETag is no S3 answer."""
        bucket, _, name = self._full(key).partition("/")
        try:
            info = await self.fs.fs._call_s3("head_object", Bucket=bucket, Key=name)
        except FileNotFoundError:
            return None
        if not info.get("ETag"):
            raise self._not_a_store(f"its answer to HEAD {key} has no ETag")
        return int(info.get("ContentLength", -1))

    async def _http_head(self, key: str) -> int | None:
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
            return int(r.headers.get("Content-Length", -1))

    def _list(self, folders: list[str], sizes: dict[str, int]) -> set[str]:
        self.requests += len(folders)
        root = self.path.rstrip("/") + "/"
        found: dict[str, int] = {}
        if self.fs.protocol == "s3":  # with sizes: a listing says how long each object is
            def find(folder: str) -> Awaitable[dict[str, Any]]:
                return self.fs.fs._find(self._full(folder), detail=True)  # type: ignore[no-any-return]

            for listing in self._each(find, folders):
                found.update((p, int(i.get("size", -1))) for p, i in listing.items())
        else:
            found = dict.fromkeys(self.fs.find([self._full(f) for f in folders],
                                               batch_size=self.jobs), -1)
        return {p[len(root):] for p, n in found.items()
                if p.startswith(root) and self._fits(p[len(root):], n, sizes)}

    def _check_reachable(self) -> None:
        """Nothing found: make sure that is the remote's answer, not a bucket that is not there
        (s3fs reports keys in a missing bucket as absent)."""
        if self.fs.protocol != "s3":
            return
        bucket = self.path.split("/", 1)[0]
        self.requests += 1
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


def open_remote(root: str, name: str | None, timeout: float, jobs: int) -> Remote:
    """The remote `name` (None: the default remote) of the DVC project at `root`."""
    try:
        from dvc.config import Config, NoRemoteError
        from dvc.config import ConfigError as DvcConfigError
        from dvc.fs import get_cloud_fs
    except ImportError:
        raise ConfigError(
            "dvc-pushed needs dvc and the plugin for the remote's storage",
            "pip install 'dataward[dvc]' (dvc and dvc-s3), or dvc-gs / dvc-azure") from None
    try:
        config = Config(dvc_dir=os.path.join(root, ".dvc"))
        if not name:
            name = config["core"].get("remote")
        if not name:
            raise NoRemoteError("no default remote")
        remote_conf = config["remote"].get(name.lower())
        cls, conf, path = get_cloud_fs(config, name=name)
    except NoRemoteError:
        raise ConfigError("the DVC project has no default remote, so `dvc pull` has nowhere "
                          "to fetch from", "dvc remote add -d storage s3://BUCKET/PATH") from None
    except DvcConfigError as exc:
        raise ConfigError(f"dvc cannot use its remote configuration: {_first_line(exc)}",
                          "`dvc remote list` shows the remotes; `dvc config --list` the rest"
                          ) from None
    except ImportError as exc:  # the storage plugin (dvc-s3, dvc-gs, ...) is not installed
        raise ConfigError(f"remote '{name}' needs a dvc plugin: {_first_line(exc)}",
                          "pip install dvc-s3 (or dvc-gs, dvc-azure, dvc-ssh)") from None
    if conf.get("version_aware") or conf.get("worktree"):
        raise CouldNotCheck(f"remote '{name}' is version-aware (cloud versioning): its files "
                            "are not stored by hash, which dvc-pushed checks",
                            "check this remote with `dvc status -c` instead")
    url = str(remote_conf.get("url", path)) if remote_conf else path
    if cls.protocol in ("s3", "http", "https"):
        # DVC's own options; bounded, so a silent server cannot outlast the deadline.
        conf.setdefault("connect_timeout", max(1, int(timeout / 2)))
        conf.setdefault("read_timeout", max(1, int(timeout / 2)))
    fs = cls(**conf)
    secrets = [str(conf.get(k) or "") for k in SECRET_KEYS] + \
        [os.environ.get(k, "") for k in SECRET_ENV]
    remote = Remote(name, fs, path, url, {k: str(v) for k, v in (remote_conf or {}).items()},
                    secrets, timeout, jobs)
    if cls.protocol == "s3":
        # Fewer retries than dvc's: botocore's, then s3fs's own on top of them. A gate on
        # every push should say "unreachable" in seconds; `dvc push` will retry at length.
        fs.fs_args.setdefault("config_kwargs", {})["retries"] = {"max_attempts": 2,
                                                                "mode": "standard"}
        try:
            fs.fs.retries = 2  # makes the client: credentials are read here
        except Exception as exc:
            raise translate(exc, remote) from None
    return remote


def translate(exc: BaseException, remote: Remote) -> BaseException:
    """The reason a remote call failed, for a person: what, where, and what to try."""
    if isinstance(exc, CouldNotCheck | ConfigError | KeyboardInterrupt):
        return exc
    where = f"remote '{remote.name}' ({mask(remote.url)})"
    text = _redact(_first_line(exc), remote.secrets)
    kinds = {c.__name__ for c in type(exc).__mro__}  # aiohttp's DNS error is a connector one
    kind = type(exc).__name__
    name = remote.name
    status = getattr(exc, "status", None)  # aiohttp's ClientResponseError (HTTP remotes)
    if isinstance(status, int) and status >= 500:
        exc = OSError(errno.EREMOTEIO, f"HTTP {status} {getattr(exc, 'message', '')}".strip())
    if isinstance(exc, PermissionError) or status in (401, 403) or _code(exc) in (
            "403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch",
            "InvalidToken", "ExpiredToken"):
        return CouldNotCheck(f"{where} refused the credentials: {text}",
                             CREDENTIALS_HINT.format(name=name))
    if kind == "NoCredentialsError":
        return CouldNotCheck(f"{where}: no credentials found", CREDENTIALS_HINT.format(name=name))
    if kind == "PartialCredentialsError":
        return CouldNotCheck(f"{where}: incomplete credentials: {text}",
                             CREDENTIALS_HINT.format(name=name))
    if kinds & {"ReadTimeoutError", "ConnectTimeoutError", "TimeoutError", "FSTimeoutError",
                "ServerTimeoutError"} or isinstance(exc, TimeoutError):
        return CouldNotCheck(f"{where} did not answer in time: {text}",
                             "is the endpoint up? Retry later, or raise --timeout")
    if kinds & {"EndpointConnectionError", "ConnectionClosedError", "ClientConnectorError",
                "ServerDisconnectedError", "ClientConnectionError", "InvalidURL"} \
            or isinstance(exc, ConnectionError):
        return CouldNotCheck(f"cannot reach {where}: {text}",
                             "is the endpoint up and reachable from here (VPN, proxy)?")
    if isinstance(exc, OSError) and exc.errno == errno.EREMOTEIO:  # s3fs: a 5xx answer
        return CouldNotCheck(f"{where} answered with a server error: {exc.strerror}",
                             "the storage service is failing: retry later")
    return CouldNotCheck(f"{where} failed: {text}",
                         "retry; if it persists, `dvc status -c -v` shows the same error")


def push(root: str, targets: Sequence[str]) -> int:
    """`dvc push` of exactly these targets (each output goes to its own `remote:` or the
    default, as dvc decides); dvc's own output shows, and its exit code is returned."""
    print("$ " + shlex.join(["dvc", "push", *targets]), file=sys.stderr, flush=True)
    argv = [sys.executable, "-m", "dvc", "push", *targets]
    return subprocess.run(argv, cwd=root, check=False, stdout=sys.stderr).returncode


def _code(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return ""
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode", "")
    return str(response.get("Error", {}).get("Code", "")) or str(status)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    # botocore quotes the whole request URL; its query string says nothing a person needs.
    # Masked before it is cut: a cut URL could hide its userinfo from the mask.
    return mask_text(re.sub(r'(https?://[^\s"?]+)\?[^\s"]*', r"\1", text.splitlines()[0]))[:300]


def _redact(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        if len(secret) >= 4:
            text = text.replace(secret, "****")
    return text
