"""One family of fatal errors; each carries its exit code and a one-line hint.

Exit codes (README, "Exit codes"): 0 clean, 1 findings, 2 usage or invalid configuration,
3 could not check. Findings are not errors: they are returned, never raised, and their code
(0 or 1) is `dataward.findings.exit_code`; only 2 and 3 are named here.
"""

from __future__ import annotations

EXIT_USAGE = 2
EXIT_COULD_NOT_CHECK = 3


class DatawardError(Exception):
    """A problem that stops a check; `str(err)` is the message, `hint` the fix."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(DatawardError):
    """Bad arguments, or run where it cannot work (not a git repository)."""

    exit_code = EXIT_USAGE


class ConfigError(DatawardError):
    """The policy file is unreadable or invalid."""

    exit_code = EXIT_USAGE


class CouldNotCheck(DatawardError):
    """The check could not be carried out (missing history, git failed, remote down).

    Gates fail closed: this is exit 3, never 0.
    """

    exit_code = EXIT_COULD_NOT_CHECK


class GitHubUnavailable(CouldNotCheck):
    """GitHub could not be reached, or kept answering errors after the retries."""


class NoPermission(GitHubUnavailable):
    """The token may read but not write (pull requests from forks get such a token)."""
