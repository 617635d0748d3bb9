"""A real git repository for tests: write files, stage, commit (hooks bypassed)."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass
class GitRepo:
    path: Path

    @classmethod
    def init(cls, path: Path, *args: str) -> GitRepo:
        path.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "init", "-q", *args, str(path)], check=True)
        return cls(path)

    def git(self, *args: str, input: bytes | None = None, check: bool = True,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        full_env = {**os.environ, **(env or {})}
        proc = subprocess.run(["git", *args], cwd=self.path, input=input, capture_output=True,
                              env=full_env, check=False)
        out = subprocess.CompletedProcess(proc.args, proc.returncode,
                                          proc.stdout.decode("utf-8", "replace"),
                                          proc.stderr.decode("utf-8", "replace"))
        if check and proc.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed:\n{out.stderr}")
        return out

    def write(self, name: str, data: bytes | str) -> Path:
        p = self.path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data.encode() if isinstance(data, str) else data)
        return p

    def add(self, *names: str) -> None:
        self.git("add", "-f", "--", *names)

    def commit(self, message: str = "change", *extra: str) -> str:
        self.git("commit", "-q", "--no-verify", "--allow-empty", "-m", message, *extra)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").stdout.strip()

    def push_to_bare(self, remote: Path) -> None:
        """A bare repository at `remote` as `origin`, with main pushed to it."""
        subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
        self.git("remote", "add", "origin", str(remote))
        self.git("push", "-q", "origin", "main")


def blob(size: int, binary: bool = True, seed: int = 0) -> bytes:
    """Deterministic content of `size` bytes; binary ones hold NUL bytes, text ones do not."""
    unit = (bytes(range(256)) if binary else b"0123456789abcdef,\n") + bytes([seed % 251 + 1])
    return (unit * (size // len(unit) + 1))[:size]
