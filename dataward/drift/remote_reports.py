"""Drift reports through the lab's own DVC remote: `drift publish --remote` and `drift collect`.

Lab machines already hold credentials for the registry's remote (`dvc pull` works there), not
a GitHub token. Under `<remote>/dataward/drift/` each publish writes:

    reports/<env>/<entry>.json   the full report, never overwritten (<entry>: see `entry`)
    history/<env>/<entry>.json   its Snapshot, never overwritten
    <env>.json                   the environment's newest report, a copy of one reports/ object

Concurrent publishers (one environment's jobs racing, or re-runs of old jobs): the immutable
objects are the truth and `<env>.json` converges to the newest of them. Each publisher writes
its two objects first, then loops: list reports/<env>/, pick the newest valid one (or the
current `<env>.json` if newer still), and write it over `<env>.json` unless it already holds
it; it stops only on a round that wrote nothing, i.e. a listing taken after its own last
write. So whichever publisher wrote `<env>.json` last saw, after that write, every report
whose objects were written before; a publisher whose objects came later checks again itself.
Once all have ended, `<env>.json` is the newest report any of them published, and no report
is lost from the history. Limits: this relies on the store's read-after-write and listing
consistency (S3, GCS and Azure give both); a publisher killed between its objects and its loop
leaves `<env>.json` behind until the next publish, and `collect` then takes the newer report
from reports/ itself.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from dataward.drift import collection
from dataward.drift.history import Snapshot, snapshot
from dataward.drift.model import plain_env
from dataward.errors import CouldNotCheck, UsageError

if TYPE_CHECKING:
    from dataward.adapters.object_store import Remote
    from dataward.drift.model import DriftReport

PREFIX = "dataward/drift/"
REPORTS, HISTORY = "reports/", "history/"
ROUNDS = 8  # convergence rounds before giving up (each needs another writer to interfere)
CHUNK = 64  # objects read within one --timeout: the deadline is per answer, not per night
# <time>-<commit12>-<digest8>.json: the time first and fixed-width, so names sort by time.
ENTRY = re.compile(r"(\d{8}T\d{6}Z)-[0-9a-f]{12}-[0-9a-f]{8}\.json")


# -- keys and decisions (no I/O) ----------------------------------------------------------------

def _env(name: str) -> str:
    """`name`, which becomes part of a key: only a plain name, never `/` or `..`."""
    if not plain_env(name):
        raise ValueError(f"not an environment name: {name!r}")
    return name


def latest_key(env: str) -> str:
    return f"{PREFIX}{_env(env)}.json"


def report_key(env: str, entry_name: str) -> str:
    return f"{PREFIX}{REPORTS}{_env(env)}/{entry_name}"


def history_key(env: str, entry_name: str) -> str:
    return f"{PREFIX}{HISTORY}{_env(env)}/{entry_name}"


def stamp(time: str) -> str:
    """A report's time as it starts its entry name; ValueError for a time scan never writes."""
    return datetime.strptime(time, "%Y-%m-%dT%H:%M:%SZ").strftime("%Y%m%dT%H%M%SZ")


def entry(report: DriftReport, body: bytes) -> str:
    """The name of one report's immutable objects. The digest of its bytes makes it unique
    even for two machines that share an environment name and finished in the same second."""
    return (f"{stamp(report.time)}-{report.registry_commit[:12]}-"
            f"{hashlib.sha256(body).hexdigest()[:8]}.json")


class Newest(NamedTuple):
    entry: str  # its entry name: the order of reports is the order of these names
    body: bytes
    time: str


def newest(env: str, ours: Newest, current: bytes | None, listed: Iterable[str],
           read: Callable[[str], bytes | None]) -> Newest:
    """The report `<env>.json` must hold: the newest valid one among ours, the current
    `<env>.json` and the reports/ objects `listed` (entry names). `read` fetches one reports/
    object; one that is gone or is not a report of `env` at its name's time is passed over."""
    best = ours
    if current is not None:
        theirs = _believed(collection.parse_report(current, env))
        name = entry_of((theirs, current)) if theirs is not None else ""
        if theirs is not None and name:  # a time scan never writes orders nowhere
            best = max(best, Newest(name, current, theirs.time))
    for name in sorted(set(listed), reverse=True):
        if not ENTRY.fullmatch(name):
            continue
        if name <= best.entry:
            break  # the rest are older
        data = read(name)
        found = _believed(collection.parse_report(data, env)) if data is not None else None
        if data is not None and found is not None and stamp_or_none(found.time) == name[:16]:
            return Newest(name, data, found.time)
    return best


