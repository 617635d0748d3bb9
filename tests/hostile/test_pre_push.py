"""The pre-push gate cannot be walked around: every object a pushed ref reaches is judged.

Real pushes to a local bare remote with dataward's hooks installed (core.hooksPath): a tag on
a tree or on a blob (lightweight, annotated, nested) carries a large file past no gate; a
`git replace` that stands a small blob in for a large one hides nothing, since what is pushed
is the large one; and the hint's commands, pasted into a shell, do what they say for any tag
name git allows.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.harness.repo import GitRepo, blob

KB = 1024
HOOKS = str(Path(__file__).resolve().parents[2] / "hooks")
BIG = 2 * KB * KB  # over the default 500 KB limit


@pytest.fixture
def pushable(repo: GitRepo, tmp_path: Path) -> GitRepo:
    repo.write("README.md", "# project\n")
    repo.add("README.md")
    repo.commit("base")
    repo.push_to_bare(tmp_path / "remote.git")
    repo.git("config", "core.hooksPath", HOOKS)
    return repo


def push(repo: GitRepo, *refs: str) -> tuple[int, str]:
    res = repo.git("push", "origin", *refs, check=False)
    return res.returncode, res.stdout + res.stderr


def on_remote(repo: GitRepo, ref: str) -> bool:
    return bool(repo.git("ls-remote", "origin", ref).stdout.strip())


def tree_with(repo: GitRepo, name: str, data: bytes) -> str:
    """A tree holding `name`, written without a commit and without touching the index."""
    oid = repo.git("hash-object", "-w", "--stdin", input=data).stdout.strip()
    entry = f"100644 blob {oid}\t{name}\n".encode()
    return repo.git("mktree", input=entry).stdout.strip()


def write_blob(repo: GitRepo, data: bytes) -> str:
    return repo.git("hash-object", "-w", "--stdin", input=data).stdout.strip()


@pytest.mark.parametrize("how", ["lightweight", "annotated", "nested"])
def test_a_tag_on_a_tree_does_not_carry_a_large_file_past_the_hook(
        pushable: GitRepo, how: str) -> None:
    repo = pushable
    tree = tree_with(repo, "weights.bin", blob(BIG))
    if how == "lightweight":
        repo.git("tag", "t", tree)
    else:
        repo.git("tag", "-a", "-m", "tree", "t" if how == "annotated" else "inner", tree)
    if how == "nested":
        repo.git("-c", "advice.nestedTag=false", "tag", "-a", "-m", "outer", "t", "inner")
    code, said = push(repo, "refs/tags/t")
    assert code != 0, said
    assert "weights.bin (in tag t, a tree) is 2.0 MB, over the 500 KB limit" in said
    assert "delete it here: git tag -d t" in said
    assert not on_remote(repo, "refs/tags/t")


@pytest.mark.parametrize("how", ["lightweight", "annotated"])
def test_a_tag_on_a_blob_is_judged_as_a_blob_without_a_path(pushable: GitRepo, how: str) -> None:
    repo = pushable
    oid = write_blob(repo, blob(BIG))
    repo.git("tag", *(["-a", "-m", "blob"] if how == "annotated" else []), "b", oid)
    code, said = push(repo, "refs/tags/b")
    assert code == 1, said  # refused for its size, not exit 3 for a tree it could not read
    assert "tag b (a blob) is 2.0 MB, over the 500 KB limit" in said
    assert "git push origin :refs/tags/b" in said
    assert "could not" not in said and "failed" not in said.replace("failed to push", "")
    assert not on_remote(repo, "refs/tags/b")
    repo.git("tag", "-d", "b")  # what the hint says
    assert push(repo, "--tags")[0] == 0


def test_small_trees_and_blobs_and_what_the_remote_has_pass(pushable: GitRepo) -> None:
    repo = pushable
    repo.git("tag", "small-tree", tree_with(repo, "notes.txt", b"notes\n"))
    repo.git("tag", "small-blob", write_blob(repo, b"hello\n"))
    # A legacy large file already on the remote (pushed before the hook was installed)...
    repo.write("legacy.bin", blob(BIG, seed=3))
    repo.add("legacy.bin")
    repo.commit("legacy")
    repo.git("push", "-q", "--no-verify", "origin", "main")
    # ...is not judged again when a tag on main's tree pushes nothing new.
    repo.git("tag", "main-tree", "HEAD^{tree}")
    code, said = push(repo, "refs/tags/small-tree", "refs/tags/small-blob", "refs/tags/main-tree")
    assert code == 0, said
    assert on_remote(repo, "refs/tags/small-tree") and on_remote(repo, "refs/tags/main-tree")


def test_the_check_entry_point_reads_the_same_push(pushable: GitRepo) -> None:
    repo = pushable
    oid = write_blob(repo, blob(BIG))
    zero = "0" * 40
    line = f"refs/tags/b {oid} refs/tags/b {zero}\n"
    for argv in (["hook", "pre-push", "origin", "url"],
                 ["check", "no-large-binaries", "--pre-push", "origin"]):
        proc = subprocess.run([sys.executable, "-m", "dataward", *argv], cwd=repo.path,
                              input=line.encode(), capture_output=True, check=False)
        assert proc.returncode == 1, (argv, proc.stderr)
        assert b"tag b (a blob) is 2.0 MB, over the 500 KB limit" in proc.stdout + proc.stderr


def test_an_object_the_clone_lacks_fails_closed(pushable: GitRepo) -> None:
    line = f"refs/tags/x {'1' * 40} refs/tags/x {'0' * 40}\n"
    proc = subprocess.run([sys.executable, "-m", "dataward", "hook", "pre-push", "origin", "u"],
                          cwd=pushable.path, input=line.encode(), capture_output=True,
                          check=False)
    assert proc.returncode == 3
    assert b"refs/tags/x is pushed as 111111111111, which is not in this clone" in proc.stderr
    assert b"Traceback" not in proc.stderr


def test_git_replace_hides_no_pushed_blob(pushable: GitRepo) -> None:
    repo = pushable
    repo.write("model.pt", blob(BIG))
    repo.add("model.pt")
    big = repo.git("rev-parse", ":model.pt").stdout.strip()
    repo.git("replace", big, write_blob(repo, b"tiny\n"))
    assert repo.git("cat-file", "-s", big).stdout.strip() == "5"  # git itself is fooled
    repo.commit("model, hidden behind a replace ref")  # --no-verify
    code, said = push(repo, "main")
    assert code == 1, said
    assert "model.pt is 2.0 MB, over the 500 KB limit" in said
    repo.git("tag", "hidden", big)  # a tag on the replaced blob is judged by its real size
    code, said = push(repo, "refs/tags/hidden")
    assert code == 1 and "tag hidden (a blob) is 2.0 MB" in said


def test_a_copy_of_an_allowed_blob_to_a_stricter_path_is_refused(pushable: GitRepo) -> None:
    repo = pushable
    repo.write("dataward.toml", '[no-large-binaries]\nmax-kb = 100\n'
                                'limits = { "allowed/*.bin" = 4096 }\n')
    repo.write("allowed/w.bin", blob(KB * KB))
    repo.add("dataward.toml", "allowed/w.bin")
    repo.commit("allowed weights")
    assert push(repo, "main")[0] == 0  # allowed there
    repo.write("strict/w.bin", blob(KB * KB))  # the same blob, which the remote has
    repo.add("strict/w.bin")
    repo.commit("copy")
    code, said = push(repo, "main")
    assert code == 1, said
    assert "strict/w.bin is 1.0 MB, over the 100 KB limit" in said
    assert "allowed/w.bin" not in said


# Tag names git accepts may hold shell syntax: the hint quotes them, so pasting it deletes
# exactly that tag and runs nothing else.
_NAME = st.text(alphabet=st.sampled_from("abZ09._-+@'\"$`();&|<>!#%=,"), min_size=1,
                max_size=12)


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=_NAME, size=st.sampled_from([100 * KB, 499 * KB, 501 * KB, BIG]))
def test_the_verdict_and_the_hint_for_any_tag_name(pushable: GitRepo, name: str,
                                                   size: int) -> None:
    repo = pushable
    ok = subprocess.run(["git", "check-ref-format", f"refs/tags/{name}"], check=False)
    assume(ok.returncode == 0 and not name.startswith("-"))
    oid = write_blob(repo, blob(size, seed=len(name)))
    repo.git("tag", name, oid)
    try:
        code, said = push(repo, f"refs/tags/{name}")
        assert (code != 0) == (size > 500 * KB), said
        if size > 500 * KB:
            assert f"tag {name} (a blob) is " in said
            (fix,) = [ln for ln in said.splitlines() if "delete it here: " in ln]
            command = fix.split("delete it here: ", 1)[1]
            assert shlex.split(command) == ["git", "tag", "-d", name]
            subprocess.run(["sh", "-c", command], cwd=repo.path, check=True,
                           capture_output=True)
            assert not repo.git("tag", "-l", name).stdout.strip()  # the hint deleted it
        else:
            assert on_remote(repo, f"refs/tags/{name}")
    finally:
        repo.git("tag", "-d", name, check=False)
        repo.git("push", "-q", "--no-verify", "origin", f":refs/tags/{name}", check=False)
