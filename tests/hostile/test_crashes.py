"""Nothing crashes (issue 18): user input is exit 1 or 2 with a message, a check that could not
finish is exit 3 with the reason; never a traceback, never "internal error".

Generated .dvc files (hypothesis: YAML-ish structures with long keys, NULs, paths thousands of
folders deep, odd scalars, random bytes) go through `dvc-files` and the catalog on a real
repository. Then the single cases of the issue: `--timeout` out of range, stdout closed or
full, a drift report that is not UTF-8, a registry server that accepts and never answers, and
SARIF for a file name that is not UTF-8.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import BIN
from tests.harness.repo import GitRepo

TIMEOUT = 120
DATAWARD = f"{BIN}/dataward"
FIELDS = ["outs", "deps", "md5", "path", "size", "nfiles", "hash", "cache", "push", "remote",
          "repo", "url", "rev", "rev_lock", "wdir", "files", "relpath", "etag", "version_id",
          "cloud", "meta", "frozen", "cmd", "desc", "labels", "type", "metric", "plot"]
PATHS = st.one_of(
    st.integers(0, 50_000).map(lambda n: "d/" * n + "x"),  # deep, down to 50,000 folders
    st.sampled_from(["x\0y", "\0", "..", "../x", "/abs", "C:\\x", "${item}", "s3://b/k",
                     "a\\..\\..\\b", ".git/x", "x.dvc", "", " ", "\u202e", "\x1b[31m",
                     "caf\u00e9", "x\n::error::y"]),
    st.text(max_size=30))
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(),
    st.text(max_size=20), PATHS, st.sampled_from(["0" * 32, "a" * 32 + ".dir", "A" * 32,
                                                  "1e300", "nan", "0x1f", "1:20", "on"]))
KEYS = st.one_of(st.sampled_from(FIELDS), st.text(max_size=12),
                 st.integers(1000, 1100).map(lambda n: "k" * n))  # YAML caps a key at 1024
DOCS = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(KEYS, inner, max_size=4), max_leaves=12)
OUTS = st.fixed_dictionaries({"outs": st.lists(st.dictionaries(KEYS, SCALARS, max_size=5)
                                               .map(lambda d: {"path": "x", **d})
                                               | st.builds(lambda p: {"md5": "0" * 32,
                                                                      "path": p}, PATHS),
                                               min_size=1, max_size=3)})


def _dump(doc: Any, style: int) -> bytes:
    if style == 0:
        return yaml.safe_dump(doc, allow_unicode=True, width=10**9).encode("utf-8",
                                                                           "surrogatepass")
    if style == 1:
        return yaml.safe_dump(doc, default_flow_style=True).encode()
    return json.dumps(doc, allow_nan=True).encode()


CONTENTS = st.one_of(
    st.builds(_dump, DOCS | OUTS, st.integers(0, 2)),
    st.binary(max_size=300),
    st.builds(lambda p: f"outs:\n- md5: {'0' * 32}\n  path: {p}\n".encode(
        "utf-8", "surrogatepass"), PATHS),
    st.builds(lambda k: f"outs:\n- md5: {'0' * 32}\n  path: x\n  {k}: 1\n".encode(), KEYS))


def run(*args: str, cwd: Path, **kw: Any) -> subprocess.CompletedProcess[str]:
    kw.setdefault("stdout", subprocess.PIPE)
    return subprocess.run([DATAWARD, *args], cwd=cwd, stderr=subprocess.PIPE, text=True,
                          errors="replace", timeout=TIMEOUT, check=False, **kw)


def assert_no_crash(proc: subprocess.CompletedProcess[str]) -> None:
    for stream in (proc.stdout or "", proc.stderr or ""):
        assert "Traceback" not in stream and "internal error" not in stream, stream


@pytest.fixture(scope="module")
def dvc_repo(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    repo = GitRepo.init(tmp_path_factory.mktemp("crash") / "repo")
    repo.write("README.md", "registry\n")
    repo.add("README.md")
    repo.commit("start")
    return repo


@given(CONTENTS, st.sampled_from(["text", "json", "sarif", "github"]))
@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
def test_dvc_files_never_crashes_on_a_generated_dvc_file(dvc_repo: GitRepo, content: bytes,
                                                         fmt: str) -> None:
    dvc_repo.write("data.dvc", content)
    dvc_repo.add("data.dvc")
    proc = run("check", "dvc-files", "--format", fmt, "data.dvc", cwd=dvc_repo.path)
    assert proc.returncode in (0, 1), (content[:300], proc.stdout, proc.stderr)
    assert_no_crash(proc)


CASES = {
    "a key over 1024 characters": f"outs:\n- md5: {'0' * 32}\n  path: x\n  {'k' * 1100}: 1\n",
    "a NUL in path": f'outs:\n- md5: {"0" * 32}\n  path: "x\\0y"\n',
    "a path 50,000 folders deep": f"outs:\n- md5: {'0' * 32}\n  path: {'d/' * 50_000}x\n",
    "a path 2,000 folders deep": f"outs:\n- md5: {'0' * 32}\n  path: {'d/' * 2_000}x\n",
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_dvc_files_are_findings_and_the_catalog_reads_past_them(
        repo: GitRepo, case: str) -> None:
    repo.write("data.dvc", CASES[case])
    repo.add("data.dvc")
    proc = run("check", "dvc-files", "data.dvc", cwd=repo.path)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.startswith("data.dvc:") and "dataward: 1 error" in proc.stdout
    assert_no_crash(proc)
    repo.commit("a hostile .dvc file")
    built = run("catalog", "build", "-o", "-", cwd=repo.path)
    assert built.returncode == 0, built.stderr
    assert json.loads(built.stdout)["datasets"] == []  # skipped, not a crash
    assert_no_crash(built)


def test_a_long_key_is_named_as_such(repo: GitRepo) -> None:
    repo.write("data.dvc", CASES["a key over 1024 characters"])
    repo.add("data.dvc")
    proc = run("check", "dvc-files", "data.dvc", cwd=repo.path)
    assert "data.dvc:4: [dvc-files] has a key over 1024 characters" in proc.stdout


# -- --timeout: every one refuses what no clock can wait for ----------------------------------

TIMEOUT_COMMANDS = {
    "dvc-pushed": ["check", "dvc-pushed"],
    "ci verify-pushed": ["ci", "verify-pushed", "--no-github"],
    "drift scan": ["drift", "scan", "--env", "lab", "--root", ".", "--registry", "."],
}


@pytest.mark.parametrize("value", ["nan", "inf", "1e300", "-1", "0", "soon"])
@pytest.mark.parametrize("command", sorted(TIMEOUT_COMMANDS))
def test_timeout_out_of_range_is_a_usage_error(repo: GitRepo, command: str,
                                               value: str) -> None:
    proc = run(*TIMEOUT_COMMANDS[command], f"--timeout={value}", cwd=repo.path)
    assert proc.returncode == 2, proc.stderr
    assert f"argument --timeout: '{value}' is not a number of seconds over 0 and at most " \
           "86400" in proc.stderr
    assert_no_crash(proc)


# -- stdout closed or full ----------------------------------------------------------------------

@pytest.fixture
def committed(repo: GitRepo) -> GitRepo:
    repo.write("data.dvc", f"outs:\n- md5: {'0' * 32}\n  size: 3\n  path: data\n")
    repo.add("data.dvc")
    repo.commit("data")
    return repo


STDOUT_COMMANDS = [["catalog", "build", "-o", "-"], ["ls"], ["check", "dvc-files", "--format",
                                                              "json", "data.dvc"]]


@pytest.mark.parametrize("args", STDOUT_COMMANDS, ids=" ".join)
def test_stdout_closed_is_a_message_not_a_traceback(committed: GitRepo,
                                                    args: list[str]) -> None:
    proc = run(*args, cwd=committed.path, preexec_fn=lambda: os.close(1))  # `>&-`
    assert proc.returncode == 2
    assert "standard output is closed; run it with stdout open" in proc.stderr
    assert_no_crash(proc)


@pytest.mark.parametrize("args", STDOUT_COMMANDS, ids=" ".join)
def test_stdout_full_is_exit_3_with_the_reason(committed: GitRepo, args: list[str]) -> None:
    with open("/dev/full", "w") as full:
        proc = run(*args, cwd=committed.path, stdout=full)
    assert proc.returncode == 3, proc.stderr
    assert "could not write to standard output: No space left on device" in proc.stderr
    assert_no_crash(proc)


# -- drift: a report that is not UTF-8; a registry server that never answers --------------------

def test_a_drift_report_that_is_not_utf8_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "lab.json").write_bytes(b'{"schema_version": 1, "env": "caf\xe9"}')
    proc = run("drift", "publish", "lab.json", cwd=tmp_path)
    assert proc.returncode == 2
    assert "lab.json is not a drift report" in proc.stderr
    assert_no_crash(proc)


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP server on 127.0.0.1 that accepts connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        for conn in held:
            conn.close()
        server.close()


def test_a_registry_that_never_answers_is_exit_3_within_the_timeout(
        tmp_path: Path, silent_server: int) -> None:
    (tmp_path / "root").mkdir()
    started = time.monotonic()
    proc = run("drift", "scan", "--env", "lab", "--root", "root", "--registry",
               f"http://u:S3CRET@127.0.0.1:{silent_server}/registry.git", "--timeout", "2",
               "--no-state", cwd=tmp_path)
    took = time.monotonic() - started
    assert proc.returncode == 3, proc.stderr
    assert took < 2 + 15, took  # the clone's 2 s, plus start-up on a loaded machine
    assert f"cloning http://***@127.0.0.1:{silent_server}/registry.git took more than 2 s" \
        in proc.stderr
    assert "S3CRET" not in proc.stderr + proc.stdout
    assert_no_crash(proc)


# -- SARIF (and every format) for a file name that is not UTF-8 ---------------------------------

@pytest.mark.parametrize("fmt", ["sarif", "json", "github", "text"])
def test_dvc_files_reports_a_name_that_is_not_utf8(repo: GitRepo, fmt: str) -> None:
    with open(os.path.join(os.fsencode(repo.path), b"d\xe9.dvc"), "wb") as fh:
        fh.write(b"outs:\n- md5: 0123\n  path: x\n")
    repo.git("add", "-A")
    proc = subprocess.run([DATAWARD, "check", "dvc-files", "--format", fmt],
                          cwd=repo.path, capture_output=True, timeout=TIMEOUT, check=False,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert proc.returncode == 1, proc.stderr
    out = proc.stdout.decode("utf-8")  # strict: valid UTF-8
    assert b"Traceback" not in proc.stderr
    if fmt == "json":
        assert json.loads(out)["findings"][0]["path"] == "d\\xe9.dvc"
    elif fmt == "sarif":
        result = json.loads(out)["runs"][0]["results"][0]
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] \
            == "d%E9.dvc"
        assert "dvc commit d\\xe9.dvc" in result["message"]["text"]
    else:
        assert "d\\xe9.dvc" in out, out
