"""dvc-pushed against a real S3 server on loopback, with real `dvc add/push`.

Each test builds a registry in its own bucket, pushes with DVC, takes objects away the way a
lifecycle rule, a `dvc gc -c` or an interrupted push does, and reads what a user sees.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.harness.dvcremote import (
    CATS,
    Template,
    add_dataset,
    delete,
    dir_md5,
    findings,
    from_template,
    manifest,
    new_bucket,
    object_key,
    pushed,
    registry,
    set_keys,
)
from tests.harness.dvcrun import dvc
from tests.harness.repo import GitRepo
from tests.harness.s3server import S3Server
from tests.test_start_up import probe

HOOKS = str(Path(__file__).parent.parent / "hooks")


Copy = tuple[GitRepo, str]  # a registry and its bucket


@pytest.fixture
def pushed_copy(tmp_path: Path, s3: S3Server, pushed_registry: Template) -> Copy:
    """A registry whose dog_and_cat (8 objects: the .dir and 7 files) is in its bucket."""
    return from_template(pushed_registry, tmp_path / "registry", s3)


@pytest.fixture
def unpushed_copy(tmp_path: Path, s3: S3Server, pushed_registry: Template) -> Copy:
    """The same registry with an empty bucket: nothing was pushed."""
    return from_template(pushed_registry, tmp_path / "registry", s3, pushed=False)


def _requests(proc_err: str) -> int:
    m = re.search(r"asked about \d+ objects? in (\d+) requests?", proc_err)
    assert m, proc_err
    return int(m.group(1))


def test_all_pushed_passes_and_an_unchanged_recheck_asks_nothing(pushed_copy: Copy) -> None:
    repo, _ = pushed_copy
    repo.write("labels.csv", "id,label\n1,dog\n")
    dvc(repo.path, "add", "-q", "labels.csv")
    repo.git("add", "-A")
    repo.commit("labels")
    dvc(repo.path, "push", "-q")

    first = pushed(repo, "-v")
    assert (first.returncode, first.stdout) == (0, "")
    assert "2 outputs" in first.stderr and "9 objects" in first.stderr  # .dir + 7 + labels
    assert _requests(first.stderr) > 0

    again = pushed(repo, "-v")
    assert (again.returncode, again.stdout) == (0, "")
    assert _requests(again.stderr) == 0
    # Answered from the cache of earlier checks: dvc (and its S3 stack) is not even imported.
    assert not {"dvc", "dvc_data", "s3fs"} & set(probe(repo, check="dvc_pushed")["heavy"])

    fresh = pushed(repo, "-v", "--no-cache")
    assert fresh.returncode == 0 and _requests(fresh.stderr) > 0


def test_a_dataset_never_pushed_is_named_with_the_push_that_fixes_it(unpushed_copy: Copy) -> None:
    repo, _ = unpushed_copy
    proc = pushed(repo)
    assert proc.returncode == 1
    assert "dog_and_cat.dvc:" in proc.stdout
    assert "dog_and_cat: 8 of 8 objects are not in remote 'storage'" in proc.stdout
    assert "dvc push dog_and_cat.dvc" in proc.stdout

    dvc(repo.path, "push", "-q")
    assert pushed(repo).returncode == 0


def test_files_deleted_inside_a_pushed_directory_which_dvc_status_misses(
        tmp_path: Path, s3: S3Server, pushed_copy: Copy) -> None:
    repo, bucket = pushed_copy
    files = manifest(repo, "dog_and_cat")
    delete(s3, bucket, files["cat/1.jpg"], files["dog/3.jpg"])

    # DVC trusts the directory's .dir object: it sees nothing wrong.
    assert "in sync" in dvc(repo.path, "status", "-c")

    proc = pushed(repo, "--format", "json")
    assert proc.returncode == 1
    (finding,) = findings(proc)
    assert finding["path"] == "dog_and_cat.dvc"
    assert "2 of 8 objects" in str(finding["message"])
    assert "dog_and_cat/cat/1.jpg" in str(finding["message"])
    assert "dog_and_cat/dog/3.jpg" in str(finding["message"])
    # `dvc push` would send nothing, so the hint does not pretend it would.
    assert "dvc push sends nothing" in str(finding["hint"]).replace("`", "")
    assert "Everything is up to date" in dvc(repo.path, "push")
    assert pushed(repo).returncode == 1

    fixed = pushed(repo, "--push")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "uploaded 2 objects" in fixed.stderr
    assert pushed(repo, "--no-cache").returncode == 0
    # And the data really comes back for someone else.
    clone = tmp_path / "clone"
    repo.git("clone", "-q", str(repo.path), str(clone))
    shutil.copy(repo.path / ".dvc" / "config.local", clone / ".dvc" / "config.local")
    dvc(clone, "pull", "-q")
    assert (clone / "dog_and_cat" / "cat" / "1.jpg").read_bytes() == CATS["cat/1.jpg"]


def test_the_dir_object_deleted(s3: S3Server, pushed_copy: Copy) -> None:
    repo, bucket = pushed_copy
    delete(s3, bucket, dir_md5(repo, "dog_and_cat"))

    proc = pushed(repo, "--no-cache")
    assert proc.returncode == 1
    assert "1 of 8 objects" in proc.stdout and "(the .dir manifest)" in proc.stdout
    assert "dvc push dog_and_cat.dvc" in proc.stdout

    fixed = pushed(repo, "--push")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "$ dvc push dog_and_cat.dvc" in fixed.stderr


def test_a_single_file_output_missing(pushed_copy: Copy) -> None:
    repo, _ = pushed_copy
    repo.write("model/weights.bin", b"\x00weights" * 100)
    dvc(repo.path, "add", "-q", "model/weights.bin")
    repo.git("add", "-A")
    repo.commit("weights")

    proc = pushed(repo, "--format", "json")
    assert proc.returncode == 1
    (finding,) = findings(proc)
    assert finding["path"] == "model/weights.bin.dvc" and finding["line"] == 2
    assert "model/weights.bin: 1 of 1 object is not in remote" in str(finding["message"])
    assert finding["hint"] == "dvc push model/weights.bin.dvc"


def test_a_fresh_clone_with_no_cache_reads_only_the_manifests(
        tmp_path: Path, s3: S3Server, pushed_copy: Copy) -> None:
    repo, bucket = pushed_copy
    add_dataset(repo, "fish", {"a.png": b"\x89PNGa", "b.png": b"\x89PNGb"})
    repo.commit("fish")
    dvc(repo.path, "push", "-q")
    files = manifest(repo, "dog_and_cat")
    delete(s3, bucket, files["dog/0.jpg"], dir_md5(repo, "fish"))

    clone = GitRepo(tmp_path / "ci")
    repo.git("clone", "-q", str(repo.path), str(clone.path))
    shutil.copy(repo.path / ".dvc" / "config.local", clone.path / ".dvc" / "config.local")
    assert not (clone.path / ".dvc" / "cache").exists()

    proc = pushed(clone, "--rev", "HEAD", "--format", "json")
    assert proc.returncode == 1
    by_path = {f["path"]: f for f in findings(proc)}
    assert set(by_path) == {"dog_and_cat.dvc", "fish.dvc"}
    assert "1 of 8 objects" in str(by_path["dog_and_cat.dvc"]["message"])
    assert "dog_and_cat/dog/0.jpg" in str(by_path["dog_and_cat.dvc"]["message"])
    # fish's manifest is gone from the remote and this clone never had it: nobody can list
    # its files, and this machine cannot push them either.
    assert "neither this machine's cache nor the remote" in str(by_path["fish.dvc"]["message"])
    assert "cache lacks them too" in str(by_path["fish.dvc"]["hint"])
    assert not (clone.path / "dog_and_cat").exists()  # nothing was downloaded but manifests


def test_outputs_go_to_their_own_remote(s3: S3Server, pushed_copy: Copy) -> None:
    repo, _ = pushed_copy
    archive = new_bucket(s3)
    dvc(repo.path, "remote", "add", "archive", f"s3://{archive}/old")
    dvc(repo.path, "remote", "modify", "archive", "endpointurl", s3.endpoint)
    set_keys(repo, s3.keys, "storage", "archive")
    repo.write("scans/1.tif", b"II*\x00scan")
    dvc(repo.path, "add", "-q", "scans")
    dvcfile = repo.path / "scans.dvc"
    dvcfile.write_text(dvcfile.read_text().replace("  path: scans", "  path: scans\n"
                                                   "  remote: archive"))
    repo.git("add", "-A")
    repo.commit("scans go to the archive")
    dvc(repo.path, "push", "-q")  # each output to its own remote
    assert pushed(repo, "--no-cache").returncode == 0

    s3.client().delete_object(Bucket=archive, Key=f"old/files/md5/{_md5(repo, 'scans')}")
    proc = pushed(repo, "--no-cache")
    assert proc.returncode == 1
    assert f"scans: 1 of 2 objects are not in remote 'archive' (s3://{archive}/old)" \
        in proc.stdout
    assert "dog_and_cat" not in proc.stdout


def _md5(repo: GitRepo, name: str) -> str:
    md5 = dir_md5(repo, name)
    return f"{md5[:2]}/{md5[2:]}"


def test_push_false_and_imports_are_not_required(
        tmp_path: Path, s3: S3Server, monkeypatch: pytest.MonkeyPatch, pushed_copy: Copy) -> None:
    repo, _ = pushed_copy
    # `dvc import` clones the registry, which has no config.local: credentials from the
    # environment, as on a lab member's machine.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3.keys[0])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3.keys[1])
    repo.write("scratch/tmp.bin", b"\x00scratch")
    dvc(repo.path, "add", "-q", "scratch")
    dvcfile = repo.path / "scratch.dvc"
    dvcfile.write_text(dvcfile.read_text() + "  push: false\n")
    user = registry(tmp_path / "user", s3, new_bucket(s3))
    (user.path / "data").mkdir()
    dvc(user.path, "import", "-q", str(repo.path), "dog_and_cat", "-o", "data/dog_and_cat")
    user.git("add", "-A")
    user.commit("import")
    repo.git("add", "-A")
    repo.commit("scratch stays here")

    assert pushed(repo).returncode == 0
    # The import is pulled from the registry's remote, which the registry's gate checks.
    assert pushed(user).returncode == 0


def test_dvc_lock_outputs_are_checked(pushed_copy: Copy) -> None:
    repo, _ = pushed_copy
    dvc(repo.path, "stage", "add", "-q", "-n", "count", "-d", "dog_and_cat", "-o",
        "counts.txt", "ls -R dog_and_cat | wc -l > counts.txt")
    dvc(repo.path, "repro", "-q")
    repo.git("add", "-A")
    repo.commit("count")

    proc = pushed(repo, "--format", "json")
    assert proc.returncode == 1
    (finding,) = findings(proc)
    assert finding["path"] == "dvc.lock"
    assert finding["hint"] == "dvc push counts.txt"
    dvc(repo.path, "push", "-q")
    assert pushed(repo).returncode == 0


def test_a_range_checks_only_the_datasets_it_changes(unpushed_copy: Copy) -> None:
    repo, _ = unpushed_copy
    base = repo.head()
    repo.write("notes.md", "# notes\n")
    add_dataset(repo, "fish", {"a.png": b"\x89PNGa"})
    repo.commit("fish")
    dvc(repo.path, "push", "-q", "fish.dvc")  # the PR's dataset is pushed; an older one not

    assert pushed(repo, "--range", f"{base}..HEAD").returncode == 0
    everything = pushed(repo, "--rev", "HEAD")
    assert everything.returncode == 1 and "dog_and_cat" in everything.stdout
    assert "fish" not in everything.stdout


def test_dvc2_format_outputs_are_looked_for_where_dvc_2_put_them(
        tmp_path: Path, s3: S3Server) -> None:
    bucket = new_bucket(s3)
    repo = registry(tmp_path / "old", s3, bucket)
    repo.write("weights.bin", b"old\x00weights")
    import hashlib

    md5 = hashlib.md5(b"old\x00weights").hexdigest()
    # A DVC 2 file: no `hash: md5`, so its objects live at the remote's root (md5-dos2unix).
    repo.write("weights.bin.dvc", f"outs:\n- md5: {md5}\n  size: 11\n  path: weights.bin\n")
    repo.write(".gitignore", "/weights.bin\n")
    dvc(repo.path, "commit", "-q", "-f", "weights.bin.dvc")
    repo.git("add", "-A")
    repo.commit("dvc 2 file")
    assert pushed(repo).returncode == 1
    dvc(repo.path, "push", "-q")
    keys = [o["Key"] for o in s3.client().list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == [f"store/{md5[:2]}/{md5[2:]}"]
    assert pushed(repo, "-v").returncode == 0


def test_no_dvc_files_nothing_to_check(repo: GitRepo) -> None:
    repo.write("README.md", "# code only\n")
    repo.git("add", "-A")
    repo.commit("code")
    proc = pushed(repo)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


def test_git_push_is_refused_until_the_data_is_pushed(tmp_path: Path, pushed_copy: Copy) -> None:
    repo, _ = pushed_copy
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(origin)], check=True)
    repo.git("remote", "add", "origin", str(origin))
    repo.git("push", "-q", "--no-verify", "origin", "main")
    repo.git("config", "core.hooksPath", HOOKS)

    add_dataset(repo, "fish", {"a.png": b"\x89PNGa", "b.png": b"\x89PNGb"})
    repo.commit("fish")
    push = repo.git("push", "origin", "main", check=False)
    assert push.returncode == 1
    assert "fish: 3 of 3 objects are not in remote 'storage'" in push.stderr + push.stdout
    assert "dvc push fish.dvc" in push.stderr + push.stdout
    assert repo.git("ls-remote", "origin", "main").stdout.split()[0] != repo.head()

    dvc(repo.path, "push", "-q")
    push = repo.git("push", "origin", "main", check=False)
    assert push.returncode == 0, push.stderr
    assert repo.git("ls-remote", "origin", "main").stdout.split()[0] == repo.head()


def test_many_objects_are_asked_about_by_listing_not_one_by_one(s3: S3Server,
                                                                unpushed_copy: Copy) -> None:
    repo, bucket = unpushed_copy
    add_dataset(repo, "frames", {f"{i:04}.png": b"\x89PNG" + i.to_bytes(2, "big")
                                 for i in range(600)})
    repo.commit("600 frames")
    dvc(repo.path, "push", "-q")
    proc = pushed(repo, "-v", "--no-cache")
    assert proc.returncode == 0, proc.stdout
    assert "asked about 609 objects" in proc.stderr  # 601 + dog_and_cat's 8
    assert _requests(proc.stderr) <= 5  # the fullest folder, then the whole tree at once

    frames = manifest(repo, "frames")
    delete(s3, bucket, frames["0007.png"], frames["0599.png"])
    proc = pushed(repo, "--no-cache", "--format", "json")
    (finding,) = findings(proc)
    assert "2 of 601 objects" in str(finding["message"])
    assert "frames/0007.png" in str(finding["message"])


def test_an_object_of_the_wrong_size_is_not_there_and_push_replaces_it(
        s3: S3Server, pushed_copy: Copy) -> None:
    """A truncated or overwritten object: the key is taken, so `dvc push` sends nothing; the
    size the .dvc file records tells it apart, and `--push` uploads the right bytes over it."""
    repo, bucket = pushed_copy
    repo.write("model/weights.bin", b"\x00weights" * 100)
    dvc(repo.path, "add", "-q", "model/weights.bin")
    repo.git("add", "-A")
    repo.commit("weights")
    dvc(repo.path, "push", "-q")
    import hashlib

    md5 = hashlib.md5(b"\x00weights" * 100).hexdigest()
    s3.client().put_object(Bucket=bucket, Key=object_key(md5), Body=b"\x00weig")

    proc = pushed(repo, "--format", "json")
    assert proc.returncode == 1
    (finding,) = findings(proc)
    assert finding["path"] == "model/weights.bin.dvc"
    assert (finding["rule"], finding["message"]) == (
        "objects-corrupt", f"model/weights.bin: 1 of 1 object in remote 'storage' (s3://{bucket}"
        "/store) is not the bytes DVC recorded, so `dvc pull` fails or brings wrong data: "
        "model/weights.bin is not what model/weights.bin.dvc records: it is 5 bytes, not the "
        "800 bytes recorded")
    assert "dvc-pushed --push --rev HEAD" in str(finding["hint"])
    fixed = pushed(repo, "--push")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert pushed(repo, "--no-cache").returncode == 0
