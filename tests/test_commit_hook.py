"""The `dataward` pre-commit hook id: the four commit checks in one process. It must find
exactly what the four hook ids find, each check on the files its own hook would be given."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import tomllib
import yaml

from dataward.adopt.precommit_config import COMMIT_CHECKS
from dataward.stages import COMMIT, STAGES
from tests.harness.repo import GitRepo, blob

CHECKOUT = Path(__file__).resolve().parent.parent
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
STATUS = re.compile(r"\.{3,}(Passed|Failed|Skipped|\(no files to check\)Skipped)$")


def _a_problem_for_each_check(repo: GitRepo) -> list[str]:
    """A registry commit where each of the four checks has something to say; the staged
    files, as pre-commit would pass them."""
    repo.write("dataward.toml", 'repository = "registry"\n')
    repo.write("README.md", "hi\n")
    repo.add("dataward.toml", "README.md")
    repo.commit("base")
    staged = {
        "model.pt": blob(2 * 1024 * 1024),  # no-large-binaries
        ".dvc/config": "[core]\n    remote = s3\n['remote \"s3\"']\n    url = s3://lab-data\n"
                       f"    secret_access_key = {SECRET}\n",  # dvc-config
        ".gitignore": "/dog_and_cat\n/pets\n",
        "dog_and_cat.dvc": "outs:\n- md5: 8d52124b2a7c1d5e9f0a1b2c3d4e5f6.dir\n"
                           "  size: 100\n  nfiles: 2\n  path: dog_and_cat\n",  # dvc-files
        "pets.dvc": "outs:\n- md5: 8d52124b2a7c1d5e9f0a1b2c3d4e5f60.dir\n  size: 100\n"
                    "  nfiles: 2\n  hash: md5\n  path: pets\n",  # dataset-cards: no card
        "notes.md": "# notes\n",  # an .md that is no card
    }
    for name, content in staged.items():
        repo.write(name, content)
    repo.add(*staged)
    return sorted(staged)


def _sections(stdout: str) -> dict[str, list[str]]:
    """pre-commit's output, split by hook id: each hook's own lines."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in stdout.splitlines():
        if STATUS.search(line):
            current = None
        elif line.startswith("- hook id: "):
            current = sections.setdefault(line.removeprefix("- hook id: "), [])
        elif current is not None and line and not line.startswith("- exit code: "):
            current.append(line)
    return sections


def _findings(text: str) -> list[str]:
    return [line for line in text.splitlines() if re.search(r": \[[a-z-]+\] ", line)]


def _run(repo: GitRepo, *files: str, skip: str | None = None,
         fmt: str = "text") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SKIP"}
    if skip is not None:
        env["SKIP"] = skip
    return subprocess.run([sys.executable, "-m", "dataward.stages", "--format", fmt, *files],
                          cwd=repo.path, capture_output=True, text=True, env=env)


def test_the_one_hook_finds_what_the_four_hooks_find(repo: GitRepo, offline_pip) -> None:
    _a_problem_for_each_check(repo)
    run = subprocess.run(["pre-commit", "try-repo", str(CHECKOUT), "--color", "never"],
                         cwd=repo.path, capture_output=True, text=True, timeout=600)
    assert run.returncode == 1, run.stdout + run.stderr
    sections = _sections(run.stdout)
    assert "dataward (no-large-binaries, dvc-files, dvc-config, dataset-cards)" in run.stdout
    together = [line for line in sections["dataward"] if not line.startswith("dataward: ")]
    apart = [line for check in COMMIT for line in sections[check]
             if not line.startswith("dataward: ")]
    assert sorted(together) == sorted(apart)
    for check in COMMIT:  # each check had its say, in the one hook too
        assert any(f": [{check}" in line for line in together), check
    errors = sum(int(line.split()[1]) for check in COMMIT for line in sections[check]
                 if line.startswith("dataward: "))
    assert f"dataward: {errors} errors" in "\n".join(sections["dataward"])
    assert "notes.md" not in run.stdout  # dataset-cards was given it and knows it is no card
    assert SECRET not in run.stdout + run.stderr


def test_skip_leaves_a_check_out_as_pre_commit_does_for_a_hook(repo: GitRepo) -> None:
    staged = _a_problem_for_each_check(repo)
    every = _run(repo, *staged)
    skipped = _run(repo, *staged, skip=" dvc-config ,something-else")
    assert (every.returncode, skipped.returncode) == (1, 1), every.stderr + skipped.stderr
    assert "[dvc-config]" in every.stdout and "[dvc-config]" not in skipped.stdout
    assert [line for line in _findings(every.stdout) if "[dvc-config]" not in line] == \
        _findings(skipped.stdout)


def test_each_check_gets_only_the_files_its_hook_would(repo: GitRepo) -> None:
    """Given only the model, no DVC check runs: their findings on the other staged files
    stay unsaid, as when pre-commit skips hooks with no matching file."""
    _a_problem_for_each_check(repo)
    run = _run(repo, "model.pt")
    assert run.returncode == 1, run.stderr
    checks = set(re.findall(r": \[([a-z-]+)\]", run.stdout))
    assert checks == {"no-large-binaries"}, run.stdout


def test_one_json_document_for_every_check(repo: GitRepo) -> None:
    staged = _a_problem_for_each_check(repo)
    run = _run(repo, *staged, fmt="json")
    assert run.returncode == 1, run.stderr
    doc = json.loads(run.stdout)
    assert {f["check"] for f in doc["findings"]} == set(COMMIT)


def test_a_clean_commit_passes_quietly(repo: GitRepo) -> None:
    repo.write("train.py", "print('train')\n")
    repo.add("train.py")
    run = _run(repo, "train.py")
    assert (run.returncode, run.stdout, run.stderr) == (0, "", "")


