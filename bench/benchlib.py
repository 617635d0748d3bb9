"""What the benchmarks share: running a setup command, and reading `python -X importtime`."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path

# Prepended to the in-process phase scripts: `timer(owner, name, label)` wraps a function so
# that the time spent in it (from any thread) adds up under `label` in `spent`.
PHASE_TIMER = """
import threading, time
spent, _lock = {}, threading.Lock()
def timer(owner, name, label):
    inner = getattr(owner, name)
    def wrapper(*a, **k):
        t0 = time.perf_counter()
        try:
            return inner(*a, **k)
        finally:
            with _lock:
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - t0
    setattr(owner, name, wrapper)
"""
_IMPORT = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def sh(cwd: Path, *cmd: str, env: Mapping[str, str]) -> str:
    """A setup command's output; a failure ends the benchmark with what it printed."""
    proc = subprocess.run(cmd, cwd=cwd, env=dict(env), capture_output=True, text=True,
                          check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}"
                         f"{proc.stderr}")
    return proc.stdout


def reusable(repo: Path, name: str, sizes: str) -> bool:
    """Whether `repo` was built before with these sizes (a marker in its .git says so); when
    not, it is removed so the caller builds it afresh and then calls `built`."""
    marker = repo / ".git" / name
    if marker.exists() and marker.read_text() == sizes:
        print(f"reusing {repo} ({sizes.strip()})", flush=True)
        return True
    shutil.rmtree(repo, ignore_errors=True)
    return False


def built(repo: Path, name: str, sizes: str) -> None:
    (repo / ".git" / name).write_text(sizes)


def import_rows(stderr: str) -> Iterator[tuple[int, int, str]]:
    """(cumulative microseconds, depth, module) for each line `-X importtime` printed."""
    for line in stderr.splitlines():
        m = _IMPORT.match(line)
        if m:
            yield int(m.group(2)), len(m.group(3)), m.group(4)
