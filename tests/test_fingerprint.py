"""`dataward fingerprint PATH`: the md5 the real `dvc add PATH` records, for a folder and a
file, by DVC 3's rule and (`--dvc2`) DVC 2's; a re-run on unchanged data reads nothing; what
cannot be fingerprinted says why, never a wrong md5."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dataward.drift.hashing import dir_md5, istextblock
from tests.conftest import BIN, _hermetic
from tests.harness.dvcrun import dvc
from tests.harness.repo import GitRepo

PAST_NS = 1_600_000_000 * 10**9  # outside the hash state's 5 s racy window
FILES = {
    "notes.txt": b"three cod\r\nand a hake\r\n",  # CRLF text: DVC 2 and DVC 3 differ
    "sub/deeper/x.jpg": b"\xff\xd8\xff\xe0 not text \x00\x01",
    "sub/big.bin": bytes(range(256)) * 8192,  # 2 MiB: three reads of the long way
    "name with space.csv": b"a,b\n1,2\n",
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DVC project holding `images/` and `labels.csv`, both `dvc add`-ed (DVC 3)."""
    with pytest.MonkeyPatch.context() as mp:
        _hermetic(tmp_path_factory.mktemp("fingerprint-home"), mp)
        path = tmp_path_factory.mktemp("fingerprint") / "project"
        GitRepo.init(path)
        dvc(path, "init", "-q")
        for rel, data in FILES.items():
            (path / "images" / rel).parent.mkdir(parents=True, exist_ok=True)
            (path / "images" / rel).write_bytes(data)
        (path / "labels.csv").write_bytes(b"id,label\r\n1,cat\r\n")
        dvc(path, "add", "-q", "images", "labels.csv")
        for f in [*(path / "images").rglob("*"), path / "labels.csv"]:
            os.utime(f, ns=(PAST_NS, PAST_NS))
        return path


def recorded(project: Path, name: str) -> str:
    out = yaml.safe_load((project / f"{name}.dvc").read_text())["outs"][0]
    assert out["hash"] == "md5"
    return str(out["md5"])


def fingerprint(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([f"{BIN}/dataward", "fingerprint", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120, check=False)


def test_a_folder_and_a_file_get_the_md5_dvc_add_recorded(project: Path,
                                                          tmp_path: Path) -> None:
    for name in ("images", "labels.csv"):
        got = fingerprint(project, name, "--no-state")
        assert got.returncode == 0, got.stderr
        assert got.stdout == recorded(project, name) + "\n"  # the answer alone on stdout
    got = fingerprint(project, "images", "--json", "--no-state")
    assert json.loads(got.stdout) == {
        "path": str(project / "images"), "md5": recorded(project, "images"), "hash": "md5",
        "size": sum(map(len, FILES.values())), "nfiles": len(FILES)}


def test_dvc2s_rule_hashes_text_with_crlf_as_lf(project: Path) -> None:
    def dos2unix(data: bytes) -> str:  # one chunk each here: both DVC 2 rules agree
        text = istextblock(data[:512])
        return hashlib.md5(data.replace(b"\r\n", b"\n") if text else data).hexdigest()

    got = fingerprint(project, "images", "--dvc2", "--json", "--no-state")
    assert got.returncode == 0, got.stderr
    want = dir_md5({rel: dos2unix(data) for rel, data in FILES.items()})
    assert json.loads(got.stdout)["md5"] == want != recorded(project, "images")
    assert json.loads(got.stdout)["hash"] == "md5-dos2unix"


def test_a_rerun_on_unchanged_data_reads_nothing_and_a_change_is_seen(project: Path,
                                                                     tmp_path: Path) -> None:
    state = str(tmp_path / "state.sqlite3")
    first = fingerprint(project, "images", "--state", state)
    assert f"hashed {len(FILES)} files of {len(FILES)}" in first.stderr
    again = fingerprint(project, "images", "--state", state)
    assert again.stdout == first.stdout
    assert f"hashed 0 files of {len(FILES)}" in again.stderr
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-a", str(project / "images"), str(copy)], check=True)
    assert fingerprint(copy, ".", "--state", state).stdout == first.stdout  # same data
    (copy / "notes.txt").write_bytes(b"three cod\r\nand a pike\r\n")
    os.utime(copy / "notes.txt", ns=(PAST_NS + 10**9, PAST_NS + 10**9))
    changed = fingerprint(copy, ".", "--state", state)
    assert changed.returncode == 0
    assert re.fullmatch(r"[0-9a-f]{32}\.dir\n", changed.stdout)
    assert changed.stdout != first.stdout
    assert f"hashed 1 file of {len(FILES)}" in changed.stderr


def test_what_cannot_be_fingerprinted_says_why(project: Path, tmp_path: Path) -> None:
    missing = fingerprint(project, "nowhere", "--no-state")
    assert missing.returncode == 2 and missing.stdout == ""
    assert f"{project / 'nowhere'}: no such file or folder" in missing.stderr
    odd = tmp_path / "odd"
    odd.mkdir()
    (odd / "a.txt").write_bytes(b"a")
    os.mkfifo(odd / "pipe")  # a FIFO where a file should be: never read (it would hang)
    fifo = fingerprint(odd, ".", "--no-state")
    assert fifo.returncode == 3 and fifo.stdout == ""
    assert f"{odd / 'pipe'}: not a regular file" in fifo.stderr
    ignored = tmp_path / "ignored"
    ignored.mkdir()
    (ignored / ".dvcignore").write_text("*.tmp\n")
    refused = fingerprint(tmp_path, "ignored", "--no-state")
    assert refused.returncode == 3 and "DVC refuses a .dvcignore file" in refused.stderr
    for proc in (missing, fifo, refused):
        assert "Traceback" not in proc.stderr


def test_fingerprinting_imports_no_dvc() -> None:
    code = ("import sys, dataward.jobs.cli, dataward.jobs.fingerprint; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'dvc', 'dvc_data', 'fsspec', 'pydantic'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"  # a job's image needs only the base install to fingerprint
