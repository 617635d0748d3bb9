"""The example workflow for the registry, run for real under act in host mode.

`examples/workflows/registry-pull-request.yml` exactly as README tells a lab to copy it: act runs
both jobs on this machine; `dataward/dataward/actions/*` come from this checkout, the pinned
`actions/checkout` and `actions/setup-python` from local stubs. Each action installs dataward
with pip from its own checkout (offline, from the wheelhouse `make test` fills), then talks to
the local GitHub and the S3 server. The test asserts what GitHub received.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from tests.conftest import GITHUB_REPO, GITHUB_TOKEN
from tests.harness import actrun
from tests.harness.dvcremote import DOGS, add_dataset, new_bucket, registry
from tests.harness.dvcrun import dvc
from tests.harness.ghstandin import LocalGitHub
from tests.harness.repo import blob
from tests.harness.s3server import S3Server
from tests.test_dataset_cards_registry import card

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / "examples" / "workflows" / "registry-pull-request.yml"
WHEELHOUSE = os.environ.get("DATAWARD_WHEELHOUSE", str(ROOT / ".venv" / "wheelhouse"))
REPO, TOKEN = GITHUB_REPO, GITHUB_TOKEN


def test_the_registry_workflow_reports_a_bad_pull_request(s3: S3Server, github: LocalGitHub,
                                                          tmp_path: Path) -> None:
    gh = github
    # main: dog_and_cat with its card, pushed. The pull request: a 2 MB model.pt in git and a
    # dataset fish with no card whose data was never pushed.
    repo = registry(tmp_path / "registry", s3, new_bucket(s3))
    add_dataset(repo, "dog_and_cat", DOGS)
    repo.write("dog_and_cat.card.md", card())
    repo.add("dog_and_cat.card.md")
    repo.commit("add dog_and_cat")
    dvc(repo.path, "push", "-q")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("model.pt", blob(2 * 1024 * 1024))
    repo.add("model.pt")
    repo.commit("add the model")
    add_dataset(repo, "fish", {"fish/a.png": b"\x89PNGfish"})
    head = repo.commit("add fish")
    event = actrun.pull_request_event(repo.path, base="main", head="feature", number=7)
    gh.add_pull(REPO, 7, event["pull_request"]["base"]["sha"], head)

    result = actrun.run_act(
        repo.path, WORKFLOW, event,
        env={"GITHUB_API_URL": gh.api_url, "GITHUB_SERVER_URL": "https://github.example",
             # pip as a runner without network would be told: the wheels `make test` saved
             "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": WHEELHOUSE},
        secrets={"GITHUB_TOKEN": TOKEN, "DVC_AWS_ACCESS_KEY_ID": s3.keys[0],
                 "DVC_AWS_SECRET_ACCESS_KEY": s3.keys[1]},
        stubs={"dataward/dataward": ROOT}, scratch=tmp_path / "act", timeout=600)

    assert result.job_results == {"check": "failure", "verify-pushed": "failure"}, result
    # actions/check: one check run with an annotation on each problem, one comment
    [run] = gh.check_runs(REPO)
    assert (run["name"], run["head_sha"], run["conclusion"]) == ("dataward", head, "failure")
    assert {(a["path"], a["title"]) for a in gh.annotations(REPO, run["id"])} == {
        ("model.pt", "no-large-binaries"), ("fish.dvc", "dataset-cards")}
    [comment] = gh.comments(REPO, 7)
    assert "### ❌ dataward: 2 errors" in comment["body"]
    assert "| `dataset-cards` | ❌ 1 error |" in comment["body"]
    assert "### ❌ dataward: 2 errors" in result.summary("check")
    # actions/verify-pushed: the commit status a branch protection rule can require
    [status] = gh.statuses(REPO, head)
    assert (status["context"], status["state"]) == ("dataward/dvc-pushed", "failure")
    assert "fish.dvc" in result.summary("verify-pushed")
    assert TOKEN not in result.log and s3.keys[1] not in result.log


def test_the_catalog_workflow_publishes_on_a_push_to_main(s3: S3Server, github: LocalGitHub,
                                                          tmp_path: Path) -> None:
    repo = registry(tmp_path / "registry", s3, new_bucket(s3))
    add_dataset(repo, "dog_and_cat", DOGS)
    repo.write("dog_and_cat.card.md", card())
    repo.add("dog_and_cat.card.md")
    first = repo.commit("add dog_and_cat")
    add_dataset(repo, "dog_and_cat", {"dog/9.jpg": b"\xff\xd8dog9"})
    head = repo.commit("one more dog")
    event = {"ref": "refs/heads/main", "before": first, "after": head,
             "repository": {"full_name": GITHUB_REPO, "name": "registry",
                            "owner": {"login": "lab"}, "default_branch": "main"}}

    result = actrun.run_act(
        repo.path, ROOT / "examples" / "workflows" / "registry-main.yml", event,
        event_name="push",
        env={"GITHUB_API_URL": github.api_url, "GITHUB_SERVER_URL": "https://github.example",
             "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": WHEELHOUSE},
        secrets={"GITHUB_TOKEN": GITHUB_TOKEN},
        stubs={"dataward/dataward": ROOT}, scratch=tmp_path / "act", timeout=600)

    assert result.job_results == {"catalog": "success"}, result
    published = github.files(GITHUB_REPO, "dataward")
    assert {"catalog.json", "index.html", "croissant/dog_and_cat.json"} <= set(published)
    catalog = json.loads(published["catalog.json"])
    assert catalog["commit"] == head
    assert catalog["registry"] == "https://github.example/lab/registry"
    [dataset] = catalog["datasets"]
    assert [v["message"] for v in dataset["versions"]] == ["add dog_and_cat", "one more dog"]
    assert "published to dataward as" in result.log


@pytest.mark.parametrize("unreadable", [False, True], ids=["behind", "one-unreadable"])
def test_the_drift_action_publishes_a_report_and_opens_an_issue(
        s3: S3Server, github: LocalGitHub, tmp_path: Path, unreadable: bool) -> None:
    """actions/drift-report as a self-hosted runner in the lab would run it (the example
    workflow's matrix names real folders such as /data/datasets; this one names the test's)."""
    repo = registry(tmp_path / "registry", s3, new_bucket(s3))
    add_dataset(repo, "dog_and_cat", DOGS)
    repo.commit("dog_and_cat version 1")
    lab = tmp_path / "lab"
    shutil.copytree(repo.path / "dog_and_cat", lab / "dog_and_cat")
    add_dataset(repo, "dog_and_cat", {"dog/9.jpg": b"\xff\xd8dog9"})
    repo.commit("dog_and_cat version 2")
    if unreadable:  # a second dataset the runner cannot read: a dangling link in its place
        add_dataset(repo, "fish", {"a.png": b"\x89PNGfish"})
        repo.commit("fish")
        (lab / "fish").symlink_to(lab / "nowhere")
    workflow = tmp_path / "drift.yml"
    workflow.write_text(f"""
