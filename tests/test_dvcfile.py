"""formats.dvcfile, the one reader of DVC's files: what every part of dataward learns of an
output (its workspace path, hash kind, size, flags, import source) from every DVC format."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dataward.formats.dvcfile import (
    CloudVersion,
    ImportSource,
    OutputIndex,
    Resolved,
    VersionedFile,
    is_dvcfile,
    read,
    read_stages,
    resolve,
)

FORMATS = Path(__file__).parent / "fixtures" / "dvc-formats"
MD5 = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(("dvcfile", "wdir", "written", "expected"), [
    ("x.dvc", "", "images", "images"),
    ("d/x.dvc", "", "a.csv", "d/a.csv"),
    ("d/x.dvc", ".", "a.csv", "d/a.csv"),
    ("d/x.dvc", "", "./a.csv", "d/a.csv"),
    ("d/x.dvc", "", "images/", "d/images"),  # trailing '/'
    ("get-started/data.xml.dvc", "..", "get-started/data.xml", "get-started/data.xml"),
    ("e/f/x.dvc", "../..", "e/f/x.zip", "e/f/x.zip"),
    ("d/x.dvc", "", "sub/../a.csv", "d/a.csv"),
    ("d/x.dvc", "", "a\\b.csv", "d/a/b.csv"),  # written on Windows
    ("x.dvc", "", "${name}", "${name}"),  # a .dvc file is not templated: a literal name
])
def test_workspace_paths(dvcfile: str, wdir: str, written: str, expected: str) -> None:
    assert resolve(dvcfile, wdir, written) == Resolved(expected)


@pytest.mark.parametrize(("dvcfile", "wdir", "written", "problem"), [
    ("x.dvc", "", "  ", "empty"),
    ("x.dvc", "", "./", "empty"),
    ("x.dvc", "", "s3://bucket/key", "url"),
    ("x.dvc", "/data", "a", "absolute-wdir"),
    ("x.dvc", "", "/etc/passwd", "absolute"),
    ("x.dvc", "", "C:\\data\\a", "absolute"),
    ("x.dvc", "", "../elsewhere", "outside"),
    ("d/x.dvc", "..", "..", "outside"),
    ("dvc.yaml", "", "out/${item}", "template"),
])
def test_paths_that_name_no_workspace_file(dvcfile: str, wdir: str, written: str,
                                           problem: str) -> None:
    assert resolve(dvcfile, wdir, written) == Resolved(None, problem)


def test_every_format_dvc_wrote_reads_to_the_same_values() -> None:
    v0 = read("data.xml.dvc", (FORMATS / "dvc0-add.dvc.txt").read_bytes())
    (out,) = v0.outs
    assert (out.path, out.md5, out.legacy, out.cache, out.line) == (
        "data.xml", "a304afb96060aad90176268345e10355", True, True, 4)
    v1 = read("ext/registry.xml.dvc", (FORMATS / "dvc1-import.dvc.txt").read_bytes())
    assert v1.imported == ImportSource("git@github.com:iterative/dataset-registry.git",
                                       "data/data.xml", "v1",
                                       "f31f5c4cdae787b4bdeb97a717687d44667d9e62")
    assert v1.outs[0].path == "ext/registry.xml" and not v1.outs[0].in_remote
    versioned = read("v.dvc", (FORMATS / "dvc2-cloud-versioned.dvc.txt").read_bytes())
    assert versioned.outs[0].md5 is None and versioned.outs[0].files[0] == VersionedFile(
        "bar", "4e2d9b5d2b5e3d0e1e0e8a6b6f5c6c5c", "4e2d9b5d2b5e3d0e1e0e8a6b6f5c6c5c",
        "WYRG4BglP7pD.gEoJP6a4AqOhl.FRA.h", 5)
    v3 = read("d/imgs.dvc", f"outs:\n- md5: {MD5.upper()}.dir\n  size: 9\n  nfiles: 2\n"
                            "  hash: md5\n  path: imgs\n  push: false\n".encode())
    (out,) = v3.outs
    assert (out.path, out.md5, out.legacy, out.size, out.nfiles, out.is_dir, out.push) == (
        "d/imgs", f"{MD5}.dir", False, 9, 2, True, False)
    assert out.key == f"files/md5/01/{MD5[2:]}.dir" and not out.in_remote


DVC3_CLOUD = b"""outs:
- hash: md5
  path: imgs
  files:
  - relpath: a.txt
    md5: 47bce5c74f589f4867dbd57e9ca9f808
    size: 3
    cloud:
      st:
        etag: 47bce5c74f589f4867dbd57e9ca9f808
        version_id: 4636cbcf-e3b1-40cf-83e8-1aeb84046dee
"""
DVC3_CLOUD_FILE = b"""outs:
- md5: 79982a7bf20b70b9ce3bb9f3bbd2b40d
  size: 4
  hash: md5
  path: one.bin
  cloud:
    st:
      etag: 79982a7bf20b70b9ce3bb9f3bbd2b40d
      version_id: a1fb0795-fb9b-4dd9-8b35-1f3e775b0d55
