"""A persistent cache of file md5s, so a re-scan of unchanged data reads nothing.

Like DVC's state database: the key is the absolute path, an entry is trusted only while the
file's (st_dev, st_ino, st_mtime_ns, st_size, st_ctime_ns) are what they were when it was
hashed, and it holds the plain md5 and the md5-dos2unix one separately.

Why SQLite (stdlib sqlite3), not a pickle or a JSON file:
  - a dataset of a million files means an index of some 100 MB; SQLite looks entries up
    where they lie and writes only what changed, where a pickle or JSON file is read whole
    at start and rewritten whole at the end;
  - every save is one transaction: a crash or a full disk leaves the previous state, never a
    torn file, and two scans at once serialise their saves (last writer wins per entry);
  - a pickle in a shared folder runs code when loaded; SQLite only ever yields data;
  - DVC keeps its own state in SQLite too.
Keep the file on a local disk: SQLite's locking is unreliable over NFS.

Tolerance: a file that is not a database (or not of this version) is moved aside to
`<name>.corrupt` (an old version's table is just dropped) and the cache starts empty; a file
that is another program's database is left alone and the cache then lives in memory only.
No SQLite error ever reaches the caller: a lookup that fails is a miss, a save that fails
returns False.

Growth: `prune(keep, under=...)` deletes the entries below a folder that the last scan did
not see (`touched` holds the paths looked up or stored since loading).

Many files: `preload(folder)` reads every entry below a folder in one query, so a scan's
100,000 lookups cost one range read (`path >= '<folder>/' AND path < '<folder>0'`) rather
than a query each; each entry is still trusted only if it matches the file's stat now, so a
snapshot that another scan overwrites meanwhile costs a re-hash, never a wrong md5. After a
preload, `prune` of that folder deletes the loaded entries not kept, by key (an unchanged
scan writes nothing); entries a concurrent scan added since the preload wait for the next.

The same-tick race: a file written again within its file system's timestamp granularity
(1 s on ext3 or HFS+, 2 s on FAT, a kernel tick on ext4) just after it was read keeps the
same mtime, so a cache would trust a stale md5. dvc-data's state has no guard against this
(its key is tokenize([st_ino, st_mtime as a float, st_size])). Here, as git does for its
index, an md5 is not cached when the file's mtime is within RACY_WINDOW_NS of the moment its
reading began (the file is simply hashed again on the next scan), nor when its stat changed
while it was read; and ctime is part of the key, so a rewrite that restores the old mtime
(`cp -p`, `rsync --inplace -t`, `touch -r`) is noticed. (A recent ctime alone, from a chmod
or a restored mtime, is no race: any later write moves the mtime away from the one kept.)
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
import threading
from collections import deque
from collections.abc import Collection
from types import TracebackType

from dataward.drift import interrupt
from dataward.drift.state_db import FILENAME, Row, open_db
from dataward.drift.state_db import sig as _sig
from dataward.drift.state_db import span as _span
from dataward.drift.state_db import str_span as _str_span

__all__ = ["FILENAME", "RACY_WINDOW_NS", "HashState"]

# Larger than any file system's timestamp granularity, plus clock skew between this machine
# and a file server.
RACY_WINDOW_NS = 5 * 10**9
_FS_ENCODING, _FS_ERRORS = sys.getfilesystemencoding(), sys.getfilesystemencodeerrors()


class HashState:
    """Use `HashState.load(path)`; thread-safe."""

    def __init__(self, path: str, conn: sqlite3.Connection | None, *,
                 check_ctime: bool = True, problem: str = "") -> None:
        self.path = path
        self.check_ctime = check_ctime
        self._open_problem = problem  # why the state is not persistent, or what was discarded
        self._write_problem = ""  # why the last save or prune failed
        self.saved = 0  # rows written since loading
        self.touched: set[str] = set()
        self._conn = conn
        self._pending: dict[bytes, Row] = {}
        self._queue: deque[tuple[str, os.stat_result, bool, str]] = deque()  # see `put`
        # What `preload` read: every entry in _range, by path as str (a scan's lookups then
        # encode nothing; the decoding is done on the preload's thread).
        self._loaded: dict[str, Row] = {}
        self._range: tuple[str, str] | None = None
        self._lock = threading.Lock()  # the dicts; taken before _db_lock, never after
        self._db_lock = threading.Lock()  # the connection: `save` writes holding it alone

    # -- opening --------------------------------------------------------------------------

    @classmethod
    def load(cls, path: str, *, check_ctime: bool = True) -> HashState:
        """The state in `path`: a folder (an existing one, or a path ending in a separator;
        the database is `FILENAME` in it) or the database file itself. Never raises for a
        missing, unreadable, locked, corrupt or old file."""
        db, conn, problem = open_db(path)
        return cls(db, conn, check_ctime=check_ctime, problem=problem)

    # -- lookups --------------------------------------------------------------------------

    def preload(self, under: str) -> bool:
        """Read every entry below the folder `under` in one query; `get` then answers for
        paths there from memory. False (and lookups stay one query each) if it failed."""
        low, high = _span(under)
        with self._lock:
            self._loaded, self._range = {}, None
            if self._conn is None:
                return False
            try:
                with self._db_lock:
                    cur = self._conn.execute(
                        "SELECT path, dev, ino, mtime_ns, size, ctime_ns, md5, md5_dos2unix "
                        "FROM hashes WHERE path >= ? AND path < ?", (low, high))
                    enc, errors = _FS_ENCODING, _FS_ERRORS
                    self._loaded = {r[0].decode(enc, errors): r[1:] for r in cur}
            except sqlite3.Error:
                self._loaded = {}
                return False
            self._range = _str_span(low, high)
            return True

    @property
    def problem(self) -> str:
        """Why hashes are not kept (or what was discarded when the state was opened), or why
        the last save or prune failed; "" when all is well (a later good save clears a
        failed one)."""
        return self._open_problem or self._write_problem

    @property
    def persistent(self) -> bool:
        """Whether the state has a database (else it lives in memory, for one scan)."""
        return self._conn is not None

    def knows_under(self, folder: str) -> bool:
        """Whether the state holds an entry for a path below `folder`."""
        low, high = _span(folder)
        span = _str_span(low, high)
        with self._lock:
            if self._queue:
                self._drain()
            if any(low <= k < high for k in self._pending):
                return True
            if self._range is not None and self._range[0] <= span[0] and span[1] <= self._range[1]:
                return any(span[0] <= p < span[1] for p in self._loaded)
            if self._conn is None:
                return False
            try:
                with self._db_lock:
                    return self._conn.execute("SELECT 1 FROM hashes WHERE path >= ? AND "
                                              "path < ? LIMIT 1", (low, high)).fetchone() \
                        is not None
            except sqlite3.Error:
                return False

    def _row(self, path: str, key: bytes) -> Row | None:
        row = self._pending.get(key)
        if row is None and self._range is not None and self._range[0] <= path < self._range[1]:
            return self._loaded.get(path)  # the preload read every entry in the range
        if row is None and self._conn is not None:
            try:
                with self._db_lock:
                    found = self._conn.execute(
                        "SELECT dev, ino, mtime_ns, size, ctime_ns, md5, md5_dos2unix "
                        "FROM hashes WHERE path = ?", (key,)).fetchone()
            except sqlite3.Error:
                return None
            row = tuple(found) if found is not None else None
        return row

    def get(self, path: str, st: os.stat_result, dos2unix: bool) -> str | None:
        """The md5 stored for `path` if the file is as it was (`st`: its os.stat now)."""
        with self._lock:  # a scan calls this for every file: _row inlined
            if self._queue:
                self._drain()
            self.touched.add(path)
            pending = self._pending
            key = path.encode(_FS_ENCODING, _FS_ERRORS) if pending else b""  # os.fsencode
            row = pending.get(key) if pending else None
            if row is None:
                span = self._range
                if span is not None and span[0] <= path < span[1]:
                    row = self._loaded.get(path)
                else:
                    row = self._row(path, key or path.encode(_FS_ENCODING, _FS_ERRORS))
        if row is None or row[2] != st.st_mtime_ns or row[3] != st.st_size or (
                self.check_ctime and row[4] != st.st_ctime_ns) or (
                (row[0] != st.st_dev or row[1] != st.st_ino) and row[:2] != _sig(st)[:2]):
            return None  # (_sig: a dev or inode number past 2**63 is kept negative)
        value = row[6] if dos2unix else row[5]
        return value or None

    def put(self, path: str, st: os.stat_result, dos2unix: bool, md5: str,
            started_ns: int) -> bool:
        """Remember `md5` for `path`, read from a file whose stat was `st` when it was
        opened, with reading begun at `started_ns` (time.time_ns()). Returns False when the file was
        modified too recently to be trusted (see the module docstring); it is then hashed
        again next time."""
        if st.st_mtime_ns >= started_ns - RACY_WINDOW_NS:
            with self._lock:
                self.touched.add(path)
            return False
        # Queued, not stored: the hashing thread only appends (deque.append is atomic);
        # the rest is done by whoever reads next, usually the write-behind thread.
        self._queue.append((path, st, dos2unix, md5))
        return True

    def _drain(self) -> None:
        """Store what `put` queued. Called holding `_lock`."""
        queue, pending, loaded, span = self._queue, self._pending, self._loaded, self._range
        enc, errors, touched = _FS_ENCODING, _FS_ERRORS, self.touched
        while queue:
            path, st, dos2unix, md5 = queue.popleft()
            touched.add(path)
            key, sig = path.encode(enc, errors), _sig(st)  # os.fsencode, without its checks
            old = pending.get(key)
            if old is None:
                old = loaded.get(path) if span is not None and span[0] <= path < span[1] \
                    else self._row(path, key)
            plain, d2u = (old[5], old[6]) if old is not None and old[:5] == sig else (None,
                                                                                      None)
            if dos2unix:
                d2u = md5
            else:
                plain = md5
            pending[key] = (*sig, plain, d2u)

    # -- writing --------------------------------------------------------------------------

    def save(self) -> bool:
        """Write what `put` stored, in one transaction. False if it could not be written
        (the state is then simply not updated). `put` and `get` go on meanwhile: the rows
        are taken from `_pending` first and written without holding the state's lock."""
        with self._lock:
            self._drain()
            if self._conn is None:
                return False
            rows, self._pending = self._pending, {}
            if not rows:
                return True
            if self._range is not None:  # what `get` answers from: those rows, from now
                low, high = self._range
                enc, errors, loaded = _FS_ENCODING, _FS_ERRORS, self._loaded
                for k, r in rows.items():
                    path = k.decode(enc, errors)
                    if low <= path < high:
                        loaded[path] = r
        with interrupt.held():  # SIGTERM waits for the transaction: the rows stay whole
            try:
                with self._db_lock:
                    problem = self._write(rows)
            except BaseException:
                problem = "interrupted"
                raise
            finally:
                if problem:
                    with self._lock:
                        rows.update(self._pending)  # kept for a later save; newer puts win
                        self._pending = rows
                        self._write_problem = problem
            if problem:
                return False
            self._write_problem = ""
            self.saved += len(rows)
            return True

    def _write(self, rows: dict[bytes, Row]) -> str:
        """Called holding `_db_lock`; why the rows could not be written, or ""."""
        if self._conn is None:
            return f"could not save {self.path}: it was closed"
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.executemany(
                "INSERT OR REPLACE INTO hashes VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(key, *row) for key, row in rows.items()])
            self._conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            return f"could not save {self.path}: {exc}"
        except BaseException:
            self._rollback()
            raise
        return ""

    def prune(self, keep: Collection[str], *, under: str | None = None) -> int:
        """Forget every entry not in `keep` (below the folder `under` only, if given), e.g.
        `state.prune(state.touched, under=root)` after a scan of `root`. Returns how many
        entries were deleted (-1 if the state could not be written)."""
        where, low, high = "", b"", b""
        args: tuple[bytes, ...] = ()
        if under is not None:
            low, high = _span(under)
            where, args = "path >= ? AND path < ? AND ", (low, high)
        with self._lock, self._db_lock:
            self._drain()
            if under is not None and self._range is not None and (
                    self._range[0] <= _str_span(low, high)[0]
                    and _str_span(low, high)[1] <= self._range[1]):
                return self._prune_loaded(keep, low, high)
            keep_keys = {os.fsencode(p) for p in keep}
            for key in [k for k in self._pending
                        if k not in keep_keys and (under is None or low <= k < high)]:
                del self._pending[key]
            if self._conn is None:
                return -1
            self._loaded, self._range = {}, None  # deleted below: no longer what is on disk
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                self._conn.execute(
                    "CREATE TEMP TABLE IF NOT EXISTS keep_paths (path BLOB PRIMARY KEY)")
                self._conn.execute("DELETE FROM keep_paths")
                self._conn.executemany("INSERT OR IGNORE INTO keep_paths VALUES (?)",
                                       [(k,) for k in keep_keys])
                cur = self._conn.execute(
                    f"DELETE FROM hashes WHERE {where}"
                    "path NOT IN (SELECT path FROM keep_paths)", args)
                deleted = cur.rowcount
                self._conn.execute("DELETE FROM keep_paths")
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                self._write_problem = f"could not prune {self.path}: {exc}"
                return -1
            return deleted

    def _prune_loaded(self, keep: Collection[str], low: bytes, high: bytes) -> int:
        """prune's work when the range was preloaded: delete by key the loaded entries not
        kept, and write nothing when there are none. Called holding both locks."""
        enc, errors = _FS_ENCODING, _FS_ERRORS  # k.decode(...) is os.fsdecode(k)
        for key in [k for k in self._pending
                    if low <= k < high and k.decode(enc, errors) not in keep]:
            del self._pending[key]
        low_s, high_s = _str_span(low, high)
        doomed = [p for p in self._loaded if low_s <= p < high_s and p not in keep]
        if not doomed:
            return 0
        if self._conn is None:  # pragma: no cover - a preload needs the database
            return -1
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            cur = self._conn.executemany("DELETE FROM hashes WHERE path = ?",
                                         [(p.encode(enc, errors),) for p in doomed])
            deleted = cur.rowcount
            self._conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            self._write_problem = f"could not prune {self.path}: {exc}"
            return -1
        for k in doomed:
            del self._loaded[k]
        return deleted

    def __len__(self) -> int:
        """Entries saved (not counting those waiting for `save`)."""
        with self._lock, self._db_lock:
            if self._conn is None:
                return 0
            try:
                return int(self._conn.execute("SELECT COUNT(*) FROM hashes").fetchone()[0])
            except sqlite3.Error:
                return 0

    def _rollback(self) -> None:
        assert self._conn is not None
        with contextlib.suppress(sqlite3.Error):
            self._conn.execute("ROLLBACK")

    def close(self) -> None:
        """Close the database; what was not saved is dropped."""
        with self._lock, self._db_lock:
            self._loaded, self._range = {}, None
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> HashState:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