def _believed(report: DriftReport | None) -> DriftReport | None:
    """None for a report from a machine whose clock is ahead: it would stay the newest."""
    from datetime import timezone

    from dataward.report.drift_text import is_future

    return None if report is None or is_future(report.time, datetime.now(timezone.utc)) \
        else report


def stamp_or_none(time: str) -> str | None:
    try:
        return stamp(time)
    except ValueError:
        return None


# -- publish ------------------------------------------------------------------------------------

class Published(NamedTuple):
    kept: Newest  # what `<env>.json` holds now
    wrote: bool  # whether this publisher wrote it (else it already held it)


def publish(remote: Remote, report: DriftReport, body: bytes) -> str:
    """Publish `report` (serialized as `body`); what to tell the user."""
    from dataward.report.escape import terminal

    done = converge(remote, report, body)
    where = f"remote '{terminal(remote.name)}'"
    if done.kept.body == body:
        return (f"drift report of {report.env} published to {where}"
                + ("" if done.wrote else " (unchanged)"))
    return (f"{where} already holds a later report of {report.env} "
            f"({terminal(done.kept.time)}); this one is not published (its history keeps it)")


def converge(remote: Remote, report: DriftReport, body: bytes) -> Published:
    """`report`'s objects, then `<env>.json` converged as the module's comment says."""
    env = report.env
    try:
        ours = Newest(entry(report, body), body, report.time)
    except ValueError:
        raise UsageError(f"the report's time {report.time!r} is not ISO 8601 UTC as `drift "
                         "scan` writes it", "publish a report `dataward drift scan -o` "
                         "wrote") from None
    # The report before its snapshot: a publisher stopped between the two leaves a report
    # that collect finds, never a snapshot with no report behind it.
    remote.write(report_key(env, ours.entry), body)
    remote.write(history_key(env, ours.entry), _snapshot_bytes(snapshot(report)))
    wrote = False
    folder = f"{PREFIX}{REPORTS}{env}/"
    for _ in range(ROUNDS):
        listed = [k[len(folder):] for k in remote.keys_under(folder)]
        current = read_keys(remote, [latest_key(env)])[latest_key(env)]
        target = newest(env, ours, current, listed,
                        lambda name: read_keys(remote, [folder + name])[folder + name])
        if current == target.body:
            return Published(target, wrote)
        remote.write(latest_key(env), target.body)
        wrote = True
    raise CouldNotCheck(f"{latest_key(env)} kept changing under this publisher ({ROUNDS} "
                        "rounds)", "other publishers of this environment are writing it: "
                        "publish again when they are done")


def _snapshot_bytes(snap: Snapshot) -> bytes:
    return snap.model_dump_json(indent=1).encode() + b"\n"


def entry_of(have: tuple[DriftReport, bytes] | None) -> str:
    if have is None:
        return ""
    try:
        return entry(have[0], have[1])
    except ValueError:
        return ""


# -- I/O through the remote's filesystem --------------------------------------------------------

def opened(registry: str, name: str, timeout: float) -> Remote:
    """The DVC remote `name` of the registry checkout, as `dvc pull` there would use it."""
    import os

    from dataward.adapters.dvc import open_remote

    if not os.path.isdir(os.path.join(registry, ".dvc")):
        from dataward.report.escape import terminal

        raise UsageError(f"{terminal(registry)} is not a DVC project (no .dvc folder), so "
                         "it names no remote", "run it in the registry's checkout, or pass "
                         "--registry DIR; `dvc remote list` there shows the remotes")
    # An unknown name is exit 2, its hint `dvc remote list`; unreachable or refused is exit 3.
    remote = open_remote(registry, name, timeout, 8)
    if remote.is_http:  # read-only to dvc, and no listing: HTML index pages prove nothing
        from dataward.formats.urls import mask

        raise UsageError(f"remote '{name}' ({mask(remote.url)}) is an HTTP remote: drift "
                         "reports cannot be written to it or listed there",
                         "name a remote dvc can push to (s3, gs, azure, ssh, a folder): "
                         "`dvc remote list` shows them")
    return remote


def read_keys(remote: Remote, keys: Sequence[str]) -> dict[str, bytes | None]:
    found: dict[str, bytes | None] = {}
    for start in range(0, len(keys), CHUNK):
        found.update(remote.read(keys[start:start + CHUNK]))
    return found
