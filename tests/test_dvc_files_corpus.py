"""`dvc-files` on a corpus of broken `.dvc` files, on good ones, and on damaged copies of good ones.

Each corpus file is checked as if it sat at the repository root, by the pure parts of the check
(`parse`, `claims`, and the model-level `judge`) with a workspace where nothing is committed to
git and every output is ignored, so only findings about the file itself remain.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataward.checks import dvc_files
from dataward.findings import Finding
from dataward.policy import DvcFilesPolicy

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CORPUS = Path(__file__).resolve().parent / "corpus"
BROKEN = CORPUS / "dvc-files"
VALID = CORPUS / "dvc-files-valid"
EXPECTED: dict[str, dict[str, Any]] = tomllib.loads(
    (BROKEN / "expected.toml").read_text(encoding="utf-8"))
POLICY = DvcFilesPolicy()


def names(folder: Path) -> list[str]:
    """Case names, as the .dvc file names the check sees. On disk they end in .txt, so that
    this repository's own hooks do not take the broken files for real DVC files."""
    return sorted(p.name.removesuffix(".txt") for p in folder.glob("*.dvc.txt"))


def content(folder: Path, name: str) -> bytes:
    return (folder / f"{name}.txt").read_bytes()


def check(name: str, content: bytes, kinds: dict[str, str] | None = None) -> list[Finding]:
    parsed = dvc_files.parse(name, content, POLICY)
    own, bad_paths = dvc_files.claims(parsed)
    ignored = {q for c in own for q in dvc_files.ignore_query(c, None)}
    # Nothing in the index; on disk only `kinds` (the other fields map paths to facts).
    facts: dict[str, Any] = {f: {} for f in dvc_files.Workspace._fields}
    facts.update(tracked=[], ignored=ignored, kinds=kinds or {})
    ws = dvc_files.Workspace(**facts)
    return [*parsed.findings, *bad_paths, *dvc_files.judge(parsed, own, ws, POLICY)]


def show(found: list[Finding]) -> str:
    return "\n".join(f"  line {f.line} {f.severity}: {f.message}" for f in found) or "  (none)"


# -- the corpus of broken files ----------------------------------------------------------------

def test_corpus_is_complete() -> None:
    files = names(BROKEN)
    assert len(files) >= 60
    assert sorted(EXPECTED) == files, "every file has an entry in expected.toml, and vice versa"
    for name, entry in EXPECTED.items():
        assert set(entry) <= {"line", "severity", "message"}, name
        assert entry["severity"] in ("error", "warning"), name
        assert entry["message"], name
    assert len(names(VALID)) >= 8


@pytest.mark.parametrize("name", names(BROKEN))
def test_broken_file_gives_the_expected_finding(name: str) -> None:
    want = EXPECTED[name]
    found = check(name, content(BROKEN, name))
    assert all(isinstance(f, Finding) and f.path == name for f in found)
    assert any(f.line == want.get("line") and f.severity == want["severity"]
               and want["message"] in f.message for f in found), (
        f"want line {want.get('line')} {want['severity']}: ...{want['message']}...\n"
        f"got:\n{show(found)}")


@pytest.mark.parametrize("name", names(VALID))
def test_valid_file_gives_no_finding(name: str) -> None:
    found = check(name, content(VALID, name))
    assert found == [], show(found)


def test_an_uppercase_dir_md5_claims_a_folder() -> None:
    # The model lower-cases the md5 as DVC does; the output's kind must agree with it.
    name = "010-md5-dir-uppercase.dvc"
    found = check(name, content(VALID, name), kinds={"images": "dir"})
    assert found == [], show(found)


def test_a_huge_file_is_refused_without_parsing(tmp_path: Path) -> None:
    path = tmp_path / "huge.dvc"
    with path.open("wb") as fh:
        fh.write(b"outs:\n- path: data.csv\n  desc: '")
        fh.write(b"x" * (50 << 20))
        fh.write(b"'\n")
    found = check("huge.dvc", path.read_bytes())
    assert [(f.line, f.severity) for f in found] == [(None, "error")]
    assert "is over 1.0 MB, too large" in found[0].message  # not the size it happened to read


# -- random damage to good files ---------------------------------------------------------------

