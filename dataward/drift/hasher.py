"""Hashing many files at once, as a drift scan does: on threads, through the state cache.

md5 runs without the GIL, so `jobs` threads read and hash files side by side; a file whose
size, mtime and ctime the state cache (dataward.drift.state_cache) knows is not read at all.
The hash rules themselves are DVC's, in dataward.drift.hashing.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from typing import TYPE_CHECKING, NamedTuple, cast

from dataward.drift import hashing
from dataward.drift.hashing import DOS2UNIX_CHUNK, PROGRESS_EVERY, READ_CHUNK, LegacyMd5

if TYPE_CHECKING:
    from dataward.drift.state_cache import HashState

FLUSH_FILES = 256  # a worker adds its counts to the totals (and the progress) this often
SAVE_EVERY_S = 2.0  # the state is written this often during a scan


class Progress(NamedTuple):
    start: Callable[[int, int], None]  # total bytes, total files
    advance: Callable[[int, int], None]  # bytes, files done so far
    done: Callable[[], None]


class Hasher:
    """Hashes many files on `jobs` threads (md5 runs without the GIL), skipping files the
    state cache knows unchanged.

    `progress(bytes, files)` receives the totals done so far (cached files count too); it is
    called from the worker threads, one call at a time. `stats` counts what was really read.
    """

    def __init__(self, jobs: int, state: HashState | None,
                 progress: Callable[[int, int], None] | None = None,
                 fresh: Collection[str] = frozenset()) -> None:
        self.jobs = max(1, int(jobs))
        self.state = state
        self.fresh = fresh  # paths this scan hashed already (a head start): not "unchanged"
        self.progress = progress
        self._lock = threading.Lock()
        self.bytes_done = 0
        self.files_done = 0
        self.stats = {"hashed": 0, "hashed_bytes": 0, "cached": 0, "errors": 0}
        self.sizes: dict[str, int] = {}  # path -> size when `look` saw it (0: no stat)
        self._last_save = time.monotonic()

    def _advance(self, nbytes: int, nfiles: int) -> None:
        with self._lock:
            self.bytes_done += nbytes
            self.files_done += nfiles
            if self.progress is not None:
                self.progress(self.bytes_done, self.files_done)

    def look(self, paths: Sequence[str], dos2unix: bool, *, ask: bool = True) -> Batch:
        """Stat each file (recording its size in `sizes`) and answer those the state cache
        knows unchanged, here on the calling thread: a warm scan is mostly this loop, and a
        thread hand-off per file would cost more than the lookup. No progress is reported
        yet (see `finish`)."""
        batch = Batch(dos2unix)
        results, todo, sizes, stat, errors = batch.results, batch.todo, self.sizes, os.stat, 0
        fresh, hashed, hashed_bytes = self.fresh, 0, 0
        # ask=False: the state is known to hold none of these (a first scan), so a lookup
        # per file (a lock and three dicts) would only cost
        get = self.state.get if self.state is not None and ask else None
        for path in dict.fromkeys(paths):
            try:
                st = stat(path)
            except OSError as exc:
                results[path] = exc
                sizes[path] = 0
                errors += 1
                continue
            sizes[path] = size = st.st_size
            cached = get(path, st, dos2unix) if get is not None else None
            if cached is None:
                results[path] = None
                todo.append(path)
                continue
            results[path] = LegacyMd5.decode_state(cached) if dos2unix else cached
            batch.answered += 1
            batch.answered_bytes += size
            if fresh and path in fresh:
                hashed += 1
                hashed_bytes += size
        with self._lock:
            self.stats["cached"] += batch.answered - hashed
            self.stats["hashed"] += hashed
            self.stats["hashed_bytes"] += hashed_bytes
            self.stats["errors"] += errors
        return batch

    def finish(self, batch: Batch) -> dict[str, str | OSError]:
        """Hash what `look` could not answer, on `jobs` threads: path -> md5 (a LegacyMd5
        with dos2unix) or the OSError that stopped its reading, in `look`'s order.

        The state is saved every SAVE_EVERY_S seconds while hashing, by the worker whose turn
        it is (a thread writing beside them was slower: its Python work takes turns with
        theirs), and when hashing ends or is interrupted (Ctrl-C, or a job's time limit:
        SIGTERM turned into an exception by the command): a first scan cut short keeps
        what it hashed."""
        results = batch.results
        done = len(results) - len(batch.todo)
        if done:
            self._advance(batch.answered_bytes, done)
        it: Iterator[str] = iter(batch.todo)
        it_lock = threading.Lock()
        errors: list[BaseException] = []

        def work() -> None:
            buf = bytearray(max(READ_CHUNK, DOS2UNIX_CHUNK))
            tally = _Tally()

            def big_file(n: int) -> None:  # progress inside a large file, as it is read
                tally.reported += n
                self._advance(n, 0)
                self._save_if_due()

            try:
                while not errors:
                    with it_lock:
                        path = next(it, None)
                    if path is None:
                        return
                    results[path] = self._read(path, batch.dos2unix, buf, tally, big_file)
                    if tally.files >= FLUSH_FILES or tally.bytes >= PROGRESS_EVERY:
                        self._flush(tally)
            except BaseException as exc:  # not an OSError: a bug, re-raised below
                errors.append(exc)
            finally:
                self._flush(tally)

        workers = min(self.jobs, len(batch.todo))
        try:
            self._run(work, workers)
        except BaseException:  # Ctrl-C, SIGTERM: the workers stop before the save
            errors.append(KeyboardInterrupt())
            raise
        finally:  # what was hashed is saved however hashing ends
            if self.state is not None and workers:
                self.state.save()
        if errors:
            raise errors[0]
        return cast("dict[str, str | OSError]", results)

    @staticmethod
    def _run(work: Callable[[], None], workers: int) -> None:
        """`work` on this thread (one worker), or on `workers` threads."""
        if workers == 1:
            work()
        elif workers > 1:
            threads = [threading.Thread(target=work, name=f"dataward-hash-{i}", daemon=True)
                       for i in range(workers)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()

    def hash_files(self, paths: Sequence[str], dos2unix: bool) -> dict[str, str | OSError]:
        """path -> md5 (a LegacyMd5 with dos2unix) or the OSError that stopped its reading.
        Paths should be absolute (they key the state cache)."""
        return self.finish(self.look(paths, dos2unix))

    def _read(self, path: str, dos2unix: bool, buf: bytearray, tally: _Tally,
              big_file: Callable[[int], None]) -> str | OSError:
        started = time.time_ns()
        try:
            value, st = hashing.hash_path(path, dos2unix, buf, big_file)
        except OSError as exc:
            tally.files += 1
            tally.errors += 1
            return exc
        tally.files += 1
        tally.hashed += 1
        tally.bytes += st.st_size
        if self.state is not None:
            stored = value.encode_state() if isinstance(value, LegacyMd5) else value
            self.state.put(path, st, dos2unix, stored, started)
        return value

    def _flush(self, tally: _Tally) -> None:
        """A worker's counts since its last flush, into the totals and the progress (a lock
        and a progress call per file cost more than hashing a tiny file)."""
        if not (tally.files or tally.bytes):
            return
        with self._lock:
            self.stats["hashed"] += tally.hashed
            self.stats["hashed_bytes"] += tally.bytes
            self.stats["errors"] += tally.errors
            # bytes of large files were reported while they were read
            self.bytes_done += tally.bytes - tally.reported
            self.files_done += tally.files
            if self.progress is not None:
                self.progress(self.bytes_done, self.files_done)
        tally.clear()
        self._save_if_due()

    def _save_if_due(self) -> None:
        now = time.monotonic()
        if self.state is None or now - self._last_save < SAVE_EVERY_S:
            return
        with self._lock:
            if now - self._last_save < SAVE_EVERY_S:
                return  # another worker is saving
            self._last_save = now
        self.state.save()


class _Tally:
    """One worker's counts since its last flush."""

    __slots__ = ("bytes", "errors", "files", "hashed", "reported")

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.files = self.hashed = self.bytes = self.errors = self.reported = 0


class Batch:
    """Files `Hasher.look` went through: the answers so far (None: still to be read)."""

    def __init__(self, dos2unix: bool) -> None:
        self.dos2unix = dos2unix
        self.results: dict[str, str | OSError | None] = {}
        self.todo: list[str] = []
        self.answered = 0
        self.answered_bytes = 0
