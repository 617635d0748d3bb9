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
from collections.abc import Collection
from types import TracebackType

STATE_VERSION = 1
FILENAME = "dvc-hash-state.sqlite3"
APPLICATION_ID = 0x44574853  # "DWHS": marks the file as ours
# Larger than any file system's timestamp granularity, plus clock skew between this machine
# and a file server.
RACY_WINDOW_NS = 5 * 10**9
_FS_ENCODING, _FS_ERRORS = sys.getfilesystemencoding(), sys.getfilesystemencodeerrors()

_SCHEMA = """
CREATE TABLE IF NOT EXISTS hashes (
    path BLOB PRIMARY KEY,
    dev INTEGER NOT NULL, ino INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    size INTEGER NOT NULL, ctime_ns INTEGER NOT NULL,
    md5 TEXT, md5_dos2unix TEXT
) WITHOUT ROWID
"""
_Sig = tuple[int, int, int, int, int]
_Row = tuple[int, int, int, int, int, "str | None", "str | None"]


def _i64(n: int) -> int:
    """SQLite integers are signed 64-bit; inode and device numbers may use the top bit."""
    n &= 2**64 - 1
    return n - 2**64 if n >= 2**63 else n


def _sig(st: os.stat_result) -> _Sig:
    dev, ino = st.st_dev, st.st_ino
    if dev >= 2**63 or ino >= 2**63 or dev < 0 or ino < 0:
        dev, ino = _i64(dev), _i64(ino)
    return (dev, ino, st.st_mtime_ns, st.st_size, st.st_ctime_ns)


def _span(folder: str) -> tuple[bytes, bytes]:
    """The keys of the paths below `folder`: [low, high) ("<folder>/" up to "<folder>0")."""
    low = os.fsencode(os.path.join(os.path.abspath(folder), ""))
    return low, low[:-1] + bytes([low[-1] + 1])


