"""The real pre-commit framework, with this repository as the hook repository."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.harness.repo import GitRepo, blob

CHECKOUT = Path(__file__).resolve().parent.parent


def try_repo(repo: GitRepo, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["pre-commit", "try-repo", str(CHECKOUT), "no-large-binaries", "--color", "never",
         *args],
        cwd=repo.path, capture_output=True, text=True, timeout=600,
    )


def test_try_repo_refuses_a_large_file_at_commit_and_push(repo: GitRepo, offline_pip) -> None:
    repo.write("README.md", "hi\n")
    repo.add("README.md")
    base = repo.commit("base")
    repo.write("model.pt", blob(2 * 1024 * 1024))
    repo.add("model.pt")

    commit_stage = try_repo(repo)
    assert commit_stage.returncode == 1, commit_stage.stdout + commit_stage.stderr
    assert "no large binaries in git" in commit_stage.stdout
    assert "Failed" in commit_stage.stdout
    assert "model.pt is 2.0 MB, over the 500 KB limit" in commit_stage.stdout
    assert "git rm --cached model.pt && dvc add model.pt" in commit_stage.stdout

    tip = repo.commit("model, committed with --no-verify")
    push_stage = try_repo(repo, "--hook-stage", "pre-push", "--from-ref", base, "--to-ref", tip)
    assert push_stage.returncode == 1
    assert f"added in {tip[:12]}" in push_stage.stdout

    repo.git("rm", "-q", "--cached", "model.pt")
    repo.write("train.py", "print('train')\n")
    repo.add("train.py")
    assert try_repo(repo).returncode == 0


def test_try_repo_runs_the_dvc_hooks(repo: GitRepo, offline_pip) -> None:
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    repo.write(".dvc/config", "[core]\n    remote = s3\n['remote \"s3\"']\n"
                              f"    url = s3://lab-data\n    secret_access_key = {secret}\n")
    repo.write(".gitignore", "/dog_and_cat\n")
    repo.write("dog_and_cat.dvc", "outs:\n- md5: 8d52124b2a7c1d5e9f0a1b2c3d4e5f6.dir\n"
                                  "  size: 100\n  nfiles: 2\n  path: dog_and_cat\n")
    repo.add(".dvc/config", ".gitignore", "dog_and_cat.dvc")
    run = subprocess.run(["pre-commit", "try-repo", str(CHECKOUT), "--color", "never"],
                         cwd=repo.path, capture_output=True, text=True, timeout=600)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "sound .dvc files" in run.stdout and "no credentials in .dvc/config" in run.stdout
    assert "dog_and_cat.dvc:2: [dvc-files] `outs[0].md5` is not an md5" in run.stdout
    assert ".dvc/config:5: [dvc-config] [remote \"s3\"] holds `secret_access_key`" in run.stdout
    assert secret not in run.stdout + run.stderr