DVC3_FILE = b"""outs:
- md5: d8e8fca2dc0f896fd7cb4cb0031ba249
  size: 5
  hash: md5
  path: data.csv
"""
DVC3_FOLDER = b"""outs:
- md5: 3863d0e317dee0a55c4e59d2ec0eef33.dir
  size: 1234
  nfiles: 3
  hash: md5
  path: images
"""
DVC3_IMPORT = b"""md5: 5a105e8b9d40e1329780d62ea2265d8a
frozen: true
deps:
- path: datasets/mnist
  repo:
    url: https://github.com/lab/registry
    rev_lock: 9f1c2b3a4d5e6f708192a3b4c5d6e7f809123456
outs:
- md5: 3863d0e317dee0a55c4e59d2ec0eef33.dir
  size: 1234
  nfiles: 3
  hash: md5
  path: mnist
"""
DVC3_IMPORT_URL = b"""md5: 5a105e8b9d40e1329780d62ea2265d8a
frozen: true
deps:
- etag: '"7bb5b7c1f2d9"'
  size: 5
  path: s3://lab-bucket/raw/data.csv
outs:
- md5: d8e8fca2dc0f896fd7cb4cb0031ba249
  size: 5
  hash: md5
  path: data.csv
"""
SEEDS = [DVC3_FILE, DVC3_FOLDER, DVC3_IMPORT, DVC3_IMPORT_URL,
         *(content(VALID, n) for n in names(VALID))]
TOKENS = [b":", b": ", b"-", b"- ", b"[", b"]", b"{", b"}", b",", b"&a ", b"*a", b"? ", b"|",
          b">", b"#", b"'", b'"', b"!!python/object:os.system ", b"!!binary ", b"<<: ", b"\t",
          b"\0", b" ", b"  ", b"\n", b"\r\n", b"\r", b"---\n", b"...\n", b"..", b"/", b"~",
          b"<<<<<<< HEAD\n", b"=======\n", b"\xef\xbb\xbf", b"\xff", b"\xc3", b".dir", b"-1"]


def _mutate(data: bytes, op: str, at: float, other: float, blob: bytes) -> bytes:
    """One change at relative positions `at` and `other` (in [0, 1]) of `data`."""
    i, j = int(at * len(data)), int(other * len(data))
    lines = data.splitlines(keepends=True)
    a, b = int(at * len(lines)) if lines else 0, int(other * len(lines)) if lines else 0
    if op == "delete":
        return data[:i] + data[i + 1 + len(blob):]
    if op == "insert":
        return data[:i] + blob + data[i:]
    if op == "replace":
        return data[:i] + blob + data[i + len(blob):]
    if op == "truncate":
        return data[:i]
    if op == "swap-lines" and lines:
        a, b = min(a, len(lines) - 1), min(b, len(lines) - 1)
        lines[a], lines[b] = lines[b], lines[a]
        return b"".join(lines)
    if op == "duplicate-line" and lines:
        a = min(a, len(lines) - 1)
        return b"".join(lines[: a + 1] + lines[a:])
    if op == "delete-line" and lines:
        return b"".join(lines[:a] + lines[a + 1:])
    if op == "move-span":
        lo, hi = sorted((i, j))
        return data[:lo] + data[hi:] + data[lo:hi]
    return data


MUTATION = st.tuples(
    st.sampled_from(["delete", "insert", "insert", "replace", "truncate", "swap-lines",
                     "duplicate-line", "delete-line", "move-span"]),
    st.floats(0, 1), st.floats(0, 1),
    st.one_of(st.sampled_from(TOKENS), st.binary(min_size=1, max_size=6)))


@settings(max_examples=300, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.sampled_from(SEEDS), mutations=st.lists(MUTATION, min_size=1, max_size=6))
def test_damaged_files_give_findings_never_errors(
        seed: bytes, mutations: list[tuple[str, float, float, bytes]]) -> None:
    content = seed
    for op, at, other, blob in mutations:
        content = _mutate(content, op, at, other, blob)
    found = check("damaged.dvc", content)
    assert isinstance(found, list)
    last = len(content.splitlines()) + 1
    for f in found:
        assert isinstance(f, Finding), f
        assert f.severity in ("error", "warning"), f
        assert f.line is None or 1 <= f.line <= last, (f, content)
