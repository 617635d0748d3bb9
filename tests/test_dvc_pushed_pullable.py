"""dvc-pushed guarantees that `dvc pull` works, not only that objects exist: on moto's S3 server,
objects moved to archive storage classes, overwritten with other bytes, emptied, and uploaded
in parts. Each broken case is shown to break a real `dvc pull` of a fresh clone, and the gate
names the same files."""

from __future__ import annotations

import hashlib
import re
import subprocess
from pathlib import Path

import pytest

from tests.harness.dvcremote import (
    DOGS,
    Template,
    dir_md5,
    findings,
    from_template,
    local_config,
    manifest,
    object_key,
    pushed,
    set_keys,
)
from tests.harness.dvcrun import DVC, dvc
from tests.harness.repo import GitRepo
from tests.harness.s3server import S3Server

Copy = tuple[GitRepo, str]


@pytest.fixture
def pushed_copy(tmp_path: Path, s3: S3Server, pushed_registry: Template) -> Copy:
    """A registry whose dog_and_cat (8 objects: the .dir and 7 files) is in its bucket."""
    return from_template(pushed_registry, tmp_path / "registry", s3)


def fresh_pull(repo: GitRepo, bucket: str, s3: S3Server, dest: Path
               ) -> subprocess.CompletedProcess[str]:
    """`dvc pull` in a fresh clone with an empty DVC cache, as a student would run it."""
    subprocess.run(["git", "clone", "-q", str(repo.path), str(dest)], check=True)
    clone = GitRepo(dest)
    local_config(clone, "storage", url=f"s3://{bucket}/store", endpointurl=s3.endpoint)
    set_keys(clone, s3.keys)
    return subprocess.run([DVC, "pull"], cwd=dest, capture_output=True, text=True, check=False)


def to_class(s3: S3Server, bucket: str, md5: str, storage_class: str) -> None:
    """What a lifecycle rule does: the same object, copied in place to another class."""
    key = object_key(md5)
    s3.client().copy_object(Bucket=bucket, Key=key, CopySource={"Bucket": bucket, "Key": key},
                            StorageClass=storage_class, MetadataDirective="COPY")


def test_archived_objects_break_a_pull_and_are_named_with_the_restore(
        s3: S3Server, pushed_copy: Copy, tmp_path: Path) -> None:
    repo, bucket = pushed_copy
    files = manifest(repo, "dog_and_cat")
    to_class(s3, bucket, files["dog/1.jpg"], "GLACIER")
    to_class(s3, bucket, files["cat/2.jpg"], "DEEP_ARCHIVE")
    to_class(s3, bucket, files["dog/2.jpg"], "GLACIER_IR")  # instant retrieval: readable

    pull = fresh_pull(repo, bucket, s3, tmp_path / "student")
    assert pull.returncode != 0  # dvc cannot GET them

    proc = pushed(repo, "--format", "json")
    assert proc.returncode == 1, proc.stderr
    (finding,) = findings(proc)
    assert finding["rule"] == "objects-archived"
    assert finding["message"] == (
        f"dog_and_cat: 2 of 8 objects in remote 'storage' (s3://{bucket}/store) are archived "
        "and cannot be read until restored, so `dvc pull` fails: dog_and_cat/cat/2.jpg (in a "
        "storage class that refuses GET); dog_and_cat/dog/1.jpg (in a storage class that "
        "refuses GET)")
    hint = str(finding["hint"])
    assert "`dvc-pushed --restore --rev HEAD`" in hint
    key = object_key(files["cat/2.jpg"])
    assert (f"aws s3api restore-object --bucket {bucket} --key {key} --restore-request "
            "'{\"Days\": 7, \"GlacierJobParameters\": {\"Tier\": \"Standard\"}}' "
            f"--endpoint-url {s3.endpoint}") in hint
    # An archived object is never remembered as good: the re-check says it again.
    assert findings(pushed(repo, "--format", "json")) == [finding]

    restored = pushed(repo, "--restore", "--days", "2", "--format", "json")
    assert "restore requested for 2 objects in remote 'storage' (Standard, 2 days)" in \
        restored.stderr
    assert restored.returncode == 0, restored.stderr  # moto restores at once
    (warning,) = findings(restored)
    assert (warning["rule"], warning["severity"]) == ("objects-restoring", "warning")
    until = re.findall(r"restored until (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)", str(warning["message"]))
    assert len(until) == 2
    assert fresh_pull(repo, bucket, s3, tmp_path / "after").returncode == 0


