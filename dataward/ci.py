"""`dataward ci check` and `dataward ci verify-pushed`: what the pull-request actions run.

Each runs its checks in this process (their own `main`, collected instead of printed), then
reports the outcomes where GitHub users look: the job summary, step outputs, and through the
GitHub adapter a check run with annotations, the sticky comment, or a commit status. When the
token may not write (pull requests from forks), annotations are printed as workflow commands
instead, with one line saying why, and the verdict stays that of the checks. When GitHub cannot
be reached, the exit code is 3 (or worse): the promised report is missing.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from dataward import __version__
from dataward.adapters.github.client import Annotation, Client
from dataward.adapters.github.env import Actions, append_summary, write_output
from dataward.errors import EXIT_COULD_NOT_CHECK, DatawardError, NoPermission
from dataward.findings import Finding, Outcome
from dataward.report import markdown
from dataward.report.escape import terminal, visible
from dataward.report.workflow import command
from dataward.runner import MAX_TIMEOUT, Request, timeout_seconds

PR_CHECKS = ("no-large-binaries", "dvc-files", "dvc-config", "dataset-cards")
CHECK_RUN_NAME = "dataward"
COMMENT_MARKER = "dataward:pull-request-check"
STATUS_CONTEXT = "dataward/dvc-pushed"
LEVELS = {"error": "failure", "warning": "warning"}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dataward ci", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    check = sub.add_parser("check", help="the pull-request checks (actions/check)")
    check.add_argument("--checks", default=",".join(PR_CHECKS),
                       help=f"comma-separated check ids (default: {','.join(PR_CHECKS)})")
    check.add_argument("--range", metavar="BASE..HEAD",
                       help="commits no-large-binaries looks at (default: the pull request's "
                            "base..head, else the pushed commits)")
    check.add_argument("--no-comment", action="store_true",
                       help="do not write the sticky pull-request comment")
    pushed = sub.add_parser("verify-pushed", help="the dvc-pushed gate (actions/verify-pushed)")
    pushed.add_argument("--rev", help="commit to check (default: the pull request's head, "
                                      "else GITHUB_SHA, else HEAD)")
    pushed.add_argument("--timeout", type=timeout_seconds,
                        help=f"seconds to wait for the remote (over 0, at most {MAX_TIMEOUT:.0f})")
    check.add_argument("--name", default=CHECK_RUN_NAME,
                       help=f"the check run's name, and the comment's (default: "
                            f"{CHECK_RUN_NAME}); give each use of the action its own")
    for p in (check, pushed):
        p.add_argument("--no-github", action="store_true",
                       help="only the job summary, outputs and annotations; no API calls")
    args = parser.parse_args(argv)
    def body() -> int:
        actions = Actions.from_environ()
        if args.command == "check":
            return _check(args, actions)
        return _verify_pushed(args, actions)

    from dataward.runner import command

    return command("dataward ci", body)


# -- dataward ci check ------------------------------------------------------------------------

def _check(args: argparse.Namespace, actions: Actions) -> int:
    ids = [c.strip() for c in args.checks.replace(" ", ",").split(",") if c.strip()]
    from dataward.checks import CHECKS

    unknown = sorted(set(ids) - set(CHECKS))
    if unknown or not ids:
        what = f"unknown check {', '.join(unknown)}" if unknown else "no check to run"
        print(f"dataward ci check: {what}; known: {', '.join(sorted(CHECKS))}",
              file=sys.stderr)
        return 2
    pr = actions.pull_request
    commit_range = args.range or (f"{pr.base_sha}..{pr.head_sha}" if pr else
                                  actions.push_range)
    requests = {"no-large-binaries": Request(range=commit_range, all=not commit_range),
                "dvc-pushed": Request(rev=pr.head_sha if pr else "HEAD")}
    outcomes = _collect([(c, requests.get(c, Request())) for c in ids])
    head = (pr.head_sha if pr else actions.sha) or _resolve("HEAD")
    code = markdown.verdict(outcomes)
    report = markdown.render(outcomes, "dataward", _linker(actions, head), _footer(actions))
    append_summary(actions.step_summary, report)
    anything = any(o.findings or o.error for o in outcomes)

    def check_run(client: Client) -> str:
        run = client.check_run(args.name, head, _conclusion(code), markdown.headline(outcomes),
                               report, _annotations(outcomes), details_url=actions.run_url)
        return f"check run {args.name!r} ({run}) on {head[:12]}"

    def comment(client: Client) -> str:
        assert pr is not None
        url = client.sticky_comment(pr.number, f"{COMMENT_MARKER}:{args.name}", report,
                                    create=anything)
        return f"comment {url}" if url else ""

    steps = [check_run] + ([comment] if pr and not args.no_comment else [])
    return _publish(args, actions, outcomes, code, steps)


# -- dataward ci verify-pushed ----------------------------------------------------------------

def _verify_pushed(args: argparse.Namespace, actions: Actions) -> int:
    pr = actions.pull_request
    rev = args.rev or (pr.head_sha if pr else actions.sha) or "HEAD"
    request = Request(rev=rev, **({"timeout": args.timeout} if args.timeout else {}))
    outcomes = _collect([("dvc-pushed", request)])
    code = markdown.verdict(outcomes)
    report = markdown.render(outcomes, "dataward dvc-pushed", _linker(actions, rev),
                             _footer(actions))
    append_summary(actions.step_summary, report)
    state, description = _status(outcomes[0])

    def status(client: Client) -> str:
        sha = rev if len(rev) == 40 else _resolve(rev)
        client.status(sha, state, STATUS_CONTEXT, description, actions.run_url)
        return f"status {STATUS_CONTEXT} {state} on {sha[:12]}"

    return _publish(args, actions, outcomes, code, [status])


def _status(outcome: Outcome) -> tuple[str, str]:
    if outcome.error:
        return "error", f"could not check: {outcome.error}"
    datasets = {f.path for f in outcome.findings if f.severity == "error"}
    if datasets:
        files = "1 DVC file points" if len(datasets) == 1 else f"{len(datasets)} DVC files point"
        return "failure", f"{files} at data missing from the remote: run dvc push"
    return "success", "every DVC object of this commit is in the remote"


def _resolve(rev: str) -> str:
    from dataward.adapters.git import Repo

    return Repo.discover().resolve_commit(rev) or rev


# -- shared -----------------------------------------------------------------------------------

def _collect(runs: Sequence[tuple[str, Request]]) -> list[Outcome]:
    """Each check's Outcome, through the one interface its own command uses."""
    from dataward.checks import check_of
    from dataward.runner import execute

    return [execute(check_id, check_of(check_id), request) for check_id, request in runs]


