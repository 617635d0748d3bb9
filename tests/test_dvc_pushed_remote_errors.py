"""dvc-pushed fails closed: a remote it could not ask is exit 3 with the reason, never 0 or 1.

Real failures, not stand-ins: a server that was stopped, a proxy in front of the real server
that resets, answers 500 or never answers, and an S3 server that checks signatures and
refuses keys it does not know or that lack permission.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness.dvcremote import (
    Template,
    add_dataset,
    from_template,
    local_config,
    new_bucket,
    pushed,
    registry,
    set_keys,
)
from tests.harness.dvcrun import dvc
from tests.harness.repo import GitRepo
from tests.harness.s3server import FaultProxy, S3Server


@pytest.fixture
def proxied(tmp_path: Path, s3: S3Server, pushed_registry: Template
            ) -> Iterator[tuple[GitRepo, FaultProxy]]:
    """A pushed registry whose remote is reached through a proxy to the real server."""
    proxy = FaultProxy(s3.port).start()
    repo, _ = from_template(pushed_registry, tmp_path / "registry", s3, endpoint=proxy.endpoint)
    assert pushed(repo).returncode == 0
    yield repo, proxy
    proxy.stop()


def test_a_stopped_server(tmp_path: Path) -> None:
    own = S3Server().start()
    try:
        repo = registry(tmp_path / "registry", own, new_bucket(own))
        add_dataset(repo, "fish", {"a.png": b"\x89PNGa"})
        repo.commit("fish")
        dvc(repo.path, "push", "-q")
    finally:
        own.stop()
    proc = pushed(repo, "--no-cache")
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert proc.stdout == ""
    assert "cannot reach remote 'storage' (s3://" in proc.stderr
    assert "reachable" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("mode", ["reset", "500"])
def test_a_server_that_resets_or_fails(proxied: tuple[GitRepo, FaultProxy], mode: str) -> None:
    repo, proxy = proxied
    proxy.mode = mode
    start = time.monotonic()
    proc = pushed(repo, "--no-cache")
    assert time.monotonic() - start < 30
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert proc.stdout == "" and "Traceback" not in proc.stderr
    assert "remote 'storage'" in proc.stderr
    if mode == "500":
        assert "answered with a server error: Internal Server Error" in proc.stderr
        assert 0 < proxy.requests <= 20  # retried, within bounds, then given up
    # The cache of earlier checks still answers: nothing needs asking, so no error.
    proxy.mode = "pass"
    assert pushed(repo).returncode == 0


def test_a_server_that_never_answers(proxied: tuple[GitRepo, FaultProxy]) -> None:
    repo, proxy = proxied
    proxy.mode = "slow"
    start = time.monotonic()
    proc = pushed(repo, "--no-cache", "--timeout", "3")
    took = time.monotonic() - start
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "did not answer" in proc.stderr and "--timeout" in proc.stderr
    assert took < 30


def test_unknown_credentials_are_refused_and_never_printed(tmp_path: Path) -> None:
    server = S3Server(auth=True).start()
    try:
        bucket = new_bucket(server)
        repo = registry(tmp_path / "registry", server, bucket)
        add_dataset(repo, "fish", {"a.png": b"\x89PNGa"})
        repo.commit("fish")
        dvc(repo.path, "push", "-q")
        assert pushed(repo, "--no-cache").returncode == 0  # the right key works

        wrong = ("AKIAWRONGKEY00000001", "wrong-secret-that-must-never-be-printed")
        set_keys(repo, wrong)
        for fmt in ("text", "json", "github"):
            proc = pushed(repo, "--no-cache", "--format", fmt)
            assert proc.returncode == 3, proc.stdout + proc.stderr
            assert "refused the credentials" in proc.stderr
            assert "dvc remote modify --local storage" in proc.stderr
            for secret in (*wrong, *server.keys):
                assert secret not in proc.stdout + proc.stderr

        # A real key whose user may not read the bucket.
        set_keys(repo, server.denied_keys)
        proc = pushed(repo, "--no-cache")
        assert proc.returncode == 3 and "refused the credentials" in proc.stderr
        assert server.denied_keys[1] not in proc.stdout + proc.stderr

        # Wherever `dvc push` finds its credentials, so does the gate: the environment,
        (repo.path / ".dvc" / "config.local").unlink()
        env = {"AWS_ACCESS_KEY_ID": server.keys[0], "AWS_SECRET_ACCESS_KEY": server.keys[1]}
        assert pushed(repo, "--no-cache", env=env).returncode == 0
        # or a named AWS profile (`dvc remote modify --local storage profile lab`).
        aws = tmp_path / "aws-credentials"
        aws.write_text(f"[lab]\naws_access_key_id = {server.keys[0]}\n"
                       f"aws_secret_access_key = {server.keys[1]}\n")
        (repo.path / ".dvc" / "config.local").write_text(
            "['remote \"storage\"']\n    profile = lab\n")
        assert pushed(repo, "--no-cache",
                      env={"AWS_SHARED_CREDENTIALS_FILE": str(aws)}).returncode == 0
    finally:
        server.stop()


def test_a_bucket_that_does_not_exist(tmp_path: Path, s3: S3Server,
                                      pushed_registry: Template) -> None:
    repo, _ = from_template(pushed_registry, tmp_path / "registry", s3, pushed=False)
    local_config(repo, "storage", url="s3://no-such-bucket-here/store")
    proc = pushed(repo)
    assert proc.returncode == 3
    assert "bucket 'no-such-bucket-here' does not exist" in proc.stderr


def test_no_default_remote_is_a_configuration_error(tmp_path: Path, s3: S3Server,
                                                    pushed_registry: Template) -> None:
    repo, _ = from_template(pushed_registry, tmp_path / "registry", s3, pushed=False)
    (repo.path / ".dvc" / "config").write_text("")
    (repo.path / ".dvc" / "config.local").unlink()
    proc = pushed(repo)
    assert proc.returncode == 2
    assert "no default remote" in proc.stderr and "dvc remote add -d" in proc.stderr


def test_half_a_key_pair_is_a_clear_could_not_check(tmp_path: Path, s3: S3Server,
                                                    pushed_registry: Template) -> None:
    """Only the secret in .dvc/config.local (the id forgotten): botocore refuses to build a
    client; the gate says which remote and what to fix, exit 3, the secret unprinted."""
    repo, _ = from_template(pushed_registry, tmp_path / "registry", s3)
    (repo.path / ".dvc" / "config.local").unlink(missing_ok=True)
    secret = "half-of-a-key-pair-never-printed-0001"
    local_config(repo, "storage", secret_access_key=secret)
    proc = pushed(repo, "--no-cache")
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "remote 'storage' (s3://" in proc.stderr
    assert "incomplete credentials" in proc.stderr and "access_key_id" in proc.stderr
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr
    assert secret not in proc.stdout + proc.stderr


def test_dvc_subprojects_are_refused_not_checked_against_the_roots_remote(
        tmp_path: Path) -> None:
    """A root project and a `dvc init --subdir` one: the subproject's outputs go to its own
    remote, which dvc-pushed does not read; judging them by the root's would be a guess."""
    repo = GitRepo.init(tmp_path / "mono", "-b", "main")
    dvc(repo.path, "init", "-q")
    dvc(repo.path, "remote", "add", "-d", "-q", "root", str(tmp_path / "root-store"))
    (repo.path / "proj a").mkdir()
    dvc(repo.path / "proj a", "init", "--subdir", "-q")
    repo.write("proj a/data.csv", "x\n1\n")
    dvc(repo.path / "proj a", "add", "-q", "data.csv")
    repo.git("add", "-A")
    repo.commit("a subproject beside the root project")
    proc = subprocess.run([sys.executable, "-m", "dataward", "check", "dvc-pushed", "--rev",
                           "HEAD"], cwd=repo.path, capture_output=True, text=True, check=False)
    assert proc.returncode == 2, proc.stderr
    assert "proj a: DVC subprojects (`dvc init --subdir`), whose remotes dvc-pushed does not " \
           "read yet" in proc.stderr
