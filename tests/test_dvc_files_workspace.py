"""dvc-files against the repository: git-tracked, unignored, symlinked and overlapping outputs."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from dataward.checks.dvc_files import main
from tests.harness.hookrun import Result, runner
from tests.harness.repo import GitRepo

MD5 = "b1946ac92492d2347c6235b4d2611184"
DIR_MD5 = "c7f0ef53f06f653f79d3a6a36dcfd39b.dir"


def dvcfile(path: str, md5: str = MD5, extra: str = "") -> str:
    return f"outs:\n- md5: {md5}\n  size: 6\n  hash: md5\n  path: {path}\n{extra}"


@pytest.fixture
def hook(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    return runner(main, capsys)


@pytest.fixture
def project(repo: GitRepo) -> GitRepo:
    """A DVC project with one sound dataset, committed."""
    repo.write(".dvc/config", "")
    repo.write("data/.gitignore", "/train.csv\n")
    repo.write("data/train.csv", "hello\n")
    repo.write("data/train.csv.dvc", dvcfile("train.csv"))
    repo.git("add", ".dvc/config", "data/.gitignore", "data/train.csv.dvc")
    repo.commit("dataset")
    return repo


def test_a_sound_project_passes(project: GitRepo, hook) -> None:
    assert hook() == Result(0, "", "")


def test_output_committed_to_git_is_refused(project: GitRepo, hook) -> None:
    project.add("data/train.csv")
    res = hook()
    assert res.code == 1
    assert res.out.startswith("data/train.csv.dvc:5: [dvc-files] `data/train.csv` is committed "
                              "to git as well as tracked by DVC")
    assert "git rm -r --cached data/train.csv" in res.out


def test_a_file_inside_a_folder_output_counts_as_committed(project: GitRepo, hook) -> None:
    project.write("images.dvc", dvcfile("images", DIR_MD5))
    project.write(".gitignore", "/images\n")
    project.write("images/a/1.png", b"png")
    project.add("images/a/1.png")
    [f] = hook("--format", "json").findings()
    assert (f["path"], f["line"]) == ("images.dvc", 5)
    assert f["message"] == "`images` is committed to git as well as tracked by DVC"


def test_output_that_git_does_not_ignore_is_refused(project: GitRepo, hook) -> None:
    project.write("data/.gitignore", "# emptied by a merge\n")
    res = hook()
    assert res.code == 1
    assert "`data/train.csv` is not ignored by git, so `git add` would commit the data" in res.out
    assert "add `/train.csv` to data/.gitignore" in res.out


def test_a_negated_rule_unignores(project: GitRepo, hook) -> None:
    project.write(".gitignore", "!data/train.csv\n")
    project.write("data/.gitignore", "/train.csv\n!/train.csv\n")
    assert "is not ignored by git" in hook().out


def test_folder_rules_match_a_folder_output_that_is_not_pulled(project: GitRepo, hook) -> None:
    project.write("images.dvc", dvcfile("images", DIR_MD5))
    project.write(".gitignore", "images/\n")  # only matches folders; images/ is not here
    assert hook("images.dvc") == Result(0, "", "")


def test_uncached_outputs_belong_in_git(project: GitRepo, hook) -> None:
    project.write("metrics.dvc", dvcfile("metrics.json", extra="  cache: false\n"))
    project.write("metrics.json", "{}")
    project.add("metrics.json")
    assert hook("metrics.dvc") == Result(0, "", "")


def test_output_reached_through_a_symlink_out_of_the_repo(
        tmp_path: Path, project: GitRepo, hook) -> None:
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", project.path / "scratch")
    project.write(".gitignore", "/scratch\n")
    project.write("big.dvc", dvcfile("scratch/big.bin"))
    res = hook("big.dvc")
    assert res.code == 1
    assert "big.dvc:5: [dvc-files] `scratch/big.bin` leads outside the repository through " \
           "the symlink `scratch`" in res.out


def test_a_symlinked_output_into_a_shared_cache_is_fine(
        tmp_path: Path, project: GitRepo, hook) -> None:
    # cache.type = symlink links the output itself to a cache outside the repository.
    cache = tmp_path / "shared-cache" / "b1"
    cache.parent.mkdir()
    cache.write_text("hello\n")
    (project.path / "data" / "train.csv").unlink()
    os.symlink(cache, project.path / "data" / "train.csv")
    assert hook() == Result(0, "", "")


def test_hash_kind_must_match_the_workspace(project: GitRepo, hook) -> None:
    project.write("data/train.csv.dvc", dvcfile("train.csv", DIR_MD5))
    project.write("images/1.png", b"png")
    project.write("images.dvc", dvcfile("images"))
    project.write(".gitignore", "/images\n")
    out = hook().out
    assert "the md5 of `data/train.csv` is a folder's (ends in `.dir`), but it is a file" in out
    assert "the md5 of `images` is a file's, but it is a folder" in out


def test_two_dvc_files_claiming_one_path(project: GitRepo, hook) -> None:
    project.write("copy.dvc", dvcfile("data/train.csv"))
    res = hook("copy.dvc")
    assert res.code == 1
    assert res.out.startswith("copy.dvc:5: [dvc-files] `data/train.csv` is also an output of "
                              "data/train.csv.dvc")
    assert "`dvc remove` one of them" in res.out


def test_nested_claims_are_reported_from_both_sides(project: GitRepo, hook) -> None:
    project.write("data.dvc", dvcfile("data", DIR_MD5))
    project.write(".gitignore", "/data\n")
    messages = [f["message"] for f in hook("--format", "json").findings()]
    assert "`data` holds `data/train.csv`, an output of data/train.csv.dvc" in messages
    assert "`data/train.csv` is inside `data`, an output of data.dvc" in messages


def test_a_dvc_yaml_stage_output_overlapping_a_dvc_file(project: GitRepo, hook) -> None:
    project.write("dvc.yaml", "stages:\n  prep:\n    cmd: python prep.py\n    wdir: data\n"
                              "    outs:\n    - train.csv\n")
    res = hook("dvc.yaml")  # a changed dvc.yaml makes every .dvc file worth checking
    assert "`data/train.csv` is also an output of dvc.yaml" in res.out


def test_wdir_is_applied_and_can_escape(project: GitRepo, hook) -> None:
    project.write("sub/a.dvc", "wdir: ../data\n" + dvcfile("train.csv")[0:])
    assert "is also an output of data/train.csv.dvc" in hook("sub/a.dvc").out
    project.write("sub/b.dvc", "wdir: ../..\n" + dvcfile("x.csv"))
    assert "output `x.csv` (wdir ../..) is outside the repository" in hook("sub/b.dvc").out


def test_only_the_given_files_are_checked(project: GitRepo, hook) -> None:
    project.write("broken.dvc", "outs: [\n")
    project.write("fine.dvc", dvcfile("fine.csv"))
    project.write(".gitignore", "/fine.csv\n")
    assert hook("fine.dvc") == Result(0, "", "")
    assert "broken.dvc:1: [dvc-files] is not valid YAML" in hook().out


def test_a_changed_gitignore_rechecks_every_dvc_file(project: GitRepo, hook) -> None:
    project.write("data/.gitignore", "")
    assert "is not ignored by git" in hook("data/.gitignore").out


def test_imports_from_registries_the_policy_does_not_allow(project: GitRepo, hook) -> None:
    project.write("dataward.toml", '[dvc-files]\nimport-urls = ["git@github.com:Lab/datasets"]\n')
    imp = ("deps:\n- path: dog_and_cat\n  repo:\n    url: {url}\n"
           "    rev_lock: f31f5c4cdae787b4bdeb97a717687d44667d9e62\n" + dvcfile("dog_and_cat"))
    project.write(".gitignore", "/dog_and_cat\n")
    project.write("ok.dvc", imp.format(url="https://github.com/lab/datasets.git"))
    assert hook("ok.dvc") == Result(0, "", "")
    project.write("ok.dvc", imp.format(url="https://github.com/lab/datasets-old"))
    res = hook("ok.dvc")
    assert res.code == 1
    assert "ok.dvc:4: [dvc-files] imports from https://github.com/lab/datasets-old, which is " \
           "not an allowed registry" in res.out


def test_unknown_keys_warn_by_default_and_fail_by_policy(project: GitRepo, hook) -> None:
    project.write("data/train.csv.dvc", dvcfile("train.csv", extra="  compression: zstd\n"))
    res = hook()
    assert res.code == 0
    assert "data/train.csv.dvc:6: [dvc-files, warning] `outs[0].compression` is not a key DVC " \
           "writes" in res.out
    project.write("dataward.toml", '[dvc-files]\nunknown-keys = "error"\n')
    assert hook().code == 1


def test_an_invalid_policy_exits_2(project: GitRepo, hook) -> None:
    project.write("dataward.toml", '[dvc-files]\nunknown-keys = "maybe"\n')
    res = hook()
    assert res.code == 2
    assert "dataward.toml:2: dvc-files.unknown-keys" in res.err


def test_outside_a_git_repository_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          hook) -> None:
    monkeypatch.chdir(tmp_path)
    assert hook().code == 2


@pytest.mark.parametrize("fmt", ["github", "sarif"])
def test_findings_render_in_every_format(project: GitRepo, hook, fmt: str) -> None:
    project.write("data/train.csv.dvc", dvcfile("train.csv", md5="abc"))
    res = hook("--format", fmt)
    assert res.code == 1
    assert "is not an md5" in res.out
    if fmt == "github":
        assert res.out.startswith("::error file=data/train.csv.dvc,line=2,")


def test_output_inside_a_symlinked_folder_of_the_repo(project: GitRepo, hook) -> None:
    (project.path / "real").mkdir()
    os.symlink("real", project.path / "alias")
    project.write(".gitignore", "/real/x.bin\n")
    project.write("x.dvc", dvcfile("alias/x.bin"))
    res = hook("x.dvc")
    assert res.code == 1
    assert "`alias/x.bin` is reached through the symlink `alias`" in res.out
