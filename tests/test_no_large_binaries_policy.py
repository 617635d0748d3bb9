"""Policy, binaries, Git LFS and DVC outputs for no-large-binaries."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

import pytest

from dataward.checks.no_large_binaries import main
from tests.harness.hookrun import Result, runner
from tests.harness.repo import GitRepo, blob

KB = 1024


@pytest.fixture
def hook(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    return runner(main, capsys)


def paths(res: Result) -> list[str]:
    return sorted(f["path"] for f in res.findings())


def test_per_glob_limits_last_match_wins(repo: GitRepo, hook) -> None:
    repo.write("dataward.toml", """
[no-large-binaries]
max-kb = 100
limits = { "*.csv" = 2048, "data/raw/**" = 50 }
""")
    repo.write("table.csv", blob(1500 * KB, binary=False))
    repo.write("data/raw/small.csv", blob(60 * KB, binary=False))
    repo.write("notes.bin", blob(150 * KB))
    repo.write("notes.txt", blob(150 * KB, binary=False))  # text: under text-max-kb
    repo.add("table.csv", "data/raw/small.csv", "notes.bin", "notes.txt")
    res = hook("--format", "json")
    assert paths(res) == ["data/raw/small.csv", "notes.bin"]
    msg = {f["path"]: f["message"] for f in res.findings()}
    assert msg["data/raw/small.csv"] == "data/raw/small.csv is 60.0 KB, over the 50 KB limit"
    assert msg["notes.bin"] == "notes.bin is 150.0 KB, over the 100 KB limit for binaries"


def test_policy_in_pyproject(repo: GitRepo, hook) -> None:
    repo.write("pyproject.toml", "[project]\nname = 'x'\n\n[tool.dataward.no-large-binaries]\n"
                                 "max-kb = 10\n")
    repo.write("a.bin", blob(20 * KB))
    repo.add("a.bin")
    assert paths(hook("--format", "json")) == ["a.bin"]


def test_dataward_toml_wins_over_pyproject(repo: GitRepo, hook) -> None:
    repo.write("pyproject.toml", "[tool.dataward.no-large-binaries]\nmax-kb = 10\n")
    repo.write("dataward.toml", "[no-large-binaries]\nmax-kb = 30\n")
    repo.write("a.bin", blob(20 * KB))
    repo.add("a.bin")
    assert hook().code == 0


@pytest.mark.parametrize(("body", "expected"), [
    ('[no-large-binaries]\nmax-kb = "big"\n',
     "dataward.toml:2: no-large-binaries.max-kb: Input should be a valid integer (got 'big')"),
    ("[no-large-binaries]\n\nmaxkb = 3\n",
     "dataward.toml:3: no-large-binaries.maxkb: unknown key; known keys here: max-kb, "
     "text-max-kb, limits, binary-max-kb, binary-allow"),
    ("[no-large-binaries]\nmax-kb = -5\n",
     "dataward.toml:2: no-large-binaries.max-kb: must be 0 or more KB, not -5"),
    ('[no-large-binaries]\nlimits = { "*.csv" = "2MB" }\n',
     "dataward.toml:2: no-large-binaries.limits.*.csv: Input should be a valid integer"),
    ("[no-large-binaries\nmax-kb = 1\n", "dataward.toml:1: not valid TOML"),
])
def test_bad_policy_exits_2_naming_file_line_and_key(repo: GitRepo, hook, body: str,
                                                      expected: str) -> None:
    repo.write("dataward.toml", body)
    res = hook()
    assert res.code == 2
    assert expected in res.err
    assert "Traceback" not in res.err


def test_policy_changes_are_picked_up_through_the_cache(repo: GitRepo, hook) -> None:
    repo.write("a.bin", blob(20 * KB))
    repo.add("a.bin")
    repo.write("dataward.toml", "[no-large-binaries]\nmax-kb = 10\n")
    assert hook().code == 1
    assert hook().code == 1  # from the state cache
    repo.write("dataward.toml", "[no-large-binaries]\nmax-kb = 30\n")
    assert hook().code == 0
    repo.write("dataward.toml", "[no-large-binaries]\nmax-kb = oops\n")
    assert hook().code == 2


def test_explicit_config_file(repo: GitRepo, hook, tmp_path) -> None:
    cfg = tmp_path / "strict.toml"
    cfg.write_text("[no-large-binaries]\nmax-kb = 1\n")
    repo.write("a.bin", blob(2 * KB))
    repo.add("a.bin")
    assert hook("--config", str(cfg)).code == 1
    missing = hook("--config", str(tmp_path / "nope.toml"))
    assert missing.code == 2 and "cannot read the policy" in missing.err


def test_binary_policy(repo: GitRepo, hook) -> None:
    repo.write("dataward.toml", '[no-large-binaries]\nbinary-max-kb = 0\n'
                                'binary-allow = ["docs/**"]\n')
    repo.write("weights.npy", blob(3 * KB))
    repo.write("table.csv", blob(3 * KB, binary=False))
    repo.write("docs/figure.png", blob(3 * KB))
    repo.add("weights.npy", "table.csv", "docs/figure.png")
    res = hook("--format", "json")
    assert paths(res) == ["weights.npy"]
    assert "binary files are not allowed here" in res.findings()[0]["message"]


def test_binary_limit_and_git_diff_attribute(repo: GitRepo, hook) -> None:
    repo.write("dataward.toml", "[no-large-binaries]\nbinary-max-kb = 10\n")
    repo.write(".gitattributes", "*.dat -diff\n*.nul diff\n")
    repo.write("small.bin", blob(5 * KB))  # binary, under 10 KB
    repo.write("big.bin", blob(20 * KB))  # binary, over 10 KB
    repo.write("text.dat", blob(20 * KB, binary=False))  # text that git calls binary
    repo.write("zeros.nul", blob(20 * KB))  # NUL bytes that git diffs as text
    repo.add(".gitattributes", "small.bin", "big.bin", "text.dat", "zeros.nul")
    res = hook("--format", "json")
    assert paths(res) == ["big.bin", "text.dat"]
    assert "binaries over 10 KB are not allowed" in res.findings()[0]["message"]


def test_lfs_pointers_are_skipped(repo: GitRepo, hook, git_lfs) -> None:
    repo.git("lfs", "install", "--local")
    repo.git("lfs", "track", "*.bin")
    repo.write("weights.bin", blob(3 * KB * KB))
    repo.add(".gitattributes", "weights.bin")
    staged = repo.git("cat-file", "-p", ":weights.bin").stdout
    assert staged.startswith("version https://git-lfs.github.com/spec/v1")
    assert hook().code == 0


def test_lfs_marked_but_not_applied(repo: GitRepo, hook) -> None:
    repo.write(".gitattributes", "*.bin filter=lfs diff=lfs merge=lfs -text\n")
    repo.write("weights.bin", blob(3 * KB * KB))
    repo.add(".gitattributes", "weights.bin")  # no git-lfs filter configured here
    (f,) = hook("--format", "json").findings()
    assert "marked filter=lfs, but git got the file itself (3.0 MB)" in f["message"]
    assert "git lfs install" in f["hint"]


def test_real_dvc_output_staged_in_git(repo: GitRepo, hook) -> None:
    subprocess.run(["dvc", "init", "-q"], cwd=repo.path, check=True)
    repo.write("dog_and_cat/0000.jpg", blob(30 * KB, seed=1))
    repo.write("dog_and_cat/0001.jpg", blob(40 * KB, seed=2))
    repo.write("model.pt", blob(10 * KB, seed=3))
    subprocess.run(["dvc", "add", "-q", "dog_and_cat", "model.pt"], cwd=repo.path, check=True)
    repo.add(".dvc", "dog_and_cat.dvc", "model.pt.dvc", ".gitignore")
    assert hook().code == 0  # the pointers are what belongs in git
    repo.add("dog_and_cat", "model.pt")  # forced past .gitignore
    res = hook("--format", "json")
    by_path = {f["path"]: f for f in res.findings()}
    assert sorted(by_path) == ["dog_and_cat", "model.pt"]
    assert by_path["dog_and_cat"]["message"] == (
        "2 files of dog_and_cat/, a DVC output of dog_and_cat.dvc, are going into git")
    assert by_path["dog_and_cat"]["hint"] == (
        "fix: git rm -r --cached dog_and_cat && dvc add dog_and_cat")
    assert by_path["model.pt"]["hint"] == "fix: git rm --cached model.pt && dvc add model.pt"


def test_dvc_yaml_outputs_and_cache_false(repo: GitRepo, hook) -> None:
    repo.write(".dvc/config", "")
    repo.write("pipeline/dvc.yaml", """
