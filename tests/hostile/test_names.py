"""Names cannot inject (issue 18): whatever a folder, a file or a dataset is called, it reaches
each output channel escaped for that channel.

Names are generated (hypothesis) from the pieces that do harm: newlines and CR, `::` and `##[`
(GitHub workflow commands), `%` and `%0A` (the runner's own escapes), `,` and `:` (command
properties), ESC, BEL, DEL and the one-byte CSI 0x9b (terminal sequences), a bidi override, a
byte that is not UTF-8, and ordinary unicode. They go through real runs: `dataward drift scan`
of a real folder tree against a real registry, and `no-large-binaries` over a real git
repository, in every format. A user sees no line that GitHub would run as a workflow command
except the github reporter's own, one per finding; no raw terminal control; JSON and SARIF that
are valid UTF-8 and name every file.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataward.report import escape
from tests.conftest import BIN
from tests.harness.repo import GitRepo

PIECES = [b"::", b"::error title=x,file=y::INJECTED", b"##[error]", b"\n", b"\r", b"\r\n",
          b"%", b"%0A", b",", b":", b" ", b"\x1b[31m", b"\x1b]8;;http://x\x07", b"\x07",
          b"\x7f", "\x9b".encode(), "\u202e".encode(), "caf\u00e9".encode(), b"\xe9",
          b"\xff", "\U0001f600".encode(), b"a", b"_", b"|", b"`", b"<b>", b"[x](y)", b"\\"]
# A file name: no '/' and no NUL (no file system takes them), not `.`/`..`, under 255 bytes.
NAMES = st.lists(st.sampled_from(PIECES) | st.binary(min_size=1, max_size=4), min_size=1,
                 max_size=6).map(b"".join).map(lambda b: b.replace(b"/", b"_").replace(
                     b"\0", b"_")[:200]).filter(lambda b: b.strip(b".") != b"")
# What a terminal (or a browser's log view) would act on, never written raw.
RAW_CONTROL = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]")
SETTINGS = settings(max_examples=8, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])
TIMEOUT = 120


def run(*args: str, cwd: Path, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[bytes]:
    # PYTHONIOENCODING=utf-8 is strict: a name that is not UTF-8 reaching stdout unescaped
    # would crash the run, and the test with it.
    full = {**os.environ, "PYTHONIOENCODING": "utf-8", "LC_ALL": "C.UTF-8", **(env or {})}
    return subprocess.run([f"{BIN}/dataward", *args], cwd=cwd, capture_output=True, env=full,
                          timeout=TIMEOUT, check=False)


def command_lines(output: bytes) -> list[bytes]:
    """The lines GitHub's runner would read as workflow commands (it trims leading space)."""
    return [line for line in output.split(b"\n") if line.lstrip().startswith((b"::", b"##["))]


def assert_sound(proc: subprocess.CompletedProcess[bytes]) -> None:
    for stream in (proc.stdout, proc.stderr):
        assert b"Traceback" not in stream and b"internal error" not in stream, stream
        assert not RAW_CONTROL.search(stream), stream
        stream.decode("utf-8")  # valid UTF-8: no undecodable byte of a name leaks
    assert not command_lines(proc.stderr), proc.stderr


# -- drift: a real folder tree and a real registry --------------------------------------------

def registry(path: Path, names: list[bytes]) -> None:
    """A registry (a plain git repository) whose datasets are named after `names`."""
    repo = GitRepo.init(path)
    for i, name in enumerate(names):
        try:
            text = name.decode("utf-8")
        except UnicodeDecodeError:
            continue  # a .dvc file is UTF-8: such a name can only be a folder on the machine
        # JSON strings are YAML double-quoted scalars: every character escaped.
        repo.write(f"set{i}/d.dvc", f"outs:\n- md5: {i:032x}.dir\n  size: 3\n  nfiles: 1\n"
                                    f"  hash: md5\n  path: {json.dumps(text)}\n")
    # One plain dataset too: a registry with none is exit 3 ("saw nothing"), not drift.
    repo.write("plain.dvc", f"outs:\n- md5: {99:032x}.dir\n  size: 3\n  nfiles: 1\n"
                            "  hash: md5\n  path: plain\n")
    repo.git("add", "-A")
    repo.commit("datasets")


@given(st.lists(NAMES, min_size=1, max_size=4, unique=True))
@SETTINGS
def test_drift_scan_escapes_every_name_in_every_format(
        tmp_path_factory: pytest.TempPathFactory, names: list[bytes]) -> None:
    tmp = tmp_path_factory.mktemp("drift-names")
    registry(tmp / "registry", names)
    root = tmp / "root"
    for name in names:  # the same names as unregistered folders on the machine
        folder = os.path.join(os.fsencode(root), name)
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, b"f"), "wb") as fh:
            fh.write(b"abc")
    for fmt in ("text", "json", "github"):
        summary = tmp / f"summary-{fmt}.md"
        report = tmp / f"{fmt}.json"
        proc = run("drift", "scan", "--env", "lab", "--root", str(root), "--registry",
                   str(tmp / "registry"), "--no-state", "--format", fmt, "-o", str(report),
                   cwd=tmp, env={"GITHUB_STEP_SUMMARY": str(summary)})
        assert proc.returncode == 1, proc.stderr  # every dataset is missing or unregistered
        assert_sound(proc)
        doc = json.loads(report.read_bytes().decode("utf-8"))
        drifting = [e for e in doc["datasets"] if e["status"] != "in_sync"]
        assert len(doc["unregistered"]) + len(doc["datasets"]) >= 1
        commands = command_lines(proc.stdout)
        if fmt == "github":  # the reporter's own: one per drifting dataset, nothing more
            assert len(commands) == len(drifting), proc.stdout
            assert all(re.fullmatch(rb"::(warning|error) title=drift on lab::[^\r]*", c)
                       for c in commands), commands
            text = summary.read_bytes()
            assert not RAW_CONTROL.search(text) and not command_lines(text), text
        else:
            assert commands == [], proc.stdout
        if fmt == "json":
            assert json.loads(proc.stdout.decode("utf-8")) == doc


