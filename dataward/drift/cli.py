"""`dataward drift scan` and `dataward drift publish`: drift reports and the lab's dashboard."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from typing import TYPE_CHECKING

from dataward.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from dataward.adapters.git import Repo
    from dataward.catalog.model import Catalog
    from dataward.drift.head_start import HeadStart
    from dataward.drift.model import DriftReport
    from dataward.policy import Policy


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    drift = sub.add_parser("drift", help="which version of each dataset this machine holds")
    actions = drift.add_subparsers(dest="drift_command", required=True, metavar="ACTION")
    scan = actions.add_parser("scan", help="scan a machine's dataset folder against the "
                                           "registry")
    scan.add_argument("--env", required=True, help="this environment's name (lab-server, ...)")
    scan.add_argument("--root", required=True, metavar="DIR",
                      help="where this machine keeps datasets (a dataset is looked for at "
                           "its registry path under it)")
    source = scan.add_mutually_exclusive_group(required=True)
    source.add_argument("--registry", metavar="DIR|URL",
                        help="the registry: a checkout, or a URL to clone (the catalog is "
                             "built from its history)")
    source.add_argument("--catalog", metavar="FILE|URL",
                        help="a catalog.json instead (a file, or the published one's URL)")
    scan.add_argument("--rev", default="HEAD", help="the registry revision (default: HEAD)")
    scan.add_argument("--datasets", action="append", metavar="GLOB[,GLOB...]",
                      help="the datasets this environment is meant to hold, as .gitattributes "
                           "patterns of their names (default: all); the others are listed "
                           "as not expected, never as drift")
    scan.add_argument("-o", "--output", metavar="FILE", help="write the JSON report here")
    scan.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                      help="files hashed at once (default: the number of cores)")
    state = scan.add_mutually_exclusive_group()
    state.add_argument("--state", metavar="FILE",
                       help="the hash cache (default: ~/.cache/dataward/drift-state-v1)")
    state.add_argument("--no-state", action="store_true", help="hash every file again")
    scan.add_argument("--format", choices=("text", "json", "github"), default="text",
                      help="what to print (default: text)")
    from dataward.runner import MAX_TIMEOUT, timeout_seconds

    scan.add_argument("--timeout", type=timeout_seconds, default=DEFAULT_TIMEOUT,
                      metavar="SECONDS",
                      help=f"how long cloning --registry URL may take (default: "
                           f"{DEFAULT_TIMEOUT:.0f}, at most {MAX_TIMEOUT:.0f}); past it, exit 3")
    publish = actions.add_parser("publish", help="commit a report to the dataward branch "
                                                 "and regenerate the dashboard")
    publish.add_argument("report", metavar="REPORT.json")
    publish.add_argument("--branch", default="dataward", help="default: dataward")
    publish.add_argument("--stale-days", type=float, default=3.0, metavar="DAYS",
                         help="mark environments whose last report is older as stale on the "
                              "dashboard (default: 3)")
    publish.add_argument("--issue", action="store_true",
                         help="keep one issue per environment open while it drifts")
    publish.add_argument("--remote", metavar="NAME",
                         help="publish to this DVC remote of the registry, under "
                              "dataward/drift/, instead of GitHub (its credentials are "
                              "dvc's: whatever makes `dvc pull` work)")
    collect = actions.add_parser("collect", help="gather every environment's report and "
                                                 "history from a DVC remote into a folder")
    collect.add_argument("--remote", required=True, metavar="NAME", help="the DVC remote")
    collect.add_argument("-o", "--output", metavar="DIR",
                         help="write <env>.json, history/, README.md and index.html here")
    collect.add_argument("--branch", help="commit them to drift/ on this GitHub branch "
                                          "(with the reports already there)")
    for p in (publish, collect):
        p.add_argument("--registry", default=".", metavar="DIR",
                       help="the registry checkout whose DVC config names the remote "
                            "(default: .)")
        p.add_argument("--timeout", type=timeout_seconds, default=60.0, metavar="SECONDS",
                       help="for each call to the remote (default: 60); past it, exit 3")
    collect.add_argument("--stale-days", type=float, default=3.0, metavar="DAYS",
                         help="mark environments whose last report is older as stale "
                              "(default: 3)")


def main(args: argparse.Namespace) -> int:
    from dataward.runner import command

    # A crash is exit 3, "could not scan": 1 would read as "drift".
    act, said = {
        "publish": (_publish, "the report may be on the remote without being the newest "
                              "yet; publish it again"),
        "collect": (_collect, "the drift folder may be incomplete; collect again"),
    }.get(args.drift_command, (_scan, None))
    return command("dataward drift", lambda: _stoppable(act, args, said))


def _stoppable(act: Callable[[argparse.Namespace], int], args: argparse.Namespace,
               said: str | None) -> int:
    """`act`, ending cleanly on SIGTERM (a job's time limit; exit 3) or Ctrl-C (130). A scan
    saves what was hashed in the state on the way out, so the next goes on from there;
    publish and collect say in one line (`said`) what may be left."""
    from dataward.drift import interrupt

    with interrupt.installed():
        try:
            return act(args)
        except (interrupt.Stopped, KeyboardInterrupt) as exc:
            if said is not None:
                print(f"dataward drift {args.drift_command}: stopped: {said}", file=sys.stderr)
            return 130 if isinstance(exc, KeyboardInterrupt) else 3


DEFAULT_TIMEOUT = 600.0
MAX_REPORT = 256 << 20  # a report lists datasets and unregistered folders: far below this


def _check_env(name: str) -> None:
    """The name becomes a file name (drift/<env>.json) and a dashboard column."""
    from dataward.drift.model import plain_env

    if not plain_env(name):
        raise UsageError(f"environment name {name!r} is not a plain name",
                         "use letters, digits, '.', '_' and '-' (lab-server, abci)")


def _scan(args: argparse.Namespace) -> int:
    _check_env(args.env)
    if args.jobs < 1:
        raise UsageError("--jobs must be 1 or more")
    state = None if args.no_state else (args.state or default_state())
    # Begun before pydantic is imported and the catalog built (dataward.drift.head_start).
    from dataward.drift.head_start import HeadStart

    head = HeadStart(args.root, state) if os.path.isdir(args.root) else None
    try:
        report, stats = _judged(args, state, head)
    except BaseException as exc:
        if head is not None:  # what it hashed is kept, as the scan's own hashing is
            head.stop().save()
            head.state.close()
        from dataward.drift.interrupt import Stopped

        if isinstance(exc, Stopped | KeyboardInterrupt):
            _say_stopped(exc, state, head)
        raise
    return _emit(args, report, stats, state)


def _say_stopped(exc: BaseException, state: str | None, head: HeadStart | None) -> None:
    from dataward.drift.interrupt import Stopped
    from dataward.report.escape import terminal

    saved, problem = (head.state.saved, head.state.problem) if head else (0, "")
    where = terminal(state or "")
    if state is None:
        kept = "nothing was kept (--no-state)"
    elif saved:
        kept = (f"the hashes of {saved:,} files are kept in the hash cache {where}: the "
                "next scan goes on from there")
    elif problem:
        kept = f"nothing was kept: the hash cache {where} could not be used ({terminal(problem)})"
    else:
        kept = "no file had been hashed yet"
    what = "stopped by SIGTERM" if isinstance(exc, Stopped) else "interrupted"
    print(f"dataward drift: {what} before the scan ended; {kept}", file=sys.stderr)


def _judged(args: argparse.Namespace, state: str | None, head: HeadStart | None
            ) -> tuple[DriftReport, Mapping[str, int]]:
    """The report, with each drifting dataset's fix, and the scan's counts."""
    from dataward.drift import progress
    from dataward.drift import scan as drift
    from dataward.drift.selection import parse

    selection = parse(args.datasets) if args.datasets is not None else None
    catalog, caches = catalog_for(args)
    remote_root = caches[0] if caches else None
    if remote_root:
        from dataward.formats.dvc_config import load

        caches = [load(os.path.join(remote_root, ".dvc")).cache_dir]  # honours cache.dir
    report, stats = drift.scan(catalog, args.env, args.root, jobs=args.jobs, state_file=state,
                               cache_dirs=caches, remote_root=remote_root,
                               progress=progress.reporter(), selection=selection, head=head)
    from dataward.adapters.git import tracked_paths
    from dataward.drift import fixes

    # A DVC project's checkout gets `dvc pull`s (fixes.is_checkout); with no registry URL, a
    # local --registry checkout is where a plain folder's `dvc get` fetches from.
    tracked = (set(tracked_paths(report.root)[0])
               if os.path.isdir(os.path.join(report.root, ".dvc")) else set())
    return fixes.attach(report, catalog, tracked, report.registry
                        or (os.path.abspath(remote_root) if remote_root else None)), stats


def _emit(args: argparse.Namespace, report: DriftReport, stats: Mapping[str, int],
          state: str | None) -> int:
    """The counts on stderr, the report where it was asked for; the exit code."""
    from dataward.drift import judge
    from dataward.report import drift_text
    from dataward.report.catalog_text import size
    from dataward.report.text import count

    print(f"hashed {count(stats.get('hashed', 0), 'file')} "
          f"({size(stats.get('hashed_bytes', 0))}); "
          f"{stats.get('cached', 0)} unchanged since the last scan"
          + ("" if state else " (--no-state)"), file=sys.stderr)
    from dataward.report.escape import to_json

    # to_json: a name's DEL or C1 byte (0x9b starts a terminal sequence) as a \u escape
    text = to_json(report.model_dump(mode="json")) + "\n"
    if args.output:
        _write(args.output, text)
    if args.format == "json":
        sys.stdout.write(text)
    else:
        print(drift_text.text(report))
        if args.format == "github":
            commands = drift_text.workflow_commands(report)
            if commands:
                print(commands)
            from dataward.adapters.github.env import append_summary
            from dataward.report.escape import markdown_block

            append_summary(os.environ.get("GITHUB_STEP_SUMMARY", ""),
                           "### dataward drift\n\n" + markdown_block(drift_text.text(report)))
    return judge.exit_code(report)


def catalog_for(args: argparse.Namespace) -> tuple[Catalog, list[str]]:
    """The catalog, and folders whose DVC cache may hold `.dir` manifests."""
    from dataward.adapters.git import Repo, clone
    from dataward.catalog import build
    from dataward.catalog import cli as catalog_cli
    from dataward.policy import load as load_policy

    if args.catalog:
        args.registry_url = None
        return catalog_cli.load_catalog(args.catalog), []
    if os.path.isdir(args.registry):
        repo = Repo.discover(args.registry)
        policy = load_policy(repo.root, None).policy
        args.registry_url = None
        return build.build(repo, args.rev, policy.dataset_cards,
                           catalog_cli.registry_url(args, repo)), [repo.root]
    with tempfile.TemporaryDirectory(prefix="dataward-registry-") as tmp:
        repo = clone(args.registry, tmp, args.timeout)
        return build.build(repo, args.rev, _policy_at(repo, args.rev).dataset_cards,
                           args.registry), []


def _policy_at(repo: Repo, rev: str) -> Policy:
    """The registry's own policy at `rev`, read from git (the clone checks nothing out)."""
    from dataward.policy import POLICY_FILES, Policy, parse

    for name in POLICY_FILES:
        raw = repo.file_at(rev, name)
        if raw and (name != "pyproject.toml" or b"dataward" in raw):
            return parse(name, raw)
    return Policy()


def default_state() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "dataward", "drift-state-v1")


