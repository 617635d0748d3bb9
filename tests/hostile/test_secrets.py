"""Secrets never leave: a password, a token or a signed query in a URL is never printed by
`dvc-config` (in any format), never published by the catalog (catalog.json, the page, the
Croissant records) and never written by `dataward init`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dataward import runner
from dataward.adapters.git import Repo
from dataward.checks.dvc_config import check, main
from dataward.formats.urls import has_credentials, mask, mask_text, remote_key, repo_key
from dataward.policy import DvcConfigPolicy
from dataward.report import markdown
from tests.conftest import BIN
from tests.harness.hookrun import Result
from tests.harness.hookrun import runner as hook_runner
from tests.harness.repo import GitRepo

Hook = Callable[..., Result]
SECRET = "s3cr3t-XYZZY"
FORMATS = ("text", "json", "sarif", "github")

# (as written, as shown): every scheme dataward meets, every place a secret hides.
TABLE = [
    ("https://alice:pw@dav.example/x", "https://***@dav.example/x"),
    ("http://alice:pw@dav.example:8080/x", "http://***@dav.example:8080/x"),
    ("webdav://alice:pw@dav.example/x", "webdav://***@dav.example/x"),
    ("webdavs://ghp_TOKEN@dav.example/x", "webdavs://***@dav.example/x"),
    ("s3://AKIAKEYID:wJalr/K7@bucket/path", "s3://***@bucket/path"),
    ("gs://user:pw@bucket/path", "gs://***@bucket/path"),
    ("azure://acct:key@container/path", "azure://***@container/path"),
    ("ssh://git@host/x", "ssh://git@host/x"),
    ("ssh://git:pw@host/x", "ssh://***@host/x"),
    ("git@github.com:Lab/datasets.git", "git@github.com:Lab/datasets.git"),
    ("file:///srv/remote", "file:///srv/remote"),
    ("/srv/remote", "/srv/remote"),
    ("../remote", "../remote"),
    ("C:\\lab\\remote", "C:\\lab\\remote"),
    ("https://alice:p@ss@dav.example/x", "https://***@dav.example/x"),  # raw @
    ("https://alice:p/ss@dav.example/x", "https://***@dav.example/x"),  # raw /
    ("https://alice:a@b/c@dav.example/x", "https://***@dav.example/x"),  # both
    ("https://alice:p:s:s@dav.example/x", "https://***@dav.example/x"),  # raw :
    ("https://alice:p%40ss@dav.example/x", "https://***@dav.example/x"),  # encoded @
    ("https://alice:1234/5@dav.example/x", "https://***@dav.example/x"),  # a port-like start
    ("https://ghp_abc123@github.com/lab/ds", "https://***@github.com/lab/ds"),  # token user
    ("https://h.example/x?token=abc&v=1", "https://h.example/x?token=***&v=1"),
    ("azure://c/p?sv=2022&sig=abc%2Fdef", "azure://c/p?sv=2022&sig=***"),
    ("https://b.s3.example/k?X-Amz-Credential=AKIA%2F&X-Amz-Signature=ff",
     "https://b.s3.example/k?X-Amz-Credential=***&X-Amz-Signature=***"),
    ("https://h.example/cb#access_token=abc&x=1", "https://h.example/cb#access_token=***&x=1"),
    ("https://h.example/x?access_token=abc", "https://h.example/x?access_token=***"),
    ("https://alice:pw@[fe80::1]:8443/x", "https://***@[fe80::1]:8443/x"),
    ("https://[::1]:8443/dav/u@lab.example/x", "https://[::1]:8443/dav/u@lab.example/x"),
    ("https://cloud.example:443/dav/files/u@lab.example/dvc",
     "https://cloud.example:443/dav/files/u@lab.example/dvc"),  # an @ in the path stays
    ("https://u:pw@cloud.example/dav/u@lab.example/dvc", "https://***@lab.example/dvc"),
    ("https://u:pw@h.example/x?mail=ada@lab.example", "https://***@h.example/x?mail=ada@lab.example"),
    ("s3://bucket/people/ada@lab.example/x", "s3://bucket/people/ada@lab.example/x"),
]


@pytest.mark.parametrize(("url", "shown"), TABLE)
def test_mask_shows_every_url_shape_without_its_secret(url: str, shown: str) -> None:
    assert mask(url) == shown
    assert mask(shown) == shown  # masking twice changes nothing
    assert has_credentials(url) == (url != shown)
    assert mask_text(f"could not reach '{url}': refused") == f"could not reach '{shown}': refused"


def test_the_keys_parse_user_information_as_mask_does() -> None:
    url = "https://alice:p@ss/w@rd@dav.example/Store/"
    assert remote_key(url) == "https://dav.example/Store"
    assert repo_key(url) == "dav.example/store"
    assert remote_key("HTTPS://tok@Dav.Example/x") == remote_key("https://dav.example/x")


_SECRET_CHARS = st.sampled_from("abcdefXYZ0123456789-_.~!$&'()*+,;=:@/%")
_TOKEN_CHARS = st.sampled_from("abcdefXYZ0123456789-_.~")
# A secret starts with a letter: `https://user:1234/x@host` could be a host and port.
secrets = st.builds(lambda a, b: a + b, st.sampled_from("abcXYZ"),
                    st.text(_SECRET_CHARS, min_size=7, max_size=30)).filter(
    lambda s: s.count("@") < 3)
tokens = st.text(_TOKEN_CHARS, min_size=8, max_size=30)
schemes = st.sampled_from(["http", "https", "webdav", "webdavs", "s3", "gs", "azure", "ssh"])
hosts = st.sampled_from(["dav.example", "dav.example:8443", "[fe80::1]", "bucket", "h"])
paths = st.sampled_from(["", "/", "/dvc", "/a/b/", "/people/ada@lab.example/x"])
params = st.sampled_from(["token", "sig", "X-Amz-Signature", "access_token", "password",
                          "sas_token", "X-Amz-Credential"])


def _after_userinfo(host: str, path: str) -> str:
    """What `mask` keeps: with user information, an `@` in the path could as well end a
    password, so masking goes on to the last one (no part of a password is shown)."""
    return host + path if "@" not in path else path[path.rindex("@") + 1:]


@settings(max_examples=400)
@given(scheme=schemes, host=hosts, path=paths, secret=secrets, user=st.sampled_from(
    ["alice", "a.b", ""]))
# found by this test on a fresh clone: `a0000://` in a password was taken for a second URL
@example(scheme="http", host="dav.example", path="", secret="a0000://", user="alice")
@example(scheme="https", host="h", path="/x", secret="p@ss://w", user="alice")
def test_a_password_never_survives_mask(scheme: str, host: str, path: str, secret: str,
                                        user: str) -> None:
    url = f"{scheme}://{user}:{secret}@{host}{path}"
    assert mask(url) == f"{scheme}://***@{_after_userinfo(host, path)}"
    assert secret not in mask_text(f"error: {url} failed")


@settings(max_examples=200)
@given(scheme=st.sampled_from(["http", "https", "webdav", "webdavs", "s3", "gs", "azure"]),
       host=hosts, path=paths, token=tokens)
def test_a_token_as_the_user_never_survives_mask(scheme: str, host: str, path: str,
                                                 token: str) -> None:
    assert mask(f"{scheme}://{token}@{host}{path}") == \
        f"{scheme}://***@{_after_userinfo(host, path)}"


@settings(max_examples=200)
@given(host=hosts, path=paths, param=params, token=tokens,
       before=st.sampled_from(["", "v=1&", "a=b&c=d&"]))
def test_a_query_secret_never_survives_mask(host: str, path: str, param: str, token: str,
                                            before: str) -> None:
    url = f"https://{host}{path}?{before}{param}={token}"
    assert mask(url) == f"https://{host}{path}?{before}{param}=***"


# -- dvc-config --------------------------------------------------------------------------------

@pytest.fixture
def hook(capsys: pytest.CaptureFixture[str]) -> Hook:
    return hook_runner(main, capsys)


def _all_outputs(hook: Hook, root: Path) -> str:
    """What every format prints, and the Markdown of a job summary or pull-request comment."""
    shown = "".join(r.out + r.err for r in (hook("--format", f) for f in FORMATS))
    found = check(Repo.discover(str(root)), DvcConfigPolicy())
    return shown + markdown.render([runner.outcome("dvc-config", found)], "dataward")


HEAD = "[core]\n    remote = storage\n['remote \"storage\"']\n    url = s3://lab-data/registry\n"
PLACES = {
    "remote url": ("['remote \"web\"']\n    url = {url}\n", '[remote "web"] url'),
    "endpointurl": ("['remote \"minio\"']\n    url = s3://x/y\n    endpointurl = {url}\n",
                    '[remote "minio"] endpointurl'),
    "another section": ("[studio]\n    url = {url}\n", "[studio] url"),
    "nested section": ("['remote \"web\"']\n    url = s3://x/y\n    [[sub]]\n"
                       "    url = {url}\n", "[sub] url"),
    "a list": ("['remote \"web\"']\n    url = s3://x/y, {url}\n", '[remote "web"] url'),
}
FORMS = {
    "password": (f"https://alice:{SECRET}@dav.example/x", "https://***@dav.example/x"),
    "raw @ and /": (f"https://alice:{SECRET}@p/w@dav.example/x", "https://***@dav.example/x"),
    "token user": (f"webdavs://{SECRET}@dav.example/x", "webdavs://***@dav.example/x"),
    "s3 key id": (f"s3://{SECRET}:wJalr@bucket/x", "s3://***@bucket/x"),
    "query token": (f"https://dav.example/x?token={SECRET}", "https://dav.example/x?token=***"),
    "azure sig": (f"azure://c/p?sv=1&sig={SECRET}", "azure://c/p?sv=1&sig=***"),
}


@pytest.mark.parametrize("place", list(PLACES))
@pytest.mark.parametrize("form", list(FORMS))
def test_dvc_config_flags_every_credential_and_never_prints_it(
        repo: GitRepo, hook: Hook, place: str, form: str) -> None:
    url, shown = FORMS[form]
    text, where = PLACES[place]
    (repo.path / ".dvc").mkdir()
    (repo.path / ".dvc" / "config").write_text(HEAD + text.format(url=url))
    res = hook("--format", "json")
    assert res.code == 1, res.out + res.err
    [finding] = [f for f in res.findings() if f["rule"] == "password-in-url"]
    assert finding["path"] == ".dvc/config"
    assert f"{where} " in finding["message"] and shown in finding["message"]
    assert "carries a credential" in finding["message"]
    assert SECRET not in _all_outputs(hook, repo.path)


def test_the_right_place_for_a_credential_url_is_config_local(repo: GitRepo, hook: Hook) -> None:
    (repo.path / ".dvc").mkdir()
    (repo.path / ".dvc" / "config").write_text(HEAD)
    (repo.path / ".dvc" / ".gitignore").write_text("/config.local\n")
    (repo.path / ".dvc" / "config.local").write_text(
        f"['remote \"storage\"']\n    url = https://alice:{SECRET}@dav.example/x\n")
    assert hook() == Result(0, "", "")
    # Committed anyway: reported as committed, the URL not quoted.
    repo.git("add", "-f", ".dvc/config.local")
    res = hook()
    assert res.code == 1 and "config-local-committed" in res.out + hook("--format", "json").out
    assert SECRET not in _all_outputs(hook, repo.path)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(secret=secrets.filter(lambda s: not any(c in s for c in "#,'\"")),
       scheme=schemes, host=hosts)
def test_dvc_config_never_prints_a_generated_password(repo: GitRepo, hook: Hook, secret: str,
                                                      scheme: str, host: str) -> None:
    (repo.path / ".dvc").mkdir(exist_ok=True)
    (repo.path / ".dvc" / "config").write_text(
        f"{HEAD}['remote \"web\"']\n    url = {scheme}://alice:{secret}@{host}/x\n")
    res = hook("--format", "json")
    assert res.code == 1
    assert any(f["rule"] == "password-in-url" for f in res.findings())
    assert secret not in _all_outputs(hook, repo.path)


def test_a_key_after_the_first_mib_is_still_read(repo: GitRepo, hook: Hook) -> None:
    (repo.path / ".dvc").mkdir()
    padding = "".join(f"    # {'x' * 70}\n" for _ in range(20_000))  # 1.5 MiB of comments
    (repo.path / ".dvc" / "config").write_text(
        HEAD + padding + f"    secret_access_key = {SECRET}\n")
    res = hook()
    assert res.code == 1
    assert f".dvc/config:{5 + 20_000}: [dvc-config] [remote \"storage\"] holds " \
           "`secret_access_key`" in res.out
    assert SECRET not in res.out + res.err


def test_a_config_too_large_to_check_fails(repo: GitRepo, hook: Hook) -> None:
    (repo.path / ".dvc").mkdir()
    with open(repo.path / ".dvc" / "config", "w") as fh:
        fh.write(HEAD)
        fh.write("    # padding\n" * ((16 << 20) // 14 + 1))
        fh.write(f"    password = {SECRET}\n")
    res = hook()
    assert res.code == 1
    assert ".dvc/config: [dvc-config] is larger than 16 MiB, so it is not checked" in res.out
    assert "git checkout -- .dvc/config" in res.out
    assert SECRET not in res.out + res.err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_as_the_config_does_not_hang(repo: GitRepo) -> None:
    (repo.path / ".dvc").mkdir()
    repo.write(".dvc/config", HEAD)
    repo.add(".dvc/config")
    os.unlink(repo.path / ".dvc" / "config")
    os.mkfifo(repo.path / ".dvc" / "config")
    run = subprocess.run([sys.executable, "-m", "dataward.checks.dvc_config"], cwd=repo.path,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 1, run.stdout + run.stderr
    assert ".dvc/config: [dvc-config] cannot be read: is a FIFO, not a file" in run.stdout


# -- dataward init -----------------------------------------------------------------------------

def _init(repo: GitRepo, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dataward", "init", *args], cwd=repo.path,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("url", [f"https://alice:{SECRET}@git.lab.example/dataward",
                                 f"https://{SECRET}@git.lab.example/dataward",
                                 f"https://git.lab.example/dataward?private_token={SECRET}"])
def test_init_refuses_a_hook_repo_with_a_credential(repo: GitRepo, url: str) -> None:
    before = sorted(p.name for p in repo.path.iterdir())
    run = _init(repo, "--user-repo", "--no-pre-commit", "--hook-repo", url)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "carries a credential" in run.stderr and "credential.helper" in run.stderr
    assert SECRET not in run.stdout + run.stderr
    assert sorted(p.name for p in repo.path.iterdir()) == before  # nothing written


def test_init_keeps_a_users_file_named_like_its_old_temporary(repo: GitRepo) -> None:
    repo.write(".pre-commit-config.yaml", "repos: []\n")
    mine = repo.write(".pre-commit-config.yaml.dataward-new", "my notes\n")
    from dataward.adopt.plan import apply, make_plan

    (repo.path / ".dvc").mkdir()  # as `dvc init` leaves it: the plan runs no command then
    plan = make_plan(Repo.discover(str(repo.path)), "project", pre_commit=True)
    apply(Repo.discover(str(repo.path)), plan._replace(hooks=[]))
    assert mine.read_text() == "my notes\n"
    assert "dataward/dataward" in (repo.path / ".pre-commit-config.yaml").read_text()
    assert not [p for p in repo.path.iterdir() if p.name.endswith(".dataward-tmp")]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_init_does_not_hang_on_a_fifo(repo: GitRepo) -> None:
    os.mkfifo(repo.path / "dataward.toml")
    run = _init(repo, "--user-repo", "--no-pre-commit")
    assert run.returncode == 2, run.stdout + run.stderr
    assert "dataward.toml" in run.stderr and "FIFO" in run.stderr


# -- the catalog -------------------------------------------------------------------------------

def _dvcfile(md5: str, path: str) -> str:
    return f"outs:\n- md5: {md5}\n  size: 10\n  hash: md5\n  path: {path}\n"


def test_the_catalog_publishes_no_credential(repo: GitRepo, tmp_path: Path) -> None:
    repo.write(".dvc/config", "[core]\n    remote = store\n['remote \"store\"']\n"
                              f"    url = https://alice:{SECRET}@p/w@dav.example/store\n"
                              "['remote \"signed\"']\n"
                              f"    url = azure://c/p?sv=1&sig={SECRET}\n")
    repo.write("data.csv.dvc", _dvcfile("a" * 32, "data.csv"))
    repo.write("signed.csv.dvc", _dvcfile("b" * 32, "signed.csv").replace(
        "  path:", "  remote: signed\n  path:"))
    repo.write("labels.dvc", "deps:\n- path: labels\n  repo:\n"
                             f"    url: https://{SECRET}@github.com/other/registry\n"
                             f"    rev_lock: {'c' * 40}\n"
                             f"outs:\n- md5: {'d' * 32}.dir\n  size: 10\n  nfiles: 1\n"
                             "  hash: md5\n  path: labels\n")
    repo.add(".dvc/config", "data.csv.dvc", "signed.csv.dvc", "labels.dvc")
    repo.commit("add data")
    repo.git("remote", "add", "origin", f"https://bob:{SECRET}@github.com/lab/datasets")
    out = tmp_path / "site"
    run = subprocess.run(
        [f"{BIN}/dataward", "catalog", "build", "-o", str(out / "catalog.json"),
         "--croissant-dir", str(out / "croissant"), "--html", str(out / "index.html")],
        cwd=repo.path, capture_output=True, text=True, timeout=120,
        env={k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")})
    assert run.returncode == 0, run.stderr
    assert SECRET not in run.stdout + run.stderr
    published = [p for p in out.rglob("*") if p.is_file()]
    assert len(published) == 5  # catalog.json, index.html, three records
    for path in published:
        assert SECRET not in path.read_text(), path
    catalog = json.loads((out / "catalog.json").read_text())
    # the registry goes into `dvc import` commands: its credential left out, so they work pasted
    assert catalog["registry"] == "https://github.com/lab/datasets"
    datasets = {d["name"]: d for d in catalog["datasets"]}
    assert datasets["data.csv"]["remote_url"] == "https://dav.example/store"
    assert datasets["signed.csv"]["remote_url"] == "azure://c/p?sv=1&sig=***"
    assert datasets["labels"]["imported"]["url"] == "https://github.com/other/registry"
