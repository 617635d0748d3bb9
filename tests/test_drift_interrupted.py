"""A drift scan at the size of real image datasets runs long, often as a batch job with a time
limit: what it hashed is saved while it runs and when SIGTERM ends it, two scans sharing one
hash state never spoil it, and a log shows where a long scan is."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from dataward.drift.progress import log_lines
from dataward.report.catalog_text import size
from tests.conftest import BIN
from tests.test_drift_state_bulk import FILES, PAST_NS, build_registry, pics, scan, write


def rows(state: Path) -> int:
    """Entries another process has committed to the state (0 while it cannot be read)."""
    try:
        with sqlite3.connect(f"file:{state}?mode=ro", uri=True, timeout=0.1) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM hashes").fetchone()[0])
    except sqlite3.Error:
        return 0


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_registry(tmp_path_factory)


def test_a_scan_killed_by_its_time_limit_keeps_what_it_hashed(registry: Path,
                                                              tmp_path: Path) -> None:
    root, state = tmp_path / "lab", tmp_path / "state.sqlite3"
    write(root / "pics", FILES, PAST_NS)
    # An ad-hoc folder hashed after the dataset (paths are hashed in order): 32 GiB of holes,
    # long enough to read that the job's time limit arrives in the middle of it.
    (root / "zz_scratch").mkdir()
    with open(root / "zz_scratch" / "huge.bin", "wb") as fh:
        fh.truncate(32 << 30)
    os.utime(root / "zz_scratch" / "huge.bin", ns=(PAST_NS, PAST_NS))
    proc = subprocess.Popen([f"{BIN}/dataward", "drift", "scan", "--env", "lab", "--root",
                             str(root), "--registry", str(registry), "--state", str(state),
                             "--jobs", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        deadline = time.monotonic() + 60
        while rows(state) < len(FILES) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert proc.poll() is None, "the scan ended before it could be stopped"
        assert rows(state) == len(FILES)  # saved while the scan still runs
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 3, err
    assert "stopped by SIGTERM before the scan ended" in err
    assert f"kept in the hash cache {state}" in err
    assert "Traceback" not in err and out == ""
    (root / "zz_scratch" / "huge.bin").unlink()
    again = scan(registry, root, state)
    assert (again.code, again.hashed, again.unchanged) == (0, 0, len(FILES))
    assert pics(again.report)["status"] == "in_sync"


def test_two_scans_sharing_a_state_both_keep_their_hashes(registry: Path,
                                                          tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite3"
    bulk = {f"d{i // 100}/f{i}.bin": b"%d" % i for i in range(4000)}  # many saves each
    roots = [tmp_path / "lab1", tmp_path / "lab2"]
    for root in roots:
        write(root / "pics", FILES, PAST_NS)
        write(root / "bulk", bulk, PAST_NS)
    argv = [[f"{BIN}/dataward", "drift", "scan", "--env", "lab", "--root", str(root),
             "--registry", str(registry), "--state", str(state), "--jobs", "2"]
            for root in roots]
    procs = [subprocess.Popen(a, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for a in argv]
    for p in procs:
        _out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        assert "not in use" not in err and "could not save" not in err
    with sqlite3.connect(state) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert rows(state) == 2 * (len(FILES) + len(bulk))
    for root in roots:
        again = scan(registry, root, state)
        assert (again.code, again.hashed, again.unchanged) == (0, 0, len(FILES) + len(bulk))


def test_a_long_scan_says_every_10_s_how_far_it_is(capsys: pytest.CaptureFixture[str]) -> None:
    now = [100.0]
    begin, advance, done = log_lines(lambda: now[0], size)
    begin(10 * 2**30, 1_000_000)
    advance(2**30, 0)  # what the state answered at once does not count towards the rate
    for _ in range(9):
        now[0] += 1
        advance(2**30 + int((now[0] - 100) * 100 * 2**20), 1000)
    assert capsys.readouterr().err == ""  # nothing before 10 s
    now[0] += 1
    advance(2**30 + 1000 * 2**20, 123_456)
    done()
    line = capsys.readouterr().err
    assert line == ("hashing: 123,456 of 1,000,000 files, 2.0 GiB of 10.0 GiB, 100.0 MiB/s, "
                    "about 1 min 22 s left\n")
