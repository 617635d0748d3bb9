"""What a `dvc pull` needs, read from DVC files and config alone (no dvc, no remote)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dataward.checks.dvc_pushed.judge import Gap, gap_finding
from dataward.formats import dvc_config as dvc_remotes
from dataward.formats.dvcfile import (
    NO_STAGES,
    DvcOut,
    Stages,
    object_key,
    read,
    read_stages,
)
from dataward.formats.manifest import read_manifest

MD5 = "0123456789abcdef0123456789abcdef"


def parse(path: str, content: bytes, stages: Stages = NO_STAGES) -> list[DvcOut]:
    """What dvc-pushed asks of a DVC file: the outputs `dvc pull` fetches from our remote."""
    return [o for o in read(path, content, stages).outs if o.in_remote]
DIR = "fedcba9876543210fedcba9876543210.dir"


def test_dvc3_and_dvc2_outputs_live_in_different_places() -> None:
    new = parse("data/a.dvc", f"outs:\n- md5: {DIR}\n  hash: md5\n  path: images\n".encode())
    old = parse("b.dvc", f"outs:\n- md5: {MD5}\n  path: b.bin\n".encode())
    assert new[0].path == "data/images" and new[0].is_dir and new[0].line == 2
    assert new[0].key == "files/md5/fe/dcba9876543210fedcba9876543210.dir"
    assert old[0].key == "01/23456789abcdef0123456789abcdef"  # DVC 2: the remote's root
    assert object_key(MD5, legacy=False) == "files/md5/01/23456789abcdef0123456789abcdef"


def test_what_dvc_push_does_not_send_is_not_required() -> None:
    text = (f"outs:\n- md5: {MD5}\n  hash: md5\n  path: kept\n"
            f"- md5: {MD5}\n  hash: md5\n  path: local\n  push: false\n"
            f"- md5: {MD5}\n  hash: md5\n  path: in-git\n  cache: false\n"
            "- path: not-added-yet\n")
    outs = parse("x.dvc", text.encode())
    assert [o.path for o in outs] == ["kept"]


def test_imports_from_a_dvc_repository_are_skipped_but_import_url_is_not() -> None:
    repo_import = ("deps:\n- path: dog_and_cat\n  repo:\n    url: https://example.org/reg\n"
                   f"    rev_lock: {'a' * 40}\nouts:\n- md5: {DIR}\n  hash: md5\n"
                   "  path: dog_and_cat\n")
    url_import = (f"deps:\n- path: https://example.org/labels.txt\nouts:\n- md5: {MD5}\n"
                  "  hash: md5\n  path: labels.txt\n")
    assert parse("d.dvc", repo_import.encode()) == []
    outs = parse("l.dvc", url_import.encode())
    assert [o.path for o in outs] == ["labels.txt"]


def test_remote_and_wdir() -> None:
    outs = parse("sub/x.dvc", f"wdir: ..\nouts:\n- md5: {MD5}\n  hash: md5\n  path: w.bin\n"
                              "  remote: Archive\n".encode())
    assert (outs[0].path, outs[0].remote, outs[0].target) == ("w.bin", "archive", "sub/x.dvc")


def test_dvc_lock_outputs_take_their_options_from_dvc_yaml() -> None:
    yaml_text = (b"stages:\n  train:\n    cmd: python train.py\n    outs:\n"
                 b"    - model.pt\n    - scratch:\n        push: false\n"
                 b"    - big:\n        remote: archive\n")
    lock = (f"schema: '2.0'\nstages:\n  train:\n    cmd: python train.py\n    outs:\n"
            f"    - path: model.pt\n      hash: md5\n      md5: {MD5}\n"
            f"    - path: scratch\n      hash: md5\n      md5: {MD5}\n"
            f"    - path: big\n      hash: md5\n      md5: {DIR}\n").encode()
    outs = parse("ml/dvc.lock", lock, read_stages("ml/dvc.yaml", yaml_text))
    assert [(o.path, o.remote, o.target) for o in outs] == [
        ("ml/model.pt", None, "ml/model.pt"), ("ml/big", "archive", "ml/big")]


def test_dvc_lock_paths_are_relative_to_their_stage_wdir() -> None:
    # As `dvc repro` writes them (DVC 3.x): dvc.lock repeats dvc.yaml's paths, relative to
    # the stage's wdir, and does not record the wdir; foreach iterations are `name@item`.
    yaml_text = (b"stages:\n  prep:\n    wdir: src\n    cmd: c\n    outs:\n"
                 b"    - ../data/clean\n  each:\n    foreach: [x]\n    do:\n"
                 b"      wdir: src\n      cmd: c\n      outs:\n      - ../${item}.txt\n")
    lock = (f"schema: '2.0'\nstages:\n  prep:\n    cmd: c\n    outs:\n"
            f"    - path: ../data/clean\n      hash: md5\n      md5: {DIR}\n"
            f"  each@x:\n    cmd: c\n    outs:\n    - path: ../x.txt\n      hash: md5\n"
            f"      md5: {MD5}\n").encode()
    outs = parse("ml/dvc.lock", lock, read_stages("ml/dvc.yaml", yaml_text))
    assert [o.path for o in outs] == ["ml/data/clean", "ml/x.txt"]


@pytest.mark.parametrize("content", [b"outs: [\n", b"- just\n- a list\n",
                                     b"<<<<<<< HEAD\nouts: []\n=======\n>>>>>>> b\n"])
def test_unreadable_dvc_files_are_reported_not_skipped(content: bytes) -> None:
    found = read("broken.dvc", content)
    assert found.problem and found.outs == ()


def test_manifests() -> None:
    data = json.dumps([{"md5": MD5, "relpath": "cat/1.jpg"}]).encode()
    assert read_manifest(data) == {"cat/1.jpg": MD5}
    for bad in (b"not json", b"{}", b'[{"md5": "xyz", "relpath": "a"}]', b"[1]",
                json.dumps([{"md5": MD5, "relpath": "../../etc/passwd"}]).encode(),
                json.dumps([{"md5": MD5, "relpath": "/etc/passwd"}]).encode(),
                b"[" * 100_000 + b"]" * 100_000):
        assert read_manifest(bad) is None
    # stored under a key, the bytes must be that key's (drift trusts no shared cache)
    import hashlib

    assert read_manifest(data, hashlib.md5(data).hexdigest() + ".dir") == {"cat/1.jpg": MD5}
    assert read_manifest(data, MD5 + ".dir") is None


def _gap(missing: list[tuple[str, str]], total: int | None, cached: bool = True) -> Gap:
    out = DvcOut("dog_and_cat", "dog_and_cat.dvc", "dog_and_cat", 2, DIR, False)
    return Gap(out, "storage", "s3://lab/store", missing, total, cached)


def test_findings_name_the_first_paths_and_the_fix() -> None:
    out = _gap([("k", f"dog_and_cat/{i}.jpg") for i in range(7)], 9)
    finding = gap_finding(out)
    assert finding.message == (
        "dog_and_cat: 7 of 9 objects are not in remote 'storage' (s3://lab/store): "
        "dog_and_cat/0.jpg, dog_and_cat/1.jpg, dog_and_cat/2.jpg, dog_and_cat/3.jpg, "
        "dog_and_cat/4.jpg and 2 more")
    assert finding.hint.startswith("`dvc push` sends nothing here")  # the .dir is there
    with_dir = _gap([("files/md5/fe/dcba9876543210fedcba9876543210.dir", "the manifest")], 3)
    assert gap_finding(with_dir).hint == "dvc push dog_and_cat.dvc"
    nowhere = _gap([("k", "x")], None, cached=False)
    assert "cache lacks them too" in gap_finding(nowhere).hint


def test_dvc_config_levels_merge_as_dvc_merges_them(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    dvc_dir = tmp_path / "repo" / ".dvc"
    dvc_dir.mkdir(parents=True)
    home = tmp_path / "home"
    (home / ".config" / "dvc").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setenv("DVC_SYSTEM_CONFIG_DIR", str(tmp_path / "nowhere"))
    (home / ".config" / "dvc" / "config").write_text(
        "['remote \"shared\"']\n    url = s3://lab/shared\n")
    (dvc_dir / "config").write_text(
        "[core]\n    remote = Storage\n['remote \"storage\"']\n    url = s3://lab/store\n"
        "    endpointurl = http://127.0.0.1:9000\n[cache]\n    dir = ../../cache\n")
    (dvc_dir / "config.local").write_text(
        "['remote \"storage\"']\n    access_key_id = AKIA\n")
    settings = dvc_remotes.load(str(dvc_dir))
    assert settings.default_remote == "storage"
    assert set(settings.remotes) == {"shared", "storage"}
    assert settings.remotes["storage"]["access_key_id"] == "AKIA"
    assert dvc_remotes.identity(settings.remotes["storage"]) == \
        "s3://lab/store|http://127.0.0.1:9000"
    assert settings.cache_dir == str(tmp_path / "cache")


def test_findings_mask_the_remote_url_and_quote_the_target() -> None:
    out = DvcOut("my data", "my data.dvc", "my data", 2, MD5, False)
    for url, shown in (("https://user:tok3n-secret@host/x", "https://***@host/x"),
                       ("webdav://user:p@ss@host/x", "webdav://***@host/x")):
        finding = gap_finding(Gap(out, "web", url, [("k", "my data")], 1, True))
        assert shown in finding.message and "tok3n" not in finding.message
        assert "p@ss" not in finding.message
        assert finding.hint == "dvc push 'my data.dvc'"


def test_a_manifest_must_hash_to_its_key_and_parse_as_dvc_writes_it() -> None:
    import hashlib

    from dataward.checks.dvc_pushed.manifest import verify

    def out_for(data: bytes, nfiles: int | None = 2) -> DvcOut:
        return DvcOut("imgs", "imgs.dvc", "imgs", 2, hashlib.md5(data).hexdigest() + ".dir",
                      False, 10, nfiles)

    good = json.dumps([{"md5": MD5, "relpath": "a/b.jpg"}, {"md5": MD5, "relpath": "c.jpg"}],
                      sort_keys=True).encode()
    assert verify(good, out_for(good)) == [(object_key(MD5, False), "a/b.jpg"),
                                           (object_key(MD5, False), "c.jpg")]
    assert "do not hash to" in str(verify(good + b" ", out_for(good)))
    for bad, why in ((b"<html></html>", "not JSON"), (b"[" * 100_000, "nested too deep"),
                     (b"[]", "lists no files"), (b'{"a": 1}', "not a list"),
                     (json.dumps([{"md5": MD5, "relpath": "../x"}] * 2).encode(), "inside"),
                     (json.dumps([{"md5": MD5, "relpath": "/etc/x"}]).encode(), "inside"),
                     (json.dumps([{"md5": MD5, "relpath": "a"}]).encode(), "nfiles: 2")):
        assert why in str(verify(bad, out_for(bad))), bad[:40]


def test_the_presence_cache_forgets_what_is_older_than_cache_days() -> None:
    from dataward.checks.dvc_pushed.known import DAY, Known

    now = 1_000_000_000.0
    known = Known({"old": now - 8 * DAY, "new": now - DAY}, {"part": (now - 8 * DAY, "why")},
                  {"dir": now})
    fresh = known.fresh(7, now)
    assert (set(fresh.keys), fresh.unverified, set(fresh.complete)) == ({"new"}, {}, {"dir"})
    assert set(known.pruned({"old", "dir"}).keys) == {"old"}
