"""Hooks run on every commit: the git-only hook must not import dvc, and skips work it has done."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.harness.repo import GitRepo, blob

HEAVY = ("dvc", "dvc_data", "s3fs", "pydantic", "yaml", "git", "github3", "tomllib")
PROBE = f"""
import importlib, json, sys
main = importlib.import_module("dataward.checks." + sys.argv[1]).main
code = main(sys.argv[2:])
heavy = sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))
print(json.dumps({{"code": code, "heavy": heavy}}), file=sys.stderr)
"""


def probe(repo: GitRepo, *args: str, check: str = "no_large_binaries") -> dict[str, object]:
    proc = subprocess.run([sys.executable, "-c", PROBE, check, *args], cwd=repo.path,
                          capture_output=True, text=True)
    return json.loads(proc.stderr.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_no_policy_no_dvc_project_imports_nothing_heavy(repo: GitRepo) -> None:
    repo.write("a.bin", blob(600 * 1024))
    repo.add("a.bin")
    assert probe(repo) == {"code": 1, "heavy": []}


def test_policy_and_dvc_files_are_parsed_once_then_cached(repo: GitRepo) -> None:
    repo.write("dataward.toml", "[no-large-binaries]\nmax-kb = 100\n")
    repo.write(".dvc/config", "")
    repo.write("data.dvc", "outs:\n- md5: 0123456789abcdef0123456789abcdef\n  path: data\n")
    repo.write("data/x.csv", "1,2\n")
    repo.add("dataward.toml", ".dvc/config", "data.dvc", "data/x.csv")
    first = probe(repo)
    assert first["code"] == 1
    assert {"pydantic", "yaml", "tomllib"} <= set(first["heavy"])  # type: ignore[arg-type]
    assert "dvc" not in first["heavy"]  # type: ignore[operator]
    assert probe(repo) == {"code": 1, "heavy": []}


def test_the_dvc_and_card_hooks_never_import_dvc(repo: GitRepo) -> None:
    repo.write(".dvc/config", "[core]\n    remote = s3\n['remote \"s3\"']\n    url = s3://b\n")
    repo.write(".gitignore", "/data\n")
    repo.write("data.dvc", "outs:\n- md5: 0123456789abcdef0123456789abcdef\n  path: data\n")
    files = probe(repo, check="dvc_files")
    assert files["code"] == 0
    assert not {"dvc", "dvc_data", "git", "github3"} & set(files["heavy"])  # type: ignore[arg-type]
    config = probe(repo, check="dvc_config")
    assert config == {"code": 0, "heavy": []}  # configobj only: no pydantic, yaml or dvc
    cards = probe(repo, check="dataset_cards")
    assert cards["code"] == 1  # data.dvc has no card
    assert not {"dvc", "dvc_data", "git", "github3"} & set(cards["heavy"])  # type: ignore[arg-type]


def test_a_hostile_dvc_file_does_not_crash_the_git_only_hook(repo: GitRepo) -> None:
    # libyaml composes recursively: 200k nested brackets used to kill the process.
    repo.write(".dvc/config", "")
    repo.write("bomb.dvc", b"outs: " + b"[" * 200_000 + b"]" * 200_000 + b"\n")
    repo.write("small.txt", "hi\n")
    repo.add(".dvc/config", "bomb.dvc", "small.txt")
    assert probe(repo)["code"] == 0
