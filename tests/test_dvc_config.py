"""dvc-config: no credentials in the committed config, and a default remote the policy allows."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataward.checks.dvc_config import main
from tests.harness.dvcrun import dvc
from tests.harness.hookrun import Result, runner
from tests.harness.repo import GitRepo

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@pytest.fixture
def hook(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    return runner(main, capsys)


def config(text: str) -> str:
    return ("[core]\n    remote = storage\n['remote \"storage\"']\n"
            "    url = s3://lab-data/registry\n" + text)


def test_config_written_by_real_dvc(repo: GitRepo, hook) -> None:
    dvc(repo.path, "init", "-q")
    dvc(repo.path, "remote", "add", "-d", "storage", "s3://lab-data/registry")
    dvc(repo.path, "remote", "modify", "--local", "storage", "secret_access_key", SECRET)
    repo.git("add", "-A")
    assert hook() == Result(0, "", "")  # the secret went to config.local, which git ignores

    dvc(repo.path, "remote", "modify", "storage", "secret_access_key", SECRET)
    dvc(repo.path, "remote", "modify", "storage", "access_key_id", "AKIAIOSFODNN7EXAMPLE")
    res = hook("--format", "text")
    assert res.code == 1
    assert '.dvc/config:5: [dvc-config] [remote "storage"] holds `secret_access_key`, a ' \
           "credential, in a file committed to git" in res.out
    assert "dvc remote modify --unset storage secret_access_key && dvc remote modify --local " \
           "storage secret_access_key VALUE" in res.out
    assert "holds `access_key_id`" in res.out
    for fmt in ("text", "json", "github", "sarif"):
        shown = hook("--format", fmt)
        assert SECRET not in shown.out + shown.err
        assert "AKIAIOSFODNN7EXAMPLE" not in shown.out + shown.err


@pytest.mark.parametrize("key", ["password", "token", "session_token", "account_key",
                                 "sas_token", "connection_string", "gdrive_client_secret",
                                 "oss_key_secret", "passphrase", "client_secret",
                                 "sse_customer_key", "Secret_Access_Key"])
def test_every_kind_of_credential_is_refused(repo: GitRepo, hook, key: str) -> None:
    repo.write(".dvc/config", config(f"    user = alice\n    {key} = {SECRET}\n"))
    res = hook()
    assert res.code == 1
    assert f"holds `{key.lower()}`, a credential" in res.out
    assert ".dvc/config:6:" in res.out
    assert SECRET not in res.out + res.err
    assert "user" not in res.out.split("holds")[1].split(",")[0]  # a user name is no secret


def test_settings_that_are_not_secrets_pass(repo: GitRepo, hook) -> None:
    repo.write(".dvc/config", config("    ask_password = true\n    user = alice\n"
                                     "    keyfile = ~/.ssh/id_lab\n    sse_kms_key_id = k1\n"
                                     "    credentialpath = ~/.aws/credentials\n"))
    assert hook() == Result(0, "", "")


def test_a_password_in_the_url_is_masked(repo: GitRepo, hook) -> None:
    repo.write(".dvc/config", "[core]\n    remote = web\n['remote \"web\"']\n"
                              f"    url = https://alice:{SECRET}@dav.lab.example/dvc\n")
    res = hook()
    assert res.code == 1
    assert "url https://***@dav.lab.example/dvc carries a credential" in res.out
    assert "dvc remote modify web url URL" in res.out
    assert SECRET not in res.out + res.err and "alice" not in res.out + res.err


def test_an_unparsable_line_is_reported_without_its_content(repo: GitRepo, hook) -> None:
    repo.write(".dvc/config", config(f"    secret_access_key {SECRET}\n"))
    res = hook()
    assert res.code == 1
    assert ".dvc/config:5: [dvc-config] cannot be read by DVC: line 5 is neither a [section] " \
           "header nor `key = value`" in res.out
    assert SECRET not in res.out + res.err


def test_committed_config_local(repo: GitRepo, hook) -> None:
    repo.write(".dvc/config", config(""))
    repo.write(".dvc/config.local", f"['remote \"storage\"']\n    password = {SECRET}\n")
    res = hook()
    assert res.code == 1
    assert ".dvc/config.local: [dvc-config] is not ignored by git" in res.out
    repo.add(".dvc/config.local")
    res = hook()
    assert ".dvc/config.local: [dvc-config] is committed to git" in res.out
    assert "git rm --cached .dvc/config.local" in res.out
    assert SECRET not in res.out


def test_dvc_as_a_file(repo: GitRepo, hook) -> None:
    repo.write(".dvc", "outs:\n- path: .\n")
    res = hook()
    assert res.code == 1
    assert ".dvc: [dvc-config] is a file, where DVC keeps its folder" in res.out


def test_no_default_remote_warns_and_policy_makes_it_an_error(repo: GitRepo, hook) -> None:
    repo.write(".dvc/config", "")
    res = hook()
    assert res.code == 0
    assert "[dvc-config, warning] names no default remote" in res.out
    repo.write(".dvc/config", "[core]\n    remote = storge\n['remote \"storage\"']\n"
                              "    url = s3://lab-data\n")
    res = hook()
    assert (res.code, res.out.splitlines()[0]) == (0, (
        ".dvc/config:2: [dvc-config, warning] the default remote `storge` has no "
        "['remote \"storge\"'] section (remotes here: storage) [default-remote-undefined]"))
    repo.write("pyproject.toml", "[tool.dataward.dvc-config]\nrequire-remote = true\n")
    assert hook().code == 1


def test_remote_urls_outside_the_policy(repo: GitRepo, hook) -> None:
    repo.write("dataward.toml", '[dvc-config]\nremote-schemes = ["s3"]\n'
                                'remote-urls = ["s3://lab-data"]\n')
    repo.write(".dvc/config", config(""))
    assert hook() == Result(0, "", "")
    repo.write(".dvc/config", config("['remote \"mine\"']\n    url = gdrive://1AbC\n"
                                     "['remote \"evil\"']\n    url = s3://lab-data-copy/x\n"))
    out = hook().out
    assert ".dvc/config:6: [dvc-config] remote `mine` uses gdrive (gdrive://1AbC); the policy " \
           "allows s3" in out
    assert ".dvc/config:8: [dvc-config] remote `evil` (s3://lab-data-copy/x) is outside the " \
           "allowed storage: s3://lab-data" in out


def test_a_subproject_config_is_checked_too(repo: GitRepo, hook) -> None:
    repo.write("projects/a/.dvc/config", config(f"    password = {SECRET}\n"))
    assert "projects/a/.dvc/config:5:" in hook().out


def test_no_dvc_project_is_nothing_to_check(repo: GitRepo, hook) -> None:
    repo.write("README.md", "hi")
    assert hook() == Result(0, "", "")


# -- the plain form, read without configobj ---------------------------------------------------

# Mostly the plain form (so that most examples are read without configobj and compared),
# each word perhaps with one character configobj reads otherwise.
_HOSTILE = "#,'\";=[] \t\x0b\x0c\r\x1f\x00\x7f\\é"
_PLAIN = st.text(alphabet="abcxyzAZ0189_.-", min_size=1, max_size=8)
_VALUE_CHARS = st.text(alphabet="abcAZ09_.-:/?&=@%~+", min_size=0, max_size=12)


def _maybe_hostile(base: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    spoiled = st.builds(lambda w, c, i: w[:i % (len(w) + 1)] + c + w[i % (len(w) + 1):],
                        base, st.sampled_from(_HOSTILE), st.integers(0, 20))
    return st.one_of(base, base, base, spoiled)


_LINE = st.one_of(
    st.builds(lambda pad, name, end: f"{pad}[{name}]{end}", st.sampled_from(["", "  ", "\t"]),
              st.one_of(_maybe_hostile(_PLAIN),
                        _maybe_hostile(_PLAIN).map(lambda w: f"'remote \"{w}\"'")),
              st.sampled_from(["", "", " ", " # note", "]"])),
    *[st.builds(lambda pad, key, sep, value: f"{pad}{key}{sep}{value}",
                st.sampled_from(["", "    ", "\t"]), _maybe_hostile(_PLAIN),
                st.sampled_from([" = ", " = ", "=", " =", ": "]), _maybe_hostile(_VALUE_CHARS))
      ] * 3,
    st.sampled_from(["", "   ", "# a comment", "  ; not a comment", "key", "k = 'a', 'b'",
                     'k = """one', "k = a, b", "k = ,", "k = é", "\ufeff[core]", "[[sub]]",
                     "password = x #y", "k = a # c"]),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_LINE, max_size=8))
