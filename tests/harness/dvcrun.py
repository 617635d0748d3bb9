"""The real `dvc` command line, run in a test repository."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

DVC = str(Path(sys.executable).parent / "dvc")


def dvc(cwd: Path, *args: str) -> str:
    proc = subprocess.run([DVC, *args], cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise AssertionError(f"dvc {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout
