"""Hostile files (issue 18): no link out of the repository is followed (CI would quote the
runner's files), a FIFO or device where a file is expected ends with a message naming it,
outputs never replace a link, FIFO, device or the user's `OUTPUT.tmp`, and bad policies and
cards get the file and the fix, never a traceback, "internal error" or a hang."""

from __future__ import annotations

import json
import os
import shlex
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.harness.repo import GitRepo

SECRET = "OUTSIDE-SECRET-7f3a"  # the content of the runner's files a link points at
FORMATS = ("text", "json", "sarif", "github", "markdown")
TIMEOUT = 30  # seconds: a FIFO opened for reading blocks for ever; this fails it instead
OUTS = "outs:\n- md5: {md5}\n  size: 4\n  path: {path}\n"
CARD = ("---\npretty_name: Data\nlicense: mit\nsize_categories: [n<1K]\nmaintainers:\n"
        "- name: Ada\n  email: ada@lab.example\nsource: https://lab.example\n---\n\n"
        "# Data\n\nRows of data, measured by hand.\n")


def _bounded_memory() -> None:
    """Reading /dev/zero whole, were that to regress, fails here rather than starving the
    machine for TIMEOUT seconds."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def run(cwd: Path, *argv: str, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "NO_COLOR": "1", **(env or {})}
    full.pop("GITHUB_ACTIONS", None)
    try:
        return subprocess.run([sys.executable, "-m", "dataward", *argv], cwd=cwd, text=True,
                              capture_output=True, env=full, timeout=TIMEOUT, check=False,
                              errors="replace", preexec_fn=_bounded_memory)
    except subprocess.TimeoutExpired:
        pytest.fail(f"dataward {' '.join(argv)} did not end within {TIMEOUT} s (a hang)")


def clean(proc: subprocess.CompletedProcess[str], code: int | None = None) -> str:
    """What the user saw; fails on a traceback, an internal error or another exit code."""
    said = proc.stdout + proc.stderr
    assert "Traceback" not in said and "internal error" not in said, said
    assert code is None or proc.returncode == code, (proc.args, proc.returncode, said)
    return said


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """The runner's files: a .dvc file, a card and a policy, each holding the secret."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.dvc").write_text(OUTS.format(md5="1" * 32, path=SECRET))
    (folder / "secret.md").write_text(f"---\nlicense: {SECRET}\n---\n# {SECRET}\n")
    (folder / "policy.toml").write_text(f'repository = "{SECRET}"\n')
    (folder / "inner.dvc").write_text(OUTS.format(md5="2" * 32, path=SECRET))
    return folder


@pytest.fixture
def registry(repo: GitRepo) -> GitRepo:
    """One good dataset with its card, committed."""
    repo.write("data.dvc", OUTS.format(md5="a" * 32, path="data"))
    repo.write("data.card.md", CARD)
    repo.write(".gitignore", "/data\n")
    repo.git("add", "-A")
    repo.commit("a dataset")
    return repo


# -- links out of the repository -------------------------------------------------------------

def test_links_out_of_the_repository_are_reported_and_never_read(
        registry: GitRepo, outside: Path, tmp_path: Path) -> None:
    base = registry.head()
    (registry.path / "leak.dvc").symlink_to(outside / "secret.dvc")
    (registry.path / "leak.card.md").symlink_to(outside / "secret.md")
    (registry.path / "sub").symlink_to(outside)  # sub/inner.dvc is the runner's file
    registry.git("add", "leak.dvc", "leak.card.md", "sub")
    registry.commit("links out")
    summary = tmp_path / "summary.md"
    env = {"GITHUB_STEP_SUMMARY": str(summary)}
    for check, name in (("dvc-files", "leak.dvc"), ("dataset-cards", "leak.card.md")):
        for fmt in FORMATS:
            said = clean(run(registry.path, "check", check, "--format", fmt, env=env), 1)
            assert SECRET not in said and name in said
        text = run(registry.path, "check", check, env=env).stdout
        assert f"{name}: [{check}] is a link leading outside the repository; it is not " in text
        assert f"`git rm --cached -- {name}`" in text
    # Named on the command line, through a linked folder: the same.
    proc = run(registry.path, "check", "dvc-files", "sub/inner.dvc")
    assert "sub/inner.dvc" in clean(proc, 1) and SECRET not in proc.stdout
    said = clean(run(registry.path, "ci", "check", "--no-github", "--range", f"{base}..HEAD",
                     env=env), 1)
    assert SECRET not in said + summary.read_text()
    assert "leak.dvc" in summary.read_text()


