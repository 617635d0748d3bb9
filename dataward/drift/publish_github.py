"""`dataward drift publish` to GitHub: the report, its environment's history and the dashboards,
in one commit on the `dataward` branch (the drift folder of `dataward.drift.collection`), and
one issue per environment while it drifts."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from dataward.errors import UsageError

if TYPE_CHECKING:
    from dataward.adapters.github.client import Client
    from dataward.drift.history import Snapshot
    from dataward.drift.model import DriftReport

FOLDER = "drift/"


def publish(report: DriftReport, body: bytes, branch: str, stale_days: float,
            issue: bool) -> int:
    from dataward.adapters.github.client import Client
    from dataward.adapters.github.env import Actions
    from dataward.report.escape import terminal

    actions = Actions.from_environ()
    client = Client(actions.api_url, actions.token, actions.repository)
    try:
        sha = client.commit_files(branch, _files(report, body, stale_days),
                                  f"drift: {report.env} ({report.summary.in_sync} of "
                                  f"{report.summary.expected_here} in sync)")
    except _Older as newer:
        print(f"{terminal(branch)} already holds a later report of {report.env} "
              f"({terminal(str(newer))}); this one is not published")
        return 0
    print(f"drift report of {report.env} published to {terminal(branch)}"
          + (f" as {sha[:12]}" if sha else " (unchanged)"))
    if issue:
        _issue(client, report)
    return 0


Ours = Mapping[str, "tuple[DriftReport, bytes, Sequence[Snapshot] | None]"]
Files = Callable[[Sequence[str], Callable[[str], bytes]], dict[str, bytes | None]]


def _files(report: DriftReport, body: bytes, stale_days: float) -> Files:
    def older(theirs: DriftReport) -> None:  # a re-run of an old job: not on top of a newer
        raise _Older(theirs.time)

    return _merged({report.env: (report, body, None)}, stale_days, older)


def commit_collected(ours: Ours, branch: str, stale_days: float) -> str:
    """Commit `drift collect`'s reports (env -> report, its bytes, its history) to the
    branch's drift/, with the reports already there of other environments (or later ones)."""
    from dataward.adapters.github.client import Client
    from dataward.adapters.github.env import Actions
    from dataward.report.escape import terminal
    from dataward.report.text import count

    actions = Actions.from_environ()
    client = Client(actions.api_url, actions.token, actions.repository)
    sha = client.commit_files(branch, _merged(ours, stale_days, lambda _: None),
                              f"drift: {count(len(ours), 'environment')} collected")
    return (f"drift folder committed to {terminal(branch)}"
            + (f" as {sha[:12]}" if sha else " (unchanged)"))


def _merged(ours: Ours, stale_days: float, on_newer: Callable[[DriftReport], None]) -> Files:
    """The branch's files once `ours` are on it, from the files it holds (called again on
    each rebuild of the commit, so the dashboards always show every report). A report of
    ours whose environment has a later one on the branch: `on_newer`, then the later stays.
    A history of None: the branch's, with the report added."""
    from dataward.drift import collection
    from dataward.drift.history import upto
    from dataward.report.drift_text import is_future

    def files(paths: Sequence[str], read: Callable[[str], bytes]) -> dict[str, bytes | None]:
        now = datetime.now(timezone.utc)
        reports: dict[str, DriftReport] = {}
        history: dict[str, Sequence[Snapshot]] = {}
        theirs_all, kept = collection.from_files(paths, read, FOLDER)
        for theirs in theirs_all:  # what is no report is left out of the dashboard
            env = theirs.env
            if env in ours:
                if theirs.time <= ours[env][0].time or is_future(theirs.time, now):
                    continue  # ours is newer, or theirs came from a clock that was ahead
                on_newer(theirs)
            reports[env], history[env] = theirs, kept[env]
        written: dict[str, bytes | None] = {}
        for env, (report, body, past) in ours.items():
            if env in reports:
                continue
            reports[env] = report
            # The branch keeps what collect no longer reads (it reads recent snapshots).
            branch_past = kept[env] if env in kept else _history(paths, read, env)
            history[env] = upto([*branch_past, *(past or ())], report)
            written[f"{FOLDER}{env}.json"] = body
            written[FOLDER + collection.history_name(env)] = \
                collection.history_bytes(history[env])
        boards = collection.dashboards(list(reports.values()), history, stale_days)
        written.update({FOLDER + name: data for name, data in boards.items()})
        if "catalog.json" in paths:  # the catalog page says who holds which version
            from dataward.catalog.page import on_branch

            page = on_branch(read("catalog.json"), list(reports.values()), history,
                             stale_days)
            if page is not None:
                written["index.html"] = page
        return written

    return files


def _history(paths: Sequence[str], read: Callable[[str], bytes], env: str) -> list[Snapshot]:
    from dataward.drift import collection

    path = FOLDER + collection.history_name(env)
    return collection.parse_history(read(path), env) if path in paths else []


def read_report(path: str, limit: int) -> tuple[DriftReport, bytes]:
    """The report named on the command line, and the bytes that publish it (the same
    wherever it goes)."""
    from pydantic import ValidationError

    from dataward.adapters.files import read_given, why
    from dataward.drift.model import DriftReport

    try:  # bytes: text that is not UTF-8 is a ValidationError like any other bad JSON
        report = DriftReport.model_validate_json(read_given(path, limit))
    except OSError as exc:
        raise UsageError(f"{path}: {why(exc)}",
                         "pass the report `dataward drift scan -o` wrote") from None
    except ValidationError as exc:
        raise UsageError(f"{path} is not a drift report ({exc.error_count()} "
                         "problems)", "write it with `dataward drift scan -o`") from None
    return report, report.model_dump_json(indent=2).encode() + b"\n"


class _Older(Exception):
    """The branch holds a later report of the same environment."""


def _issue(client: Client, report: DriftReport) -> None:
    from dataward.report import drift_text
    from dataward.report.escape import markdown, markdown_block

    # Datasets outside the environment's --datasets are not its drift: the issue can close.
    drifting = report.summary.in_sync != report.summary.expected_here
    body = (f"`dataward drift scan` on **{report.env}** ({markdown(report.host)}, "
            f"{markdown(report.root)}) at {markdown(report.time)}, against registry commit "
            f"{report.registry_commit[:12]}:\n\n" + markdown_block(drift_text.text(report))
            + "\n\n"
            + ("This issue closes itself when the environment is back in sync."
               if drifting else "Back in sync: closed by dataward."))
    number = client.upsert_issue(f"dataward:drift:{report.env}",
                                 f"Dataset drift on {report.env}", body, open_=drifting)
    if number is not None:
        print(f"issue #{number} {'open' if drifting else 'closed'}")
