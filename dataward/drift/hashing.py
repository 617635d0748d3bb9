"""DVC's hashes, recomputed without DVC: file md5s, directory manifests and their `.dir` md5s.

A pure standard-library reimplementation of what `dvc add <folder>` records, so a drift scan
runs on a lab server that has no DVC (and starts fast where it has). Every rule below was read
in DVC 3's source (dvc/ignore.py, dvc_data/hashfile/{hash,istextfile,build,tree}.py) and is
checked against the real `dvc add` in tests/test_dvc_hash.py.

File md5s
  DVC 3 (`hash: md5`): md5 of the bytes.
  DVC 2 files (no `hash:` field) hold "md5-dos2unix" md5s: the file is read in 1 MiB chunks
  and CRLF is replaced by LF within a chunk (never across two) when the chunk looks like text
  (`istextblock` on its first 512 bytes). DVC 3 judges every chunk on its own
  (`Dos2UnixHashStreamFile`); DVC 1.x and 2.x judged the first chunk only and treated the
  whole file alike. The two agree for files up to 1 MiB and whenever every chunk looks like
  the first; they differ for a file whose head looks like text and whose body does not (or the
  reverse): a PDF, a FITS image, a point cloud with an ASCII header, a CSV with Windows line
  ends whose later chunks are mostly non-ASCII text. `legacy_md5` returns both.

The manifest (`walk`)
  - ignored at any depth: a file or folder named `.git`, folders named `.hg` and `.dvc`
    (DVC's default ignore patterns `.git`, `.git/`, `.hg/`, `.dvc/`);
  - a folder holding an entry named `.dvc` is a DVC repository of its own and is left out
    whole (DVC's sub-repository rule); when the collected folder itself holds one, DVC
    records an empty directory, and so do we;
  - a symlink to a file is followed (the manifest has the target's md5 under the link's
    name); a symlink to a folder is left out, not followed (os.walk without followlinks);
    a broken symlink makes `dvc add` fail with ENOENT: `walk` lists it and hashing it gives
    FileNotFoundError, so a scan reports that one file instead of stopping;
  - empty folders do not appear; names are kept as the file system returns them (NFC or
    NFD as on disk, spaces as they are);
  - a `.dvcignore` file inside the collected folder makes `dvc add` fail
    (IgnoreInCollectedDirError): `walk` raises `DvcIgnoreInCollectedDir`. `.dvcignore`
    files between the DVC repository root and the folder do change what DVC collects; their
    pattern language is not reimplemented here, so `walk` raises `DvcIgnoreUnsupported`
    when one holds a pattern (comments and blank lines are fine);
  - a folder that cannot be listed raises its OSError (DVC's os.walk skips it silently,
    which would make a partial folder look complete).

The `.dir` object is `json.dumps(sorted entries, sort_keys=True)` with entries
`{"md5": ..., "relpath": ...}`, the same in DVC 2 and 3, and the directory's md5 is the md5 of
those bytes plus ".dir".
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Callable, Mapping
from json.encoder import encode_basestring_ascii as _json_string  # what json.dumps uses
from typing import Any

DOS2UNIX_CHUNK = 2**20  # DVC reads files in 1 MiB chunks; CRLF is replaced within a chunk
TEXT_BLOCK = 512  # istextblock looks at this many bytes (dvc_data DEFAULT_CHUNK_SIZE)
READ_CHUNK = 2**20  # plain md5: 1 MiB reads were as fast as 4 or 8 MiB ones (~430 MiB/s)
PROGRESS_EVERY = 16 * 2**20  # report progress inside a large file this often
TEXT_CHARS = bytes(range(32, 127)) + b"\n\r\t\f\b"
DIR_SUFFIX = ".dir"
MANIFEST_SLICE = 10_000  # manifest entries formatted at a time by `dir_md5`
DVCIGNORE = ".dvcignore"
_IGNORED_NAMES = frozenset({".git"})  # files and folders
_IGNORED_DIRS = frozenset({".git", ".hg", ".dvc"})  # folders only
_O_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # so a FIFO in a dataset cannot hang the scan


class DvcIgnoreInCollectedDir(ValueError):
    """A `.dvcignore` file inside the folder: `dvc add` refuses such a folder too."""

    def __init__(self, folder: str) -> None:
        super().__init__(
            f"{os.path.join(folder, DVCIGNORE)}: DVC refuses a .dvcignore file inside a "
            "tracked folder (`dvc add` fails the same way); move its patterns to a "
            ".dvcignore above the folder")
        self.folder = folder


class DvcIgnoreUnsupported(ValueError):
    """A `.dvcignore` above the folder holds patterns, which DVC would apply to it."""

    def __init__(self, path: str) -> None:
        super().__init__(
            f"{path} holds ignore patterns that DVC applies to the folders below it; "
            "dataward does not reimplement them, so it cannot list the folder as DVC would")
        self.path = path


class NotRegularFile(OSError):
    """A FIFO, socket or device where a data file should be."""

    def __init__(self, path: str) -> None:
        super().__init__(errno.EINVAL, "not a regular file", path)


class LegacyMd5(str):
    """A DVC 2 ("md5-dos2unix") file hash: the value DVC 3 computes (this string), and in
    `dvc2` the one DVC 1.x/2.x computed (usually the same; see the module docstring)."""

    dvc2: str

    def __new__(cls, dvc3: str, dvc2: str | None = None) -> LegacyMd5:
        obj = super().__new__(cls, dvc3)
        obj.dvc2 = dvc2 or dvc3
        return obj

    def matches(self, recorded: str) -> bool:
        """Whether a md5 recorded in a DVC 2 file is this content, by either DVC's rule."""
        return recorded in (str(self), self.dvc2)

    def encode_state(self) -> str:
        return str(self) if self.dvc2 == self else f"{self}:{self.dvc2}"

    @classmethod
    def decode_state(cls, value: str) -> LegacyMd5:
        dvc3, _, dvc2 = value.partition(":")
        return cls(dvc3, dvc2 or None)


