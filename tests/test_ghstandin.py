"""The local GitHub stand-in, driven by the real github3.py client.

Positive tests assert that every request and answer matched GitHub's OpenAPI description
(`gh.violations == []`); negative tests prove that the checks catch what they must and that
GitHub's rules (authentication, permissions, limits, conflicts) answer as GitHub does.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import github3
import pytest
import requests
from github3 import exceptions as gh_exc
from github3.session import AppInstallationTokenAuth

from tests.harness.ghstandin import GitHubError, LocalGitHub, Request
from tests.harness.ghstandin.openapi import SPEC_PATH

REPO = "lab/registry"
EXPIRES = "2099-01-01T00:00:00Z"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def gh() -> Iterator[LocalGitHub]:
    with LocalGitHub() as server:
        server.add_token("t1", write=True)
        server.add_token("ro", write=False)
        server.add_repo(REPO, files={"README.md": b"# registry\n",
                                     "data/dog_and_cat.dvc": b"outs:\n- md5: 1\n"})
        yield server


def client(gh: LocalGitHub, token: str = "t1", app: bool = True) -> github3.GitHub:
    c = github3.GitHub()
    c.session.base_url = gh.api_url
    if app:  # what github3 asks for the Checks API: an app installation token
        c.session.auth = AppInstallationTokenAuth(token, EXPIRES)
    else:
        c.login(token=token)
    return c


def repo(gh: LocalGitHub, token: str = "t1") -> Any:
    return client(gh, token).repository(*REPO.split("/"))


def raw(gh: LocalGitHub, method: str, path: str, token: str | None = "t1",
        body: Any = None, data: bytes | None = None) -> requests.Response:
    headers = {"Accept": "application/vnd.github+json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        data = json.dumps(body).encode()
    if data is not None:
        headers["Content-Type"] = "application/json"
    return requests.request(method, gh.api_url + path, headers=headers, data=data, timeout=10)


def git(cwd: Path, *args: str, stdin: bytes | None = None,
        env: dict[str, str] | None = None) -> str:
    out = subprocess.run(["git", *args], cwd=cwd, input=stdin, capture_output=True,
                         check=True, env={**os.environ, **(env or {})})
    return out.stdout.decode().strip()


# ---------------------------------------------------------------- the description itself

def _trim_module() -> Any:
    spec = importlib.util.spec_from_file_location("trim_openapi",
                                                  ROOT / "scripts" / "trim_openapi.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_trimmed_description_holds_exactly_the_operations_and_its_origin() -> None:
    trim = _trim_module()
    doc = json.loads(SPEC_PATH.read_text())
    ops = {op["operationId"] for item in doc["paths"].values()
           for m, op in item.items() if m != "parameters"}
    assert ops == set(trim.OPERATIONS)
    origin = doc["info"]["x-trimmed-from"]
    assert origin["package"] == "@octokit/openapi"
    assert trim.PINNED[origin["version"]] == origin["integrity"]
    text = SPEC_PATH.read_text()
    assert '"examples"' not in text and '"example"' not in text
    for ref in text.split('"$ref": "')[1:]:  # every reference resolves inside the file
        _, _, kind, name = ref.split('"', 1)[0].split("/")
        assert name in doc["components"][kind]
    import openapi_spec_validator

    openapi_spec_validator.validate(doc)  # the trimmed file is itself a valid OpenAPI document


def test_trim_keeps_names_and_drops_only_annotations() -> None:
    trim = _trim_module()
    spec = {
        "openapi": "3.0.3", "info": {"title": "t", "version": "1", "description": "x"},
        "paths": {"/a": {"get": {
            "operationId": "repos/get", "summary": "s", "description": "d",
            "responses": {"200": {"description": "ok", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/a"},
                "examples": {"e": {"$ref": "#/components/examples/e"}}}}}}}},
            "/b": {"get": {"operationId": "other", "responses": {}}}},
        "components": {
            "schemas": {
                "a": {"type": "object", "description": "gone", "example": {"x": 1},
                      "properties": {"description": {"$ref": "#/components/schemas/b"},
                                     "example": {"type": "string"}},
                      "required": ["description"]},
                "b": {"type": "string", "enum": ["description"], "default": "description"},
                "unused": {"type": "string"}},
            "examples": {"e": {"value": 1}}},
    }
    out = trim.trim(spec, ["repos/get"])
    assert list(out["paths"]) == ["/a"]
    schemas = out["components"]["schemas"]
    assert set(schemas) == {"a", "b"} and "examples" not in out["components"]
    assert set(schemas["a"]["properties"]) == {"description", "example"}
    assert "description" not in schemas["a"] and "example" not in schemas["a"]
    assert schemas["b"] == {"type": "string", "enum": ["description"], "default": "description"}
    assert out["paths"]["/a"]["get"]["responses"]["200"]["description"] == "ok"
    with pytest.raises(KeyError):
        trim.trim(spec, ["no/such-operation"])


# ---------------------------------------------------------------- github3 against the stand-in

def test_repository_refs_and_git_database(gh: LocalGitHub) -> None:
    r = repo(gh)
    assert r.full_name == REPO and r.default_branch == "main"
    main = r.ref("heads/main")
    head = main.object.sha
    assert head == gh.ref(REPO, "heads/main")
    commit = r.git_commit(head)
    tree = r.tree(commit.tree.sha, recursive=True)
    assert {h.path for h in tree.tree} == {"README.md", "data", "data/dog_and_cat.dvc"}
    blob_sha = next(h.sha for h in tree.tree if h.path == "README.md")
    assert r.blob(blob_sha).decode_content() == "# registry\n"

    new_blob = r.create_blob(base64.b64encode(b"\x00binary").decode(), "base64")
    new_tree = r.create_tree([{"path": "data/new.bin", "mode": "100644", "type": "blob",
                               "sha": new_blob}], base_tree=commit.tree.sha)
    new_commit = r.create_commit("Add new.bin", new_tree.sha, [head])
    assert r.create_ref("refs/heads/feature", head).ref == "refs/heads/feature"
    feature = r.ref("heads/feature")
    assert feature.update(new_commit.sha) is True  # a fast-forward
    assert gh.file(REPO, "feature", "data/new.bin") == b"\x00binary"
    assert gh.file(REPO, "feature", "README.md") == b"# registry\n"
    assert [c["sha"] for c in gh.commits(REPO, "feature")] == [new_commit.sha, head]
    assert r.tree("feature").sha == new_tree.sha  # a ref name works as GitHub's does
    assert gh.violations == []


def test_git_objects_have_gits_own_sha1s(gh: LocalGitHub, tmp_path: Path) -> None:
    r = repo(gh)
    head = gh.ref(REPO, "heads/main")
    assert head is not None
    base_tree = r.git_commit(head).tree.sha
    exe = r.create_blob("#!/bin/sh\n", "utf-8")
    tree = r.create_tree([
        {"path": "data/deep/nested.txt", "mode": "100644", "type": "blob", "content": "n\n"},
        {"path": "run.sh", "mode": "100755", "type": "blob", "sha": exe},
        {"path": "README.md", "mode": "100644", "type": "blob", "sha": None},  # deleted
    ], base_tree=base_tree)
    who = {"name": "Lab Member", "email": "member@lab.example",
           "date": "2024-05-01T12:00:00+09:00"}
    commit = r.create_commit("Reorganise\n", tree.sha, [head], author=who, committer=who)

    work = tmp_path / "w"
    work.mkdir()
    git(work, "init", "-q")

    def blob(data: bytes) -> str:
        return git(work, "hash-object", "-w", "--stdin", stdin=data)

    def add(mode: str, sha: str, path: str) -> None:
        git(work, "update-index", "--add", "--cacheinfo", f"{mode},{sha},{path}")

    # the initial commit the stand-in made
    parent = r.git_commit(head)
    add("100644", blob(b"# registry\n"), "README.md")
    add("100644", blob(b"outs:\n- md5: 1\n"), "data/dog_and_cat.dvc")
    assert git(work, "write-tree") == parent.tree.sha == base_tree
    signed = {"GIT_AUTHOR_NAME": parent.author["name"],
              "GIT_AUTHOR_EMAIL": parent.author["email"],
              "GIT_AUTHOR_DATE": parent.author["date"],
              "GIT_COMMITTER_NAME": parent.committer["name"],
              "GIT_COMMITTER_EMAIL": parent.committer["email"],
              "GIT_COMMITTER_DATE": parent.committer["date"]}
    assert git(work, "commit-tree", base_tree, "-F", "-", stdin=b"Initial commit",
               env=signed) == head
    # the tree and commit made through the API
    git(work, "update-index", "--force-remove", "README.md")
    add("100644", blob(b"n\n"), "data/deep/nested.txt")
    add("100755", blob(b"#!/bin/sh\n"), "run.sh")
    assert git(work, "write-tree") == tree.sha
    signed = {f"GIT_{role}_{part}": value for role in ("AUTHOR", "COMMITTER")
              for part, value in (("NAME", who["name"]), ("EMAIL", who["email"]),
                                  ("DATE", who["date"]))}
    assert git(work, "commit-tree", tree.sha, "-p", head, "-F", "-", stdin=b"Reorganise\n",
               env=signed) == commit.sha
    assert r.git_commit(commit.sha).author["date"] == "2024-05-01T03:00:00Z"
    assert gh.violations == []


def test_contents_api_reads_and_commits(gh: LocalGitHub) -> None:
    r = repo(gh)
    readme = r.file_contents("README.md")
    assert readme.decoded == b"# registry\n"
    assert readme.sha == "e7c6ef2ffb6ef2ae36ba6f2cc5ad69221c1c586c"  # git hash-object
    created = r.create_file("catalog/catalog.json", "Publish catalog", b'{"datasets": []}\n',
                            branch="main", committer={"name": "dataward",
                                                      "email": "dataward@lab.example"})
    assert created["content"].path == "catalog/catalog.json"
    assert gh.file(REPO, "main", "catalog/catalog.json") == b'{"datasets": []}\n'
    current = r.file_contents("catalog/catalog.json", ref="main")
    updated = current.update("Update catalog", b'{"datasets": [1]}\n', branch="main")
    assert updated["commit"].message == "Update catalog"
    assert gh.file(REPO, "main", "catalog/catalog.json") == b'{"datasets": [1]}\n'
    history = gh.commits(REPO, "main")
    assert [c["message"] for c in history] == ["Update catalog", "Publish catalog",
                                               "Initial commit"]
    assert history[1]["committer"]["name"] == "dataward"
    listing = dict(r.directory_contents("data", ref="main"))
    assert set(listing) == {"dog_and_cat.dvc"}
    with pytest.raises(gh_exc.NotFoundError):
        r.file_contents("no/such/file")
    assert gh.violations == []


def test_statuses_check_runs_and_many_annotations(gh: LocalGitHub) -> None:
    r = repo(gh)
    head = gh.ref(REPO, "heads/main")
    status = r.create_status(head, "pending", target_url="https://ci.lab.example/1",
                             description="checking", context="dataward/dvc-pushed")
    assert status.state == "pending"
    r.create_status(head, "success", context="dataward/dvc-pushed")
    assert [s["state"] for s in gh.statuses(REPO, head)] == ["success", "pending"]

    def notes(start: int, n: int) -> list[dict[str, Any]]:
        return [{"path": "data/dog_and_cat.dvc", "start_line": i, "end_line": i,
                 "annotation_level": "failure", "message": f"problem {i}",
                 "title": "dvc-files"} for i in range(start, start + n)]

    run = r.create_check_run("dataward", head, status="in_progress",
                             output={"title": "dataward", "summary": "running",
                                     "annotations": notes(1, 50)})
    assert run.status == "in_progress"
    assert run.update(output={"title": "dataward", "summary": "more",
                              "annotations": notes(51, 50)}) is True
    assert run.update(conclusion="failure", output={"title": "dataward",
                                                    "summary": "120 problems",
                                                    "annotations": notes(101, 20)})
    fetched = r.check_run(run.id)
    assert (fetched.status, fetched.conclusion) == ("completed", "failure")
    assert fetched.output.annotations_count == 120
    listed = list(fetched.output.annotations())  # two pages: github3 follows Link
    assert [a.message for a in listed] == [f"problem {i}" for i in range(1, 121)]
    pages = [q for q in gh.requests if q.operation == "checks/list-annotations"]
    assert len(pages) == 2
    [stored] = gh.check_runs(REPO)
    assert stored["output"]["summary"] == "120 problems"
    assert len(gh.annotations(REPO, run.id)) == 120
    assert gh.violations == []


def test_issues_comments_and_pagination(gh: LocalGitHub) -> None:
    r = repo(gh)
    issue = r.create_issue("Dataset drift", "dog_and_cat is behind on the lab server",
                           labels=["drift"])
    comment = issue.create_comment("first report")
    assert comment.edit("first report (edited)") is True
    other = r.create_issue("Unrelated")
    assert {i.number for i in r.issues(labels="drift")} == {issue.number}
    assert {i.number for i in r.issues(state="open")} == {issue.number, other.number}
    assert issue.edit(state="closed") is True
    assert {i.number for i in r.issues(state="closed")} == {issue.number}
    full = r.issue(issue.number)
    assert full.body_text == "dog_and_cat is behind on the lab server"
    assert full.closed_by.login == "github-actions[bot]"
    for n in range(130):
        gh.add_comment(REPO, issue.number, f"note {n}")
    bodies = [c.body for c in r.issue(issue.number).comments()]
    assert len(bodies) == 131 and bodies[0] == "first report (edited)"
    assert [c["body"] for c in gh.comments(REPO, issue.number)][-1] == "note 129"
    assert [i["title"] for i in gh.issues(REPO)] == ["Dataset drift", "Unrelated"]
    assert gh.violations == []


def test_link_headers_paginate_as_github(gh: LocalGitHub) -> None:
    number = gh.add_issue(REPO, "many")
    for n in range(5):
        gh.add_comment(REPO, number, f"c{n}")
    first = raw(gh, "GET", f"/repos/{REPO}/issues/{number}/comments?per_page=2")
    assert [c["body"] for c in first.json()] == ["c0", "c1"]
    assert first.links["next"]["url"].endswith("per_page=2&page=2")
    assert first.links["last"]["url"].endswith("page=3")
    last = requests.get(first.links["last"]["url"], timeout=10,
                        headers={"Authorization": "token t1"})
    assert [c["body"] for c in last.json()] == ["c4"]
    assert "next" not in last.links and "first" in last.links and "prev" in last.links
    assert gh.violations == []


def test_pull_requests_are_issues_and_carry_their_check_runs(gh: LocalGitHub) -> None:
    base = gh.ref(REPO, "heads/main")
    assert base is not None
    head = gh.commit_files(REPO, "add-dataset", {"data/birds.dvc": b"outs: []\n"},
                           message="Add birds", parent=base)
    gh.add_pull(REPO, 7, base, head, "main", "add-dataset", title="Add birds",
                body="new dataset")
    r = repo(gh)
    pr = r.pull_request(7)
    assert (pr.base.sha, pr.head.sha, pr.head.ref) == (base, head, "add-dataset")
    assert pr.repository is not None
    issue = r.issue(7)
    assert issue.pull_request_urls["url"].endswith("/pulls/7")
    run = r.create_check_run("dataward", head, conclusion="success",
                             completed_at="2024-05-01T00:00:00Z",
                             output={"title": "ok", "summary": "all good"})
    assert [p.number for p in run.original_pull_requests] == [7]
    issue.create_comment("dataward: all datasets pushed")
    assert gh.comments(REPO, 7)[0]["body"] == "dataward: all datasets pushed"
    gh.add_pull(REPO, 8, base, "f" * 40, head_ref="x", head_repo="student/registry")
    fork = r.pull_request(8)
    assert fork.head.repository.full_name == "student/registry"
    assert gh.violations == []


def test_enterprise_server_prefix() -> None:
    with LocalGitHub(prefix="/api/v3") as gh:
        gh.add_token("t1")
        gh.add_repo(REPO)
        assert gh.api_url == gh.web_url + "/api/v3"
        ghe = github3.GitHubEnterprise(gh.web_url, token="t1")
        r = ghe.repository("lab", "registry")
        assert r.url == f"{gh.api_url}/repos/{REPO}"
        assert r.file_contents("README.md").decoded == b"# registry\n"
        assert gh.violations == []
        assert requests.get(f"{gh.web_url}/repos/{REPO}", timeout=10).status_code == 404
        assert gh.violations == [f"GET /repos/{REPO}: no operation of GitHub's description "
                                 "matches this request"]


# ---------------------------------------------------------------- the checks catch problems

def test_malformed_request_body_is_a_violation_and_a_422(gh: LocalGitHub) -> None:
    answer = raw(gh, "POST", f"/repos/{REPO}/issues", body={"body": "no title"})
    assert answer.status_code == 422
    assert answer.json()["message"] == "Invalid request.\n\n\"title\" wasn't supplied."
    assert len(gh.violations) == 1
    assert gh.violations[0].startswith("issues/create request body at $: ")
    assert "'title' is a required property" in gh.violations[0]
    assert gh.issues(REPO) == []


def test_request_body_type_errors_name_the_json_path(gh: LocalGitHub) -> None:
    head = gh.ref(REPO, "heads/main")
    answer = raw(gh, "POST", f"/repos/{REPO}/check-runs",
                 body={"name": "x", "head_sha": head, "output": {"title": "t", "summary": 5}})
    assert answer.status_code == 422
    assert gh.violations == ["checks/create request body at $.output.summary: "
                             "5 is not of type 'string'"]


def test_request_that_is_not_json_is_caught(gh: LocalGitHub) -> None:
    answer = raw(gh, "POST", f"/repos/{REPO}/issues", data=b"title=x")
    assert answer.status_code == 400
    assert answer.json()["message"] == "Problems parsing JSON"
    assert gh.violations == ["issues/create request body: not JSON"]


def test_unknown_endpoint_is_a_violation_and_a_404(gh: LocalGitHub) -> None:
    answer = raw(gh, "GET", f"/repos/{REPO}/branches")
    assert answer.status_code == 404
    assert answer.json()["message"] == "Not Found"
    assert gh.violations == [f"GET /repos/{REPO}/branches: no operation of GitHub's "
                             "description matches this request"]
    assert gh.requests[-1] == ("GET", f"/repos/{REPO}/branches", 404, None)


def test_wrong_query_type_and_undeclared_parameter_are_violations(gh: LocalGitHub) -> None:
    raw(gh, "GET", f"/repos/{REPO}/issues?per_page=many")
    raw(gh, "GET", f"/repos/{REPO}/issues?state=opened")
    raw(gh, "GET", f"/repos/{REPO}/issues/1/comments?sort=created")
    assert gh.violations == [
        "issues/list-for-repo request query parameter 'per_page' at $: "
        "'many' is not of type 'integer'",
        "issues/list-for-repo request query parameter 'state' at $: "
        "'opened' is not one of ['open', 'closed', 'all']",
        "issues/list-comments request: query parameter 'sort' is not declared for this "
        "operation",
    ]


def test_incomplete_response_is_caught(gh: LocalGitHub) -> None:
    gh.alter_response("repos/get", lambda body: {k: v for k, v in body.items()
                                                 if k != "default_branch"})
    raw(gh, "GET", f"/repos/{REPO}")
    assert gh.violations == ["repos/get response 200 body at $: "
                             "'default_branch' is a required property"]
    gh.violations.clear()
    gh.alter_response("git/get-ref", lambda body: {**body, "url": "/relative"})
    raw(gh, "GET", f"/repos/{REPO}/git/ref/heads/main")
    assert gh.violations == ["git/get-ref response 200 body at $.url: "
                             "'/relative' is not a 'uri'"]


def test_undeclared_body_property_is_a_violation_though_github_ignores_it(
        gh: LocalGitHub) -> None:
    r = repo(gh)
    # a tree entry has no `encoding`: GitHub stores `content` as the UTF-8 text it is
    tree = r.create_tree([{"path": "x.bin", "mode": "100644", "type": "blob",
                           "content": "AAE=", "encoding": "base64"}])
    assert base64.b64decode(r.blob(tree.tree[0].sha).content) == b"AAE="
    assert gh.violations == ["git/create-tree request body at $.tree[0]: property "
                             "'encoding' is not in GitHub's description (GitHub ignores it)"]


def test_undeclared_status_is_a_violation(gh: LocalGitHub) -> None:
    gh.fail(status=418, operation="repos/get", message="I'm a teapot")
    assert raw(gh, "GET", f"/repos/{REPO}").status_code == 418
    assert gh.violations == ["repos/get response 418: status 418 is not declared for this "
                             "operation"]


# ---------------------------------------------------------------- GitHub's rules

def test_authentication(gh: LocalGitHub) -> None:
    missing = raw(gh, "GET", f"/repos/{REPO}", token=None)
    assert missing.status_code == 401
    assert missing.json()["message"] == "Requires authentication"
    unknown = raw(gh, "GET", f"/repos/{REPO}", token="nope")
    assert (unknown.status_code, unknown.json()["message"]) == (401, "Bad credentials")
    with pytest.raises(gh_exc.AuthenticationFailed):
        client(gh, "nope", app=False).repository("lab", "registry")
    assert raw(gh, "GET", f"/repos/{REPO}", token="t1").status_code == 200
    assert gh.violations == []


def test_read_only_token_cannot_write(gh: LocalGitHub) -> None:
    r = repo(gh, "ro")
    assert r.default_branch == "main"  # reading works
    issue_number = gh.add_issue(REPO, "from a fork")
    with pytest.raises(gh_exc.ForbiddenError) as caught:
        r.issue(issue_number).create_comment("hello")
    assert caught.value.msg == "Resource not accessible by integration"
    with pytest.raises(gh_exc.ForbiddenError):
        r.create_check_run("dataward", gh.ref(REPO, "heads/main"))
    assert gh.comments(REPO, issue_number) == [] and gh.check_runs(REPO) == []
    assert gh.violations == []


def test_personal_token_cannot_use_the_checks_api(gh: LocalGitHub) -> None:
    gh.add_token("pat", app=False, login="lab-member")
    answer = raw(gh, "POST", f"/repos/{REPO}/check-runs", token="pat",
                 body={"name": "x", "head_sha": gh.ref(REPO, "heads/main")})
    assert (answer.status_code, answer.json()["message"]) == (
        403, "You must authenticate via a GitHub App.")
    assert gh.violations == []


def test_more_than_50_annotations_is_a_422(gh: LocalGitHub) -> None:
    r = repo(gh)
    head = gh.ref(REPO, "heads/main")
    notes = [{"path": "README.md", "start_line": 1, "end_line": 1,
              "annotation_level": "notice", "message": str(i)} for i in range(51)]
    with pytest.raises(gh_exc.UnprocessableEntity) as caught:
        r.create_check_run("dataward", head, output={"title": "t", "summary": "s",
                                                     "annotations": notes})
    assert caught.value.msg == ("Invalid request.\n\nNo more than 50 items are allowed; "
                                "51 were supplied.")
    assert gh.check_runs(REPO) == []
    # the description says so too (maxItems: 50): the request is a violation
    assert gh.violations == ["checks/create request body at $.output.annotations: "
                             + gh.violations[0].split("annotations: ", 1)[1]]
    assert "is too long" in gh.violations[0]


def test_unknown_commit_for_status_or_check_run(gh: LocalGitHub) -> None:
    r = repo(gh)
    with pytest.raises(gh_exc.UnprocessableEntity) as caught:
        r.create_status("0" * 40, "success")
    assert caught.value.msg == f"No commit found for SHA: {'0' * 40}"
    assert gh.violations == []


def test_contents_update_needs_the_current_blob_sha(gh: LocalGitHub) -> None:
    r = repo(gh)
    with pytest.raises(gh_exc.UnprocessableEntity) as missing:
        r.create_file("README.md", "overwrite", b"new\n")  # no sha: GitHub refuses
    assert missing.value.msg == "Invalid request.\n\n\"sha\" wasn't supplied."
    readme = r.file_contents("README.md")
    gh.commit_files(REPO, "main", {"README.md": b"changed underneath\n"})
    with pytest.raises(gh_exc.Conflict) as stale:
        readme.update("update", b"mine\n")
    assert stale.value.msg == f"README.md does not match {readme.sha}"
    assert gh.file(REPO, "main", "README.md") == b"changed underneath\n"
    missing_branch = raw(gh, "PUT", f"/repos/{REPO}/contents/x.txt",
                         body={"message": "m", "content": "eA==", "branch": "nope"})
    assert missing_branch.status_code == 404
    assert gh.violations == []


def test_ref_updates_must_fast_forward_and_refs_be_new(gh: LocalGitHub) -> None:
    r = repo(gh)
    base = gh.ref(REPO, "heads/main")
    ahead = gh.commit_files(REPO, "main", {"a.txt": b"a\n"})
    side = gh.commit_files(REPO, "side", {"b.txt": b"b\n"}, parent=base)
    main = r.ref("heads/main")
    with pytest.raises(gh_exc.UnprocessableEntity) as not_ff:
        main.update(side)
    assert not_ff.value.msg == "Update is not a fast forward"
    assert gh.ref(REPO, "heads/main") == ahead
    assert main.update(side, force=True) is True
    assert gh.ref(REPO, "heads/main") == side
    with pytest.raises(gh_exc.UnprocessableEntity) as exists:
        r.create_ref("refs/heads/side", base)
    assert exists.value.msg == "Reference already exists"
    with pytest.raises(gh_exc.NotFoundError):
        r.ref("heads/no-such-branch")
    assert gh.violations == []


def test_before_hook_moves_a_ref_under_the_client(gh: LocalGitHub) -> None:
    r = repo(gh)
    main = r.ref("heads/main")
    head = main.object.sha
    tree = r.create_tree([{"path": "c.txt", "mode": "100644", "type": "blob",
                           "content": "c\n"}], base_tree=r.git_commit(head).tree.sha)
    mine = r.create_commit("mine", tree.sha, [head])

    def someone_else_pushes(stand_in: LocalGitHub, request: Request) -> None:
        stand_in.commit_files(REPO, "main", {"theirs.txt": b"t\n"}, message="theirs")

    gh.before("git/update-ref", someone_else_pushes, times=1)
    with pytest.raises(gh_exc.UnprocessableEntity):
        main.update(mine.sha)
    assert gh.commits(REPO, "main")[0]["message"] == "theirs"

    def refuse(stand_in: LocalGitHub, request: Request) -> None:
        raise GitHubError(409, "Git Repository is empty.")

    gh.before("git/get-ref", refuse, times=1)
    with pytest.raises(gh_exc.Conflict):
        r.ref("heads/main")
    assert gh.violations == []


def test_a_failing_hook_is_reported_not_swallowed(gh: LocalGitHub) -> None:
    def broken(stand_in: LocalGitHub, request: Request) -> None:
        raise RuntimeError("hook bug")

    gh.before("repos/get", broken)
    assert raw(gh, "GET", f"/repos/{REPO}").status_code == 500
    assert gh.violations == ["repos/get: the stand-in itself failed: RuntimeError: hook bug "
                             "(see gh.errors)"]
    assert "RuntimeError: hook bug" in gh.errors[0]


def test_injected_server_errors(gh: LocalGitHub) -> None:
    gh.fail(times=2, status=502, operation="repos/get")
    c = client(gh)
    for _ in range(2):
        with pytest.raises(gh_exc.ServerError):
            c.repository("lab", "registry")
    assert c.repository("lab", "registry").name == "registry"
    assert [q.status for q in gh.requests] == [502, 502, 200]
    assert gh.violations == []


@pytest.mark.parametrize("status", [403, 429])
def test_secondary_rate_limit(gh: LocalGitHub, status: int) -> None:
    gh.rate_limit(status=status, retry_after=30, operation="issues/create-comment")
    number = gh.add_issue(REPO, "x")
    answer = raw(gh, "POST", f"/repos/{REPO}/issues/{number}/comments", body={"body": "b"})
    assert answer.status_code == status
    assert answer.headers["Retry-After"] == "30"
    message = answer.json()["message"]
    assert message.startswith("You have exceeded a secondary rate limit.")
    assert answer.headers["X-GitHub-Request-Id"] in message
    assert raw(gh, "POST", f"/repos/{REPO}/issues/{number}/comments",
               body={"body": "b"}).status_code == 201
    # what github3 raises: ForbiddenError for a 403, a plain ClientError for a 429
    gh.rate_limit(status=status, retry_after=5)
    with pytest.raises(gh_exc.ResponseError) as caught:
        repo(gh)
    assert caught.value.response.headers["Retry-After"] == "5"
    assert type(caught.value) is (gh_exc.ForbiddenError if status == 403 else gh_exc.ClientError)
    assert gh.violations == []


def test_primary_rate_limit(gh: LocalGitHub) -> None:
    gh.rate_limit(primary=True, reset_in=120)
    answer = raw(gh, "GET", f"/repos/{REPO}")
    assert answer.status_code == 403
    assert answer.headers["X-RateLimit-Remaining"] == "0"
    assert int(answer.headers["X-RateLimit-Reset"]) >= int(time.time()) + 100
    assert answer.json()["message"].startswith("API rate limit exceeded")
    assert gh.violations == []


def test_slow_answers_time_out_the_client(gh: LocalGitHub) -> None:
    gh.delay(0.5, operation="repos/get")
    c = client(gh)
    c.session.default_read_timeout = 0.1
    started = time.monotonic()
    with pytest.raises(gh_exc.ConnectionError):
        c.repository("lab", "registry")
    assert time.monotonic() - started < 0.5
    assert c.repository("lab", "registry").name == "registry"  # the delay was used up
    assert gh.violations == []


def test_github_like_headers(gh: LocalGitHub) -> None:
    answer = raw(gh, "GET", f"/repos/{REPO}")
    assert answer.headers["Content-Type"] == "application/json; charset=utf-8"
    assert answer.headers["X-GitHub-Request-Id"]
    assert answer.headers["X-RateLimit-Limit"] == "5000"
    assert int(answer.headers["X-RateLimit-Remaining"]) == 4999
    created = raw(gh, "POST", f"/repos/{REPO}/issues", body={"title": "t"})
    assert created.headers["Location"] == f"{gh.api_url}/repos/{REPO}/issues/1"
    assert gh.violations == []
