"""What the benchmarks share: running a setup command, and reading `python -X importtime`."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path

_IMPORT = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def sh(cwd: Path, *cmd: str, env: Mapping[str, str]) -> str:
    """A setup command's output; a failure ends the benchmark with what it printed."""
    proc = subprocess.run(cmd, cwd=cwd, env=dict(env), capture_output=True, text=True,
                          check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}"
                         f"{proc.stderr}")
    return proc.stdout


def import_rows(stderr: str) -> Iterator[tuple[int, int, str]]:
    """(cumulative microseconds, depth, module) for each line `-X importtime` printed."""
    for line in stderr.splitlines():
        m = _IMPORT.match(line)
        if m:
            yield int(m.group(2)), len(m.group(3)), m.group(4)