def istextblock(block: bytes) -> bool:
    """dvc_data's text heuristic: no NUL, and at most 30% bytes outside printable ASCII."""
    if not block:
        return True
    if b"\x00" in block:
        return False
    return len(block.translate(None, TEXT_CHARS)) / len(block) <= 0.30


# -- file hashes ------------------------------------------------------------------------------

def _open_regular(path: str) -> tuple[int, os.stat_result]:
    """An fd on a regular file (symlinks followed) and its stat; a FIFO is refused, not read.
    O_NONBLOCK stays set: it changes nothing for a regular file (and saves a system call)."""
    fd = os.open(path, _O_FLAGS | _O_NONBLOCK)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFile(path)
    except BaseException:
        os.close(fd)
        raise
    return fd, st


def _readfull(fd: int, view: memoryview) -> int:
    """Fill `view` unless the file ends first, as a buffered read(n) does."""
    got = 0
    while got < len(view):
        n = os.readv(fd, [view[got:]]) if hasattr(os, "readv") else _readinto(fd, view[got:])
        if not n:
            break
        got += n
    return got


def _readinto(fd: int, view: memoryview) -> int:  # pragma: no cover - Windows
    data = os.read(fd, len(view))
    view[: len(data)] = data
    return len(data)


def _md5_fd(fd: int, buf: bytearray, dos2unix: bool,
            on_bytes: Callable[[int], None] | None = None) -> str | LegacyMd5:
    """md5 of an open file; with dos2unix, both DVC 3's and DVC 2's md5-dos2unix.

    The two dos2unix rules share one md5 state until the first chunk they judge
    differently; only then is it copied, so the common case costs one hash, not two.
    """
    view = memoryview(buf)
    md5 = hashlib.md5(usedforsecurity=False)
    pending = 0

    def report(n: int) -> None:
        nonlocal pending
        pending += n
        if on_bytes is not None and pending >= PROGRESS_EVERY:
            on_bytes(pending)
            pending = 0

    if not dos2unix:
        while n := _readfull(fd, view):
            md5.update(view[:n])  # hashlib releases the GIL for large updates
            report(n)
        if on_bytes is not None and pending:
            on_bytes(pending)
        return md5.hexdigest()

    chunk_view = view[:DOS2UNIX_CHUNK]
    first_text: bool | None = None
    dvc2: Any = None  # DVC 2's md5 state, once it has parted from DVC 3's
    while n := _readfull(fd, chunk_view):
        text = istextblock(bytes(chunk_view[:min(n, TEXT_BLOCK)]))
        if first_text is None:
            first_text = text
        converted = bytes(chunk_view[:n]).replace(b"\r\n", b"\n") if (
            text or first_text) else None
        if dvc2 is None and text != first_text:
            dvc2 = md5.copy()
        md5.update(converted if text and converted is not None else chunk_view[:n])
        if dvc2 is not None:
            dvc2.update(converted if first_text and converted is not None else chunk_view[:n])
        report(n)
    if on_bytes is not None and pending:
        on_bytes(pending)
    return LegacyMd5(md5.hexdigest(), dvc2.hexdigest() if dvc2 is not None else None)


