"""The one way a check runs: `run(repo, policy, request) -> Outcome`, called by its console
script, by the plain hooks (`dataward hook`) and by `dataward ci` alike.

`execute` finds the repository and its policy, calls the check and turns every error into an
Outcome: one a user can cause carries its message and fix; anything unexpected is one line and
where the traceback was written. A gate that could not finish is exit 3, never 0. `report`
prints an Outcome in the format asked for. Nothing here is global: callers that run several
checks (the hooks, CI) simply keep the Outcomes.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from dataward.errors import EXIT_COULD_NOT_CHECK, EXIT_USAGE, DatawardError
from dataward.findings import Finding, Outcome, exit_code

if TYPE_CHECKING:
    from dataward.adapters.git import Repo
    from dataward.policy import Policy

FORMATS = ("github", "json", "markdown", "sarif", "text")  # dataward.report renders each
DEFAULT_JOBS = min(32, 4 * (os.cpu_count() or 1))


class Request(NamedTuple):
    """What a check is asked to look at. Each check reads the fields that concern it; the
    rest keep their defaults. Everything a check would read from the process (stdin, the
    environment) is here, so a caller decides it."""

    files: tuple[str, ...] = ()  # named on the command line (pre-commit passes them)
    rev: str | None = None  # one revision (dvc-pushed)
    range: str | None = None  # BASE..HEAD
    all: bool = False  # all of history (no-large-binaries)
    pre_push: str | None = None  # the remote of a plain git pre-push hook
    push_lines: tuple[str, ...] = ()  # what git gives that hook on stdin
    env: Mapping[str, str] = {}
    enforce_all: bool = False  # no-large-binaries: every given file, changed or not
    maxkb: int | None = None  # no-large-binaries: the size limit, over the policy's
    profile: Literal["lab", "huggingface"] = "lab"  # dataset-cards
    push: bool = False  # dvc-pushed: push what is missing, then check again
    use_cache: bool = True  # dvc-pushed: trust what the remote was seen to hold
    jobs: int = DEFAULT_JOBS  # dvc-pushed: requests in flight
    timeout: float = 60.0  # dvc-pushed: seconds to wait for a remote
    deep: bool = False  # dvc-pushed: download and hash what the ETags cannot prove
    restore_days: int | None = None  # dvc-pushed: restore archived objects for these days
    restore_tier: str = "Standard"  # dvc-pushed: S3's retrieval tier for --restore
    cache_days: float = 7  # dvc-pushed: how long what a remote was seen to hold is trusted
    verbose: bool = False


Check = Callable[["Repo", "Policy", Request], Outcome]


def outcome(check_id: str, findings: Sequence[Finding]) -> Outcome:
    return Outcome(check_id, exit_code(list(findings)), list(findings))


def guarded(check_id: str, body: Callable[[], Outcome]) -> Outcome:
    """`body()`, with every error it raises as the Outcome of a check that could not run."""
    try:
        return body()
    except DatawardError as err:
        return Outcome(check_id, err.exit_code, [], err.message, err.hint)
    except KeyboardInterrupt:
        raise
    except Exception:
        return Outcome(check_id, EXIT_COULD_NOT_CHECK, [], "internal error: could not check",
                       f"details are in {write_log()}; please report them")


def execute(check_id: str, check: Check, request: Request,
            config: str | None = None) -> Outcome:
    """Run a check on the repository around the current folder, under its policy."""
    return execute_all([(check_id, check, request)], config)[0]


def execute_all(jobs: Sequence[tuple[str, Check, Request]],
                config: str | None = None) -> list[Outcome]:
    """Run several checks on the repository around the current folder: it is found and its
    policy loaded once for all. When that fails, the one Outcome says why."""
    found: list[tuple[Repo, Policy]] = []

    def setup() -> Outcome:
        from dataward.adapters.files import forget_folders
        from dataward.adapters.git import Repo
        from dataward.adapters.state import State
        from dataward.policy import load as load_policy

        forget_folders()  # what an earlier run in this process resolved may have moved
        repo = Repo.discover()
        found.append((repo, load_policy(repo.root, config, State(repo.common_dir)).policy))
        return Outcome("setup", 0, [])

    if not jobs:
        return []
    failed = guarded(jobs[0][0] if len(jobs) == 1 else "dataward", setup)
    if not found:
        return [failed]
    repo, policy = found[0]
    return [guarded(check_id, partial(_checked, check, repo, policy, request))
            for check_id, check, request in jobs]


def _checked(check: Check, repo: Repo, policy: Policy, request: Request) -> Outcome:
    return without_ignored(check(repo, policy, request), policy)


def without_ignored(result: Outcome, policy: Policy) -> Outcome:
    """The Outcome less the findings whose rule the policy switches off there."""
    if not (policy.ignore or policy.per_path_ignores):
        return result
    kept = [f for f in result.findings if not policy.ignores(f.rule, f.path)]
    return result._replace(findings=kept, exit_code=exit_code(kept)) \
        if len(kept) != len(result.findings) else result


def main(check_id: str, check: Check, request: Request, fmt: str,
         config: str | None = None) -> int:
    """What a check's console script does: execute it and print what it came to."""
    closed = refuse_closed_stdout(check_id)
    if closed is not None:
        return closed
    try:
        return report(execute(check_id, check, request, config), fmt)
    except KeyboardInterrupt:
        return 130


