"""dvc-pushed's questions to the remotes: which of an output's objects each remote holds, and
whether a `dvc pull` can use them (intact and readable: formats/remote_object.py judges).

What a remote was seen to hold intact and readable is remembered (per remote, in the state
cache, for the policy's `cache-days`: known.py); an unchanged re-check asks the remote nothing
and does not import dvc. Only presence is remembered, never absence.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple

from dataward.adapters.files import read_given
from dataward.adapters.state import State
from dataward.checks.dvc_pushed.judge import Gap, Kind
from dataward.checks.dvc_pushed.known import KnownStore
from dataward.checks.dvc_pushed.manifest import verify
from dataward.formats.dvcfile import DvcOut
from dataward.formats.manifest import MAX_MANIFEST
from dataward.formats.remote_object import INTELLIGENT_TIERING, Verdict, judge, needs_head
from dataward.formats.urls import scheme
from dataward.runner import Request

if TYPE_CHECKING:
    from dataward.adapters.object_store import Remote


class Tally(NamedTuple):
    """For --verbose and the benchmark: how much was asked of the remotes."""

    outputs: int
    known_complete: int  # directories every file of which an earlier check saw
    asked: int  # objects asked about
    missing: int
    requests: int


class Verifier:
    """Checks outputs against their remotes, loading dvc only when the cache cannot answer."""

    def __init__(self, root: str, state: State, request: Request,
                 full_listing: bool = False) -> None:
        from dataward.formats import dvc_config as dvc_remotes

        self.root, self.state, self.request = root, state, request
        # The audit lists each remote whole once (it needs what nothing references too).
        self.full_listing = full_listing
        self.settings = dvc_remotes.load(os.path.join(root, ".dvc"))
        self.checks: dict[str | None, RemoteCheck] = {}

    def verify(self, outputs: list[DvcOut]) -> tuple[list[Gap], Tally]:
        by_remote: dict[str | None, list[DvcOut]] = {}
        for out in outputs:
            by_remote.setdefault(out.remote or self.settings.default_remote, []).append(out)
        gaps: list[Gap] = []
        tally = Tally(0, 0, 0, 0, 0)
        for name, outs in sorted(by_remote.items(), key=lambda kv: kv[0] or ""):
            if name not in self.checks:  # kept: a second pass (after --push) reuses its cache
                self.checks[name] = RemoteCheck(self, name)
            found, counts = self.checks[name].run(outs)
            gaps += found
            tally = Tally(*(a + b for a, b in zip(tally, counts, strict=True)))
        return gaps, tally

    def check_of(self, gap: Gap) -> RemoteCheck:
        return self.checks[gap.out.remote or self.settings.default_remote]

    def upload(self, gaps: list[Gap]) -> int:
        """Send this machine's copies of the gaps' objects (over bad or archived ones too);
        how many were sent."""
        sent = 0
        for gap in gaps:
            check = self.check_of(gap)
            keys = [key for key, _ in gap.missing
                    if os.path.exists(check.cache_path(key))]
            sent += check.remote().upload({key: check.cache_path(key) for key in keys})
        return sent


class RemoteCheck:
    """One remote's share of a check."""

    def __init__(self, verifier: Verifier, name: str | None) -> None:
        self.v, self.name = verifier, name
        options = verifier.settings.remotes.get(name) if name else None
        self.url = options.get("url", "") if options else ""
        identity = endpoint_identity(options, os.environ) if options and self.url else None
        self.store = KnownStore(verifier.state, identity, verifier.request.use_cache,
                                verifier.request.cache_days)
        self.known = self.store.load()
        self._remote: Remote | None = None
        self.fetched: set[str] = set()  # manifests read in the current run
        self.referenced: set[str] = set()  # every key the checked outputs need
        self.classes: dict[str, str | None] = {}  # storage class of each key asked about
        self.unlisted = 0  # directories whose files could not be listed (no manifest)

    def remote(self) -> Remote:
        """The remote through dvc, opened on first need; its identity as dvc resolves it."""
        if self._remote is None:
            from dataward.adapters import dvc as dvc_adapter

            request = self.v.request
            self._remote = dvc_adapter.open_remote(self.v.root, self.name, request.timeout,
                                                   request.jobs)
            self.name, self.url = self._remote.name, self._remote.url
            identity = endpoint_identity(self._remote.options, os.environ)
            if identity != self.store.identity:
                self.store = KnownStore(self.v.state, identity, request.use_cache,
                                        request.cache_days)
                self.known = self.store.load()
        return self._remote

    def run(self, outs: list[DvcOut]) -> tuple[list[Gap], Tally]:
        if self.name is None:
            self.remote()  # no default remote: dvc says so, as `dvc push` would (exit 2)
        requests_before = self._remote.requests if self._remote else 0
        if self.v.full_listing and self.remote().listing is None:
            self.remote().list_all()
        # The audit's plan needs every file of every folder named: it never skips one.
        todo = outs if self.v.full_listing else \
            [o for o in outs if not (o.is_dir and o.key in self.known.complete)]
        self.fetched = set()
        plan, verdicts = self._plan(todo)
        wanted = {key: (out, label) for out in todo for key, label in plan[out]}
        self.referenced.update(wanted)
        # Folders whose files are unknown (manifest absent, archived or bad everywhere): some
        # objects nothing was seen to reference may be theirs.
        self.unlisted += sum(1 for out in todo if out.is_dir and len(plan[out]) == 1)
        unknown = set(wanted) - set(verdicts) - set(self.known.keys) - \
            set(self.known.unverified)
        if unknown:
            verdicts.update(self._ask(unknown, wanted))
        if self.v.request.deep:
            verdicts.update(self._deep(wanted, verdicts))
        gaps = []
        for out in todo:
            gaps += self._gaps(out, plan[out], verdicts)
            if out.is_dir and not any(g.out is out for g in gaps):
                # As old as its oldest file's sighting: trust ends with theirs.
                self.known.complete[out.key] = min(
                    [self.known.keys.get(k, time.time()) for k, _ in plan[out]])
        self.store.save(self.known)
        requests = (self._remote.requests if self._remote else 0) - requests_before
        return gaps, Tally(len(outs), len(outs) - len(todo), len(unknown | self.fetched),
                           sum(len(g.missing) for g in gaps if g.kind in ERRORS), requests)

    def _ask(self, unknown: set[str], wanted: dict[str, tuple[DvcOut, str]]
             ) -> dict[str, Verdict]:
        """What the remote says of each key: a listing or HEAD each, then a HEAD of those
        only it can decide (archived, or an ETag that is not the md5). Absent keys get no
        verdict."""
        remote = self.remote()
        infos = remote.stat(unknown)
        expected = {key: expectation(key, wanted[key][0]) for key in infos}
        it_tiers = any(i.storage_class == INTELLIGENT_TIERING for i in infos.values()) and \
            remote.it_archive_tiers()
        infos.update(remote.head(k for k, i in infos.items()
                                 if needs_head(i, expected[k][0], it_tiers)))
        verdicts = {k: judge(i, *expected[k]) for k, i in infos.items()}
        self.classes.update((k, i.storage_class) for k, i in infos.items())
        now = time.time()
        for key, verdict in verdicts.items():  # remembered: what a re-check may trust
            if verdict.state == "ok":
                self.known.keys[key] = now
            elif verdict.state == "unverified":
                self.known.unverified[key] = (now, verdict.why)
        return verdicts

    def _deep(self, wanted: dict[str, tuple[DvcOut, str]],
              verdicts: dict[str, Verdict]) -> dict[str, Verdict]:
        """--deep: download and hash each object whose bytes the answers could not prove."""
        keys = {k for k in wanted if k in self.known.unverified or
                (k in verdicts and verdicts[k].state == "unverified")}
        if not keys:
            return {}
        from dataward.adapters.object_hash import hash_objects

        found = hash_objects(self.remote(), {k: expectation(k, wanted[k][0])[:2] for k in keys})
        now, proven = time.time(), {}
        for key, (md5, matches) in found.items():
            self.known.unverified.pop(key, None)
            if matches:
                self.known.keys[key] = now
                proven[key] = Verdict("ok")
            else:
                proven[key] = Verdict("corrupt", f"its bytes hash to {md5}")
        return proven

    def _gaps(self, out: DvcOut, entries: list[tuple[str, str]],
              verdicts: dict[str, Verdict]) -> list[Gap]:
        """An output's objects that a pull cannot use, one Gap per kind of trouble."""
        listed = entries[0][1] != UNLISTED
        by_kind: dict[Kind, list[tuple[str, str]]] = {}
        why: dict[str, str] = {}
        for key, label in entries:
            verdict = verdicts.get(key)
            if verdict is None and key in self.known.keys:
                continue
            if verdict is None and key in self.known.unverified:
                verdict = Verdict("unverified", self.known.unverified[key][1])
            if verdict is not None and verdict.state == "ok":
                continue
            kind: Kind = "missing" if verdict is None else KINDS[verdict.state]
            by_kind.setdefault(kind, []).append((key, label))
            if verdict is not None:
                why[key] = _why(verdict)
        gaps = []
        for kind, objects in sorted(by_kind.items(), key=lambda kv: ORDER.index(kv[0])):
            local = any(os.path.exists(self.cache_path(k)) for k, _ in objects[:50])
            gaps.append(Gap(out, self.name or "", self.url, objects,
                            len(entries) if listed else None, local, kind,
                            {k: why[k] for k, _ in objects if k in why},
                            self._restore_command(objects[0][0]) if kind == "archived" else ""))
        return gaps

    def _restore_command(self, key: str) -> str:
        """The aws CLI line that restores one object, for the hint."""
        from dataward.checks.dvc_pushed.restore import aws_restore_command

        if scheme(self.url) != "s3" or self._remote is None:
            return ""
        bucket, _, prefix = self._remote.path.partition("/")
        name = f"{prefix.rstrip('/')}/{key}" if prefix.strip("/") else key
        return aws_restore_command(bucket, name, self.classes.get(key), self._remote.options)

    def _plan(self, outs: list[DvcOut]) -> tuple[dict[DvcOut, list[tuple[str, str]]],
                                                 dict[str, Verdict]]:
        """Each output's objects as (key, what to call it): a file output is its one object;
        a directory is its `.dir` manifest and every file listed there. Also the verdicts
        reading the manifests gave: proven (ok), not the manifest (corrupt)."""
        dirs = [o for o in outs if o.is_dir]
        local = {o.key: self._local_manifest(o) for o in dirs}
        # The remote's manifest is read unless an earlier check proved it: only bytes that
        # hash to their key prove it is there (a listing or a 200 does not), and a CI runner
        # has no copy of its own. Manifests are small next to the files they list.
        fetch = sorted({o.key for o in dirs if o.key not in self.known.keys or not local[o.key]})
        listing = self._remote.listing if self._remote else None
        if listing is not None:  # the audit's full listing: what it lacks is not there
            fetch = [key for key in fetch if key in listing]
        answers = self.remote().read(fetch) if fetch else {}
        self.fetched = set(fetch)
        verdicts: dict[str, Verdict] = {}
        plan: dict[DvcOut, list[tuple[str, str]]] = {}
        for out in outs:
            if not out.is_dir:
                plan[out] = [(out.key, out.path)]
                continue
            entries, data = local[out.key], answers.get(out.key)
            if data is not None:
                found = verify(data, out)
                if isinstance(found, str):
                    verdicts[out.key] = Verdict("corrupt", found)
                else:  # its bytes are the manifest; its storage class is judged with the rest
                    entries = found
            label = f"{out.path}/ (the .dir manifest)"
            if entries is None:  # nothing here can list the files
                plan[out] = [(out.key, label if out.key in verdicts or
                              out.key in self._archived_reads() else UNLISTED)]
            else:
                plan[out] = [(out.key, label)] + [(key, f"{out.path}/{relpath}")
                                                  for key, relpath in entries]
        gone = {key for key in answers if answers[key] is None} - self._archived_reads()
        # Seen once, gone or bad now: forget it.
        self.known.forget(gone | {k for k, v in verdicts.items() if v.state == "corrupt"})
        return plan, verdicts

    def _archived_reads(self) -> set[str]:
        return self._remote.archived_reads if self._remote else set()

    def _local_manifest(self, out: DvcOut) -> list[tuple[str, str]] | None:
        """This machine's copy, if it is the manifest (a cache can hold a bad copy too)."""
        try:  # a regular file only: a FIFO in the cache must not block the push
            found = verify(read_given(self.cache_path(out.key), MAX_MANIFEST), out)
        except OSError:
            return None
        return None if isinstance(found, str) else found

    def cache_path(self, key: str) -> str:
        return os.path.join(self.v.settings.cache_dir, *key.split("/"))


