"""Git, the one adapter to it: every git process dataward starts is started in this package.

`Repo` is a working tree and every question dataward asks of it, grouped by what git reads
to answer: history (commits and what they changed), objects (blobs and trees), worktree (the
index, the working tree, config); process runs git for them. `discover`, `clone` and
`tracked_paths` come before a Repo: finding one, cloning a registry, listing a checkout that
may belong to another user.
"""

import os
import subprocess

from dataward.adapters.git.history import GITLINK, NULL_MODE, Change, FileChange, History, LogEntry
from dataward.adapters.git.objects import EMPTY_TREE, SNIFF_BYTES, Objects
from dataward.adapters.git.process import GIT, dec
from dataward.adapters.git.worktree import WorkTree
from dataward.errors import CouldNotCheck, UsageError

__all__ = ["EMPTY_TREE", "GITLINK", "NULL_MODE", "SNIFF_BYTES", "Change", "FileChange",
           "LogEntry", "Repo", "clone", "tracked_paths"]

# Environment that changes where git looks for the repository: leave discovery to git.
_GIT_LOCATION_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_CEILING_DIRECTORIES")


class Repo(History, Objects, WorkTree):
    """A working tree and every question dataward asks git about it."""

    __slots__ = ()

    @classmethod
    def discover(cls, cwd: str | None = None) -> "Repo":
        """The working tree around `cwd`: found by looking for `.git`, as git does, else by git."""
        start = os.path.abspath(cwd or os.curdir)
        if not any(v in os.environ for v in _GIT_LOCATION_ENV):
            found = _find_dot_git(start)
            if found is not None:
                return found
        proc = subprocess.run(
            [*GIT, "rev-parse", "--show-toplevel", "--absolute-git-dir", "--git-common-dir"],
            cwd=start, capture_output=True, check=False,
        )
        if proc.returncode != 0:
            raise UsageError(
                f"{start} is not inside a git working tree",
                "run dataward from a git repository (git init, or cd into a clone)",
            )
        root, git_dir, common = dec(proc.stdout).splitlines()[:3]
        return cls(root, git_dir, os.path.normpath(os.path.join(root, common)))


def clone(url: str, dest: str, timeout: float | None = None) -> Repo:
    """A clone of `url` in the empty folder `dest`, nothing checked out (history is all a
    registry's catalog needs). CouldNotCheck when git fails, with no credential of the URL
    in the message. With `timeout`, an unattended clone: git never prompts, and past the
    timeout its whole process group (remote helpers too) goes, so a server that accepts and
    never answers cannot hang a scheduled scan."""
    import signal

    from dataward.formats.urls import mask, mask_text

    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"} if timeout is not None else None
    # `--`: a URL starting with '-' is a URL, never an option such as --upload-pack.
    proc = subprocess.Popen([*GIT, "clone", "--quiet", "--no-checkout", "--", url, dest],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True, env=env)
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise CouldNotCheck(f"cloning {mask(url)} took more than {timeout:g} s",
                            "is the server up and answering? Retry later, or raise "
                            "--timeout") from None
    if proc.returncode != 0:
        from urllib.parse import urlsplit

        said = (dec(err).strip().splitlines() or ["git clone failed"])[-1]
        # git may echo the URL: its password, or a token given as the user, must not
        # reach the log.
        shown = mask(url)
        said = mask_text(said.replace(url, shown))
        try:
            parts = urlsplit(url)
            secrets = [p for p in (parts.password, parts.username) if p]
        except ValueError:
            secrets = []
        for secret in secrets:
            said = said.replace(secret, "***")
        raise CouldNotCheck(f"could not clone {shown}: {said}",
                            "check the URL and this machine's access to it")
    return Repo.discover(dest)


def tracked_paths(root: str) -> tuple[list[str], str | None]:
    """The paths git tracks in the checkout at `root`, and what git said when it could not
    list them (then the paths are whatever it listed: usually none).

    safe.directory: a runner user may read a checkout someone else owns, which git refuses
    otherwise.
    """
    proc = subprocess.run([*GIT, "-c", f"safe.directory={os.path.abspath(root)}", "-C", root,
                           "ls-files", "-z"], capture_output=True, check=False)
    problem = None
    if proc.returncode != 0:
        said = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        problem = said[-1] if said else "git failed"
    return [os.fsdecode(p) for p in proc.stdout.split(b"\0") if p], problem


def _find_dot_git(start: str) -> Repo | None:
    """The repository whose `.git` is nearest above `start`; None when git should decide."""
    d = start
    while True:
        dot = os.path.join(d, ".git")
        if os.path.isdir(dot):
            if not os.path.isfile(os.path.join(dot, "HEAD")):
                return None
            return Repo(d, dot, dot)
        if os.path.isfile(dot):  # a worktree or submodule: "gitdir: <path>"
            try:
                with open(dot, encoding="utf-8") as fh:
                    text = fh.read().strip()
            except OSError:
                return None
            if not text.startswith("gitdir:"):
                return None
            git_dir = os.path.normpath(os.path.join(d, text[len("gitdir:"):].strip()))
            common = git_dir
            try:
                with open(os.path.join(git_dir, "commondir"), encoding="utf-8") as fh:
                    common = os.path.normpath(os.path.join(git_dir, fh.read().strip()))
            except OSError:
                pass
            return Repo(d, git_dir, common)
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent
