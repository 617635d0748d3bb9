"""dvc-pushed on a version-aware remote (`version_aware = true` on a versioned bucket): real
dvc pushes a folder and a file to moto's S3 server, which then keeps them at their workspace
paths by version id; the gate checks exactly the versions the .dvc files record.

Each test checks twice: through `versioned.check` (what run() calls) and through the
`dvc-pushed` console script, as a user runs it."""

from __future__ import annotations

import re
import subprocess
import uuid
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dataward.checks.dvc_pushed import versioned
from dataward.errors import CouldNotCheck
from dataward.findings import Finding
from dataward.formats.dvcfile import CloudVersion, DvcOut, read
from dataward.formats.remote_object import ObjectInfo
from dataward.runner import Request
from tests.harness.dvcremote import findings, local_config, pushed, set_keys
from tests.harness.dvcrun import DVC, dvc
from tests.harness.repo import GitRepo
from tests.harness.s3server import S3Server, free_port

IMGS = {"a.txt": b"aaa", "b.txt": b"bbbb", "sub/c.txt": b"ccccc"}
ONE = b"one!"


class Registry:
    """A registry whose default remote `storage` is version-aware, on a versioned bucket,
    with `imgs` (a folder) and `one.bin` (a file) added, pushed and committed."""

    def __init__(self, path: Path, s3: S3Server) -> None:
        self.s3 = s3
        self.client = s3.client()
        self.bucket = f"vbk-{uuid.uuid4().hex[:12]}"
        self.client.create_bucket(Bucket=self.bucket)
        self.client.put_bucket_versioning(Bucket=self.bucket,
                                          VersioningConfiguration={"Status": "Enabled"})
        self.repo = GitRepo.init(path)
        dvc(path, "init", "-q")
        (path / ".dvc" / "config").write_text(
            "[core]\n    remote = storage\n['remote \"storage\"']\n"
            f"    url = s3://{self.bucket}/reg\n    version_aware = true\n")
        local_config(self.repo, "storage", endpointurl=s3.endpoint)
        set_keys(self.repo, s3.keys)
        for rel, data in IMGS.items():
            self.repo.write(f"imgs/{rel}", data)
        self.repo.write("one.bin", ONE)
        dvc(path, "add", "-q", "imgs", "one.bin")
        dvc(path, "push", "-q")
        self.repo.git("add", "-A")
        self.repo.commit("add imgs and one.bin, pushed")

    def outs(self) -> list[DvcOut]:
        return [o for name in ("imgs.dvc", "one.bin.dvc")
                for o in read(name, (self.repo.path / name).read_bytes()).outs if o.in_remote]

    def check(self) -> list[Finding]:
        from dataward.formats import dvc_config

        settings = dvc_config.load(str(self.repo.path / ".dvc"))
        plain, by_version = versioned.split(settings, self.outs())
        assert plain == [] and len(by_version) == 2
        return versioned.check(str(self.repo.path), by_version, Request(timeout=30),
                               settings.default_remote)

    def version(self, key: str) -> str:
        """The version id the DVC files record for the workspace path `key`."""
        for out in self.outs():
            for f in out.files:
                if f"{out.path}/{f.relpath}" == key:
                    found = versioned.pick(f.cloud, "storage")
                    assert found is not None and found.version_id
                    return found.version_id
            if out.path == key:
                found = versioned.pick(out.cloud, "storage")
                assert found is not None and found.version_id
                return found.version_id
        raise AssertionError(key)

    def fresh_pull(self, dest: Path) -> subprocess.CompletedProcess[str]:
        subprocess.run(["git", "clone", "-q", str(self.repo.path), str(dest)], check=True)
        clone = GitRepo(dest)
        local_config(clone, "storage", endpointurl=self.s3.endpoint)
        set_keys(clone, self.s3.keys)
        return subprocess.run([DVC, "pull"], cwd=dest, capture_output=True, text=True,
                              check=False)


@pytest.fixture
def reg(tmp_path: Path, s3: S3Server) -> Registry:
    return Registry(tmp_path / "registry", s3)


