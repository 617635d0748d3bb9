"""A small versioned cache under `<git common dir>/dataward/`, in the manner of dvc-data's state.

It remembers work whose inputs are content-addressed (a policy file's bytes, a `.dvc` blob
id), so hooks on every commit skip parsing and validation they have already done. Entries
are pickles written atomically; anything unreadable is treated as absent, and a failure to
write never fails a check.
"""

from __future__ import annotations

import functools
import os

from dataward import __version__

STATE_VERSION = 1


@functools.cache
def code_identity() -> str:
    """This install's code: the version, and a stamp of its files.

    Entries are pickles of dataward's own classes; between two builds of one version (an
    upgrade from a checkout, a development install) a class may gain a field, and an old
    pickle would load into it shifted. An installed wheel is stamped by its RECORD, which
    pip rewrites on every (re)install; a checkout (an editable install) by every module's
    size and modification time, so an edited module is new code. No hashlib: a hash of
    integers is the same in every process (str hashes are salted), and every hook pays this.
    """
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    record = os.path.join(os.path.dirname(package), f"dataward-{__version__}.dist-info",
                          "RECORD")
    try:
        st = os.stat(record)
    except OSError:
        return f"{__version__}+{_modules_stamp(package):x}"
    return f"{__version__}+wheel-{st.st_size}-{st.st_mtime_ns}"


def _modules_stamp(package: str) -> int:
    stamps: list[tuple[str, int, int]] = []
    todo = [package]
    while todo:
        with os.scandir(todo.pop()) as entries:
            for entry in entries:
                if entry.name.endswith(".py"):
                    st = entry.stat()
                    stamps.append((entry.path, st.st_size, st.st_mtime_ns))
                elif entry.name != "__pycache__" and entry.is_dir(follow_symlinks=False):
                    todo.append(entry.path)
    stamps.sort()
    return hash(tuple((size, mtime) for _, size, mtime in stamps)) & ((1 << 64) - 1)


class State:
    def __init__(self, common_dir: str | None) -> None:
        self.dir = (os.path.join(common_dir, "dataward", f"state-v{STATE_VERSION}")
                    if common_dir else None)

    def load(self, name: str, key: str | bytes) -> object | None:
        """The value saved under `name` if it was saved with this `key`, else None."""
        if self.dir is None or not os.path.exists(os.path.join(self.dir, name)):
            return None
        try:  # the unpickler itself: pickle.py's pure-Python twin costs every hook 2 ms
            from _pickle import load
        except ImportError:  # pragma: no cover - not CPython
            from pickle import load

        try:
            with open(os.path.join(self.dir, name), "rb") as fh:
                saved_key, version, value = load(fh)
        except Exception:  # truncated, or from an incompatible release
            return None
        return value if (saved_key, version) == (key, code_identity()) else None

    def save(self, name: str, key: str | bytes, value: object) -> None:
        if self.dir is None:
            return
        import pickle

        try:
            os.makedirs(self.dir, exist_ok=True)
            # A name no other writer picks (O_EXCL refuses one that exists); not tempfile,
            # whose import costs more than the write.
            tmp = os.path.join(self.dir, f".{name}.{os.getpid()}.{os.urandom(6).hex()}")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                pickle.dump((key, code_identity(), value), fh,
                            protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, os.path.join(self.dir, name))
        except OSError:
            pass  # a read-only .git still gets correct, only slower, checks