"""


def test_dvc3_cloud_versions_are_read_per_remote_and_a_pull_needs_them() -> None:
    """What dvc 3.67 writes after `dvc push` to a version-aware remote named `st`."""
    (folder,) = read("imgs.dvc", DVC3_CLOUD).outs
    assert folder.md5 is None and folder.in_remote and folder.versioned and folder.line == 3
    assert folder.files == (VersionedFile(
        "a.txt", "47bce5c74f589f4867dbd57e9ca9f808", None, None, 3,
        (CloudVersion("st", "47bce5c74f589f4867dbd57e9ca9f808",
                      "4636cbcf-e3b1-40cf-83e8-1aeb84046dee"),)),)
    (file,) = read("one.bin.dvc", DVC3_CLOUD_FILE).outs
    assert (file.md5, file.size, file.files, file.in_remote) == (
        "79982a7bf20b70b9ce3bb9f3bbd2b40d", 4, (), True)
    assert file.cloud == (CloudVersion("st", "79982a7bf20b70b9ce3bb9f3bbd2b40d",
                                       "a1fb0795-fb9b-4dd9-8b35-1f3e775b0d55"),)
    assert hash(folder) and hash(file)  # outputs stay usable as keys
    unpushed = read("p.dvc", DVC3_CLOUD.replace(b"  files:", b"  push: false\n  files:"))
    assert not unpushed.outs[0].in_remote


NAMES = st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,20}", fullmatch=True)
IDS = st.from_regex(r"[A-Za-z0-9._-]{1,40}", fullmatch=True).filter(
    lambda s: not s.replace(".", "").replace("_", "").isdigit() and s.lower() not in (
        "true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"))


@given(st.dictionaries(NAMES, IDS, min_size=1, max_size=4), IDS)
def test_every_remote_s_version_is_read_and_the_older_form_too(
        versions: dict[str, str], older: str) -> None:
    cloud = "".join(f"    {name}:\n      etag: e{i}\n      version_id: '{vid}'\n"
                    for i, (name, vid) in enumerate(versions.items()))
    text = (f"outs:\n- md5: {MD5}\n  path: f.bin\n  cloud:\n{cloud}"
            f"- path: old\n  files:\n  - relpath: x\n    version_id: '{older}'\n").encode()
    new, old = read("f.dvc", text).outs
    expected = {(name.lower(), f"e{i}", vid) for i, (name, vid) in enumerate(versions.items())}
    assert set(new.cloud) == {CloudVersion(*e) for e in expected} and new.in_remote
    assert old.files[0].version_id == older and old.files[0].cloud == () and old.in_remote


def test_dvc_yaml_declares_outputs_unhashed_with_their_options() -> None:
    text = (b"stages:\n  train:\n    wdir: src\n    cmd: c\n    outs:\n    - ../model.pt\n"
            b"    - ../scratch:\n        cache: false\n    metrics:\n    - ../m.json\n")
    outs = read("dvc.yaml", text).outs
    assert [(o.path, o.md5, o.cache) for o in outs] == [
        ("model.pt", None, True), ("scratch", None, False), ("m.json", None, True)]
    stages = read_stages("dvc.yaml", text)
    assert stages.wdirs == {"train": "src"} and not stages.options["scratch"].cache


def test_unreadable_files_say_why_and_declare_nothing() -> None:
    for content in (b"outs: [\n", b"- a list\n", b"<<<<<<< HEAD\nouts: []\n=======\n"):
        found = read("broken.dvc", content)
        assert found.problem and found.outs == ()


def test_dvc_files_and_the_output_holding_a_path() -> None:
    assert [is_dvcfile(p) for p in ("a.dvc", "x/dvc.lock", "dvc.yaml", ".dvc", "x/.dvc/c")] \
        == [True, True, True, False, False]
    index = OutputIndex(read("d.dvc", f"outs:\n- md5: {MD5}.dir\n  path: data\n".encode()).outs)
    assert index.owner("data/a/b.jpg") is not None and index.owner("data") is not None
    assert index.owner("database.csv") is None and index.owner("other/data") is None


def test_a_lock_stage_its_dvc_yaml_no_longer_defines_is_a_leftover() -> None:
    """dvc keeps stale entries in dvc.lock after a stage is removed from dvc.yaml (seen in
    lk-demo-experiment: `ml100k@II`); dvc neither pulls nor keeps them, so neither do we. With
    no dvc.yaml to tell, every entry counts."""
    lock = (b"schema: '2.0'\nstages:\n  train:\n    outs:\n    - path: model.pkl\n"
            b"      md5: " + b"a" * 32 + b"\n  old@II:\n    outs:\n    - path: runs/ii\n"
            b"      md5: " + b"b" * 32 + b".dir\n")
    yaml = b"stages:\n  train:\n    cmd: python train.py\n    outs: [model.pkl]\n"
    with_yaml = read("dvc.lock", lock, read_stages("dvc.yaml", yaml))
    assert [o.path for o in with_yaml.outs] == ["model.pkl"]
    assert [o.path for o in read("dvc.lock", lock).outs] == ["model.pkl", "runs/ii"]
    foreach = b"stages:\n  old:\n    foreach: [I, II]\n    do:\n      cmd: run ${item}\n"
    assert [o.path for o in read("dvc.lock", lock, read_stages("dvc.yaml", foreach)).outs] == \
        ["runs/ii"]
