"""The drift scan's state cache, SIGTERM handling and hashing under stress (from a review of
issue 21): a save that fails and one that then succeeds, SIGTERM while the last rows are
written and while manifests are read from a remote that does not answer, and the one-read
path for small files against DVC's rule at every buffer boundary. The first three failed
before their fixes; the rest pin what the review checked and found right."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataward.drift import hashing, interrupt
from dataward.drift.state_cache import HashState
from tests.conftest import BIN
from tests.harness.dvcrun import dvc
from tests.harness.repo import GitRepo
from tests.test_drift_state_bulk import FILES, PAST_NS, write

MiB = 2**20


def _dvc_reference(data: bytes, dos2unix: bool) -> str:
    """DVC 3's rule written out plainly: 1 MiB chunks, CRLF -> LF in a chunk that looks
    like text."""
    if not dos2unix:
        return hashlib.md5(data).hexdigest()
    md5 = hashlib.md5()
    for i in range(0, len(data), MiB):
        chunk = data[i:i + MiB]
        md5.update(chunk.replace(b"\r\n", b"\n") if hashing.istextblock(chunk[:512])
                   else chunk)
    return md5.hexdigest()


@pytest.mark.parametrize("size", [0, 1, 511, 512, MiB - 2, MiB - 1, MiB, MiB + 1, 2 * MiB])
@pytest.mark.parametrize("dos2unix", [False, True])
def test_one_read_and_the_long_way_agree_at_the_buffer_boundaries(
        tmp_path: Path, size: int, dos2unix: bool) -> None:
    # CRLF text with a CRLF split across the 1 MiB boundary
    data = (b"ab\r\n" * (size // 4 + 1))[:size]
    if size > 2:
        data = data[:MiB - 1] + b"\r\n" + data[MiB + 1:] if size > MiB + 1 else data
    path = tmp_path / "f.txt"
    path.write_bytes(data)
    want = _dvc_reference(data, dos2unix)
    for buf in (bytearray(hashing.READ_CHUNK), bytearray(4 * MiB), bytearray(4096)):
        got, st_ = hashing.hash_path(str(path), dos2unix, buf)
        assert (str(got), st_.st_size) == (want, size)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=3000), st.sampled_from([False, True]))
def test_one_read_agrees_with_dvc_rule_on_any_bytes(tmp_path_factory: pytest.TempPathFactory,
                                                    data: bytes, dos2unix: bool) -> None:
    path = tmp_path_factory.mktemp("h") / "f"
    path.write_bytes(data)
    assert str(hashing.hash_path(str(path), dos2unix, bytearray(MiB))[0]) == \
        _dvc_reference(data, dos2unix)


# -- a save that fails, then one that succeeds -------------------------------------------------

def test_a_save_that_failed_once_does_not_say_the_cache_is_unused_after_a_later_save(
        tmp_path: Path) -> None:
    """`scan._hash` prints "the hash cache ... is not in use (...): every file was hashed"
    whenever state.problem is set; a transient failure (the journal cannot be created, the
    database locked past the 30 s timeout by another scan) that a later save got past leaves
    it set, so a scan whose hashes were all kept says none were."""
    db = tmp_path / "state.sqlite3"
    f = tmp_path / "f.bin"
    f.write_bytes(b"x")
    os.utime(f, ns=(PAST_NS, PAST_NS))
    st_ = os.stat(f)
    with HashState.load(str(db)) as state:
        assert state.problem == ""
        state.put(str(f), st_, False, "0" * 32, time.time_ns())
        journal = Path(f"{db}-journal")
        journal.mkdir()  # SQLite cannot create its rollback journal: this save fails
        assert state.save() is False
        journal.rmdir()
        assert state.save() is True  # the next one writes everything
    with HashState.load(str(db)) as again:
        assert again.get(str(f), os.stat(f), False) == "0" * 32
        assert len(again) == 1
    assert state.problem == "", f"still reported after a good save: {state.problem}"


# -- SIGTERM while the state is being saved ---------------------------------------------------

def test_sigterm_during_a_save_waits_for_it_and_keeps_every_row(tmp_path: Path) -> None:
    """The save waits for another scan's write lock when SIGTERM arrives: the signal is held
    until the transaction ends (interrupt.held), so both rows are kept, then the scan stops.
    Before, a SIGTERM there cut the transaction and its rows were lost."""
    db = str(tmp_path / "state.sqlite3")
    files = []
    for i in range(2):
        f = tmp_path / f"f{i}.bin"
        f.write_bytes(b"%d" % i)
        os.utime(f, ns=(PAST_NS, PAST_NS))
        files.append(str(f))
    state = HashState.load(db)
    other = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    try:
        for f, md5 in zip(files, ("a" * 32, "b" * 32), strict=True):
            assert state.put(f, os.stat(f), False, md5, time.time_ns())
        other.execute("BEGIN IMMEDIATE")  # another scan's save, holding the lock
        with interrupt.installed():
            threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGTERM)).start()
            threading.Timer(1.0, other.execute, ("COMMIT",)).start()
            with pytest.raises(interrupt.Stopped):
                state.save()
    finally:
        state.close()
        other.close()
    with HashState.load(db) as again:
        kept = [again.get(p, os.stat(p), False) for p in files]
    assert kept == ["a" * 32, "b" * 32], "a row hashed before SIGTERM was not saved"


# -- SIGTERM while manifests are read from the remote --------------------------------------------

@pytest.fixture
def black_hole() -> Iterator[tuple[int, threading.Event]]:
    """A TCP server on 127.0.0.1 that accepts and never answers (an S3 endpoint gone quiet)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted = threading.Event()
    conns: list[socket.socket] = []
    closing = threading.Event()

    def serve() -> None:
        while not closing.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                return
            conns.append(conn)
            accepted.set()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        yield server.getsockname()[1], accepted
    finally:
        closing.set()
        server.close()
        for c in conns:
            c.close()


def test_sigterm_while_reading_manifests_from_the_remote_stops_the_scan(
        tmp_path: Path, black_hole: tuple[int, threading.Event]) -> None:
    """`Stopped` is an Exception: `manifests.fetch_manifests` (and adapters.dvc/object_store)
    catch Exception, so a job's time limit arriving while a modified folder's manifests are
    read from the remote is reported as "could not read manifests" and the scan goes on
    (it then exits 1 with a report, instead of 3)."""
    port, accepted = black_hole
    registry = tmp_path / "registry"
    repo = GitRepo.init(registry)
    dvc(registry, "init", "-q")
    dvc(registry, "remote", "add", "-d", "storage", "s3://bucket/store")
    dvc(registry, "remote", "modify", "storage", "endpointurl", f"http://127.0.0.1:{port}")
    write(registry / "pics", FILES)
    dvc(registry, "add", "-q", "pics")
    repo.git("add", "-A")
    repo.commit("pics version 1")
    subprocess.run(["rm", "-rf", str(registry / ".dvc" / "cache")], check=True)
    root = tmp_path / "lab"
    write(root / "pics", {**FILES, "set0/img0.bin": b"changed"}, PAST_NS)
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    proc = subprocess.Popen([f"{BIN}/dataward", "drift", "scan", "--env", "lab", "--root",
                             str(root), "--registry", str(registry), "--no-state"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert accepted.wait(120), "the scan never asked the remote"
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "could not read manifests" not in err, err
    assert proc.returncode == 3, (proc.returncode, err)
    assert "stopped by SIGTERM" in err
