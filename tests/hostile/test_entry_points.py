"""Every entry point of `dataward`, run over one hostile repository, is held to the same rules.

The repository holds what an attacker or an unlucky user puts there at once: credentials in
remote URLs (a password with a raw `@`, a token as the user, a query token, an S3 key id), a
`.dvc` file and a card that are links to files outside the repository, a FIFO where a `.dvc`
file is looked for, names that carry newlines, `::` workflow commands, ESC and BEL, and a name
that is not UTF-8. Whatever a command makes of it, a user sees no traceback and no "internal
error", the command ends, no secret and no byte of the outside files is printed or written to
the job summary, and no name becomes a workflow command or a terminal escape.

A new subcommand fails `test_every_subcommand_is_held_to_the_rules` until it is in ENTRY_POINTS.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.harness.repo import GitRepo

# What must never leave: each is a credential or the content of a file outside the repository.
SECRETS = ("S3CRETpass", "w0rd", "T0KENuser", "QUERYt0ken", "AKIAKEYID0001", "SIGNATUREvalue",
           "ORIGINt0ken", "HOOKt0ken", "OUTSIDE-SECRET-LINE")
INJECTED = "INJECTED"  # a workflow command smuggled in a name, e.g. "\n::error::INJECTED"
FORMATS = ("text", "json", "sarif", "github", "markdown")
TIMEOUT = 120  # seconds; a hang (a FIFO opened for reading, a clone) fails the test

CONFIG = f"""[core]
    remote = lab
['remote "lab"']
    url = https://alice:{SECRETS[0]}@{SECRETS[1]}@127.0.0.1:9/dav?token={SECRETS[3]}
['remote "tok"']
    url = webdavs://{SECRETS[2]}@127.0.0.1:9/dav
['remote "s3"']
    url = s3://{SECRETS[4]}:secretkey@bucket/x
['remote "sas"']
    url = azure://container/x?sv=2020&sig={SECRETS[5]}