stages:
  train:
    cmd: python train.py
    wdir: ..
    outs:
      - models/net.pt
      - metrics.json:
          cache: false
""")
    repo.write("models/net.pt", b"tiny")
    repo.write("metrics.json", '{"acc": 1}')
    repo.add(".dvc/config", "pipeline/dvc.yaml", "models/net.pt", "metrics.json")
    res = hook("--format", "json")
    assert paths(res) == ["models/net.pt"]
    assert "a DVC output of pipeline/dvc.yaml" in res.findings()[0]["message"]


def test_a_large_file_in_a_dvc_project_gets_the_dvc_fix(repo: GitRepo, hook) -> None:
    repo.write(".dvc/config", "")
    repo.write("results/run 1.bin", blob(600 * KB))
    repo.add(".dvc/config", "results/run 1.bin")
    (f,) = hook("--format", "json").findings()
    assert f["hint"].startswith("fix: git rm --cached 'results/run 1.bin' && "
                                "dvc add 'results/run 1.bin'\n"
                                "then commit 'results/run 1.bin.dvc' and results/.gitignore")


ALLOWED_BIN = """
[no-large-binaries]
max-kb = 100
limits = { "allowed/*.bin" = 4096 }
"""


@pytest.fixture
def allowed(repo: GitRepo) -> str:
    """A 1 MB binary the policy allows at allowed/w.bin, committed; returns that commit."""
    repo.write("dataward.toml", ALLOWED_BIN)
    repo.write("allowed/w.bin", blob(1024 * KB))
    repo.add("dataward.toml", "allowed/w.bin")
    return repo.commit("allowed weights")


def _verdicts(hook: Callable[..., Result], base: str) -> dict[str, list[str]]:
    """The paths flagged at commit time's successor scopes: a range, --all, and a push."""
    return {argv[0]: paths(hook(*argv, "--format", "json"))
            for argv in (["--range", f"{base}..HEAD"], ["--all"])}