def test_card_new_reads_no_link_out_of_the_repository(registry: GitRepo,
                                                      outside: Path) -> None:
    (registry.path / "leak.dvc").symlink_to(outside / "secret.dvc")
    said = clean(run(registry.path, "card", "new", "leak.dvc"), 2)
    assert SECRET not in said and "leak.dvc is a link leading outside the repository" in said
    assert not os.path.lexists(registry.path / "leak.card.md")

    registry.write("new.dvc", OUTS.format(md5="c" * 32, path="new"))
    template = registry.path / ".github" / "DATASET_CARD_TEMPLATE.md"
    template.parent.mkdir()
    template.symlink_to(outside / "secret.md")
    said = clean(run(registry.path, "card", "new", "new.dvc"), 2)
    assert SECRET not in said and ".github/DATASET_CARD_TEMPLATE.md is a link leading" in said
    assert not os.path.lexists(registry.path / "new.card.md")

    template.unlink()
    registry.write("dataward.toml", '[dataset-cards]\ncard = "cards/{name}.card.md"\n')
    (registry.path / "cards").symlink_to(outside)
    assert "cards/new.card.md" in clean(run(registry.path, "card", "new", "new.dvc"), 2)
    assert not (outside / "new.card.md").exists()
    (registry.path / "cards").unlink()
    os.mkfifo(registry.path / "cards")  # where the card's folder should be
    said = clean(run(registry.path, "card", "new", "new.dvc"), 2)
    assert "cards/new.card.md: cannot be written" in said
    assert stat.S_ISFIFO(os.lstat(registry.path / "cards").st_mode)


@pytest.mark.parametrize("how", ["dataward.toml", "--config"])
def test_a_policy_linked_out_of_the_repository_is_not_read(registry: GitRepo, outside: Path,
                                                           how: str) -> None:
    if how == "dataward.toml":
        (registry.path / "dataward.toml").symlink_to(outside / "policy.toml")
        argv: tuple[str, ...] = ()
    else:
        (registry.path / "policy").symlink_to(outside)
        argv = ("--config", "policy/policy.toml")
    named = "dataward.toml" if how == "dataward.toml" else "policy/policy.toml"
    for fmt in FORMATS:
        said = clean(run(registry.path, "check", "dvc-files", "--format", fmt, *argv), 2)
        assert SECRET not in said and f"{named}: is a link leading outside the repository" in said


# -- FIFOs and devices where a file is expected ------------------------------------------------

def test_dvc_files_ends_on_fifos(registry: GitRepo) -> None:
    os.mkfifo(registry.path / "pipe.dvc")  # git lists no FIFO: read only when named
    os.mkfifo(registry.path / "pipe")
    (registry.path / "linked.dvc").symlink_to("pipe")  # git lists the link
    for argv, names in (((), ["linked.dvc"]), (("pipe.dvc",), ["pipe.dvc"]),
                        (("linked.dvc", "pipe.dvc"), ["linked.dvc", "pipe.dvc"])):
        said = clean(run(registry.path, "check", "dvc-files", *argv), 1)
        for name in names:
            assert f"{name}: [dvc-files] is a FIFO, not a file [dvcfile-unreadable]" in said
            assert f"`rm -- {name} && git checkout HEAD -- {name}`" in said


def test_dataset_cards_ends_on_fifos(registry: GitRepo) -> None:
    registry.write("pipe.dvc", OUTS.format(md5="d" * 32, path="pipe"))
    os.mkfifo(registry.path / "fifo")
    (registry.path / "pipe.card.md").symlink_to("fifo")
    os.mkfifo(registry.path / "named.md")
    expected = "[dataset-cards] is a FIFO, not a file [card-unreadable]"
    assert f"pipe.card.md: {expected}" in clean(run(registry.path, "check", "dataset-cards"), 1)
    said = clean(run(registry.path, "check", "dataset-cards", "--profile", "huggingface",
                     "pipe.card.md", "named.md"), 1)
    assert f"pipe.card.md: {expected}" in said and f"named.md: {expected}" in said


POLICIES: dict[str, tuple[Callable[[Path], object] | None, str]] = {  # make it, what is said
    "fifo": (os.mkfifo, "given policy.toml: is a FIFO, not a file"),
    "nested": (lambda p: p.write_text("a = " + "[" * 100_000),
               "given policy.toml: nested over 32 levels deep"),
    "latin1": (lambda p: p.write_bytes(b'[dataset-cards]\ncard = "caf\xe9/{name}.md"\n'),
               "given policy.toml:2: not UTF-8 text (byte 27 is 0xE9)"),
    "/dev/zero": (None, "/dev/zero: is a device, not a file"),  # bounded, or memory runs out
}


