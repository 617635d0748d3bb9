"""`make demo` in the tests' CI: the whole story runs, and nothing is left outside its sandbox."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness.hookrepo import CHECKOUT


def test_the_demo_tells_the_story_and_leaves_nothing_behind(tmp_path: Path) -> None:
    wheelhouse = os.environ.get("DATAWARD_WHEELHOUSE") or str(CHECKOUT / ".venv" / "wheelhouse")
    if not Path(wheelhouse).is_dir():
        pytest.fail(f"no wheelhouse at {wheelhouse}: run the tests through `make test`")
    tmp, home = tmp_path / "tmp", tmp_path / "home"
    tmp.mkdir()
    home.mkdir()
    before = checkout_status()
    env = {**os.environ, "TMPDIR": str(tmp), "HOME": str(home), "PYTHONDONTWRITEBYTECODE": "1"}
    run = subprocess.run([sys.executable, str(CHECKOUT / "demo" / "run.py"),
                          "--wheelhouse", wheelhouse], cwd=CHECKOUT, env=env,
                         capture_output=True, text=True, timeout=600)
    out = run.stdout
    assert run.returncode == 0, out[-3000:] + run.stderr[-3000:]
    for said in ("dataward init (registry) in", "nothing to do: dataward is set up here",
                 "[dataset-cards] has no dataset card",
                 "dog_and_cat: 4 of 4 objects are not in remote 'storage'",
                 "archived and cannot be read until restored",
                 "not the bytes DVC recorded", "that no branch or tag references",
                 "dataward init (user repository) in",
                 "dataward (no-large-binaries, dvc-files, dvc-config, dataset-cards)....",
                 "model.pt is 2.0 MB, over the 500 KB limit",
                 "the dataward branch on GitHub now holds: .nojekyll, catalog.json",
                 "drift/README.md on the dataward branch",
                 "dog_and_cat version 2: NOT verified, behind: holds version 1 of 2",
                 "dog_and_cat version 1: verified, holds version 1", "\n  training starts",
                 '"verdict": "ok"', "demo finished in"):
        assert said in out, said
    assert list(tmp.iterdir()) == [], "the sandbox (and anything else in TMPDIR) is gone"
    assert list(home.iterdir()) == [], "nothing was written to the user's HOME"
    assert checkout_status() == before, "the checkout is as it was"


def checkout_status() -> list[str]:
    """Every changed, new or ignored file of the checkout, but the bytecode that other tests'
    Python processes may write beside the sources meanwhile."""
    out = subprocess.run(["git", "status", "--porcelain", "--ignored", "--untracked-files=all"],
                         cwd=CHECKOUT, capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if "__pycache__/" not in line]
