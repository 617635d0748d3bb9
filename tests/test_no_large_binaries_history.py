"""no-large-binaries over history: a pull request's range, a push, and --all."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from dataward.checks.no_large_binaries import main
from tests.harness.hookrun import Result, runner
from tests.harness.repo import GitRepo, blob

KB = 1024
HOOKS = str(Path(__file__).resolve().parent.parent / "hooks")


@pytest.fixture
def hook(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    return runner(main, capsys)


@pytest.fixture
def base(repo: GitRepo) -> str:
    repo.write("README.md", "# project\n")
    repo.add("README.md")
    return repo.commit("base")


def test_add_then_delete_in_a_range_is_still_refused(repo: GitRepo, base: str, hook) -> None:
    repo.write("model.pt", blob(2 * KB * KB))
    repo.add("model.pt")
    added = repo.commit("add model")
    repo.git("rm", "-q", "model.pt")
    repo.commit("oops, remove model")
    res = hook("--range", f"{base}..HEAD", "--format", "json")
    assert res.code == 1
    (finding,) = res.findings()
    assert finding["path"] == "model.pt"
    assert f"added in {added[:12]} ('add model')" in finding["message"]
    assert "deleted later, but it stays in history" in finding["message"]
    assert f"git rebase -i {added[:12]}~1" in finding["hint"]


def test_clean_range_and_empty_range_pass(repo: GitRepo, base: str, hook) -> None:
    repo.write("train.py", "x = 1\n")
    repo.add("train.py")
    repo.commit("code")
    repo.commit("empty commit")
    assert hook("--range", f"{base}..HEAD") == Result(0, "", "")
    assert hook("--range", "HEAD..HEAD") == Result(0, "", "")


def test_each_blob_once_at_the_commit_that_added_it(repo: GitRepo, base: str, hook) -> None:
    repo.write("a.bin", blob(600 * KB))
    repo.add("a.bin")
    first = repo.commit("first")
    repo.write("b.txt", "unrelated\n")
    repo.add("b.txt")
    repo.commit("second")
    repo.write("a.bin", blob(700 * KB, seed=2))
    repo.add("a.bin")
    third = repo.commit("third")
    msgs = [f["message"] for f in hook("--range", f"{base}..HEAD", "--format",
                                       "json").findings()]
    assert len(msgs) == 2
    assert any(first[:12] in m and "600.0 KB" in m for m in msgs)
    assert any(third[:12] in m and "700.0 KB" in m for m in msgs)


def test_merges(repo: GitRepo, base: str, hook) -> None:
    # main gains a large legacy file (before dataward); the branch merges main in.
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("feature.py", "f = 1\n")
    repo.add("feature.py")
    repo.commit("feature work")
    repo.git("checkout", "-q", "main")
    repo.write("legacy.bin", blob(900 * KB))
    repo.add("legacy.bin")
    repo.commit("legacy on main")
    main_tip = repo.head()
    repo.git("checkout", "-q", "feature")
    repo.git("merge", "-q", "--no-edit", "main")
    # The PR range feature ^main does not re-report main's file.
    assert hook("--range", f"{main_tip}..feature").code == 0
    # A side branch that adds a big file is reported at its own commit when merged.
    repo.git("checkout", "-q", "-b", "side")
    repo.write("side.bin", blob(600 * KB))
    repo.add("side.bin")
    side = repo.commit("side adds a binary")
    repo.git("checkout", "-q", "feature")
    repo.git("merge", "-q", "--no-ff", "--no-edit", "side")
    (f,) = hook("--range", f"{main_tip}..feature", "--format", "json").findings()
    assert f["path"] == "side.bin" and side[:12] in f["message"]
    # An evil merge: the resolution itself adds a big file.
    repo.git("checkout", "-q", "-b", "other", main_tip)
    repo.write("other.txt", "o\n")
    repo.add("other.txt")
    repo.commit("other")
    repo.git("checkout", "-q", "feature")
    repo.git("merge", "-q", "--no-commit", "other")
    repo.write("evil.bin", blob(600 * KB, seed=5))
    repo.add("evil.bin")
    merge = repo.commit("merge other, with a surprise")
    found = hook("--range", f"{main_tip}..feature", "--format", "json").findings()
    assert {f["path"] for f in found} == {"side.bin", "evil.bin"}
    assert any(merge[:12] in f["message"] for f in found if f["path"] == "evil.bin")


def test_three_dot_range_starts_at_the_merge_base(repo: GitRepo, base: str, hook) -> None:
    repo.git("checkout", "-q", "-b", "pr")
    repo.write("p.bin", blob(600 * KB))
    repo.add("p.bin")
    repo.commit("pr")
    repo.git("checkout", "-q", "main")
    repo.write("m.txt", "main moves on\n")
    repo.add("m.txt")
    repo.commit("main")
    (f,) = hook("--range", "main...pr", "--format", "json").findings()
    assert f["path"] == "p.bin"


def test_all_audits_history_and_names_the_commit(repo: GitRepo, base: str, hook) -> None:
    repo.write("data/images/cat.jpg", blob(800 * KB))
    repo.add("data/images/cat.jpg")
    added = repo.commit("add cat")
    repo.git("rm", "-q", "data/images/cat.jpg")
    repo.commit("remove cat")
    res = hook("--all", "--format", "json")
    (f,) = res.findings()
    assert f["path"] == "data/images/cat.jpg" and added[:12] in f["message"]
    assert "git filter-repo" in f["hint"]


def test_a_root_commit_gets_a_root_rebase_hint(repo: GitRepo, hook, monkeypatch) -> None:
    repo.write("big.bin", blob(600 * KB))
    repo.add("big.bin")
    repo.commit("root")
    monkeypatch.setenv("PRE_COMMIT_REMOTE_NAME", "origin")  # a first push of a new repository
    (f,) = hook("--format", "json").findings()
    assert "git rebase -i --root" in f["hint"]


def test_unknown_base_fails_closed(repo: GitRepo, base: str, hook) -> None:
    res = hook("--range", "no-such-branch..HEAD")
    assert res.code == 3
    assert "no-such-branch" in res.err and "is not a commit in this clone" in res.err
    assert hook("--range", "nonsense").code == 2


def _history(repo: GitRepo, n: int) -> list[str]:
    commits = []
    for i in range(n):
        repo.write(f"f{i}.txt", f"{i}\n")
        repo.add(f"f{i}.txt")
        commits.append(repo.commit(f"c{i}"))
    return commits


def test_shallow_clone_without_base_exits_3(repo: GitRepo, base: str, tmp_path: Path,
                                            monkeypatch, hook) -> None:
    commits = _history(repo, 3)
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo.path}", str(clone)],
                   check=True)
    monkeypatch.chdir(clone)
    res = hook("--range", f"{commits[0]}..HEAD")
    assert res.code == 3
    assert "shallow" in res.err and "fetch-depth: 0" in res.err


def test_range_past_the_shallow_boundary_exits_3(repo: GitRepo, base: str, tmp_path: Path,
                                                 monkeypatch, hook) -> None:
    commits = _history(repo, 4)
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "2", f"file://{repo.path}", str(clone)],
                   check=True)
    # The base is fetched on its own, so it resolves, but the history in between is cut.
    subprocess.run(["git", "-C", str(clone), "fetch", "-q", "--depth", "1", "origin",
                    commits[0]], check=True)
    monkeypatch.chdir(clone)
    res = hook("--range", f"{commits[0]}..HEAD")
    assert res.code == 3 and "shallow clone boundary" in res.err
    assert hook("--range", f"{commits[2]}..HEAD").code == 0  # within the fetched history


def test_pre_commit_push_environment(repo: GitRepo, base: str, hook, monkeypatch) -> None:
    repo.write("model.pt", blob(600 * KB))
    repo.add("model.pt")
    tip = repo.commit("model")
    monkeypatch.setenv("PRE_COMMIT_FROM_REF", base)
    monkeypatch.setenv("PRE_COMMIT_TO_REF", tip)
    (f,) = hook("--format", "json", "model.pt").findings()
    assert tip[:12] in f["message"]


def test_pre_commit_push_of_a_new_root_branch(repo: GitRepo, base: str, hook,
                                              monkeypatch) -> None:
    repo.write("model.pt", blob(600 * KB))
    repo.add("model.pt")
    repo.commit("model")
    monkeypatch.setenv("PRE_COMMIT_REMOTE_NAME", "origin")
    monkeypatch.setenv("PRE_COMMIT_LOCAL_BRANCH", "refs/heads/main")
    assert hook("--format", "json").findings()[0]["path"] == "model.pt"


@pytest.fixture
def pushable(repo: GitRepo, base: str, tmp_path: Path) -> GitRepo:
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    repo.git("remote", "add", "origin", str(remote))
    repo.git("push", "-q", "origin", "main")
    repo.git("config", "core.hooksPath", HOOKS)
    return repo


def test_plain_pre_push_hook_refuses_then_accepts(pushable: GitRepo) -> None:
    repo = pushable
    repo.write("model.pt", blob(600 * KB))
    repo.add("model.pt")
    repo.commit("add model")
    repo.git("rm", "-q", "--cached", "model.pt")
    repo.commit("untrack model")  # still in the pushed history
    push = repo.git("push", "origin", "main", check=False)
    assert push.returncode != 0
    assert "model.pt is 600.0 KB, over the 500 KB limit" in push.stdout + push.stderr
    remote_main = repo.git("ls-remote", "origin", "main").stdout.split()[0]
    assert remote_main != repo.head()  # nothing reached the remote
    repo.git("reset", "-q", "--hard", remote_main)
    repo.write("train.py", "print(1)\n")
    repo.add("train.py")
    repo.commit("code only")
    assert repo.git("push", "origin", "main", check=False).returncode == 0


def test_plain_pre_push_hook_on_a_new_branch(pushable: GitRepo) -> None:
    repo = pushable
    repo.git("checkout", "-q", "-b", "exp")
    repo.write("w.bin", blob(600 * KB))
    repo.add("w.bin")
    repo.commit("weights")
    push = repo.git("push", "origin", "exp", check=False)
    assert push.returncode != 0 and "w.bin" in push.stderr + push.stdout
    # deleting a branch pushes no blobs and is not refused
    repo.git("push", "-q", "--no-verify", "origin", "exp")
    assert repo.git("push", "origin", "--delete", "exp", check=False).returncode == 0


def test_plain_pre_commit_hook_refuses_a_commit(repo: GitRepo) -> None:
    repo.git("config", "core.hooksPath", HOOKS)
    repo.write("model.pt", blob(600 * KB))
    repo.add("model.pt")
    res = repo.git("commit", "-m", "model", check=False)
    assert res.returncode == 1
    assert "model.pt is 600.0 KB" in res.stdout + res.stderr
    assert repo.git("rev-parse", "--verify", "-q", "HEAD", check=False).returncode != 0


def test_range_rename_of_a_legacy_blob_passes(repo: GitRepo, hook) -> None:
    repo.write("legacy.bin", blob(900 * KB))
    repo.add("legacy.bin")
    base = repo.commit("legacy, before dataward")
    (repo.path / "archive").mkdir()
    repo.git("mv", "legacy.bin", "archive/legacy.bin")
    repo.commit("move it")
    assert hook("--range", f"{base}..HEAD") == Result(0, "", "")


def test_dvc_output_committed_in_a_range(repo: GitRepo, base: str, hook) -> None:
    repo.write(".dvc/config", "")
    repo.write("data.dvc", "outs:\n- md5: 0123456789abcdef0123456789abcdef.dir\n"
                           "  size: 10\n  nfiles: 2\n  hash: md5\n  path: data\n")
    repo.write("data/a.csv", "1\n")
    repo.write("data/b.csv", "2\n")
    repo.add(".dvc/config", "data.dvc", "data/a.csv", "data/b.csv")
    tip = repo.commit("data in git by mistake")
    (f,) = hook("--range", f"{base}..HEAD", "--format", "json").findings()
    assert f["path"] == "data"
    assert f["message"].startswith("2 files of data/, a DVC output of data.dvc, are going")
    assert tip[:12] in f["message"]
