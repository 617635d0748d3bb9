"""dvc-pushed against remotes that lie (issue 18): nothing but the remote's own protocol proves
an object is there, and whatever it could not prove is never a pass and never remembered.

Real servers only: moto's S3 server, and plain HTTP servers on 127.0.0.1 (free ports, stopped
by the tests): one that answers 200 with an HTML page to everything (a captive portal, a
proxy's error page, a mistyped endpoint), one that serves a folder as an HTTP DVC remote.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import string
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.harness.dvcremote import (
    Template,
    dir_md5,
    findings,
    from_template,
    local_config,
    new_bucket,
    object_key,
    pushed,
    registry,
)
from tests.harness.repo import GitRepo
from tests.harness.s3server import FaultProxy, S3Server, WebServer, free_port

FORMATS = ("text", "json", "sarif", "github", "markdown")
NOT_S3 = "does not answer as S3 does"
NOT_REMOTE = "does not answer as a DVC remote does"


@pytest.fixture
def liar() -> Iterator[WebServer]:
    with WebServer("lie") as server:
        yield server


def _no_crash(proc: subprocess.CompletedProcess[str]) -> str:
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out and "internal error" not in out, out
    return out


def http_remote(repo: GitRepo, url: str) -> None:
    """The registry's default remote becomes the HTTP remote at `url` (and only that)."""
    (repo.path / ".dvc" / "config").write_text(
        f"[core]\n    remote = web\n['remote \"web\"']\n    url = {url}\n")
    (repo.path / ".dvc" / "config.local").unlink(missing_ok=True)


def served_cache(repo: GitRepo, dest: Path) -> Path:
    """A folder laid out as an HTTP remote holding every object of the repository's cache
    (`dvc push` to HTTP needs an upload endpoint; a remote is only its files)."""
    shutil.copytree(repo.path / ".dvc" / "cache" / "files", dest / "store" / "files")
    return dest


# -- a remote that answers 200 to everything -------------------------------------------------

def test_an_s3_endpoint_that_answers_200_to_everything(
        tmp_path: Path, s3: S3Server, pushed_registry: Template, liar: WebServer) -> None:
    repo, _ = from_template(pushed_registry, tmp_path / "registry", s3, pushed=False,
                            endpoint=liar.url)
    for args in (["--no-cache"], ["--rev", "HEAD", "--format", "json"]):
        proc = pushed(repo, *args)
        assert proc.returncode == 3, _no_crash(proc)
        assert NOT_S3 in proc.stderr and "endpointurl" in proc.stderr
        assert liar.url.removeprefix("http://") not in proc.stdout  # no finding claims data
    # A CI runner with no DVC cache reads the manifests from the remote: the same answer.
    shutil.rmtree(repo.path / ".dvc" / "cache")
    proc = pushed(repo, "--no-cache")
    assert proc.returncode == 3 and NOT_S3 in _no_crash(proc)
    assert liar.requests > 0


def test_an_http_remote_that_answers_200_to_everything(
        tmp_path: Path, s3: S3Server, pushed_registry: Template, liar: WebServer) -> None:
    repo, _ = from_template(pushed_registry, tmp_path / "registry", s3, pushed=False)
    http_remote(repo, f"{liar.url}/store")
    proc = pushed(repo)
    assert proc.returncode == 3, _no_crash(proc)
    assert NOT_REMOTE in proc.stderr and "dvc remote modify web url" in proc.stderr
    shutil.rmtree(repo.path / ".dvc" / "cache")
    proc = pushed(repo, "--no-cache")
    assert proc.returncode == 3 and NOT_REMOTE in _no_crash(proc)


def test_a_remembered_presence_is_not_trusted_at_another_endpoint(
        tmp_path: Path, s3: S3Server, pushed_registry: Template, liar: WebServer) -> None:
    """The presence cache is keyed by every source of the endpoint: AWS_ENDPOINT_URL(_S3)
    and the remote's endpointurl in .dvc/config and config.local."""
    repo, bucket = from_template(pushed_registry, tmp_path / "registry", s3)
    # The endpoint from the environment only, as on a runner with AWS_ENDPOINT_URL set.
    (repo.path / ".dvc" / "config").write_text(
        f"[core]\n    remote = storage\n['remote \"storage\"']\n    url = s3://{bucket}/store\n")
    (repo.path / ".dvc" / "config.local").unlink()
    local_config(repo, "storage", access_key_id=s3.keys[0], secret_access_key=s3.keys[1])
    for var in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        assert pushed(repo, "-v", env={var: s3.endpoint}).returncode == 0
        again = pushed(repo, "-v", env={var: s3.endpoint})
        assert again.returncode == 0 and "in 0 requests" in again.stderr  # remembered
        moved = pushed(repo, "-v", env={var: liar.url})
        assert moved.returncode == 3, _no_crash(moved)
        assert NOT_S3 in moved.stderr
    # The same through the remote's endpointurl, in config.local or in .dvc/config.
    assert pushed(repo, env={"AWS_ENDPOINT_URL": s3.endpoint}).returncode == 0
    local_config(repo, "storage", endpointurl=liar.url)
    proc = pushed(repo, env={"AWS_ENDPOINT_URL": s3.endpoint})
    assert proc.returncode == 3 and NOT_S3 in _no_crash(proc)
    config = repo.path / ".dvc" / "config"
    local_config(repo, "storage", endpointurl=s3.endpoint)
    assert pushed(repo).returncode == 0
    (repo.path / ".dvc" / "config.local").write_text(
        (repo.path / ".dvc" / "config.local").read_text().replace(
            f"endpointurl = {s3.endpoint}", ""))
    config.write_text(config.read_text() + f"    endpointurl = {liar.url}\n")
    proc = pushed(repo)
    assert proc.returncode == 3 and NOT_S3 in _no_crash(proc)


