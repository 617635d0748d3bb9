"""A DVC registry in a test: real git, real `dvc init/add/push`, its remote on the loopback S3
server; and the `dvc-pushed` console script run in it as a user would run it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import NamedTuple

from tests.harness.dvcrun import dvc
from tests.harness.repo import GitRepo
from tests.harness.s3server import S3Server

DVC_PUSHED = str(Path(sys.executable).parent / "dvc-pushed")


def new_bucket(s3: S3Server) -> str:
    return s3.bucket(f"lab-{uuid.uuid4().hex[:12]}")


def registry(path: Path, s3: S3Server, bucket: str, endpoint: str | None = None,
             keys: tuple[str, str] | None = None) -> GitRepo:
    """A git repository with DVC, whose default remote `storage` is s3://BUCKET/store.

    The config is written as `dvc remote add -d` / `dvc remote modify [--local]` write it
    (one dvc process less per line: these tests start enough of them).
    """
    repo = GitRepo.init(path)
    dvc(path, "init", "-q")
    (path / ".dvc" / "config").write_text(
        "[core]\n    remote = storage\n['remote \"storage\"']\n"
        f"    url = s3://{bucket}/store\n    endpointurl = {endpoint or s3.endpoint}\n")
    set_keys(repo, keys or s3.keys)
    repo.git("add", "-A")
    repo.commit("dvc init")
    return repo


def set_keys(repo: GitRepo, keys: tuple[str, str], *remotes: str) -> None:
    """Credentials where they belong: .dvc/config.local, which git ignores."""
    for name in remotes or ("storage",):
        local_config(repo, name, access_key_id=keys[0], secret_access_key=keys[1])


def local_config(repo: GitRepo, remote: str, **options: str) -> None:
    """Set options of a remote in .dvc/config.local, keeping the others (as `dvc remote
    modify --local` does)."""
    from configobj import ConfigObj

    path = repo.path / ".dvc" / "config.local"
    config = ConfigObj(str(path) if path.exists() else None, interpolation=False)
    config.filename = str(path)
    config.setdefault(f'remote "{remote}"', {}).update(options)
    config.write()


class Template(NamedTuple):
    path: Path
    bucket: str


DOGS = {f"dog/{i}.jpg": b"\xff\xd8dog" + bytes([i]) for i in range(4)}
CATS = {f"cat/{i}.jpg": b"\xff\xd8cat" + bytes([i]) for i in range(3)}


def build_template(path: Path, s3: S3Server) -> Template:
    bucket = new_bucket(s3)
    repo = registry(path, s3, bucket)
    add_dataset(repo, "dog_and_cat", {**DOGS, **CATS})
    repo.commit("add dog_and_cat")
    dvc(path, "push", "-q")
    return Template(path, bucket)


def from_template(template: Template, dest: Path, s3: S3Server, pushed: bool = True,
                  endpoint: str | None = None) -> tuple[GitRepo, str]:
    """A copy of the template registry (git, workspace and DVC cache), its remote moved to a
    bucket of its own, holding a copy of every object (`pushed`) or none."""
    shutil.copytree(template.path, dest, symlinks=True)
    repo = GitRepo(dest)
    bucket = new_bucket(s3)
    if pushed:
        client = s3.client()
        for obj in client.list_objects_v2(Bucket=template.bucket).get("Contents", []):
            client.copy_object(Bucket=bucket, Key=obj["Key"],
                               CopySource={"Bucket": template.bucket, "Key": obj["Key"]})
    local_config(repo, "storage", url=f"s3://{bucket}/store",
                 endpointurl=endpoint or s3.endpoint)
    return repo, bucket


def add_dataset(repo: GitRepo, name: str, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        repo.write(f"{name}/{rel}", data)
    dvc(repo.path, "add", "-q", name)
    repo.git("add", "-A")


def manifest(repo: GitRepo, name: str) -> dict[str, str]:
    """relpath -> md5 of a directory output, from the local cache."""
    md5 = dir_md5(repo, name)
    path = repo.path / ".dvc" / "cache" / "files" / "md5" / md5[:2] / md5[2:]
    return {e["relpath"]: e["md5"] for e in json.loads(path.read_text())}


def dir_md5(repo: GitRepo, name: str) -> str:
    for line in (repo.path / f"{name}.dvc").read_text().splitlines():
        if "md5:" in line:
            return line.split("md5:")[1].strip()
    raise AssertionError(f"{name}.dvc has no md5")


def object_key(md5: str, prefix: str = "store") -> str:
    return f"{prefix}/files/md5/{md5[:2]}/{md5[2:]}"


def delete(s3: S3Server, bucket: str, *md5s: str) -> None:
    client = s3.client()
    for md5 in md5s:
        client.delete_object(Bucket=bucket, Key=object_key(md5))


def pushed(repo: GitRepo, *args: str, env: dict[str, str] | None = None,
           timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The dvc-pushed console script, in the repository."""
    return subprocess.run([DVC_PUSHED, *args], cwd=repo.path, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=timeout, check=False)


def findings(proc: subprocess.CompletedProcess[str]) -> list[dict[str, object]]:
    return json.loads(proc.stdout)["findings"]  # type: ignore[no-any-return]
