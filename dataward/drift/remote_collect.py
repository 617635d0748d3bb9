"""`drift collect`: every environment's newest report and history from the lab's DVC remote,
into a drift folder (`-o DIR`) and/or drift/ on the dataward branch (the layout and the
publishers' guarantees: dataward.drift.remote_reports)."""

from __future__ import annotations

import shlex
import sys
from typing import TYPE_CHECKING, NamedTuple

from dataward.drift import collection
from dataward.drift.history import Snapshot, upto
from dataward.drift.model import plain_env
from dataward.drift.remote_reports import (
    ENTRY,
    HISTORY,
    PREFIX,
    REPORTS,
    Newest,
    entry_of,
    newest,
    read_keys,
    stamp_or_none,
)
from dataward.errors import UsageError

if TYPE_CHECKING:
    from dataward.adapters.object_store import Remote
    from dataward.drift.model import DriftReport

# Snapshots read per environment on each collect: a month of nightly scans. What is older is
# kept where collect writes (the branch's or the folder's history/<env>.json, merged).
RECENT = 32


class Collected(NamedTuple):
    reports: dict[str, tuple[DriftReport, bytes]]  # env -> its newest report and its bytes
    history: dict[str, list[Snapshot]]
    skipped: list[str]  # keys under PREFIX that are no report, history or known layout


def collect(remote: Remote) -> Collected:
    """Every environment's newest report and history. Whatever under the prefix is not one
    is named in `skipped`, never trusted and never fatal."""
    skipped: list[str] = []
    latest: dict[str, str] = {}
    entries: dict[tuple[str, str], dict[str, str]] = {}  # (folder, env) -> entry -> key
    keys = remote.keys_under(PREFIX)
    if not keys:  # s3fs lists nothing in a bucket that does not exist: not an empty remote
        remote.check_reachable()
    for key in keys:
        rel = key[len(PREFIX):]
        env = collection.report_env(rel)
        parts = rel.split("/")
        if env is not None and ".." not in env:
            latest[env] = key
        elif (len(parts) == 3 and parts[0] + "/" in (REPORTS, HISTORY)
              and plain_env(parts[1]) and ENTRY.fullmatch(parts[2])):
            entries.setdefault((parts[0] + "/", parts[1]), {})[parts[2]] = key
        else:
            skipped.append(key)
    wanted = list(latest.values()) + [
        k for (folder, _), found in entries.items() if folder == HISTORY
        for k in _newest_keys(found, RECENT)]
    data = read_keys(remote, wanted)
    reports: dict[str, tuple[DriftReport, bytes]] = {}
    for env, key in sorted(latest.items()):
        raw = data.get(key)
        report = collection.parse_report(raw, env) if raw is not None else None
        if report is None or raw is None:
            skipped.append(key)
        else:
            reports[env] = (report, raw)
    history = _histories(entries, data, skipped)
    _newer_from_reports(remote, entries, reports)
    return Collected(reports, {env: upto(history.get(env, []), r)
                               for env, (r, _) in reports.items()}, skipped)


def gather(remote: Remote, output: str | None, branch: str | None, stale_days: float) -> int:
    """`drift collect`: what the remote holds, into the folder `output` and/or to drift/ on
    the GitHub `branch`; each object left out is named on stderr."""
    import os

    from dataward.report.escape import terminal
    from dataward.report.text import count

    if output and os.path.exists(output) and not os.path.isdir(output):
        raise UsageError(f"-o {terminal(output)} is a file", "name a folder (it is made when "
                         "missing; files in it that are not the drift folder's stay)")
    found = collect(remote)
    for key in found.skipped:
        warn(remote, key)
    print(f"reports of {count(len(found.reports), 'environment')} from remote "
          f"'{terminal(remote.name)}'"
          + (f"; {count(len(found.skipped), 'object')} left out" if found.skipped else ""))
    if not found.reports:
        from dataward.formats.urls import mask

        print(f"nothing published under {terminal(mask(remote.url).rstrip('/'))}/{PREFIX} "
              "yet: each environment publishes with `dataward drift publish REPORT --remote "
              f"{shlex.quote(remote.name)}`")
    if output:
        found = _with_kept(found, output)
        for name, data in folder(found, stale_days).items():
            _write(os.path.join(output, name), data)
        print(f"written to {terminal(output)}")
    if branch:
        from dataward.drift.publish_github import commit_collected

        print(commit_collected({env: (r, raw, found.history[env]) for env, (r, raw)
                                in found.reports.items()}, branch, stale_days))
    return 0


