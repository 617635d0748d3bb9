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
import subprocess
import sys
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from dataward.errors import ConfigError, CouldNotCheck
from dataward.formats.dvc_config import SECRET_KEYS
from dataward.formats.urls import mask

T = TypeVar("T")
_USERINFO = re.compile(r"(\w+://[^/\s:@]+:)[^@\s/]+@")
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
    `ab/cdef...` for DVC 2 (legacy) ones.
    """

    def __init__(self, name: str, fs: Any, path: str, url: str, identity: str,
                 secrets: Sequence[str], timeout: float, jobs: int) -> None:
        self.name, self.fs, self.path, self.url = name, fs, path, url
        self.identity = identity
        self.secrets = [s for s in secrets if s]
        self.timeout, self.jobs = timeout, jobs
        self.requests = 0  # how many existence checks or listings were sent

    def present(self, keys: Iterable[str]) -> set[str]:
        """The keys the remote holds. Per prefix folder, one listing or one request per key,
        whichever costs fewer requests; at most `jobs` requests at a time."""
        return self._bounded(lambda: self._present(sorted(set(keys))))

    def read(self, keys: Sequence[str]) -> dict[str, bytes | None]:
        """Small objects' bytes (`.dir` manifests), None for those the remote lacks."""
        def cat(key: str) -> bytes | None:
            try:
                data: bytes = self.fs.cat_file(self._full(key))
            except FileNotFoundError:
                return None
            return data

        def cat_all() -> dict[str, bytes | None]:
            from concurrent.futures import ThreadPoolExecutor

            self.requests += len(keys)
            with ThreadPoolExecutor(max_workers=max(1, min(self.jobs, len(keys)))) as pool:
                return dict(zip(keys, pool.map(cat, keys), strict=True))

        return self._bounded(cat_all) if keys else {}

    def upload(self, files: dict[str, str]) -> int:
        """Copy objects from local files (the DVC cache) to these keys; how many were sent."""
        def put_all() -> int:
            for key, local in sorted(files.items()):
                self.requests += 1
                self.fs.put_file(local, self._full(key))
            return len(files)

        if not files:
            return 0
        try:  # no deadline: an upload takes as long as the data is large
            return put_all()
        except Exception as exc:
            raise translate(exc, self) from None

    def _present(self, keys: list[str]) -> set[str]:
        groups: dict[str, list[str]] = defaultdict(list)
        for key in keys:
            groups[key.rpartition("/")[0]].append(key)
        order = sorted(groups, key=lambda g: (-len(groups[g]), g))
        found: set[str] = set()
        pages: int | None = None
        if order and len(groups[order[0]]) > 1:
            # List the fullest folder first: its size tells what a listing costs elsewhere.
            first_folder = order.pop(0)
            listed = self._list([first_folder])
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
            found |= self._list(to_list)
        if to_head and pages is None:
            # Nothing asked yet: one request alone first, so a broken remote fails once
            # (after its retries) instead of once per object in flight.
            first = to_head.pop(0)
            if self._exist([first])[0]:
                found.add(first)
        if to_head:
            found.update(k for k, there in zip(to_head, self._exist(to_head), strict=True)
                         if there)
        wanted = set(keys)
        found &= wanted
        if not found and keys:
            self._check_reachable()
        return found

    def _exist(self, keys: list[str]) -> list[bool]:
        """One existence request per key, `jobs` at a time."""
        self.requests += len(keys)
        if self.fs.protocol == "s3":
            return self._s3_heads(keys)
        answers: list[bool] = self.fs.exists([self._full(k) for k in keys],
                                             batch_size=self.jobs)
        return answers

    def _s3_heads(self, keys: list[str]) -> list[bool]:
        """HEAD each object. s3fs's `exists` follows a miss with a listing (is it a folder?):
        two requests per missing object, the second a listing; a content-addressed key is
        never a folder, so one HEAD answers."""
        import asyncio

        from fsspec.asyn import sync

        s3 = self.fs.fs

        async def heads() -> list[bool]:
            limit = asyncio.Semaphore(self.jobs)

            async def head(key: str) -> bool:
                bucket, _, name = self._full(key).partition("/")
                async with limit:
                    try:
                        await s3._call_s3("head_object", Bucket=bucket, Key=name)
                    except FileNotFoundError:
                        return False
                return True

            return list(await asyncio.gather(*(head(k) for k in keys)))

        answers: list[bool] = sync(s3.loop, heads)
        return answers

    def _list(self, folders: list[str]) -> set[str]:
        self.requests += len(folders)
        root = self.path.rstrip("/") + "/"
        paths = self.fs.find([self._full(f) for f in folders], batch_size=self.jobs)
        return {p[len(root):] for p in paths if p.startswith(root)}

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
    if cls.protocol == "s3":
        # DVC's own options; bounded, so a silent server cannot outlast the deadline.
        conf.setdefault("connect_timeout", max(1, int(timeout / 2)))
        conf.setdefault("read_timeout", max(1, int(timeout / 2)))
    fs = cls(**conf)
    from dataward.formats.dvc_config import identity

    secrets = [str(conf.get(k) or "") for k in SECRET_KEYS] + \
        [os.environ.get(k, "") for k in SECRET_ENV]
    remote = Remote(name, fs, path, url, identity({k: str(v) for k, v in
                                                   (remote_conf or {}).items()}),
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
    kind = type(exc).__name__
    name = remote.name
    if isinstance(exc, PermissionError) or _code(exc) in ("403", "AccessDenied",
                                                          "InvalidAccessKeyId",
                                                          "SignatureDoesNotMatch",
                                                          "InvalidToken", "ExpiredToken"):
        return CouldNotCheck(f"{where} refused the credentials: {text}",
                             CREDENTIALS_HINT.format(name=name))
    if kind == "NoCredentialsError":
        return CouldNotCheck(f"{where}: no credentials found", CREDENTIALS_HINT.format(name=name))
    if kind == "PartialCredentialsError":
        return CouldNotCheck(f"{where}: incomplete credentials: {text}",
                             CREDENTIALS_HINT.format(name=name))
    if kind in ("ReadTimeoutError", "ConnectTimeoutError", "TimeoutError", "FSTimeoutError") \
            or isinstance(exc, TimeoutError):
        return CouldNotCheck(f"{where} did not answer in time: {text}",
                             "is the endpoint up? Retry later, or raise --timeout")
    if kind in ("EndpointConnectionError", "ConnectionClosedError", "ClientConnectorError",
                "ServerDisconnectedError") or isinstance(exc, ConnectionError):
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
    print("$ dvc push " + " ".join(targets), file=sys.stderr, flush=True)
    argv = [sys.executable, "-m", "dvc", "push", *targets]
    return subprocess.run(argv, cwd=root, check=False, stdout=sys.stderr).returncode


def _code(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        error = response.get("Error", {})
        status = str(response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
        return str(error.get("Code", "")) or status
    return ""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    # botocore quotes the whole request URL; its query string says nothing a person needs.
    return re.sub(r'(https?://[^\s"?]+)\?[^\s"]*', r"\1", text.splitlines()[0])[:300]


def _redact(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        if len(secret) >= 4:
            text = text.replace(secret, "****")
    return _USERINFO.sub(r"\1***@", text)