def test_the_plain_reader_reads_as_configobj_or_declines(lines: list[str]) -> None:
    from configobj import ConfigObj, ConfigObjError

    from dataward.formats.dvc_config import plain_dict

    text = "\n".join(lines)
    plain = plain_dict(text)
    if plain is None:
        return
    try:
        theirs = ConfigObj(text.splitlines(), interpolation=False).dict()
    except ConfigObjError as exc:
        raise AssertionError(f"read {plain!r}, configobj refuses it: {exc}") from None
    assert plain == theirs


def test_what_dvc_writes_is_read_without_configobj(repo: GitRepo) -> None:
    from configobj import ConfigObj

    from dataward.formats.dvc_config import plain_dict

    dvc(repo.path, "init", "-q")
    dvc(repo.path, "remote", "add", "-d", "storage", "s3://lab-data/registry")
    dvc(repo.path, "remote", "modify", "storage", "endpointurl", "https://s3.lab.example:9000")
    dvc(repo.path, "remote", "add", "backup", "ssh://user@backup.lab.example/srv/dvc")
    dvc(repo.path, "config", "core.autostage", "true")
    text = (repo.path / ".dvc" / "config").read_text()
    assert plain_dict(text) == ConfigObj(text.splitlines(), interpolation=False).dict()
    assert plain_dict(text) == {
        "core": {"remote": "storage", "autostage": "true"},
        'remote "storage"': {"url": "s3://lab-data/registry",
                             "endpointurl": "https://s3.lab.example:9000"},
        'remote "backup"': {"url": "ssh://user@backup.lab.example/srv/dvc"}}


