"""Each drift status comes with the command that fixes it (dataward.drift.fixes): pasted as
printed, a registry checkout pulls with git and dvc, a plain folder gets the scanned commit's
version through `dvc get`; no name, however hostile, can change what the command runs."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any, NamedTuple

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataward.catalog.model import Catalog, Dataset, Version
from dataward.drift import fixes
from dataward.drift.model import Changes, DriftReport, Entry, Status, Summary
from dataward.report import drift_text
from tests.conftest import BIN, _hermetic
from tests.harness.dvcrun import dvc
from tests.harness.repo import GitRepo
from tests.test_drift import Registry, put

ROOT = Path(__file__).resolve().parent.parent
COMMIT = "c" * 40
REG = "https://github.com/lab/datasets"
OPTIONS = {"--rev", "-o", "--", "--force", "-rf"}


# -- pure: each status, in a checkout and in a plain folder -----------------------------------

def entry(status: Status, name: str = "images/cats", nearest: int | None = 3,
          fix: str | None = None) -> Entry:
    extra: dict[str, Any] = {}
    if status == "behind":
        extra = {"matched_version": 1, "matched_date": "2026-01-01", "versions_behind": 2}
    if status in ("modified", "partial"):
        extra = {"nearest_version": nearest,
                 "changes": Changes(added=[], removed=["a.jpg"], modified=[])}
    if status == "not_checked":
        extra = {"reason": "Permission denied: a.jpg"}
    return Entry(name=name, status=status, expected_md5="a" * 32 + ".dir", expected_version=3,
                 actual_md5=None, fix=fix, **extra)


def dataset(name: str = "images/cats") -> Dataset:
    version = Version(version=3, md5="a" * 32 + ".dir", size=1, nfiles=1, commit=COMMIT,
                      date="2026-01-01T00:00:00+00:00", author="a", message="m",
                      dvc_file=f"{name}.dvc")
    return Dataset(name=name, dvc_file=f"{name}.dvc", path=name, md5=version.md5, hash="md5",
                   size=1, nfiles=1, is_dir=True, remote=None, remote_url=None,
                   object_url=None, imported=None, card=None, versions=[version])


def steps(command: str) -> list[list[str]]:
    """The command as bash would run it: argv lists joined by `&&`."""
    out: list[list[str]] = [[]]
    for word in shlex.split(command):
        if word == "&&":
            out.append([])
        else:
            out[-1].append(word)
    return out


def fix(status: Status, *, checkout: bool, nearest: int | None = 3, registry: str | None = REG,
        root: str = "/data/sets", name: str = "images/cats") -> str | None:
    return fixes.fix(entry(status, name, nearest), dataset(name), root=root,
                     registry=registry, commit=COMMIT, checkout=checkout)


@pytest.mark.parametrize(("status", "nearest", "want"), [
    ("behind", None, [["git", "pull"], ["dvc", "pull", "images/cats"]]),
    ("missing", None, [["git", "pull"], ["dvc", "pull", "images/cats"]]),
    # nearest_version says what the data is, not what the checkout's .dvc file says: git
    # is pulled whatever it is (a copy of the current version may sit in a checkout behind)
    ("partial", 3, [["git", "pull"], ["dvc", "pull", "images/cats"]]),
    ("partial", 2, [["git", "pull"], ["dvc", "pull", "images/cats"]]),
    ("modified", 3, [["git", "pull"], ["dvc", "pull", "--force", "images/cats"]]),
    ("modified", 1, [["git", "pull"], ["dvc", "pull", "--force", "images/cats"]]),
])
def test_a_checkout_pulls_and_a_modified_one_is_forced(status: Status, nearest: int | None,
                                                       want: list[list[str]]) -> None:
    command = fix(status, checkout=True, nearest=nearest)
    assert command is not None
    assert steps(command) == [["cd", "/data/sets"], *want]


@pytest.mark.parametrize("status", ["behind", "missing", "partial", "modified"])
def test_a_plain_folder_gets_the_scanned_commit_and_swaps_it_in(status: Status) -> None:
    command = fix(status, checkout=False)
    assert command is not None
    new = "/data/sets/images/.cats.dataward-new"
    assert steps(command) == [
        ["rm", "-rf", "--", new],
        ["dvc", "get", "--rev", COMMIT, "-o", new, "--", REG, "images/cats"],
        ["rm", "-rf", "--", "/data/sets/images/cats"],
        ["mv", "--", new, "/data/sets/images/cats"]]


@pytest.mark.parametrize("status", ["in_sync", "not_checked"])
@pytest.mark.parametrize("checkout", [True, False])
def test_nothing_to_fix_has_no_command(status: Status, checkout: bool) -> None:
    assert fix(status, checkout=checkout) is None


def test_without_a_registry_url_a_checkout_still_pulls_and_a_plain_folder_says_why() -> None:
    assert fix("behind", checkout=True, registry=None) == (
        "cd /data/sets && git pull && dvc pull images/cats")
    assert fix("behind", checkout=False, registry=None) is None
    report = make_report([entry("behind")], registry=None)
    assert fixes.unfixable(report, report.datasets[0]) == fixes.NO_REGISTRY
    assert "no fix command: the report names no registry to fetch from: scan with " \
           "--registry URL" in drift_text.text(report)


@pytest.mark.parametrize("name", ["../etc", "/etc", "a/../../b", "a//b", "."])
def test_a_path_leaving_the_root_gets_no_command(name: str) -> None:
    assert fix("behind", checkout=False, name=name) is None
    assert fix("behind", checkout=True, name=name) is None


def test_a_registry_url_that_reads_as_an_option_gets_no_command() -> None:
    assert fix("behind", checkout=False, registry="--upload-pack=touch /tmp/x") is None
    report = make_report([entry("behind")], registry="--upload-pack=x")
    assert fixes.unfixable(report, report.datasets[0]) == fixes.BAD_REGISTRY


segment = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="/\0"),
                  min_size=1, max_size=12).filter(lambda s: s not in (".", ".."))
hostile = st.one_of(segment, st.sampled_from(["-rf", "--force", "$(touch x)", "a b", "it's",
                                              '"q"', "a\nb", "`id`", "~", "*", "-"]))


class Case(NamedTuple):
    name: str
    root: str
    registry: str


cases = st.builds(Case, st.lists(hostile, min_size=1, max_size=3).map("/".join),
                  st.lists(hostile, min_size=1, max_size=2).map(lambda p: "/" + "/".join(p)),
                  st.sampled_from([REG, "/srv/my registry", "git@github.com:lab/$(id).git"]))


def no_option_from_a_name(argv: list[str]) -> None:
    """Every word before `--` that starts with '-' is one of the command's own options."""
    end = argv.index("--") if "--" in argv else len(argv)
    assert all(w in OPTIONS for w in argv[1:end] if w.startswith("-")), argv