def report(result: Outcome, fmt: str) -> int:
    """Print an Outcome as a check's own command does; its exit code."""
    return report_all([result], fmt)


def report_all(outcomes: Sequence[Outcome], fmt: str) -> int:
    """Print what several checks came to as one report (one summary, one JSON or SARIF
    document, where a check that could not run is a could-not-check finding); each that
    could not run also says why on stderr. The worst exit code (3 > 2 > 1)."""
    code = max((o.exit_code for o in outcomes), default=0)
    ran = [o for o in outcomes if not o.error]
    for o in outcomes:
        if o.error:
            _fatal(o.check, fmt, o.error, o.hint)
    findings = [f for o in ran for f in o.findings]
    if (not ran and fmt in ("text", "github")) or (not findings and fmt == "text"):
        return code  # nothing more to say (the failures are said): skip loading renderers
    if fmt == "markdown":  # a job summary: the table actions/check writes, failures too
        from dataward.report import markdown

        output = markdown.render(outcomes, "dataward")
    else:
        from dataward.report import render

        if fmt in ("json", "sarif"):  # the document says which checks could not run
            findings += [_could_not_check(o.check, o.error, o.hint) for o in outcomes
                         if o.error]
        output = render(findings, fmt)
    if output:
        try:
            print(output, flush=True)
        except BrokenPipeError:  # `| head`: the reader left; exit as we would have
            _reader_left()
        except OSError as exc:  # a full disk, a closed terminal: the report is lost
            return _unwritable(outcomes[0].check if len(outcomes) == 1 else "dataward", exc)
    return code


MAX_TIMEOUT = 86_400.0