# -- an HTTP remote: present, missing, unreachable --------------------------------------------

def test_an_http_remote_is_checked_and_unreachable_is_exit_3(
        tmp_path: Path, s3: S3Server, pushed_registry: Template) -> None:
    repo, _ = from_template(pushed_registry, tmp_path / "registry", s3, pushed=False)
    folder = served_cache(repo, tmp_path / "www")
    with WebServer("files", str(folder)) as web:
        http_remote(repo, f"{web.url}/store")
        assert pushed(repo, "--no-cache").returncode == 0
        md5 = dir_md5(repo, "dog_and_cat")
        (folder / object_key(md5)).unlink()
        proc = pushed(repo, "--no-cache")
        assert proc.returncode == 1, _no_crash(proc)
        assert "dog_and_cat: 1 of 8 objects are not in remote 'web'" in proc.stdout
    port = web.port  # stopped: nothing listens there now
    for url, reason in ((f"http://127.0.0.1:{port}/store", "cannot reach remote 'web'"),
                        ("http://no-such-host.invalid/store", "cannot reach remote 'web'")):
        http_remote(repo, url)
        proc = pushed(repo, "--no-cache")
        assert proc.returncode == 3, _no_crash(proc)
        assert reason in proc.stderr and "not in remote" not in proc.stdout + proc.stderr
        assert "dvc push" not in proc.stdout + proc.stderr
    silent = FaultProxy(free_port())
    silent.mode = "slow"
    silent.start()
    try:
        http_remote(repo, f"{silent.endpoint}/store")
        proc = pushed(repo, "--no-cache", "--timeout", "3")
        assert proc.returncode == 3, _no_crash(proc)
        assert "did not answer" in proc.stderr and "not in remote" not in proc.stdout
    finally:
        silent.stop()


# -- manifests that are not manifests -----------------------------------------------------------

def test_a_dir_object_that_is_a_web_page_is_not_a_manifest(
        tmp_path: Path, s3: S3Server, pushed_registry: Template) -> None:
    """On a runner with no DVC cache: the `.dir` in the remote was overwritten by an HTML page
    (bytes that do not hash to its key). Not pullable, exit 1, and the hint repairs it."""
    repo, bucket = from_template(pushed_registry, tmp_path / "registry", s3)
    md5 = dir_md5(repo, "dog_and_cat")
    s3.client().put_object(Bucket=bucket, Key=object_key(md5), Body=WebServer.PAGE)
    runner = GitRepo(tmp_path / "runner")
    repo.git("clone", "-q", str(repo.path), str(runner.path))
    shutil.copy(repo.path / ".dvc" / "config.local", runner.path / ".dvc" / "config.local")
    for _ in range(2):  # and nothing unproven was remembered by the first run
        proc = pushed(runner, "--rev", "HEAD", "--format", "json")
        assert proc.returncode == 1, _no_crash(proc)
        (finding,) = findings(proc)
        assert finding["path"] == "dog_and_cat.dvc"
        assert "dog_and_cat/ (the .dir manifest) is not what dog_and_cat.dvc records" in \
            str(finding["message"])
        assert f"do not hash to {md5.removesuffix('.dir')}" in str(finding["message"])
        assert "dvc-pushed --push --rev HEAD" in str(finding["hint"])
    # The hint works: on the machine that has the data, the good manifest replaces the page.
    fixed = pushed(repo, "--push", "--rev", "HEAD")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert pushed(runner, "--rev", "HEAD").returncode == 0


def _entries(paths: list[str]) -> bytes:
    return json.dumps([{"md5": hashlib.md5(p.encode()).hexdigest(), "relpath": p}
                       for p in paths], sort_keys=True).encode()


