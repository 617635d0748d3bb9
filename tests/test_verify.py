"""`dataward verify PATH --dataset NAME`: a job checks, before it starts, that the folder it
reads holds exactly the dataset version its experiment claims, against a registry checkout
(real git and DVC) or a published catalog.json alone, and writes a lineage record."""

from __future__ import annotations

import base64
import functools
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from tests.conftest import BIN, _hermetic
from tests.harness.dvcrun import dvc
from tests.harness.repo import GitRepo
from tests.test_drift import put

V1 = {"cat/0.jpg": b"\xff\xd8cat0", "cat/1.jpg": b"\xff\xd8cat1", "notes.txt": b"two cats\r\n"}
V2 = {**V1, "dog/0.jpg": b"\xff\xd8dog0"}


class Registry(NamedTuple):
    path: Path
    commits: list[str]
    md5s: list[str]  # each version's `.dir` md5


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    with pytest.MonkeyPatch.context() as mp:
        _hermetic(tmp_path_factory.mktemp("verify-home"), mp)
        path = tmp_path_factory.mktemp("verify") / "registry"
        repo = GitRepo.init(path)
        dvc(path, "init", "-q")
        commits, md5s = [], []
        for files in (V1, V2):
            shutil.rmtree(path / "pets", ignore_errors=True)
            put(path / "pets", files)
            dvc(path, "add", "-q", "pets")
            repo.git("add", "-A")
            commits.append(repo.commit(f"pets, {len(files)} files"))
            md5s.append(next(line.split()[-1] for line in
                             (path / "pets.dvc").read_text().splitlines() if "md5:" in line))
        return Registry(path, commits, md5s)