def expectation(key: str, out: DvcOut) -> tuple[str, bool, int | None]:
    """(md5, legacy, size) a remote object at `key` must match: its md5 is the key's last two
    parts (a `.dir` manifest's too); the size is known for a file output only."""
    head, _, tail = key.rpartition("/")
    md5 = head.rpartition("/")[2] + tail.removesuffix(".dir")
    size = out.size if not out.is_dir and key == out.key else None
    return md5, out.legacy, size


def _why(verdict: Verdict) -> str:
    if verdict.state == "restored":
        return f"restored until {verdict.until}" if verdict.until else "restored for now"
    if verdict.state == "restoring":
        return "a restore is in progress"
    if verdict.state == "archived":
        return "in a storage class that refuses GET"
    return verdict.why


KINDS: dict[str, Kind] = {"corrupt": "corrupt", "archived": "archived", "restoring": "restoring",
                          "restored": "restoring", "unverified": "unverified"}
ORDER: tuple[Kind, ...] = ("missing", "corrupt", "archived", "restoring", "unverified")
ERRORS = ("missing", "corrupt", "archived")


UNLISTED = ("the .dir manifest, which lists the files: it is in neither this machine's cache "
             "nor the remote")


# What decides which server an S3 remote's keys are asked of, besides the remote's own
# options: botocore reads these (and the profile's `endpoint_url` in the AWS config file).
ENDPOINT_ENV = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
                "AWS_CONFIG_FILE", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_REGION",
                "AWS_DEFAULT_REGION")
ENDPOINT_OPTIONS = ("url", "endpointurl", "profile", "region", "credentialpath", "configpath")


def endpoint_identity(options: Mapping[str, str], env: Mapping[str, str]) -> str:
    """What the presence cache of a remote is keyed by: every source of where its objects
    are asked for. A presence seen through one endpoint is no presence at another (the
    same bucket name on a different server), so any change of these starts afresh."""
    import hashlib

    parts = [f"{k}={options.get(k, '')}" for k in ENDPOINT_OPTIONS]
    if scheme(options.get("url", "")) == "s3":
        parts += [f"{k}={env.get(k, '')}" for k in ENDPOINT_ENV]
        config = env.get("AWS_CONFIG_FILE") or os.path.join(os.path.expanduser("~"), ".aws",
                                                            "config")
        try:  # a profile's endpoint_url lives there
            parts.append(hashlib.sha256(read_given(config, 16 << 20)).hexdigest())
        except OSError:
            parts.append("no aws config")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()
