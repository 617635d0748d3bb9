"""dataward.adapters.github.Client, the one adapter to GitHub, against the local GitHub.

Every call goes through the real github3.py client to the stand-in, which checks each request
and answer against GitHub's OpenAPI description: every test ends with zero violations.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from dataward.adapters.github.client import Annotation, Client
from dataward.errors import EXIT_COULD_NOT_CHECK, GitHubUnavailable, NoPermission
from tests.conftest import GITHUB_READ_ONLY, GITHUB_REPO, GITHUB_TOKEN
from tests.harness.ghstandin import LocalGitHub, Request

REPO, TOKEN, READ_ONLY = GITHUB_REPO, GITHUB_TOKEN, GITHUB_READ_ONLY


@pytest.fixture
def gh(github: LocalGitHub) -> LocalGitHub:
    """The local GitHub with pull request #7 (the conftest fixture checks every request and
    answer against GitHub's OpenAPI description)."""
    base = github.ref(REPO, "heads/main") or ""
    head = github.commit_files(REPO, "feature", {"fish.dvc": b"outs: []\n"}, parent=base)
    github.add_pull(REPO, 7, base, head)
    return github


def client(gh: LocalGitHub, token: str = TOKEN, **kw: Any) -> Client:
    kw.setdefault("backoff", 0.01)
    return Client(gh.api_url, token, REPO, **kw)


def ops(gh: LocalGitHub) -> list[str]:
    return [r.operation or "?" for r in gh.requests]


def head(gh: LocalGitHub) -> str:
    return gh.ref(REPO, "heads/feature") or ""


def test_commit_status(gh: LocalGitHub) -> None:
    client(gh).status(head(gh), "failure", "dataward/dvc-pushed", "2 DVC files " * 20,
                      "http://ci.example/run/1")
    [status] = gh.statuses(REPO, head(gh))
    assert (status["state"], status["context"], status["target_url"]) == (
        "failure", "dataward/dvc-pushed", "http://ci.example/run/1")
    assert len(status["description"]) <= 140


def test_check_run_sends_annotations_fifty_at_a_time(gh: LocalGitHub) -> None:
    notes = [Annotation(f"data/{i}.dvc", i + 1, "failure", "dvc-files", f"problem {i}")
             for i in range(120)]
    run_id = client(gh).check_run("dataward", head(gh), "failure", "120 errors", "a table",
                                  notes, details_url="http://ci.example/run/1")
    [run] = gh.check_runs(REPO)
    assert (run["id"], run["name"], run["head_sha"], run["conclusion"]) == (
        run_id, "dataward", head(gh), "failure")
    got = gh.annotations(REPO, run_id)
    assert [(a["path"], a["start_line"], a["message"]) for a in got] == [
        (n.path, n.line, n.message) for n in notes]
    assert ops(gh).count("checks/create") == 1 and ops(gh).count("checks/update") == 2


def test_sticky_comment_is_edited_never_duplicated(gh: LocalGitHub) -> None:
    other = gh.add_comment(REPO, 7, "LGTM", user="reviewer")
    c = client(gh)
    first = c.sticky_comment(7, "dataward:check", "❌ 2 errors")
    second = c.sticky_comment(7, "dataward:check", "✅ passed")
    comments = gh.comments(REPO, 7)
    assert len(comments) == 2 and first == second
    mine = [x for x in comments if x["id"] != other]
    assert mine[0]["body"] == "<!-- dataward:check -->\n✅ passed"
    assert [x["body"] for x in comments if x["id"] == other] == ["LGTM"]


def test_sticky_comment_without_create_adds_nothing(gh: LocalGitHub) -> None:
    assert client(gh).sticky_comment(7, "dataward:check", "✅ passed", create=False) == ""
    assert gh.comments(REPO, 7) == []


def test_issue_per_marker_opened_updated_closed_and_reopened(gh: LocalGitHub) -> None:
    gh.add_issue(REPO, "Unrelated", "no marker here")
    c = client(gh)
    n = c.upsert_issue("dataward:drift:lab", "Drift on lab", "2 behind", labels=["drift"])
    assert c.upsert_issue("dataward:drift:lab", "Drift on lab", "3 behind") == n
    assert c.upsert_issue("dataward:drift:lab", "Drift on lab", "in sync", open_=False) == n
    issue = next(i for i in gh.issues(REPO) if i["number"] == n)
    assert (issue["state"], issue["body"]) == ("closed", "<!-- dataward:drift:lab -->\nin sync")
    assert c.upsert_issue("dataward:drift:lab", "Drift on lab", "1 behind") == n
    assert next(i for i in gh.issues(REPO) if i["number"] == n)["state"] == "open"
    assert len(gh.issues(REPO)) == 3  # the pull request, the unrelated issue, ours


