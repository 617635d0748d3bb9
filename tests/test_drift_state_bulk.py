"""A drift scan reads the hash state of its whole root in one query (HashState.preload) and
checks each file's stat against it in memory. These tests show that it trusts exactly what the
one-query-per-file lookup trusted: a file changed in any part of its stat signature is hashed
again and named, added and removed files are seen, another root's entries are not used, and a
file written within the racy window is never trusted."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataward.drift.state_cache import HashState
from tests.conftest import BIN, _hermetic
from tests.harness.dvcrun import dvc
from tests.harness.repo import GitRepo

FILES = {f"set{d}/img{i}.bin": b"pixels %d %d " % (d, i) * 3 for d in range(3) for i in range(4)}
PAST_NS = 1_600_000_000 * 10**9  # far outside the racy window


class Scanned(NamedTuple):
    code: int
    report: dict[str, Any]
    hashed: int  # files read, from the summary line on stderr
    unchanged: int  # files the state answered


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_registry(tmp_path_factory)


def build_registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A registry with one folder `pics` of FILES, `dvc add`-ed and committed."""
    with pytest.MonkeyPatch.context() as mp:
        _hermetic(tmp_path_factory.mktemp("bulk-home"), mp)
        path = tmp_path_factory.mktemp("bulk") / "registry"
        repo = GitRepo.init(path)
        dvc(path, "init", "-q")
        write(path / "pics", FILES)
        dvc(path, "add", "-q", "pics")
        repo.git("add", "-A")
        repo.commit("pics version 1")
        return path


def write(folder: Path, files: dict[str, bytes], mtime_ns: int | None = None) -> None:
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
        if mtime_ns is not None:
            os.utime(folder / rel, ns=(mtime_ns, mtime_ns))


