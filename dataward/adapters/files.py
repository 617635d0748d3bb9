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
import shlex
import stat
import tempfile

_O_READ = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
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


def _read_open(full: str, limit: int) -> bytes:
    fd = os.open(full, _O_READ)
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
        if escapes(root, full):
            if not os.path.exists(full):
                return None  # a dangling link is as good as gone
            return Refused(OUTSIDE)
        return _read_open(full, limit)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return exc


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
    q = shlex.quote(path)
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
