"""Every hint is a command that works when pasted, whatever the names (issue 19).

One registry full of odd names (spaces, quotes, `$`, unicode, a leading dash),
every check over it: each command a hint shows between backticks or after `fix:` is read
back by a shell as the words it means, every path of the finding standing as one word. The
card hint is then pasted into a real shell and does what it says.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness.repo import GitRepo, blob

# Each a dataset name a lab really could have: `Amir Zabol` is from the issue.
# (No backtick: a hint shows commands between backticks, as Markdown does.)
ODD = ["Amir Zabol", "it's", "cost $5", "naïve data", "-dash"]
MD5 = "0123456789abcdef0123456789abcdef"


def _dvcfile(path: str) -> str:
    return f"outs:\n- md5: {MD5}\n  size: 10\n  hash: md5\n  path: {json.dumps(path)}\n"


@pytest.fixture
def odd_registry(repo: GitRepo) -> GitRepo:
    repo.write(".dvc/config", "[core]\n    remote = lab\n['remote \"lab\"']\n"
                              "    url = s3://lab-data/registry\n"
                              "['remote \"it's\"']\n    url = https://ada:pw@dav.example/x\n")
    for name in ODD:
        repo.write(f"sets/{name}.dvc", _dvcfile(name))  # not ignored: dvc-files says so
        repo.write(f"big {name}.bin", blob(600 * 1024, seed=len(name)))
    repo.git("add", "-A")
    return repo


def _findings(repo: GitRepo, *argv: str) -> list[dict[str, object]]:
    proc = subprocess.run([sys.executable, "-m", "dataward", "check", *argv, "--format",
                           "json"], cwd=repo.path, capture_output=True, text=True, check=False)
    assert proc.returncode == 1, proc.stderr
    found: list[dict[str, object]] = json.loads(proc.stdout)["findings"]
    return found


def _commands(hint: str) -> list[str]:
    """The commands a hint shows: between backticks, and the rest of a `fix:` line."""
    shown = re.findall(r"`([^`]+)`", hint)
    for line in hint.splitlines():
        line = line.strip().removeprefix("fix: ")
        if line.startswith(("git ", "dvc ", "dataward ")) and "`" not in line:
            shown.append(line)
    return shown


def _as_the_shell_reads(segment: str, cwd: Path) -> list[str]:
    """The words `sh` makes of a simple command: expansions, quotes and all."""
    out = subprocess.run(["sh", "-c", f"printf '%s\\n' {segment}"], cwd=cwd,
                         capture_output=True, text=True, check=True).stdout
    return out.split("\n")[:-1]


@pytest.mark.parametrize("check", ["no-large-binaries", "dvc-files", "dataset-cards",
                                   "dvc-config"])
def test_every_command_in_a_hint_reads_back_as_its_words(odd_registry: GitRepo,
                                                         check: str) -> None:
    findings = _findings(odd_registry, check)
    assert findings
    named = 0
    for f in findings:
        for command in _commands(str(f["hint"])):
            if not command.startswith(("git ", "dvc ", "dataward ", "printf ", "cd ")):
                continue  # a key or a value shown in backticks, not a command
            # simple commands, and the two sides of a redirection (so nothing is written)
            for segment in re.split(r"\s*(?:&&|\|\||;|>>|>)\s*", command):
                if not segment or any(c in segment for c in "<|") or "$(" in segment:
                    continue  # a pipe or a substitution the hint means
                words = shlex.split(segment)
                # what the hint means is what the shell runs: no `$5`, no backtick, no
                # space splits a name
                assert _as_the_shell_reads(segment, odd_registry.path) == words, segment
                # a name starting with `-` is never read as an option
                assert not any(w.startswith("-dash") for w in words), segment
                named += any(odd in w for odd in ODD for w in words)
    assert named, f"no hint of {check} named an odd path: {findings}"


def test_the_card_hint_pasted_in_a_shell_writes_the_card(odd_registry: GitRepo) -> None:
    odd_registry.commit("odd names")
    missing = [f for f in _findings(odd_registry, "dataset-cards")
               if f["rule"] == "card-missing"]
    assert len(missing) == len(ODD)
    bin_dir = Path(sys.executable).parent
    for f in missing:
        (command,) = [c for c in _commands(str(f["hint"])) if c.startswith("dataward card new")]
        run = subprocess.run(["sh", "-c", command], cwd=odd_registry.path, capture_output=True,
                             text=True, check=False, env={"PATH": f"{bin_dir}:/usr/bin:/bin"})
        assert run.returncode == 0, (command, run.stderr)
    cards = sorted(p.name for p in (odd_registry.path / "sets").glob("*.card.md"))
    assert cards == sorted(f"{name}.card.md" for name in ODD)


def test_the_gitignore_hint_pasted_in_a_shell_ignores_the_output(odd_registry: GitRepo) -> None:
    unignored = [f for f in _findings(odd_registry, "dvc-files")
                 if f["rule"] == "output-not-ignored"]
    assert len(unignored) == len(ODD)
    for f in unignored:
        (command,) = [c for c in _commands(str(f["hint"])) if c.startswith("printf ")]
        subprocess.run(["sh", "-c", command], cwd=odd_registry.path, check=True)
    after = subprocess.run([sys.executable, "-m", "dataward", "check", "dvc-files"],
                           cwd=odd_registry.path, capture_output=True, text=True, check=False)
    assert "output-not-ignored" not in after.stdout, after.stdout
