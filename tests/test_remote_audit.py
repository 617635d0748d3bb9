"""`dataward remote audit` on a real registry with two versions of a dataset, pushed with real
`dvc push` to moto's S3 server, then damaged the ways a remote is: a file of the old version
deleted, one of the current version archived, and objects nothing references left behind."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.harness.dvcremote import (
    Template,
    add_dataset,
    dir_md5,
    from_template,
    manifest,
    object_key,
)
from tests.harness.dvcrun import dvc
from tests.harness.repo import GitRepo
from tests.harness.s3server import S3Server

DATAWARD = str(Path(__file__).parent.parent / ".venv" / "bin" / "dataward")


def audit(repo: GitRepo, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([DATAWARD, "remote", "audit", *args], cwd=repo.path,
                          capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture
def two_versions(tmp_path: Path, s3: S3Server, pushed_registry: Template
                 ) -> tuple[GitRepo, str, dict[str, str], dict[str, str]]:
    """dog_and_cat v1 (the template's) and v2 (one cat changed, one added), both pushed."""
    repo, bucket = from_template(pushed_registry, tmp_path / "registry", s3)
    v1 = manifest(repo, "dog_and_cat")
    add_dataset(repo, "dog_and_cat", {"cat/0.jpg": b"\xff\xd8CAT0", "cat/9.jpg": b"\xff\xd8c9"})
    repo.commit("dog_and_cat v2")
    dvc(repo.path, "push", "-q")
    return repo, bucket, v1, manifest(repo, "dog_and_cat")


def test_the_audit_names_each_version_that_cannot_be_pulled_and_plans_the_rest(
        s3: S3Server, two_versions: tuple[GitRepo, str, dict[str, str], dict[str, str]],
        tmp_path: Path) -> None:
    repo, bucket, v1, v2 = two_versions
    client = s3.client()
    # v1's cat/0.jpg is only in v1 (v2 changed it): deleting it breaks v1 alone.
    client.delete_object(Bucket=bucket, Key=object_key(v1["cat/0.jpg"]))
    key = object_key(v2["cat/9.jpg"])
    client.copy_object(Bucket=bucket, Key=key, CopySource={"Bucket": bucket, "Key": key},
                       StorageClass="DEEP_ARCHIVE", MetadataDirective="COPY")
    stray = "0" * 32
    client.put_object(Bucket=bucket, Key=object_key(stray), Body=b"x" * 2000)
    client.put_object(Bucket=bucket, Key="store/notes.txt", Body=b"not a DVC object")

    plan_file = tmp_path / "plan.json"
    # By default what was written in the last 7 days stays out: its commit may be on its way.
    fresh = audit(repo, "--format", "json")
    (note,) = [f for f in json.loads(fresh.stdout)["findings"]
               if f["rule"] == "objects-unreferenced"]
    assert "holds 0 objects (0 bytes) that no branch or tag references" in str(note["message"])
    assert "1 newer than 7 days left out" in str(note["message"])
    proc = audit(repo, "--format", "json", "--plan", str(plan_file), "-v", "--keep-days", "0")
    assert proc.returncode == 1, proc.stderr
    found = {f["rule"]: f for f in json.loads(proc.stdout)["findings"]}
    assert set(found) == {"objects-not-in-remote", "objects-archived", "objects-unreferenced"}
    missing = str(found["objects-not-in-remote"]["message"])
    assert missing.startswith("dog_and_cat (v1, ")
    assert "dog_and_cat/cat/0.jpg" in missing and "1 of 8 objects" in missing
    # v1's .dir is there, so `dvc push` would send nothing: the upload that works, at v1.
    assert "`dvc-pushed --push --rev " in str(found["objects-not-in-remote"]["hint"])
    archived = str(found["objects-archived"]["message"])
    assert archived.startswith("dog_and_cat (v2, ") and "dog_and_cat/cat/9.jpg" in archived
    unreferenced = found["objects-unreferenced"]
    assert unreferenced["severity"] == "warning"
    assert "holds 1 object (2.0 kB) that no branch or tag references" in \
        str(unreferenced["message"])
    plan = json.loads(plan_file.read_text())
    (entry,) = plan["remotes"]
    assert entry["complete"] is True
    (listed,) = entry["unreferenced"]
    assert {k: listed[k] for k in ("key", "bytes", "storage_class")} == {
        "key": object_key(stray, "")[1:], "bytes": 2000, "storage_class": "STANDARD"}
    assert listed["modified"].endswith("Z")
    assert "remote audit: 2 dataset versions" in proc.stderr
    # Nothing was deleted: the plan is only a plan.
    assert client.head_object(Bucket=bucket, Key=object_key(stray))["ContentLength"] == 2000


def test_tips_only_leaves_the_old_version_out(
        s3: S3Server, two_versions: tuple[GitRepo, str, dict[str, str], dict[str, str]]) -> None:
    repo, bucket, v1, _ = two_versions
    s3.client().delete_object(Bucket=bucket, Key=object_key(v1["cat/0.jpg"]))
    proc = audit(repo, "--tips", "--format", "json", "--keep-days", "0")
    (finding,) = json.loads(proc.stdout)["findings"]
    # v1's objects are not needed at any tip: its other files are, v1's .dir and cat/0 not;
    # and a plan made from the tips alone is not one to delete by.
    assert finding["rule"] == "objects-unreferenced", proc.stdout
    assert "NOT a plan to act on: only branch and tag tips were read (--tips)" in \
        str(finding["message"])
    assert proc.returncode == 0


def test_an_unreachable_remote_is_exit_3(s3: S3Server, two_versions: tuple[
        GitRepo, str, dict[str, str], dict[str, str]]) -> None:
    repo, *_ = two_versions
    from tests.harness.dvcremote import local_config
    from tests.harness.s3server import free_port

    local_config(repo, "storage", endpointurl=f"http://127.0.0.1:{free_port()}")
    proc = audit(repo, "--timeout", "20")
    assert proc.returncode == 3
    assert "cannot reach remote 'storage'" in proc.stderr


def test_a_dvc_file_version_no_one_can_read_makes_the_plan_one_not_to_act_on(
        s3: S3Server, two_versions: tuple[GitRepo, str, dict[str, str], dict[str, str]],
        tmp_path: Path) -> None:
    """A merge conflict committed and fixed later: what that version named is unknown, so
    objects nothing else references may be its; the plan says so instead of offering them."""
    repo, bucket, *_ = two_versions
    good = (repo.path / "dog_and_cat.dvc").read_text()
    repo.write("dog_and_cat.dvc", "<<<<<<< HEAD\n" + good + "=======\n" + good + ">>>>>>> b\n")
    repo.add("dog_and_cat.dvc")
    repo.commit("a merge, badly resolved")
    repo.write("dog_and_cat.dvc", good)
    repo.add("dog_and_cat.dvc")
    repo.commit("fix the merge")
    s3.client().put_object(Bucket=bucket, Key=object_key("f" * 32), Body=b"y" * 10)
    plan_file = tmp_path / "plan.json"
    proc = audit(repo, "--format", "json", "--plan", str(plan_file))
    assert proc.returncode == 0, proc.stderr
    (finding,) = json.loads(proc.stdout)["findings"]
    assert "NOT a plan to act on: 1 DVC file version in history could not be read " \
        "(dog_and_cat.dvc (" in str(finding["message"])
    (entry,) = json.loads(plan_file.read_text())["remotes"]
    assert entry["complete"] is False and "could not be read" in entry["incomplete"]


def test_two_remote_names_over_one_bucket_share_one_plan(
        s3: S3Server, two_versions: tuple[GitRepo, str, dict[str, str], dict[str, str]],
        tmp_path: Path) -> None:
    """`mirror` and `storage` name the same store: what either references is referenced, so
    neither's data is offered for deletion by the other's plan."""
    repo, bucket, *_ = two_versions
    from tests.harness.dvcremote import local_config

    with (repo.path / ".dvc" / "config").open("a") as config:
        config.write(f"['remote \"mirror\"']\n    url = s3://{bucket}/store\n"
                     f"    endpointurl = {s3.endpoint}\n")
    local_config(repo, "mirror", access_key_id=s3.keys[0], secret_access_key=s3.keys[1])
    repo.write("notes.bin", b"notes for the mirror")
    dvc(repo.path, "add", "-q", "notes.bin")
    text = (repo.path / "notes.bin.dvc").read_text().replace("  path:", "  remote: mirror\n  path:")
    repo.write("notes.bin.dvc", text)
    repo.git("add", "-A")
    repo.commit("notes, kept in the mirror")
    dvc(repo.path, "push", "-q", "notes.bin.dvc")
    plan_file = tmp_path / "plan.json"
    proc = audit(repo, "--format", "json", "--plan", str(plan_file), "--keep-days", "0")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (entry,) = json.loads(plan_file.read_text())["remotes"]
    assert entry["remote"] == "mirror = storage"
    assert entry["unreferenced"] == []


def test_a_shallow_clone_cannot_be_audited(
        s3: S3Server, two_versions: tuple[GitRepo, str, dict[str, str], dict[str, str]],
        tmp_path: Path) -> None:
    """Versions beyond the boundary would be unknown, and their objects offered for deletion."""
    repo, *_ = two_versions
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo.path}", str(clone)],
                   check=True)
    proc = subprocess.run([DATAWARD, "remote", "audit"], cwd=clone, capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 3
    assert "is a shallow clone: the audit needs every version in its history" in proc.stderr
    assert "git fetch --unshallow" in proc.stderr


def test_a_folder_whose_manifest_is_archived_makes_the_plan_incomplete(
        s3: S3Server, two_versions: tuple[GitRepo, str, dict[str, str], dict[str, str]],
        tmp_path: Path) -> None:
    """On a CI runner (no DVC cache) a manifest archived by a lifecycle rule cannot be read:
    its files are unknown, so they must not be offered for deletion as unreferenced."""
    import shutil

    repo, bucket, *_ = two_versions
    shutil.rmtree(repo.path / ".dvc" / "cache")
    key = object_key(dir_md5(repo, "dog_and_cat"))
    s3.client().copy_object(Bucket=bucket, Key=key, CopySource={"Bucket": bucket, "Key": key},
                            StorageClass="DEEP_ARCHIVE", MetadataDirective="COPY")
    plan_file = tmp_path / "plan.json"
    proc = audit(repo, "--format", "json", "--plan", str(plan_file), "--keep-days", "0")
    assert proc.returncode == 1
    rules = {f["rule"] for f in json.loads(proc.stdout)["findings"]}
    assert "objects-archived" in rules
    (entry,) = json.loads(plan_file.read_text())["remotes"]
    assert entry["complete"] is False
    assert "the .dir manifest of 1 folder could be read neither here nor in the remote" in \
        entry["incomplete"]