def scan(registry: Path, root: Path, state: Path) -> Scanned:
    proc = subprocess.run([f"{BIN}/dataward", "drift", "scan", "--env", "lab", "--root",
                           str(root), "--registry", str(registry), "--state", str(state),
                           "--format", "json", "--jobs", "2"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode in (0, 1), proc.stderr
    said = re.search(r"hashed (\d+) files?.*; (\d+) unchanged since the last scan", proc.stderr)
    assert said is not None, proc.stderr
    return Scanned(proc.returncode, json.loads(proc.stdout), int(said[1]), int(said[2]))


def pics(report: dict[str, Any]) -> dict[str, Any]:
    (entry,) = [e for e in report["datasets"] if e["name"] == "pics"]
    return entry


@pytest.fixture
def lab(tmp_path: Path) -> Path:
    """A machine's root holding version 1, its files last written long ago."""
    root = tmp_path / "lab"
    write(root / "pics", FILES, PAST_NS)
    return root


def warm(registry: Path, root: Path, state: Path) -> None:
    first = scan(registry, root, state)
    assert (first.code, first.hashed, pics(first.report)["status"]) == (0, len(FILES), "in_sync")
    again = scan(registry, root, state)
    assert (again.code, again.hashed, again.unchanged) == (0, 0, len(FILES))


def keep_mtime(path: Path, data: bytes) -> None:
    """Rewrite the file and put its old mtime back (as `cp -p` or `rsync -t` do)."""
    before = os.stat(path)
    path.write_bytes(data)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def replace_file(path: Path, data: bytes) -> None:
    """A new inode with the old mtime in place of the file (an editor's save-by-rename)."""
    before = os.stat(path)
    new = path.with_name(path.name + ".new")
    new.write_bytes(data)
    os.utime(new, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.replace(new, path)


CHANGES = {  # how a file was changed after the state was written -> its new bytes
    "mtime": lambda p: (p.write_bytes(b"X" * p.stat().st_size),
                        os.utime(p, ns=(PAST_NS + 10**9, PAST_NS + 10**9))),
    "size": lambda p: keep_mtime(p, p.read_bytes() + b"more"),
    "ctime": lambda p: keep_mtime(p, b"Y" * p.stat().st_size),
    "inode": lambda p: replace_file(p, b"Z" * p.stat().st_size),
}


@pytest.mark.parametrize("how", sorted(CHANGES))
def test_a_file_changed_after_the_state_was_written_is_hashed_again_and_named(
        registry: Path, lab: Path, tmp_path: Path, how: str) -> None:
    state = tmp_path / "state.sqlite3"
    warm(registry, lab, state)
    CHANGES[how](lab / "pics" / "set1" / "img2.bin")
    got = scan(registry, lab, state)
    assert (got.code, got.hashed, got.unchanged) == (1, 1, len(FILES) - 1)
    entry = pics(got.report)
    assert entry["status"] == "modified"
    assert entry["changes"] == {"added": [], "removed": [], "modified": ["set1/img2.bin"]}


def test_a_touched_file_is_hashed_again_and_still_in_sync(registry: Path, lab: Path,
                                                          tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite3"
    warm(registry, lab, state)
    os.utime(lab / "pics" / "set0" / "img0.bin", ns=(PAST_NS + 7, PAST_NS + 7))
    got = scan(registry, lab, state)
    assert (got.code, got.hashed, pics(got.report)["status"]) == (0, 1, "in_sync")
    assert scan(registry, lab, state).hashed == 0  # and remembered with its new stat


def test_added_and_removed_files_are_seen_and_the_state_forgets_the_removed(
        registry: Path, lab: Path, tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite3"
    warm(registry, lab, state)
    write(lab / "pics", {"set2/new.bin": b"a new picture"}, PAST_NS)
    (lab / "pics" / "set0" / "img3.bin").unlink()
    got = scan(registry, lab, state)
    assert (got.code, got.hashed, got.unchanged) == (1, 1, len(FILES) - 1)
    assert pics(got.report)["changes"] == {"added": ["set2/new.bin"], "removed": ["set0/img3.bin"],
                                           "modified": []}
    with HashState.load(str(state)) as saved:
        assert len(saved) == len(FILES)  # the removed file's entry is gone, the new one kept
    assert scan(registry, lab, state).hashed == 0


def test_another_roots_entries_are_neither_used_nor_pruned(registry: Path, lab: Path,
                                                           tmp_path: Path) -> None:
    """`lab2` shares `lab`'s name as a prefix: the range read of `lab` must stop at `lab/`."""
    state = tmp_path / "state.sqlite3"
    lab2 = tmp_path / "lab2"
    shutil.copytree(lab, lab2)
    for path in lab2.rglob("*.bin"):
        os.utime(path, ns=(PAST_NS, PAST_NS))
    warm(registry, lab2, state)
    first = scan(registry, lab, state)  # same names and bytes, another root: read, not trusted
    assert (first.code, first.hashed, first.unchanged) == (0, len(FILES), 0)
    assert scan(registry, lab, state).unchanged == len(FILES)
    again = scan(registry, lab2, state)  # lab's scan kept lab2's entries
    assert (again.hashed, again.unchanged) == (0, len(FILES))


def test_files_written_within_the_racy_window_are_never_trusted(registry: Path,
                                                                tmp_path: Path) -> None:
    root = tmp_path / "fresh"
    write(root / "pics", FILES)  # just now: a rewrite in the same tick would keep the mtime
    for _ in range(2):
        got = scan(registry, root, tmp_path / "state.sqlite3")
        assert (got.code, got.hashed, got.unchanged) == (0, len(FILES), 0)


# -- the state's own answers, bulk against per file ----------------------------------------

def stat_with(st: os.stat_result, **fields: int) -> os.stat_result:
    """`st` with some of (st_dev, st_ino, st_size, st_mtime_ns, st_ctime_ns) replaced."""
    seq = list(st)
    index = {"st_ino": 1, "st_dev": 2, "st_size": 6}
    for name, value in fields.items():
        if name in index:
            seq[index[name]] = value
    mtime_ns = fields.get("st_mtime_ns", st.st_mtime_ns)
    ctime_ns = fields.get("st_ctime_ns", st.st_ctime_ns)
    return os.stat_result([*seq, st.st_atime, mtime_ns / 1e9, ctime_ns / 1e9, st.st_atime_ns,
                           mtime_ns, ctime_ns])


SIGNATURE = ("st_dev", "st_ino", "st_size", "st_mtime_ns", "st_ctime_ns")


@pytest.mark.parametrize("changed", [(), *((f,) for f in SIGNATURE), SIGNATURE])
@given(delta=st.sampled_from([1, -1, 2**40]), check_ctime=st.booleans(),
       dos2unix=st.booleans(), huge_dev=st.booleans())
@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_bulk_read_answers_exactly_as_the_per_file_read(
        tmp_path: Path, changed: tuple[str, ...], delta: int, check_ctime: bool,
        dos2unix: bool, huge_dev: bool) -> None:
    folder = tmp_path / "root"
    folder.mkdir(exist_ok=True)
    (tmp_path / "root2").mkdir(exist_ok=True)
    db = str(tmp_path / f"s-{len(list(tmp_path.glob('s-*')))}.sqlite3")
    paths = [str(folder / "a"), str(folder / "b"), str(tmp_path / "root2" / "a")]
    for p in paths:
        Path(p).write_bytes(p.encode())
    stats = {p: os.stat(p) for p in paths}
    if huge_dev:  # a device number past 2**63 is stored negative: still matched
        stats = {p: stat_with(s, st_dev=2**64 - 5) for p, s in stats.items()}
    with HashState.load(db) as state:
        for i, p in enumerate(paths):
            assert state.put(p, stats[p], dos2unix, f"{i:032x}", stats[p].st_mtime_ns + 2**62)
        assert state.save()
    now = {p: stat_with(s, **{f: getattr(s, f) + delta for f in changed})
           for p, s in stats.items()}
    trusted = not (set(changed) - ({"st_ctime_ns"} if not check_ctime else set()))
    answers = []
    for bulk in (False, True):
        with HashState.load(db, check_ctime=check_ctime) as state:
            if bulk:
                assert state.preload(str(folder))
            answers.append([state.get(p, now[p], dos2unix) for p in paths])
            assert state.get(paths[0], now[paths[0]], not dos2unix) is None  # the other rule
    assert answers[0] == answers[1]
    assert answers[1] == ([f"{i:032x}" for i in range(3)] if trusted else [None] * 3)


def test_prune_after_a_preload_forgets_exactly_the_unseen_under_the_root(tmp_path: Path
                                                                        ) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "ab").mkdir()
    paths = [str(tmp_path / "a" / "1"), str(tmp_path / "a" / "2"), str(tmp_path / "ab" / "3")]
    for p in paths:
        Path(p).write_bytes(p.encode())
    sts = {p: os.stat(p) for p in paths}
    db = str(tmp_path / "s.sqlite3")
    with HashState.load(db) as state:
        for p in paths:
            state.put(p, sts[p], False, "f" * 32, sts[p].st_mtime_ns + 2**62)
        assert state.save()
    with HashState.load(db) as state:
        assert state.preload(str(tmp_path / "a"))
        assert state.get(paths[0], sts[paths[0]], False) == "f" * 32
        assert state.prune(state.touched, under=str(tmp_path / "a")) == 1
        assert state.prune(state.touched, under=str(tmp_path / "a")) == 0  # nothing left
        assert [state.get(p, sts[p], False) for p in paths] == ["f" * 32, None, "f" * 32]
    with HashState.load(db) as state:
        assert len(state) == 2
        assert [state.get(p, sts[p], False) for p in paths] == ["f" * 32, None, "f" * 32]