def as_dicts(found: list[Finding]) -> list[dict[str, object]]:
    return [f.as_dict() for f in found]


def test_what_dvc_wrote_is_read_as_versions_a_pull_needs(reg: Registry) -> None:
    imgs, one = reg.outs()
    # A folder pushed to a version-aware remote has no md5: its files carry the versions.
    assert imgs.md5 is None and imgs.in_remote and imgs.versioned
    assert sorted(f.relpath for f in imgs.files) == sorted(IMGS)
    assert all(versioned.pick(f.cloud, "storage") for f in imgs.files)
    assert one.md5 and one.size == len(ONE) and one.cloud[0].remote == "storage"
    listed = reg.client.list_object_versions(Bucket=reg.bucket, Prefix="reg/")["Versions"]
    assert {v["Key"]: v["VersionId"] for v in listed} == {
        "reg/one.bin": reg.version("one.bin"),
        **{f"reg/imgs/{rel}": reg.version(f"imgs/{rel}") for rel in IMGS}}


def test_pushed_versions_pass_and_still_pass_after_an_overwrite(reg: Registry) -> None:
    assert reg.check() == []
    assert pushed(reg.repo, "--format", "json").returncode == 0
    # A newer version of a key leaves the recorded one where it was: what versioning is for.
    reg.client.put_object(Bucket=reg.bucket, Key="reg/imgs/a.txt", Body=b"overwritten")
    reg.client.put_object(Bucket=reg.bucket, Key="reg/one.bin", Body=b"other")
    reg.client.delete_object(Bucket=reg.bucket, Key="reg/imgs/b.txt")  # a delete marker
    assert reg.check() == []
    proc = pushed(reg.repo, "--format", "json")
    assert (proc.returncode, findings(proc)) == (0, []), proc.stderr


def test_a_deleted_version_is_named_and_breaks_a_pull(reg: Registry, tmp_path: Path) -> None:
    version = reg.version("imgs/a.txt")
    reg.client.delete_object(Bucket=reg.bucket, Key="reg/imgs/a.txt", VersionId=version)
    (finding,) = reg.check()
    lines = (reg.repo.path / "imgs.dvc").read_text().splitlines()
    assert (finding.path, finding.line, finding.rule) == (
        "imgs.dvc", lines.index("  path: imgs") + 1, "objects-not-in-remote")
    assert finding.message.startswith("imgs: 1 of 3 files is not in remote 'storage' (s3://")
    assert f"imgs/a.txt (version {version} is gone" in finding.message
    assert "delete the `cloud:` entry of each of them from imgs.dvc, run `dvc push " \
        "imgs.dvc`" in finding.hint
    assert reg.fresh_pull(tmp_path / "clone").returncode != 0
    proc = pushed(reg.repo, "--format", "json")
    assert (proc.returncode, findings(proc)) == (1, [finding.as_dict()]), proc.stderr
    # `dvc push` alone uploads the file again but keeps the dead version id...
    dvc(reg.repo.path, "push", "-q", "imgs.dvc")
    assert reg.version("imgs/a.txt") == version and reg.check() == [finding]
    # ...the hint works: without its `cloud:` entry, dvc records the new version.
    text = (reg.repo.path / "imgs.dvc").read_text()
    entry = re.compile(r"(  - relpath: a\.txt\n(?:    [^\n]*\n)*?)    cloud:\n"
                       r"      storage:\n        etag: \S+\n        version_id: \S+\n")
    reg.repo.write("imgs.dvc", entry.sub(r"\1", text).encode())
    (stripped,) = reg.check()
    assert "imgs/a.txt (no version of it is recorded for this remote" in stripped.message
    assert stripped.hint == "`dvc push imgs.dvc`, then commit imgs.dvc"
    dvc(reg.repo.path, "push", "-q", "imgs.dvc")
    assert reg.version("imgs/a.txt") != version and reg.check() == []
    reg.repo.git("add", "-A")
    reg.repo.commit("pushed again")
    assert pushed(reg.repo, "--format", "json").returncode == 0


