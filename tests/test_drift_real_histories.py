"""Bugs found by running `catalog build` and `drift scan` on real DVC registries (issue 21's
real-data test: iterative/dataset-registry, iterative/example-get-started,
iterative/example-get-started-experiments, PIReTship/bookdata-tools), each shown here on a
small synthetic registry built with real git and real DVC 3. Each failed before its fix.

1. iterative/dataset-registry 7b650fb ("use dvc 3 for all data") and bookdata-tools c8e5d29c
   add `hash: md5` to DVC 2 `.dvc` files without changing their md5. The catalog keeps the
   version's kind from its first commit (`md5-dos2unix`) while the dataset says `md5`, so a
   lab copy whose text files got CRLF line ends is "in sync" for dataward and "modified" for
   DVC 3.
2. A registry checkout behind its origin whose dataset is `modified` gets
   `cd ROOT && dvc pull --force PATH` (no `git pull`): that restores the checkout's own, older
   version, and the next scan says "behind".
3. bookdata-tools' dvc.yaml declares `${item}.json: {cache: false}` in a `foreach` stage: the
   catalog lists those git-tracked files as datasets (73 of its 187), with an object URL that
   no remote holds and a `dvc pull` fix that pulls nothing.
4. A registry revision with no datasets: drift scan exits 3 but prints
   "0 of 0 datasets in sync (100%)" and no reason (present before issue 21).
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from pathlib import Path
from typing import Any

from tests.conftest import BIN
from tests.harness.dvcrun import dvc
from tests.harness.repo import GitRepo

LF = b"station,depth\nA,12\nB,40\n"
CRLF = LF.replace(b"\n", b"\r\n")


def dataward(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([f"{BIN}/dataward", *args], capture_output=True, text=True,
                          timeout=300, check=False, cwd=cwd)


def catalog_of(registry: Path) -> dict[str, Any]:
    out = registry.parent / "catalog.json"
    proc = dataward("catalog", "build", "--repo", str(registry), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    return json.loads(out.read_text())  # type: ignore[no-any-return]


def scan(root: Path, registry: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return dataward("drift", "scan", "--env", "lab", "--root", str(root), "--registry",
                    str(registry), "--no-state", *extra)


def test_a_hash_only_migration_gives_the_current_version_dvc3s_kind(tmp_path: Path) -> None:
    """dataset-registry 7b650fb: `hash: md5` added to a DVC 2 file, md5 unchanged."""
    path = tmp_path / "registry"
    repo = GitRepo.init(path)
    dvc(path, "init", "-q")
    digest = hashlib.md5(LF).hexdigest()  # no CRLF: both kinds give this md5
    (path / "notes.csv").write_bytes(LF)
    (path / ".gitignore").write_text("/notes.csv\n")
    dvcfile = f"outs:\n- md5: {digest}\n  size: {len(LF)}\n  path: notes.csv\n"
    (path / "notes.csv.dvc").write_text(dvcfile)  # as DVC 2 wrote it
    repo.git("add", "-A")
    repo.commit("notes (DVC 2)")
    (path / "notes.csv.dvc").write_text(dvcfile + "  hash: md5\n")  # "use dvc 3 for all data"
    repo.git("add", "-A")
    repo.commit("use dvc 3 for all data")
    [notes] = catalog_of(path)["datasets"]
    # the dataset's kind is "as the current version records it" (catalog schema)
    assert notes["hash"] == "md5"
    assert notes["versions"][-1]["hash"] == notes["hash"], notes["versions"]

    # a lab copy whose line ends became CRLF: DVC 3 itself says it is modified ...
    (path / "notes.csv").write_bytes(CRLF)
    status = json.loads(dvc(path, "data", "status", "--json"))
    assert "notes.csv" in status["uncommitted"]["modified"]
    # ... and so must drift
    lab = tmp_path / "lab"
    lab.mkdir()
    (lab / "notes.csv").write_bytes(CRLF)
    proc = scan(lab, path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "notes.csv  modified" in proc.stdout


def test_a_modified_dataset_in_a_checkout_behind_origin_is_fixed_by_its_fix(
        tmp_path: Path) -> None:
    remote = tmp_path / "remote"
    remote.mkdir()
    path = tmp_path / "registry"
    repo = GitRepo.init(path)
    dvc(path, "init", "-q")
    dvc(path, "remote", "add", "-d", "store", str(remote))
    for text in ("version 1\n", "version 2\n"):
        (path / "data.txt").write_text(text)
        dvc(path, "add", "-q", "data.txt")
        dvc(path, "push", "-q")
        repo.git("add", "-A")
        repo.commit(text.strip())
    lab = tmp_path / "lab"
    subprocess.run(["git", "clone", "-q", str(path), str(lab)], check=True)
    subprocess.run(["git", "-C", str(lab), "reset", "-q", "--hard", "HEAD~1"], check=True)
    dvc(lab, "pull", "-q")
    (lab / "data.txt").write_text("edited by hand\n")

    first = scan(lab, path, "--format", "json")
    assert first.returncode == 1, first.stderr
    [entry] = json.loads(first.stdout)["datasets"]
    assert entry["status"] == "modified"
    fixed = subprocess.run(["bash", "-c", entry["fix"]], capture_output=True, text=True,
                           check=False)
    assert fixed.returncode == 0, (entry["fix"], fixed.stderr)
    # the fix brings the folder to the registry's current version, not the checkout's own
    again = scan(lab, path)
    assert again.returncode == 0, f"fix was: {entry['fix']}\n{again.stdout}"


def test_cache_false_outputs_of_a_foreach_stage_are_no_datasets(tmp_path: Path) -> None:
    """bookdata-tools' `schema` stage: `foreach` + `do: outs: - ${item}.json: {cache: false}`."""
    path = tmp_path / "registry"
    repo = GitRepo.init(path)
    dvc(path, "init", "-q")
    (path / "dvc.yaml").write_text(
        "stages:\n"
        "  schema:\n"
        "    foreach: [alpha, beta]\n"
        "    do:\n"
        "      cmd: echo ${item} > ${item}.json\n"
        "      outs:\n"
        "        - ${item}.json:\n"
        "            cache: false\n"
        "  table:\n"
        "    cmd: echo t > table.csv\n"
        "    outs:\n"
        "      - table.csv\n")
    dvc(path, "repro", "-q")
    repo.git("add", "-A")
    repo.commit("run")
    tracked = repo.git("ls-files").stdout.split()
    assert "alpha.json" in tracked  # cache: false: git keeps the file, DVC no object
    names = [d["name"] for d in catalog_of(path)["datasets"]]
    assert names == ["table.csv"]


def test_a_revision_without_datasets_says_why_it_exits_3(tmp_path: Path) -> None:
    path = tmp_path / "registry"
    repo = GitRepo.init(path)
    dvc(path, "init", "-q")
    repo.write("README.md", "a registry, before its first dataset\n")
    repo.add("README.md")
    repo.commit("init")
    lab = tmp_path / "lab"
    (lab / "scans").mkdir(parents=True)
    proc = scan(lab, path)
    assert proc.returncode == 3
    said = proc.stdout + proc.stderr
    assert re.search(r"no (registered )?datasets?", said, re.IGNORECASE), said
    assert "(100%)" not in said
