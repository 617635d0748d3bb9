"""The hash state's database: its schema, opening it (and starting afresh from a damaged or
old one), and the keys and signatures its rows hold. dataward.drift.state_cache is the cache
built on it."""

from __future__ import annotations

import os
import sqlite3
import sys

STATE_VERSION = 1
FILENAME = "dvc-hash-state.sqlite3"
APPLICATION_ID = 0x44574853  # "DWHS": marks the file as ours
_FS_ENCODING, _FS_ERRORS = sys.getfilesystemencoding(), sys.getfilesystemencodeerrors()

_SCHEMA = """
CREATE TABLE IF NOT EXISTS hashes (
    path BLOB PRIMARY KEY,
    dev INTEGER NOT NULL, ino INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    size INTEGER NOT NULL, ctime_ns INTEGER NOT NULL,
    md5 TEXT, md5_dos2unix TEXT
) WITHOUT ROWID
"""
Sig = tuple[int, int, int, int, int]
Row = tuple[int, int, int, int, int, "str | None", "str | None"]


def _i64(n: int) -> int:
    """SQLite integers are signed 64-bit; inode and device numbers may use the top bit."""
    n &= 2**64 - 1
    return n - 2**64 if n >= 2**63 else n


def sig(st: os.stat_result) -> Sig:
    dev, ino = st.st_dev, st.st_ino
    if dev >= 2**63 or ino >= 2**63 or dev < 0 or ino < 0:
        dev, ino = _i64(dev), _i64(ino)
    return (dev, ino, st.st_mtime_ns, st.st_size, st.st_ctime_ns)


def str_span(low: bytes, high: bytes) -> tuple[str, str]:
    """A `span` as str: the same paths are inside (a prefix's range in either form)."""
    return low.decode(_FS_ENCODING, _FS_ERRORS), high.decode(_FS_ENCODING, _FS_ERRORS)


def span(folder: str) -> tuple[bytes, bytes]:
    """The keys of the paths below `folder`: [low, high) ("<folder>/" up to "<folder>0")."""
    low = os.fsencode(os.path.join(os.path.abspath(folder), ""))
    return low, low[:-1] + bytes([low[-1] + 1])


def open_db(path: str) -> tuple[str, sqlite3.Connection | None, str]:
    """(the database file, a connection to it or None, what went wrong or was discarded)
    for the state at `path`: a folder (an existing one, or a path ending in a separator;
    the database is FILENAME in it) or the database file itself. Never raises."""
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
            return db, None, f"cannot open {db}: {exc}; hashes are not kept"
        try:
            verdict = _prepare(conn)
        except sqlite3.OperationalError as exc:  # locked, or cannot be read: not ours to move
            conn.close()
            return db, None, f"cannot use {db}: {exc}; hashes are not kept"
        except sqlite3.Error as exc:  # not a database, or a damaged one
            verdict = f"unreadable ({exc})"
        if verdict == "ok":
            return db, conn, problem
        conn.close()
        if verdict == "foreign" or attempt:
            return db, None, f"{db} is not a dataward hash state; hashes are not kept"
        problem = f"{db} was {verdict}; moved to {db}.corrupt and started empty"
        try:
            os.replace(db, db + ".corrupt")
            for suffix in ("-journal", "-wal", "-shm"):
                if os.path.exists(db + suffix):
                    os.remove(db + suffix)
        except OSError as exc:
            return db, None, f"{db} was {verdict} and cannot be replaced: {exc}"
    raise AssertionError("unreachable")  # pragma: no cover


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