@pytest.mark.parametrize("how", ["copy", "move"])
def test_an_allowed_blob_at_a_stricter_path_is_flagged_at_commit_and_in_ci(
        repo: GitRepo, allowed: str, hook, how: str) -> None:
    if how == "copy":
        repo.write("strict/w.bin", (repo.path / "allowed/w.bin").read_bytes())
        repo.add("strict/w.bin")
    else:
        (repo.path / "strict").mkdir()
        repo.git("mv", "allowed/w.bin", "strict/w.bin")
    same = repo.git("rev-parse", ":strict/w.bin").stdout.strip()
    assert same == repo.git("rev-parse", f"{allowed}:allowed/w.bin").stdout.strip()
    at_commit = hook("--format", "json")
    assert paths(at_commit) == ["strict/w.bin"]
    assert "over the 100 KB limit" in at_commit.findings()[0]["message"]
    repo.commit(f"{how} to a stricter path")
    assert _verdicts(hook, allowed) == {"--range": ["strict/w.bin"], "--all": ["strict/w.bin"]}


def test_a_move_to_a_path_no_stricter_adds_nothing(repo: GitRepo, allowed: str, hook) -> None:
    (repo.path / "allowed/old").mkdir()
    repo.git("mv", "allowed/w.bin", "allowed/old/w.bin")  # "allowed/*.bin" is one level only
    assert paths(hook("--format", "json")) == ["allowed/old/w.bin"]  # stricter: judged
    repo.git("mv", "allowed/old/w.bin", "allowed/x.bin")  # back under the same limit
    assert hook("--format", "json").code == 0
    repo.commit("rename")
    assert _verdicts(hook, allowed) == {"--range": [], "--all": []}