def test_outside_a_repository_it_says_so_once(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "dataward.stages", "x.dvc"], cwd=tmp_path,
                         capture_output=True, text=True)
    assert run.returncode == 2, run.stderr
    assert run.stderr.count("is not inside a git working tree") == 1, run.stderr
    assert "Traceback" not in run.stderr


def test_the_manifest_the_console_script_and_init_agree() -> None:
    manifest = {h["id"]: h for h in yaml.safe_load(
        (CHECKOUT / ".pre-commit-hooks.yaml").read_text())}
    hook = manifest["dataward"]
    scripts = tomllib.loads((CHECKOUT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts[hook["entry"]] == "dataward.stages:main"
    assert "files" not in hook and hook.get("pass_filenames", True)  # no-large-binaries: all
    assert hook["stages"] == ["pre-commit", "manual"]
    assert list(COMMIT_CHECKS) == COMMIT == STAGES["pre-commit"]
    assert hook["name"] == f"dataward ({', '.join(COMMIT)})"
    for check in COMMIT:
        assert "pre-commit" in manifest[check]["stages"]


def test_one_check_that_cannot_run_is_in_the_report_with_the_others(repo: GitRepo) -> None:
    """no-large-binaries cannot read a staged blob (its object is gone); dvc-config still
    runs. Every format says both, and the exit code is 3."""
    repo.write("big.bin", blob(600 * 1024, seed=9))
    repo.write(".dvc/config", "[core]\n    remote = s3\n['remote \"s3\"']\n    url = s3://lab\n"
                              f"    secret_access_key = {SECRET}\n")
    repo.add("big.bin", ".dvc/config")
    oid = repo.git("rev-parse", ":big.bin").stdout.strip()
    (repo.path / ".git" / "objects" / oid[:2] / oid[2:]).unlink()
    files = ("big.bin", ".dvc/config")
    text = _run(repo, *files)
    assert text.returncode == 3
    assert "[dvc-config]" in text.stdout and f"object {oid} is not in this clone" in text.stderr
    doc = json.loads(_run(repo, *files, fmt="json").stdout)
    assert {(f["check"], f["rule"]) for f in doc["findings"]} == {
        ("dvc-config", "credential-in-config"), ("no-large-binaries", "could-not-check")}
    sarif = json.loads(_run(repo, *files, fmt="sarif").stdout)
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} >= {"could-not-check",
                                                                  "credential-in-config"}
    summary = _run(repo, *files, fmt="markdown").stdout
    assert "| `no-large-binaries` | 🚫 could not check" in summary
    assert "| `dvc-config` | ❌ 1 error |" in summary and "✅" not in summary
    assert SECRET not in json.dumps(doc) + summary


def test_one_check_that_cannot_run_says_so_in_its_json(repo: GitRepo) -> None:
    """A check of its own (not the `dataward` hook): its JSON and SARIF documents hold the
    could-not-check finding instead of nothing, its summary the failed row."""
    repo.write("big.bin", blob(600 * 1024, seed=12))
    repo.add("big.bin")
    oid = repo.git("rev-parse", ":big.bin").stdout.strip()
    (repo.path / ".git" / "objects" / oid[:2] / oid[2:]).unlink()

    def run(fmt: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "dataward.checks.no_large_binaries",
                               "--format", fmt, "big.bin"], cwd=repo.path, capture_output=True,
                              text=True)

    doc = run("json")
    assert doc.returncode == 3 and "is not in this clone" in doc.stderr
    (finding,) = json.loads(doc.stdout)["findings"]
    assert (finding["path"], finding["check"], finding["rule"]) == (
        ".", "no-large-binaries", "could-not-check")
    assert finding["message"].startswith(f"object {oid} is not in this clone")
    sarif = json.loads(run("sarif").stdout)
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["could-not-check"]
    assert "| `no-large-binaries` | 🚫 could not check" in run("markdown").stdout
    assert run("text").stdout == ""


def test_a_policy_it_cannot_read_is_said_once_for_all_four(repo: GitRepo) -> None:
    repo.write("dataward.toml", "[no-large-binaries]\nmax-kb = 'big'\n")
    repo.write("a.txt", "hi\n")
    repo.add("dataward.toml", "a.txt")
    run = _run(repo, "dataward.toml", "a.txt")  # no-large-binaries and dvc-config run
    assert run.returncode == 2, run.stderr
    assert run.stderr == (
        "dataward: invalid policy\n"
        "    dataward.toml:2: no-large-binaries.max-kb: Input should be a valid integer "
        "(got 'big')\n    fix the value (docs/configuration.md lists every key)\n")
    assert run.stdout == ""


def test_the_plain_hook_judges_the_staged_files_from_a_subfolder(repo: GitRepo) -> None:
    """git runs hooks at the root; run by hand from a subfolder, the plain hook must judge
    the same staged files, not none of them."""
    repo.write("sub/notes.txt", "hi\n")
    repo.write("model.bin", blob(2 * 1024 * 1024, seed=10))
    repo.add("sub/notes.txt", "model.bin")
    for where in (repo.path, repo.path / "sub"):
        run = subprocess.run([sys.executable, "-m", "dataward", "hook", "pre-commit"],
                             cwd=where, capture_output=True, text=True)
        assert run.returncode == 1, (where, run.stdout, run.stderr)
        assert "model.bin: [no-large-binaries] model.bin is 2.0 MB" in run.stdout


def test_the_plain_hook_outside_a_repository_says_so(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "dataward", "hook", "pre-commit"],
                         cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 2, run.stderr
    assert "is not inside a git working tree" in run.stderr and "Traceback" not in run.stderr
