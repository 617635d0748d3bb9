"""Issue 23: what every commit hook pays, cut without changing what it finds.

The plain git hook skips dvc-config as pre-commit does; the state cache still notices new
code; read_capped resolves each folder's links once, yet refuses exactly what it refused.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataward import __version__
from dataward.adapters.files import OUTSIDE, Refused, read_capped
from dataward.stages import FILES as STAGED_FILES
from tests.harness.repo import GitRepo, blob

CHECKOUT = Path(__file__).resolve().parent.parent
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def plain_hook(repo: GitRepo) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dataward", "hook", "pre-commit"],
                          cwd=repo.path, capture_output=True, text=True)


def test_the_plain_hook_picks_files_as_the_manifest_does() -> None:
    manifest = yaml.safe_load((CHECKOUT / ".pre-commit-hooks.yaml").read_text())
    from dataward.stages import COMMIT, PASS_FILENAMES

    for hook in manifest:
        if hook["id"] in COMMIT:  # nothing else narrows what pre-commit gives them
            assert STAGED_FILES.get(hook["id"]) == hook.get("files"), hook["id"]
            assert PASS_FILENAMES.get(hook["id"], True) == hook.get("pass_filenames", True)
            assert not {"exclude", "types", "types_or", "exclude_types", "always_run"} & set(hook)


@pytest.mark.parametrize(("staged", "runs"), [
    ("notes.txt", False), ("sub/config", False), ("x.dvc.bak", False),
    (".dvc/config", True), ("dataward.toml", True), ("pyproject.toml", True),
    ("sub/.dvc/config", True)])
def test_the_plain_hook_runs_dvc_config_only_when_pre_commit_would(
        repo: GitRepo, staged: str, runs: bool) -> None:
    """A credential committed before (`--no-verify`) is reported when a commit touches a
    DVC config or the policy, and not on a commit that touches neither, as under pre-commit."""
    repo.write(".dvc/config", "[core]\n    remote = s3\n['remote \"s3\"']\n    url = s3://lab\n"
                              f"    secret_access_key = {SECRET}\n")
    repo.add(".dvc/config")
    repo.commit("config with a credential")
    old = (repo.path / staged).read_text() if (repo.path / staged).exists() else ""
    repo.write(staged, old + ("\n" if staged.endswith("config") else "# touched\n"))
    repo.add(staged)
    res = plain_hook(repo)
    said = res.stdout + res.stderr
    assert SECRET not in said
    if runs:
        assert res.returncode == 1, said
        assert "[dvc-config] [remote \"s3\"] holds `secret_access_key`" in said
    else:
        assert (res.returncode, "dvc-config" in said) == (0, False), said


# -- the state cache notices new code ---------------------------------------------------------

PATCH = '''
_parse = parse


def parse(path, raw):  # edited: a laxer limit
    policy = _parse(path, raw)
    return policy._replace(no_large_binaries=policy.no_large_binaries._replace(max_kb=1000))
'''


def _copy_dataward(to: Path) -> Path:
    shutil.copytree(CHECKOUT / "dataward", to / "dataward",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return to / "dataward"


def _hook_with(repo: GitRepo, code: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(code), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, "-c", "from dataward.checks.no_large_binaries "
                           "import main; raise SystemExit(main([]))"], cwd=repo.path, env=env,
                          capture_output=True, text=True)


def _policy_and_blob(repo: GitRepo) -> None:
    repo.write("dataward.toml", "[no-large-binaries]\nmax-kb = 10\n")
    repo.write("a.bin", blob(20 * 1024))
    repo.add("a.bin")


def test_an_edited_module_of_a_checkout_invalidates_the_remembered_policy(
        repo: GitRepo, tmp_path: Path) -> None:
    package = _copy_dataward(tmp_path / "src")
    _policy_and_blob(repo)
    for _ in range(2):  # parsed, then remembered
        res = _hook_with(repo, tmp_path / "src")
        assert res.returncode == 1 and "a.bin is 20.0 KB, over the 10 KB limit" in res.stdout
    with (package / "policy.py").open("a") as fh:
        fh.write(PATCH)
    res = _hook_with(repo, tmp_path / "src")
    assert (res.returncode, res.stdout, res.stderr) == (0, "", "")


def test_a_reinstalled_wheel_invalidates_the_remembered_policy(
        repo: GitRepo, tmp_path: Path) -> None:
    site = tmp_path / "site"
    package = _copy_dataward(site)
    record = site / f"dataward-{__version__}.dist-info" / "RECORD"
    record.parent.mkdir()
    record.write_text("dataward/__init__.py,,\n")
    _policy_and_blob(repo)
    for _ in range(2):
        res = _hook_with(repo, site)
        assert res.returncode == 1 and "a.bin is 20.0 KB, over the 10 KB limit" in res.stdout
    with (package / "policy.py").open("a") as fh:  # what pip does: new files, new RECORD
        fh.write(PATCH)
    record.write_text("dataward/__init__.py,,\ndataward/policy.py,,\n")
    res = _hook_with(repo, site)
    assert (res.returncode, res.stdout, res.stderr) == (0, "", "")


# -- read_capped: a folder's links resolved once per folder, and again when they change ------

KINDS = ("file", "fifo", "file_link_in", "file_link_out", "dangling", "folder_link_in",
         "folder_link_out", "gone")


def _make(root: Path, outside: Path, kind: str) -> None:
    """`root/d/f` as `kind`: what a user (or a pull request) may put at a path."""
    if (root / "d").is_symlink():
        (root / "d").unlink()
    elif (root / "d").exists():
        shutil.rmtree(root / "d")
    if kind == "folder_link_in":
        (root / "d").symlink_to(root / "real")
        return
    if kind == "folder_link_out":
        (root / "d").symlink_to(outside)
        return
    (root / "d").mkdir()
    target = root / "d/f"
    if kind == "file":
        target.write_bytes(b"inside\n")
    elif kind == "fifo":
        os.mkfifo(target)
    elif kind == "file_link_in":
        target.symlink_to(root / "real/f")
    elif kind == "file_link_out":
        target.symlink_to(outside / "f")
    elif kind == "dangling":
        target.symlink_to(outside / "nothing")


EXPECTED: dict[str, object] = {
    "file": b"inside\n", "fifo": "is a FIFO, not a file", "file_link_in": b"inside\n",
    "file_link_out": OUTSIDE, "dangling": None, "folder_link_in": b"inside\n",
    "folder_link_out": OUTSIDE, "gone": None}


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("links")
    root, outside = base / "repo", base / "outside"
    (root / "real").mkdir(parents=True)
    (root / "real/f").write_bytes(b"inside\n")
    outside.mkdir()
    (outside / "f").write_bytes(b"a runner's secret\n")
    return root, outside


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kinds=st.lists(st.sampled_from(KINDS), min_size=1, max_size=8))
def test_each_read_sees_the_links_as_they_are_now(tree: tuple[Path, Path],
                                                  kinds: list[str]) -> None:
    """One process, one path, its folder and file swapped between reads (as between two
    hooks a test runs in one process): every read is judged by what is there now."""
    root, outside = tree
    for kind in kinds:
        _make(root, outside, kind)
        got = read_capped(str(root), "d/f", 1 << 20)
        shown = got.strerror if isinstance(got, Refused) else got
        assert shown == EXPECTED[kind], (kind, got)
        assert not (isinstance(got, bytes) and b"secret" in got)


def test_odd_names_take_the_careful_way(tree: tuple[Path, Path]) -> None:
    root, outside = tree
    _make(root, outside, "file")
    assert read_capped(str(root), "d/../real/f", 100) == b"inside\n"
    assert read_capped(str(root), "./d/f", 100) == b"inside\n"
    refused = read_capped(str(root), "d", 100)
    assert isinstance(refused, Refused) and refused.strerror == "is a folder, not a file"
    (root / "up").symlink_to(root.parent)
    through = read_capped(str(root), "up/outside/f", 100)
    assert isinstance(through, Refused) and through.strerror == OUTSIDE


def test_a_folder_moved_out_and_linked_back_between_runs_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Two runs in one process (a test suite, `dataward hook pre-commit`): a folder moved out
    of the repository keeps its inode, and one linked back in its place must be refused
    again, not served from what the first run resolved."""
    from dataward.checks.dvc_files import main

    repo = GitRepo.init(tmp_path / "repo")
    repo.write(".dvc/config", "")
    repo.write("sub/data.dvc", "outs:\n- md5: 0123456789abcdef0123456789abcdef\n  path: data\n")
    repo.write("sub/.gitignore", "/data\n")
    repo.add(".dvc/config", "sub/data.dvc", "sub/.gitignore")
    monkeypatch.chdir(repo.path)
    assert main(["sub/data.dvc"]) == 0
    moved = tmp_path / "elsewhere"
    (repo.path / "sub").rename(moved)  # the same inode, now outside
    (repo.path / "sub").symlink_to(moved)
    capsys.readouterr()
    code = main(["sub/data.dvc"])
    said = capsys.readouterr()
    assert code != 0
    assert "is a link leading outside the repository; it is not read" in said.out + said.err


def test_a_commit_that_stops_ignoring_config_local_runs_dvc_config(repo: GitRepo) -> None:
    """Whether `.dvc/config.local` is ignored is dvc-config's verdict: a commit that changes
    only an ignore file must run it."""
    repo.write(".dvc/config", "[core]\n    remote = s\n['remote \"s\"']\n    url = s3://b/x\n")
    repo.write(".dvc/.gitignore", "/config.local\n/tmp\n/cache\n")
    repo.write(".dvc/config.local", f"['remote \"s\"']\n    secret_access_key = {SECRET}\n")
    repo.add(".dvc/config", ".dvc/.gitignore")
    repo.commit("init")
    repo.write(".dvc/.gitignore", "/tmp\n/cache\n")
    repo.add(".dvc/.gitignore")
    res = plain_hook(repo)
    said = res.stdout + res.stderr
    assert res.returncode == 1, said
    assert ".dvc/config.local: [dvc-config] is not ignored by git" in said
    assert SECRET not in said
