"""`dataward remote audit` on histories seen in real registries (lenskit/lk-demo-experiment,
PIReTship/bookdata-tools): a dvc.lock read with the dvc.yaml of the commits that hold it, not
with the tips' (whose stage may be gone), and hints that name a commit for versions the
catalog's main line does not number."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

from tests.harness.dvcremote import Template, from_template, object_key
from tests.harness.dvcrun import dvc
from tests.harness.repo import GitRepo
from tests.harness.s3server import S3Server

DATAWARD = str(Path(__file__).parent.parent / ".venv" / "bin" / "dataward")
STAGE = ("stages:\n  make:\n    cmd: python -c \"open('out.txt', 'w').write('{text}')\"\n"
         "    wdir: ..\n    outs:\n    - out.txt\n")


def audit(repo: GitRepo) -> tuple[int, list[dict[str, str]]]:
    proc = subprocess.run([DATAWARD, "remote", "audit", "--format", "json", "--keep-days", "0"],
                          cwd=repo.path,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)["findings"]


def test_a_lock_whose_dvc_yaml_is_gone_at_the_tip_names_the_output_where_its_wdir_put_it(
        tmp_path: Path, s3: S3Server, pushed_registry: Template) -> None:
    repo, bucket = from_template(pushed_registry, tmp_path / "registry", s3)
    repo.write("pipeline/dvc.yaml", STAGE.format(text="v1"))
    dvc(repo.path, "repro", "-q", "pipeline/dvc.yaml")
    repo.git("add", "-A")
    made = repo.commit("pipeline writes out.txt at the root (wdir ..)")
    # Later the stage moves elsewhere: the tip has no pipeline/dvc.yaml, but a stale lock.
    repo.git("rm", "-q", "pipeline/dvc.yaml")
    repo.commit("drop the pipeline")
    md5 = hashlib.md5(b"v1").hexdigest()
    # Nothing was pushed for it: the audit must say which output, where it is, and when.
    code, findings = audit(repo)
    assert code == 1
    (missing,) = [f for f in findings if f["rule"] == "objects-not-in-remote"]
    assert missing["path"] == "pipeline/dvc.lock"
    assert missing["message"].startswith("out.txt (")
    assert "pipeline/out.txt" not in missing["message"]
    assert f"git checkout {made}" in missing["hint"]
    assert "COMMIT" not in missing["hint"]
    # Once pushed, nothing is missing and the object is not offered for garbage collection.
    s3.client().put_object(Bucket=bucket, Key=object_key(md5), Body=b"v1")
    code, findings = audit(repo)
    assert code == 0, findings
    assert not [f for f in findings if f["rule"] == "objects-unreferenced"]


def test_a_version_only_on_a_side_branch_gets_a_commit_in_its_hint(
        tmp_path: Path, s3: S3Server, pushed_registry: Template) -> None:
    repo, _ = from_template(pushed_registry, tmp_path / "registry", s3)
    repo.git("checkout", "-q", "-b", "side")
    repo.write("notes.bin", b"side-branch bytes")
    dvc(repo.path, "add", "-q", "notes.bin")
    repo.git("add", "-A")
    side = repo.commit("notes on a side branch")
    repo.git("checkout", "-q", "-")
    code, findings = audit(repo)
    assert code == 1
    (missing,) = [f for f in findings if f["rule"] == "objects-not-in-remote"]
    assert missing["message"].startswith("notes.bin (md5 ")
    assert f"git checkout {side} && dvc push notes.bin.dvc" in missing["hint"]
