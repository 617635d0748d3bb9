"""no-large-binaries over history: a pull request's range, a push, and --all."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
    repo.push_to_bare(tmp_path / "remote.git")
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
    # --all lists what to purge: the blob stays in the clone at each path history gave it
    # (KempnerInstitute/DVC moved its notebooks four times; naming one path left three)
    found = hook("--all", "--format", "json").findings()
    assert sorted(f["path"] for f in found) == ["archive/legacy.bin", "legacy.bin"]


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


# A registry's history as users met it: files committed to git long before DVC tracked
# them (a csv, a .gitignore, a small model) must not be called "a DVC output going into git"
# by --all or --range; each commit is judged by the DVC files of that commit.

def _dvc_file(md5: str, path: str) -> str:
    return f"outs:\n- md5: {md5}\n  size: 540\n  hash: md5\n  path: {path}\n"


def test_all_judges_each_commit_by_its_own_dvc_files(repo: GitRepo, base: str, hook) -> None:
    repo.write(".dvc/config", "")
    repo.write("data/iris.csv", "sepal,petal\n" * 45)  # 540 bytes, in git since 2023
    repo.write("data/.gitignore", "*.tmp\n")
    repo.write("models/model.pt", blob(165 * KB))  # before dvc.yaml had any stage
    repo.add(".dvc/config", "data/iris.csv", "data/.gitignore", "models/model.pt")
    repo.commit("data and a model, before DVC", "--date=2023-03-01T12:00:00")
    # Later the csv moves into DVC and a stage makes the model: both leave git properly.
    repo.git("rm", "-q", "--cached", "data/iris.csv", "models/model.pt")
    repo.write("data/.gitignore", "*.tmp\n/iris.csv\n")
    repo.write("data/iris.csv.dvc", _dvc_file("a" * 32, "iris.csv"))
    repo.write("dvc.yaml", "stages:\n  train:\n    cmd: python train.py\n"
               "    outs:\n    - models/model.pt\n")
    repo.add("data/.gitignore", "data/iris.csv.dvc", "dvc.yaml")
    moved = repo.commit("track iris.csv and the model with DVC")
    for args in (["--all"], ["--range", f"{base}..HEAD"], ["--range", f"{moved}~1..HEAD"]):
        res = hook(*args, "--format", "json")
        assert res.code == 0, (args, res)
        assert res.findings() == []


def test_a_file_committed_while_dvc_tracked_it_is_still_refused(
        repo: GitRepo, base: str, hook) -> None:
    # The other way round: data/iris.csv was a DVC output when it was committed, and the
    # .dvc file was removed afterwards. That commit put DVC data into git.
    bad = _dvc_data_committed_then_untracked(repo)
    res = hook("--all", "--format", "json")
    assert res.code == 1
    (finding,) = res.findings()
    assert finding["message"].startswith(
        "data/iris.csv is a DVC output of data/iris.csv.dvc and must not go into git")
    assert bad[:12] in finding["message"]


def test_a_dvc_yaml_stage_output_judged_from_its_commit(repo: GitRepo, base: str, hook) -> None:
    repo.write(".dvc/config", "")
    repo.write("dvc.yaml", "stages:\n  train:\n    cmd: python train.py\n"
               "    wdir: src\n    outs:\n    - ../models/model.pt\n")
    repo.add(".dvc/config", "dvc.yaml")
    repo.commit("a stage")
    repo.write("models/model.pt", blob(20 * KB))  # under the size limit: only DVC objects
    repo.add("models/model.pt")
    added = repo.commit("commit the stage's output")
    res = hook("--range", f"{base}..HEAD", "--format", "json")
    (finding,) = res.findings()
    assert finding["message"].startswith(
        "models/model.pt is a DVC output of dvc.yaml and must not go into git")
    assert added[:12] in finding["message"]
    # The stage tracks it: `dvc add` would claim it a second time (models/model.pt.dvc).
    assert "git rm -r -q --cached models/model.pt && git commit --amend" in finding["hint"]
    assert "dvc add" not in finding["hint"]
    repo.write("models/model.pt", blob(20 * KB, seed=7))
    repo.add("models/model.pt")
    (staged,) = hook("--format", "json").findings()
    assert staged["hint"] == ("fix: git rm --cached models/model.pt\ndvc.yaml tracks it "
                              "already: `dvc commit dvc.yaml` records the data if it changed")


def test_dvc_pointer_files_in_a_folder_that_becomes_an_output(
        repo: GitRepo, base: str, hook) -> None:
    # bookdata-tools: .dvc files and DVC's .gitignore in data/parts/, and later a stage
    # whose output is data/parts. Neither they nor anything else went into git as DVC data,
    # and a hint to rewrite data/parts out of history would destroy the pointers.
    repo.write(".dvc/config", "")
    for name in ("a", "b"):
        repo.write(f"data/parts/{name}.gz.dvc",
                   f"md5: {'c' * 32}\ndeps:\n- etag: '\"x\"'\n  path: https://example.org/"
                   f"{name}.gz\nouts:\n- md5: {'d' * 32}\n  path: {name}.gz\n  cache: true\n")
    repo.write("data/parts/.gitignore", "/a.gz\n/b.gz\n")
    repo.add(".dvc/config", "data/parts")
    repo.commit("C1")
    repo.git("rm", "-q", "-r", "data/parts")
    repo.write("data/dvc.yaml", "stages:\n  parts:\n    cmd: curl\n    outs:\n    - parts\n")
    repo.add("data/dvc.yaml")
    repo.commit("C2")
    assert hook("--all", "--format", "json").findings() == []
    # Even while the folder is an output, the files DVC keeps in git are not data.
    repo.write("data/parts/.gitignore", "/x\n")
    repo.add("data/parts/.gitignore")
    repo.commit("C3")
    assert hook("--all", "--format", "json").findings() == []


def test_outputs_that_change_shape_are_named_at_their_own_commit(
        repo: GitRepo, base: str, hook) -> None:
    # pokemon: two files were stage outputs when committed (C1); a third file beside them,
    # and DVC's .gitignore, were not outputs when committed (C2); the folder became the
    # output later (C3). Findings: a.pb and b.pb at C1, nothing else.
    repo.write(".dvc/config", "")
    repo.write("dvc.yaml", "stages:\n  train:\n    cmd: t\n    outs:\n    - out/m/a.pb\n"
               "    - out/m/b.pb\n")
    repo.write("out/m/a.pb", blob(3 * KB))
    repo.write("out/m/b.pb", blob(3 * KB, seed=1))
    repo.write("out/m/v/w.bin", blob(2 * KB))
    repo.add(".dvc/config", "dvc.yaml", "out")
    c1 = repo.commit("C1")
    repo.git("rm", "-q", "--cached", "out/m/a.pb", "out/m/b.pb")
    repo.write("out/m/v/w.bin", blob(2 * KB, seed=3))
    repo.write("out/m/.gitignore", "/a.pb\n/b.pb\n")
    repo.add("out/m/v/w.bin", "out/m/.gitignore")
    repo.commit("C2")
    repo.write("dvc.yaml", "stages:\n  train:\n    cmd: t\n    outs:\n    - out/m\n")
    repo.git("rm", "-q", "-r", "--cached", "out/m")
    repo.add("dvc.yaml")
    repo.commit("C3")
    found = hook("--all", "--format", "json").findings()
    assert sorted(f["path"] for f in found) == ["out/m/a.pb", "out/m/b.pb"]
    assert all(c1[:12] in f["message"] for f in found)


# The property: over any history of a file going in and out of git and of DVC, --all
# reports a DVC output going into git exactly for the blobs committed while that commit's
# own DVC files tracked the path (read by the brute force through the one reader).

_step = st.sampled_from(["git-add", "git-change", "git-rm", "dvc-track", "dvc-untrack",
                         "stage-track", "stage-untrack", "noise"])


def _owned_at(repo: GitRepo, sha: str, path: str) -> bool:
    from dataward.formats.dvcfile import OutputIndex, is_dvcfile, read

    names = repo.git("ls-tree", "-r", "--name-only", sha).stdout.splitlines()
    outs = [o for n in names if is_dvcfile(n) and not n.endswith("dvc.lock")
            for o in read(n, repo.git("show", f"{sha}:{n}").stdout.encode()).outs if o.cache]
    return OutputIndex(outs).owner(path) is not None


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(_step, min_size=1, max_size=10))
def test_all_reports_exactly_the_blobs_committed_as_dvc_outputs(
        tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch,
        hook: Callable[..., Result], steps: list[str]) -> None:
    repo = GitRepo.init(tmp_path_factory.mktemp("h"))
    repo.write(".dvc/config", "")
    repo.add(".dvc/config")
    repo.commit("dvc init")
    data = "d/x.csv"
    for n, step in enumerate(steps, 1):
        if step in ("git-add", "git-change"):
            repo.write(data, f"row,{n}\n" * 20)
            repo.add(data)
        elif step == "git-rm" and (repo.path / data).exists():
            repo.git("rm", "-q", "--cached", "--ignore-unmatch", data)
        elif step == "dvc-track":
            repo.write("d/x.csv.dvc", f"outs:\n- md5: {n:032x}\n  path: x.csv\n")
            repo.add("d/x.csv.dvc")
        elif step == "stage-track":
            repo.write("dvc.yaml", "stages:\n  s:\n    cmd: c\n    outs:\n    - d\n")
            repo.add("dvc.yaml")
        else:
            gone = {"dvc-untrack": "d/x.csv.dvc", "stage-untrack": "dvc.yaml"}.get(step)
            if gone:
                repo.git("rm", "-q", "--cached", "--ignore-unmatch", gone)
            else:
                repo.write("notes.txt", f"{n}\n")
                repo.add("notes.txt")
        repo.commit(step)
    expected = []  # the commits that added a blob of the path while DVC tracked it
    seen: set[str] = set()
    for sha in repo.git("rev-list", "--reverse", "HEAD").stdout.split():
        blob_id = repo.git("rev-parse", "--verify", "-q", f"{sha}:{data}", check=False).stdout
        oid = blob_id.strip()
        if oid and oid not in seen:  # the commit that added this blob at this path
            seen.add(oid)
            if _owned_at(repo, sha, data):
                expected.append(sha[:12])
    monkeypatch.chdir(repo.path)
    found = hook("--all", "--format", "json").findings()
    reported = [f["message"].split("added in ")[1][:12] for f in found]
    assert all("a DVC output of" in f["message"] for f in found)
    # One finding per output, naming the first commit that put it into git.
    assert set(reported) <= set(expected)
    assert bool(reported) == bool(expected)
    if expected:
        assert expected[0] in reported


def test_a_dvc_output_is_named_at_the_first_commit_that_put_it_in_git(
        repo: GitRepo, base: str, hook) -> None:
    repo.write(".dvc/config", "")
    repo.write("data.dvc", f"outs:\n- md5: {'e' * 32}.dir\n  path: data\n")
    repo.add(".dvc/config", "data.dvc")
    repo.commit("track data")
    tracked = repo.head()
    # a first commit whose id is in the upper half, so that a second one sorting before it
    # is found in a few tries (from a low first id, 64 tries missed about once in 65 runs)
    for attempt in range(64):
        repo.write("data/a.csv", f"a{attempt}\n")
        repo.add("data/a.csv")
        first = repo.commit("first")
        if first >= "8":
            break
        repo.git("reset", "-q", "--hard", tracked)
    for attempt in range(64):  # a second commit whose id sorts before the first one's
        repo.write("data/b.csv", f"b{attempt}\n")
        repo.add("data/b.csv")
        second = repo.commit("second")
        if second < first:
            break
        repo.git("reset", "-q", "--hard", first)
    assert second < first
    (finding,) = hook("--all", "--format", "json").findings()
    assert finding["message"].startswith("2 files of data/, a DVC output of data.dvc")
    assert f"added in {first[:12]}" in finding["message"]


@pytest.mark.parametrize("line", [
    "refs/heads/main {sha} refs/heads/main {zero} extra",  # a fifth field
    "refs/heads/main {sha} refs/heads/main",  # three
    "refs/heads/main not-a-sha refs/heads/main {zero}",
])
def test_a_pre_push_line_it_cannot_read_fails_closed(repo: GitRepo, base: str, line: str) -> None:
    import sys

    text = line.format(sha=base, zero="0" * 40) + "\n"
    for argv in (["-m", "dataward", "hook", "pre-push", "origin", "url"],
                 ["-m", "dataward", "check", "no-large-binaries", "--pre-push", "origin"]):
        proc = subprocess.run([sys.executable, *argv], cwd=repo.path, input=text.encode(),
                              capture_output=True, check=False)
        assert proc.returncode == 3, (argv, proc.stderr)
        assert b"cannot read the pre-push line" in proc.stderr


def test_a_replace_ref_does_not_hide_a_committed_blob(repo: GitRepo, base: str, hook) -> None:
    repo.write("model.pt", blob(2 * KB * KB))
    repo.add("model.pt")
    added = repo.commit("model")
    big = repo.git("rev-parse", "HEAD:model.pt").stdout.strip()
    small = repo.git("hash-object", "-w", "--stdin", input=b"tiny\n").stdout.strip()
    repo.git("replace", big, small)
    # Replacing the commit too: its stand-in has no model.pt at all.
    repo.git("replace", added, base)
    for argv in (["--all"], ["--range", f"{base}..{added}"]):
        (f,) = hook(*argv, "--format", "json").findings()
        assert f["path"] == "model.pt", argv
        assert f"model.pt is 2.0 MB, over the 500 KB limit for binaries; added in " \
            f"{added[:12]}" in f["message"]


# -- a registry's shape (issue 19): a uv.lock of ~700 KB with three versions in history, the
# newest still in HEAD; a notebook of 2 MB; a binary model, replaced once, still in HEAD; and
# weights deleted later. Text gets text-max-kb (5 MB), binaries max-kb (500 KB).

def _lock(version: int) -> bytes:
    entry = f'[[package]]\nname = "pkg-{version}"\nversion = "1.{version}.0"\n'.encode()
    return (entry * (700 * KB // len(entry) + 1))[:700 * KB + version]


@pytest.fixture
def registry(repo: GitRepo, base: str) -> dict[str, str]:
    """Commits c0..c3 and the blob ids: lock0..lock2, model0, model1, weights."""
    ids: dict[str, str] = {}
    notebook = '{"cells": [{"outputs": [{"data": {"image/png": "' + "iVBOR" * 400_000 + '"}}]}]}'
    for n in range(3):
        repo.write("uv.lock", _lock(n))
        files = ["uv.lock"]
        if n == 0:
            repo.write("analysis.ipynb", notebook)
            repo.write("models/model.pt", blob(2 * KB * KB))
            repo.write("old weights.bin", blob(600 * KB, seed=4))
            files += ["analysis.ipynb", "models/model.pt", "old weights.bin"]
        if n == 1:
            repo.write("models/model.pt", blob(2 * KB * KB, seed=1))
            files.append("models/model.pt")
            repo.git("rm", "-q", "old weights.bin")
        repo.add(*files)
        ids[f"c{n}"] = repo.commit(f"lock v{n}")
        ids[f"lock{n}"] = repo.git("rev-parse", "HEAD:uv.lock").stdout.strip()
    ids["model0"] = repo.git("rev-parse", f"{ids['c0']}:models/model.pt").stdout.strip()
    ids["model1"] = repo.git("rev-parse", f"{ids['c1']}:models/model.pt").stdout.strip()
    ids["weights"] = repo.git("rev-parse", f"{ids['c0']}:old weights.bin").stdout.strip()
    return ids


def test_all_refuses_the_model_not_the_lockfile_or_the_notebook(
        repo: GitRepo, registry: dict[str, str], hook) -> None:
    ids = registry
    found = {(f["path"], f["message"].split("added in ")[1][:12]): f
             for f in hook("--all", "--format", "json").findings()}
    assert sorted(found) == sorted([("models/model.pt", ids["c0"][:12]),
                                    ("models/model.pt", ids["c1"][:12]),
                                    ("old weights.bin", ids["c0"][:12])])
    old = found[("models/model.pt", ids["c0"][:12])]
    assert old["message"] == (
        f"models/model.pt is 2.0 MB, over the 500 KB limit for binaries; added in "
        f"{ids['c0'][:12]} ('lock v0'), and changed later: HEAD has another version, but this "
        "one stays in history")
    new = found[("models/model.pt", ids["c1"][:12])]
    assert new["message"].endswith("('lock v1'), and still in HEAD")
    strip = (f"printf '%s\\n' {ids['model0']} {ids['model1']} > .git/strip-blobs.txt && "
             "git filter-repo --strip-blobs-with-ids .git/strip-blobs.txt")
    # HEAD holds a version: both hints move it to DVC first, then strip both blobs by id.
    for f in (old, new):
        assert f["hint"] == (
            "fix: it is still in HEAD: move it to DVC first:\n"
            "  dvc init && git rm --cached models/model.pt && dvc add models/model.pt && "
            "git add models/model.pt.dvc models/.gitignore && "
            "git commit -m 'Move models/model.pt to DVC' && dvc push && git push\n"
            "then strip these blobs from history by id, so only these versions go: in a fresh "
            f"clone, coordinated with everyone who cloned:\n  {strip}")
    gone = found[("old weights.bin", ids["c0"][:12])]
    assert gone["message"].endswith("('lock v0'), and deleted later, but it stays in history")
    assert gone["hint"] == (
        "fix: strip these blobs from history by id, so only these versions go: in a fresh "
        "clone, coordinated with everyone who cloned:\n"
        f"  printf '%s\\n' {ids['weights']} > .git/strip-blobs.txt && "
        "git filter-repo --strip-blobs-with-ids .git/strip-blobs.txt")
    assert not any("--invert-paths" in f["hint"] for f in found.values())


def test_a_lockfile_over_its_glob_limit_is_kept_in_git_in_every_scope(
        repo: GitRepo, base: str, registry: dict[str, str], hook) -> None:
    repo.write("dataward.toml", '[no-large-binaries]\nlimits = { "uv.lock" = 512 }\n')
    found = [f for f in hook("--all", "--format", "json").findings() if f["path"] == "uv.lock"]
    assert sorted(f["message"] for f in found) == sorted(
        f"uv.lock is {size}, over the 512 KB limit; added in {registry[c][:12]} ('lock v{n}'), "
        + ("and still in HEAD" if n == 2 else
           "and changed later: HEAD has another version, but this one stays in history")
        for n, (c, size) in enumerate([("c0", "700.0 KB"), ("c1", "700.0 KB"),
                                       ("c2", "700.0 KB")]))
    keep = ('fix: keep uv.lock in git (DVC is for data): raise its limit, `"uv.lock" = 1024` '
            "as the last key of `limits` under [no-large-binaries] in the policy (the last glob "
            "that matches wins), or regenerate it with fewer dependencies: uv lock; no history "
            "rewrite: git stores versions of text as deltas")
    assert [f["hint"] for f in found] == [keep] * 3
    (pr,) = [f for f in hook("--range", f"{registry['c1']}..HEAD", "--format", "json"
                             ).findings() if f["path"] == "uv.lock"]
    assert pr["hint"] == keep  # no rebase, no DVC: the commit is right, the limit is not


def test_a_blob_that_is_still_another_file_of_head_is_never_stripped(
        repo: GitRepo, base: str, hook) -> None:
    repo.write("dataward.toml", '[no-large-binaries]\nlimits = { "assets/**" = 4096 }\n')
    repo.write("tmp/w.bin", blob(1024 * KB))
    repo.add("dataward.toml", "tmp/w.bin")
    repo.commit("weights at a strict path")
    (repo.path / "assets").mkdir()
    repo.git("mv", "tmp/w.bin", "assets/w.bin")  # allowed here, and the same blob
    repo.commit("move to assets")
    (f,) = hook("--all", "--format", "json").findings()
    assert f["path"] == "tmp/w.bin"
    assert f["hint"] == ("fix: the same content is assets/w.bin in HEAD, so every clone has it "
                         "anyway: take that file out of git first, then run --all again")


def test_all_moves_a_dvc_output_still_in_head_to_dvc_before_stripping(
        repo: GitRepo, base: str, hook) -> None:
    repo.write(".dvc/config", "")
    repo.write("data.dvc", f"outs:\n- md5: {'e' * 32}.dir\n  path: data\n")
    repo.write("data/a b.csv", "1\n")
    repo.add(".dvc/config", "data.dvc", "data/a b.csv")
    added = repo.commit("data in git too")
    oid = repo.git("rev-parse", "HEAD:data/a b.csv").stdout.strip()
    (f,) = hook("--all", "--format", "json").findings()
    assert f["message"] == ("1 file of data/, a DVC output of data.dvc, is going into git; "
                            f"added in {added[:12]} ('data in git too')")
    assert f["hint"] == (
        "fix: it is still in HEAD: move it to DVC first:\n"
        "  git rm -r --cached data && dvc add data && git add data.dvc .gitignore && "
        "git commit -m 'Move data to DVC' && dvc push && git push\n"
        "then strip these blobs from history by id, so only these versions go: in a fresh "
        "clone, coordinated with everyone who cloned:\n"
        f"  printf '%s\\n' {oid} > .git/strip-blobs.txt && "
        "git filter-repo --strip-blobs-with-ids .git/strip-blobs.txt")


def test_a_range_says_where_the_path_is_at_its_tip(repo: GitRepo, base: str, hook) -> None:
    for n in range(2):
        repo.write("w.bin", blob(600 * KB, seed=n))
        repo.add("w.bin")
        repo.commit(f"w{n}")
    messages = sorted(f["message"].partition("), ")[2]
                      for f in hook("--range", f"{base}..HEAD", "--format", "json").findings())
    assert messages == ["and changed later: the tip has another version, but this one stays "
                        "in history", "and still at the tip"]


# -- shortcuts of --range give the findings of the slow way (issue 23) ------------------------


@pytest.mark.parametrize("floor_kb", [40, 100])  # under, then over, the 64 KB from which
# blobs_over lists sizes alone before it lists ids
def test_a_range_copying_an_old_blob_to_a_stricter_path(repo: GitRepo, base: str, hook,
                                                        floor_kb: int) -> None:
    repo.write("dataward.toml", f'[no-large-binaries]\nmax-kb = {floor_kb}\n'
               'limits = { "assets/**" = 4096 }\n')
    small = blob(floor_kb // 2 * KB, seed=2)
    repo.write("assets/small.bin", small)
    repo.add("dataward.toml", "assets/small.bin")
    start = repo.commit("a small asset")
    repo.write("tmp/small.bin", small)
    repo.add("tmp/small.bin")
    repo.commit("copy it")
    # No object of the repository is over the floor: the listing of sizes says so.
    assert hook("--range", f"{start}..HEAD") == Result(0, "", "")
    big = blob(floor_kb * 3 // 2 * KB, seed=1)
    repo.write("assets/big.bin", big)
    repo.add("assets/big.bin")
    start = repo.commit("a large asset, allowed there")
    repo.write("tmp/big.bin", big)
    repo.write("tmp/small2.bin", small)
    repo.add("tmp/big.bin", "tmp/small2.bin")
    copied = repo.commit("copy both to a stricter path")
    # The range brings no new blob; one it copies is over the limit at its new path.
    res = hook("--range", f"{start}..HEAD", "--format", "json")
    assert res.code == 1
    (f,) = res.findings()
    assert f["path"] == "tmp/big.bin"
    assert f["message"].startswith(f"tmp/big.bin is {floor_kb * 3 // 2}.0 KB, over the "
                                   f"{floor_kb} KB limit")
    assert f"added in {copied[:12]} ('copy both to a stricter path')" in f["message"]


def _dvc_data_committed_then_untracked(repo: GitRepo) -> str:
    repo.write(".dvc/config", "")
    repo.write("data/iris.csv.dvc", _dvc_file("b" * 32, "iris.csv"))
    repo.add(".dvc/config", "data/iris.csv.dvc")
    repo.commit("track iris with DVC")
    repo.write("data/iris.csv", "sepal,petal\n" * 45)
    repo.add("data/iris.csv")
    bad = repo.commit("commit the data too")
    repo.git("rm", "-q", "data/iris.csv.dvc")
    repo.commit("stop using DVC for iris")
    return bad


def test_the_dvc_files_of_a_range_are_remembered_with_the_same_findings(
        repo: GitRepo, base: str, hook, monkeypatch) -> None:
    # The DVC file that makes data/iris.csv an output is gone at the tip: only the walk of
    # the range's commits finds it, and the remembered walk must find it again.
    bad = _dvc_data_committed_then_untracked(repo)
    first = hook("--range", f"{base}..HEAD", "--format", "json")
    assert first.code == 1
    (f,) = first.findings()
    assert f["message"].startswith(
        "data/iris.csv is a DVC output of data/iris.csv.dvc and must not go into git")
    assert bad[:12] in f["message"]
    assert list(repo.path.glob(".git/dataward/state-v*/dvc-files-range.pickle"))
    assert hook("--range", f"{base}..HEAD", "--format", "json") == first
    # Another range with the same tip is another question: the data commit is not in it.
    assert hook("--range", f"{bad}..HEAD") == Result(0, "", "")
    assert hook("--range", f"{base}..HEAD", "--format", "json") == first
    # A scope named by refs is walked every time, with the same finding.
    monkeypatch.setenv("PRE_COMMIT_REMOTE_NAME", "origin")
    monkeypatch.setenv("PRE_COMMIT_LOCAL_BRANCH", "HEAD")
    by_refs = hook("--format", "json")
    assert by_refs.code == 1
    assert [g["message"] for g in by_refs.findings()] == [f["message"]]


def test_a_range_restoring_a_blob_of_its_base_inside_a_dvc_output(
        repo: GitRepo, base: str, hook) -> None:
    """As in PIReTship/bookdata-tools: a commit in the range puts a file inside a DVC output
    back to the content it has at the range's base (a revert). Its blob is not new to the
    range, so its size was never asked for: an internal error (exit 3, a KeyError). It is
    judged with the rest: the range's data in the DVC output, from its first commit."""
    repo.write(".dvc/config", "")
    repo.write("data.dvc", _dvc_file("b" * 32, "data"))
    repo.write("data/notes.txt", "one\n")
    repo.add(".dvc/config", "data.dvc", "data/notes.txt")
    start = repo.commit("data tracked by DVC, and a file inside it in git")
    firsts = []
    for text, message in (("two\n", "the file changes"), ("one\n", "the change reverted")):
        repo.write("data/notes.txt", text)
        repo.add("data/notes.txt")
        firsts.append(repo.commit(message))
    res = hook("--range", f"{start}..HEAD", "--format", "json")
    assert res.code == 1 and "internal error" not in res.err, res
    assert [(f["rule"], f["path"], f["message"].rsplit("added in ", 1)[1])
            for f in res.findings()] == \
        [("dvc-output-in-git", "data", f"{firsts[0][:12]} ('the file changes')")]