def _write(path: str, data: bytes) -> None:
    """Through a unique temporary file (its folder made): a link is written through, a FIFO
    refused."""
    from dataward.adapters.files import write_replacing
    from dataward.report.escape import terminal

    try:
        write_replacing(path, data)
    except OSError as exc:
        raise UsageError(f"{terminal(path)}: {exc.strerror}",
                         "choose a folder you can write to") from None


def _with_kept(found: Collected, output: str) -> Collected:
    """The histories merged with those an earlier collect wrote to `output`: collect reads
    only the RECENT newest snapshots, the folder keeps the rest."""
    import os

    from dataward.adapters.files import read_given

    merged: dict[str, list[Snapshot]] = {}
    for env, (report, _) in found.reports.items():
        try:
            kept = collection.parse_history(read_given(os.path.join(
                output, collection.HISTORY, f"{env}.json"), collection.MAX_FILE), env)
        except OSError:
            kept = []
        merged[env] = upto([*kept, *found.history.get(env, [])], report)
    return found._replace(history=merged)


def folder(found: Collected, stale_days: float) -> dict[str, bytes]:
    """The drift folder's files (`collection`'s layout) of what `collect` found."""
    reports = [r for r, _ in found.reports.values()]
    files = {f"{env}.json": raw for env, (_, raw) in found.reports.items()}
    files.update({collection.history_name(env): collection.history_bytes(h)
                  for env, h in found.history.items()})
    files.update(collection.dashboards(reports, found.history, stale_days))
    return files


def _newest_keys(found: dict[str, str], keep: int) -> list[str]:
    return [found[name] for name in sorted(found)[-keep:]]


def _histories(entries: dict[tuple[str, str], dict[str, str]], data: dict[str, bytes | None],
               skipped: list[str]) -> dict[str, list[Snapshot]]:
    from pydantic import ValidationError

    history: dict[str, list[Snapshot]] = {}
    for (folder, env), found in sorted(entries.items()):
        if folder != HISTORY:
            continue
        for name, key in sorted(found.items()):
            if key not in data:
                continue  # older than the RECENT newest
            raw = data[key]
            try:
                snap = Snapshot.model_validate_json(raw or b"")
            except ValidationError:
                skipped.append(key)
                continue
            if snap.env != env or stamp_or_none(snap.time) != name[:16]:
                skipped.append(key)
                continue
            history.setdefault(env, []).append(snap)
    return history


def _newer_from_reports(remote: Remote, entries: dict[tuple[str, str], dict[str, str]],
                        reports: dict[str, tuple[DriftReport, bytes]]) -> None:
    """An environment whose reports/ holds a newer report than its `<env>.json` (a publisher
    stopped before it wrote that), or no valid `<env>.json`: take the newest from reports/."""
    for (folder, env), found in sorted(entries.items()):
        if folder != REPORTS:
            continue
        have = reports.get(env)
        ours = Newest(entry_of(have), have[1], have[0].time) if have else \
            Newest("", b"", "")

        def one(name: str, found: dict[str, str] = found) -> bytes | None:
            return read_keys(remote, [found[name]])[found[name]]

        pick = newest(env, ours, None, found, one)
        if pick.entry != ours.entry:
            report = collection.parse_report(pick.body, env)
            if report is not None:
                reports[env] = (report, pick.body)


def warn(remote: Remote, key: str, why: str = "not a drift report, left out") -> None:
    from dataward.formats.urls import mask
    from dataward.report.escape import terminal

    where = f"{mask(remote.url).rstrip('/')}/{key}"
    print(f"dataward drift: {terminal(where)}: {why}", file=sys.stderr)