def test_an_archived_manifest_is_named_and_its_files_still_checked(
        s3: S3Server, pushed_copy: Copy) -> None:
    repo, bucket = pushed_copy
    to_class(s3, bucket, dir_md5(repo, "dog_and_cat"), "GLACIER")
    proc = pushed(repo, "--no-cache", "--format", "json")
    assert proc.returncode == 1, proc.stderr
    (finding,) = findings(proc)
    assert finding["rule"] == "objects-archived"
    assert "dog_and_cat/ (the .dir manifest) (in a storage class that refuses GET)" in \
        str(finding["message"])


def test_overwritten_and_emptied_objects_are_corrupt_and_push_replaces_them(
        s3: S3Server, pushed_copy: Copy, tmp_path: Path) -> None:
    """Same size, other bytes: only the ETag tells. DVC does not re-hash what it downloads
    unless the remote sets `verify = true`, so the wrong bytes land in the dataset."""
    repo, bucket = pushed_copy
    files = manifest(repo, "dog_and_cat")
    client = s3.client()
    original = DOGS["dog/3.jpg"]
    forged = b"\xff\xd8DOG\x03"
    assert len(forged) == len(original)
    client.put_object(Bucket=bucket, Key=object_key(files["dog/3.jpg"]), Body=forged)
    client.put_object(Bucket=bucket, Key=object_key(files["dog/0.jpg"]), Body=b"")

    # dvc 3.67 pulls both without a word (exit 0): the dataset silently holds wrong bytes.
    pull = fresh_pull(repo, bucket, s3, tmp_path / "student")
    got = tmp_path / "student" / "dog_and_cat" / "dog"
    assert pull.returncode == 0, pull.stderr
    assert ((got / "3.jpg").read_bytes(), (got / "0.jpg").read_bytes()) == (forged, b"")

    proc = pushed(repo, "--format", "json")
    assert proc.returncode == 1
    (finding,) = findings(proc)
    assert finding["rule"] == "objects-corrupt"
    message = str(finding["message"])
    etag = hashlib.md5(forged).hexdigest()
    assert "dog_and_cat/dog/0.jpg is not what dog_and_cat.dvc records: it is empty" in message
    assert (f"dog_and_cat/dog/3.jpg is not what dog_and_cat.dvc records: its bytes are not "
            f"the ones DVC recorded (ETag {etag})") in message
    assert message.startswith(f"dog_and_cat: 2 of 8 objects in remote 'storage' "
                              f"(s3://{bucket}/store) are not the bytes DVC recorded")
    assert "dvc-pushed --push --rev HEAD" in str(finding["hint"])

    fixed = pushed(repo, "--push")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert pushed(repo, "--no-cache").returncode == 0
    assert fresh_pull(repo, bucket, s3, tmp_path / "after").returncode == 0
    assert (tmp_path / "after" / "dog_and_cat" / "dog" / "3.jpg").read_bytes() == original


