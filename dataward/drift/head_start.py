"""A drift scan's head start: what needs only `--root` and `--state`, begun on a thread the
moment the command starts, while pydantic is imported and the catalog is built from git (a
third of a second that `md5sum` does not spend, and all of a small scan's overhead):

  - the hash state is opened and the root's entries read in one query (HashState.preload);
  - when the state knows nothing under the root (a first scan, or --no-state: the state is
    then kept in memory only), the large files of the root's folders (BIG) are hashed in
    path order, plain md5 as DVC 3 records it, one at a time, into the state.

`stop` (when the catalog is ready) lets the file being read finish; the scan's own lookups
then find those hashes in the state, and `fresh` says they were read by this scan (counted
as hashed, not as unchanged). A warm state is only preloaded: a thread stat-ing what the
scan will stat again would slow the imports it overlaps (they hold the GIL). Files the scan
turns out not to need (a checkout's docs, datasets outside --datasets, a DVC 2 dataset's
plain md5s) cost at most the head start's own time.

Imports no pydantic, dvc or yaml: that is what it runs beside.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator

from dataward.drift import hashing
from dataward.drift.hashing import READ_CHUNK
from dataward.drift.state_cache import HashState

SKIP = frozenset({".git", ".dvc", ".github", ".hg"})  # scan.NOT_DATA, without its imports
# Only files this large are hashed ahead: md5 and reads run without the GIL, so they overlap
# the imports; a small file is mostly Python, which would only take turns with them.
BIG = 256 << 10
SMALL_RUN = 2000  # this many small files in a row: a dataset of small files, give up


class HeadStart:
    """Call `stop()` before using `state`; `stop` is idempotent."""

    def __init__(self, root: str, state_file: str | None) -> None:
        self.root = os.path.abspath(root)
        # --no-state: a state in memory only, so the head start's hashes reach the scan
        self.state = HashState.load(state_file) if state_file else HashState("", None)
        self.fresh: set[str] = set()  # paths hashed here, in the state now
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dataward-head-start",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> HashState:
        self._stop.set()
        self._thread.join()
        return self.state

    def _run(self) -> None:
        if self.state.persistent and not self.state.preload(self.root):
            return  # one query per file from here: no time to win
        if self.state.knows_under(self.root):
            return
        buf = bytearray(READ_CHUNK)
        put, fresh, stopped = self.state.put, self.fresh, self._stop.is_set

        def read(n: int) -> None:  # called every 16 MiB of a large file
            if stopped():
                raise _Abandoned  # `stop` waits for no large file: the scan reads it

        small = 0
        for path in _files(self.root):
            if stopped():
                return
            try:
                if os.stat(path).st_size < BIG:
                    small += 1
                    if small >= SMALL_RUN:
                        return  # small files: the scan's own loop does them best
                    continue
            except OSError:
                continue
            small = 0
            started = time.time_ns()
            try:
                value, st = hashing.hash_path(path, False, buf, read)
            except OSError:
                continue  # the scan meets it again and reports it
            except _Abandoned:
                return
            if put(path, st, False, str(value), started):
                fresh.add(path)


class _Abandoned(Exception):
    """The head start was stopped in the middle of a large file."""


def _files(root: str) -> Iterator[str]:
    """The files below the root's folders, in the scan's order (sorted paths)."""
    try:
        names = sorted(os.listdir(root))
    except OSError:
        return
    for name in names:
        folder = os.path.join(root, name)
        if name in SKIP or name.startswith(".") or not os.path.isdir(folder) \
                or os.path.islink(folder):
            continue
        try:
            rels = hashing.walk(folder, repo_root=root)
        except (OSError, ValueError):
            continue  # the scan says why
        base = os.path.join(folder, "")
        for rel in rels:
            yield base + (rel if os.sep == "/" else rel.replace("/", os.sep))
