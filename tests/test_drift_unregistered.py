"""Unregistered folders beside datasets at any depth: a copy next to `images/cats` is found
and named as a copy, junk next to it is listed with its size, top-level folders as before;
the folders above datasets, other datasets (expected or not) and the checkout's own folders
never are. Real git, real DVC, the real `dataward drift scan`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dataward.catalog.model import Catalog
from dataward.drift.scan import scan as drift_scan
from tests.conftest import BIN, _hermetic
from tests.harness.dvcrun import dvc
from tests.harness.repo import GitRepo

CATS1 = {f"{i}.jpg": b"\xff\xd8cat%d" % i for i in range(3)}
CATS2 = {**CATS1, "3.jpg": b"\xff\xd8cat3"}
DOGS = {"0.jpg": b"\xff\xd8dog0"}
JUNK = {"a.tmp": b"0123456789", "sub/b.tmp": b"01234"}  # 15 B in 2 files


class Registry(NamedTuple):
    path: Path
    catalog: Path


def put(folder: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)


def build(path: Path) -> Path:
    out = path.parent / f"{path.name}-catalog.json"
    subprocess.run([f"{BIN}/dataward", "catalog", "build", "--repo", str(path), "-o", str(out)],
                   check=True, capture_output=True)
    return out


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    """images/cats (versions 1 and 2) and images/dogs, added by DVC."""
    with pytest.MonkeyPatch.context() as mp:
        _hermetic(tmp_path_factory.mktemp("beside-home"), mp)
        path = tmp_path_factory.mktemp("beside") / "registry"
        repo = GitRepo.init(path)
        dvc(path, "init", "-q")
        put(path / "images" / "cats", CATS1)
        put(path / "images" / "dogs", DOGS)
        dvc(path, "add", "-q", "images/cats", "images/dogs")
        repo.git("add", "-A")
        repo.commit("cats version 1, dogs")
        put(path / "images" / "cats", CATS2)
        dvc(path, "add", "-q", "images/cats")
        repo.git("add", "-A")
        repo.commit("cats version 2")
        return Registry(path, build(path))


def scan(catalog: Path, root: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    out = root.parent / "report.json"
    proc = subprocess.run([f"{BIN}/dataward", "drift", "scan", "--env", "lab", "--root",
                           str(root), "--catalog", str(catalog), "--no-state", "-o", str(out),
                           *args], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(out.read_text()), proc.stdout


@pytest.fixture
def lab(tmp_path: Path) -> Path:
    """cats at version 2 with a copy of version 1 beside it, junk beside it, a top-level
    folder; and what is never listed: a dot folder and a link beside cats."""
    root = tmp_path / "lab"
    put(root / "images" / "cats", CATS2)
    put(root / "images" / "dogs", DOGS)
    put(root / "images" / "cats_copy", CATS1)
    put(root / "images" / "tmp", JUNK)
    put(root / "images" / ".thumbnails", {"x.png": b"\x89PNG"})
    os.symlink(root / "images" / "tmp", root / "images" / "tmp_link")
    put(root / "extra", {"x.bin": b"\x00" * 7})
    return root


def test_folders_beside_a_dataset_are_listed_with_what_they_are(registry: Registry,
                                                                lab: Path) -> None:
    code, report, out = scan(registry.catalog, lab)
    assert code == 0, report  # unregistered folders are no drift
    got = {u["name"]: u for u in report["unregistered"]}
    assert sorted(got) == ["extra", "images/cats_copy", "images/tmp"]  # never images/ itself
    assert got["images/cats_copy"]["copy_of"] == {"dataset": "images/cats", "version": 1}
    assert (got["images/tmp"]["size"], got["images/tmp"]["nfiles"],
            got["images/tmp"]["copy_of"]) == (15, 2, None)
    assert (got["extra"]["size"], got["extra"]["nfiles"]) == (7, 1)
    assert report["summary"]["unregistered"] == 3
    assert "images/cats_copy" in out and "a copy of images/cats version 1" in out
    assert "images/tmp" in out and "15 B in 2 files" in out


def test_a_dataset_not_expected_here_is_never_unregistered(registry: Registry,
                                                           lab: Path) -> None:
    code, report, _ = scan(registry.catalog, lab, "--datasets", "images/cats")
    assert code == 0, report
    assert sorted(u["name"] for u in report["unregistered"]) == [
        "extra", "images/cats_copy", "images/tmp"]
    assert report["not_expected"] == [{"name": "images/dogs", "version": 1, "present": True}]


def test_a_checkout_does_not_list_the_folders_git_tracks_files_in(registry: Registry,
                                                                  tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    shutil.copytree(registry.path, checkout, symlinks=True)
    repo = GitRepo(checkout)
    repo.write("images/docs/guide.md", "# The images\n")  # the registry's own, beside cats
    repo.add("images/docs/guide.md")
    repo.commit("document the images")
    put(checkout / "images" / "scratch", {"tmp.bin": b"\0" * 10})  # someone's, untracked
    code, report, _ = scan(build(checkout), checkout)
    assert code == 0, report
    assert [u["name"] for u in report["unregistered"]] == ["images/scratch"]


names = st.text(st.characters(categories=["L", "N"], include_characters=" -_.~é猫",
                              exclude_characters="/\\"), min_size=1, max_size=24)


@settings(max_examples=25, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture])
@given(name=names, data=st.binary(min_size=1, max_size=64))
def test_any_folder_name_beside_a_dataset_is_listed(registry: Registry, tmp_path: Path,
                                                    name: str, data: bytes) -> None:
    assume(not name.startswith(".") and name not in ("cats", "dogs"))
    assume(len(name.encode()) < 200)
    root = tmp_path / "box"
    shutil.rmtree(root, ignore_errors=True)
    put(root / "images" / "cats", CATS2)
    put(root / "images" / name, {"f.bin": data})
    catalog = Catalog.model_validate_json(registry.catalog.read_bytes())
    report = drift_scan(catalog, "box", str(root), jobs=1, state_file=None).report
    assert [(u.name, u.size, u.nfiles) for u in report.unregistered] == [
        (f"images/{name}", len(data), 1)]
    assert [(e.name, e.status) for e in report.datasets] == [
        ("images/cats", "in_sync"), ("images/dogs", "missing")]
