"""Drift reports through the lab's own DVC remote: `drift publish --remote` and `drift collect`,
with real DVC configs and credentials, against moto's S3 server on loopback."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import BIN, GITHUB_REPO, GITHUB_TOKEN
from tests.harness.dvcremote import (
    Template,
    from_template,
    local_config,
    new_bucket,
    registry,
    set_keys,
)
from tests.harness.ghstandin import LocalGitHub
from tests.harness.repo import GitRepo
from tests.harness.s3server import S3Server, free_port

PREFIX = "store/dataward/drift/"
ROOT = Path(__file__).resolve().parent.parent


def drift(repo: GitRepo, *args: str, env: dict[str, str] | None = None
          ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([f"{BIN}/dataward", "drift", *args], cwd=repo.path,
                          capture_output=True, text=True, timeout=180, check=False,
                          env={**os.environ, **(env or {})})


@pytest.fixture
def lab(tmp_path: Path, s3: S3Server, pushed_registry: Template) -> tuple[GitRepo, str, Path]:
    """A registry checkout whose default remote is its own bucket, and a scan's report of a
    lab machine holding its dog_and_cat: (checkout, bucket, report)."""
    repo, bucket = from_template(pushed_registry, tmp_path / "registry", s3)
    shutil.copytree(repo.path / "dog_and_cat", tmp_path / "machine" / "dog_and_cat")
    report = tmp_path / "lab-server.json"
    proc = drift(repo, "scan", "--env", "lab-server", "--root", str(tmp_path / "machine"),
                 "--registry", str(repo.path), "-o", str(report), "--no-state")
    assert proc.returncode == 0, proc.stderr
    return repo, bucket, report


def variant(report: Path, dest: Path, **changes: Any) -> Path:
    dest.write_text(json.dumps({**json.loads(report.read_text()), **changes}))
    return dest


def objects(s3: S3Server, bucket: str) -> dict[str, bytes]:
    client = s3.client()
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket, Prefix=PREFIX)
            .get("Contents", [])]
    return {k[len(PREFIX):]: client.get_object(Bucket=bucket, Key=k)["Body"].read()
            for k in keys}


def collect(repo: GitRepo, out: Path) -> subprocess.CompletedProcess[str]:
    return drift(repo, "collect", "--remote", "storage", "-o", str(out))


def test_reports_published_to_the_remote_are_collected_with_their_dashboards(
        lab: tuple[GitRepo, str, Path], s3: S3Server, tmp_path: Path) -> None:
    repo, bucket, report = lab
    abci = variant(report, tmp_path / "abci.json", env="abci")
    for path in (report, abci):
        proc = drift(repo, "publish", str(path), "--remote", "storage")
        assert proc.returncode == 0, proc.stderr
        assert "published to remote 'storage'" in proc.stdout
    proc = collect(repo, tmp_path / "site")
    assert proc.returncode == 0, proc.stderr
    assert "reports of 2 environments from remote 'storage'\nwritten to" in proc.stdout
    stored = objects(s3, bucket)
    site = tmp_path / "site"
    for env in ("lab-server", "abci"):
        assert (site / f"{env}.json").read_bytes() == stored[f"{env}.json"]
        assert json.loads(stored[f"{env}.json"])["env"] == env
        [snap] = json.loads((site / "history" / f"{env}.json").read_text())
        assert snap["env"] == env
    assert "| dataset | abci | lab-server |" in (site / "README.md").read_text()
    assert "lab-server" in (site / "index.html").read_text()
    again = drift(repo, "publish", str(report), "--remote", "storage")
    assert again.returncode == 0 and "(unchanged)" in again.stdout


@pytest.mark.parametrize("order", ["newer first", "older first"])
def test_an_older_report_never_replaces_a_newer_one_and_both_stay_in_history(
        lab: tuple[GitRepo, str, Path], s3: S3Server, tmp_path: Path, order: str) -> None:
    repo, bucket, newer = lab
    older = variant(newer, tmp_path / "older.json", time="2020-01-01T00:00:00Z")
    first, second = (newer, older) if order == "newer first" else (older, newer)
    assert drift(repo, "publish", str(first), "--remote", "storage").returncode == 0
    proc = drift(repo, "publish", str(second), "--remote", "storage")
    assert proc.returncode == 0, proc.stderr
    if order == "newer first":
        assert "already holds a later report of lab-server" in proc.stdout
    else:
        assert "published to remote 'storage'" in proc.stdout
    latest = json.loads(objects(s3, bucket)["lab-server.json"])
    assert latest["time"] == json.loads(newer.read_text())["time"]
    assert collect(repo, tmp_path / "site").returncode == 0
    times = [s["time"] for s in json.loads(
        (tmp_path / "site" / "history" / "lab-server.json").read_text())]
    assert times == ["2020-01-01T00:00:00Z", latest["time"]]


def test_publishers_at_once_lose_nothing_and_the_newest_wins(
        lab: tuple[GitRepo, str, Path], s3: S3Server, tmp_path: Path) -> None:
    """Two environments from two processes, and six reports of one environment racing (older
    ones among them): every report is kept, and each `<env>.json` is its newest."""
    repo, bucket, report = lab
    paths = [variant(report, tmp_path / "gpu.json", env="gpu-box"), report]
    paths += [variant(report, tmp_path / f"abci{d}.json", env="abci",
                      time=f"2026-01-0{d}T00:00:00Z") for d in (3, 1, 6, 2, 5, 4)]
    procs = [subprocess.Popen([f"{BIN}/dataward", "drift", "publish", str(p), "--remote",
                               "storage"], cwd=repo.path, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for p in paths]
    for proc in procs:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
    stored = objects(s3, bucket)
    assert {"gpu-box.json", "lab-server.json", "abci.json"} <= set(stored)
    assert json.loads(stored["abci.json"])["time"] == "2026-01-06T00:00:00Z"
    assert collect(repo, tmp_path / "site").returncode == 0
    history = json.loads((tmp_path / "site" / "history" / "abci.json").read_text())
    assert [s["time"][:10] for s in history] == [f"2026-01-0{d}" for d in range(1, 7)]


def test_objects_that_are_no_reports_are_left_out_with_a_warning(
        lab: tuple[GitRepo, str, Path], s3: S3Server, tmp_path: Path) -> None:
    repo, bucket, report = lab
    assert drift(repo, "publish", str(report), "--remote", "storage").returncode == 0
    client = s3.client()
    data = report.read_bytes()
    hostile = {"../x.json": data, "a b.json": data, "other.json": data,
               "garbage.json": b"\x00not json", "history/lab-server/x.json": b"[]",
               "reports/lab-server/99999999T999999Z-aaaaaaaaaaaa-bbbbbbbb.json": b"{}",
               "history/lab-server/20990101T000000Z-aaaaaaaaaaaa-bbbbbbbb.json": b"{\x1b[2J"}
    for key, body in hostile.items():
        client.put_object(Bucket=bucket, Key=PREFIX + key, Body=body)
    proc = collect(repo, tmp_path / "site")
    assert proc.returncode == 0, proc.stderr
    for key in ("../x.json", "a b.json", "other.json", "garbage.json",
                "history/lab-server/x.json",
                "history/lab-server/20990101T000000Z-aaaaaaaaaaaa-bbbbbbbb.json"):
        assert f"/dataward/drift/{key}: not a drift report, left out" in proc.stderr, key
    assert "\x1b" not in proc.stdout + proc.stderr
    site = tmp_path / "site"
    assert sorted(p.name for p in site.iterdir()) == ["README.md", "history", "index.html",
                                                      "lab-server.json"]
    assert not (tmp_path / "x.json").exists()
    assert len(json.loads((site / "history" / "lab-server.json").read_text())) == 1
    # A publish after them still lands: the bogus reports/ object is passed over.
    newer = variant(report, tmp_path / "newer.json", time=soon())
    proc = drift(repo, "publish", str(newer), "--remote", "storage")
    assert proc.returncode == 0 and "published" in proc.stdout, proc.stdout + proc.stderr
    assert json.loads(objects(s3, bucket)["lab-server.json"])["time"] == \
        json.loads(newer.read_text())["time"]


def soon(minutes: int = 2) -> str:
    """A time just ahead of now, as a clock a little ahead of this one writes it."""
    return (datetime.now(timezone.utc) + timedelta(minutes=minutes)).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def test_a_report_from_a_clock_ahead_is_refused_and_one_already_there_never_wins(
        lab: tuple[GitRepo, str, Path], s3: S3Server, tmp_path: Path) -> None:
    """Kept as the newest, a report dated next year would hold its environment's column for
    good and never turn stale."""
    repo, bucket, report = lab
    ahead = variant(report, tmp_path / "ahead.json", time="2099-01-01T00:00:00Z")
    proc = drift(repo, "publish", str(ahead), "--remote", "storage")
    assert proc.returncode == 2
    assert "its time 2099-01-01T00:00:00Z is ahead of this machine's clock" in proc.stderr
    assert "timedatectl set-ntp true" in proc.stderr
    assert "lab-server.json" not in objects(s3, bucket)
    # One written by an older dataward (or by hand) is passed over by the next publish.
    s3.client().put_object(Bucket=bucket, Key=PREFIX + "lab-server.json", Body=ahead.read_bytes())
    proc = drift(repo, "publish", str(report), "--remote", "storage")
    assert proc.returncode == 0 and "published to remote 'storage'" in proc.stdout, proc.stdout
    assert json.loads(objects(s3, bucket)["lab-server.json"]) == json.loads(report.read_text())


def test_a_snapshot_with_no_report_behind_it_never_says_what_is_held(
        lab: tuple[GitRepo, str, Path], s3: S3Server, tmp_path: Path) -> None:
    """A publisher stopped between its report and its snapshot, or a stray object: a later
    snapshot that expects no dataset must not break collect nor change the page."""
    repo, bucket, report = lab
    assert drift(repo, "publish", str(report), "--remote", "storage").returncode == 0
    stray = {"schema_version": 1, "env": "lab-server", "time": soon(), "registry_commit":
             "a" * 40, "datasets": {}}
    name = f"{soon().replace('-', '').replace(':', '')}-{'a' * 12}-{'b' * 8}.json"
    s3.client().put_object(Bucket=bucket, Key=f"{PREFIX}history/lab-server/{name}",
                           Body=json.dumps(stray).encode())
    proc = collect(repo, tmp_path / "site")
    assert proc.returncode == 0, proc.stderr
    history = json.loads((tmp_path / "site" / "history" / "lab-server.json").read_text())
    assert [s["time"] for s in history] == [json.loads(report.read_text())["time"]]
    page = (tmp_path / "site" / "index.html").read_text()
    assert "dog_and_cat" in page and "internal error" not in proc.stderr


def test_collect_keeps_the_folders_older_history_and_says_when_there_is_nothing(
        lab: tuple[GitRepo, str, Path], s3: S3Server, tmp_path: Path) -> None:
    repo, bucket, report = lab
    site = tmp_path / "site"
    proc = collect(repo, site)
    assert proc.returncode == 0, proc.stderr
    assert ("yet: each environment publishes with `dataward drift publish REPORT --remote "
            "storage`") in proc.stdout
    older = variant(report, tmp_path / "older.json", time="2026-01-01T00:00:00Z")
    assert drift(repo, "publish", str(older), "--remote", "storage").returncode == 0
    assert collect(repo, site).returncode == 0
    # The remote forgets (a lifecycle rule, a clean-up): the folder still remembers.
    client = s3.client()
    for key in objects(s3, bucket):
        if key.startswith("history/"):
            client.delete_object(Bucket=bucket, Key=PREFIX + key)
    assert drift(repo, "publish", str(report), "--remote", "storage").returncode == 0
    assert collect(repo, site).returncode == 0
    times = [s["time"] for s in json.loads((site / "history" / "lab-server.json").read_text())]
    assert times == ["2026-01-01T00:00:00Z", json.loads(report.read_text())["time"]]
    (tmp_path / "afile").write_text("mine\n")
    proc = collect(repo, tmp_path / "afile")
    assert proc.returncode == 2 and "-o " in proc.stderr and "is a file" in proc.stderr
    assert (tmp_path / "afile").read_text() == "mine\n"


SECRET = "wrong-secret-that-must-never-be-printed"
MINIMAL: dict[str, Any] = {  # a report of an environment that expects no dataset
    "schema_version": 1, "generator": "dataward", "env": "lab", "host": "h", "root": "/data",
    "registry": None, "registry_commit": "a" * 40, "time": "2026-01-01T00:00:00Z",
    "summary": {"counts": {}, "registered": 0, "in_sync": 0, "coverage": 1,
                "unregistered": 0},
    "datasets": [], "unregistered": []}


def test_refused_credentials_are_exit_3_and_never_printed(tmp_path: Path) -> None:
    server = S3Server(auth=True).start()
    try:
        repo = registry(tmp_path / "registry", server, new_bucket(server))
        set_keys(repo, ("AKIAWRONGKEY00000001", SECRET))
        report = tmp_path / "r.json"
        report.write_text(json.dumps(MINIMAL))
        for args in (["publish", str(report), "--remote", "storage"],
                     ["collect", "--remote", "storage", "-o", str(tmp_path / "out")]):
            proc = drift(repo, *args)
            said = proc.stdout + proc.stderr
            assert proc.returncode == 3, said
            assert "refused the credentials" in said and SECRET not in said
            assert not (tmp_path / "out").exists()
    finally:
        server.stop()


def test_a_remote_that_is_down_is_exit_3_for_publish_and_collect(
        lab: tuple[GitRepo, str, Path], tmp_path: Path) -> None:
    repo, _, report = lab
    local_config(repo, "storage", endpointurl=f"http://127.0.0.1:{free_port()}",
                 secret_access_key=SECRET)
    for args in (["publish", str(report), "--remote", "storage", "--timeout", "20"],
                 ["collect", "--remote", "storage", "-o", str(tmp_path / "out")]):
        proc = drift(repo, *args)
        said = proc.stdout + proc.stderr
        assert proc.returncode == 3, said
        assert "cannot reach remote 'storage'" in said and SECRET not in said


def test_a_bucket_that_does_not_exist_is_no_empty_remote(
        lab: tuple[GitRepo, str, Path], tmp_path: Path) -> None:
    repo, _, report = lab
    local_config(repo, "storage", url="s3://no-such-bucket-here/store")
    proc = drift(repo, "collect", "--remote", "storage", "-o", str(tmp_path / "out"))
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "bucket 'no-such-bucket-here' does not exist" in proc.stderr
    proc = drift(repo, "publish", str(report), "--remote", "storage")
    assert proc.returncode == 3, proc.stdout + proc.stderr


def test_remote_and_issue_together_or_an_unknown_remote_are_usage_errors(
        lab: tuple[GitRepo, str, Path]) -> None:
    repo, _, report = lab
    proc = drift(repo, "publish", str(report), "--remote", "storage", "--issue")
    assert proc.returncode == 2 and "--issue" in proc.stderr
    proc = drift(repo, "publish", str(report), "--remote", "nope")
    assert proc.returncode == 2 and "dvc remote list" in proc.stderr, proc.stderr
    proc = drift(repo, "collect", "--remote", "storage", "-o", "out", "--registry",
                 str(report.parent / "nowhere"))
    assert proc.returncode == 2 and "is not a DVC project" in proc.stderr


# -- the keys and the choice of the newest, without a remote ------------------------------------

@given(st.text(min_size=1, max_size=70))
def test_an_environment_name_never_leaves_the_prefix(name: str) -> None:
    from dataward.drift import remote_reports as rr

    try:
        keys = [rr.latest_key(name), rr.report_key(name, "e.json"),
                rr.history_key(name, "e.json")]
    except ValueError:
        return
    for key in keys:
        assert key.startswith(rr.PREFIX) and ".." not in key
        assert re.fullmatch(r"[A-Za-z0-9._/-]+", key), key
        assert key.count("/") == rr.PREFIX.count("/") + (0 if key == keys[0] else 2)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 10**9), min_size=1, max_size=6, unique=True),
       st.integers(0, 5), st.integers(-1, 5))
def test_the_newest_report_is_kept_whatever_order_they_come_in(
        seconds: list[int], mine: int, current: int) -> None:
    from datetime import datetime, timezone

    from dataward.drift import remote_reports as rr
    from dataward.drift.model import DriftReport

    base = MINIMAL
    made = []
    for s in seconds:
        time = datetime.fromtimestamp(s, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        report = DriftReport.model_validate({**base, "time": time})
        body = report.model_dump_json(indent=2).encode() + b"\n"
        made.append(rr.Newest(rr.entry(report, body), body, time))
    ours = made[mine % len(made)]
    on_top = made[current % len(made)].body if current >= 0 else None
    stored = {n.entry: n.body for n in made}
    pick = rr.newest(base["env"], ours, on_top, stored, stored.get)
    assert pick.time == max(n.time for n in made)


def test_collect_commits_the_remotes_reports_beside_the_branchs_own(
        lab: tuple[GitRepo, str, Path], github: LocalGitHub, tmp_path: Path) -> None:
    """The catalog workflow's step: what lab machines published to the remote goes to drift/
    on the dataward branch, where an environment that publishes through GitHub stays."""
    repo, _, report = lab
    env = {"GITHUB_TOKEN": GITHUB_TOKEN, "GITHUB_REPOSITORY": GITHUB_REPO,
           "GITHUB_API_URL": github.api_url}
    direct = variant(report, tmp_path / "abci.json", env="abci")
    earlier = variant(report, tmp_path / "abci0.json", env="abci", time="2026-01-01T00:00:00Z")
    for path in (earlier, direct):  # through GitHub: its history grows on the branch
        proc = drift(repo, "publish", str(path), env=env)
        assert proc.returncode == 0 and "published to dataward" in proc.stdout, proc.stderr
    files = github.files(GITHUB_REPO, "dataward")
    assert [s["time"] for s in json.loads(files["drift/history/abci.json"])] == \
        ["2026-01-01T00:00:00Z", json.loads(direct.read_text())["time"]]
    assert "abci" in files["drift/index.html"].decode()
    assert drift(repo, "publish", str(report), "--remote", "storage").returncode == 0
    proc = drift(repo, "collect", "--remote", "storage", "--branch", "dataward", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "drift folder committed to dataward as" in proc.stdout
    files = github.files(GITHUB_REPO, "dataward")
    assert {"drift/abci.json", "drift/lab-server.json", "drift/history/abci.json",
            "drift/history/lab-server.json", "drift/README.md", "drift/index.html"} <= set(files)
    assert "| dataset | abci | lab-server |" in files["drift/README.md"].decode()
    # abci moves from GitHub to the remote: its branch history stays, the remote's adds.
    moved = variant(report, tmp_path / "abci2.json", env="abci", time=soon())
    assert drift(repo, "publish", str(moved), "--remote", "storage").returncode == 0
    assert drift(repo, "collect", "--remote", "storage", "--branch", "dataward",
                 env=env).returncode == 0
    files = github.files(GITHUB_REPO, "dataward")
    assert [s["time"] for s in json.loads(files["drift/history/abci.json"])] == \
        ["2026-01-01T00:00:00Z", json.loads(direct.read_text())["time"],
         json.loads(moved.read_text())["time"]]
    again = drift(repo, "collect", "--remote", "storage", "--branch", "dataward", env=env)
    assert again.returncode == 0, again.stderr
    # Nothing new: the reports and histories stay as they are. The dashboards say when they
    # were written (ages, staleness), so a run in a later minute rewrites only them.
    after = github.files(GITHUB_REPO, "dataward")
    assert {p for p in set(files) | set(after) if files.get(p) != after.get(p)} <= \
        {"drift/README.md", "drift/index.html"}
    assert drift(repo, "collect", "--remote", "storage").returncode == 2


def holding_data(page: bytes) -> dict[str, Any]:
    """The holdings the catalog page embeds (dataset -> environments), or {} without any."""
    text = page.decode()
    marker = '<script type="application/json" id="holding-data">'
    if marker not in text:
        return {}
    return json.loads(text.split(marker, 1)[1].split("</script>", 1)[0])  # type: ignore[no-any-return]


def test_the_published_catalog_page_says_who_holds_which_version_whichever_lands_last(
        lab: tuple[GitRepo, str, Path], github: LocalGitHub) -> None:
    repo, _, report = lab
    env = {"GITHUB_TOKEN": GITHUB_TOKEN, "GITHUB_REPOSITORY": GITHUB_REPO,
           "GITHUB_API_URL": github.api_url}
    catalog = subprocess.run([f"{BIN}/dataward", "catalog", "publish"], cwd=repo.path,
                             capture_output=True, text=True, timeout=180, check=False,
                             env={**os.environ, **env})
    assert catalog.returncode == 0, catalog.stderr
    assert holding_data(github.files(GITHUB_REPO, "dataward")["index.html"]) == {}
    # A drift report lands after the catalog: the drift commit rewrites the page.
    assert drift(repo, "publish", str(report), env=env).returncode == 0
    page = holding_data(github.files(GITHUB_REPO, "dataward")["index.html"])
    [held] = page["datasets"]["dog_and_cat"]
    assert (held["env"], held["status"], held["version"]) == ("lab-server", "in_sync", 1)
    # The catalog lands after the report (a new merge): its page keeps them.
    repo.write("NOTES.md", "a merge\n")
    repo.add("NOTES.md")
    repo.commit("a merge")
    again = subprocess.run([f"{BIN}/dataward", "catalog", "publish"], cwd=repo.path,
                           capture_output=True, text=True, timeout=180, check=False,
                           env={**os.environ, **env})
    assert again.returncode == 0 and "published to dataward" in again.stdout, again.stderr
    files = github.files(GITHUB_REPO, "dataward")
    assert json.loads(files["catalog.json"])["commit"] == repo.head()
    assert [h["env"] for h in holding_data(files["index.html"])["datasets"]["dog_and_cat"]] \
        == ["lab-server"]
    # Nothing new, a minute later or not: no commit (the page's ages alone do not make one).
    third = subprocess.run([f"{BIN}/dataward", "catalog", "publish"], cwd=repo.path,
                           capture_output=True, text=True, timeout=180, check=False,
                           env={**os.environ, **env})
    assert third.returncode == 0 and "already holds it; no commit" in third.stdout, third.stdout
    assert github.files(GITHUB_REPO, "dataward") == files


def test_the_actions_publish_to_the_remote_and_the_catalog_workflow_collects(
        s3: S3Server, github: LocalGitHub, tmp_path: Path) -> None:
    """actions/drift-report with `remote` on a lab runner with no GitHub token, then the
    catalog workflow's publish-catalog with `drift-remote`: the report reaches the dashboard
    on the dataward branch, with only the remote's credentials on the lab machine."""
    from tests.harness import actrun
    from tests.harness.dvcremote import DOGS, add_dataset
    from tests.test_actions_act import WHEELHOUSE

    bucket = new_bucket(s3)
    repo = registry(tmp_path / "registry", s3, bucket)
    add_dataset(repo, "dog_and_cat", DOGS)
    repo.commit("dog_and_cat version 1")
    lab = tmp_path / "lab"
    shutil.copytree(repo.path / "dog_and_cat", lab / "dog_and_cat")
    keys = {"AWS_ACCESS_KEY_ID": s3.keys[0], "AWS_SECRET_ACCESS_KEY": s3.keys[1]}
    common = {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": WHEELHOUSE, **keys}
    lab_job = tmp_path / "drift.yml"
    lab_job.write_text(f"""
name: drift
on: workflow_dispatch
permissions: {{}}
jobs:
  drift:
    runs-on: [self-hosted, lab-server]
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683
        with: {{fetch-depth: 0, persist-credentials: false}}
      - uses: dataward/dataward/actions/drift-report@v0.1.0
        with: {{env: lab-server, root: "{lab}", remote: storage, python: "{sys.executable}"}}
""")
    result = actrun.run_act(repo.path, lab_job, {}, event_name="workflow_dispatch",
                            env={"GITHUB_API_URL": github.api_url, **common},
                            stubs={"dataward/dataward": ROOT}, scratch=tmp_path / "act1",
                            timeout=600)
    assert result.job_results == {"drift": "success"}, result
    assert "published to remote 'storage'" in result.log
    assert json.loads(objects(s3, bucket)["lab-server.json"])["env"] == "lab-server"
    assert github.files(GITHUB_REPO, "dataward") == {} and github.issues(GITHUB_REPO) == []

    catalog_job = tmp_path / "catalog.yml"
    catalog_job.write_text("""
name: catalog
on: workflow_dispatch
permissions: {}
jobs:
  catalog:
    runs-on: ubuntu-latest
    permissions: {contents: write}
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683
        with: {fetch-depth: 0, persist-credentials: false}
      - uses: dataward/dataward/actions/publish-catalog@v0.1.0
        with: {drift-remote: storage}
""")
    result = actrun.run_act(repo.path, catalog_job, {}, event_name="workflow_dispatch",
                            env={"GITHUB_API_URL": github.api_url,
                                 "GITHUB_SERVER_URL": "https://github.example", **common},
                            secrets={"GITHUB_TOKEN": GITHUB_TOKEN},
                            stubs={"dataward/dataward": ROOT}, scratch=tmp_path / "act2",
                            timeout=600)
    assert result.job_results == {"catalog": "success"}, result
    files = github.files(GITHUB_REPO, "dataward")
    assert {"catalog.json", "drift/lab-server.json", "drift/history/lab-server.json",
            "drift/README.md", "drift/index.html"} <= set(files)
    assert "| dog_and_cat (v1) | ✅ v1 |" in files["drift/README.md"].decode()
    # The catalog page, rewritten by the drift commit, says who holds which version.
    assert [h["env"] for h in holding_data(files["index.html"])["datasets"]["dog_and_cat"]] \
        == ["lab-server"]
    assert s3.keys[1] not in result.log


def test_a_remote_whose_dvc_plugin_is_missing_names_that_plugin(tmp_path: Path) -> None:
    """As PIReTship/bookdata-tools keeps its data: a WebDAV remote, whose plugin (dvc-webdav)
    is not installed here."""
    repo = GitRepo.init(tmp_path / "registry")
    repo.write(".dvc/config", "[core]\n    remote = vault\n['remote \"vault\"']\n"
                              "    url = webdavs://dav.example/vault/dvc/\n")
    proc = drift(repo, "collect", "--remote", "vault", "-o", str(tmp_path / "site"))
    assert proc.returncode == 2
    assert "remote 'vault' needs a dvc plugin" in proc.stderr
    assert "pip install dvc-webdav" in proc.stderr
