"""Running git: batched, NUL-separated, one process per question, never one per file.

Paths come back as `str` decoded with surrogateescape, so names that are not UTF-8
survive the round trip to git and back. Output is decoded once per call, not per entry:
range mode parses a hundred thousand entries.
"""

import subprocess
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from subprocess import CompletedProcess
    from threading import Thread

from dataward.errors import CouldNotCheck

# Every git dataward starts reads the objects as they are, never through `git replace`: a
# replace ref is local (never pushed), so honouring it would judge a small stand-in while
# the real, large object is what gets committed and pushed.
GIT = ("git", "--no-replace-objects")


def dec(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


def enc(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


def first_line(stderr: bytes) -> str:
    text = dec(stderr).strip()
    return text.splitlines()[0] if text else "no message"


class Git:
    """A working tree, and git run in it. The questions dataward asks are grouped by what
    git reads to answer them (history, objects, worktree); `Repo` has them all."""

    __slots__ = ("_ahead", "common_dir", "git_dir", "root")

    def __init__(self, root: str, git_dir: str, common_dir: str) -> None:
        self.root = root
        self.git_dir = git_dir
        self.common_dir = common_dir
        # git processes started before their answer is asked for: args -> (thread, result)
        self._ahead: dict[tuple[str, ...], tuple[Thread, list[CompletedProcess[bytes]]]] = {}

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(root={self.root!r}, git_dir={self.git_dir!r}, "
                f"common_dir={self.common_dir!r})")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Git) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def _key(self) -> tuple[str, str, str]:
        return self.root, self.git_dir, self.common_dir

    def ahead(self, args: Sequence[str]) -> None:
        """Start `git ARGS` now, in the background: the `run(ARGS)` that asks for its answer
        later waits for this one instead of starting another (git questions that do not
        depend on each other then overlap)."""
        import threading
        from contextlib import suppress

        done: list[CompletedProcess[bytes]] = []

        def start() -> None:
            with suppress(OSError):  # no git: run() starts it again, and says so
                done.append(subprocess.run([*GIT, *args], cwd=self.root, capture_output=True,
                                           check=False))

        thread = threading.Thread(target=start, daemon=True)
        thread.start()
        self._ahead[tuple(args)] = (thread, done)

    def run(self, args: Sequence[str], stdin: bytes | None = None,
            ok: tuple[int, ...] = (0,)) -> bytes:
        """git's output; an exit code not in `ok` is CouldNotCheck (exit 3)."""
        started = self._ahead.pop(tuple(args), None) if stdin is None else None
        if started is not None:
            started[0].join()
        proc = started[1][0] if started and started[1] else subprocess.run(
            [*GIT, *args], cwd=self.root, input=stdin, capture_output=True, check=False,
        )
        if proc.returncode not in ok:
            raise CouldNotCheck(
                f"git {args[0]} failed: {first_line(proc.stderr)}",
                "check that the repository is intact (git fsck) and try again",
            )
        return proc.stdout

    def ask(self, args: Sequence[str], stdin: bytes | None = None) -> bytes | None:
        """git's output, or None when it fails: for questions whose failure is the answer
        (no such commit, no such remote, not an ancestor)."""
        proc = subprocess.run([*GIT, *args], cwd=self.root, input=stdin, capture_output=True,
                              check=False)
        return proc.stdout if proc.returncode == 0 else None

    def attempt(self, args: Sequence[str]) -> str | None:
        """Run a command a user could have typed (`git config ...` for `dataward init`):
        None when it worked, else the last line it said (or its exit code)."""
        proc = subprocess.run([*GIT, *args], cwd=self.root, capture_output=True, text=True,
                              check=False)
        if proc.returncode == 0:
            return None
        said = (proc.stderr.strip() or proc.stdout.strip()).splitlines()
        return said[-1] if said else str(proc.returncode)