@settings(max_examples=150, deadline=None)
@given(case=cases, status=st.sampled_from(["behind", "missing", "partial", "modified"]),
       checkout=st.booleans())
def test_hostile_names_round_trip_to_the_intended_argv(case: Case, status: Status,
                                                       checkout: bool) -> None:
    command = fix(status, checkout=checkout, root=case.root, name=case.name,
                  registry=case.registry)
    assert command is not None
    run = steps(command)
    target = f"{case.root}/{case.name}"
    if checkout:
        assert run[0] == ["cd", case.root]
        pull = run[-1]
        assert pull[:2] == ["dvc", "pull"] and pull[-1] in (case.name, "./" + case.name)
        assert os.path.normpath(pull[-1]) == os.path.normpath(case.name)
    else:
        head, _, base = target.rpartition("/")
        new = f"{head}/.{base}.dataward-new"
        assert run == [["rm", "-rf", "--", new],
                       ["dvc", "get", "--rev", COMMIT, "-o", new, "--", case.registry,
                        case.name],
                       ["rm", "-rf", "--", target], ["mv", "--", new, target]]
    for argv in run:
        no_option_from_a_name(argv)


@settings(max_examples=25, deadline=None)
@given(case=cases, checkout=st.booleans())
def test_bash_runs_exactly_the_intended_words(case: Case, checkout: bool) -> None:
    """bash itself, with each program replaced by a function that records its words: nothing
    in a name is expanded, substituted or split."""
    command = fix("modified", checkout=checkout, root=case.root, name=case.name,
                  registry=case.registry)
    assert command is not None
    # each program prints its name and words, NUL-terminated, then an empty word: no word of
    # the command is empty (paths are absolute, names not empty), so it splits the steps
    record = r"""for p in cd git dvc rm mv; do eval "$p() { printf '%s\0' $p \"\$@\" ''; }"; done
"""
    proc = subprocess.run(["bash", "-c", record + command], capture_output=True, check=True)
    said = [w.decode("utf-8", "surrogateescape") for w in proc.stdout.split(b"\0")[:-1]]
    got: list[list[str]] = [[]]
    for w in said:
        if w:
            got[-1].append(w)
        else:
            got.append([])
    assert got[:-1] == steps(command) and len(got) > 2