@pytest.mark.parametrize("case", sorted(POLICIES))
def test_a_policy_that_is_no_policy_is_exit_2_naming_it(registry: GitRepo, case: str) -> None:
    make, expected = POLICIES[case]
    path = registry.path / "given policy.toml"
    if make is None:
        path = Path(case)
    else:
        make(path)
    for argv in (("check", "dvc-files"), ("check", "dataset-cards"), ("ls",),
                 ("card", "new", "data.dvc")):
        assert expected in clean(run(registry.path, *argv, "--config", str(path)), 2)


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("pyproject.toml", 'tool = "x"\n', "pyproject.toml:1: [tool.dataward] must be a table"),
    ("pyproject.toml", "[project]\nname = 'x'\n[tool]\ndataward = 3\n",
     "pyproject.toml:4: [tool.dataward] must be a table"),
    ("dataward.toml", None, "dataward.toml: is a FIFO, not a file")])
def test_the_repositorys_policy_file_gone_wrong_is_exit_2(registry: GitRepo, name: str,
                                                          text: str | None,
                                                          expected: str) -> None:
    if text is None:
        os.mkfifo(registry.path / name)
    else:
        registry.write(name, text)
    assert expected in clean(run(registry.path, "check", "dataset-cards"), 2)


@pytest.mark.parametrize("given", ["fifo", "/dev/zero"])
def test_ls_catalog_that_is_no_file_is_exit_2(registry: GitRepo, given: str) -> None:
    if given == "fifo":
        os.mkfifo(registry.path / "catalog.json")
        given = "catalog.json"
    proc = run(registry.path, "ls", "--catalog", given)
    said = clean(proc, 2)
    assert f"{given}: is " in said


# -- catalog build's outputs ---------------------------------------------------------------

def test_catalog_build_writes_through_a_link_and_keeps_it(registry: GitRepo,
                                                          tmp_path: Path) -> None:
    real, link = tmp_path / "site" / "catalog.json", tmp_path / "out.json"
    real.parent.mkdir()
    real.write_text("old")
    link.symlink_to(real)
    clean(run(registry.path, "catalog", "build", "-o", str(link)), 0)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert [d["name"] for d in json.loads(real.read_text())["datasets"]] == ["data"]
    assert sorted(os.listdir(real.parent)) == ["catalog.json"]  # no temporary file left


def test_catalog_build_leaves_the_users_own_tmp_file(registry: GitRepo, tmp_path: Path) -> None:
    out, html = tmp_path / "catalog.json", tmp_path / "index.html"
    mine = [tmp_path / "catalog.json.tmp", tmp_path / "index.html.tmp"]
    for path in mine:
        path.write_text("mine")
    clean(run(registry.path, "catalog", "build", "-o", str(out), "--html", str(html)), 0)
    assert json.loads(out.read_text())["datasets"] and "<html" in html.read_text().lower()
    assert [path.read_text() for path in mine] == ["mine", "mine"]


@pytest.mark.parametrize("option", ["-o", "--html", "--croissant-dir"])
def test_catalog_build_refuses_a_fifo_target(registry: GitRepo, tmp_path: Path,
                                             option: str) -> None:
    folder = tmp_path / "croissant"
    folder.mkdir()
    fifo = folder / "data.json" if option == "--croissant-dir" else tmp_path / "target"
    os.mkfifo(fifo)
    given = str(folder) if option == "--croissant-dir" else str(fifo)
    out = ["-o", str(tmp_path / "c.json")] if option != "-o" else []
    said = clean(run(registry.path, "catalog", "build", *out, option, given), 2)
    assert f"{fifo} is a FIFO; dataward writes only regular files" in said
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_catalog_build_refuses_a_device(registry: GitRepo, tmp_path: Path) -> None:
    # A private copy of /dev/null: were the refusal to regress, the test must not replace
    # the machine's own /dev/null (as root, the old rename did).
    device = tmp_path / "null"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("no permission to make a device node here; the FIFO cases cover it")
    assert f"{device} is a device" in clean(
        run(registry.path, "catalog", "build", "-o", str(device)), 2)
    assert stat.S_ISCHR(os.lstat(device).st_mode)


# -- cards that are not UTF-8 ----------------------------------------------------------------

def test_a_card_body_that_is_not_utf8_is_a_finding_with_a_pasteable_fix(
        registry: GitRepo) -> None:
    name = "dog data.card.md"
    registry.write("dog data.dvc", OUTS.format(md5="e" * 32, path="dog data"))
    body = CARD.encode() + "\nCollected in Montr\u00e9al.\n".encode("latin1")
    registry.write(name, body)
    said = clean(run(registry.path, "check", "dataset-cards", "--format", "json", name), 1)
    found = [f for f in json.loads(said)["findings"] if f["rule"] == "card-not-utf8"]
    at = body.index(b"\xe9")
    assert found == [{**found[0], "path": name, "line": body.count(b"\n", 0, at) + 1,
                      "severity": "error"}]
    assert f"byte {at}" in found[0]["message"]
    hint = found[0]["hint"]
    assert shlex.quote(name) in hint
    command = hint.split("`")[1]
    subprocess.run(command, shell=True, cwd=registry.path, check=True)
    proc = run(registry.path, "check", "dataset-cards", "--format", "json", name)
    assert "card-not-utf8" not in proc.stdout
    assert "Montréal" in (registry.path / name).read_text(encoding="utf-8")


