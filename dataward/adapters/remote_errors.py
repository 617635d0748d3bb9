"""Why a call to a DVC remote failed, for a person: what, where, and what to try; never a
credential. Every failure of the object store becomes one of these (exit 3, or 2)."""

from __future__ import annotations

import errno
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from dataward.errors import ConfigError, CouldNotCheck
from dataward.formats.urls import mask, mask_text

if TYPE_CHECKING:
    from dataward.adapters.object_store import Remote

CREDENTIALS_HINT = ("check the credentials dvc uses for this remote: `dvc remote modify --local "
                    "{name} access_key_id/secret_access_key`, AWS_PROFILE, or the AWS_* "
                    "environment variables; `dvc push` fails the same way")


def translate(exc: BaseException, remote: Remote) -> BaseException:
    """The reason a remote call failed, for a person: what, where, and what to try."""
    if isinstance(exc, CouldNotCheck | ConfigError | KeyboardInterrupt):
        return exc
    where = f"remote '{remote.name}' ({mask(remote.url)})"
    if "InvalidObjectState" in f"{_code(exc)} {exc}" or \
            "not valid for the object's storage class" in str(exc):  # s3fs: PermissionError
        return CouldNotCheck(f"{where}: an object it had to read is archived (a storage class "
                             "that refuses GET)", "`dvc-pushed --rev HEAD` names the archived "
                             "objects; `dvc-pushed --restore --rev HEAD` restores them")
    text = _redact(first_line(exc), remote.secrets)
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


def _code(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return ""
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode", "")
    return str(response.get("Error", {}).get("Code", "")) or str(status)


def first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    # botocore quotes the whole request URL; its query string says nothing a person needs.
    # Masked before it is cut: a cut URL could hide its userinfo from the mask.
    return mask_text(re.sub(r'(https?://[^\s"?]+)\?[^\s"]*', r"\1", text.splitlines()[0]))[:300]


def _redact(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        if len(secret) >= 4:
            text = text.replace(secret, "****")
    return text
