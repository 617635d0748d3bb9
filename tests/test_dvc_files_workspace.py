"""dvc-files against the repository: git-tracked, unignored, symlinked and overlapping outputs."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
    assert "add the entry `dvc add` writes: `printf '%s\\n' /train.csv >> data/.gitignore`" \
        in res.out


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


# -- a .dvc file moved without its data (git mv): a stale `path:` -----------------------------

def _moved(project: GitRepo, folder: str, name: str) -> str:
    """`name` (a folder of data under `folder`) added as DVC would, then its .dvc file moved
    into `folder` with git mv; returns the .dvc file's new path."""
    project.write(f"{folder}/.gitignore", f"/{name}\n")
    project.write(f"{folder}/{name}/1.png", b"\x89PNG")
    project.write(f"{name}.dvc", dvcfile(f"{folder}/{name}", DIR_MD5))
    project.git("add", f"{folder}/.gitignore", f"{name}.dvc")
    project.commit("images")
    (project.path / "sets").mkdir()
    project.git("mv", f"{name}.dvc", f"sets/{name}.dvc")
    return f"sets/{name}.dvc"


def test_a_dvc_file_moved_alone_names_the_file_to_fix(project: GitRepo, hook) -> None:
    moved = _moved(project, "raw", "images")
    res = hook("--format", "json")
    assert res.code == 1
    [f] = res.findings()
    assert (f["path"], f["line"], f["rule"]) == (moved, 5, "output-path-stale")
    assert f["message"] == ("`sets/raw/images` is not in the workspace and git does not ignore "
                            "it: sets/images.dvc was moved from images.dvc, and `path:` is "
                            "read from the .dvc file's folder (its data: `raw/images`)")
    assert f["hint"].startswith("set `path:` in sets/images.dvc to ../raw/images, or move it "
                                "back: git mv sets/images.dvc images.dvc")
    assert ".gitignore" not in f["hint"]  # sets/raw/ does not exist: no .gitignore there
    project.commit("moved")  # after the commit, git's history still knows the move
    assert hook("--format", "json").findings() == [f]


def test_a_moved_file_git_does_not_know_is_found_from_above(project: GitRepo, hook) -> None:
    """Copied, not moved (or moved before the history at hand): the same `path:` read from
    a folder above the file names the data."""
    project.write("raw/.gitignore", "/images\n")
    project.write("raw/images/1.png", b"\x89PNG")
    project.write("sets/images.dvc", dvcfile("raw/images", DIR_MD5))
    [f] = hook("--format", "json").findings()
    assert f["rule"] == "output-path-stale"
    assert "but `raw/images` is there" in f["message"] and "seems moved" in f["message"]
    assert f["hint"].startswith("set `path:` in sets/images.dvc to ../raw/images, or move it "
                                "back: git mv sets/images.dvc images.dvc")


_COUNT = itertools.count()


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(st.characters(codec="utf-8", exclude_characters="/\\*?[]!#",
                                  exclude_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")),
                    min_size=1, max_size=12).filter(lambda s: s.strip(" .") == s and s != ""
                                                    and not s.startswith("-")))
def test_the_git_mv_in_the_hint_pastes_back(project: GitRepo, hook, name: str) -> None:
    """Any folder name (spaces, quotes, $, non-ASCII): the hint's command, pasted into a
    shell, puts the .dvc file back, and the check then passes."""
    base = f"d{next(_COUNT)}"  # one dataset per example: the fixture's repo is shared
    project.write(f"{base}/{name}/x.bin", b"data")
    project.write(f"{base}/.gitignore", f"/{name}\n")
    project.write(f"{base}.dvc", dvcfile(f"{base}/{name}", DIR_MD5).replace(
        f"path: {base}/{name}", f"path: {json.dumps(base + '/' + name, ensure_ascii=False)}"))
    project.git("add", "-A")
    project.commit("data")
    os.makedirs(project.path / "sets", exist_ok=True)
    project.git("mv", f"{base}.dvc", f"sets/{base}.dvc")
    [f] = hook(f"sets/{base}.dvc", "--format", "json").findings()
    assert f["rule"] == "output-path-stale"
    command = f["hint"].split("move it back: ", 1)[1].split(" (then", 1)[0]
    subprocess.run(["sh", "-c", command], cwd=project.path, check=True)
    assert (project.path / f"{base}.dvc").is_file()
    assert hook(f"{base}.dvc") == Result(0, "", "")


def test_a_moved_dvc_file_whose_data_is_nowhere_names_the_missing_folder(
        project: GitRepo, hook) -> None:
    """No move git knows of, no data above: `sets/raw/` does not exist, so no .gitignore
    there can be asked for; the hint names the .dvc file."""
    project.write("sets/images.dvc", dvcfile("raw/images", DIR_MD5))
    [f] = hook("--format", "json").findings()
    assert (f["path"], f["rule"]) == ("sets/images.dvc", "output-path-stale")
    assert f["message"] == ("`sets/raw/images` is not in the workspace and git does not ignore "
                            "it; its folder `sets/raw` does not exist either")
    assert "dvc pull sets/images.dvc" in f["hint"] and "`path:`" in f["hint"]
    assert ".gitignore" not in f["hint"]


def test_data_not_pulled_yet_is_not_called_stale(project: GitRepo, hook) -> None:
    """A fresh clone: the output is absent, its .gitignore entry is there: no finding."""
    project.write("raw/.gitignore", "/images\n")
    project.write("images.dvc", dvcfile("raw/images", DIR_MD5))
    assert hook("images.dvc") == Result(0, "", "")


# -- a .dvc file with no DVC project around it ------------------------------------------------

def test_a_committed_dvc_file_without_a_dvc_folder_is_a_warning(repo: GitRepo, hook) -> None:
    repo.write(".gitignore", "/train.csv\n")
    repo.write("sub dir/train.csv.dvc", dvcfile("train.csv"))
    repo.write("sub dir/.gitignore", "/train.csv\n")
    repo.write("new.dvc", dvcfile("new.csv"))  # never committed: not reported
    repo.write(".gitignore", "/new.csv\n")
    repo.git("add", "sub dir/train.csv.dvc", "sub dir/.gitignore")
    assert hook() == Result(0, "", "")  # staged, not committed yet: may still be fixed
    repo.commit("dataset")
    res = hook("--format", "json")
    assert res.code == 0  # a warning: the file itself is sound
    [f] = res.findings()
    assert (f["path"], f["rule"], f["severity"]) == ("sub dir/train.csv.dvc", "no-dvc-folder",
                                                     "warning")
    assert "no .dvc/ folder" in f["message"] and "`dvc pull` cannot fetch" in f["message"]
    assert f["hint"].startswith("make the repository a DVC project and commit what that "
                                "makes: dvc init && git add .dvc/config .dvc/.gitignore "
                                ".dvcignore")
    repo.write(".dvc/config", "")
    assert hook() == Result(0, "", "")


def test_a_dvc_folder_above_the_file_makes_a_project(repo: GitRepo, hook) -> None:
    repo.write("proj/.dvc/config", "")
    repo.write("proj/data/.gitignore", "/train.csv\n")
    repo.write("proj/data/train.csv.dvc", dvcfile("train.csv"))
    repo.git("add", "-A")
    repo.commit("subproject")
    assert hook() == Result(0, "", "")
