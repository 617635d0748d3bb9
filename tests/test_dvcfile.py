"""formats.dvcfile, the one reader of DVC's files: what every part of dataward learns of an
output (its workspace path, hash kind, size, flags, import source) from every DVC format."""

from __future__ import annotations

from pathlib import Path

import pytest

from dataward.formats.dvcfile import (
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
