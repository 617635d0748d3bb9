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
    """This install's code: the version, and every module's size and modification time.

    Entries are pickles of dataward's own classes; between two builds of one version (an
    upgrade from a checkout, a development install) a class may gain a field, and an old
    pickle would load into it shifted. About a millisecond, once per process.
    """
    import hashlib

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    digest = hashlib.sha1(__version__.encode())
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if d != "__pycache__")
        for name in sorted(f for f in files if f.endswith(".py")):
            st = os.stat(os.path.join(folder, name))
            digest.update(f"{folder}/{name}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return f"{__version__}+{digest.hexdigest()[:16]}"


class State:
    def __init__(self, common_dir: str | None) -> None:
        self.dir = (os.path.join(common_dir, "dataward", f"state-v{STATE_VERSION}")
                    if common_dir else None)

    def load(self, name: str, key: str) -> object | None:
        """The value saved under `name` if it was saved with this `key`, else None."""
        if self.dir is None or not os.path.exists(os.path.join(self.dir, name)):
            return None
        import pickle

        try:
            with open(os.path.join(self.dir, name), "rb") as fh:
                saved_key, version, value = pickle.load(fh)
        except Exception:  # truncated, or from an incompatible release
            return None
        return value if (saved_key, version) == (key, code_identity()) else None

    def save(self, name: str, key: str, value: object) -> None:
        if self.dir is None:
            return
        import pickle
        import tempfile

        try:
            os.makedirs(self.dir, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=f".{name}.")
            with os.fdopen(fd, "wb") as fh:
                pickle.dump((key, code_identity(), value), fh,
                            protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, os.path.join(self.dir, name))
        except OSError:
            pass  # a read-only .git still gets correct, only slower, checks
