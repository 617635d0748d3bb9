"""One GET over HTTP(S): a published catalog.json (GitHub Pages, an S3 website, a lab web
server), read where jobs run without git or DVC. Bounded in size and time; every error names
the URL masked (dataward.formats.urls.mask), never its credentials."""

from __future__ import annotations

from dataward.errors import CouldNotCheck

SCHEMES = ("http://", "https://")


def is_url(text: str) -> bool:
    return text.lower().startswith(SCHEMES)


def fetch(url: str, limit: int, timeout: float) -> bytes:
    """The body of a 200 answer, at most `limit` bytes; CouldNotCheck (exit 3) for anything
    else: the network, an HTTP error, a body over the limit."""
    import urllib.error
    import urllib.request

    from dataward.formats.urls import mask

    shown = mask(url)
    target, headers = _with_basic_auth(url)
    request = urllib.request.Request(target, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            body: bytes = answer.read(limit + 1)
    except urllib.error.HTTPError as exc:
        raise CouldNotCheck(f"{shown}: HTTP {exc.code} {exc.reason}",
                            "check the URL: the catalog is published as catalog.json") from None
    except (TimeoutError, urllib.error.URLError, OSError) as exc:
        why = getattr(exc, "reason", None) or exc
        raise CouldNotCheck(f"{shown}: cannot be read ({mask(str(why))})",
                            "check the network (and https_proxy) from this machine") from None
    if len(body) > limit:
        raise CouldNotCheck(f"{shown}: over {limit >> 20} MiB, too large for a catalog",
                            "point at the catalog.json that `dataward catalog build` wrote")
    return body


def _with_basic_auth(url: str) -> tuple[str, dict[str, str]]:
    """The URL without its `user:password@` (urllib would take them for the host name) and
    the headers, with HTTP Basic authentication when the URL carried credentials."""
    import base64
    from urllib.parse import unquote, urlsplit, urlunsplit

    headers = {"User-Agent": "dataward", "Accept": "application/json"}
    parts = urlsplit(url)
    if parts.username is None:
        return url, headers
    user, password = unquote(parts.username), unquote(parts.password or "")
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    headers["Authorization"] = f"Basic {token}"
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=host)), headers
