"""The seed's story as a test: `dog_and_cat` is version 3 in the registry, version 1 on the lab
server, and version 3 with one image changed on the cloud machine; `fish` is on the lab server
only; the lab server also holds ad-hoc copies. `dataward drift scan` says exactly that, and the
dashboard shows both environments."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any, NamedTuple

import jsonschema
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.conftest import BIN, GITHUB_REPO, GITHUB_TOKEN, _hermetic
from tests.harness.dvcremote import Template, from_template
from tests.harness.dvcrun import dvc
from tests.harness.ghstandin import LocalGitHub
from tests.harness.repo import GitRepo
from tests.harness.s3server import S3Server

ROOT = Path(__file__).resolve().parent.parent
V1 = {f"dog/{i}.jpg": b"\xff\xd8dog%d" % i for i in range(4)}
V2 = {**V1, **{f"cat/{i}.jpg": b"\xff\xd8cat%d" % i for i in range(3)}}
V3 = {**V2, "dog/4.jpg": b"\xff\xd8dog4"}
FISH = {"fish/cod.png": b"\x89PNGcod", "fish/notes.txt": b"three cod\r\nand a hake\r\n"}


class Registry(NamedTuple):
    path: Path
    commits: list[str]


def put(folder: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    with pytest.MonkeyPatch.context() as mp:
        _hermetic(tmp_path_factory.mktemp("drift-home"), mp)
        path = tmp_path_factory.mktemp("drift") / "registry"
        repo = GitRepo.init(path)
        dvc(path, "init", "-q")
        repo.git("add", "-A")
        repo.commit("dvc init")
        commits = []
        for n, files in enumerate((V1, V2, V3), 1):
            shutil.rmtree(path / "dog_and_cat", ignore_errors=True)
            put(path / "dog_and_cat", files)
            if n == 1:
                put(path, FISH)
                dvc(path, "add", "-q", "dog_and_cat", "fish")
            else:
                dvc(path, "add", "-q", "dog_and_cat")
            repo.git("add", "-A")
            commits.append(repo.commit(f"dog_and_cat version {n}"))
        return Registry(path, commits)


def scan(registry: Registry, root: Path, env: str, tmp_path: Path, *args: str
         ) -> tuple[int, dict[str, Any], str]:
    out = tmp_path / f"{env}.json"
    proc = subprocess.run([f"{BIN}/dataward", "drift", "scan", "--env", env, "--root", str(root),
                           "--registry", str(registry.path), "-o", str(out),
                           "--state", str(tmp_path / "state"), *args],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode in (0, 1, 3), proc.stderr
    return proc.returncode, json.loads(out.read_text()), proc.stdout


def entries(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in report["datasets"]}


@pytest.fixture
def lab(tmp_path: Path) -> Path:
    """The lab server: a plain folder, no git, no DVC. dog_and_cat as it was in version 1,
    fish, an ad-hoc download and an old copy someone made."""
    root = tmp_path / "lab"
    put(root / "dog_and_cat", V1)
    put(root, FISH)
    put(root / "imagenet_copy", {"n01440764/a.JPEG": b"\xff\xd8tench" * 100})
    put(root / "dogs_backup", V1)
    return root


@pytest.fixture
def cloud(tmp_path: Path) -> Path:
    """The cloud machine: version 3 with one image changed; no fish."""
    root = tmp_path / "cloud"
    put(root / "dog_and_cat", {**V3, "dog/0.jpg": b"\xff\xd8retouched"})
    return root


def registry_copy(registry: Registry, path: Path, name: str, text: str) -> Path:
    """A copy of the registry with one more file committed."""
    shutil.copytree(registry.path, path, symlinks=True)
    repo = GitRepo(path)
    repo.write(name, text)
    repo.add(name)
    repo.commit(f"add {name}")
    return path


def built_catalog(repo: Path, tmp_path: Path) -> Path:
    catalog = tmp_path / "catalog.json"
    subprocess.run([f"{BIN}/dataward", "catalog", "build", "--repo", str(repo), "-o",
                    str(catalog)], check=True, capture_output=True)
    return catalog


def scan_catalog(catalog: Path, root: Path, **env: str) -> tuple[int, dict[str, Any]]:
    """`drift scan` of `root` against a built catalog, no state cache; (exit code, report)."""
    proc = subprocess.run([f"{BIN}/dataward", "drift", "scan", "--env", "lab", "--root",
                           str(root), "--catalog", str(catalog), "--format", "json",
                           "--no-state"], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env})
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def test_the_lab_server_is_behind_and_holds_ad_hoc_copies(registry: Registry, lab: Path,
                                                          tmp_path: Path) -> None:
    code, report, out = scan(registry, lab, "lab-server", tmp_path)
    assert code == 1
    got = entries(report)
    dogs = got["dog_and_cat"]
    assert (dogs["status"], dogs["matched_version"], dogs["versions_behind"],
            dogs["expected_version"]) == ("behind", 1, 2, 3)
    assert dogs["matched_date"] == subprocess.run(
        ["git", "log", "-1", "--format=%aI", registry.commits[0]], cwd=registry.path,
        capture_output=True, text=True, check=True).stdout.strip()
    assert (got["fish"]["status"], got["fish"]["actual_md5"]) == (
        "in_sync", got["fish"]["expected_md5"])
    unregistered = {u["name"]: u for u in report["unregistered"]}
    assert unregistered["dogs_backup"]["copy_of"] == {"dataset": "dog_and_cat", "version": 1}
    assert unregistered["imagenet_copy"]["copy_of"] is None
    assert (unregistered["imagenet_copy"]["nfiles"], unregistered["imagenet_copy"]["size"]) == (
        1, 700)
    assert report["summary"]["counts"]["behind"] == 1 and report["summary"]["coverage"] == 0.5
    assert "dog_and_cat  behind: holds version 1 of 3" in out
    # catching up is a pull of version 3: its 8 files and the .dir manifest, priced at the
    # default (the registry sets no [remote] price)
    size = sum(map(len, V3.values()))
    assert dogs["pull"] == {"objects": 9, "bytes": size, "usd_per_gb": 0.114,
                            "usd": pytest.approx(size / 1e9 * 0.114)}
    assert (f"dog_and_cat  behind: holds version 1 of 3 ({dogs['matched_date'][:10]}), 2 "
            f"versions behind; a pull transfers 9 objects, {size} B: under 0.01 USD at 0.114 "
            "USD/GB") in out
    assert got["fish"].get("pull") is None  # in sync: nothing to pull
    assert "dogs_backup" in out and "a copy of dog_and_cat version 1" in out


def test_the_cloud_machine_has_one_image_changed_and_no_fish(registry: Registry, cloud: Path,
                                                             tmp_path: Path) -> None:
    code, report, out = scan(registry, cloud, "abci", tmp_path)
    assert code == 1
    got = entries(report)
    dogs = got["dog_and_cat"]
    assert (dogs["status"], dogs["nearest_version"]) == ("modified", 3)
    assert dogs["changes"] == {"added": [], "removed": [], "modified": ["dog/0.jpg"]}
    assert dogs["actual_md5"].endswith(".dir") and dogs["actual_md5"] != dogs["expected_md5"]
    assert got["fish"]["status"] == "missing" and got["fish"]["actual_md5"] is None
    assert report["unregistered"] == []
    assert "1 changed (dog/0.jpg)" in out


def test_hashes_are_dvcs_own_and_a_rescan_hashes_nothing(registry: Registry,
                                                         tmp_path: Path) -> None:
    """A registry checkout with pulled data is in sync: the hashes equal the .dvc files'."""
    code, report, _ = scan(registry, registry.path, "laptop", tmp_path)
    assert code == 0, report
    assert {e["status"] for e in report["datasets"]} == {"in_sync"}
    assert report["registry_commit"] == registry.commits[-1]



