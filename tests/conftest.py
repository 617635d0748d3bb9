"""Real git repositories in tmp_path, with git's global and system config shut out."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.harness.dvcremote import Template, build_template
from tests.harness.repo import GitRepo
from tests.harness.s3server import S3Server

if TYPE_CHECKING:
    from tests.harness.browser import Chromium
    from tests.harness.ghstandin import LocalGitHub

BIN = str(Path(sys.executable).parent)


_HYPOTHESIS_HOME: str | None = None


def pytest_configure(config: pytest.Config) -> None:
    """Hypothesis keeps its examples and constants in a temporary folder, not the checkout
    (set before collection: it caches constants as it imports test modules)."""
    import tempfile

    from hypothesis.configuration import set_hypothesis_home_dir

    global _HYPOTHESIS_HOME
    _HYPOTHESIS_HOME = tempfile.mkdtemp(prefix="dataward-hypothesis-")
    set_hypothesis_home_dir(_HYPOTHESIS_HOME)


def pytest_unconfigure(config: pytest.Config) -> None:
    import shutil

    if _HYPOTHESIS_HOME:
        shutil.rmtree(_HYPOTHESIS_HOME, ignore_errors=True)


@pytest.fixture(autouse=True)
def hermetic_git(tmp_path_factory: pytest.TempPathFactory,
                 monkeypatch: pytest.MonkeyPatch) -> None:
    _hermetic(tmp_path_factory.mktemp("home"), monkeypatch)


def _hermetic(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """git, pre-commit and DVC see only this HOME: no user's config reaches a test."""
    gitconfig = home / ".gitconfig"
    gitconfig.write_text(
        "[user]\n\tname = Lab Member\n\temail = member@lab.example\n"
        "[init]\n\tdefaultBranch = main\n[protocol \"file\"]\n\tallow = always\n"
    )
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("PATH", BIN + os.pathsep + os.environ["PATH"])
    monkeypatch.setenv("PRE_COMMIT_HOME", str(home / "pre-commit-cache"))
    monkeypatch.setenv("DVC_NO_ANALYTICS", "1")
    monkeypatch.setenv("DVC_SITE_CACHE_DIR", str(home / "dvc-site-cache"))
    for var in [v for v in os.environ if v.startswith(("PRE_COMMIT_", "GIT_DIR", "GIT_WORK",
                                                          "AWS_"))]:
        if var != "PRE_COMMIT_HOME":
            monkeypatch.delenv(var)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[GitRepo]:
    r = GitRepo.init(tmp_path / "repo")
    monkeypatch.chdir(r.path)
    yield r


@pytest.fixture
def offline_pip(monkeypatch: pytest.MonkeyPatch) -> None:
    """pre-commit pip-installs a hook repository: from the local wheelhouse `make test`
    fills, with no network."""
    wheelhouse = os.environ.get("DATAWARD_WHEELHOUSE") or str(
        Path(__file__).resolve().parent.parent / ".venv" / "wheelhouse")
    if not Path(wheelhouse).is_dir():
        pytest.fail(f"no wheelhouse at {wheelhouse}: run the tests through `make test`")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", wheelhouse)


@pytest.fixture
def git_lfs() -> None:
    if subprocess.run(["git", "lfs", "version"], capture_output=True).returncode != 0:
        pytest.fail("git-lfs is required for this test; `make test` installs it")


# The local GitHub's repository and tokens: one that may write, and the read-only kind a pull
# request from a fork gets.
GITHUB_REPO = "lab/registry"
GITHUB_TOKEN = "ghs_rw_0123456789abcdefghijklmnopqrstuv"
GITHUB_READ_ONLY = "ghs_ro_0123456789abcdefghijklmnopqrstuv"


@pytest.fixture
def github() -> Iterator[LocalGitHub]:
    """A local GitHub with GITHUB_REPO; at the end, every request and answer must have matched
    GitHub's OpenAPI description."""
    from tests.harness.ghstandin import LocalGitHub

    with LocalGitHub() as server:
        server.add_token(GITHUB_TOKEN, write=True)
        server.add_token(GITHUB_READ_ONLY, write=False)
        server.add_repo(GITHUB_REPO)
        yield server
        server.check()


@pytest.fixture(scope="session")
def s3() -> Iterator[S3Server]:
    """moto's S3 server on loopback, one per test worker; tests make their own buckets."""
    server = S3Server().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pushed_registry(s3: S3Server, tmp_path_factory: pytest.TempPathFactory) -> Template:
    """A registry with dog_and_cat, added and pushed by real DVC once per test worker; tests
    take copies (`from_template`), each with its own bucket."""
    with pytest.MonkeyPatch.context() as mp:
        _hermetic(tmp_path_factory.mktemp("template-home"), mp)
        return build_template(tmp_path_factory.mktemp("template") / "registry", s3)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chromium]:
    """Headless Chromium, one per test module (the catalog page and the drift dashboard)."""
    from tests.harness.browser import INSTALL_HINT, Chromium, find_chromium

    if find_chromium() is None:
        pytest.fail(INSTALL_HINT, pytrace=False)
    with Chromium(tmp_path_factory.mktemp("chromium")) as chromium:
        yield chromium
