"""The large blobs a repository stores, remembered per set of packs: a range that copies an
old large blob to a stricter path is refused however the blob is stored, state warm or cold."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from dataward.adapters.git import Repo
from dataward.adapters.state import State
from dataward.checks import stored_blobs
from dataward.checks.no_large_binaries import main
from tests.harness.hookrun import Result, runner
from tests.harness.repo import GitRepo, blob

KB = 1024


@pytest.fixture
def hook(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    return runner(main, capsys)


def _remembered(repo: GitRepo) -> list[str]:
    return [p.name for p in repo.path.glob(".git/dataward/state-v*/large-blobs.pickle")]


def _copy_refused(repo: GitRepo, hook: Callable[..., Result], start: str, big_kb: int) -> None:
    repo.write("tmp/big.bin", (repo.path / "assets" / "big.bin").read_bytes())
    repo.add("tmp/big.bin")
    copied = repo.commit("copy the asset to a stricter path")
    res = hook("--range", f"{start}..HEAD", "--format", "json")
    assert res.code == 1, res
    (f,) = res.findings()
    assert f["path"] == "tmp/big.bin"
    assert f["message"].startswith(f"tmp/big.bin is {big_kb}.0 KB, over the 100 KB limit")
    assert copied[:12] in f["message"]


@pytest.mark.parametrize("packed", [True, False])
def test_a_copy_of_an_old_large_blob_is_refused_with_the_listing_remembered(
        repo: GitRepo, hook: Callable[..., Result], packed: bool) -> None:
    """The listing is remembered by a run that finds nothing; the large blob is then in a
    pack it covers (`packed`), or loose, added after it: either way the copy is refused."""
    repo.write("dataward.toml", '[no-large-binaries]\nmax-kb = 100\n'
               'limits = { "assets/**" = 4096 }\n')
    repo.add("dataward.toml")
    start = repo.commit("policy")
    if packed:
        repo.write("assets/big.bin", blob(300 * KB, seed=5))
        repo.add("assets/big.bin")
        start = repo.commit("a large asset, allowed there")
        repo.git("repack", "-adq")
    repo.write("notes.txt", "hi\n")
    repo.add("notes.txt")
    repo.commit("notes")
    assert hook("--range", f"{start}..HEAD") == Result(0, "", "")
    assert _remembered(repo) == ["large-blobs.pickle"]
    if not packed:  # loose, and the packs unchanged: the remembered listing still holds
        repo.write("assets/big.bin", blob(300 * KB, seed=5))
        repo.add("assets/big.bin")
        start = repo.commit("a large asset, allowed there")
    _copy_refused(repo, hook, start, 300)


def test_the_remembered_listing_is_gits_own_plus_the_loose_objects(repo: GitRepo) -> None:
    repo.write("a.bin", blob(200 * KB, seed=6))
    repo.add("a.bin")
    repo.commit("one")
    repo.git("repack", "-adq")
    git_repo = Repo.discover(str(repo.path))
    state = State(git_repo.common_dir)
    assert stored_blobs.blobs_over(git_repo, 100 * KB, state) == git_repo.blobs_over(100 * KB)
    loose = repo.git("hash-object", "-w", "--stdin", input=blob(150 * KB, seed=7)).stdout.strip()
    small = repo.git("hash-object", "-w", "--stdin", input=b"small\n").stdout.strip()
    found = stored_blobs.blobs_over(git_repo, 100 * KB, state)  # remembered: the pack's
    assert found == git_repo.blobs_over(100 * KB) and loose in found and small not in found
    repo.git("repack", "-adq")  # new packs: listed by git again
    assert stored_blobs.blobs_over(git_repo, 100 * KB, state) == git_repo.blobs_over(100 * KB)
    # Another floor is another question.
    assert stored_blobs.blobs_over(git_repo, 180 * KB, state) == git_repo.blobs_over(180 * KB)


def test_objects_in_an_alternate_are_listed_by_git(repo: GitRepo, tmp_path) -> None:
    other = GitRepo.init(tmp_path / "other")
    other.write("big.bin", blob(200 * KB, seed=8))
    other.add("big.bin")
    other.commit("big")
    alternates = repo.path / ".git" / "objects" / "info" / "alternates"
    alternates.parent.mkdir(parents=True, exist_ok=True)
    alternates.write_text(str(other.path / ".git" / "objects") + "\n")
    git_repo = Repo.discover(str(repo.path))
    found = stored_blobs.blobs_over(git_repo, 100 * KB, State(git_repo.common_dir))
    assert len(found) == 1 and found == git_repo.blobs_over(100 * KB)
    assert _remembered(repo) == []


def test_a_pack_git_does_not_read_yet_is_not_remembered(repo: GitRepo, tmp_path) -> None:
    """A pack without its index (a fetch under way, or cut short): git does not read its
    objects yet, so a listing taken now must not be remembered under a key that names it."""
    other = GitRepo.init(tmp_path / "other")
    other.write("big.bin", blob(300 * KB, seed=11))
    other.add("big.bin")
    other.commit("big")
    other.git("repack", "-adq")
    (pack,) = (other.path / ".git" / "objects" / "pack").glob("*.pack")
    target = repo.path / ".git" / "objects" / "pack" / pack.name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(pack.read_bytes())  # the .pack alone
    git_repo = Repo.discover(str(repo.path))
    state = State(git_repo.common_dir)
    assert stored_blobs.blobs_over(git_repo, 100 * KB, state) == set()  # as git sees it now
    assert _remembered(repo) == []
    repo.git("index-pack", str(target))  # the index arrives: git reads the pack
    found = stored_blobs.blobs_over(git_repo, 100 * KB, state)
    assert len(found) == 1 and found == git_repo.blobs_over(100 * KB)


def test_a_second_range_run_does_not_list_every_object_again(repo: GitRepo) -> None:
    repo.write("a.txt", "one\n")
    repo.add("a.txt")
    start = repo.commit("one")
    repo.git("repack", "-adq")
    repo.write("a.txt", "two\n")
    repo.add("a.txt")
    repo.commit("two")

    def listed_all(trace: str) -> bool:
        env = {**os.environ, "GIT_TRACE": trace}
        proc = subprocess.run(["no-large-binaries", "--range", f"{start}..HEAD"],
                              cwd=repo.path, env=env, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return "--batch-all-objects" in Path(trace).read_text()

    assert listed_all(str(repo.path.parent / "first.trace"))
    assert not listed_all(str(repo.path.parent / "second.trace"))
