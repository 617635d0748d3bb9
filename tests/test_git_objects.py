"""Object sizes as git gives them, whether dataward reads a loose object's header itself or
asks cat-file: the size limits of no-large-binaries rest on them."""

from __future__ import annotations

import subprocess
import zlib
from pathlib import Path

import pytest

from dataward.adapters.git import Repo
from dataward.adapters.git.objects import loose_sizes
from dataward.errors import CouldNotCheck
from tests.harness.repo import GitRepo, blob


def _git_sizes(repo: GitRepo, oids: list[str]) -> dict[str, int]:
    out = repo.git("cat-file", "--batch-check=%(objectname) %(objectsize)",
                   input=("\n".join(oids) + "\n").encode()).stdout
    return {oid: int(size) for oid, size in (line.split() for line in out.splitlines())}


def _oid(repo: GitRepo, data: bytes) -> str:
    return repo.git("hash-object", "-w", "--stdin", input=data).stdout.strip()  # type: ignore[no-any-return]


def _loose_path(repo: GitRepo, oid: str) -> Path:
    return repo.path / ".git" / "objects" / oid[:2] / oid[2:]


def test_sizes_equal_git_s_for_loose_and_packed_objects(repo: GitRepo) -> None:
    repo.write("a.txt", "hello\n")
    repo.add("a.txt")
    repo.commit("first")
    repo.git("repack", "-adq")  # these are packed now
    packed = [repo.git("rev-parse", r).stdout.strip() for r in ("HEAD", "HEAD^{tree}",
                                                               "HEAD:a.txt")]
    loose = [_oid(repo, data) for data in (b"", b"x", blob(3 * 1024 * 1024, seed=1),
                                           "çà\n".encode() * 5000, blob(70_000, seed=2))]
    assert all(_loose_path(repo, oid).is_file() for oid in loose)
    assert not any(_loose_path(repo, oid).exists() for oid in packed)
    wanted = packed + loose
    found = loose_sizes(str(repo.path / ".git"), wanted)
    assert set(found) == set(loose)  # the packed ones are left to git
    assert Repo.discover(str(repo.path)).object_sizes(wanted) == _git_sizes(repo, wanted)


def test_an_unreadable_header_is_left_to_git_which_refuses_it(repo: GitRepo) -> None:
    oid = _oid(repo, blob(100_000, seed=3))
    path = _loose_path(repo, oid)
    path.chmod(0o644)
    path.write_bytes(path.read_bytes()[:2])  # zlib's header alone: no object header yet
    assert loose_sizes(str(repo.path / ".git"), [oid]) == {}
    with pytest.raises(CouldNotCheck):
        Repo.discover(str(repo.path)).object_sizes([oid])


def _forge(repo: GitRepo, oid: str, header: bytes) -> None:
    """A loose object file at `oid`'s place whose header says something else."""
    path = _loose_path(repo, oid)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.chmod(0o644)
    path.write_bytes(zlib.compress(header + b"hello"))


def test_objects_kept_elsewhere_are_asked_of_git(repo: GitRepo, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """GIT_OBJECT_DIRECTORY: git reads the objects from there; a file at the usual place is
    not read, whatever it says."""
    other = GitRepo.init(tmp_path / "other")
    oid = _oid(other, b"data\n")
    _forge(repo, oid, b"blob 999\0")
    monkeypatch.setenv("GIT_OBJECT_DIRECTORY", str(other.path / ".git" / "objects"))
    assert loose_sizes(str(repo.path / ".git"), [oid]) == {}
    assert Repo.discover(str(repo.path)).object_sizes([oid]) == {oid: 5}


def test_a_header_git_would_refuse_is_left_to_git(repo: GitRepo) -> None:
    oid = _oid(repo, b"hello")
    _forge(repo, oid, b"blob 05\0")  # a leading zero: git says the object is missing
    assert loose_sizes(str(repo.path / ".git"), [oid]) == {}
    _forge(repo, oid, b"blob 5\0")
    assert loose_sizes(str(repo.path / ".git"), [oid]) == {oid: 5}


def test_many_staged_files_are_judged_by_their_staged_blobs(repo: GitRepo) -> None:
    """More files than the quick path names one by one: the staged changes and the loose
    objects' headers judge them, and a large blob among them is still found."""
    repo.write("README.md", "hi\n")
    repo.add("README.md")
    repo.commit("base")
    names = [f"notes/n{i:04d}.txt" for i in range(600)]
    for i, name in enumerate(names):
        repo.write(name, f"note {i}\n")
    repo.write("notes/n0300.txt", blob(600 * 1024, seed=4))  # a binary over 500 KB
    repo.add("notes")
    proc = subprocess.run(["no-large-binaries", *names], cwd=repo.path, capture_output=True,
                          text=True)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "notes/n0300.txt: [no-large-binaries] notes/n0300.txt is 600.0 KB" in proc.stdout
    repo.write("notes/n0300.txt", "small again\n")  # the file changes, the staged blob not
    again = subprocess.run(["no-large-binaries", *names], cwd=repo.path, capture_output=True,
                           text=True)
    assert again.returncode == 1 and "n0300.txt is 600.0 KB" in again.stdout
