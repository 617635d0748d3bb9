"""dvc-files accepts what real DVC writes, today and in every earlier format."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from dataward.checks.dvc_files import main
from tests.harness.dvcrun import DVC, dvc
from tests.harness.hookrun import Result, runner
from tests.harness.repo import GitRepo

FORMATS = Path(__file__).parent / "fixtures" / "dvc-formats"


@pytest.fixture
def hook(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    return runner(main, capsys)


def test_files_written_by_real_dvc_pass(tmp_path: Path, repo: GitRepo, hook) -> None:
    # A registry with one dataset, and a user repository that imports it.
    registry = GitRepo.init(tmp_path / "registry")
    dvc(registry.path, "init", "-q")
    registry.write("dog_and_cat/cat.1.jpg", b"\xff\xd8cat")
    registry.write("dog_and_cat/dog.1.jpg", b"\xff\xd8dog")
    dvc(registry.path, "add", "-q", "dog_and_cat")
    registry.git("add", "-A")
    registry.commit("add dog_and_cat")

    dvc(repo.path, "init", "-q")
    repo.write("data/train.csv", "a,b\n1,2\n")
    repo.write("images/1.png", b"\x89PNG one")
    repo.write("images/sub/2.png", b"\x89PNG two")
    repo.write(str(tmp_path / "outside" / "labels.txt"), "cat\ndog\n")
    dvc(repo.path, "add", "-q", "data/train.csv", "images")
    dvc(repo.path, "import", "-q", str(registry.path), "dog_and_cat", "-o", "data/dog_and_cat")
    dvc(repo.path, "import-url", "-q", str(tmp_path / "outside" / "labels.txt"), "labels.txt")
    _annotate(repo.path / "data" / "train.csv.dvc")
    repo.git("add", "-A")

    imported = (repo.path / "data" / "dog_and_cat.dvc").read_text()
    assert "rev_lock:" in imported and "hash: md5" in imported
    assert "desc: Training split" in (repo.path / "data" / "train.csv.dvc").read_text()
    res = hook()
    assert (res.code, res.out, res.err) == (0, "", "")
    res = hook("data/train.csv.dvc", "images.dvc", "--format", "json")
    assert (res.code, res.findings()) == (0, [])


def _annotate(dvcfile: Path) -> None:
    """`dvc add --desc` is gone in DVC 3; DVC's own API still writes the annotations."""
    from dvc.repo import Repo

    with Repo(str(dvcfile.parent.parent)) as r:
        stage = r.stage.load_one(str(dvcfile))
        out = stage.outs[0]
        out.annot.desc = "Training split"
        out.annot.type = "dataset"
        out.annot.labels = ["tabular"]
        out.annot.meta = {"owner": "lab-admin"}
        stage.dump()


# Stored as .dvc.txt so that this repository's own hooks do not take them for DVC files.
@pytest.mark.parametrize("name", sorted(p.name.removesuffix(".txt")
                                        for p in FORMATS.glob("*.dvc.txt")))
def test_earlier_formats_pass(repo: GitRepo, hook, name: str) -> None:
    shutil.copy(FORMATS / f"{name}.txt", repo.path / name)
    from dataward.checks.dvc_files import parse
    from dataward.policy import DvcFilesPolicy

    parsed = parse(name, (FORMATS / f"{name}.txt").read_bytes(), DvcFilesPolicy())
    assert parsed.model is not None
    outs = [o.path for o in parsed.model.outs or () if o.cache]
    repo.write(".gitignore", "".join(f"/{p}\n" for p in outs))
    res = hook(name)
    assert (res.code, res.out) == (0, "")


def test_a_hand_broken_real_file_is_refused_with_line_and_hint(repo: GitRepo, hook) -> None:
    dvc(repo.path, "init", "-q")
    repo.write("data.csv", "x\n1\n")
    dvc(repo.path, "add", "-q", "data.csv")
    path = repo.path / "data.csv.dvc"
    path.write_text(path.read_text().replace("size: 4", "size: -4"))
    res = hook("data.csv.dvc")
    assert res.code == 1
    assert res.out.startswith("data.csv.dvc:3: [dvc-files] `outs[0].size` is negative (-4)")
    assert "dvc commit data.csv.dvc" in res.out


