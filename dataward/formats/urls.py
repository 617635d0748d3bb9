"""Comparing repository and remote URLs as people write them, and masking their secrets."""

import posixpath
import re

_SCP = re.compile(r"^(?:[^@/]+@)?([^:/]+):(?!//)(.*)$")  # git@github.com:org/repo.git
# A pasted password may hold '/': take user:password up to the '@' (erring toward masking).
_URL = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://(?:([^@]*:[^@]*|[^@/]*)@)?([^/]*)(.*)$")


def repo_key(url: str) -> str:
    """One spelling per git repository: host and path, without scheme, user, `.git` or `/`.

    `https://github.com/Lab/datasets.git`, `git@github.com:Lab/datasets` and
    `ssh://git@github.com/Lab/datasets/` all give `github.com/lab/datasets`.
    """
    url = url.strip()
    m = _URL.match(url)
    if m and m.group(1).lower() != "file":
        host, path = m.group(3).lower(), m.group(4)
    elif m:
        host, path = "", m.group(3) + m.group(4)
    elif (scp := _SCP.match(url)) and len(scp.group(1)) > 1 and not url.startswith((".", "/")):
        host, path = scp.group(1).lower(), "/" + scp.group(2)
    else:
        host, path = "", url
    path = posixpath.normpath(path.rstrip("/")) if path else ""
    path = path.removesuffix(".git")
    key = host + path if host else path
    return key.lower() if host else key


def within(url: str, prefix: str) -> bool:
    """Whether `url` is `prefix` or below it, on a path boundary (`s3://lab` does not cover
    `s3://lab-evil`)."""
    url, prefix = url.rstrip("/"), prefix.rstrip("/")
    return url == prefix or url.startswith(prefix + "/")


def remote_key(url: str) -> str:
    """A remote URL with its scheme and host lower-cased, credentials and trailing `/` gone."""
    m = _URL.match(url.strip())
    if not m:
        return posixpath.normpath(url.strip()) if url.strip() else ""
    return f"{m.group(1).lower()}://{m.group(3).lower()}{m.group(4)}".rstrip("/")


def scheme(url: str) -> str:
    m = _URL.match(url.strip())
    return m.group(1).lower() if m else "local"


def has_credentials(url: str) -> bool:
    m = _URL.match(url.strip())
    return bool(m and m.group(2) and ":" in m.group(2))


def mask(url: str) -> str:
    """The URL with any password replaced by `***` (user names stay: they help find it)."""
    m = _URL.match(url.strip())
    if not m or ":" not in (m.group(2) or ""):
        return url
    user = m.group(2).split(":", 1)[0]
    return f"{m.group(1)}://{user}:***@{m.group(3)}{m.group(4)}"


def without_credentials(url: str) -> str:
    """The URL fit to publish: any `user[:password]@` of a scheme URL dropped (a token pasted
    as the user is as secret as a password). `git@host:org/repo` stays: that is no secret."""
    m = _URL.match(url.strip())
    if not m or m.group(2) is None:
        return url.strip()
    return f"{m.group(1)}://{m.group(3)}{m.group(4)}"
