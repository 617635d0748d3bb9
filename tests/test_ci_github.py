"""`dataward ci check` and `dataward ci verify-pushed` as the actions run them: a real registry
(git, DVC), a pull request, the environment GitHub Actions gives a step, and the local GitHub
receiving the check run, annotations, the sticky comment and the commit status."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.conftest import BIN, GITHUB_READ_ONLY, GITHUB_REPO, GITHUB_TOKEN, _hermetic
from tests.harness.dvcremote import DOGS, Template, add_dataset, delete, dir_md5, from_template
from tests.harness.dvcrun import dvc
from tests.harness.ghstandin import LocalGitHub
from tests.harness.repo import GitRepo, blob
from tests.harness.s3server import S3Server
from tests.test_dataset_cards_registry import card

REPO, TOKEN, READ_ONLY = GITHUB_REPO, GITHUB_TOKEN, GITHUB_READ_ONLY
MARKER = "<!-- dataward:pull-request-check:dataward -->"


class PullRequest(NamedTuple):
    repo: GitRepo
    base: str
    head: str


@pytest.fixture(scope="module")
def pr_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """main: dog_and_cat with its card. The pull request's branch: a 2 MB model.pt committed
    to git, and a dataset fish added with `dvc add` but no card."""
    with pytest.MonkeyPatch.context() as mp:
        _hermetic(tmp_path_factory.mktemp("ci-home"), mp)
        path = tmp_path_factory.mktemp("ci") / "registry"
        repo = GitRepo.init(path)
        dvc(path, "init", "-q")
        (path / ".dvc" / "config").write_text(
            "[core]\n    remote = storage\n['remote \"storage\"']\n    url = s3://lab-data/store\n")
        add_dataset(repo, "dog_and_cat", DOGS)
        repo.write("dog_and_cat.card.md", card())
        repo.add("dog_and_cat.card.md")
        repo.commit("add dog_and_cat")
        repo.git("checkout", "-q", "-b", "feature")
        repo.write("model.pt", blob(2 * 1024 * 1024))
        repo.add("model.pt")
        repo.commit("add the trained model")
        add_dataset(repo, "fish", {"fish/a.png": b"\x89PNGfish"})
        repo.commit("add fish")
        return path


@pytest.fixture
def pr(pr_template: Path, tmp_path: Path) -> PullRequest:
    path = tmp_path / "registry"
    shutil.copytree(pr_template, path, symlinks=True)
    repo = GitRepo(path)
    base = repo.git("rev-parse", "main").stdout.strip()
    return PullRequest(repo, base, repo.head())


@pytest.fixture
def gh(github: LocalGitHub) -> LocalGitHub:
    return github


class Step(NamedTuple):
    code: int
    stdout: str
    stderr: str
    summary: str
    outputs: dict[str, str]


def actions_env(tmp: Path, gh: LocalGitHub, pr: PullRequest, token: str = TOKEN,
                number: int = 7, head_repo: str = REPO) -> dict[str, str]:
    event = tmp / "event.json"
    event.write_text(json.dumps({"action": "synchronize", "number": number, "pull_request": {
        "number": number,
        "base": {"sha": pr.base, "ref": "main", "repo": {"full_name": REPO}},
        "head": {"sha": pr.head, "ref": "feature", "repo": {"full_name": head_repo}}}}))
    return {"GITHUB_TOKEN": token, "GITHUB_REPOSITORY": REPO, "GITHUB_API_URL": gh.api_url,
            "GITHUB_SERVER_URL": "https://github.example", "GITHUB_RUN_ID": "42",
            "GITHUB_SHA": pr.head, "GITHUB_EVENT_PATH": str(event),
            "GITHUB_STEP_SUMMARY": str(tmp / "summary.md"), "GITHUB_OUTPUT": str(tmp / "out")}


def step(repo: GitRepo, env: dict[str, str], *args: str) -> Step:
    proc = subprocess.run([f"{BIN}/dataward", "ci", *args], cwd=repo.path, text=True,
                          capture_output=True, env={**os.environ, **env}, timeout=180,
                          check=False)
    summary = Path(env["GITHUB_STEP_SUMMARY"])
    outputs = Path(env["GITHUB_OUTPUT"])
    return Step(proc.returncode, proc.stdout, proc.stderr,
                summary.read_text() if summary.exists() else "",
                dict(line.split("=", 1) for line in outputs.read_text().splitlines())
                if outputs.exists() else {})


def test_findings_become_a_check_run_annotations_and_one_comment(
        pr: PullRequest, gh: LocalGitHub, tmp_path: Path) -> None:
    gh.add_pull(REPO, 7, pr.base, pr.head)
    env = actions_env(tmp_path, gh, pr)
    got = step(pr.repo, env, "check")
    assert got.code == 1, got.stderr
    assert got.outputs == {"findings": "2", "result": "failure"}

    [run] = gh.check_runs(REPO)
    assert (run["name"], run["head_sha"], run["conclusion"]) == ("dataward", pr.head, "failure")
    assert run["details_url"] == "https://github.example/lab/registry/actions/runs/42"
    assert run["output"]["title"] == "2 errors"
    notes = {(a["path"], a["annotation_level"], a["title"])
             for a in gh.annotations(REPO, run["id"])}
    assert notes == {("model.pt", "failure", "no-large-binaries"),
                     ("fish.dvc", "failure", "dataset-cards")}

    [comment] = gh.comments(REPO, 7)
    body = comment["body"]
    assert body.startswith(MARKER + "\n### ❌ dataward: 2 errors")
    assert "| `no-large-binaries` | ❌ 1 error |" in body
    assert "| `dvc-files` | ✅ passed |" in body
    assert f"[model.pt](https://github.example/lab/registry/blob/{pr.head}/model.pt)" in body
    assert "dvc add model.pt" in body  # the fix, in the table
    assert "has no dataset card (fish.card.md)" in body
    # the job summary is the same report; the check run carried the annotations, so the log
    # holds no duplicate workflow commands
    assert got.summary == body.removeprefix(MARKER + "\n")
    assert "::error" not in got.stdout


def test_a_second_run_edits_the_comment_and_a_clean_one_says_passed(
        pr: PullRequest, gh: LocalGitHub, tmp_path: Path) -> None:
    gh.add_pull(REPO, 7, pr.base, pr.head)
    gh.add_comment(REPO, 7, "Please have a look", user="student")
    env = actions_env(tmp_path, gh, pr)
    assert step(pr.repo, env, "check").code == 1
    assert step(pr.repo, env, "check").code == 1
    # the author fixes it: model.pt goes to DVC (history rewritten), fish gets a card
    pr.repo.git("reset", "-q", "--hard", pr.base)
    add_dataset(pr.repo, "fish", {"fish/a.png": b"\x89PNGfish"})
    pr.repo.write("fish.card.md", card().replace("Dogs", "Fish"))
    pr.repo.add("fish.card.md")
    fixed = PullRequest(pr.repo, pr.base, pr.repo.commit("add fish with its card"))
    gh.add_pull(REPO, 8, fixed.base, fixed.head)  # (a new head: GitHub must know the commit)
    env = actions_env(tmp_path, gh, fixed, number=7)
    gh.add_comment(REPO, 8, "unrelated")
    got = step(fixed.repo, env, "check")
    assert got.code == 0, got.summary
    assert got.outputs == {"findings": "0", "result": "success"}
    comments = gh.comments(REPO, 7)
    assert [c["user"]["login"] for c in comments] == ["student", "github-actions[bot]"]
    assert comments[1]["body"].startswith(MARKER + "\n### ✅ dataward: 4 checks passed")
    assert [r["conclusion"] for r in gh.check_runs(REPO)] == ["failure", "failure", "success"]


def test_a_clean_pull_request_gets_no_comment(pr: PullRequest, gh: LocalGitHub,
                                              tmp_path: Path) -> None:
    pr.repo.git("checkout", "-q", "main")
    clean = PullRequest(pr.repo, pr.base, pr.base)
    gh.add_pull(REPO, 7, clean.base, clean.head)
    got = step(pr.repo, actions_env(tmp_path, gh, clean), "check")
    assert got.code == 0 and gh.comments(REPO, 7) == []
    assert [r["conclusion"] for r in gh.check_runs(REPO)] == ["success"]
    assert "✅ dataward: 4 checks passed" in got.summary


def test_a_read_only_token_reports_through_annotations_with_the_same_verdict(
        pr: PullRequest, gh: LocalGitHub, tmp_path: Path) -> None:
    gh.add_pull(REPO, 7, pr.base, pr.head, head_repo="student/registry")
    got = step(pr.repo, actions_env(tmp_path, gh, pr, token=READ_ONLY,
                                    head_repo="student/registry"), "check")
    assert got.code == 1
    assert gh.check_runs(REPO) == [] and gh.comments(REPO, 7) == []
    assert "::error file=model.pt,title=no-large-binaries large-file::" in got.stdout
    assert "::error file=fish.dvc,title=dataset-cards card-missing::" in got.stdout
    [line] = [x for x in got.stdout.splitlines() if x.startswith("::warning title=dataward::")]
    assert "cannot write to lab/registry" in line and "from a fork gets a read-only token" in line
    assert "### ❌ dataward: 2 errors" in got.summary
    assert READ_ONLY not in got.stdout + got.stderr + got.summary


def test_a_read_only_token_on_the_repositorys_own_branch_names_the_permissions(
        pr: PullRequest, gh: LocalGitHub, tmp_path: Path) -> None:
    """Not a fork: the workflow left out `permissions:`, and the warning says which."""
    gh.add_pull(REPO, 7, pr.base, pr.head)
    got = step(pr.repo, actions_env(tmp_path, gh, pr, token=READ_ONLY), "check")
    assert got.code == 1
    [line] = [x for x in got.stdout.splitlines() if x.startswith("::warning title=dataward::")]
    assert "give the job `checks: write` and `pull-requests: write`" in line
    assert "fork" not in line


def test_github_failing_is_exit_3_with_the_findings_still_annotated(
        pr: PullRequest, gh: LocalGitHub, tmp_path: Path) -> None:
    gh.add_pull(REPO, 7, pr.base, pr.head)
    gh.fail(times=1000, status=503, operation="checks/create")
    got = step(pr.repo, actions_env(tmp_path, gh, pr), "check")
    assert got.code == 3
    assert "::error file=model.pt" in got.stdout
    assert "could not create check run 'dataward': GitHub answered 503" in got.stderr
    assert got.outputs["result"] == "error"
    assert TOKEN not in got.stdout + got.stderr
    # the comment does not depend on the check run: it still tells the truth
    [comment] = gh.comments(REPO, 7)
    assert "### ❌ dataward: 2 errors" in comment["body"]


def test_a_shallow_clone_cannot_be_checked(pr: PullRequest, gh: LocalGitHub,
                                           tmp_path: Path) -> None:
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", "--branch", "feature",
                    f"file://{pr.repo.path}", str(shallow)], check=True)
    gh.add_pull(REPO, 7, pr.base, pr.head)
    got = step(GitRepo(shallow), actions_env(tmp_path, gh, pr), "check")
    assert got.code == 3
    assert got.outputs["result"] == "error"
    [run] = gh.check_runs(REPO)
    assert run["conclusion"] == "failure"
    assert run["output"]["title"].startswith("1 check could not run")
    assert "🚫 could not check" in run["output"]["summary"]


def test_only_the_checks_asked_for(pr: PullRequest, gh: LocalGitHub, tmp_path: Path) -> None:
    gh.add_pull(REPO, 7, pr.base, pr.head)
    got = step(pr.repo, actions_env(tmp_path, gh, pr), "check", "--checks",
               "dvc-files,dvc-config", "--no-comment")
    assert got.code == 0
    assert "`dataset-cards`" not in got.summary and gh.comments(REPO, 7) == []
    bad = step(pr.repo, actions_env(tmp_path, gh, pr), "check", "--checks", "dvc-file")
    assert bad.code == 2 and "unknown check dvc-file" in bad.stderr
    none = step(pr.repo, actions_env(tmp_path, gh, pr), "check", "--checks", "")
    assert none.code == 2 and "no check to run" in none.stderr


# -- verify-pushed ------------------------------------------------------------------------------

def test_verify_pushed_sets_a_success_status(pushed_registry: Template, s3: S3Server,
                                             gh: LocalGitHub, tmp_path: Path) -> None:
    repo, _ = from_template(pushed_registry, tmp_path / "reg", s3)
    head = repo.head()
    gh.add_pull(REPO, 7, head, head)
    got = step(repo, actions_env(tmp_path, gh, PullRequest(repo, head, head)), "verify-pushed")
    assert got.code == 0, got.stderr
    assert got.outputs == {"findings": "0", "result": "success"}
    [status] = gh.statuses(REPO, head)
    assert (status["state"], status["context"], status["target_url"]) == (
        "success", "dataward/dvc-pushed", "https://github.example/lab/registry/actions/runs/42")


def test_verify_pushed_with_data_missing_sets_a_failure_status(
        pushed_registry: Template, s3: S3Server, gh: LocalGitHub, tmp_path: Path) -> None:
    repo, bucket = from_template(pushed_registry, tmp_path / "reg", s3)
    delete(s3, bucket, dir_md5(repo, "dog_and_cat"))
    head = repo.head()
    gh.add_pull(REPO, 7, head, head)
    env = actions_env(tmp_path, gh, PullRequest(repo, head, head))
    got = step(repo, env, "verify-pushed", "--no-github")
    assert got.code == 1 and got.outputs == {"findings": "1", "result": "failure"}
    assert "::error file=dog_and_cat.dvc" in got.stdout
    assert gh.statuses(REPO, head) == []  # --no-github: no API calls

    got = step(repo, env, "verify-pushed")
    assert got.code == 1
    [status] = gh.statuses(REPO, head)
    assert status["state"] == "failure"
    assert status["description"] == ("1 DVC file points at data missing from the remote: "
                                     "run dvc push")


def test_verify_pushed_with_the_remote_down_is_an_error_status(
        pushed_registry: Template, s3: S3Server, gh: LocalGitHub, tmp_path: Path) -> None:
    repo, _ = from_template(pushed_registry, tmp_path / "reg", s3,
                            endpoint="http://127.0.0.1:9")  # nothing listens there
    head = repo.head()
    gh.add_pull(REPO, 7, head, head)
    got = step(repo, actions_env(tmp_path, gh, PullRequest(repo, head, head)),
               "verify-pushed", "--timeout", "5")
    assert got.code == 3
    [status] = gh.statuses(REPO, head)
    assert status["state"] == "error" and status["description"].startswith("could not check")


def test_an_unreadable_event_file_is_a_clear_usage_error(pr: PullRequest, gh: LocalGitHub,
                                                         tmp_path: Path) -> None:
    env = actions_env(tmp_path, gh, pr)
    Path(env["GITHUB_EVENT_PATH"]).write_text('{"pull_request": {"number": 7')
    got = step(pr.repo, env, "check")
    assert got.code == 2
    assert got.stderr.startswith(f"dataward ci: {env['GITHUB_EVENT_PATH']}: cannot read the "
                                 "workflow's event")
    assert "Traceback" not in got.stderr and gh.check_runs(REPO) == []