def test_a_real_dvc_file_moved_with_git_mv_is_fixed_as_the_hint_says(repo: GitRepo,
                                                                        hook) -> None:
    """`dvc add` writes `path:` relative to the .dvc file; `git mv` of the file alone leaves
    it naming nothing. The hint's `path:` makes DVC find the data again."""
    dvc(repo.path, "init", "-q")
    repo.write("raw data/images/1.png", b"\x89PNG one")
    dvc(repo.path, "add", "-q", "raw data/images")
    repo.git("add", "-A")
    repo.commit("images")
    (repo.path / "sets").mkdir()
    repo.git("mv", "raw data/images.dvc", "sets/images.dvc")
    res = hook("--format", "json")
    assert res.code == 1
    [f] = res.findings()
    assert (f["path"], f["rule"]) == ("sets/images.dvc", "output-path-stale")
    assert f["message"] == ("`sets/images` is not in the workspace and git does not ignore "
                            "it: sets/images.dvc was moved from raw data/images.dvc, and "
                            "`path:` is read from the .dvc file's folder (its data: `raw "
                            "data/images`)")
    assert f["hint"].startswith("set `path:` in sets/images.dvc to '../raw data/images', or "
                                "move it back: git mv sets/images.dvc 'raw data/images.dvc'")
    dvcfile = repo.path / "sets" / "images.dvc"
    dvcfile.write_text(dvcfile.read_text().replace("path: images", "path: '../raw data/images'"))
    assert hook() == Result(0, "", "")
    assert "up to date" in dvc(repo.path, "status", "sets/images.dvc").lower() or \
        dvc(repo.path, "status", "sets/images.dvc").strip() == ""
    assert shlex.split(f["hint"].split("move it back: ", 1)[1].split(" (then", 1)[0]) == [
        "git", "mv", "sets/images.dvc", "raw data/images.dvc"]


def test_a_dvc_init_subdir_project_is_a_project(repo: GitRepo, hook) -> None:
    """`dvc init --subdir` puts .dvc/ in the subproject's folder: its files are in a project."""
    (repo.path / "proj a").mkdir()
    dvc(repo.path / "proj a", "init", "--subdir", "-q")
    repo.write("proj a/data.csv", "x\n1\n")
    dvc(repo.path / "proj a", "add", "-q", "data.csv")
    repo.git("add", "-A")
    repo.commit("subproject")
    assert hook() == Result(0, "", "")


def test_a_clone_without_the_dvc_folder_is_warned_and_the_hint_works(
        tmp_path: Path, repo: GitRepo, hook) -> None:
    """.dvc files committed, .dvc/ never: a fresh clone has no DVC project."""
    other = GitRepo.init(tmp_path / "made-elsewhere")
    dvc(other.path, "init", "-q")
    other.write("data.csv", "x\n1\n")
    dvc(other.path, "add", "-q", "data.csv")
    for name in ("data.csv.dvc", ".gitignore"):
        shutil.copy(other.path / name, repo.path / name)
    repo.git("add", "-A")
    repo.commit("data, without .dvc/")
    res = hook("--format", "json")
    assert res.code == 0
    [f] = res.findings()
    assert (f["path"], f["rule"], f["severity"]) == ("data.csv.dvc", "no-dvc-folder", "warning")
    command = f["hint"].split("commit what that makes: ", 1)[1].split(" (or", 1)[0]
    env = {**os.environ, "PATH": f"{Path(DVC).parent}{os.pathsep}{os.environ['PATH']}"}
    subprocess.run(["sh", "-c", command], cwd=repo.path, check=True, env=env,
                   capture_output=True)
    assert hook() == Result(0, "", "")
    assert "not inside of a DVC repository" not in dvc(repo.path, "status")
