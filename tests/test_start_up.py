"""Hooks run on every commit: the git-only hook must not import dvc, and skips work it has done."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.harness.repo import GitRepo, blob

HEAVY = ("dvc", "dvc_data", "s3fs", "pydantic", "yaml", "git", "github3", "tomllib")
PROBE = f"""
import importlib, json, sys
module = sys.argv[1] if "." in sys.argv[1] else "dataward.checks." + sys.argv[1]
main = importlib.import_module(module).main
code = main(sys.argv[2:])
heavy = sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))
print(json.dumps({{"code": code, "heavy": heavy}}), file=sys.stderr)
"""


FRONT = ("pretty_name: Dogs\nlicense: cc-by-4.0\nlanguage:\n- en\nsize_categories:\n"
         "- n<1K\nmaintainers:\n- name: Ada Lovelace\n  email: ada@lab.example\n"
         "source: https://lab.example/dogs\n")


def _body() -> str:
    from dataward.policy import DATASHEET_SECTIONS

    return "\n# Dogs\n\nPhotos of the lab's dogs.\n" + "".join(
        f"\n## {s}\n\nA few sentences.\n" for s in DATASHEET_SECTIONS)


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
    assert {"pydantic", "tomllib"} <= set(first["heavy"])  # type: ignore[arg-type]
    # A .dvc file as DVC writes it is read without PyYAML (formats/yamlfast).
    assert "dvc" not in first["heavy"] and "yaml" not in first["heavy"]  # type: ignore[operator]
    assert probe(repo) == {"code": 1, "heavy": []}


def test_the_dvc_and_card_hooks_never_import_dvc(repo: GitRepo) -> None:
    repo.write(".dvc/config", "[core]\n    remote = s3\n['remote \"s3\"']\n    url = s3://b\n")
    repo.write(".gitignore", "/data\n")
    repo.write("data.dvc", "outs:\n- md5: 0123456789abcdef0123456789abcdef\n  path: data\n")
    files = probe(repo, check="dvc_files")
    assert files["code"] == 0
    assert not {"dvc", "dvc_data", "git", "github3"} & set(files["heavy"])  # type: ignore[arg-type]
    config = probe(repo, check="dvc_config")
    assert config == {"code": 0, "heavy": []}  # no pydantic, yaml or dvc
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


def test_a_valid_card_commit_imports_no_models_and_a_bad_card_reads_as_before(
        repo: GitRepo) -> None:
    front, body = FRONT, _body()
    repo.write(".dvc/config", "")
    repo.write("dogs.dvc", "outs:\n- md5: 0123456789abcdef0123456789abcdef.dir\n  size: 100\n"
                           "  nfiles: 3\n  hash: md5\n  path: dogs\n")
    repo.write("dogs.card.md", f"---\n{front}---\n{body}")
    repo.add(".dvc/config", "dogs.dvc", "dogs.card.md")
    for _ in range(2):  # the first run reads the card, the second finds it remembered
        got = probe(repo, "dogs.dvc", "dogs.card.md", check="dataset_cards")
        assert got == {"code": 0, "heavy": []}
    # A bad card: the models word it, exactly as they did before the quick path.
    bad = front.replace("pretty_name: Dogs", "pretty_name: [Dogs]").replace("cc-by-4.0",
                                                                            "cc-by-9.9")
    repo.write("dogs.card.md", f"---\n{bad}---\n{body}")
    proc = subprocess.run([sys.executable, "-c", "import sys; from dataward.checks."
                           "dataset_cards import main; raise SystemExit(main(sys.argv[1:]))",
                           "dogs.dvc", "dogs.card.md"], cwd=repo.path, capture_output=True,
                          text=True)
    assert (proc.returncode, proc.stderr) == (1, "")
    assert proc.stdout == (
        "dogs.card.md:2: [dataset-cards] `pretty_name` must be a string, not list (['Dogs']) "
        "[card-invalid-value]\n    a human-readable name, such as `Dogs and cats`\n"
        "dogs.card.md:3: [dataset-cards] `license` is 'cc-by-9.9', not a license value the Hub "
        "allows [card-value-not-allowed]\n    did you mean `cc-by-4.0`?\n"
        "dataward: 2 errors, 0 warnings\n")
    assert "pydantic" in probe(repo, "dogs.card.md", check="dataset_cards")["heavy"]  # type: ignore[operator]


def test_a_registry_commit_costs_git_only_hooks_no_models_digests_or_temp_files(
        repo: GitRepo) -> None:
    """Issue 23: once the policy is remembered, no-large-binaries and dvc-config on a valid
    registry commit import no pydantic, YAML or dvc, and none of tempfile, hashlib, pickle or
    configobj (the policy cache is keyed by the policy's bytes, read by the C unpickler; the
    plain .dvc/config DVC writes is read without configobj); nor do
    dataset-cards (its cache of cards hashed by the builtin blake2) and the `dataward` hook."""
    from dataward.adopt.policy_file import render

    costly = (*HEAVY, "tempfile", "hashlib", "pickle", "configobj")
    probe_script = PROBE
    repo.write("dataward.toml", render("registry"))
    repo.write(".dvc/config", "[core]\n    remote = s3\n['remote \"s3\"']\n    url = s3://lab/r\n")
    repo.write(".dvc/.gitignore", "/config.local\n/tmp\n/cache\n")
    repo.write("datasets/.gitignore", "/dogs\n")
    repo.write("datasets/dogs.dvc", "outs:\n- md5: 0123456789abcdef0123456789abcdef.dir\n"
                                    "  size: 100\n  nfiles: 3\n  hash: md5\n  path: dogs\n")
    repo.write("datasets/dogs.card.md", f"---\n{FRONT}---\n{_body()}")
    repo.add("dataward.toml", ".dvc/config", ".dvc/.gitignore", "datasets/.gitignore",
             "datasets/dogs.dvc", "datasets/dogs.card.md")
    staged = ("datasets/.gitignore", "datasets/dogs.card.md", "datasets/dogs.dvc")
    globals()["PROBE"] = PROBE.replace(repr(HEAVY), repr(costly))  # probe() reads it
    try:
        first = probe(repo, *staged)
        assert first["code"] == 0 and "pydantic" in first["heavy"]  # type: ignore[operator]
        every = ("dataward.toml", ".dvc/config", ".dvc/.gitignore", *staged)
        probe(repo, *every, check="dataward.stages")  # the cards are read and remembered
        for _ in range(2):
            assert probe(repo, *staged) == {"code": 0, "heavy": []}
            assert probe(repo, check="dvc_config") == {"code": 0, "heavy": []}
            assert probe(repo, *staged[1:], check="dataset_cards") == {"code": 0, "heavy": []}
            assert probe(repo, *every, check="dataward.stages") == {"code": 0, "heavy": []}
    finally:
        globals()["PROBE"] = probe_script


def test_a_valid_registry_commit_reads_dvc_files_without_pydantic_or_yaml(repo: GitRepo) -> None:
    # As `dvc add data` (DVC 3) writes it for a folder, with its .gitignore entry.
    repo.write(".dvc/config", "[core]\n    remote = s3\n['remote \"s3\"']\n    url = s3://b\n")
    repo.write("data.dvc", "outs:\n- md5: 0123456789abcdef0123456789abcdef.dir\n  size: 8192\n"
               "  nfiles: 2\n  hash: md5\n  path: data\n")
    repo.write(".gitignore", "/data\n")
    repo.add(".dvc/config", "data.dvc", ".gitignore")
    assert probe(repo, "data.dvc", ".gitignore", check="dvc_files") == {"code": 0, "heavy": []}
    # A broken file still gets the strict model's message, line and hint.
    repo.write("data.dvc", "outs:\n- md5: 0123456789abcdef0123456789abcdef.dir\n  size: -1\n"
               "  nfiles: 2\n  hash: md5\n  path: data\n")
    main = "from dataward.checks.dvc_files import main; raise SystemExit(main(['data.dvc']))"
    proc = subprocess.run([sys.executable, "-c", main], cwd=repo.path, capture_output=True,
                          text=True)
    assert proc.returncode == 1
    assert proc.stdout.startswith("data.dvc:3: [dvc-files] `outs[0].size` is negative (-1) "
                                  "[dvcfile-invalid-value]\n")
