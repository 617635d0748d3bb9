"""What every check's `main` shares: common options, rendering, and turning errors into exit codes.

Errors a user can cause print one line and the fix; anything unexpected prints one line and
where the traceback was written. A gate that could not finish exits 3, never 0.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from dataward.errors import EXIT_COULD_NOT_CHECK, DatawardError
from dataward.findings import Finding, Outcome, exit_code

if TYPE_CHECKING:
    from dataward.adapters.git import Repo
    from dataward.policy import Policy

FORMATS = ("github", "json", "sarif", "text")  # dataward.report renders each


def add_common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, default="text",
                        help="how to print findings (default: text)")
    parser.add_argument("--config", metavar="FILE",
                        help="policy file (default: dataward.toml, else pyproject.toml "
                             "[tool.dataward], at the repository root)")


_collected: list[Outcome] | None = None


@contextmanager
def collecting() -> Iterator[list[Outcome]]:
    """Within it, checks record their outcome here instead of printing it (the CI commands
    run several checks and report them together)."""
    global _collected
    outer, _collected = _collected, []
    try:
        yield _collected
    finally:
        _collected = outer


def run(check_id: str, fmt: str, body: Callable[[], Sequence[Finding]]) -> int:
    try:
        findings = list(body())
    except DatawardError as err:
        return _failed(Outcome(check_id, err.exit_code, [], err.message, err.hint), fmt)
    except KeyboardInterrupt:
        return 130
    except Exception:
        log = write_log()
        return _failed(Outcome(check_id, EXIT_COULD_NOT_CHECK, [],
                               "internal error: could not check",
                               f"details are in {log}; please report them"), fmt)
    if _collected is not None:
        _collected.append(Outcome(check_id, exit_code(findings), findings))
        return exit_code(findings)
    if not findings and fmt == "text":
        return 0  # nothing to say: skip loading the renderers
    from dataward.report import render

    output = render(findings, fmt)
    if output:
        try:
            print(output, flush=True)
        except BrokenPipeError:  # `| head`: the reader left; exit as we would have
            _reader_left()
    return exit_code(findings)


def command(prefix: str, body: Callable[[], int]) -> int:
    """A subcommand (`dataward init`, `catalog`, `drift`, `ci`): an error a user can cause
    prints its message and fix under `prefix`; a reader that left (`| head`) is no error;
    anything unexpected prints one line and where the traceback was written, exit 3."""
    try:
        return body()
    except DatawardError as err:
        print(f"{prefix}: {err.message}", file=sys.stderr)
        if err.hint:
            print(f"    {err.hint}", file=sys.stderr)
        return err.exit_code
    except BrokenPipeError:
        _reader_left()
        return 0
    except KeyboardInterrupt:
        return 130
    except Exception:
        print(f"{prefix}: internal error; details are in {write_log()}; please report them",
              file=sys.stderr)
        return EXIT_COULD_NOT_CHECK


def _reader_left() -> None:
    """Stdout's reader is gone: later writes (and the flush at exit) go nowhere, quietly."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def run_in_repo(check_id: str, args: argparse.Namespace,
                body: Callable[[Repo, Policy], Sequence[Finding]]) -> int:
    """`run` for a check of the repository around the current folder, under its policy."""
    def checked() -> Sequence[Finding]:
        from dataward.adapters.git import Repo
        from dataward.adapters.state import State
        from dataward.policy import load as load_policy

        repo = Repo.discover()
        return body(repo, load_policy(repo.root, args.config, State(repo.common_dir)).policy)

    return run(check_id, args.format, checked)


def _failed(outcome: Outcome, fmt: str) -> int:
    if _collected is not None:
        _collected.append(outcome)
    else:
        _fatal(outcome.check, fmt, outcome.error, outcome.hint)
    return outcome.exit_code


def _fatal(check_id: str, fmt: str, message: str, hint: str) -> None:
    if fmt == "github":
        from dataward.report import render

        print(render([Finding(".", None, check_id, message, hint)], "github"))
    print(f"{check_id}: {message}", file=sys.stderr)
    if hint:
        print(f"    {hint}", file=sys.stderr)


def write_log() -> str:
    """Write the current traceback to a log file; return its path."""
    import tempfile
    import traceback

    fd, path = tempfile.mkstemp(prefix="dataward-error-", suffix=".log")
    with os.fdopen(fd, "w") as fh:
        fh.write(traceback.format_exc())
    return path
