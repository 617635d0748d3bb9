"""Every file dataward reads or writes for the user goes through here.

Reads open regular files only, without blocking (a FIFO where a `.dvc` file should be would
hang a hook for ever), bounded (`--config /dev/zero` must not fill memory), and never follow a
link out of the repository (a pull request could otherwise make CI quote a runner's files).
Writes go through a unique temporary file in the target's folder and refuse targets that are
not regular files, so a link's target, a FIFO, a device or a user's own `OUTPUT.tmp` is never
replaced.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import stat

_O_READ = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
# open(O_NOFOLLOW) on a link: ELOOP (Linux, macOS), EMLINK (FreeBSD), EFTYPE (NetBSD).
_LINK_ERRNOS = frozenset(filter(None, (errno.ELOOP, errno.EMLINK, getattr(errno, "EFTYPE", 0))))
OUTSIDE = "is a link leading outside the repository; it is not read"


class Refused(OSError):
    """A file dataward will not open; `strerror` says why in words a user can act on."""

    def __init__(self, reason: str) -> None:
        super().__init__(errno.EPERM, reason)


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


@functools.lru_cache(maxsize=8)
def _real_root(root: str) -> str:
    return os.path.realpath(root)  # once per run, not once per file of a large registry


def inside(root: str, path: str) -> bool:
    """Whether `path`, links followed, stays inside the folder `root`."""
    real_root = _real_root(os.path.abspath(root))
    real = os.path.realpath(path)
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


def _written_inside(root: str, path: str) -> bool:
    """Whether `path` as written (no link followed) is inside `root`: only then is an exit
    from `root` the work of a link, which the repository's content controls."""
    base = os.path.normpath(os.path.abspath(root))
    full = os.path.normpath(os.path.abspath(path))
    return full == base or full.startswith(base.rstrip(os.sep) + os.sep)


def escapes(root: str, path: str) -> bool:
    """Whether a link (the file, or a folder on the way to it) leads `path` out of `root`."""
    return _written_inside(root, path) and not inside(root, path)


def _read_open(full: str, limit: int, flags: int = 0) -> bytes:
    fd = os.open(full, _O_READ | flags)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise Refused(f"is {_kind(mode)}, not a file")
        chunks: list[bytes] = []
        left = limit
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_capped(root: str, path: str, limit: int) -> bytes | OSError | None:
    """Up to `limit` bytes of the repository file `path`; None when it is gone (deleted, not
    yet staged as deleted); an OSError (a `Refused` one for a link leading out of `root`, a
    FIFO, a device or a folder) when it cannot or must not be read."""
    full = os.path.join(root, path)
    try:
        fast = _read_plain(root, path, full, limit)
        if not isinstance(fast, _Slow):
            return fast
        if escapes(root, full):
            if not os.path.exists(full):
                return None  # a dangling link is as good as gone
            return Refused(OUTSIDE)
        return _read_open(full, limit)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return exc


class _Slow:
    """_read_plain cannot tell: take the way that resolves every link."""


_SLOW = _Slow()
# folder -> ((st_dev, st_ino) of the folder it leads to, whether that is inside the root)
_folders: dict[tuple[str, str], tuple[tuple[int, int], bool]] = {}


def forget_folders() -> None:
    """Drop the folders `read_capped` resolved: called as each run starts (runner.execute).
    Within a run the tree is taken as it is; between runs a folder may have been moved out
    and linked back, or its inode number given to a new folder outside the root."""
    _folders.clear()


def _read_plain(root: str, path: str, full: str, limit: int) -> bytes | _Slow | None:
    """read_capped for the common case, resolving each folder's links once instead of
    once per file (os.path.realpath is most of the cost of reading a large registry): a
    plain relative path in a folder that stays inside `root`, of a file that is not itself
    a link (O_NOFOLLOW). _SLOW for anything else: links, `..`, odd errors."""
    if not _O_NOFOLLOW or os.path.isabs(path) or \
            any(part in ("", ".", "..") for part in path.split(os.sep)):
        return _SLOW
    folder = os.path.dirname(full)
    try:
        st = os.stat(folder)
    except FileNotFoundError:
        return None  # no folder, no file: links on the way or not, it is gone
    except OSError:
        return _SLOW
    # Keyed by the folder the name leads to now: a link swapped in on the way (a later
    # run in the same process) leads elsewhere and is resolved again.
    ident = (st.st_dev, st.st_ino)
    known = _folders.get((root, folder))
    if known is None or known[0] != ident:
        if len(_folders) > 4096:
            _folders.clear()
        known = _folders[(root, folder)] = (ident, inside(root, folder))
    if not known[1]:
        return _SLOW  # a link leads the folder out of the root: refused as before
    try:
        return _read_open(full, limit, _O_NOFOLLOW)
    except OSError as exc:
        if exc.errno in _LINK_ERRNOS:
            return _SLOW  # the file is a link: where it leads decides
        raise


def read_given(path: str, limit: int, root: str | None = None) -> bytes:
    """A file named on the command line (`--config`, `--catalog`, a drift report): regular
    files only, opened without blocking; more than `limit` bytes is refused, not cut. With
    `root`, a name inside `root` that a link leads out of it is refused too (`--config
    policy.toml` in a pull request's checkout must not read the runner's files)."""
    if root is not None and escapes(root, path):
        raise Refused(OUTSIDE)
    data = _read_open(path, limit + 1)
    if len(data) > limit:
        raise Refused(f"is larger than {limit // (1 << 20) or 1} MiB")
    return data


def why(exc: OSError) -> str:
    """What to say of a file that was not read: `is a FIFO, not a file`, `cannot be read:
    Permission denied`."""
    if isinstance(exc, Refused):
        return str(exc.strerror)
    return f"cannot be read: {exc.strerror or exc}"


def fix_for(path: str, exc: OSError) -> str:
    """A pasteable fix for a repository file that could not be read (`path` from the root)."""
    from shlex import quote  # only a file that could not be read needs it

    q = quote(path)
    if isinstance(exc, Refused) and exc.strerror == OUTSIDE:
        return (f"commit the file itself, not a link out of the repository: `git rm --cached "
                f"-- {q}`, then put the real file at {q}")
    if isinstance(exc, Refused):
        return f"put the real file there: `rm -- {q} && git checkout HEAD -- {q}`"
    return f"check the file's permissions: `ls -l -- {q}`"


def write_replacing(path: str, data: bytes) -> None:
    """Write `data` to `path` all at once: a unique temporary file in the same folder, renamed
    over the target. A link to a regular file is written through (the link stays); a target
    that is anything else but a regular file is refused with `Refused`."""
    target = os.path.realpath(path) if os.path.islink(path) else path
    try:
        mode: int | None = os.stat(target).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        raise Refused(f"is {_kind(mode)}; dataward writes only regular files")
    folder = os.path.dirname(target) or "."
    os.makedirs(folder, exist_ok=True)
    import tempfile  # only writers pay for it: every hook reads through this module

    fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(target)}.",
                                suffix=".dataward-tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        if mode is not None:
            os.chmod(temp, stat.S_IMODE(mode))
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temp, 0o666 & ~umask)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