def _publish(args: argparse.Namespace, actions: Actions, outcomes: Sequence[Outcome],
             code: int, steps: Sequence[Callable[[Client], str]]) -> int:
    """Report through the API, each step on its own (a failed check run does not keep the
    comment stale); a read-only token falls back to workflow annotations with the same
    verdict; GitHub failing otherwise is exit 3. Then the step outputs."""
    said: list[str] = []
    denied: NoPermission | None = None
    failed: DatawardError | None = None
    if args.no_github or not actions.repository:
        _annotate(outcomes)
    else:
        try:
            client = Client(actions.api_url, actions.token, actions.repository)
        except DatawardError as err:
            steps, failed = [], err
        for step in steps:
            try:
                said.append(step(client))
            except NoPermission as err:
                denied = denied or err
            except DatawardError as err:
                failed = failed or err
        if denied or failed:
            _annotate(outcomes)
        if denied:
            print(command("warning", f"{denied.message}. The token cannot "
                          f"write to {actions.repository} ("
                          + ("a pull request from a fork gets a read-only token"
                             if actions.pull_request and actions.pull_request.from_fork else
                             "give the job `checks: write` and `pull-requests: write` in "
                             "permissions:")
                          + "): the findings are in these annotations (GitHub shows 10 of "
                          "each kind per step) and all of them in the job summary.",
                          title="dataward"))
        if failed:
            print(command("error", failed.message, title="dataward"))
            print(f"dataward ci: {terminal(failed.message)}\n    {terminal(failed.hint)}",
                  file=sys.stderr)
            code = max(code, failed.exit_code, EXIT_COULD_NOT_CHECK)
    print(f"dataward: {markdown.headline(outcomes)}"
          + (f"; reported as {terminal(', '.join(s for s in said if s))}" if any(said)
             else ""))
    findings = [f for o in outcomes for f in o.findings]
    write_output(actions.output, {"findings": str(len(findings)), "result": _result(code)})
    return code


def _annotate(outcomes: Sequence[Outcome]) -> None:
    from dataward.report import render

    findings = [f for o in outcomes for f in o.findings]
    findings += [Finding(".", None, o.check, f"could not check: {o.error}", o.hint,
                         rule="could-not-check") for o in outcomes if o.error]
    if findings:
        print(render(findings, "github"), flush=True)


def _annotations(outcomes: Sequence[Outcome]) -> list[Annotation]:
    # The API takes JSON text: an undecodable byte of a name is shown (`\xe9`), not sent.
    return [Annotation(visible(f.path), f.line or 1, LEVELS[f.severity], f.check,
                       visible(f.message + (f"\n{f.hint}" if f.hint else ""), keep="\n\t"))
            for o in outcomes for f in o.findings if f.path not in ("", ".")]


def _linker(actions: Actions, sha: str) -> Callable[[Finding], str]:
    return lambda f: actions.blob_url(sha, f.path, f.line) if f.path not in ("", ".") else ""


def _footer(actions: Actions) -> str:
    run = f" · [the run]({actions.run_url})" if actions.run_url else ""
    return f"dataward {__version__}{run}"


def _result(code: int) -> str:
    return {0: "success", 1: "failure"}.get(code, "error")


def _conclusion(code: int) -> str:
    return "success" if code == 0 else "failure"
