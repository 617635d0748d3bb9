"""A dataset whose history mixes DVC 2 and DVC 3 versions: the catalog records each version's
hash kind, and `dataward drift scan` matches each version by its own kind.

The registry is real git and real DVC 3: version 1 of `scans` is described by a DVC 2 `.dvc`
file (no `hash:` field, md5-dos2unix md5s, as DVC 2.x wrote it; DVC 2 itself is not installed,
so we write the file and real DVC 3 confirms it reads it as its own), version 2 is the real
`dvc add` of DVC 3 (which writes `hash: md5`). `scans/notes.txt` has CRLF line ends: the one
thing on which the two kinds differ.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any, NamedTuple

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataward.catalog.model import Catalog, Dataset, HashKind, Version
from dataward.drift.hasher import Hasher
from dataward.drift.hashing import dir_md5, istextblock
from dataward.drift.judge import Found, Hashed, copy_of, judge
from tests.conftest import BIN, _hermetic
from tests.harness.dvcrun import dvc
from tests.harness.repo import GitRepo

ROOT = Path(__file__).resolve().parent.parent
V1 = {"notes.txt": b"station,depth\r\nA,12\r\nB,40\r\n", "a.bin": b"\x00\x01scan-a"}
V2 = {**V1, "b.bin": b"\x00\x02scan-b"}


class Registry(NamedTuple):
    path: Path
    v1_md5: str
    catalog: dict[str, Any]


def put(folder: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)


def folder_md5(folder: Path, dos2unix: bool) -> str:
    got = Hasher(jobs=1, state=None).hash_files(
        [str(folder / r) for r in sorted(V1)], dos2unix)
    # DVC 2 recorded `.dvc2` (its own text rule); for files this small it equals DVC 3's
    return dir_md5({Path(p).name: str(getattr(h, "dvc2", h)) for p, h in got.items()})


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    with pytest.MonkeyPatch.context() as mp:
        _hermetic(tmp_path_factory.mktemp("kinds-home"), mp)
        path = tmp_path_factory.mktemp("kinds") / "registry"
        repo = GitRepo.init(path)
        dvc(path, "init", "-q")
        put(path / "scans", V1)
        v1_md5 = folder_md5(path / "scans", dos2unix=True)
        # what DVC 2.x wrote: no `hash:` field, md5-dos2unix md5s
        (path / "scans.dvc").write_text(
            f"outs:\n- md5: {v1_md5}\n  size: {sum(map(len, V1.values()))}\n"
            f"  nfiles: {len(V1)}\n  path: scans\n")
        (path / ".gitignore").write_text("/scans\n")
        status = json.loads(dvc(path, "data", "status", "--json"))
        # real DVC 3 reads the DVC 2 file as describing this folder (it is not "modified")
        assert "scans" not in str(status.get("uncommitted", {}).get("modified", [])), status
        repo.git("add", "-A")
        repo.commit("scans version 1 (DVC 2)")
        put(path / "scans", V2)
        dvc(path, "add", "-q", "scans")  # DVC 3 rewrites the file: `hash: md5`
        assert "hash: md5" in (path / "scans.dvc").read_text()
        repo.git("add", "-A")
        repo.commit("scans version 2 (DVC 3)")
        out = path.parent / "catalog.json"
        subprocess.run([f"{BIN}/dataward", "catalog", "build", "--repo", str(path), "-o",
                        str(out)], check=True, capture_output=True)
        return Registry(path, v1_md5, json.loads(out.read_text()))


def scan(registry: Registry, root: Path) -> tuple[int, dict[str, Any], str]:
    catalog = registry.path.parent / "catalog.json"
    proc = subprocess.run([f"{BIN}/dataward", "drift", "scan", "--env", "lab", "--root",
                           str(root), "--catalog", str(catalog), "--no-state", "-o",
                           str(root.parent / "report.json")],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads((root.parent / "report.json").read_text()), proc.stdout


def test_the_catalog_records_each_versions_hash_kind(registry: Registry) -> None:
    [scans] = registry.catalog["datasets"]
    assert scans["hash"] == "md5"  # the current version's
    assert [(v["version"], v["hash"]) for v in scans["versions"]] == [
        (1, "md5-dos2unix"), (2, "md5")]
    assert scans["versions"][0]["md5"] == registry.v1_md5
    schema = json.loads((ROOT / "schemas" / "catalog.schema.json").read_text())
    jsonschema.validate(registry.catalog, schema)


def test_a_server_holding_the_dvc2_version_is_behind(registry: Registry,
                                                     tmp_path: Path) -> None:
    root = tmp_path / "lab"
    put(root / "scans", V1)
    # the control: by DVC 3's plain md5 alone, this folder is no version at all
    assert folder_md5(root / "scans", dos2unix=False) != registry.v1_md5
    code, report, out = scan(registry, root)
    [entry] = report["datasets"]
    assert code == 1
    assert (entry["status"], entry["matched_version"], entry["versions_behind"]) == (
        "behind", 1, 1)
    assert entry["actual_md5"] == registry.v1_md5
    assert "scans  behind: holds version 1 of 2" in out


def test_a_server_holding_the_dvc3_version_is_in_sync(registry: Registry,
                                                      tmp_path: Path) -> None:
    root = tmp_path / "lab"
    put(root / "scans", V2)
    put(root / "scans_v1", V1)  # an ad-hoc copy of the DVC 2 version, hashed by plain md5
    code, report, _ = scan(registry, root)
    [entry] = report["datasets"]
    assert code == 0, report
    assert entry["status"] == "in_sync" and entry["actual_md5"] == entry["expected_md5"]
    [copy] = report["unregistered"]
    assert (copy["name"], copy["nfiles"]) == ("scans_v1", 2)


def test_a_catalog_older_than_version_kinds_gives_its_versions_the_datasets_kind(
        registry: Registry) -> None:
    old = json.loads(json.dumps(registry.catalog))
    for dataset in old["datasets"]:
        dataset["hash"] = "md5-dos2unix"
        for v in dataset["versions"]:
            del v["hash"]
    catalog = Catalog.model_validate(old)
    assert {v.hash for v in catalog.datasets[0].versions} == {"md5-dos2unix"}


# -- the judgement, on values ------------------------------------------------------------------

def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def dos2unix(data: bytes) -> str:
    """md5-dos2unix of a file under 1 MiB (one chunk: DVC 2 and 3 agree)."""
    return md5(data.replace(b"\r\n", b"\n") if istextblock(data[:512]) else data)


def version(n: int, digest: str, kind: HashKind) -> Version:
    return Version(version=n, md5=digest, size=1, nfiles=None, commit=f"{n:040x}",
                   date="2026-01-01T00:00:00+00:00", author="a", message="m",
                   dvc_file="t.dvc", hash=kind)


def dataset(*versions: Version) -> Dataset:
    return Dataset(name="t.csv", dvc_file="t.csv.dvc", path="t.csv", md5=versions[-1].md5,
                   hash=versions[-1].hash, size=1, nfiles=None, is_dir=False, remote=None,
                   remote_url=None, object_url=None, imported=None, card=None,
                   versions=list(versions))


lines = st.lists(st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30),
                 min_size=2, max_size=20)


@settings(max_examples=50, deadline=None)
@given(old=lines, new=lines)
def test_each_version_is_judged_by_its_own_kind(old: list[str], new: list[str]) -> None:
    """A DVC 2 version (md5-dos2unix) of a CRLF text file, a DVC 3 version (md5) after it."""
    v1_bytes, v2_bytes = "\r\n".join(old).encode(), "\r\n".join(new).encode() + b"\n."
    ds = dataset(version(1, dos2unix(v1_bytes), "md5-dos2unix"),
                 version(2, md5(v2_bytes), "md5"))
    catalog = Catalog(schema_version=1, generator="t", registry=None, commit="0" * 40,
                      date="2026-01-01T00:00:00+00:00", datasets=[ds])
    # version 1's bytes, hashed by both kinds as the scan does for this history
    held = Found("file", md5(v1_bytes), hash="md5",
                 others={"md5-dos2unix": Hashed(dos2unix(v1_bytes))})
    entry = judge(ds, held, lambda _: None)
    assert (entry.status, entry.matched_version) == ("behind", 1)
    copy = copy_of(held, catalog)
    assert copy is not None and (copy.dataset, copy.version) == ("t.csv", 1)
    # hashed by DVC 3's plain md5 alone, a CRLF file matches no DVC 2 version
    plain = judge(ds, Found("file", md5(v1_bytes), hash="md5"), lambda _: None)
    assert plain.status == ("behind" if md5(v1_bytes) == dos2unix(v1_bytes) else "modified")
    current = Found("file", md5(v2_bytes), hash="md5",
                    others={"md5-dos2unix": Hashed(dos2unix(v2_bytes))})
    assert judge(ds, current, lambda _: None).status == "in_sync"


def test_a_folder_is_partial_against_a_dvc2_version_by_its_dos2unix_files() -> None:
    files = {"a.txt": b"x\r\ny\r\n", "b.txt": b"z\r\n", "c.bin": b"\x00c"}
    plain = {r: md5(b) for r, b in files.items()}
    legacy = {r: dos2unix(b) for r, b in files.items()}
    v1 = version(1, dir_md5(legacy), "md5-dos2unix")
    later = {**plain, "a.txt": md5(b"x\ny2\n"), "d.bin": md5(b"\x00d")}
    v2 = version(2, dir_md5(later), "md5")
    ds = dataset(v1, v2).model_copy(update={"is_dir": True})
    manifests = {v1.md5: legacy, v2.md5: later}
    held = {r: h for r, h in plain.items() if r != "b.txt"}  # b.txt was never pulled
    held2 = {r: h for r, h in legacy.items() if r != "b.txt"}
    found = Found("dir", dir_md5(held), held, hash="md5",
                  others={"md5-dos2unix": Hashed(dir_md5(held2), held2)})
    entry = judge(ds, found, manifests.get)
    # against version 1, by its own kind: only b.txt is missing (the text files match)
    assert (entry.status, entry.nearest_version) == ("partial", 1)
    assert entry.changes is not None and entry.changes.removed == ["b.txt"]
    assert entry.changes.modified == []