def hash_path(path: str, dos2unix: bool, buf: bytearray,
              on_bytes: Callable[[int], None] | None = None
              ) -> tuple[str | LegacyMd5, os.stat_result]:
    """(md5, the file's stat when it was opened).

    The stat is taken before reading, so a cache keyed on it can never hold this md5 for a
    later content: a write during the read gives the file a newer mtime than the one
    returned (and the state refuses files written just before their reading began).
    """
    fd, st = _open_regular(path)
    try:
        size = st.st_size
        if size < len(buf) and (not dos2unix or size <= DOS2UNIX_CHUNK):
            # The common case of image datasets: a small file is one read, not a loop of
            # three (each a system call and Python frames: half the time of a cold scan).
            view = memoryview(buf)
            try:
                n = os.readv(fd, [view]) if hasattr(os, "readv") else _readinto(fd, view)
            except BlockingIOError:  # a file system that honours O_NONBLOCK (some FUSE)
                n = -1
            if n == size:
                if dos2unix:
                    return _dos2unix_whole(bytes(view[:n])), st
                return hashlib.md5(view[:n], usedforsecurity=False).hexdigest(), st
            os.lseek(fd, 0, os.SEEK_SET)  # it changed since fstat: read it the long way
        if _O_NONBLOCK:
            os.set_blocking(fd, True)
        return _md5_fd(fd, buf, dos2unix, on_bytes), st
    finally:
        os.close(fd)


def _dos2unix_whole(data: bytes) -> LegacyMd5:
    """Both md5-dos2unix rules for a file of at most one chunk (they agree on it)."""
    if istextblock(data[:TEXT_BLOCK]):
        data = data.replace(b"\r\n", b"\n")
    return LegacyMd5(hashlib.md5(data, usedforsecurity=False).hexdigest())


def file_md5(path: str, dos2unix: bool = False) -> str:
    """The md5 DVC records for this file: DVC 3 `hash: md5` by default; with `dos2unix`,
    DVC 3's md5-dos2unix (what DVC 3 compares a DVC 2 file's md5 with)."""
    return str(hash_path(path, dos2unix, bytearray(READ_CHUNK))[0])


def legacy_md5(path: str) -> LegacyMd5:
    """A DVC 2 file's md5 both ways: DVC 3's md5-dos2unix, and in `.dvc2` DVC 1.x/2.x's."""
    value = hash_path(path, True, bytearray(READ_CHUNK))[0]
    assert isinstance(value, LegacyMd5)
    return value


# -- the manifest -----------------------------------------------------------------------------

def find_dvc_root(path: str) -> str | None:
    """The DVC repository holding `path` (the nearest folder above it with a `.dvc` folder,
    stopping at a mount point, as `Repo.find_root` does), or None."""
    cur = os.path.dirname(os.path.abspath(path))
    while True:
        if os.path.isdir(os.path.join(cur, ".dvc")):
            return cur
        parent = os.path.dirname(cur)
        if os.path.ismount(cur) or parent == cur:
            return None
        cur = parent