# -- text-max-kb (issue 19) -------------------------------------------------------------------

def test_text_max_kb_and_globs_override_the_text_default(repo: GitRepo, hook) -> None:
    repo.write("dataward.toml", '[no-large-binaries]\ntext-max-kb = 10\nmax-kb = 30\n'
                                'limits = { "docs/**" = 100 }\n')
    repo.write(".gitattributes", "*.dat diff\n")
    repo.write("notes.txt", blob(20 * KB, binary=False))  # text over its 10 KB
    repo.write("w.bin", blob(20 * KB))  # a binary under its 30 KB
    repo.write("table.dat", blob(20 * KB))  # NUL bytes that git diffs as text
    repo.write("docs/big.md", blob(90 * KB, binary=False))  # a glob sets both limits
    repo.write("big.csv", blob(40 * KB, binary=False))  # over both: not read
    repo.add("dataward.toml", ".gitattributes", "notes.txt", "w.bin", "table.dat",
             "docs/big.md", "big.csv")
    res = hook("--format", "json")
    assert {f["path"]: f["message"] for f in res.findings()} == {
        "notes.txt": "notes.txt is 20.0 KB, over the 10 KB limit for text",
        "table.dat": "table.dat is 20.0 KB, over the 10 KB limit for text",
        "big.csv": "big.csv is 40.0 KB, over the limits for binaries (30 KB) and text (10 KB)",
    }
    assert all("dvc add" in f["hint"] for f in res.findings())  # data: these go to DVC


def test_a_negative_text_max_kb_is_refused(repo: GitRepo, hook) -> None:
    repo.write("dataward.toml", "[no-large-binaries]\ntext-max-kb = -1\n")
    res = hook()
    assert res.code == 2
    assert "dataward.toml:2: no-large-binaries.text-max-kb: must be 0 or more KB, not -1" \
        in res.err


def test_only_a_blob_between_the_limits_is_read(repo: GitRepo, hook, tmp_path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # The text limit costs the common commit nothing: small files are judged on their size
    # alone, and no blob is read (`cat-file --batch`) unless its kind decides the verdict.
    trace = tmp_path / "trace"
    monkeypatch.setenv("GIT_TRACE", str(trace))
    repo.write("train.py", "print(1)\n" * 1000)
    repo.write("icon.png", blob(20 * KB))
    repo.add("train.py", "icon.png")
    assert hook() == Result(0, "", "")
    assert "cat-file --batch\n" not in trace.read_text()
    repo.write("uv.lock", blob(700 * KB, binary=False))
    repo.add("uv.lock")
    assert hook() == Result(0, "", "")  # text, under text-max-kb: read to know that
    assert "cat-file --batch\n" in trace.read_text()


def test_a_cache_written_by_another_build_of_this_version_is_not_trusted(
        repo: GitRepo, hook) -> None:
    """Upgrading from a checkout keeps `__version__`; a class that gained a field would load
    an old pickle shifted (`limits` None: an internal error on every commit, as seen after
    upgrading a real repository)."""
    import hashlib
    import pickle

    from dataward import __version__
    from dataward.policy import LargeBinariesPolicy, Policy

    repo.write("a.bin", blob(20 * KB))
    repo.add("a.bin")
    raw = b"[no-large-binaries]\nmax-kb = 10\n"
    repo.write("dataward.toml", raw)
    key = hashlib.sha256(b"dataward.toml\0" + raw).hexdigest()
    # the fields of the build before text-max-kb, read into this one: each a place late
    shifted = Policy(no_large_binaries=LargeBinariesPolicy(10, {}, None, ()))  # type: ignore[arg-type]
    state = repo.path / ".git" / "dataward" / "state-v1"
    state.mkdir(parents=True)
    (state / "policy.pickle").write_bytes(pickle.dumps((key, __version__, shifted)))
    res = hook()
    assert res.code == 1, res.err
    assert "a.bin is 20.0 KB, over the 10 KB limit" in res.out