# -- no-large-binaries: real files with such names in a real git repository --------------------

FORMATS = ("text", "json", "sarif", "github")


@given(st.lists(NAMES, min_size=1, max_size=4, unique=True))
@SETTINGS
def test_no_large_binaries_escapes_every_file_name_in_every_format(
        tmp_path_factory: pytest.TempPathFactory, names: list[bytes]) -> None:
    repo = GitRepo.init(tmp_path_factory.mktemp("nlb-names") / "repo")
    for fmt, proc in _big_files_checked(repo, names):
        commands = command_lines(proc.stdout)
        if fmt == "github":
            assert len(commands) == len(names), proc.stdout
            assert all(c.startswith(b"::error file=") for c in commands), commands
        else:
            assert commands == [], proc.stdout
        if fmt == "json":
            paths = [f["path"] for f in json.loads(proc.stdout)["findings"]]
            assert sorted(paths) == sorted(shown(n) for n in names)
        if fmt == "sarif":
            results = json.loads(proc.stdout)["runs"][0]["results"]
            assert len(results) == len(names)


def _big_files_checked(repo: GitRepo, names: list[bytes]
                       ) -> Iterator[tuple[str, subprocess.CompletedProcess[bytes]]]:
    """Commit a 3 KB file at each name, then run `no-large-binaries --all` in each format:
    exit 1 and sound output, whatever the names."""
    for name in names:
        with open(os.path.join(os.fsencode(repo.path), name), "wb") as fh:
            fh.write(b"\0" * 3000)
    repo.git("add", "-A")
    repo.commit("big files")
    for fmt in FORMATS:
        proc = run("check", "no-large-binaries", "--all", "--maxkb", "1", "--format", fmt,
                   cwd=repo.path)
        assert proc.returncode == 1, proc.stderr
        assert_sound(proc)
        yield fmt, proc


def shown(name: bytes) -> str:
    """How JSON shows a name: as decoded, an undecodable byte as `\\xe9` text."""
    return SURROGATE.sub(lambda m: f"\\x{ord(m.group()) - 0xDC00:02x}", os.fsdecode(name))


SURROGATE = re.compile("[\udc80-\udcff]")


def test_a_name_that_is_not_utf8_is_shown_with_its_byte(repo: GitRepo) -> None:
    for _fmt, proc in _big_files_checked(repo, [b"caf\xe9.bin"]):
        assert b"caf\\xe9.bin" in proc.stdout or b"caf\\\\xe9.bin" in proc.stdout, proc.stdout
    sarif = json.loads(run("check", "no-large-binaries", "--all", "--maxkb", "1", "--format",
                           "sarif", cwd=repo.path).stdout)
    location = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "caf%E9.bin"  # the byte, percent-encoded


# -- the escaping functions themselves, on any text ---------------------------------------------

TEXT = st.text(st.characters(exclude_categories=()), max_size=40) | NAMES.map(os.fsdecode)


@given(TEXT)
@settings(max_examples=300, deadline=None)
def test_each_channel_keeps_a_value_in_its_place(value: str) -> None:
    assert not re.search(r"[\r\n]", escape.workflow_data(value))
    prop = escape.workflow_property(value)
    assert not re.search(r"[\r\n,:]", prop)
    one_line = escape.terminal(value)
    assert not re.search("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\ud800-\udfff]",
                         one_line)
    block = escape.terminal_text("  " + value + "\n" + value)
    assert all(not line.lstrip().startswith(("::", "##[")) for line in block.split("\n"))
    cell = escape.markdown(value).replace("<br>", " ")
    assert not re.search(r"(?<!\\)[|`\[\]<>]|[\n\r]", cell), cell
    assert "<" not in escape.html(value) and ">" not in escape.html(value)
    doc = escape.to_json({"name": value})
    doc.encode("utf-8")  # strict: no lone surrogate
    assert not re.search("[\x7f-\x9f]", doc)
    kept = "".join(set(value) - {chr(c) for c in range(0xD800, 0xE000)})
    assert json.loads(doc)["name"] == escape.visible(value, keep=kept)


# -- the catalog in a terminal: `dataward ls` and `dataward show` --------------------------------

EVIL = "evil\x1b[2J\x07\n::error title=x::INJECTED\u202e"


def test_ls_and_show_print_names_and_messages_escaped(repo: GitRepo) -> None:
    repo.write("plain.dvc", f"outs:\n- md5: {1:032x}\n  size: 3\n  path: {json.dumps(EVIL)}\n")
    repo.add("plain.dvc")
    repo.commit(f"add {EVIL}\n\n::warning::INJECTED too")
    catalog = run("catalog", "build", "-o", "catalog.json", cwd=repo.path)
    assert catalog.returncode == 0, catalog.stderr
    name = json.loads((repo.path / "catalog.json").read_text())["datasets"][0]["name"]
    for args in (["ls"], ["show", name]):
        proc = run(*args, "--catalog", "catalog.json", cwd=repo.path)
        assert proc.returncode == 0, proc.stderr
        assert_sound(proc)
        assert command_lines(proc.stdout) == [], proc.stdout
        assert b"\\x1b" in proc.stdout, proc.stdout  # shown, not sent