def test_an_unchanged_rescan_hashes_nothing(registry: Registry, lab: Path,
                                           tmp_path: Path) -> None:
    hour_ago = time.time() - 3600  # (a file changed in the last seconds is always re-read)
    for path in lab.rglob("*"):
        os.utime(path, (hour_ago, hour_ago))

    def stderr() -> str:
        proc = subprocess.run([f"{BIN}/dataward", "drift", "scan", "--env", "lab", "--root",
                               str(lab), "--registry", str(registry.path), "--state",
                               str(tmp_path / "state")], capture_output=True, text=True,
                              timeout=60, check=False)
        assert proc.returncode == 1, proc.stderr
        return proc.stderr

    assert "hashed 11 files" in stderr()
    assert "hashed 0 files (0 B); 11 unchanged since the last scan" in stderr()
    (lab / "fish" / "cod.png").write_bytes(b"\x89PNGcod, again")
    os.utime(lab / "fish" / "cod.png", (hour_ago, hour_ago + 1))
    assert "hashed 1 file (14 B); 10 unchanged since the last scan" in stderr()


def test_an_interrupted_pull_is_partial(registry: Registry, tmp_path: Path) -> None:
    root = tmp_path / "half"
    put(root / "dog_and_cat", {k: v for k, v in V3.items() if not k.startswith("cat/")})
    _, report, _ = scan(registry, root, "half", tmp_path)
    dogs = entries(report)["dog_and_cat"]
    assert (dogs["status"], dogs["nearest_version"]) == ("partial", 3)
    assert dogs["changes"]["removed"] == ["cat/0.jpg", "cat/1.jpg", "cat/2.jpg"]


