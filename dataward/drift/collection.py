"""The drift folder: every environment's latest report, its history in brief, and the dashboards
made from them. One layout wherever reports are gathered: `drift/` on the `dataward` branch
(`drift publish`), and the folder `drift collect -o DIR` writes from the lab's remote.

    <env>.json            the environment's latest DriftReport
    history/<env>.json    its Snapshots, oldest first (at most history.KEEP)
    README.md             the dashboard in Markdown (GitHub shows it on the branch)
    index.html            the dashboard as a page

Reports come from every lab machine: a file that is no report is left out of the dashboards,
never trusted and never an error that stops the others from being shown.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from dataward.drift.history import Snapshot, trimmed
from dataward.drift.model import ENV_NAME, DriftReport

README, PAGE, HISTORY = "README.md", "index.html", "history/"
MAX_FILE = 64 * 1024 * 1024  # a report of a million-file root is a few MiB
_REPORT = re.compile(ENV_NAME + r"\.json")


def report_env(name: str) -> str | None:
    """The environment whose latest report `name` (a path inside the folder) is, else None."""
    return name[:-5] if _REPORT.fullmatch(name) else None


def history_name(env: str) -> str:
    """Where an environment's history is inside the folder."""
    return f"{HISTORY}{env}.json"


def history_env(name: str) -> str | None:
    """The environment whose history `name` is, else None."""
    rest = name[len(HISTORY):] if name.startswith(HISTORY) else ""
    return rest[:-5] if _REPORT.fullmatch(rest) else None


def parse_report(data: bytes, env: str) -> DriftReport | None:
    """The report in `data`, if it is one and of `env` (a file named for another environment
    would put its column in the wrong place)."""
    from pydantic import ValidationError

    try:
        report = DriftReport.model_validate_json(data)
    except ValidationError:
        return None
    return report if report.env == env else None


def parse_history(data: bytes, env: str) -> list[Snapshot]:
    """The snapshots in `data` of `env`; what cannot be read is skipped, one by one."""
    from pydantic import ValidationError

    try:
        items = json.loads(data)
    except ValueError:
        return []
    found = []
    for item in items if isinstance(items, list) else []:
        try:
            snap = Snapshot.model_validate(item)
        except ValidationError:
            continue
        if snap.env == env:
            found.append(snap)
    return trimmed(found)


def history_bytes(history: Sequence[Snapshot]) -> bytes:
    return (json.dumps([s.model_dump(mode="json") for s in trimmed(history)], indent=1,
                       ensure_ascii=False) + "\n").encode()


def dashboards(reports: Sequence[DriftReport], history: Mapping[str, Sequence[Snapshot]],
               stale_days: float, now: datetime | None = None) -> dict[str, bytes]:
    """README.md and index.html of these reports."""
    from dataward.report import drift_page, drift_text

    return {README: drift_text.dashboard(reports, now, stale_days=stale_days).encode(),
            PAGE: drift_page.render(reports, history, now=now,
                                    stale_days=stale_days).encode()}


def load(folder: str) -> tuple[list[DriftReport], dict[str, list[Snapshot]]]:
    """The reports and histories of a drift folder on disk (`drift collect -o DIR`, or a
    checkout of the `dataward` branch's drift/). Raises OSError when `folder` cannot be
    listed."""
    from dataward.adapters.files import read_given

    def read(name: str) -> bytes | None:
        try:
            return read_given(os.path.join(folder, name), MAX_FILE)
        except OSError:
            return None  # gone, not a regular file, or too large: not a report

    return _read_folder(sorted(os.listdir(folder)), read)


def from_files(paths: Sequence[str], read: Callable[[str], bytes], prefix: str = "drift/"
               ) -> tuple[list[DriftReport], dict[str, list[Snapshot]]]:
    """The reports and histories of a drift folder held in a branch's files (their paths,
    and a reader of their bytes), as `load` reads them from disk."""
    held = set(paths)
    names = [p[len(prefix):] for p in paths if p.startswith(prefix)]
    return _read_folder(names, lambda name: read(prefix + name) if prefix + name in held
                        else None)


def _read_folder(names: Sequence[str], read: Callable[[str], bytes | None]
                 ) -> tuple[list[DriftReport], dict[str, list[Snapshot]]]:
    """Each `<env>.json` among a drift folder's names that is a report, with the history
    beside it (`history/<env>.json`, none when it cannot be read)."""
    reports: list[DriftReport] = []
    history: dict[str, list[Snapshot]] = {}
    for name in names:
        env = report_env(name)
        data = read(name) if env is not None else None
        report = parse_report(data, env) if env is not None and data is not None else None
        if env is None or report is None:
            continue
        reports.append(report)
        past = read(history_name(env))
        history[env] = parse_history(past, env) if past is not None else []
    return reports, history
