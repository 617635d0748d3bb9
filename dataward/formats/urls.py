"""Comparing repository and remote URLs as people write them, and masking their secrets.

One parser (`_parts`) splits every scheme URL into scheme, user information and the rest;
`mask`, `repo_key`, `remote_key` and `scheme` all use it, so what is masked is exactly what
the keys leave out.
"""

import posixpath
import re

_SCP = re.compile(r"^(?:[^@/]+@)?([^:/]+):(?!//)(.*)$")  # git@github.com:org/repo.git
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://")
# A host, an IPv6 host in brackets, either with a port that can be one (1 to 5 digits).
_HOST_PORT = re.compile(r"^(?:\[[^\]]*\]|[^:\[\]]*)(?::(\d{1,5}))?$")
# Query parameters whose values are secrets: `?token=`, Azure's `sig=`, S3's presigned
# `X-Amz-Signature=` and `X-Amz-Credential=`, `password=`, `access_key=` and the like
# (matched anywhere in the name).
_SECRET_PARAM = re.compile(r"token|sig|secret|pass|pwd|key|auth|credential|session|code",
                           re.IGNORECASE)
_SSH = ("ssh", "git+ssh", "ssh+git", "sftp")
MASK = "***"


def _is_host(head: str, after: str) -> bool:
    """Whether `head` is a host, or host:port, followed by the path segment `after`. A port
    followed by an `@` in the first segment is rather a password (`user:1234/5@host`)."""
    m = _HOST_PORT.match(head)
    return m is not None and (not m.group(1) or (int(m.group(1)) <= 65535 and "@" not in after))


def _split_userinfo(rest: str) -> tuple[str | None, str]:
    """`rest` (after `scheme://`) as (userinfo or None, the rest from the host on).

    People paste passwords holding raw `@` and `/`, so once there is user information (an
    `@` before the first `/`, or a first segment that is no host nor host:port, as in
    `user:pa/ss@host`) it ends at the last `@` before the query. That errs toward masking:
    `https://u:p@cloud/dav/ada@lab/x` shows as `https://***@lab/x`, no part of a password.
    A URL whose first segment is a host keeps an `@` in its path (`s3://b/ada@lab/x`).
    """
    first = rest.find("@")
    if first < 0:
        return None, rest
    head, _, path = rest.partition("/")
    if "@" not in head and _is_host(head, path.split("/", 1)[0]):
        return None, rest
    ends = [i for i in (rest.find("?", first), rest.find("#", first)) if i >= 0]
    at = rest.rindex("@", 0, min(ends) if ends else len(rest))
    return rest[:at], rest[at + 1:]


def _parts(url: str) -> tuple[str, str | None, str] | None:
    """(scheme, userinfo or None, host and the rest) of a scheme URL; None for anything else
    (a local path, the scp form `git@host:org/repo`)."""
    text = url.strip()
    m = _SCHEME.match(text)
    if not m:
        return None
    userinfo, rest = _split_userinfo(text[m.end():])
    return m.group(1), userinfo, rest


def _host_path(rest: str) -> tuple[str, str]:
    slash = rest.find("/")
    return (rest, "") if slash < 0 else (rest[:slash], rest[slash:])


def repo_key(url: str) -> str:
    """One spelling per git repository: host and path, without scheme, user, `.git` or `/`.

    `https://github.com/Lab/datasets.git`, `git@github.com:Lab/datasets` and
    `ssh://git@github.com/Lab/datasets/` all give `github.com/lab/datasets`.
    """
    url = url.strip()
    parts = _parts(url)
    if parts and parts[0].lower() != "file":
        host, path = _host_path(parts[2])
        host = host.lower()
    elif parts:
        host, path = "", parts[2]
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
    parts = _parts(url)
    if not parts:
        return posixpath.normpath(url.strip()) if url.strip() else ""
    host, path = _host_path(parts[2])
    return f"{parts[0].lower()}://{host.lower()}{path}".rstrip("/")


def scheme(url: str) -> str:
    parts = _parts(url)
    return parts[0].lower() if parts else "local"


def has_credentials(url: str) -> bool:
    """Whether the URL carries a secret: a password, a user on a scheme that takes tokens as
    users, or a query value named like a token or a signature."""
    return mask(url) != url.strip()


def _mask_params(params: str) -> str:
    out = []
    for part in params.split("&"):
        name, eq, value = part.partition("=")
        out.append(f"{name}={MASK}" if eq and value and _SECRET_PARAM.search(name) else part)
    return "&".join(out)


def _mask_query(tail: str) -> str:
    """Secret values of the query, and of a fragment written as one (`#access_token=`)."""
    before, hash_, fragment = tail.partition("#")
    path, q, query = before.partition("?")
    return path + q + _mask_params(query) + hash_ + _mask_params(fragment)


def mask(url: str) -> str:
    """The one way a URL is shown or published: user information and secret query values
    replaced by `***`.

    Every user of a scheme URL goes (a token pasted as the user of an HTTP or WebDAV remote,
    or an S3 key id as `s3://KEYID:SECRET@bucket`, is as secret as a password), except a
    password-less user of ssh, which carries no secret (`ssh://git@host/x` stays). `git@host:
    org/repo` (scp form) stays too. Text that is no URL comes back as it is.
    """
    parts = _parts(url)
    if not parts:
        return url
    scheme_, userinfo, tail = parts
    tail = _mask_query(tail)
    if userinfo is None:
        return f"{scheme_}://{tail}"
    if ":" not in userinfo and scheme_.lower() in _SSH:
        return f"{scheme_}://{userinfo}@{tail}"
    return f"{scheme_}://{MASK}@{tail}"


# A URL in free text runs to the next space or double quote: a password may hold `)`, `]` or
# `'`, and what follows the URL (`')`, `",`) only ever lands in its path, which mask keeps.
_URL_IN_TEXT = re.compile(r"(?<![a-zA-Z0-9+.-])[a-zA-Z][a-zA-Z0-9+.-]*://[^\s\"<>`]+")


_TRAILING = re.compile(r"['\)\]}]+[.,;:!?]*$|[.,;:!?]+$")


def _mask_run(run: str) -> str:
    """One run of text from a `scheme://` to a space: two URLs without a space between them
    (`['https://a:b@h', 'https://c:d@h']` without spaces) are masked one by one."""
    inner = _URL_IN_TEXT.search(run, 1)
    # A `scheme://` inside a password (`http://u:a0000://@h`) may be no second URL: with an
    # `@` anywhere in the run, it is masked as one URL, up to its last `@` (no part of a
    # password shown, at worst a host hidden too); without one, URL by URL.
    if inner is not None and "@" not in run:
        return _mask_run(run[:inner.start()]) + _mask_run(run[inner.start():])
    # Punctuation after the URL (`'https://h/?sig=x':`) is the sentence's, not a query value's.
    end = _TRAILING.search(run)
    cut = end.start() if end else len(run)
    return mask(run[:cut]) + run[cut:]


def mask_text(text: str) -> str:
    """Free text (an error from boto or DVC, a log line) with every URL in it masked."""
    return _URL_IN_TEXT.sub(lambda m: _mask_run(m.group(0)), text)


def public(url: str) -> str:
    """`mask(url)` with the masked user information left out: the URL a published `dvc
    import` or `git clone` command holds, which works when pasted (git asks the user's
    credential helper) where `https://***@host/...` would not."""
    shown = mask(url)
    scheme_, sep, rest = shown.partition("://")
    if sep and rest.startswith(MASK + "@"):
        return f"{scheme_}://{rest[len(MASK) + 1:]}"
    return shown
