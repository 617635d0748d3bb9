"""dvc-files accepts what real DVC writes, today and in every earlier format."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from dataward.checks.dvc_files import main
from tests.harness.dvcrun import dvc
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