def _has_patterns(path: str) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return any(line.strip() and not line.strip().startswith("#") for line in fh)
    except FileNotFoundError:
        return False


def _check_dvcignores_above(root: str, repo_root: str | None) -> None:
    if repo_root is None:
        repo_root = find_dvc_root(root)
    if repo_root is None:
        return
    repo_root = os.path.abspath(repo_root)
    rel = os.path.relpath(os.path.dirname(root), repo_root)
    if rel.startswith(os.pardir):
        return
    folders = [repo_root]
    if rel != os.curdir:
        for part in rel.split(os.sep):
            folders.append(os.path.join(folders[-1], part))
    for folder in folders:
        candidate = os.path.join(folder, DVCIGNORE)
        if _has_patterns(candidate):
            raise DvcIgnoreUnsupported(candidate)


def walk(root: str, *, repo_root: str | None = None) -> list[str]:
    """The files `dvc add <root>` puts in the folder's manifest, as sorted POSIX relpaths.

    `repo_root` is the DVC repository the folder belongs to (found by looking for `.dvc`
    above it when not given); `.dvcignore` files from there down are checked.
    Raises DvcIgnoreInCollectedDir, DvcIgnoreUnsupported (both ValueError), or the OSError
    of a folder that cannot be listed.
    """
    root = os.path.abspath(root)
    if not os.path.isdir(root):
        raise NotADirectoryError(errno.ENOTDIR, "not a folder", root)
    _check_dvcignores_above(root, repo_root)
    if os.path.lexists(os.path.join(root, ".dvc")):
        return []  # DVC takes the folder for a repository of its own: an empty directory
    out: list[str] = []
    stack: list[tuple[str, str]] = [(root, "")]
    while stack:
        folder, prefix = stack.pop()
        with os.scandir(folder) as it:
            entries = list(it)
        files: list[str] = []
        for entry in entries:
            try:
                is_dir = entry.is_dir()  # follows symlinks, as os.walk sorts them
            except OSError:
                is_dir = False
            if not is_dir:
                if entry.name not in _IGNORED_NAMES:
                    files.append(entry.name)
                continue
            if entry.name in _IGNORED_DIRS or entry.is_symlink():
                continue  # ignored, or a symlinked folder: os.walk does not descend
            if os.path.lexists(os.path.join(entry.path, ".dvc")):
                continue  # a sub-repository
            stack.append((entry.path, f"{prefix}{entry.name}/"))
        if DVCIGNORE in files:
            raise DvcIgnoreInCollectedDir(folder)
        out.extend(prefix + name for name in files)
    out.sort()
    return out


def manifest_bytes(entries: Mapping[str, str]) -> bytes:
    """The `.dir` object DVC writes for these files (relpath -> md5), byte for byte: what
    `json.dumps([{"md5": ..., "relpath": ...}, ...], sort_keys=True)` writes, built
    without a dict per file (a million of them cost seconds and hundreds of MiB)."""
    q = _json_string  # an md5 is hex: it needs no escaping (a list joins faster than a generator)
    return ("[" + ", ".join([f'{{"md5": "{md5}", "relpath": {q(rel)}}}'
                             for rel, md5 in sorted(entries.items())]) + "]").encode("utf-8")


def dir_md5(entries: Mapping[str, str]) -> str:
    """The folder's md5 as a `.dvc` file records it: `<md5 of the manifest>.dir`."""
    # manifest_bytes, hashed in slices: a million files' manifest is 100 MB as one string,
    # and as many again in the pieces it is joined from
    md5, q = hashlib.md5(usedforsecurity=False), _json_string
    items = sorted(entries.items())
    for i in range(0, len(items), MANIFEST_SLICE):
        piece = ", ".join([f'{{"md5": "{md5_}", "relpath": {q(rel)}}}'
                           for rel, md5_ in items[i:i + MANIFEST_SLICE]])
        md5.update((("[" if i == 0 else ", ") + piece).encode("utf-8"))
    md5.update(b"]" if items else b"[]")
    return md5.hexdigest() + DIR_SUFFIX