# -- what a user reads -------------------------------------------------------------------------

def make_report(entries: list[Entry], registry: str | None = REG) -> DriftReport:
    return DriftReport(
        schema_version=1, generator="dataward test", env="lab-server", host="h",
        root="/data/sets", registry=registry, registry_commit=COMMIT,
        time="2026-01-01T00:00:00Z",
        summary=Summary(counts={"behind": len(entries)}, registered=len(entries),
                        in_sync=0, coverage=0, unregistered=0),
        datasets=entries, unregistered=[])


def test_the_text_the_annotations_and_the_dashboard_show_the_fix() -> None:
    catalog = Catalog(schema_version=1, generator="t", registry=REG, commit=COMMIT,
                      date="2026-01-01T00:00:00Z",
                      datasets=[dataset("cats"), dataset("dogs"), dataset("fish")])
    report = fixes.attach(make_report([entry("behind", "cats"), entry("modified", "dogs"),
                                       entry("in_sync", "fish")]),
                          catalog, {"dogs.dvc"}, REG)
    text = drift_text.text(report)
    assert (f"      fix: rm -rf -- /data/sets/.cats.dataward-new && dvc get --rev {COMMIT} "
            f"-o /data/sets/.cats.dataward-new -- {REG} cats && rm -rf -- /data/sets/cats && "
            "mv -- /data/sets/.cats.dataward-new /data/sets/cats") in text.splitlines()
    assert ("      fix (discards the local changes): cd /data/sets && git pull && "
            "dvc pull --force dogs"
            in text.splitlines())
    assert text.count("fix") == 2  # nothing under the dataset in sync
    github = drift_text.workflow_commands(report)
    assert "dogs: modified" in github and "%0Afix (discards the local changes): cd " in github
    dashboard = drift_text.dashboard([report])
    assert ("# dogs (modified, discards the local changes)\n"
            "cd /data/sets && git pull && dvc pull --force dogs\n") in dashboard


def test_a_report_carries_the_fix_and_an_older_one_still_loads() -> None:
    report = make_report([entry("behind", fix="cd /x && dvc pull cats")])
    doc = json.loads(report.model_dump_json())
    schema = json.loads((ROOT / "schemas" / "drift-report.schema.json").read_text())
    jsonschema.validate(doc, schema)
    assert doc["datasets"][0]["fix"] == "cd /x && dvc pull cats"
    del doc["datasets"][0]["fix"]
    jsonschema.validate(doc, schema)
    assert DriftReport.model_validate(doc).datasets[0].fix is None


def test_a_name_that_moves_the_cursor_is_shown_not_run() -> None:
    name = "cats\x1b[2J\nrm -rf ~"
    catalog = Catalog(schema_version=1, generator="t", registry=REG, commit=COMMIT,
                      date="2026-01-01T00:00:00Z", datasets=[dataset(name)])
    report = fixes.attach(make_report([entry("behind", name)]), catalog, set(), REG)
    text = drift_text.text(report)
    assert "\x1b" not in text and "\nrm -rf ~" not in text
    assert report.datasets[0].fix is not None and "'cats\x1b[2J\nrm -rf ~'" in \
        report.datasets[0].fix  # the report keeps the exact command


# -- end to end: the printed command, pasted into bash, brings the folder into sync ------------