def _stale_days(args: argparse.Namespace) -> None:
    if not args.stale_days > 0:  # also NaN
        raise UsageError(f"--stale-days {args.stale_days:g}: a report is stale after a "
                         "number of days above 0", "--stale-days 3")


def _publish(args: argparse.Namespace) -> int:
    _stale_days(args)
    if args.remote is not None and args.issue:
        raise UsageError("--issue opens issues on GitHub; --remote publishes without it",
                         "leave out --issue, or publish to GitHub without --remote")
    from dataward.drift import publish_github

    report, body = publish_github.read_report(args.report, MAX_REPORT)
    _check_env(report.env)
    _not_ahead(args.report, report.time)
    if args.remote is None:
        return publish_github.publish(report, body, args.branch, args.stale_days, args.issue)
    from dataward.drift import remote_reports

    print(remote_reports.publish(remote_reports.opened(args.registry, args.remote,
                                                        args.timeout), report, body))
    return 0


def _not_ahead(path: str, time: str) -> None:
    """A report from a clock that is ahead would stay the newest for good (an older report
    never replaces a newer one) and never turn stale: refused before it is published."""
    from datetime import datetime, timezone

    from dataward.report.drift_text import is_future
    from dataward.report.escape import terminal

    now = datetime.now(timezone.utc)
    if is_future(time, now):
        raise UsageError(f"{terminal(path)}: its time {terminal(time)} is ahead of this "
                         f"machine's clock ({now.strftime('%Y-%m-%dT%H:%M:%SZ')})",
                         "set the scanning machine's clock (NTP: `timedatectl "
                         "set-ntp true`) and scan again")


def _collect(args: argparse.Namespace) -> int:
    _stale_days(args)
    if not (args.output or args.branch):
        raise UsageError("drift collect needs somewhere to put the reports",
                         "-o DIR (a folder), --branch dataward (GitHub), or both")
    from dataward.drift import remote_reports

    remote = remote_reports.opened(args.registry, args.remote, args.timeout)
    from dataward.drift.remote_collect import gather

    return gather(remote, args.output, args.branch, args.stale_days)


def _write(path: str, text: str) -> None:
    try:
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        from dataward.drift.interrupt import held

        with held(), open(path, "w", encoding="utf-8") as fh:  # SIGTERM: not half a report
            fh.write(text)
    except OSError as exc:
        raise UsageError(f"{path}: {exc.strerror}", "choose a folder you can write to") from None