def test_multipart_uploads_are_unverified_until_deep_hashes_them(
        s3: S3Server, pushed_copy: Copy, tmp_path: Path) -> None:
    """A file above s3fs's multipart threshold gets an ETag that is no md5: counted and said,
    never called intact or corrupt on the ETag's word; `--deep` downloads and decides."""
    repo, bucket = pushed_copy
    # s3fs uploads in 50 MiB parts from 100 MiB on: a 101 MiB model is multipart.
    blob = hashlib.sha256(b"weights").digest() * (101 * 2**20 // 32)
    repo.write("model.bin", blob)
    dvc(repo.path, "add", "-q", "model.bin")
    repo.git("add", "-A")
    repo.commit("model")
    dvc(repo.path, "push", "-q")
    md5 = hashlib.md5(blob).hexdigest()
    etag = s3.client().head_object(Bucket=bucket, Key=object_key(md5))["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}-3"', etag)

    proc = pushed(repo, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    (finding,) = findings(proc)
    assert (finding["rule"], finding["severity"]) == ("objects-unverified", "warning")
    assert re.search(r"model\.bin: 1 of 1 object in remote 'storage' \(.*\) could not be proven "
                     r"intact from what the remote says of them: model\.bin \(uploaded in \d+ "
                     r"parts, so its ETag is not its md5\)", str(finding["message"]))
    assert "dvc-pushed --deep --rev HEAD" in str(finding["hint"])

    deep = pushed(repo, "--deep", "--format", "json")
    assert (deep.returncode, findings(deep)) == (0, []), deep.stderr
    assert "dvc-pushed --deep: hashed 1 of 1 objects, 105.9 MB" in deep.stderr
    assert findings(pushed(repo, "--format", "json")) == []  # proven, and remembered

    # Other bytes of the same size, uploaded in parts as `aws s3 cp` does: the ETag cannot
    # tell, --deep can.
    upload_in_parts(s3, bucket, object_key(md5), blob[::-1])
    assert findings(pushed(repo, "--no-cache", "--format", "json"))[0]["rule"] == \
        "objects-unverified"
    bad = pushed(repo, "--no-cache", "--deep", "--format", "json")
    assert bad.returncode == 1
    (corrupt,) = findings(bad)
    assert corrupt["rule"] == "objects-corrupt"
    assert f"its bytes hash to {hashlib.md5(blob[::-1]).hexdigest()}" in str(corrupt["message"])


def upload_in_parts(s3: S3Server, bucket: str, key: str, data: bytes) -> None:
    client, part = s3.client(), 50 * 2**20
    upload = client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    parts = []
    for number, start in enumerate(range(0, len(data), part), 1):
        answer = client.upload_part(Bucket=bucket, Key=key, UploadId=upload,
                                    PartNumber=number, Body=data[start:start + part])
        parts.append({"ETag": answer["ETag"], "PartNumber": number})
    client.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload,
                                     MultipartUpload={"Parts": parts})


def test_a_deletion_is_seen_once_the_cache_days_have_passed(
        s3: S3Server, pushed_copy: Copy) -> None:
    """The presence cache cannot hide a deletion for ever: with `cache-days = 0` every check
    asks; the default trusts an object seen intact for 7 days."""
    repo, bucket = pushed_copy
    files = manifest(repo, "dog_and_cat")
    assert pushed(repo).returncode == 0  # remembered
    s3.client().delete_object(Bucket=bucket, Key=object_key(files["cat/0.jpg"]))
    assert pushed(repo).returncode == 0  # trusted: seen intact a moment ago
    (repo.path / "dataward.toml").write_text("[remote]\ncache-days = 0\n")
    proc = pushed(repo, "--format", "json")
    assert proc.returncode == 1
    assert "dog_and_cat/cat/0.jpg" in str(findings(proc)[0]["message"])


def test_show_remote_says_how_many_objects_of_a_pull_are_archived(
        s3: S3Server, pushed_copy: Copy) -> None:
    repo, bucket = pushed_copy
    dataward = str(Path(DVC).parent / "dataward")

    def show() -> subprocess.CompletedProcess[str]:
        return subprocess.run([dataward, "show", "dog_and_cat", "--remote"], cwd=repo.path,
                              capture_output=True, text=True, check=False, timeout=120)

    fine = show()
    assert fine.returncode == 0, fine.stderr
    assert "in the remote now: every object is there and can be pulled" in fine.stdout
    files = manifest(repo, "dog_and_cat")
    to_class(s3, bucket, files["dog/1.jpg"], "GLACIER")
    to_class(s3, bucket, files["cat/1.jpg"], "DEEP_ARCHIVE")
    archived = show()
    assert archived.returncode == 1
    assert re.search(r"a pull transfers 8 objects, \d+ B, 2 of them archived", archived.stdout)
    head = repo.git("log", "-1", "--format=%H", "--", "dog_and_cat.dvc").stdout.strip()
    assert (f"in the remote now: 2 archived; `dvc-pushed --restore --rev {head}` asks S3 to "
            "restore them") in archived.stdout


def test_intelligent_tiering_objects_are_readable_unless_an_archive_tier_holds_them(
        s3: S3Server, pushed_copy: Copy) -> None:
    """Intelligent-Tiering's frequent and infrequent tiers are read like STANDARD; only its
    opt-in archive tiers refuse GET. The bucket's tiering configuration is asked once (moto
    keeps it but lists none, as a bucket without archive tiers would)."""
    repo, bucket = pushed_copy
    s3.client().put_bucket_intelligent_tiering_configuration(
        Bucket=bucket, Id="archive", IntelligentTieringConfiguration={
            "Id": "archive", "Status": "Enabled",
            "Tierings": [{"Days": 90, "AccessTier": "ARCHIVE_ACCESS"}]})
    for md5 in manifest(repo, "dog_and_cat").values():
        to_class(s3, bucket, md5, "INTELLIGENT_TIERING")
    proc = pushed(repo, "--no-cache", "-v", "--format", "json")
    assert (proc.returncode, findings(proc)) == (0, []), proc.stderr
    fresh = fresh_pull(repo, bucket, s3, Path(str(repo.path) + "-student"))
    assert fresh.returncode == 0, fresh.stderr
