"""`dataward catalog build`, `dataward ls` and `dataward show` on a registry made by real DVC:
datasets with several versions, a `.dvc` file moved by `dvc move`, a `dvc import`, a merged
pull request, and a dataset that was removed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, NamedTuple

import jsonschema
import pytest

from tests.conftest import BIN, GITHUB_REPO, GITHUB_TOKEN, _hermetic
from tests.harness.dvcremote import CATS, DOGS, add_dataset
from tests.harness.dvcrun import dvc
from tests.harness.ghstandin import LocalGitHub
from tests.harness.repo import GitRepo
from tests.test_dataset_cards_registry import card

ROOT = Path(__file__).resolve().parent.parent


class Registry(NamedTuple):
    path: Path
    commits: dict[str, str]  # what happened -> the commit


def _md5(repo: GitRepo, commit: str, dvcfile: str) -> str:
    text = repo.git("show", f"{commit}:{dvcfile}").stdout
    return next(line.split("md5:")[1].strip() for line in text.splitlines() if "md5:" in line)


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    with pytest.MonkeyPatch.context() as mp:
        _hermetic(tmp_path_factory.mktemp("catalog-home"), mp)
        base = tmp_path_factory.mktemp("catalog")
        # the registry another one imports from
        other = GitRepo.init(base / "other")
        dvc(other.path, "init", "-q")
        add_dataset(other, "labels", {"labels/a.txt": b"cat\n", "labels/b.txt": b"dog\n"})
        other.commit("add labels")

        path = base / "registry"
        repo = GitRepo.init(path)
        dvc(path, "init", "-q")
        (path / ".dvc" / "config").write_text(
            "[core]\n    remote = storage\n['remote \"storage\"']\n    url = s3://lab-data/store\n")
        (path / ".dvc" / "config.local").write_text(
            "['remote \"storage\"']\n    access_key_id = AKIAIOSFODNN7EXAMPLE\n")
        repo.git("add", "-A")
        repo.commit("dvc init")
        commits = {}
        add_dataset(repo, "dog_and_cat", DOGS)
        repo.write("dog_and_cat.card.md", card())
        repo.add("dog_and_cat.card.md")
        commits["dogs v1"] = repo.commit("add dog_and_cat")
        repo.write("fish.csv", "species,count\ncod,3\n")
        dvc(path, "add", "-q", "fish.csv")
        repo.git("add", "-A")
        commits["fish v1"] = repo.commit("add fish")
        add_dataset(repo, "dog_and_cat", CATS)  # the cats join the dogs
        commits["dogs v2"] = repo.commit("add the cats")
        add_dataset(repo, "birds", {"birds/a.jpg": b"\xff\xd8bird"})
        commits["birds"] = repo.commit("add birds")
        dvc(path, "remove", "-q", "birds.dvc")
        repo.git("add", "-A")
        commits["birds removed"] = repo.commit("remove birds")
        (path / "animals").mkdir()
        dvc(path, "move", "dog_and_cat", "animals/dog_and_cat")
        repo.git("mv", "dog_and_cat.card.md", "animals/dog_and_cat.card.md")
        repo.git("add", "-A")
        commits["moved"] = repo.commit("move dog_and_cat into animals/")
        add_dataset(repo, "animals/dog_and_cat", {"dog/4.jpg": b"\xff\xd8dog4"})
        commits["dogs v3"] = repo.commit("one more dog")
        # a pull request merged with a merge commit: its version is the merge, as main saw it
        repo.git("checkout", "-q", "-b", "more-fish")
        repo.write("fish.csv", "species,count\ncod,3\nhake,5\n")
        dvc(path, "add", "-q", "fish.csv")
        repo.git("add", "-A")
        repo.commit("more fish")
        repo.git("checkout", "-q", "main")
        repo.git("merge", "-q", "--no-ff", "more-fish", "-m", "Merge pull request #4")
        commits["fish v2"] = repo.head()
        dvc(path, "import", "-q", str(other.path), "labels")
        repo.git("add", "-A")
        commits["import"] = repo.commit("import labels")
        return Registry(path, commits)


def dataward(cwd: Path, *args: str, env: dict[str, str] | None = None
             ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([f"{BIN}/dataward", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120, check=False)


def build(path: Path, tmp_path: Path, *args: str) -> dict[str, Any]:
    out = tmp_path / "catalog.json"
    proc = dataward(path, "catalog", "build", "-o", str(out),
                    "--registry-url", "https://github.com/lab/datasets", *args)
    assert proc.returncode == 0, proc.stderr
    return json.loads(out.read_text())  # type: ignore[no-any-return]


def by_name(catalog: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["name"]: d for d in catalog["datasets"]}


def test_every_dataset_with_every_version(registry: Registry, tmp_path: Path) -> None:
    catalog = build(registry.path, tmp_path)
    repo, c = GitRepo(registry.path), registry.commits
    datasets = by_name(catalog)
    assert sorted(datasets) == ["animals/dog_and_cat", "fish.csv", "labels"]  # birds removed
    dogs = datasets["animals/dog_and_cat"]
    assert [(v["version"], v["commit"], v["md5"], v["dvc_file"], v["message"])
            for v in dogs["versions"]] == [
        (1, c["dogs v1"], _md5(repo, c["dogs v1"], "dog_and_cat.dvc"), "dog_and_cat.dvc",
         "add dog_and_cat"),
        (2, c["dogs v2"], _md5(repo, c["dogs v2"], "dog_and_cat.dvc"), "dog_and_cat.dvc",
         "add the cats"),
        (3, c["dogs v3"], _md5(repo, c["dogs v3"], "animals/dog_and_cat.dvc"),
         "animals/dog_and_cat.dvc", "one more dog")]
    assert (dogs["dvc_file"], dogs["md5"], dogs["is_dir"], dogs["hash"]) == (
        "animals/dog_and_cat.dvc", dogs["versions"][-1]["md5"], True, "md5")
    assert [(v["nfiles"], v["author"]) for v in dogs["versions"]] == [
        (4, "Lab Member"), (7, "Lab Member"), (8, "Lab Member")]
    assert dogs["size"] == sum(map(len, [*DOGS.values(), *CATS.values(), b"\xff\xd8dog4"]))
    assert dogs["object_url"] == (
        f"s3://lab-data/store/files/md5/{dogs['md5'][:2]}/{dogs['md5'][2:]}")
    assert (dogs["remote"], dogs["remote_url"]) == ("storage", "s3://lab-data/store")
    fish = datasets["fish.csv"]
    assert [(v["version"], v["commit"], v["message"]) for v in fish["versions"]] == [
        (1, c["fish v1"], "add fish"), (2, c["fish v2"], "Merge pull request #4")]
    assert (fish["is_dir"], fish["nfiles"], fish["card"]) == (False, None, None)
    for dataset in datasets.values():
        for v in dataset["versions"]:
            assert v["date"] == repo.git("log", "-1", "--format=%aI", v["commit"]).stdout.strip()
    assert catalog["commit"] == c["import"] and catalog["registry"] == (
        "https://github.com/lab/datasets")


def test_imports_say_where_they_come_from(registry: Registry, tmp_path: Path) -> None:
    labels = by_name(build(registry.path, tmp_path))["labels"]
    assert labels["imported"]["url"].endswith("other") and labels["imported"]["path"] == "labels"
    assert len(labels["imported"]["rev_lock"]) == 40
    assert (labels["remote"], labels["object_url"]) == (None, None)


def test_the_card_is_in_the_catalog(registry: Registry, tmp_path: Path) -> None:
    dogs = by_name(build(registry.path, tmp_path))["animals/dog_and_cat"]
    assert dogs["card"]["path"] == "animals/dog_and_cat.card.md"
    assert (dogs["card"]["pretty_name"], dogs["card"]["license"]) == ("Dogs", ["cc-by-4.0"])
    assert dogs["card"]["maintainers"] == [
        {"name": "Ada Lovelace", "email": "ada@lab.example", "github": None}]
    assert dogs["card"]["description"] == (
        "Photos of the lab's dogs, taken in 2024 for a pose study.")


def test_the_catalog_validates_against_its_schema(registry: Registry, tmp_path: Path) -> None:
    schema = json.loads((ROOT / "schemas" / "catalog.schema.json").read_text())
    catalog = build(registry.path, tmp_path)
    jsonschema.validate(catalog, schema, format_checker=jsonschema.FormatChecker())
    assert catalog["schema_version"] == 1
    fish = by_name(catalog)["fish.csv"]["versions"][-1]
    assert fish["pull"] == {"objects": 1, "bytes": fish["size"], "usd_per_gb": 0.114,
                            "usd": pytest.approx(fish["size"] / 1e9 * 0.114)}
    # a catalog written before `pull` existed still loads, and still says what a pull moves
    for dataset in catalog["datasets"]:
        for v in dataset["versions"]:
            del v["pull"]
    jsonschema.validate(catalog, schema)
    old = tmp_path / "old.json"
    old.write_text(json.dumps(catalog))
    show = dataward(tmp_path, "show", "fish.csv", "--catalog", str(old))
    assert show.returncode == 0, show.stderr
    assert f"  a pull transfers 1 object, {fish['size']} B\n" in show.stdout


def test_building_twice_gives_the_same_bytes_and_never_local_config(
        registry: Registry, tmp_path: Path) -> None:
    build(registry.path, tmp_path)
    first = (tmp_path / "catalog.json").read_bytes()
    build(registry.path, tmp_path)
    assert (tmp_path / "catalog.json").read_bytes() == first
    assert b"AKIA" not in first  # config.local is one machine's, and may hold keys


def test_an_older_revision(registry: Registry, tmp_path: Path) -> None:
    catalog = build(registry.path, tmp_path, "--rev", registry.commits["birds"])
    datasets = by_name(catalog)
    assert sorted(datasets) == ["birds", "dog_and_cat", "fish.csv"]
    assert len(datasets["dog_and_cat"]["versions"]) == 2


def test_one_pass_over_history_not_a_process_per_commit(registry: Registry,
                                                        tmp_path: Path) -> None:
    real = shutil.which("git")
    log = tmp_path / "git-calls"
    wrapper = tmp_path / "bin" / "git"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\necho "$1" >> {log}\nexec {real} "$@"\n')
    wrapper.chmod(0o755)
    proc = dataward(registry.path, "catalog", "build", "-o", str(tmp_path / "c.json"),
                    env={"PATH": f"{wrapper.parent}:{os.environ['PATH']}"})
    assert proc.returncode == 0, proc.stderr
    calls = log.read_text().split()
    # 11 commits, 4 datasets: a constant number of git runs (with one for the main line and
    # one for the tags that name versions)
    assert len(calls) <= 14, calls
    assert calls.count("log") <= 3 and calls.count("cat-file") <= 4


def test_a_shallow_clone_cannot_make_a_catalog(registry: Registry, tmp_path: Path) -> None:
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "2", f"file://{registry.path}",
                    str(shallow)], check=True)
    proc = dataward(shallow, "catalog", "build", "-o", str(tmp_path / "c.json"))
    assert proc.returncode == 3
    assert "this clone is shallow" in proc.stderr and "fetch-depth: 0" in proc.stderr
    assert not (tmp_path / "c.json").exists()


def test_ls_and_show(registry: Registry, tmp_path: Path) -> None:
    ls = dataward(registry.path, "ls", env={"COLUMNS": "200"})
    assert ls.returncode == 0, ls.stderr
    assert "3 datasets" in ls.stdout
    row = next(line for line in ls.stdout.splitlines() if "animals/dog_and_cat" in line)
    assert "cc-by-4.0" in row and "Ada Lovelace" in row and " 3 " in row
    show = dataward(registry.path, "show", "animals/dog_and_cat", "--registry-url",
                    "https://github.com/lab/datasets", env={"COLUMNS": "200"})
    assert show.returncode == 0, show.stderr
    assert "Dogs (animals/dog_and_cat), version 3" in show.stdout
    assert "dvc import https://github.com/lab/datasets animals/dog_and_cat" in show.stdout
    assert "one more dog" in show.stdout and "add dog_and_cat" in show.stdout
    missing = dataward(registry.path, "show", "dog")
    assert missing.returncode == 2
    assert "no dataset 'dog'" in missing.stderr and "animals/dog_and_cat" in missing.stderr


def test_show_says_what_a_pull_costs_at_the_policy_price(registry: Registry,
                                                         tmp_path: Path) -> None:
    copy = tmp_path / "priced"
    shutil.copytree(registry.path, copy, symlinks=True)
    repo = GitRepo(copy)
    # a price no provider charges, so that a few bytes cost cents
    repo.write("dataward.toml", "[remote]\ntransfer-usd-per-gb = 1e6\n")
    repo.add("dataward.toml")
    repo.commit("price pulls as our provider does")
    show = dataward(copy, "show", "animals/dog_and_cat", env={"COLUMNS": "200"})
    assert show.returncode == 0, show.stderr
    dogs = by_name(build(copy, tmp_path))["animals/dog_and_cat"]
    v1 = dogs["versions"][0]
    assert (dogs["size"], v1["size"]) == (48, 24)
    lines = show.stdout.splitlines()
    assert len([line for line in lines if "a pull transfers" in line]) == 1  # the current one
    assert "  a pull transfers 9 objects, 48 B: about 0.05 USD at 1,000,000 USD/GB" in lines
    # catalog.json carries the numbers, at the price committed at the built revision
    assert [v["pull"] for v in dogs["versions"]] == [
        {"objects": v["nfiles"] + 1, "bytes": v["size"], "usd_per_gb": 1e6,
         "usd": pytest.approx(v["size"] / 1e3)} for v in dogs["versions"]]
    fish = by_name(build(copy, tmp_path, "--rev", "HEAD~1"))["fish.csv"]  # before the price
    assert fish["versions"][-1]["pull"] == {
        "objects": 1, "bytes": fish["size"], "usd_per_gb": 0.114,
        "usd": pytest.approx(fish["size"] / 1e9 * 0.114)}
    # a price that is no number is refused, naming the file
    repo.write("dataward.toml", "[remote]\ntransfer-usd-per-gb = nan\n")
    repo.add("dataward.toml")
    repo.commit("no price")
    bad = dataward(copy, "show", "fish.csv")
    assert bad.returncode == 2
    assert "dataward.toml:2: remote.transfer-usd-per-gb: must be a number, 0 or more, not nan" \
        in bad.stderr


def test_show_reads_a_published_catalog(registry: Registry, tmp_path: Path) -> None:
    build(registry.path, tmp_path)
    show = dataward(tmp_path, "show", "fish.csv", "--catalog", str(tmp_path / "catalog.json"))
    assert show.returncode == 0 and "version 2" in show.stdout
    (tmp_path / "bad.json").write_text("{}")
    bad = dataward(tmp_path, "ls", "--catalog", str(tmp_path / "bad.json"))
    assert bad.returncode == 2 and "is not a dataward catalog" in bad.stderr


# -- publishing ---------------------------------------------------------------------------------

def publish_env(github: LocalGitHub, tmp_path: Path) -> dict[str, str]:
    return {"GITHUB_TOKEN": GITHUB_TOKEN, "GITHUB_REPOSITORY": GITHUB_REPO,
            "GITHUB_API_URL": github.api_url, "GITHUB_SERVER_URL": "https://github.example",
            "GITHUB_OUTPUT": str(tmp_path / "out"),
            "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}


def expected_files(registry: Registry, tmp_path: Path, rev: str = "HEAD") -> dict[str, bytes]:
    """What `catalog build` writes locally: publishing must put exactly this on the branch."""
    out = tmp_path / f"local-{rev}"
    proc = dataward(registry.path, "catalog", "build", "--rev", rev, "-o",
                    str(out / "catalog.json"), "--croissant-dir", str(out / "croissant"),
                    "--html", str(out / "index.html"),
                    "--registry-url", "https://github.example/lab/registry")
    assert proc.returncode == 0, proc.stderr
    files = {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    return {**files, ".nojekyll": b""}


def test_publish_commits_the_catalog_once(registry: Registry, github: LocalGitHub,
                                          tmp_path: Path) -> None:
    env = publish_env(github, tmp_path)
    first = dataward(registry.path, "catalog", "publish", env=env)
    assert first.returncode == 0, first.stderr
    assert "published to dataward as" in first.stdout
    assert github.files(GITHUB_REPO, "dataward") == expected_files(registry, tmp_path)
    commit = github.ref(GITHUB_REPO, "heads/dataward")
    assert (tmp_path / "out").read_text() == f"commit={commit}\n"
    again = dataward(registry.path, "catalog", "publish", env=env)
    assert again.returncode == 0 and "already holds it; no commit" in again.stdout
    assert len(github.commits(GITHUB_REPO, "dataward")) == 1


def test_publish_removes_the_records_of_removed_datasets(registry: Registry,
                                                         github: LocalGitHub,
                                                         tmp_path: Path) -> None:
    env = publish_env(github, tmp_path)
    older = registry.commits["birds"]
    assert dataward(registry.path, "catalog", "publish", "--rev", older,
                    env=env).returncode == 0
    assert "croissant/birds.json" in github.files(GITHUB_REPO, "dataward")
    assert dataward(registry.path, "catalog", "publish", env=env).returncode == 0
    assert github.files(GITHUB_REPO, "dataward") == expected_files(registry, tmp_path)
    assert len(github.commits(GITHUB_REPO, "dataward")) == 2


def test_two_publishers_racing_both_end_correct(registry: Registry, github: LocalGitHub,
                                               tmp_path: Path) -> None:
    env = {**os.environ, **publish_env(github, tmp_path)}
    revs = [registry.commits["birds"], registry.commits["import"]]
    procs = [subprocess.Popen([f"{BIN}/dataward", "catalog", "publish", "--rev", rev],
                              cwd=registry.path, env=env, text=True, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for rev in revs]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    # the branch holds the newer catalog, whole: never a mix, never the older one on top
    assert github.files(GITHUB_REPO, "dataward") == expected_files(registry, tmp_path, revs[1])
    assert len(github.commits(GITHUB_REPO, "dataward")) in (1, 2)


def test_an_older_catalog_never_replaces_a_newer_one(registry: Registry, github: LocalGitHub,
                                                     tmp_path: Path) -> None:
    env = publish_env(github, tmp_path)
    assert dataward(registry.path, "catalog", "publish", env=env).returncode == 0
    old = dataward(registry.path, "catalog", "publish", "--rev", registry.commits["birds"],
                   env=env)
    assert old.returncode == 0
    assert "already holds the catalog of a later commit" in old.stdout
    assert github.files(GITHUB_REPO, "dataward") == expected_files(registry, tmp_path)


def test_publish_without_github_is_a_clear_error(registry: Registry, tmp_path: Path) -> None:
    proc = dataward(registry.path, "catalog", "publish",
                    env={"GITHUB_REPOSITORY": "", "GITHUB_TOKEN": ""})
    assert proc.returncode == 2
    assert "no GitHub token" in proc.stderr and "Traceback" not in proc.stderr


def test_ls_without_rich_is_plain_aligned_text(registry: Registry) -> None:
    code = ("import sys; sys.modules['rich'] = None\n"
            "from dataward.cli import main; raise SystemExit(main(['ls']))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=registry.path, capture_output=True,
                          text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("3 datasets at ")
    assert lines[1].split() == ["name", "version", "size", "files", "license", "maintainers",
                                "changed"]
    assert lines[2].startswith("animals/dog_and_cat  3 ") and "Ada Lovelace" in lines[2]


# -- history edge cases, with .dvc files written as DVC writes them ----------------------------

def dvcfile(md5: str, path: str, nfiles: int | None = None) -> str:
    extra = f"  nfiles: {nfiles}\n" if nfiles is not None else ""
    return f"outs:\n- md5: {md5}\n  size: 10\n{extra}  hash: md5\n  path: {path}\n"


@pytest.fixture
def handmade(tmp_path: Path) -> GitRepo:
    repo = GitRepo.init(tmp_path / "handmade")
    repo.write(".dvc/config", "[core]\n    remote = store\n['remote \"store\"']\n"
                              "    url = https://alice:ghp_SECRET123@dav.example.com/store\n")
    repo.write("data.csv.dvc", dvcfile("a" * 32, "data.csv"))
    repo.write("images.dvc", dvcfile("c" * 32 + ".dir", "images", 3))
    repo.add(".dvc/config", "data.csv.dvc", "images.dvc")
    repo.commit("add data [/] and images")
    repo.write("data.csv.dvc", dvcfile("b" * 32, "data.csv"))
    repo.add("data.csv.dvc")
    repo.commit("data v2")
    # dvc move data.csv measurements.csv: the .dvc file and its output are renamed
    repo.git("mv", "data.csv.dvc", "measurements.csv.dvc")
    repo.write("measurements.csv.dvc", dvcfile("b" * 32, "measurements.csv"))
    # a move and a new version in one commit: git sees a delete and an add
    (repo.path / "raw").mkdir()
    repo.git("mv", "images.dvc", "raw/images.dvc")
    repo.write("raw/images.dvc", dvcfile("d" * 32 + ".dir", "images", 4))
    repo.add("measurements.csv.dvc", "raw/images.dvc")
    repo.commit("move data.csv; images into raw/, with one more image")
    return repo


def test_moves_keep_the_history(handmade: GitRepo, tmp_path: Path) -> None:
    datasets = by_name(build(handmade.path, tmp_path))
    assert [(v["version"], v["md5"], v["dvc_file"]) for v in
            datasets["measurements.csv"]["versions"]] == [
        (1, "a" * 32, "data.csv.dvc"), (2, "b" * 32, "data.csv.dvc")]
    assert [(v["version"], v["md5"], v["dvc_file"]) for v in
            datasets["raw/images"]["versions"]] == [
        (1, "c" * 32 + ".dir", "images.dvc"), (2, "d" * 32 + ".dir", "raw/images.dvc")]


def test_credentials_in_urls_are_never_published(handmade: GitRepo, tmp_path: Path) -> None:
    out = tmp_path / "site"
    proc = dataward(handmade.path, "catalog", "build", "-o", str(out / "catalog.json"),
                    "--croissant-dir", str(out / "croissant"), "--html", str(out / "index.html"),
                    "--registry-url", "HTTPS://bob:ghp_REGISTRY@github.com/lab/datasets")
    assert proc.returncode == 0, proc.stderr
    for path in out.rglob("*"):
        if path.is_file():
            text = path.read_text()
            assert "ghp_" not in text and "alice" not in text and "bob" not in text, path
    catalog = json.loads((out / "catalog.json").read_text())
    assert catalog["registry"] == "HTTPS://github.com/lab/datasets"
    assert by_name(catalog)["raw/images"]["remote_url"] == "https://dav.example.com/store"


def test_messages_are_shown_as_written(handmade: GitRepo) -> None:
    show = dataward(handmade.path, "show", "raw/images", env={"COLUMNS": "200"})
    assert show.returncode == 0, show.stderr
    assert "add data [/] and images" in show.stdout
    assert "dataward show" not in show.stderr