V1 = {"0.jpg": b"\xff\xd8dog0", "1.jpg": b"\xff\xd8dog1"}
V2 = {**V1, "2.jpg": b"\xff\xd8dog2", "sub/3.jpg": b"\xff\xd8dog3"}


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    """`dog pics` (a folder, two versions) and `labels.csv` (a file, two versions), pushed to
    a folder remote."""
    with pytest.MonkeyPatch.context() as mp:
        _hermetic(tmp_path_factory.mktemp("fixes-home"), mp)
        base = tmp_path_factory.mktemp("fixes")
        repo = GitRepo.init(base / "registry")
        dvc(repo.path, "init", "-q")
        dvc(repo.path, "remote", "add", "-d", "store", str(base / "store"))
        commits = []
        for n, files in enumerate((V1, V2), 1):
            shutil.rmtree(repo.path / "dog pics", ignore_errors=True)
            put(repo.path / "dog pics", files)
            (repo.path / "labels.csv").write_text(f"version,{n}\n")
            dvc(repo.path, "add", "-q", "dog pics", "labels.csv")
            dvc(repo.path, "push", "-q")
            repo.git("add", "-A")
            commits.append(repo.commit(f"version {n}"))
        return Registry(repo.path, commits)


def scan(registry: Registry, root: Path, tmp_path: Path) -> tuple[int, dict[str, Any], str]:
    out = tmp_path / "report.json"
    proc = subprocess.run([f"{BIN}/dataward", "drift", "scan", "--env", "lab", "--root",
                           str(root), "--registry", str(registry.path), "-o", str(out),
                           "--no-state"], capture_output=True, text=True, timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(out.read_text()), proc.stdout


def printed_fixes(stdout: str) -> list[str]:
    return [line.split(": ", 1)[1] for line in stdout.splitlines()
            if line.startswith("      fix")]


def paste(command: str) -> None:
    proc = subprocess.run(["bash", "-c", command], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PATH": BIN + os.pathsep
                                            + os.environ["PATH"]})
    assert proc.returncode == 0, proc.stderr


def test_a_checkout_that_is_behind_is_in_sync_after_its_fix(registry: Registry,
                                                            tmp_path: Path) -> None:
    checkout = tmp_path / "lab checkout"
    subprocess.run(["git", "clone", "-q", str(registry.path), str(checkout)], check=True)
    repo = GitRepo(checkout)
    repo.git("reset", "-q", "--hard", registry.commits[0])
    dvc(checkout, "pull", "-q")
    code, report, out = scan(registry, checkout, tmp_path)
    assert code == 1
    assert {e["name"]: e["status"] for e in report["datasets"]} == {
        "dog pics": "behind", "labels.csv": "behind"}
    assert printed_fixes(out) == [f"cd {shlex.quote(str(checkout))} && git pull && "
                                  "dvc pull 'dog pics'",
                                  f"cd {shlex.quote(str(checkout))} && git pull && "
                                  "dvc pull labels.csv"]
    for command in printed_fixes(out):
        paste(command)
    code, report, out = scan(registry, checkout, tmp_path)
    assert code == 0 and "fix" not in out
    assert {e["status"] for e in report["datasets"]} == {"in_sync"}


def test_a_plain_folder_partial_and_behind_is_in_sync_after_its_fix(registry: Registry,
                                                                   tmp_path: Path) -> None:
    """No registry URL in the catalog (the registry has no origin): the local registry the
    scan was given is where `dvc get` fetches from, at the scanned commit."""
    root = tmp_path / "plain"
    put(root / "dog pics", {k: v for k, v in V2.items() if k != "sub/3.jpg"})  # interrupted
    (root / "labels.csv").write_text("version,1\n")
    code, report, out = scan(registry, root, tmp_path)
    assert code == 1
    assert {e["name"]: e["status"] for e in report["datasets"]} == {
        "dog pics": "partial", "labels.csv": "behind"}
    commands = printed_fixes(out)
    assert len(commands) == 2 and all(
        f"dvc get --rev {registry.commits[-1]} -o " in c and str(registry.path) in c
        for c in commands)
    for command in commands:
        paste(command)
    code, report, out = scan(registry, root, tmp_path)
    assert code == 0, out
    assert sorted(p.name for p in root.iterdir()) == ["dog pics", "labels.csv"]
