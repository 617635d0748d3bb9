"""The one findings model that every check returns and every reporter renders."""

from typing import Literal, NamedTuple

Severity = Literal["error", "warning"]


class Finding(NamedTuple):
    """One problem, located, with the command or edit that fixes it.

    `line` is None when the problem has no line (a blob in git history). A NamedTuple, not a
    dataclass: hooks build these on every commit and `dataclasses` costs start-up time.
    """

    path: str
    line: int | None
    check: str
    message: str
    hint: str = ""
    severity: Severity = "error"
    rule: str = ""  # the stable rule id (dataward.rules), which the policy can switch off

    def as_dict(self) -> dict[str, object]:
        return {
            "check": self.check,
            "rule": self.rule,
            "severity": self.severity,
            "path": self.path,
            "line": self.line,
            "message": self.message,
            "hint": self.hint,
        }


def exit_code(findings: list[Finding]) -> int:
    """1 when any finding is an error; warnings alone pass."""
    return 1 if any(f.severity == "error" for f in findings) else 0


class Outcome(NamedTuple):
    """What one check came to: its exit code and findings, or why it could not check."""

    check: str
    exit_code: int
    findings: list[Finding]
    error: str = ""  # the one-line message of a check that could not run
    hint: str = ""
