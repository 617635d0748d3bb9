"""dataward.drift.hashing and dataward.drift.state_cache against the real DVC.

One DVC repository for the module, one `dvc add` of the data folder: the manifest, the `.dir`
object in `.dvc/cache` and the folder's md5 must equal ours byte for byte. DVC 2 (legacy,
"md5-dos2unix") hashes are checked three ways:
  - DVC 3's own reading of a DVC 2 `.dvc` file: we write one with our md5 and
    `dvc data status` must not call the folder modified (a negative control must be);
  - dvc-data's md5-dos2unix function, file by file;
  - md5s recorded from the real DVC 2.58.2 (dvc-data 0.51.0) `dvc add` of the same bytes
    (DVC 2 is not installed for the tests): DVC 2 judged text once per file, DVC 3 per
    1 MiB chunk, and the two files built to tell them apart do.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataward.drift import hashing as dvc_hash
from dataward.drift import state_cache as hash_state
from dataward.drift.hasher import Hasher
from dataward.drift.hashing import (
    DvcIgnoreInCollectedDir,
    DvcIgnoreUnsupported,
    LegacyMd5,
    dir_md5,
    manifest_bytes,
    walk,
)
from dataward.drift.state_cache import HashState
from dataward.formats import manifest
from dataward.formats.manifest import read_manifest

DVC = str(Path(sys.executable).parent / "dvc")
MiB = 2**20
NFC, NFD = "caf\u00e9.txt", "cafe\u0301.txt"

# What `dvc add ds` recorded for the tree below with DVC 2.58.2 (dvc-data 0.51.0), and the
# two files on which DVC 2 and DVC 3 disagree.
DVC2_DIR_MD5 = "e3d4f30970f29085d358e92b9f24939d.dir"
DVC2_HEAD_TEXT = "04d6560ade62a581a2a4d57b6d34ccde"
DVC2_HEAD_BINARY = "f43d5cb67e44198ad8bb54e866857558"

# The manifest DVC 3 builds for the tree (ignores, symlinks, sub-repository, empty folder).
EXPECTED = sorted([
    ".hg", "a.txt", "bin/blob.bin", NFC, NFD, "empty", "link_outside", "link_to_a",
    "nested/deeper/leaf.csv", "sub/keep.txt", "text/big_crlf.txt", "text/crlf.txt",
    "text/head_binary.dat", "text/head_text.dat", "with space.txt",
])


def _big_crlf() -> bytes:
    """Text over 1 MiB whose CRLF straddles the 1 MiB chunk boundary."""
    data = b"head\n" + b"line\r\n" * 180_000
    assert data[MiB - 1:MiB + 1] == b"\r\n"
    return data


def _head_text() -> bytes:
    """A text first chunk, then a chunk that looks binary but holds CRLFs."""
    first = (b"ascii header line\r\n" * 60_000)[:MiB]
    return first + b"\x00" * 16 + b"data\r\n" * 1000


def _head_binary() -> bytes:
    """A binary first chunk, then a text chunk with CRLFs."""
    first = (b"\x00bin\r\n" * 200_000)[:MiB]
    return first + b"text\r\n" * 1000


def make_tree(base: Path) -> Path:
    """The data folder `base/ds` (and `base/outside.txt`, a symlink's target)."""
    ds = base / "ds"
    files: dict[str, bytes] = {
        "a.txt": b"alpha\n",
        "empty": b"",
        "nested/deeper/leaf.csv": b"x,y\n1,2\n",
        "with space.txt": b"space\n",
        NFC: b"nfc\n",
        NFD: b"nfd\n",
        "bin/blob.bin": bytes(range(256)) * 64 + b"\r\n\x00",
        "text/crlf.txt": b"one\r\ntwo\r\n",
        "text/big_crlf.txt": _big_crlf(),
        "text/head_text.dat": _head_text(),
        "text/head_binary.dat": _head_binary(),
        "sub/keep.txt": b"kept\n",
        ".hg": b"a file named .hg is data\n",
        # left out by DVC
        ".git/HEAD": b"ref: refs/heads/main\n",
        ".git/objects/ab/cdef": b"x",
        "sub/.git": b"gitdir: ../.git/modules/sub\n",
        "sub/.hg/store": b"hg\n",
        "subrepo/.dvc/config": b"",
        "subrepo/data.txt": b"in a sub-repository\n",
        "marked/.dvc": b"",
        "marked/data.txt": b"a .dvc file marks a sub-repository too\n",
    }
    for rel, data in files.items():
        path = ds / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (ds / "emptydir" / "empty_too").mkdir(parents=True)
    (base / "outside.txt").write_bytes(b"outside\n")
    os.symlink("a.txt", ds / "link_to_a")
    os.symlink("nested", ds / "link_to_nested")
    os.symlink(os.path.join(os.pardir, "outside.txt"), ds / "link_outside")
    return ds


def run_dvc(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DVC_NO_ANALYTICS": "1", "HOME": str(cwd.parent),
           "DVC_SITE_CACHE_DIR": str(cwd.parent / "site-cache"), "GIT_CONFIG_NOSYSTEM": "1"}
    proc = subprocess.run([DVC, *args], cwd=cwd, capture_output=True, text=True, env=env,
                          check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"dvc {' '.join(args)}:\n{proc.stdout}\n{proc.stderr}")
    return proc


def hashes(folder: Path, dos2unix: bool) -> dict[str, str]:
    rels = walk(str(folder))
    got = Hasher(jobs=2, state=None).hash_files([str(folder / r) for r in rels], dos2unix)
    out = {}
    for rel in rels:
        value = got[str(folder / rel)]
        assert isinstance(value, str), value
        out[rel] = value
    return out


def md5_outs(dvcfile: Path) -> str:
    (line,) = [ln for ln in dvcfile.read_text().splitlines() if "md5:" in ln]
    return line.split("md5:")[1].strip()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """One DVC 3 repository: `ds` added by DVC; `legacy` (a copy) and `neg` described by DVC 2
    files we write; `broken` and `ignoring` refused by `dvc add`."""
    base = tmp_path_factory.mktemp("dvchash")
    repo = base / "repo"
    repo.mkdir()
    run_dvc(repo, "init", "--no-scm", "-q")
    ds = make_tree(repo)
    shutil.copytree(ds, repo / "legacy", symlinks=True)
    (repo / "neg").mkdir()
    (repo / "neg" / "crlf.txt").write_bytes(b"a\r\nb\r\n")
    (repo / "broken").mkdir()
    (repo / "broken" / "ok.txt").write_bytes(b"ok\n")
    os.symlink("nowhere", repo / "broken" / "dangling")
    (repo / "ignoring" / "inner").mkdir(parents=True)
    (repo / "ignoring" / "inner" / ".dvcignore").write_bytes(b"*.tmp\n")

    ours = hashes(ds, False)
    legacy = hashes(repo / "legacy", True)
    neg_plain = hashes(repo / "neg", False)  # wrong on purpose: DVC 2 files use dos2unix
    (repo / "legacy.dvc").write_text(f"outs:\n- md5: {dir_md5(legacy)}\n  path: legacy\n")
    (repo / "neg.dvc").write_text(f"outs:\n- md5: {dir_md5(neg_plain)}\n  path: neg\n")

    run_dvc(repo, "add", "--no-relink", "ds")
    status = json.loads(run_dvc(repo, "data", "status", "--json").stdout)
    broken = run_dvc(repo, "add", "broken", check=False)
    ignoring = run_dvc(repo, "add", "ignoring", check=False)
    return {"repo": repo, "ds": ds, "ours": ours, "legacy": legacy, "status": status,
            "broken": broken, "ignoring": ignoring}


# -- the manifest and the folder md5 against `dvc add` ---------------------------------------

def test_walk_lists_what_dvc_puts_in_the_manifest(world: dict[str, object]) -> None:
    repo = world["repo"]
    assert isinstance(repo, Path)
    f = md5_outs(repo / "ds.dvc")
    dir_obj = (repo / ".dvc" / "cache" / "files" / "md5" / f[:2] / f[2:]).read_bytes()
    assert sorted(read_manifest(dir_obj) or {}) == EXPECTED
    assert walk(str(world["ds"])) == EXPECTED


def test_dir_md5_and_manifest_bytes_equal_dvcs(world: dict[str, object]) -> None:
    repo, ours = world["repo"], world["ours"]
    assert isinstance(repo, Path) and isinstance(ours, dict)
    f = md5_outs(repo / "ds.dvc")
    assert dir_md5(ours) == f
    assert manifest_bytes(ours) == (
        repo / ".dvc" / "cache" / "files" / "md5" / f[:2] / f[2:]).read_bytes()
    assert ours["link_to_a"] == ours["a.txt"] == hashlib.md5(b"alpha\n").hexdigest()


def test_dvc_refuses_a_broken_symlink_and_an_inner_dvcignore(world: dict[str, object],
                                                            ) -> None:
    broken, ignoring, repo = world["broken"], world["ignoring"], world["repo"]
    assert isinstance(broken, subprocess.CompletedProcess) and isinstance(repo, Path)
    assert isinstance(ignoring, subprocess.CompletedProcess)
    assert broken.returncode != 0 and "No such file or directory" in broken.stderr
    assert ignoring.returncode != 0 and ".dvcignore file should not be in collected dir" in (
        ignoring.stderr)
    # we list the dangling link and report it as the one file that cannot be read
    assert walk(str(repo / "broken")) == ["dangling", "ok.txt"]
    got = Hasher(1, None).hash_files([str(repo / "broken" / n) for n in ("dangling",
                                                                          "ok.txt")], False)
    assert isinstance(got[str(repo / "broken" / "dangling")], FileNotFoundError)
    assert got[str(repo / "broken" / "ok.txt")] == hashlib.md5(b"ok\n").hexdigest()
    with pytest.raises(DvcIgnoreInCollectedDir, match="inner"):
        walk(str(repo / "ignoring"))


# -- DVC 2 (md5-dos2unix) ---------------------------------------------------------------------

def test_dvc3_reads_our_dvc2_hashes_as_its_own(world: dict[str, object]) -> None:
    status = world["status"]
    assert isinstance(status, dict)
    modified = status.get("uncommitted", {}).get("modified", [])
    assert "legacy/" not in modified and "legacy" not in modified
    assert any(m.rstrip("/") == "neg" for m in modified), status  # the control fails


def test_dos2unix_equals_dvc_data_file_by_file(world: dict[str, object]) -> None:
    from dvc_data.hashfile.hash import file_md5 as dvc_file_md5

    ds, legacy = world["ds"], world["legacy"]
    assert isinstance(ds, Path) and isinstance(legacy, dict)
    for rel, value in legacy.items():
        path = str(ds / rel)
        assert value == dvc_file_md5(path, name="md5-dos2unix"), rel
        assert dvc_hash.file_md5(path, dos2unix=True) == value
        assert dvc_hash.file_md5(path) == dvc_file_md5(path), rel
    # the boundary CRLF stays a CRLF: each 1 MiB chunk is converted on its own
    big = _big_crlf()
    assert legacy["text/big_crlf.txt"] == hashlib.md5(
        big[:MiB].replace(b"\r\n", b"\n") + big[MiB:].replace(b"\r\n", b"\n")).hexdigest()
    assert legacy["text/big_crlf.txt"] != hashlib.md5(big.replace(b"\r\n", b"\n")).hexdigest()


def test_dvc2_judged_text_once_per_file(world: dict[str, object]) -> None:
    legacy = world["legacy"]
    assert isinstance(legacy, dict)
    assert all(isinstance(v, LegacyMd5) for v in legacy.values())
    differ = {rel for rel, v in legacy.items() if v.dvc2 != v}
    assert differ == {"text/head_text.dat", "text/head_binary.dat"}
    assert legacy["text/head_text.dat"].dvc2 == DVC2_HEAD_TEXT
    assert legacy["text/head_binary.dat"].dvc2 == DVC2_HEAD_BINARY
    assert dir_md5({rel: v.dvc2 for rel, v in legacy.items()}) == DVC2_DIR_MD5
    assert legacy["text/head_text.dat"].matches(DVC2_HEAD_TEXT)
    assert dvc_hash.legacy_md5(str(world["ds"]) + "/text/head_text.dat").dvc2 == (
        DVC2_HEAD_TEXT)


# -- walk details ----------------------------------------------------------------------------

def test_walk_refuses_patterns_above_the_folder(tmp_path: Path) -> None:
    (tmp_path / ".dvc").mkdir()
    (tmp_path / "data" / "ds").mkdir(parents=True)
    (tmp_path / "data" / "ds" / "f").write_bytes(b"f")
    (tmp_path / ".dvcignore").write_text("# comments only, as `dvc init` writes it\n\n")
    assert walk(str(tmp_path / "data" / "ds")) == ["f"]
    (tmp_path / "data" / ".dvcignore").write_text("*.tmp\n")
    with pytest.raises(DvcIgnoreUnsupported, match=r"data/\.dvcignore"):
        walk(str(tmp_path / "data" / "ds"))
    assert walk(str(tmp_path / "data" / "ds"), repo_root=str(tmp_path / "data" / "ds")) == [
        "f"]


def test_walk_on_a_folder_that_is_a_repository_and_a_fifo(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"f")
    os.mkfifo(tmp_path / "pipe")
    assert walk(str(tmp_path)) == ["f", "pipe"]  # DVC lists it too, then hangs reading it
    got = Hasher(1, None).hash_files([str(tmp_path / "pipe"), str(tmp_path / "f")], False)
    assert isinstance(got[str(tmp_path / "pipe")], dvc_hash.NotRegularFile)  # not a hang
    (tmp_path / ".dvc").mkdir()
    assert walk(str(tmp_path)) == []  # as DVC: a DVC repository's folder is recorded empty


def test_the_manifest_reader_tolerates_extra_keys_and_rejects_other_json() -> None:
    data = json.dumps([{"md5": "a" * 32, "relpath": "x/y", "size": 3, "isexec": True},
                       {"md5": "b" * 32, "relpath": "z"}]).encode()
    assert read_manifest(data) == {"x/y": "a" * 32, "z": "b" * 32}
    assert read_manifest(manifest_bytes({"é": "c" * 32})) == {"é": "c" * 32}
    for bad in (b"{}", b"[1]", b'[{"relpath": "x"}]', b"\xff", b"",
                b'[{"md5": "xyz", "relpath": "a"}]'):
        assert read_manifest(bad) is None


# -- the hasher and its state ----------------------------------------------------------------

@pytest.fixture
def files(tmp_path: Path) -> list[str]:
    out = []
    for i in range(6):
        p = tmp_path / "data" / f"f{i}.txt"
        p.parent.mkdir(exist_ok=True)
        p.write_bytes(f"file {i}\r\n".encode() * (i * 300_000 + 1))
        out.append(str(p))
    return out


def test_progress_and_threads(files: list[str]) -> None:
    seen: list[tuple[int, int]] = []
    got = Hasher(jobs=3, state=None, progress=lambda b, f: seen.append((b, f))).hash_files(
        files, dos2unix=False)
    assert got == {p: dvc_hash.file_md5(p) for p in files}
    assert seen == sorted(seen)
    assert seen[-1] == (sum(os.path.getsize(p) for p in files), len(files))


def test_state_second_pass_reads_nothing(files: list[str], tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hash_state, "RACY_WINDOW_NS", 0)  # the files were written just now
    folder = str(tmp_path / "state")
    os.mkdir(folder)
    with HashState.load(folder) as state:
        first = Hasher(2, state)
        want = first.hash_files(files, dos2unix=True)
        assert first.stats["hashed"] == len(files)
        assert state.save()

    def no_reading(path: str) -> object:
        raise AssertionError(f"{path} was opened")

    with HashState.load(folder) as state, monkeypatch.context() as m:
        m.setattr(dvc_hash, "_open_regular", no_reading)
        second = Hasher(2, state)
        assert second.hash_files(files, dos2unix=True) == want
        assert second.stats == {"hashed": 0, "hashed_bytes": 0, "cached": len(files),
                                "errors": 0}
        assert all(isinstance(v, LegacyMd5) for v in want.values())

    # plain md5s are kept apart from dos2unix ones
    with HashState.load(folder) as state:
        plain = Hasher(1, state)
        before = plain.hash_files(files, dos2unix=False)
        assert before == {p: dvc_hash.file_md5(p) for p in files}
        assert plain.stats["hashed"] == len(files)
        state.save()

    # a rewrite of the same size with the old mtime put back is still seen (ctime)
    st = os.stat(files[1])
    with open(files[1], "r+b") as fh:
        fh.write(b"F")
    os.utime(files[1], ns=(st.st_atime_ns, st.st_mtime_ns))
    os.utime(files[2], ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # touched
    with HashState.load(folder) as state:
        third = Hasher(2, state)
        got = third.hash_files(files, dos2unix=False)
        assert third.stats["hashed"] == 2 and third.stats["cached"] == len(files) - 2
        assert got[files[1]] == hashlib.md5(Path(files[1]).read_bytes()).hexdigest()
        assert got[files[1]] != before[files[1]] and got[files[2]] == before[files[2]]


def test_state_does_not_trust_a_file_written_just_now(files: list[str], tmp_path: Path,
                                                      ) -> None:
    with HashState.load(str(tmp_path / "s.sqlite3")) as state:
        Hasher(1, state).hash_files(files, dos2unix=False)
        state.save()
        again = Hasher(1, state)
        again.hash_files(files, dos2unix=False)
        assert again.stats["hashed"] == len(files)  # same tick as their writing: hash again


def test_state_survives_corrupt_old_and_foreign_files(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hash_state, "RACY_WINDOW_NS", 0)
    data = tmp_path / "d.txt"
    data.write_bytes(b"d")
    st = os.stat(data)
    db = tmp_path / "state.sqlite3"
    db.write_bytes(b"this is not a database" * 100)
    state = HashState.load(str(db))
    assert "corrupt" in state.problem and (tmp_path / "state.sqlite3.corrupt").exists()
    assert state.get(str(data), st, False) is None
    assert state.put(str(data), st, False, "0" * 32, st.st_ctime_ns + 1)
    assert state.save() and len(state) == 1
    state.close()
    assert HashState.load(str(db)).get(str(data), st, False) == "0" * 32

    with sqlite3.connect(db) as conn:  # an older version of the format
        conn.execute("PRAGMA user_version = 0")
    conn.close()
    state = HashState.load(str(db))
    assert len(state) == 0 and state.get(str(data), st, False) is None
    state.close()

    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    conn.close()
    state = HashState.load(str(other))  # someone else's database: left alone
    assert "not a dataward hash state" in state.problem
    assert state.put(str(data), st, False, "1" * 32, st.st_ctime_ns + 1)
    assert state.get(str(data), st, False) == "1" * 32 and not state.save()
    with sqlite3.connect(other) as conn:
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == [("t",)]
    conn.close()


def test_state_prune_and_two_writers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hash_state, "RACY_WINDOW_NS", 0)
    (tmp_path / "a").mkdir()
    (tmp_path / "ab").mkdir()
    paths = [str(tmp_path / "a" / "1"), str(tmp_path / "a" / "2"), str(tmp_path / "ab" / "3")]
    for p in paths:
        Path(p).write_bytes(p.encode())
    sts = {p: os.stat(p) for p in paths}
    db = str(tmp_path / "s.sqlite3")
    one, two = HashState.load(db), HashState.load(db)
    barrier = threading.Barrier(2)

    def write(state: HashState, mine: list[str]) -> None:
        for p in mine:
            state.put(p, sts[p], False, hashlib.md5(p.encode()).hexdigest(), 2**62)
        barrier.wait()
        assert state.save()

    threads = [threading.Thread(target=write, args=(one, paths[:2])),
               threading.Thread(target=write, args=(two, paths[2:]))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(one) == 3  # both scans' entries, neither torn
    assert one.prune([paths[0]], under=str(tmp_path / "a")) == 1  # "ab" is not under "a"
    assert [p for p in paths if one.get(p, sts[p], False)] == [paths[0], paths[2]]
    one.close()
    two.close()


def test_hashing_imports_no_dvc() -> None:
    code = ("import sys, dataward.drift.hashing, dataward.drift.hasher, "
            "dataward.drift.state_cache; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'dvc', 'dvc_data', 'dvc_objects', 'fsspec', 'pydantic', 'yaml'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("n", [0, 1, dvc_hash.MANIFEST_SLICE, 2 * dvc_hash.MANIFEST_SLICE + 1])
def test_a_large_manifest_hashed_in_slices_is_dvcs_own(n: int) -> None:
    """dir_md5 formats the manifest a slice at a time (a million files' manifest is 100 MB):
    the md5 is still that of the `.dir` object DVC writes, json.dumps of the sorted entries."""
    entries = {f"d{i % 7}/f {i} \"é\".bin": f"{i:032x}" for i in range(n)}
    dvc_writes = json.dumps([{"md5": md5, "relpath": rel}
                             for rel, md5 in sorted(entries.items())], sort_keys=True)
    assert dvc_hash.dir_md5(entries) == hashlib.md5(dvc_writes.encode()).hexdigest() + ".dir"


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=12), st.from_regex(r"[0-9a-f]{32}",
                                                                       fullmatch=True),
                       min_size=1, max_size=8))
def test_a_manifest_as_dvc_writes_it_reads_as_json_would(entries: dict[str, str]) -> None:
    """A manifest in DVC's own format is read entry by entry (a million-file manifest through
    json.loads builds a million dicts first); the answer is the full JSON parse's, refusals
    included (a path leaving the folder, a NUL, a name twice)."""
    data = json.dumps([{"md5": md5, "relpath": rel} for rel, md5 in sorted(entries.items())],
                      sort_keys=True).encode()
    want = manifest.parse(json.dumps(json.loads(data), indent=1).encode())  # the JSON path
    assert manifest.parse(data) == want
    doubled = data[:-1] + b", " + data[1:]  # every name twice
    assert manifest.parse(doubled) == manifest.parse(json.dumps(json.loads(doubled),
                                                                indent=1).encode())