GOOD = _entries(["a.jpg", "b/c.jpg", "d.jpg"])
NOT_MANIFESTS = st.one_of(
    st.binary(max_size=300),
    st.just(WebServer.PAGE),
    st.integers(1, len(GOOD) - 1).map(lambda n: GOOD[:n]),  # truncated JSON
    st.just(b"[]"),  # no files, where the .dvc file says 3
    st.integers(1, 100_000).map(lambda n: b"[" * n + b"]" * n),  # nested too deep
    st.just(b"[" * 100_000),
    st.lists(st.sampled_from(["../x.jpg", "/etc/passwd", "a/../../x", "C:\\x", "a//b", "./a",
                              "a\\..\\..\\x", "", "ok.jpg", "x\0y"]), min_size=3, max_size=3)
    .map(lambda ps: _entries(ps)),
    st.just(json.dumps([{"md5": "z" * 32, "relpath": "a"}] * 3).encode()),
    st.just(json.dumps({"md5": "0" * 32, "relpath": "a"}).encode()),
)


@pytest.fixture
def ci_runner(tmp_path: Path, s3: S3Server) -> tuple[GitRepo, str]:
    """A registry with no DVC cache (a CI runner's checkout) and its own bucket."""
    bucket = new_bucket(s3)
    return registry(tmp_path / "runner", s3, bucket), bucket


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow, HealthCheck.data_too_large])
@given(content=NOT_MANIFESTS)
@example(content=b"[" * 100_000 + b"]" * 100_000)
@example(content=b"[]")
@example(content=WebServer.PAGE)
@example(content=_entries(["ok.jpg", "../../outside.jpg", "b.jpg"]))
def test_dir_objects_that_are_not_manifests_are_not_pullable(
        s3: S3Server, ci_runner: tuple[GitRepo, str], content: bytes) -> None:
    """Bytes that hash to their key (the .dvc file names them) but are not a manifest as DVC
    writes one: garbage, HTML, truncated JSON, `..` or absolute relpaths, JSON nested 100,000
    deep, `[]` for a folder of 3 files. Exit 1 naming the file and the dataset, every time."""
    repo, bucket = ci_runner
    md5 = hashlib.md5(content).hexdigest()
    s3.client().put_object(Bucket=bucket, Key=object_key(md5 + ".dir"), Body=content)
    repo.write("images.dvc", f"outs:\n- md5: {md5}.dir\n  size: 30\n  nfiles: 3\n"
                             "  hash: md5\n  path: images\n")
    repo.git("add", "-A")
    repo.git("commit", "-q", "--allow-empty", "-m", "images")
    for _ in range(2):  # nothing unproven is remembered
        proc = pushed(repo, "--rev", "HEAD", "--format", "json")
        assert proc.returncode == 1, _no_crash(proc)
        (finding,) = findings(proc)
        assert finding["path"] == "images.dvc"
        assert str(finding["message"]).startswith("images: ")
        assert "images/ (the .dir manifest) is not what images.dvc records" in \
            str(finding["message"])
        assert "dvc-pushed --push --rev HEAD" in str(finding["hint"])


# -- no secret in any output -----------------------------------------------------------------

SAFE = string.ascii_letters + string.digits + "-._~!$*+;="


@st.composite
def credentials(draw: st.DrawFn) -> tuple[str, str, str]:
    """(scheme, userinfo, the secret in it): a password (with `@` and `:` as people paste
    them), or a token as the user."""
    secret = "Tk" + draw(st.text(SAFE + "@:", min_size=8, max_size=24))
    user = draw(st.text(SAFE, min_size=1, max_size=8))
    userinfo = draw(st.sampled_from([f"{user}:{secret}", secret]))
    return draw(st.sampled_from(["http", "webdav", "s3-endpoint"])), userinfo, secret


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=credentials())
def test_no_secret_of_a_remote_url_is_ever_printed(
        tmp_path_factory: pytest.TempPathFactory, s3: S3Server, pushed_registry: Template,
        case: tuple[str, str, str]) -> None:
    kind, userinfo, secret = case
    repo, _ = from_template(pushed_registry, tmp_path_factory.mktemp("masked") / "r", s3,
                            pushed=False)
    folder = tmp_path_factory.mktemp("www")
    (folder / "store").mkdir()
    with WebServer("files", str(folder)) as web:  # an empty HTTP remote: findings name it
        host = web.url.removeprefix("http://")
        if kind == "s3-endpoint":  # nothing listens there: the reason names the endpoint
            local_config(repo, "storage", endpointurl=f"http://{userinfo}@127.0.0.1:1")
        else:
            http_remote(repo, f"{kind}://{userinfo}@{host}/store")
        for fmt in FORMATS:
            proc = pushed(repo, "--format", fmt, "--no-cache")
            out = _no_crash(proc)
            assert proc.returncode in (1, 2, 3), out
            assert secret not in out, (fmt, out)
            if kind == "http":
                assert proc.returncode == 1 and "not in remote 'web'" in out
                assert f"http://***@{host}/store" in out