def verify(registry: Registry, folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([f"{BIN}/dataward", "verify", str(folder), "--dataset", "pets",
                           "--registry", str(registry.path), "--no-state", *args],
                          capture_output=True, text=True, timeout=120, check=False)


def record(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def test_the_current_version_is_verified_and_recorded(registry: Registry,
                                                      tmp_path: Path) -> None:
    put(tmp_path / "mnt", V2)
    got = verify(registry, tmp_path / "mnt", "--json", str(tmp_path / "lineage.json"))
    assert got.returncode == 0, got.stdout + got.stderr
    assert "pets version 2: verified, holds version 2" in got.stdout
    lineage = record(tmp_path / "lineage.json")
    assert {k: lineage[k] for k in ("schema", "dataset", "version", "md5", "verdict",
                                    "held_version", "actual_md5", "version_commit",
                                    "path")} == {
        "schema": "dataward-lineage/1", "dataset": "pets", "version": 2,
        "md5": registry.md5s[1], "verdict": "ok", "held_version": 2,
        "actual_md5": registry.md5s[1], "version_commit": registry.commits[1],
        "path": str(tmp_path / "mnt")}
    assert lineage["registry_commit"] == registry.commits[1]


def test_an_old_copy_refuses_the_job_and_an_older_version_asked_for_passes(
        registry: Registry, tmp_path: Path) -> None:
    put(tmp_path / "mnt", V1)
    behind = verify(registry, tmp_path / "mnt", "--json", str(tmp_path / "l.json"))
    assert behind.returncode == 1
    assert "pets version 2: NOT verified, behind: holds version 1 of 2" in behind.stdout
    assert record(tmp_path / "l.json")["verdict"] == "behind"
    assert record(tmp_path / "l.json")["held_version"] == 1
    assert verify(registry, tmp_path / "mnt", "--version", "1").returncode == 0
    put(tmp_path / "new", V2)
    ahead = verify(registry, tmp_path / "new", "--version", "1")
    assert ahead.returncode == 1
    assert "holds version 2" in ahead.stdout and "newer than version 1" in ahead.stdout


def test_a_changed_file_is_named(registry: Registry, tmp_path: Path) -> None:
    put(tmp_path / "mnt", {**V2, "cat/1.jpg": b"\xff\xd8retouched"})
    got = verify(registry, tmp_path / "mnt")
    assert got.returncode == 1
    assert "modified" in got.stdout and "cat/1.jpg" in got.stdout  # the registry's cache
    (tmp_path / "mnt" / "cat" / "1.jpg").write_bytes(V2["cat/1.jpg"])
    (tmp_path / "mnt" / "cat" / "0.jpg").unlink()  # an interrupted copy
    partial = verify(registry, tmp_path / "mnt")
    assert partial.returncode == 1
    assert "partial: 1 file of version 2 missing (cat/0.jpg)" in partial.stdout
    missing = verify(registry, tmp_path / "nothing-here")
    assert missing.returncode == 1 and "NOT verified, missing" in missing.stdout


def test_a_published_catalog_alone_is_enough(registry: Registry, tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.json"
    built = subprocess.run([f"{BIN}/dataward", "catalog", "build", "-o", str(catalog)],
                           cwd=registry.path, capture_output=True, text=True, check=False)
    assert built.returncode == 0, built.stderr
    put(tmp_path / "mnt", V1)
    env = {**os.environ, "PATH": "/usr/bin:/bin"}  # no dvc on the PATH
    got = subprocess.run([f"{BIN}/dataward", "verify", str(tmp_path / "mnt"), "--dataset",
                          "pets", "--catalog", str(catalog), "--version", "1", "--no-state"],
                         capture_output=True, text=True, env=env, check=False)
    assert got.returncode == 0, got.stdout + got.stderr
    assert "verified, holds version 1" in got.stdout


def test_a_wrong_name_or_version_is_a_usage_error(registry: Registry, tmp_path: Path) -> None:
    put(tmp_path / "mnt", V2)
    typo = subprocess.run([f"{BIN}/dataward", "verify", str(tmp_path / "mnt"), "--dataset",
                           "pet", "--registry", str(registry.path), "--no-state"],
                          capture_output=True, text=True, check=False)
    assert typo.returncode == 2 and "did you mean pets?" in typo.stderr
    nine = verify(registry, tmp_path / "mnt", "--version", "9")
    assert nine.returncode == 2 and "pets has versions 1 to 2" in nine.stderr
    for proc in (typo, nine):
        assert "Traceback" not in proc.stderr


@pytest.fixture
def web(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A web server on 127.0.0.1 serving a folder (a lab's GitHub Pages stand-in)."""
    site = tmp_path / "site"
    site.mkdir()
    handler = functools.partial(QuietHandler, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", site
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class QuietHandler(SimpleHTTPRequestHandler):
    """Files as they are; under /private/ only with HTTP Basic reader:S3CRET."""

    def do_GET(self) -> None:
        want = "Basic " + base64.b64encode(b"reader:S3CRET").decode()
        if self.path.startswith("/private/") and self.headers.get("Authorization") != want:
            self.send_error(401)
            return
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_a_catalog_published_on_the_web_is_read_from_its_url(
        registry: Registry, tmp_path: Path, web: tuple[str, Path]) -> None:
    url, site = web
    built = subprocess.run([f"{BIN}/dataward", "catalog", "build", "-o",
                            str(site / "catalog.json")], cwd=registry.path,
                           capture_output=True, text=True, check=False)
    assert built.returncode == 0, built.stderr
    put(tmp_path / "mnt", V2)
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}

    def run(catalog: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([f"{BIN}/dataward", "verify", str(tmp_path / "mnt"),
                               "--dataset", "pets", "--catalog", catalog, "--no-state"],
                              capture_output=True, text=True, env=env, timeout=120,
                              check=False)

    good = run(f"{url}/catalog.json")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "verified, holds version 2" in good.stdout
    gone = run(f"http://reader:S3CRET@127.0.0.1:{url.rsplit(':', 1)[1]}/nope.json")
    assert gone.returncode == 3, gone.stdout + gone.stderr
    assert "HTTP 404" in gone.stderr and "S3CRET" not in gone.stdout + gone.stderr
    assert "http://***@127.0.0.1" in gone.stderr
    (site / "private").mkdir()
    shutil.copy(site / "catalog.json", site / "private" / "catalog.json")
    port = url.rsplit(":", 1)[1]
    private = run(f"http://reader:S3CRET@127.0.0.1:{port}/private/catalog.json")
    assert private.returncode == 0, private.stdout + private.stderr
    refused = run(f"{url}/private/catalog.json")
    assert refused.returncode == 3 and "HTTP 401" in refused.stderr
    (site / "page.json").write_text("<html>a login page</html>")
    portal = run(f"{url}/page.json")
    assert portal.returncode == 2 and "is not a dataward catalog" in portal.stderr