def test_an_unreadable_dataset_is_not_checked_and_fails_closed(registry: Registry, lab: Path,
                                                               tmp_path: Path) -> None:
    (lab / "fish").rename(lab / "fish.real")
    (lab / "fish").symlink_to(lab / "nowhere")  # a dangling link: neither file nor folder
    (lab / "project").mkdir()
    (lab / "project" / ".dvcignore").write_text("*.tmp\n")  # dvc add refuses such a folder
    code, report, out = scan(registry, lab, "lab-server", tmp_path)
    assert code == 3  # a dataset that could not be read is no pass
    fish = entries(report)["fish"]
    assert fish["status"] == "not_checked" and "fish" in fish["reason"]
    [project] = [u for u in report["unregistered"] if u["name"] == "project"]
    assert ".dvcignore" in project["reason"] and project["actual_md5"] is None
    assert "project" in out and "could not be read" in out


def test_reports_validate_against_the_schema(registry: Registry, lab: Path,
                                             tmp_path: Path) -> None:
    schema = json.loads((ROOT / "schemas" / "drift-report.schema.json").read_text())
    _, report, _ = scan(registry, lab, "lab-server", tmp_path)
    jsonschema.validate(report, schema)
    assert report["schema_version"] == 1 and report["env"] == "lab-server"


