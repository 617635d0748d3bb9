"""The other programs `dataward init` runs for a user (`dvc init`, `pre-commit install`),
as the dry run shows them: one process each, and its last words when it fails."""

import subprocess
from collections.abc import Sequence


def run(argv: Sequence[str], cwd: str) -> str | None:
    """None when the command worked, else the last line it said (or its exit code)."""
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode == 0:
        return None
    said = (proc.stderr.strip() or proc.stdout.strip()).splitlines()
    return said[-1] if said else str(proc.returncode)