def test_a_deleted_file_version_is_named(reg: Registry) -> None:
    version = reg.version("one.bin")
    reg.client.delete_object(Bucket=reg.bucket, Key="reg/one.bin", VersionId=version)
    (finding,) = reg.check()
    assert (finding.path, finding.rule) == ("one.bin.dvc", "objects-not-in-remote")
    assert finding.message.startswith("one.bin: its file is not in remote 'storage'")
    assert f"one.bin (version {version} is gone" in finding.message


def test_a_version_with_other_bytes_than_recorded_is_corrupt(reg: Registry) -> None:
    # The .dvc file records a size the version does not have (as a bad merge would).
    text = (reg.repo.path / "one.bin.dvc").read_text()
    reg.repo.write("one.bin.dvc", text.replace(f"size: {len(ONE)}", "size: 99").encode())
    reg.repo.git("add", "-A")
    reg.repo.commit("a wrong size")
    (finding,) = reg.check()
    assert (finding.path, finding.rule) == ("one.bin.dvc", "objects-corrupt")
    assert "it is 4 bytes, not the 99 bytes recorded" in finding.message
    proc = pushed(reg.repo, "--format", "json")
    assert (proc.returncode, findings(proc)) == (1, [finding.as_dict()]), proc.stderr


def test_a_recorded_version_in_glacier_is_archived(reg: Registry) -> None:
    # moto cannot change a version's class in place (a copy makes a new version): record the
    # GLACIER copy's version instead, as a `dvc push` after such a copy would.
    key = "reg/one.bin"
    copy = reg.client.copy_object(Bucket=reg.bucket, Key=key, StorageClass="GLACIER",
                                  CopySource={"Bucket": reg.bucket, "Key": key})
    text = (reg.repo.path / "one.bin.dvc").read_text()
    reg.repo.write("one.bin.dvc", text.replace(reg.version("one.bin"),
                                               copy["VersionId"]).encode())
    (finding,) = reg.check()
    assert finding.rule == "objects-archived"
    assert f"one.bin (version {copy['VersionId']} is in GLACIER)" in finding.message
    assert f"--key reg/one.bin --version-id {copy['VersionId']}" in finding.hint
    assert "--endpoint-url http://127.0.0.1:" in finding.hint
    # Restored (moto restores at once): readable until a date, a warning that says until when.
    reg.client.restore_object(Bucket=reg.bucket, Key=key, VersionId=copy["VersionId"],
                              RestoreRequest={"Days": 2})
    (restored,) = reg.check()
    assert (restored.rule, restored.severity) == ("objects-restoring", "warning")
    assert re.search(r"restored until \d{4}-\d\d-\d\dT", restored.message)


def test_suspended_versioning_and_an_unreachable_remote_cannot_be_checked(
        reg: Registry) -> None:
    reg.client.put_bucket_versioning(Bucket=reg.bucket,
                                     VersioningConfiguration={"Status": "Suspended"})
    with pytest.raises(CouldNotCheck, match="versioning is suspended on bucket"):
        reg.check()
    proc = pushed(reg.repo, "--format", "json")
    assert proc.returncode == 3 and "versioning is suspended" in proc.stdout + proc.stderr
    local_config(reg.repo, "storage", endpointurl=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(CouldNotCheck, match="cannot reach remote 'storage'"):
        reg.check()


@given(st.sampled_from(["GLACIER", "DEEP_ARCHIVE"]), st.integers(1, 2**40),
       st.text("0123456789abcdef", min_size=32, max_size=32))
def test_archived_versions_are_judged_archived(cls: str, size: int, etag: str) -> None:
    want = versioned.Wanted("d/f", "d/f", size, CloudVersion("s", etag, "v1"))
    info = ObjectInfo(size, etag, cls)
    assert versioned._judged(want, {("d/f", "v1"): info}, frozenset()) == (
        "archived", f"version v1 is in {cls}")
    assert versioned._judged(want, {("d/f", "v2"): info}, frozenset())[0] == "missing"
    other = "0" * 32 if etag != "0" * 32 else "1" * 32
    assert versioned._judged(want, {("d/f", "v1"): ObjectInfo(size, other)},
                             frozenset())[0] == "corrupt"
