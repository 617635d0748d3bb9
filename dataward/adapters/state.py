"""A small versioned cache under `<git common dir>/dataward/`, in the manner of dvc-data's state.

It remembers work whose inputs are content-addressed (a policy file's bytes, a `.dvc` blob
id), so hooks on every commit skip parsing and validation they have already done. Entries
are pickles written atomically; anything unreadable is treated as absent, and a failure to
write never fails a check.
"""

from __future__ import annotations

import os

from dataward import __version__

STATE_VERSION = 1


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
        return value if (saved_key, version) == (key, __version__) else None

    def save(self, name: str, key: str, value: object) -> None:
        if self.dir is None:
            return
        import pickle
        import tempfile

        try:
            os.makedirs(self.dir, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=f".{name}.")
            with os.fdopen(fd, "wb") as fh:
                pickle.dump((key, __version__, value), fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, os.path.join(self.dir, name))
        except OSError:
            pass  # a read-only .git still gets correct, only slower, checks