def timeout_seconds(text: str) -> float:
    """argparse type of every `--timeout`: a finite number of seconds, over 0 and at most a
    day (nan, inf or 1e300 would reach socket and thread calls that cannot take them)."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value <= MAX_TIMEOUT:  # False for nan too
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number of seconds over 0 and at most {MAX_TIMEOUT:.0f}")
    return value


def stdout_closed() -> bool:
    """Whether standard output is closed (`>&-`): Python then has no sys.stdout, and the next
    file opened would take its descriptor and receive what we print."""
    if sys.stdout is None:
        return True
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError, AttributeError):
        return False  # replaced by a caller (a test's capture): it is theirs to judge
    try:
        os.fstat(fd)
    except OSError:
        return True
    return False


def refuse_closed_stdout(prefix: str) -> int | None:
    """Exit 2 with a message when stdout is closed; None when it is open."""
    if not stdout_closed():
        return None
    if sys.stderr is not None:
        print(f"{prefix}: standard output is closed; run it with stdout open (redirect it: "
              "`> /dev/null` to discard it)", file=sys.stderr, flush=True)
    return EXIT_USAGE


def _unwritable(prefix: str, exc: OSError) -> int:
    """Writing to stdout failed: say so on stderr, exit 3 (the report did not reach anyone),
    and let the flush at exit go to /dev/null instead of raising again."""
    _reader_left()
    if sys.stderr is not None:
        print(f"{prefix}: could not write to standard output: {exc.strerror or exc}",
              file=sys.stderr, flush=True)
    return EXIT_COULD_NOT_CHECK


def add_common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, default="text",
                        help="how to print findings (default: text; markdown: a job "
                             "summary's table)")
    parser.add_argument("--config", metavar="FILE",
                        help="policy file (default: dataward.toml, else pyproject.toml "
                             "[tool.dataward], at the repository root)")


def command(prefix: str, body: Callable[[], int]) -> int:
    """A subcommand (`dataward init`, `catalog`, `drift`, `ci`): an error a user can cause
    prints its message and fix under `prefix`; a reader that left (`| head`) is no error;
    anything unexpected prints one line and where the traceback was written, exit 3."""
    closed = refuse_closed_stdout(prefix)
    if closed is not None:
        return closed
    try:
        return body()
    except DatawardError as err:
        _say(prefix, err.message, err.hint)
        return err.exit_code
    except BrokenPipeError:
        _reader_left()
        return 0
    except KeyboardInterrupt:
        return 130
    except StdoutFailed as exc:
        return _unwritable(prefix, exc)
    except Exception:
        print(f"{prefix}: internal error; details are in {write_log()}; please report them",
              file=sys.stderr)
        return EXIT_COULD_NOT_CHECK


class StdoutFailed(OSError):
    """Writing to standard output failed (a full disk, an I/O error): not a reader leaving."""


class _Guarded:
    """sys.stdout, telling its own write errors apart from every other OSError."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def write(self, text: str) -> int:
        try:
            return int(self._inner.write(text))
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise StdoutFailed(exc.errno, exc.strerror) from exc

    def flush(self) -> None:
        try:
            self._inner.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise StdoutFailed(exc.errno, exc.strerror) from exc

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def written(prefix: str, body: Callable[[], int]) -> int:
    """`body()`, where failing to write to stdout is a message and exit 3 (or a quiet exit for
    a reader that left, `| head`), not a traceback."""
    inner = sys.stdout
    sys.stdout = _Guarded(inner)
    try:
        return body()
    except BrokenPipeError:
        _reader_left()
        return 0
    except StdoutFailed as exc:
        return _unwritable(prefix, exc)
    finally:
        sys.stdout = inner


def _reader_left() -> None:
    """Stdout's reader is gone: later writes (and the flush at exit) go nowhere, quietly."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _fatal(check_id: str, fmt: str, message: str, hint: str) -> None:
    if fmt == "github":
        from dataward.report import render

        print(render([_could_not_check(check_id, message, hint)], "github"))
    _say(check_id, message, hint)


def _could_not_check(check_id: str, message: str, hint: str) -> Finding:
    """What a check that could not run becomes where findings are all there is."""
    return Finding(".", None, check_id, message, hint, rule="could-not-check")


def _say(prefix: str, message: str, hint: str) -> None:
    """An error on stderr: the names in it shown, never run by a terminal or GitHub."""
    from dataward.report.escape import terminal, terminal_text

    lines = [f"{prefix}: {terminal(message)}"]
    lines += [f"    {terminal(line)}" for line in hint.split("\n") if line]
    print(terminal_text("\n".join(lines)), file=sys.stderr, flush=True)


def write_log() -> str:
    """Write the current traceback to a log file; return its path."""
    import tempfile
    import traceback

    from dataward.formats.urls import mask_text

    fd, path = tempfile.mkstemp(prefix="dataward-error-", suffix=".log")
    with os.fdopen(fd, "w") as fh:
        fh.write(mask_text(traceback.format_exc()))  # a URL in a message may hold a token
    return path


def add_remote_options(parser: argparse.ArgumentParser, timeout: float) -> None:
    """What dvc-pushed and `remote audit` share: how hard to ask, how long to wait, how much
    to say."""
    parser.add_argument("--deep", action="store_true",
                        help="download and hash the objects whose ETag cannot prove their "
                             "bytes (multipart uploads, SSE-KMS)")
    parser.add_argument("--jobs", type=int, default=DEFAULT_JOBS,
                        help="requests in flight at once (default: 4 x cores, at most 32)")
    parser.add_argument("--timeout", type=timeout_seconds, default=timeout,
                        help=f"seconds to wait for a remote (default: {timeout:g}); past it "
                             "the check fails closed, exit 3")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="say what was checked and how many requests it took")