BASE = ("[core]\n    remote = storage\n['remote \"storage\"']\n    url = s3://lab/x\n"
        "    password = s3cr3t\n")


def test_every_one_character_change_reads_as_configobj_or_is_declined() -> None:
    """Every config one character away from a plain one, inserted or deleted: read as
    configobj reads it, or left to configobj; and many of them are read (with their keys)."""
    from configobj import ConfigObj, ConfigObjError

    from dataward.formats.dvc_config import plain_dict

    variants = {BASE[:i] + c + BASE[i:] for i in range(len(BASE) + 1) for c in _HOSTILE}
    variants |= {BASE[:i] + BASE[i + 1:] for i in range(len(BASE))}
    read = 0
    for text in sorted(variants):
        plain = plain_dict(text)
        if plain is None:
            continue
        try:
            theirs = ConfigObj(text.splitlines(), interpolation=False).dict()
        except ConfigObjError:
            raise AssertionError(f"{text!r}: read, configobj refuses it") from None
        assert plain == theirs, text
        read += any(isinstance(v, dict) and v for v in plain.values())
    assert read > len(variants) // 4, (read, len(variants))


def test_a_key_twice_is_said_without_its_value(repo: GitRepo, hook) -> None:
    repo.write(".dvc/config", config(f"    password = {SECRET}\n    password = {SECRET}\n"))
    repo.add(".dvc/config")
    res = hook()
    assert res.code == 1
    assert ".dvc/config:6: [dvc-config] cannot be read by DVC: line 6 is a duplicate key or " \
           "section" in res.out
    assert SECRET not in res.out + res.err
