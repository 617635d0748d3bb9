"""no-large-binaries at commit: the staged blob is judged, for added and modified files."""

from __future__ import annotations

import json
import shlex
import subprocess
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataward.checks.no_large_binaries import main
from tests.harness.hookrun import Result, runner
from tests.harness.repo import GitRepo, blob

KB = 1024


@pytest.fixture
def hook(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    return runner(main, capsys)


def test_large_added_file_is_refused_with_the_command_to_run(repo: GitRepo, hook) -> None:
    repo.write("model.pt", blob(2 * KB * KB))
    repo.add("model.pt")
    res = hook("model.pt")
    assert res.code == 1
    assert res.out.startswith("model.pt: [no-large-binaries] model.pt is 2.0 MB, over the "
                              "500 KB limit")
    assert "git rm --cached model.pt && dvc add model.pt" in res.out
    assert "dvc init" in res.out  # this repository has no DVC project yet


def test_small_files_pass_silently(repo: GitRepo, hook) -> None:
    repo.write("train.py", "print('hi')\n")
    repo.write("icon.png", blob(20 * KB))
    repo.add("train.py", "icon.png")
    assert hook("train.py", "icon.png") == Result(0, "", "")


def test_limit_is_inclusive_of_exactly_max_kb(repo: GitRepo, hook) -> None:
    repo.write("at.bin", blob(500 * KB))
    repo.write("over.bin", blob(500 * KB + 1))
    repo.add("at.bin", "over.bin")
    res = hook("--format", "json", "at.bin", "over.bin")
    assert [f["path"] for f in res.findings()] == ["over.bin"]


def test_modified_file_grown_past_the_limit(repo: GitRepo, hook) -> None:
    repo.write("data.csv", blob(10 * KB, binary=False))
    repo.add("data.csv")
    repo.commit("small csv")
    repo.write("data.csv", blob(800 * KB, binary=False))  # text: under its 5 MB limit
    repo.add("data.csv")
    assert hook("data.csv") == Result(0, "", "")
    repo.write("data.csv", blob(6 * KB * KB, binary=False))
    repo.add("data.csv")
    res = hook("--format", "json", "data.csv")
    assert res.code == 1
    assert res.findings()[0]["message"] == (
        "data.csv is 6.0 MB, over the limits for binaries (500 KB) and text (5 MB)")


def test_the_staged_blob_is_judged_not_the_working_file(repo: GitRepo, hook) -> None:
    repo.write("a.bin", blob(600 * KB))
    repo.add("a.bin")
    repo.write("a.bin", b"shrunk after staging")
    assert hook("a.bin").code == 1
    repo.write("b.bin", b"small when staged")
    repo.git("reset", "-q", "a.bin")
    repo.add("b.bin")
    repo.write("b.bin", blob(600 * KB))
    assert hook("b.bin").code == 0


def test_a_clean_filter_that_shrinks_the_file_is_honoured(repo: GitRepo, hook) -> None:
    repo.write(".gitattributes", "*.big filter=shrink\n")
    repo.git("config", "filter.shrink.clean", "head -c 100")
    repo.write("huge.big", blob(900 * KB, binary=False))
    repo.add(".gitattributes", "huge.big")
    assert hook("huge.big").code == 0


def test_a_pure_rename_adds_no_data_but_a_changed_one_does(repo: GitRepo, hook) -> None:
    repo.write("old/weights.bin", blob(700 * KB))
    repo.write("old/other.bin", blob(700 * KB, seed=9))
    repo.add("old/weights.bin", "old/other.bin")
    repo.commit("legacy files, committed before dataward")
    (repo.path / "models").mkdir()
    repo.git("mv", "old/weights.bin", "models/weights.bin")  # same blob, new path
    assert hook("models/weights.bin").code == 0
    repo.git("mv", "old/other.bin", "models/other.bin")
    repo.write("models/other.bin", blob(710 * KB, seed=9))  # renamed and changed
    repo.add("models/other.bin")
    res = hook("--format", "json")
    assert [f["path"] for f in res.findings()] == ["models/other.bin"]


def test_only_the_files_pre_commit_passes_are_judged(repo: GitRepo, hook) -> None:
    repo.write("a.bin", blob(600 * KB))
    repo.write("b.bin", blob(600 * KB))
    repo.add("a.bin", "b.bin")
    res = hook("--format", "json", "b.bin")
    assert [f["path"] for f in res.findings()] == ["b.bin"]
    assert len(hook("--format", "json").findings()) == 2  # no names: every staged change


def test_unchanged_files_pass_unless_enforce_all(repo: GitRepo, hook) -> None:
    repo.write("legacy.bin", blob(600 * KB))
    repo.add("legacy.bin")
    repo.commit("legacy")
    assert hook("legacy.bin").code == 0
    res = hook("--enforce-all", "legacy.bin")
    assert res.code == 1 and "legacy.bin is 600.0 KB" in res.out


def test_initial_commit_and_deleted_files(repo: GitRepo, hook) -> None:
    repo.write("big.bin", blob(600 * KB))
    repo.add("big.bin")
    assert hook().code == 1  # no HEAD yet: everything staged is new
    repo.commit("with --no-verify")
    repo.git("rm", "-q", "big.bin")
    assert hook().code == 0  # a deletion adds nothing


@pytest.mark.parametrize("name", ["with space.bin", "données/ünïcode.bin", "new\nline.bin",
                                  "-dash.bin", "quote\".bin"])
def test_awkward_names(repo: GitRepo, hook, name: str) -> None:
    repo.write(name, blob(600 * KB))
    repo.add(name)
    res = hook("--format", "json")
    assert [f["path"] for f in res.findings()] == [name]
    # The fix is one pasteable command line: the name one shell word, never an option.
    fix = res.findings()[0]["hint"].removeprefix("fix: dvc init && ").partition("\nthen")[0]
    shown = "./" + name if name.startswith("-") else name
    assert shlex.split(fix) == ["git", "rm", "--cached", shown, "&&", "dvc", "add", shown]
    text = hook().out
    assert "over the 500 KB limit" in text
    first_line = text.splitlines()[0]
    if "\n" in name:
        assert first_line.startswith('"new\\nline.bin": ')  # one finding, one line
    elif '"' in name:
        assert first_line.startswith('"quote\\".bin": ')


def test_maxkb_argument_as_in_pre_commit_hooks(repo: GitRepo, hook) -> None:
    repo.write("a.bin", blob(600 * KB))
    repo.add("a.bin")
    assert hook("--maxkb", "1000", "a.bin").code == 0
    assert hook("--maxkb=100", "a.bin").code == 1


def test_outside_a_git_repository_is_a_usage_error(tmp_path, monkeypatch, hook) -> None:
    monkeypatch.chdir(tmp_path)
    res = hook()
    assert res.code == 2
    assert "is not inside a git working tree" in res.err
    assert "Traceback" not in res.err


def test_console_script_and_dataward_check_agree(repo: GitRepo) -> None:
    repo.write("model.pt", blob(600 * KB))
    repo.add("model.pt")
    a = subprocess.run(["no-large-binaries", "--format", "json", "model.pt"],
                       capture_output=True, text=True)
    b = subprocess.run(["dataward", "check", "no-large-binaries", "--format", "json",
                        "model.pt"], capture_output=True, text=True)
    assert a.returncode == b.returncode == 1
    assert json.loads(a.stdout) == json.loads(b.stdout)


def test_a_replace_ref_does_not_hide_a_staged_blob(repo: GitRepo, hook) -> None:
    from pathlib import Path

    repo.write("model.pt", blob(2 * KB * KB))
    repo.add("model.pt")
    big = repo.git("rev-parse", ":model.pt").stdout.strip()
    small = repo.git("hash-object", "-w", "--stdin", input=b"tiny\n").stdout.strip()
    repo.git("replace", big, small)
    assert repo.git("cat-file", "-s", big).stdout.strip() == "5"  # git itself is fooled
    res = hook("model.pt")
    assert res.code == 1 and "model.pt is 2.0 MB, over the 500 KB limit" in res.out
    # The installed hook, as `git commit` runs it, judges the blob that is committed.
    repo.git("config", "core.hooksPath", str(Path(__file__).resolve().parent.parent / "hooks"))
    done = repo.git("commit", "-m", "model", check=False)
    assert done.returncode == 1
    assert "model.pt is 2.0 MB" in done.stdout + done.stderr
    assert repo.git("rev-parse", "--verify", "-q", "HEAD", check=False).returncode != 0


# -- text and binaries have their own limits (issue 19) ---------------------------------------

def test_text_under_text_max_kb_passes_and_a_binary_model_does_not(repo: GitRepo, hook) -> None:
    lock = b'[[package]]\nname = "numpy"\nversion = "2.1.0"\n'
    repo.write("uv.lock", (lock * (700 * KB // len(lock) + 1))[:700 * KB])
    repo.write("analysis.ipynb", '{"cells": [{"outputs": ["' + "iVBOR" * 400_000 + '"]}]}')
    repo.write("model.pt", blob(2 * KB * KB))
    repo.add("uv.lock", "analysis.ipynb", "model.pt")
    (f,) = hook("--format", "json").findings()
    assert (f["path"], f["message"]) == (
        "model.pt", "model.pt is 2.0 MB, over the 500 KB limit for binaries")
    assert f["hint"].startswith("fix: dvc init && git rm --cached model.pt && dvc add model.pt")


def test_sizes_read_true_next_to_the_limit(repo: GitRepo, hook) -> None:
    repo.write("a.bin", blob(2087))
    repo.write("b.bin", blob(3000))
    repo.add("a.bin", "b.bin")
    msgs = sorted(f["message"] for f in hook("--maxkb", "2", "--format", "json").findings())
    assert msgs == ["a.bin is 2,087 bytes, over the 2,048-byte limit for binaries",
                    "b.bin is 2.9 KB, over the 2 KB limit for binaries"]


@settings(max_examples=200, deadline=None)
@given(limit=st.integers(0, 6 << 20), over=st.integers(1, 1 << 22))
def test_a_size_never_reads_as_at_or_under_its_limit(limit: int, over: int) -> None:
    from dataward.checks.large_file_fixes import over_limit

    said = over_limit(limit * 1024 + over, limit, "binaries")
    size, _, rest = said.partition(", over the ")
    assert rest.endswith(" limit for binaries")
    shown = rest.removesuffix(" limit for binaries")
    assert _bytes(size) > _bytes(shown.replace("-byte", " bytes")), said


def _bytes(text: str) -> float:
    """What a reader takes "2.0 KB", "5 MB" or "2,087 bytes" to mean."""
    number, unit = text.split()
    scale = {"GB": 1 << 30, "MB": 1 << 20, "KB": 1 << 10, "bytes": 1}[unit]
    return float(number.replace(",", "")) * scale


LOCKS = st.sampled_from(["uv.lock", "poetry.lock", "Pipfile.lock", "package-lock.json",
                         "pnpm-lock.yaml", "yarn.lock", "Cargo.lock", "go.sum", "my env.lock",
                         "it's.lock"])
FOLDERS = st.sampled_from(["", "sub dir/", "a'b/", "-x/", "ünï/"])


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=LOCKS, folder=FOLDERS)
def test_a_lockfile_is_never_told_to_go_to_dvc(tmp_path_factory: pytest.TempPathFactory,
                                               monkeypatch: pytest.MonkeyPatch, hook,
                                               name: str, folder: str) -> None:
    repo = GitRepo.init(tmp_path_factory.mktemp("lock"))
    repo.write("dataward.toml", '[no-large-binaries]\nlimits = { "*.lock" = 1, "*.json" = 1, '
                                '"*.yaml" = 1, "*.sum" = 1 }\n')
    repo.write(folder + name, blob(3 * KB, binary=False))
    repo.add(folder + name)
    monkeypatch.chdir(repo.path)
    (f,) = hook("--format", "json").findings()
    assert f["message"] == f"{folder}{name} is 3.0 KB, over the 1 KB limit"
    hint = f["hint"]
    assert "dvc" not in hint.replace("DVC is for data", "") and "git rm" not in hint
    shown = ("./" if folder.startswith("-") else "") + folder + name
    assert hint.startswith(f"fix: keep {shlex.quote(shown)} in git (DVC is for data): "
                           f'raise its limit, `"{name}" = 1024` as the last key of `limits`')
    if "regenerate" in hint:  # the command runs in the lockfile's folder, quoted
        command = hint.split("regenerate it with fewer dependencies: ")[1]
        words = shlex.split(command)
        cd = ["cd", ("./" if folder.startswith("-") else "") + folder.rstrip("/"), "&&"]
        assert (words[:3] == cd) == bool(folder), words