class HashState:
    """Use `HashState.load(path)`; thread-safe."""

    def __init__(self, path: str, conn: sqlite3.Connection | None, *,
                 check_ctime: bool = True, problem: str = "") -> None:
        self.path = path
        self.check_ctime = check_ctime
        self.problem = problem  # why the state is not persistent, or what was discarded
        self.touched: set[str] = set()
        self._conn = conn
        self._pending: dict[bytes, _Row] = {}
        self._loaded: dict[bytes, _Row] = {}  # what `preload` read: every entry in _range
        self._range: tuple[bytes, bytes] | None = None
        self._lock = threading.Lock()

    # -- opening --------------------------------------------------------------------------

    @classmethod
    def load(cls, path: str, *, check_ctime: bool = True) -> HashState:
        """The state in `path`: a folder (an existing one, or a path ending in a separator;
        the database is `FILENAME` in it) or the database file itself. Never raises for a
        missing, unreadable, locked, corrupt or old file."""
        folder = os.path.isdir(path) or path.endswith((os.sep, "/"))
        db = os.path.join(path, FILENAME) if folder else path
        db = os.path.abspath(db)
        problem = ""
        for attempt in range(2):
            try:
                os.makedirs(os.path.dirname(db), exist_ok=True)
                conn = sqlite3.connect(db, timeout=30, isolation_level=None,
                                       check_same_thread=False)
            except (OSError, sqlite3.Error) as exc:
                return cls(db, None, check_ctime=check_ctime,
                           problem=f"cannot open {db}: {exc}; hashes are not kept")
            try:
                verdict = _prepare(conn)
            except sqlite3.OperationalError as exc:  # locked, or cannot be read: not ours to move
                conn.close()
                return cls(db, None, check_ctime=check_ctime,
                           problem=f"cannot use {db}: {exc}; hashes are not kept")
            except sqlite3.Error as exc:  # not a database, or a damaged one
                verdict = f"unreadable ({exc})"
            if verdict == "ok":
                return cls(db, conn, check_ctime=check_ctime, problem=problem)
            conn.close()
            if verdict == "foreign" or attempt:
                return cls(db, None, check_ctime=check_ctime,
                           problem=f"{db} is not a dataward hash state; hashes are not kept")
            problem = f"{db} was {verdict}; moved to {db}.corrupt and started empty"
            try:
                os.replace(db, db + ".corrupt")
                for suffix in ("-journal", "-wal", "-shm"):
                    if os.path.exists(db + suffix):
                        os.remove(db + suffix)
            except OSError as exc:
                return cls(db, None, check_ctime=check_ctime,
                           problem=f"{db} was {verdict} and cannot be replaced: {exc}")
        raise AssertionError("unreachable")  # pragma: no cover

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
                cur = self._conn.execute(
                    "SELECT path, dev, ino, mtime_ns, size, ctime_ns, md5, md5_dos2unix "
                    "FROM hashes WHERE path >= ? AND path < ?", (low, high))
                self._loaded = {r[0]: r[1:] for r in cur}
            except sqlite3.Error:
                self._loaded = {}
                return False
            self._range = (low, high)
            return True

    def _row(self, key: bytes) -> _Row | None:
        row = self._pending.get(key)
        if row is None and self._range is not None and self._range[0] <= key < self._range[1]:
            return self._loaded.get(key)  # the preload read every entry in the range
        if row is None and self._conn is not None:
            try:
                found = self._conn.execute(
                    "SELECT dev, ino, mtime_ns, size, ctime_ns, md5, md5_dos2unix "
                    "FROM hashes WHERE path = ?", (key,)).fetchone()
            except sqlite3.Error:
                return None
            row = tuple(found) if found is not None else None
        return row

    def get(self, path: str, st: os.stat_result, dos2unix: bool) -> str | None:
        """The md5 stored for `path` if the file is as it was (`st`: its os.stat now)."""
        key = path.encode(_FS_ENCODING, _FS_ERRORS)  # os.fsencode, without its checks
        with self._lock:  # a scan calls this for every file: _row inlined
            self.touched.add(path)
            row = self._pending.get(key)
            if row is None:
                span = self._range
                if span is not None and span[0] <= key < span[1]:
                    row = self._loaded.get(key)
                else:
                    row = self._row(key)
        if row is None or row[2] != st.st_mtime_ns or row[3] != st.st_size or (
                self.check_ctime and row[4] != st.st_ctime_ns) or (
                (row[0] != st.st_dev or row[1] != st.st_ino) and row[:2] != _sig(st)[:2]):
            return None  # (_sig: a dev or inode number past 2**63 is kept negative)
        value = row[6] if dos2unix else row[5]
        return value or None

    def put(self, path: str, st: os.stat_result, dos2unix: bool, md5: str,
            started_ns: int) -> bool:
        """Remember `md5` for `path`, read from a file whose stat was `st` (after reading)
        with reading begun at `started_ns` (time.time_ns()). Returns False when the file was
        modified too recently to be trusted (see the module docstring); it is then hashed
        again next time."""
        with self._lock:
            self.touched.add(path)
        if st.st_mtime_ns >= started_ns - RACY_WINDOW_NS:
            return False
        key, sig = os.fsencode(path), _sig(st)
        with self._lock:
            old = self._row(key)
            plain, d2u = (old[5], old[6]) if old is not None and old[:5] == sig else (None,
                                                                                      None)
            if dos2unix:
                d2u = md5
            else:
                plain = md5
            self._pending[key] = (*sig, plain, d2u)
        return True

    # -- writing --------------------------------------------------------------------------

    def save(self) -> bool:
        """Write what `put` stored, in one transaction. False if it could not be written
        (the state is then simply not updated)."""
        with self._lock:
            if self._conn is None:
                return False
            if not self._pending:
                return True
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                self._conn.executemany(
                    "INSERT OR REPLACE INTO hashes VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [(key, *row) for key, row in self._pending.items()])
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                self.problem = f"could not save {self.path}: {exc}"
                return False
            if self._range is not None:  # the preloaded entries stay those on disk
                low, high = self._range
                self._loaded.update((k, r) for k, r in self._pending.items() if low <= k < high)
            self._pending.clear()
            return True

    def prune(self, keep: Collection[str], *, under: str | None = None) -> int:
        """Forget every entry not in `keep` (below the folder `under` only, if given), e.g.
        `state.prune(state.touched, under=root)` after a scan of `root`. Returns how many
        entries were deleted (-1 if the state could not be written)."""
        where, low, high = "", b"", b""
        args: tuple[bytes, ...] = ()
        if under is not None:
            low, high = _span(under)
            where, args = "path >= ? AND path < ? AND ", (low, high)
        with self._lock:
            if under is not None and self._range is not None and (
                    self._range[0] <= low and high <= self._range[1]):
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
                self.problem = f"could not prune {self.path}: {exc}"
                return -1
            return deleted

    def _prune_loaded(self, keep: Collection[str], low: bytes, high: bytes) -> int:
        """prune's work when the range was preloaded: delete by key the loaded entries not
        kept, and write nothing when there are none. Called holding the lock."""
        enc, errors = _FS_ENCODING, _FS_ERRORS  # k.decode(...) is os.fsdecode(k)
        for key in [k for k in self._pending
                    if low <= k < high and k.decode(enc, errors) not in keep]:
            del self._pending[key]
        doomed = [k for k in self._loaded
                  if low <= k < high and k.decode(enc, errors) not in keep]
        if not doomed:
            return 0
        if self._conn is None:  # pragma: no cover - a preload needs the database
            return -1
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            cur = self._conn.executemany("DELETE FROM hashes WHERE path = ?",
                                         [(k,) for k in doomed])
            deleted = cur.rowcount
            self._conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            self.problem = f"could not prune {self.path}: {exc}"
            return -1
        for k in doomed:
            del self._loaded[k]
        return deleted

    def __len__(self) -> int:
        """Entries saved (not counting those waiting for `save`)."""
        with self._lock:
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
        with self._lock:
            self._loaded, self._range = {}, None
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> HashState:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _prepare(conn: sqlite3.Connection) -> str:
    """"ok" once the database holds our current schema; else why it cannot be used:
    "foreign" (another program's database) or a reason to start afresh."""
    conn.execute("BEGIN IMMEDIATE")  # two scans starting at once: one prepares, one waits
    try:
        app = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
        if app not in (0, APPLICATION_ID) or (app == 0 and tables):
            conn.execute("ROLLBACK")
            return "foreign"
        if app == APPLICATION_ID and version == STATE_VERSION and "hashes" in tables:
            conn.execute("COMMIT")
            return "ok"
        conn.execute("DROP TABLE IF EXISTS hashes")  # an old version's, if any
        conn.execute(_SCHEMA)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {STATE_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return "ok"