name: drift
on: workflow_dispatch
permissions: {{}}
jobs:
  drift:
    runs-on: [self-hosted, lab-server]
    permissions: {{contents: write, issues: write}}
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683
        with: {{fetch-depth: 0, persist-credentials: false}}
      - id: drift
        uses: dataward/dataward/actions/drift-report@v0.1.0
        with: {{env: lab-server, root: "{lab}", python: "{sys.executable}"}}
""")
    result = actrun.run_act(
        repo.path, workflow, {}, event_name="workflow_dispatch",
        env={"GITHUB_API_URL": github.api_url, "PIP_NO_INDEX": "1",
             "PIP_FIND_LINKS": WHEELHOUSE},
        secrets={"GITHUB_TOKEN": GITHUB_TOKEN}, stubs={"dataward/dataward": ROOT},
        scratch=tmp_path / "act", timeout=600)
    # Drift is reported, not a crash; a dataset it could not read is published, then fails.
    assert result.job_results == {"drift": "failure" if unreadable else "success"}, result
    report = json.loads(github.files(GITHUB_REPO, "dataward")["drift/lab-server.json"])
    entries = {e["name"]: e for e in report["datasets"]}
    assert (entries["dog_and_cat"]["status"], entries["dog_and_cat"]["matched_version"]) == \
        ("behind", 1)
    board = github.files(GITHUB_REPO, "dataward")["drift/README.md"].decode()
    assert "| dog_and_cat (v2) | ⏪ v1 |" in board
    if unreadable:
        assert entries["fish"]["status"] == "not_checked"
        assert "| fish (v1) | ❓ |" in board
    [issue] = github.issues(GITHUB_REPO)
    assert issue["title"] == "Dataset drift on lab-server" and issue["state"] == "open"
    assert "::warning title=drift on lab-server::dog_and_cat: behind" in result.log


def test_the_weekly_audit_workflow_fails_on_an_archived_object_and_keeps_the_plan(
        s3: S3Server, tmp_path: Path) -> None:
    """examples/workflows/registry-audit.yml under act: the audit names the archived photo in
    the job summary, fails the job, and hands the garbage-collection plan to upload-artifact
    (a stub that keeps what it is given)."""
    bucket = new_bucket(s3)
    repo = registry(tmp_path / "registry", s3, bucket)
    add_dataset(repo, "dog_and_cat", DOGS)
    repo.commit("add dog_and_cat")
    dvc(repo.path, "push", "-q")
    cache = repo.path / ".dvc" / "cache" / "files" / "md5"
    dir_md5 = next(line.split("md5:")[1].strip() for line in
                   (repo.path / "dog_and_cat.dvc").read_text().splitlines() if "md5:" in line)
    photo = json.loads((cache / dir_md5[:2] / dir_md5[2:]).read_text())[0]["md5"]
    key = f"store/files/md5/{photo[:2]}/{photo[2:]}"
    client = s3.client()
    client.copy_object(Bucket=bucket, Key=key, CopySource={"Bucket": bucket, "Key": key},
                       StorageClass="GLACIER", MetadataDirective="COPY")
    client.put_object(Bucket=bucket, Key=f"store/files/md5/00/{'0' * 30}", Body=b"x" * 1000)
    uploads = tmp_path / "uploads"
    stub = tmp_path / "upload-artifact"
    stub.mkdir()
    (stub / "action.yml").write_text(
        "name: actions/upload-artifact (stub)\ndescription: keeps the file it is given\n"
        "inputs:\n  name: {required: true}\n  path: {required: true}\n"
        "  retention-days: {default: '90'}\n  if-no-files-found: {default: warn}\n"
        "runs:\n  using: composite\n  steps:\n    - shell: bash\n      env:\n"
        "        ARTIFACT: ${{ inputs.path }}\n"
        f"      run: mkdir -p {uploads} && cp \"$ARTIFACT\" {uploads}/\n")

    result = actrun.run_act(
        repo.path, ROOT / "examples" / "workflows" / "registry-audit.yml", {},
        event_name="workflow_dispatch",
        env={"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": WHEELHOUSE},
        secrets={"DVC_AWS_ACCESS_KEY_ID": s3.keys[0], "DVC_AWS_SECRET_ACCESS_KEY": s3.keys[1]},
        stubs={"dataward/dataward": ROOT, "actions/upload-artifact": stub},
        scratch=tmp_path / "act", timeout=600)

    assert result.job_results == {"audit": "failure"}, result.log[-4000:]
    summary = result.summary("audit")
    assert "objects-archived" in summary and "dog_and_cat" in summary
    assert "objects-unreferenced" in summary
    (plan,) = uploads.iterdir()
    entry = json.loads(plan.read_text())["remotes"][0]
    # The stray object is minutes old: the weekly plan leaves a week's objects out (their
    # commits may be on their way), and says so.
    assert (entry["objects"], entry["left_out"], entry["complete"]) == (0, 1, True)
    assert "1 newer than 7 days left out" in summary
    assert s3.keys[1] not in result.log