# -- generated cases ---------------------------------------------------------------------------

_SETTINGS = settings(max_examples=40, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])


@_SETTINGS
@given(body=st.binary(max_size=400), front=st.booleans())
def test_any_bytes_as_a_card_are_findings_never_a_crash(
        body: bytes, front: bool, capsys: pytest.CaptureFixture[str]) -> None:
    from dataward.checks import dataset_cards

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "x.card.md")
        path.write_bytes((b"---\nlicense: mit\n---\n" if front else b"") + body)
        code = dataset_cards.main(["--profile", "huggingface", "--format", "json", str(path)])
    out = capsys.readouterr()
    assert code in (0, 1) and "internal error" not in out.out + out.err, out
    json.loads(out.out)  # a findings document, whatever the bytes


@_SETTINGS
@given(raw=st.one_of(st.binary(max_size=300),
                     st.text(alphabet="[]{}=\"'.,-_ ab1\n#\\", max_size=300).map(str.encode),
                     st.integers(1, 5000).map(lambda n: b"a = " + b"[" * n + b"]" * n)))
def test_any_bytes_as_a_policy_are_exit_0_or_2_never_a_crash(
        raw: bytes, registry: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    from dataward.checks import dvc_files

    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "policy.toml").write_bytes(raw)
        code = dvc_files.main(["--config", str(Path(folder, "policy.toml"))])
    out = capsys.readouterr()
    said = out.out + out.err
    assert code in (0, 1, 2) and "internal error" not in said, said
    assert code != 2 or "policy.toml" in said


# -- the primitives themselves ---------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=2000),
       kind=st.sampled_from(["missing", "file", "link", "dangling", "fifo", "folder"]),
       name=st.text(st.characters(exclude_categories=["Cs"], exclude_characters="/\0"),
                    min_size=1, max_size=40).filter(lambda n: n not in (".", "..", "real")))
def test_write_replacing_writes_files_and_refuses_the_rest(data: bytes, kind: str,
                                                            name: str) -> None:
    from dataward.adapters.files import Refused, write_replacing

    with tempfile.TemporaryDirectory() as folder:
        target, real = os.path.join(folder, name), os.path.join(folder, "real")
        if kind in ("file", "link"):
            Path(target if kind == "file" else real).write_bytes(b"old")
        if kind in ("link", "dangling"):
            os.symlink(real, target)
        if kind in ("fifo", "folder"):
            (os.mkfifo if kind == "fifo" else os.mkdir)(target)
        Path(target + ".tmp").write_bytes(b"mine")
        before = sorted(os.listdir(folder))
        if kind in ("fifo", "folder"):
            with pytest.raises(Refused, match=r"^\[Errno 1\] is a (FIFO|folder)"):
                write_replacing(target, data)
            assert stat.S_IFMT(os.lstat(target).st_mode) == (
                stat.S_IFIFO if kind == "fifo" else stat.S_IFDIR)
        else:
            write_replacing(target, data)
            assert Path(target).read_bytes() == data
            assert os.path.islink(target) == (kind in ("link", "dangling"))
        assert Path(target + ".tmp").read_bytes() == b"mine"
        new = {"missing": [name], "dangling": ["real"]}.get(kind, [])
        assert sorted(os.listdir(folder)) == sorted([*before, *new])  # no temporary file left


def test_read_capped_follows_links_inside_and_refuses_links_out(tmp_path: Path) -> None:
    from dataward.adapters.files import OUTSIDE, read_capped

    root, out = tmp_path / "root", tmp_path / "out"
    (root / "sub").mkdir(parents=True)
    out.mkdir()
    (root / "sub" / "a.dvc").write_bytes(b"inside")
    (out / "b.dvc").write_bytes(SECRET.encode())
    (root / "in.dvc").symlink_to("sub/a.dvc")
    (root / "up").symlink_to(root / "sub")
    (root / "leak.dvc").symlink_to(out / "b.dvc")
    (root / "away").symlink_to(out)
    (root / "gone.dvc").symlink_to(out / "nothing.dvc")
    assert read_capped(str(root), "in.dvc", 100) == b"inside"
    assert read_capped(str(root), "up/a.dvc", 3) == b"ins"
    for name in ("leak.dvc", "away/b.dvc"):
        refused = read_capped(str(root), name, 100)
        assert isinstance(refused, OSError) and refused.strerror == OUTSIDE
    assert read_capped(str(root), "gone.dvc", 100) is None
    assert read_capped(str(root), "missing.dvc", 100) is None