"""
EVIL_DIR = f"evil\n::error title=x::{INJECTED}"
EVIL_NAMES = (f"{EVIL_DIR}/rows.csv", "bell\x07\x1b[31mred.txt", f"x%0A::warning::{INJECTED}.txt")
INJECTED_COMMANDS = (f"::error title=x::{INJECTED}".encode(), f"::warning::{INJECTED}".encode())
OUTS = "outs:\n- md5: {md5}\n  size: 4\n  path: {path}\n"


@dataclass(frozen=True)
class World:
    repo: GitRepo
    root: Path  # a machine's dataset folder for drift
    outside: Path
    summary: Path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    base = tmp_path_factory.mktemp("hostile")
    outside = base / "outside"
    outside.mkdir()
    (outside / "secret.dvc").write_text(OUTS.format(md5="1" * 32, path=SECRETS[8]))
    (outside / "secret.md").write_text(f"---\nlicense: {SECRETS[8]}\n---\n{SECRETS[8]}\n")
    repo = GitRepo.init(base / "registry", "-b", "main")
    repo.git("config", "user.email", "t@example.com")
    repo.git("config", "user.name", "t")
    repo.git("remote", "add", "origin", f"https://bob:{SECRETS[6]}@github.com/lab/registry.git")
    repo.write(".dvc/config", CONFIG)
    repo.write(".dvc/.gitignore", "/config.local\n/tmp\n/cache\n")
    repo.write("data.dvc", OUTS.format(md5="a" * 32, path="data"))
    repo.write("data.md", "---\nlicense: mit\npretty_name: Data\n---\n# Data\n")
    repo.write(".gitignore", "/data\n")
    repo.write(f"{EVIL_DIR}.dvc", OUTS.format(md5="b" * 32, path=f"{EVIL_DIR.split('/')[-1]}"))
    for name in EVIL_NAMES:
        repo.write(name, "x\n")
    (repo.path / "leak.dvc").symlink_to(outside / "secret.dvc")
    (repo.path / "leak.md").symlink_to(outside / "secret.md")
    os.mkdir(os.fsencode(repo.path) + b"/caf\xe9")
    with open(os.fsencode(repo.path) + b"/caf\xe9/caf\xe9.bin", "wb") as fh:
        fh.write(b"\0" * 3000)
    repo.git("add", "-A")
    base_commit = repo.commit("a registry with everything wrong at once")
    repo.write("late.txt", "x\n")
    repo.add("late.txt")
    repo.commit("a second commit, for ranges")
    repo.git("tag", "base", base_commit)
    os.mkfifo(repo.path / "fifo.dvc")  # untracked: dvc-files looks at untracked .dvc files
    os.mkfifo(repo.path / "fifo.md")
    root = base / "machine"
    for name in (*EVIL_NAMES, "data/a.csv"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x\n")
    yield World(repo, root, outside, base / "summary.md")


def _entry_points(w: World) -> dict[str, list[list[str]]]:
    """Per subcommand of `dataward`, the command lines that exercise it (formats included)."""
    registry = str(w.repo.path)
    checks = [["check", "no-large-binaries", "--all"], ["check", "dvc-files"],
              ["check", "dvc-config"], ["check", "dataset-cards"],
              ["check", "dvc-pushed", "--rev", "HEAD", "--timeout", "5"]]
    return {
        "check": [[*c, "--format", f] for c in checks for f in FORMATS],
        "hook": [["hook", "pre-commit"], ["hook", "pre-push", "origin", "url"]],
        "card": [["card", "new", "leak.dvc"], ["card", "new", "fifo.dvc"]],
        "ci": [["ci", "check", "--no-github", "--range", "base..HEAD"],
               ["ci", "verify-pushed", "--no-github", "--rev", "HEAD", "--timeout", "5"]],
        "init": [["init", "--registry", "--dry-run", "--hook-repo",
                  f"https://user:{SECRETS[7]}@example.com/dataward.git"]],
        "catalog": [["catalog", "build", "-o", "-"],
                    ["catalog", "build", "-o", "../out/catalog.json", "--html", "../out/p.html",
                     "--croissant-dir", "../out/croissant"]],
        "ls": [["ls"], ["ls", "--catalog", "fifo.md"],
               ["ls", "--catalog", f"https://reader:{SECRETS[7]}@127.0.0.1:9/catalog.json"]],
        "show": [["show", "data"], ["show", EVIL_DIR], ["show", "leak"],
                 ["show", "data", "--remote"]],
        "drift": [["drift", "scan", "--env", "lab\x1b[2J", "--root", str(w.root), "--registry",
                   registry, "--no-state", "--format", f] for f in ("text", "json", "github")]
        + [["drift", "collect", "--remote", r, "-o", "../out/drift", "--timeout", "5"]
           for r in ("lab", "tok", "sas")]
        + [["drift", "publish", "fifo.md", "--remote", "lab"]],
        "schema": [["schema", "--check", "--dir", "../schemas-here"]],
        "verify": [["verify", str(w.root), "--dataset", "data", "--registry", registry,
                    "--no-state", "--json", "../out/lineage.json"],
                   ["verify", EVIL_DIR, "--dataset", EVIL_DIR, "--registry", registry,
                    "--no-state"],
                   ["verify", "fifo.md", "--dataset", "data", "--catalog", "fifo.md"]],
        "fingerprint": [["fingerprint", str(w.root), "--no-state"],
                        ["fingerprint", EVIL_DIR, "--json", "--no-state"],
                        ["fingerprint", "fifo.md", "--no-state"]],
        "remote": [["remote", "audit", "--timeout", "5", "--plan", "fifo.md", "--format", f]
                   for f in FORMATS],
    }


# Subcommands that need a service no test here can stand in for: covered where that service is.
ELSEWHERE = {"catalog publish": "tests/test_catalog.py (local GitHub)",
             "drift publish": "tests/test_drift.py (local GitHub)"}


def _run(w: World, argv: list[str], stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "GITHUB_STEP_SUMMARY": str(w.summary), "NO_COLOR": "1"}
    env.pop("GITHUB_ACTIONS", None)
    try:
        return subprocess.run([sys.executable, "-m", "dataward", *argv], cwd=w.repo.path,
                              input=stdin, capture_output=True, env=env, timeout=TIMEOUT,
                              check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"dataward {argv!r} did not end within {TIMEOUT} s (a hang)")


def _cases() -> list[tuple[str, int]]:
    fake = World(GitRepo(Path("/r")), Path("/m"), Path("/o"), Path("/s"))
    return [(cmd, i) for cmd, lines in _entry_points(fake).items() for i in range(len(lines))]


def _listed(*argv: str) -> set[str]:
    """The subcommands (or actions) `dataward ARGV --help` lists."""
    text = subprocess.run([sys.executable, "-m", "dataward", *argv, "--help"],
                          capture_output=True, text=True, check=True).stdout
    listing = text.split("positional arguments:", 1)[1].split("options:", 1)[0]
    return set(re.findall(r"^    ([a-z][a-z-]*)(?:\s|$)", listing, re.MULTILINE))


def test_every_subcommand_is_held_to_the_rules() -> None:
    fake = World(GitRepo(Path("/r")), Path("/m"), Path("/o"), Path("/s"))
    table = _entry_points(fake)
    assert _listed() == set(table), "add the new subcommand to _entry_points"
    for command in ("catalog", "drift", "ci", "remote"):
        run = {lines[1] for lines in table[command]}
        assert _listed(command) <= run | {a.split()[1] for a in ELSEWHERE
                                          if a.startswith(command)}, command


@pytest.mark.parametrize(("command", "index"), _cases())
def test_a_hostile_repository_gets_messages_not_crashes_leaks_or_injections(
        world: World, command: str, index: int) -> None:
    argv = _entry_points(world)[command][index]
    head = world.repo.head()
    stdin = f"refs/heads/main {head} refs/heads/main {'0' * 40}\n".encode()
    world.summary.write_text("")
    proc = _run(world, argv, stdin)
    out, err = proc.stdout, proc.stderr
    said = out + err + world.summary.read_bytes()
    shown = said.decode("utf-8", "replace")
    assert proc.returncode in (0, 1, 2, 3), (argv, proc.returncode, shown[-2000:])
    assert b"Traceback" not in said, shown[-3000:]
    assert b"internal error" not in said, shown[-3000:]
    for secret in SECRETS:
        assert secret.encode() not in said, f"{secret!r} leaked by dataward {argv!r}"
    assert b"\x1b" not in said and b"\x07" not in said, f"a raw escape from dataward {argv!r}"
    for line in out.splitlines() + err.splitlines():  # a name's newline starts no command
        assert not line.lstrip().startswith(INJECTED_COMMANDS), (
            f"a workflow command from a name in dataward {argv!r}: {line!r}")