def test_closing_an_issue_that_never_was_does_nothing(gh: LocalGitHub) -> None:
    assert client(gh).upsert_issue("dataward:drift:cloud", "Drift", "ok", open_=False) is None
    assert len(gh.issues(REPO)) == 1


def test_commit_files_writes_several_files_in_one_commit(gh: LocalGitHub) -> None:
    c = client(gh)
    files = {"catalog.json": b"{}\n", "croissant/dogs.json": b"{}\n", "index.html": b"<p>"}
    first = c.commit_files("dataward", files, "catalog")
    assert gh.files(REPO, "dataward") == files and gh.ref(REPO, "heads/dataward") == first
    assert c.commit_files("dataward", files, "catalog") is None  # nothing changed
    c.commit_files("dataward", {"catalog.json": b'{"n": 1}\n', "index.html": None,
                                "logo.png": b"\x89PNG\r\n\x1a\n\x00"}, "catalog")
    assert gh.files(REPO, "dataward") == {"catalog.json": b'{"n": 1}\n',
                                          "croissant/dogs.json": b"{}\n",
                                          "logo.png": b"\x89PNG\r\n\x1a\n\x00"}
    assert len(gh.commits(REPO, "dataward")) == 2


def test_commit_files_rebuilds_on_a_ref_that_moved(gh: LocalGitHub) -> None:
    c = client(gh)
    c.commit_files("dataward", {"drift/lab.json": b"lab\n"}, "lab")

    def race(server: LocalGitHub, request: Request) -> None:
        server.commit_files(REPO, "dataward", {"drift/cloud.json": b"cloud\n"})

    gh.before("git/update-ref", race, times=1)
    c.commit_files("dataward", {"drift/abci.json": b"abci\n"}, "abci")
    assert gh.files(REPO, "dataward") == {"drift/lab.json": b"lab\n",
                                          "drift/cloud.json": b"cloud\n",
                                          "drift/abci.json": b"abci\n"}
    assert [r.status for r in gh.requests if r.operation == "git/update-ref"] == [422, 200]


def test_eight_publishers_at_once_all_land(gh: LocalGitHub) -> None:
    errors: list[BaseException] = []

    def publish(env: str) -> None:
        try:
            client(gh).commit_files("dataward", {f"drift/{env}.json": env.encode()}, env)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=publish, args=(f"env{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert gh.files(REPO, "dataward") == {f"drift/env{i}.json": f"env{i}".encode()
                                          for i in range(8)}


def test_server_errors_are_retried(gh: LocalGitHub) -> None:
    gh.fail(times=2, status=502, operation="repos/create-commit-status")
    client(gh).status(head(gh), "success", "dataward/dvc-pushed", "ok")
    assert len(gh.statuses(REPO, head(gh))) == 1
    assert ops(gh).count("repos/create-commit-status") == 3


@pytest.mark.parametrize("status", [403, 429])
def test_secondary_rate_limit_waits_as_long_as_github_asks(gh: LocalGitHub, status: int) -> None:
    gh.rate_limit(times=1, status=status, retry_after=1, operation="checks/create")
    start = time.monotonic()
    client(gh).check_run("dataward", head(gh), "success", "ok", "ok")
    assert time.monotonic() - start >= 1.0
    assert len(gh.check_runs(REPO)) == 1


def test_primary_rate_limit_waits_for_the_reset(gh: LocalGitHub) -> None:
    gh.rate_limit(times=1, primary=True, reset_in=1, operation="repos/create-commit-status")
    client(gh).status(head(gh), "success", "dataward/dvc-pushed", "ok")
    assert len(gh.statuses(REPO, head(gh))) == 1


def test_a_wait_longer_than_allowed_fails_closed_at_once(gh: LocalGitHub) -> None:
    gh.rate_limit(times=5, status=403, retry_after=3600)
    start = time.monotonic()
    with pytest.raises(GitHubUnavailable) as err:
        client(gh, max_wait=5).status(head(gh), "success", "dataward/dvc-pushed", "ok")
    assert time.monotonic() - start < 5
    assert err.value.exit_code == EXIT_COULD_NOT_CHECK
    assert "secondary rate limit" in err.value.message


def test_github_down_is_exit_3_after_bounded_retries(gh: LocalGitHub) -> None:
    c = client(gh)
    gh.fail(times=100, status=500)
    with pytest.raises(GitHubUnavailable) as err:
        c.status(head(gh), "success", "dataward/dvc-pushed", "ok")
    assert "500" in err.value.message and err.value.exit_code == EXIT_COULD_NOT_CHECK
    assert ops(gh).count("repos/create-commit-status") == 4


