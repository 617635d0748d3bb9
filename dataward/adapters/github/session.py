"""The HTTP session under the GitHub client: bounded retries of what GitHub asks to retry.

Server errors and dropped connections are retried with backoff, rate limits after the wait
GitHub names (Retry-After, the reset time), never longer than the caller allows. A write that
must not happen twice (a comment, an issue, annotations appended to a run) is not repeated once
it may have reached GitHub.
"""

from __future__ import annotations

import re
import time
from typing import Any

_RETRY_STATUS = frozenset({500, 502, 503, 504})
# Writes that must not happen twice: a new comment or issue, annotations appended to a run.
_UNREPEATABLE = re.compile(r"^POST .*/issues(/\d+/comments)?$|^PATCH .*/check-runs/\d+$")


def rate_limited(response: Any) -> bool:
    """GitHub's primary and secondary rate limits answer 403 or 429 with these signs."""
    if response is None or response.status_code not in (403, 429):
        return False
    headers = response.headers
    if response.status_code == 429 or "retry-after" in headers:
        return True
    if headers.get("x-ratelimit-remaining") == "0":
        return True
    try:
        return "rate limit" in str(response.json().get("message", "")).lower()
    except ValueError:
        return False


def _wait_for(response: Any, attempt: int, backoff: float) -> float:
    """Seconds to wait before retrying, as GitHub asks: Retry-After, else the rate-limit reset,
    else (secondary limit without a header) a minute; exponential backoff for server errors."""
    headers = response.headers
    if "retry-after" in headers:
        try:
            return max(0.0, float(headers["retry-after"]))
        except ValueError:
            return 60.0
    if headers.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in headers:
        try:
            return max(0.0, float(headers["x-ratelimit-reset"]) - time.time()) + 1.0
        except ValueError:
            return 60.0
    if response.status_code in (403, 429):
        return 60.0
    return float(backoff * 2 ** attempt)


def retrying_session(attempts: int, backoff: float, max_wait: float,
                      timeout: tuple[float, float]) -> Any:
    import requests
    from github3.session import GitHubSession

    class RetryingSession(GitHubSession):  # type: ignore[misc]
        """Retries server errors, rate limits and dropped connections, within bounds."""

        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            # A request GitHub may have carried out before failing is repeated only when a
            # repeat is harmless; creating a comment or an issue, or adding annotations, is not
            # (the callers look again before creating). Rate-limited and refused connections
            # were never carried out.
            repeatable = method.upper() == "GET" or not _UNREPEATABLE.search(
                f"{method.upper()} {url}")
            for attempt in range(attempts):
                last = attempt == attempts - 1
                try:
                    response = super().request(method, url, *args, **kwargs)
                except (requests.ConnectionError, requests.Timeout) as exc:
                    never_sent = isinstance(exc, requests.ConnectTimeout) or (
                        not isinstance(exc, requests.Timeout)
                        and "NewConnectionError" in repr(exc))
                    if last or not (repeatable or never_sent):
                        raise
                    time.sleep(backoff * 2 ** attempt)
                    continue
                retry = rate_limited(response) or (
                    repeatable and response.status_code in _RETRY_STATUS)
                if last or not retry:
                    return response
                wait = _wait_for(response, attempt, backoff)
                if wait > max_wait:
                    return response  # GitHub asks for longer than we may wait: give up now
                time.sleep(wait)
            raise AssertionError("unreachable")

    return RetryingSession(default_connect_timeout=timeout[0], default_read_timeout=timeout[1])