def test_a_root_that_does_not_exist_cannot_be_scanned(registry: Registry,
                                                      tmp_path: Path) -> None:
    proc = subprocess.run([f"{BIN}/dataward", "drift", "scan", "--env", "x", "--root",
                           str(tmp_path / "nope"), "--registry", str(registry.path)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 3
    assert "is not a folder this machine can read" in proc.stderr


@pytest.mark.parametrize("url", ["https://lab:s3cr3t-pass-0001@127.0.0.1:1/datasets.git",
                                 "https://ghp_tokenAsUser0123456789@127.0.0.1:1/datasets.git"])
def test_a_registry_url_that_cannot_be_cloned_never_shows_its_secret(tmp_path: Path,
                                                                     url: str) -> None:
    proc = subprocess.run([f"{BIN}/dataward", "drift", "scan", "--env", "x", "--root",
                           str(tmp_path), "--registry", url],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 3, proc.stderr
    assert "could not clone https://***@127.0.0.1:1/datasets.git:" in proc.stderr
    for secret in ("s3cr3t-pass-0001", "ghp_tokenAsUser0123456789"):
        assert secret not in proc.stdout + proc.stderr


def test_a_registry_url_is_judged_by_the_registrys_own_policy(registry: Registry,
                                                              tmp_path: Path) -> None:
    """The registry excludes fish.dvc from its datasets (dataward.toml): a scan that clones
    the registry by URL follows that, as one of its checkout does."""
    clone = registry_copy(registry, tmp_path / "registry", "dataward.toml",
                          '[dataset-cards]\nexclude = ["fish.dvc"]\n')
    root = tmp_path / "lab"
    put(root / "dog_and_cat", V3)
    scan = subprocess.run([f"{BIN}/dataward", "drift", "scan", "--env", "lab", "--root",
                           str(root), "--registry", f"file://{clone}", "--format", "json",
                           "--no-state"], capture_output=True, text=True, timeout=120)
    assert scan.returncode == 0, scan.stdout + scan.stderr
    assert [e["name"] for e in json.loads(scan.stdout)["datasets"]] == ["dog_and_cat"]


def test_a_scan_from_a_published_catalog(registry: Registry, lab: Path,
                                         tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.json"
    subprocess.run([f"{BIN}/dataward", "catalog", "build", "-o", str(catalog)],
                   cwd=registry.path, check=True, capture_output=True)
    proc = subprocess.run([f"{BIN}/dataward", "drift", "scan", "--env", "lab", "--root",
                           str(lab), "--catalog", str(catalog), "--format", "json",
                           "--no-state"], capture_output=True, text=True, timeout=60,
                          check=False)
    assert proc.returncode == 1
    assert entries(json.loads(proc.stdout))["dog_and_cat"]["matched_version"] == 1


# -- publishing and the dashboard ---------------------------------------------------------------

def publish(report: Path, github: LocalGitHub, *args: str
            ) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GITHUB_TOKEN": GITHUB_TOKEN, "GITHUB_REPOSITORY": GITHUB_REPO,
           "GITHUB_API_URL": github.api_url}
    return subprocess.run([f"{BIN}/dataward", "drift", "publish", str(report), *args],
                          env=env, capture_output=True, text=True, timeout=120, check=False)


def test_the_dashboard_shows_both_environments(registry: Registry, lab: Path, cloud: Path,
                                               github: LocalGitHub, tmp_path: Path) -> None:
    scan(registry, lab, "lab-server", tmp_path)
    scan(registry, cloud, "abci", tmp_path)
    for env in ("lab-server", "abci"):
        proc = publish(tmp_path / f"{env}.json", github)
        assert proc.returncode == 0, proc.stderr
    files = github.files(GITHUB_REPO, "dataward")
    assert json.loads(files["drift/lab-server.json"])["env"] == "lab-server"
    board = files["drift/README.md"].decode()
    assert "| dataset | abci | lab-server |" in board
    assert "| dog_and_cat (v3) | ✏️ ~v3 | ⏪ v1 |" in board
    assert "| fish (v1) | ∅ | ✅ v1 |" in board
    assert "dogs_backup (= dog_and_cat v1)" in board
    assert len(github.commits(GITHUB_REPO, "dataward")) == 2  # history stays in git


def test_an_issue_per_environment_while_it_drifts(registry: Registry, lab: Path,
                                                  github: LocalGitHub, tmp_path: Path) -> None:
    scan(registry, lab, "lab-server", tmp_path)
    assert publish(tmp_path / "lab-server.json", github, "--issue").returncode == 0
    [issue] = [i for i in github.issues(GITHUB_REPO) if i["title"].startswith("Dataset drift")]
    assert issue["state"] == "open" and "behind: holds version 1 of 3" in issue["body"]
    shutil.rmtree(lab)
    shutil.copytree(registry.path, lab, ignore=shutil.ignore_patterns(".git", ".dvc"))
    code, _, _ = scan(registry, lab, "lab-server", tmp_path)
    assert code == 0
    assert publish(tmp_path / "lab-server.json", github, "--issue").returncode == 0
    [issue] = [i for i in github.issues(GITHUB_REPO) if i["title"].startswith("Dataset drift")]
    assert issue["state"] == "closed" and "Back in sync" in issue["body"]


def test_eight_runners_publishing_at_once_all_land(registry: Registry, lab: Path,
                                                   github: LocalGitHub, tmp_path: Path) -> None:
    scan(registry, lab, "lab-server", tmp_path)
    report = json.loads((tmp_path / "lab-server.json").read_text())
    paths = []
    for i in range(8):
        path = tmp_path / f"env{i}.json"
        path.write_text(json.dumps({**report, "env": f"env{i}"}))
        paths.append(path)
    env = {**os.environ, "GITHUB_TOKEN": GITHUB_TOKEN, "GITHUB_REPOSITORY": GITHUB_REPO,
           "GITHUB_API_URL": github.api_url}
    procs = [subprocess.Popen([f"{BIN}/dataward", "drift", "publish", str(p)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for p in paths]
    for proc in procs:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
    files = github.files(GITHUB_REPO, "dataward")
    assert {f"drift/env{i}.json" for i in range(8)} <= set(files)
    board = files["drift/README.md"].decode()
    assert all(f"| env{i} |" in board for i in range(8))  # the last writer saw every report


def test_an_environment_name_must_be_a_plain_name(registry: Registry, lab: Path,
                                                  github: LocalGitHub, tmp_path: Path) -> None:
    proc = subprocess.run([f"{BIN}/dataward", "drift", "scan", "--env", "../main", "--root",
                           str(lab), "--registry", str(registry.path)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2 and "is not a plain name" in proc.stderr
    scan(registry, lab, "lab-server", tmp_path)
    report = json.loads((tmp_path / "lab-server.json").read_text())
    (tmp_path / "evil.json").write_text(json.dumps({**report, "env": "../../README"}))
    assert publish(tmp_path / "evil.json", github).returncode == 2
    assert github.files(GITHUB_REPO, "dataward") == {}


def test_manifests_come_from_the_remote_when_no_cache_has_them(
        pushed_registry: Template, s3: S3Server, tmp_path: Path) -> None:
    """A fresh checkout on a runner has no DVC cache: the changed files are still named,
    from the `.dir` manifests in the registry's remote."""
    repo, _ = from_template(pushed_registry, tmp_path / "registry", s3)
    cloud = tmp_path / "cloud"
    shutil.copytree(repo.path / "dog_and_cat", cloud / "dog_and_cat")
    (cloud / "dog_and_cat" / "dog" / "1.jpg").write_bytes(b"\xff\xd8retouched")
    shutil.rmtree(repo.path / ".dvc" / "cache")
    code, report, _ = scan(Registry(repo.path, []), cloud, "abci", tmp_path)
    assert code == 1
    dogs = entries(report)["dog_and_cat"]
    assert (dogs["status"], dogs["nearest_version"]) == ("modified", 1)
    assert dogs["changes"] == {"added": [], "removed": [], "modified": ["dog/1.jpg"]}


def test_a_checkout_with_its_cache_elsewhere_names_the_changed_files(
        registry: Registry, tmp_path: Path) -> None:
    """The lab server's checkout keeps its DVC cache on another disk (cache.dir): the
    manifests are read from there, so a changed file is named without asking any remote."""
    checkout = tmp_path / "checkout"
    shutil.copytree(registry.path, checkout, symlinks=True)
    shutil.move(checkout / ".dvc" / "cache", tmp_path / "shared-cache")
    (checkout / ".dvc" / "config.local").write_text(
        f"[cache]\n    dir = {tmp_path / 'shared-cache'}\n")
    catalog = built_catalog(registry.path, tmp_path)
    (checkout / "dog_and_cat" / "dog" / "1.jpg").write_bytes(b"\xff\xd8retouched")
    code, report = scan_catalog(catalog, checkout)
    assert code == 1
    dogs = entries(report)["dog_and_cat"]
    assert dogs["status"] == "modified"
    assert dogs["changes"]["modified"] == ["dog/1.jpg"]


def test_an_older_report_never_replaces_a_newer_one(registry: Registry, lab: Path,
                                                    github: LocalGitHub, tmp_path: Path) -> None:
    scan(registry, lab, "lab-server", tmp_path)
    newer = json.loads((tmp_path / "lab-server.json").read_text())
    older = tmp_path / "older.json"
    older.write_text(json.dumps({**newer, "time": "2020-01-01T00:00:00Z"}))
    assert publish(tmp_path / "lab-server.json", github).returncode == 0
    proc = publish(older, github)
    assert proc.returncode == 0 and "already holds a later report" in proc.stdout
    published = json.loads(github.files(GITHUB_REPO, "dataward")["drift/lab-server.json"])
    assert published["time"] == newer["time"]


@pytest.mark.parametrize("owner", ["same user", "another user"])
def test_a_registry_checkout_does_not_list_its_own_folders(registry: Registry, tmp_path: Path,
                                                           owner: str) -> None:
    """Its docs are the registry's, not an ad-hoc copy, also when the runner's user reads a
    checkout the admin owns (git calls that dubious ownership)."""
    checkout = registry_copy(registry, tmp_path / "checkout", "docs/guide.md",
                             "# How to add a dataset\n")
    put(checkout / "scratch", {"tmp.bin": b"\0" * 10})  # someone's, untracked
    catalog = built_catalog(checkout, tmp_path)
    # git's own switch for "owned by someone else" (as its test suite uses): no chown needed.
    env = {"GIT_TEST_ASSUME_DIFFERENT_OWNER": "1"} if owner == "another user" else {}
    code, report = scan_catalog(catalog, checkout, **env)
    assert code == 0
    assert [u["name"] for u in report["unregistered"]] == ["scratch"]


# -- environments that hold a subset (--datasets) ----------------------------------------------

@pytest.fixture
def gpu_box(tmp_path: Path) -> Path:
    """A GPU box meant to hold fish only: fish as in the registry, no dog_and_cat."""
    root = tmp_path / "gpu"
    put(root, FISH)
    return root


def test_a_box_holding_its_subset_is_in_sync(registry: Registry, gpu_box: Path,
                                             tmp_path: Path) -> None:
    schema = json.loads((ROOT / "schemas" / "drift-report.schema.json").read_text())
    code, report, _ = scan(registry, gpu_box, "gpu-box", tmp_path)
    assert code == 1 and entries(report)["dog_and_cat"]["status"] == "missing"  # without
    code, report, out = scan(registry, gpu_box, "gpu-box", tmp_path, "--datasets", " fish, ")
    assert code == 0, out
    jsonschema.validate(report, schema)
    assert report["selection"] == ["fish"] and list(entries(report)) == ["fish"]
    assert report["not_expected"] == [{"name": "dog_and_cat", "version": 3, "present": False}]
    s = report["summary"]
    assert (s["registered"], s["expected"], s["in_sync"], s["coverage"]) == (2, 1, 1, 1.0)
    assert report["unregistered"] == []
    assert "1 of 1 datasets in sync (100%); 1 of 2 datasets expected here (--datasets fish)" \
        in out
    assert "not expected here: dog_and_cat" in out


def test_drift_among_the_expected_is_exit_1_and_others_are_never_drift(
        registry: Registry, lab: Path, tmp_path: Path) -> None:
    """The lab server holds fish in sync and dog_and_cat behind: with dog_and_cat expected it
    drifts; with fish expected it is in sync, and dog_and_cat, there on disk, is listed as
    present but not expected (not unregistered, not hashed)."""
    code, report, out = scan(registry, lab, "lab-server", tmp_path, "--datasets", "dog_*")
    assert code == 1
    assert entries(report)["dog_and_cat"]["status"] == "behind"
    assert report["not_expected"] == [{"name": "fish", "version": 1, "present": True}]
    assert "fish         not expected here, yet present (not checked)" in out
    code, report, out = scan(registry, lab, "lab-server", tmp_path, "--datasets", "fish")
    assert code == 0, out
    assert report["not_expected"] == [{"name": "dog_and_cat", "version": 3, "present": True}]
    assert sorted(u["name"] for u in report["unregistered"]) == ["dogs_backup", "imagenet_copy"]
    assert "behind" not in out


def test_several_globs_and_repeated_options_select_their_union(registry: Registry, lab: Path,
                                                               tmp_path: Path) -> None:
    code, report, _ = scan(registry, lab, "lab-server", tmp_path, "--datasets", "fi?h",
                           "--datasets", "**/dog_and_cat,fish")
    assert code == 1
    assert report["selection"] == ["fi?h", "**/dog_and_cat", "fish"]
    assert sorted(entries(report)) == ["dog_and_cat", "fish"] and report["not_expected"] == []


def scan_error(registry: Registry, root: Path, tmp_path: Path, *datasets: str
               ) -> subprocess.CompletedProcess[str]:
    out = tmp_path / "report.json"
    proc = subprocess.run([f"{BIN}/dataward", "drift", "scan", "--env", "gpu", "--root",
                           str(root), "--registry", str(registry.path), "--no-state", "-o",
                           str(out), *datasets], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and not out.exists()  # nothing scanned
    return proc


@pytest.mark.parametrize(("given", "said", "hint"), [
    ("fihs", "'fihs' matches no registered dataset; did you mean fish?", "--datasets fish"),
    ("Dog_*", "did you mean dog_and_cat?", "--datasets dog_and_cat"),
    ("fish,dog_and_kat", "did you mean dog_and_cat?", "--datasets fish,dog_and_cat"),
    ("fish,zzzzzzz", "'zzzzzzz' matches no registered dataset",
     "the registry's datasets: dog_and_cat, fish"),
    (" , ", "--datasets names no dataset", "--datasets 'dog_and_cat,fish'"),
    ("!fish", "a glob cannot exclude datasets", "fish,images/*"),
])
def test_a_glob_that_matches_nothing_is_exit_2_with_what_was_meant(
        registry: Registry, gpu_box: Path, tmp_path: Path, given: str, said: str,
        hint: str) -> None:
    proc = scan_error(registry, gpu_box, tmp_path, "--datasets", given)
    assert said in proc.stderr and hint in proc.stderr


NAME_LETTERS = "abcdefghijklmnopqrstuvwxyz_"


@st.composite
def misspelt(draw: st.DrawFn) -> tuple[str, str]:
    """A dataset name and one typo of it: a letter dropped, added, swapped, or the case."""
    name = draw(st.sampled_from(["dog_and_cat", "fish"]))
    i = draw(st.integers(0, len(name) - 1))
    how = draw(st.sampled_from(["drop", "add", "swap", "case"]))
    if how == "drop":
        typo = name[:i] + name[i + 1:]
    elif how == "add":
        typo = name[:i] + draw(st.sampled_from(NAME_LETTERS)) + name[i:]
    elif how == "swap" and i + 1 < len(name):
        typo = name[:i] + name[i + 1] + name[i] + name[i + 2:]
    else:
        typo = name[:i] + name[i].upper() + name[i + 1:]
    assume(typo != name)
    return name, typo


@given(misspelt())
@settings(max_examples=10, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_misspelt_dataset_names_the_one_meant(registry: Registry, gpu_box: Path,
                                                tmp_path: Path, case: tuple[str, str]) -> None:
    name, typo = case
    proc = scan_error(registry, gpu_box, tmp_path, "--datasets", f"fish,{typo}")
    assert f"did you mean {name}" in proc.stderr
    fixed = "fish" if name == "fish" else "fish,dog_and_cat"
    assert f"--datasets {fixed}\n" in proc.stderr


@given(st.lists(st.text("abcXYZ_-.", min_size=1, max_size=8).map(lambda s: f"sets/{s}"),
                min_size=1, max_size=6, unique_by=str.lower))
def test_every_name_selects_itself_and_its_other_case_names_it(names: list[str]) -> None:
    from dataward.drift.selection import select
    from dataward.errors import UsageError

    for name in names:
        assert name in select(names, [name])
        other = name.swapcase()
        if other == name:
            continue
        with pytest.raises(UsageError) as err:
            select(names, [other])
        assert err.value.message.endswith(f"did you mean {name}?") or \
            f"did you mean {name} or" in err.value.message


def test_the_dashboard_and_the_issue_count_only_the_expected(
        registry: Registry, lab: Path, gpu_box: Path, github: LocalGitHub,
        tmp_path: Path) -> None:
    """The nightly issue of a box holding its subset closes; the dashboard shows what each
    environment is meant to hold. A report written before --datasets existed still shows."""
    scan(registry, gpu_box, "gpu-box", tmp_path)
    assert publish(tmp_path / "gpu-box.json", github, "--issue").returncode == 0
    [issue] = github.issues(GITHUB_REPO)
    assert issue["state"] == "open"
    code, _, _ = scan(registry, gpu_box, "gpu-box", tmp_path, "--datasets", "fish")
    assert code == 0
    proc = publish(tmp_path / "gpu-box.json", github, "--issue")
    assert proc.returncode == 0 and "closed" in proc.stdout, proc.stdout + proc.stderr
    [issue] = github.issues(GITHUB_REPO)
    assert issue["state"] == "closed" and "Back in sync" in issue["body"]
    assert "1 of 2 datasets expected here" in issue["body"]
    scan(registry, lab, "lab-server", tmp_path)
    old = json.loads((tmp_path / "lab-server.json").read_text())
    del old["selection"], old["not_expected"], old["summary"]["expected"]
    (tmp_path / "old.json").write_text(json.dumps(old))
    assert publish(tmp_path / "old.json", github).returncode == 0
    board = github.files(GITHUB_REPO, "dataward")["drift/README.md"].decode()
    assert "| dataset | gpu-box | lab-server |" in board
    assert "| dog_and_cat (v3) | — | ⏪ v1 |" in board and "| fish (v1) | ✅ v1 | ✅ v1 |" in board
    assert "| 1 of 2 datasets expected here | 1 of 1 |" in board
    assert "| all 2 datasets | 1 of 2 |" in board