def test_a_slow_read_is_retried_then_given_up(gh: LocalGitHub) -> None:
    gh.delay(1.0, times=1, operation="repos/get")
    client(gh, timeout=(2.0, 0.3))  # the second try answers in time
    time.sleep(1.0)  # (the first is logged when its late answer is sent)
    assert ops(gh).count("repos/get") == 2
    gh.delay(1.0, times=None, operation="repos/get")
    start = time.monotonic()
    with pytest.raises(GitHubUnavailable, match="could not read repository"):
        client(gh, timeout=(2.0, 0.3))
    assert time.monotonic() - start < 4
    gh.clear_faults()


def test_a_comment_whose_answer_was_lost_is_not_made_twice(gh: LocalGitHub) -> None:
    c = client(gh, timeout=(2.0, 0.5))
    gh.delay(0.7, times=1, operation="issues/create-comment")  # made, but answered too late
    c.sticky_comment(7, "dataward:check", "first")
    time.sleep(1.0)  # the slow request has landed
    c.sticky_comment(7, "dataward:check", "second")
    assert [x["body"] for x in gh.comments(REPO, 7)] == ["<!-- dataward:check -->\nsecond"]


def test_an_issue_whose_answer_was_lost_is_not_opened_twice(gh: LocalGitHub) -> None:
    c = client(gh, timeout=(2.0, 0.5))
    gh.fail(times=1, status=502, operation="issues/create")
    c.upsert_issue("dataward:drift:lab", "Drift on lab", "2 behind")
    assert [i["title"] for i in gh.issues(REPO)].count("Drift on lab") == 1
    assert ops(gh).count("issues/create") == 2  # looked again, found none, made it once


def test_a_comment_quoting_the_marker_is_not_ours(gh: LocalGitHub) -> None:
    gh.add_comment(REPO, 7, "> <!-- dataward:check -->\n> why does this fail?", user="student")
    client(gh).sticky_comment(7, "dataward:check", "report")
    bodies = [x["body"] for x in gh.comments(REPO, 7)]
    assert bodies == ["> <!-- dataward:check -->\n> why does this fail?",
                      "<!-- dataward:check -->\nreport"]


def test_long_reports_are_cut_to_what_github_takes_in_bytes(gh: LocalGitHub) -> None:
    summary = "\n".join(f"| データセット/画像_{i}.png | 問題があります |" for i in range(3000))
    client(gh).check_run("dataward", head(gh), "failure", "3000 errors", summary,
                         [Annotation("a.dvc", 1, "failure", "t", "メッセージ" * 20_000)])
    [run] = gh.check_runs(REPO)
    assert len(run["output"]["summary"].encode()) <= 65_535
    assert run["output"]["summary"].endswith("(cut here: GitHub takes no more)")
    [note] = gh.annotations(REPO, run["id"])
    assert len(note["message"].encode()) <= 64 * 1024


def test_a_read_only_token_is_no_permission_and_never_printed(gh: LocalGitHub) -> None:
    with pytest.raises(NoPermission) as err:
        client(gh, READ_ONLY).check_run("dataward", head(gh), "success", "ok", "ok")
    assert "Resource not accessible by integration" in err.value.message
    assert READ_ONLY not in err.value.message + err.value.hint + repr(err.value)
    assert gh.check_runs(REPO) == []


def test_a_token_github_does_not_know_is_exit_3_and_never_printed(gh: LocalGitHub) -> None:
    bad = "ghs_unknown_token_0123456789abcdef"
    with pytest.raises(GitHubUnavailable) as err:
        client(gh, bad)
    assert not isinstance(err.value, NoPermission)
    assert "refused the token" in err.value.message
    assert bad not in err.value.message + err.value.hint + repr(err.value)


def test_github_enterprise_server_api_prefix() -> None:
    with LocalGitHub(prefix="/api/v3") as server:
        server.add_token(TOKEN)
        sha = server.add_repo(REPO)
        Client(server.api_url, TOKEN, REPO).status(sha, "success", "dataward/dvc-pushed", "ok")
        assert len(server.statuses(REPO, sha)) == 1
        server.check()


def test_unreachable_github_is_exit_3() -> None:
    server = LocalGitHub()
    url = server.api_url
    server.stop()  # the port is closed: connection refused
    with pytest.raises(GitHubUnavailable, match="could not read repository"):
        Client(url, TOKEN, REPO, backoff=0.01)


def test_a_request_github_refuses_is_exit_3_not_a_traceback(gh: LocalGitHub) -> None:
    gh.fail(times=1, status=422, operation="checks/create", message="Validation Failed")
    with pytest.raises(GitHubUnavailable, match=r"GitHub answered 422 \(Validation Failed\)"):
        client(gh).check_run("dataward", head(gh), "success", "ok", "ok")
