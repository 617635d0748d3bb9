"""This checkout as a hook repository pre-commit can clone: its files as they are now
(uncommitted changes included, as `pre-commit try-repo` does) committed into a new repository."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from dataward import __version__

CHECKOUT = Path(__file__).resolve().parents[2]


def snapshot(dest: Path, env: dict[str, str] | None = None) -> str:
    """Copy the checkout's tracked and unignored files to `dest`, commit them and tag the
    commit with this release's tag (what `dataward init` pins); returns the commit."""
    listed = subprocess.run(["git", "ls-files", "-z", "-co", "--exclude-standard"],
                            cwd=CHECKOUT, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = CHECKOUT / name
        if not os.path.lexists(source):
            continue  # deleted in the working tree
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            os.symlink(os.readlink(source), target)
        elif source.is_file():
            shutil.copy2(source, target)
    git = ["git", "-c", "user.name=dataward", "-c", "user.email=dataward@example.invalid"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "--no-verify", "-m", "snapshot"],
                 ["tag", f"v{__version__}"]):
        subprocess.run([*git, *args], cwd=dest, check=True, env=env)
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=dest, capture_output=True, text=True,
                          check=True, env=env).stdout.strip()
