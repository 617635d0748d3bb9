"""dvc-pushed's questions to the remotes: which of an output's objects each remote holds.

Objects are content-addressed and never change, so the keys a remote was seen to hold are
remembered (per remote, in the state cache); an unchanged re-check asks the remote nothing
and does not import dvc. Only presence is remembered, never absence.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple

from dataward.adapters.files import read_given
from dataward.adapters.state import State
from dataward.checks.dvc_pushed.judge import Gap
from dataward.checks.dvc_pushed.manifest import verify
from dataward.formats.dvcfile import DvcOut
from dataward.formats.manifest import MAX_MANIFEST
from dataward.formats.urls import scheme

if TYPE_CHECKING:
    from dataward.adapters.dvc import Remote


class Known(NamedTuple):
    """What one remote was seen to hold: object keys, and `.dir` keys whose every file is
    there too (so a re-check need not read the manifest)."""

    keys: set[str]
    complete: set[str]


class Tally(NamedTuple):
    """For --verbose and the benchmark: how much was asked of the remotes."""

    outputs: int
    known_complete: int  # directories every file of which an earlier check saw
    asked: int  # objects asked about
    missing: int
    requests: int


class Verifier:
    """Checks outputs against their remotes, loading dvc only when the cache cannot answer."""

    def __init__(self, root: str, state: State, use_cache: bool, timeout: float,
                 jobs: int) -> None:
        from dataward.formats import dvc_config as dvc_remotes

        self.root, self.state, self.use_cache = root, state, use_cache
        self.timeout, self.jobs = timeout, jobs
        self.settings = dvc_remotes.load(os.path.join(root, ".dvc"))
        self.checks: dict[str | None, _RemoteCheck] = {}

    def verify(self, outputs: list[DvcOut]) -> tuple[list[Gap], Tally]:
        by_remote: dict[str | None, list[DvcOut]] = {}
        for out in outputs:
            by_remote.setdefault(out.remote or self.settings.default_remote, []).append(out)
        gaps: list[Gap] = []
        tally = Tally(0, 0, 0, 0, 0)
        for name, outs in sorted(by_remote.items(), key=lambda kv: kv[0] or ""):
            if name not in self.checks:  # kept: a second pass (after --push) reuses its cache
                self.checks[name] = _RemoteCheck(self, name)
            found, counts = self.checks[name].run(outs)
            gaps += found
            tally = Tally(*(a + b for a, b in zip(tally, counts, strict=True)))
        return gaps, tally

    def upload(self, gaps: list[Gap]) -> int:
        """Send the missing objects this machine's cache holds; how many were sent."""
        sent = 0
        for gap in gaps:
            check = self.checks[gap.out.remote or self.settings.default_remote]
            keys = [key for key, _ in gap.missing
                    if os.path.exists(check.cache_path(key))]
            sent += check.remote().upload({key: check.cache_path(key) for key in keys})
        return sent


class _RemoteCheck:
    """One remote's share of a check."""

    def __init__(self, verifier: Verifier, name: str | None) -> None:
        self.v, self.name = verifier, name
        options = verifier.settings.remotes.get(name) if name else None
        self.url = options.get("url", "") if options else ""
        self.identity = endpoint_identity(options, os.environ) if options and self.url else None
        self.known = self._load()
        self._remote: Remote | None = None
        self.fetched = 0  # manifests read in the current run

    def remote(self) -> Remote:
        """The remote through dvc, opened on first need; its identity as dvc resolves it."""
        if self._remote is None:
            from dataward.adapters import dvc as dvc_adapter

            self._remote = dvc_adapter.open_remote(self.v.root, self.name, self.v.timeout,
                                                   self.v.jobs)
            self.name, self.url = self._remote.name, self._remote.url
            identity = endpoint_identity(self._remote.options, os.environ)
            if identity != self.identity:
                self.identity = identity
                self.known = self._load()
        return self._remote

    def run(self, outs: list[DvcOut]) -> tuple[list[Gap], Tally]:
        if self.name is None:
            self.remote()  # no default remote: dvc says so, as `dvc push` would (exit 2)
        requests_before = self._remote.requests if self._remote else 0
        todo = [o for o in outs if not (o.is_dir and o.key in self.known.complete)]
        self.fetched = 0
        plan, bad, gone = self._plan(todo)
        unknown = {key for entries in plan.values() for key, _ in entries} - \
            self.known.keys - set(bad) - gone
        if unknown:
            # Where the DVC file records a size, a file output must have it.
            sizes = {o.key: o.size for o in todo if not o.is_dir and o.size is not None}
            remote = self.remote()
            self.known.keys.update(remote.present(unknown, sizes))
            bad.update({o.key: f"its size is not the {o.size} bytes {o.dvcfile} records"
                        for o in todo if o.key in remote.mismatched & unknown})
        gaps = []
        for out in todo:
            absent = [(key, label) for key, label in plan[out] if key not in self.known.keys]
            if not absent:
                if out.is_dir:
                    self.known.complete.add(out.key)
                continue
            listed = plan[out][0][1] != UNLISTED
            why = next((f"{label} is not what {out.dvcfile} records: {bad[key]}"
                        for key, label in absent if key in bad), None)
            gaps.append(Gap(out, self.name or "", self.url, absent,
                            len(plan[out]) if listed else None,
                            any(os.path.exists(self.cache_path(k)) for k, _ in absent[:50]),
                            why))
        self._save()
        requests = (self._remote.requests if self._remote else 0) - requests_before
        return gaps, Tally(len(outs), len(outs) - len(todo), len(unknown) + self.fetched,
                           sum(len(g.missing) for g in gaps), requests)

    def _plan(self, outs: list[DvcOut]) -> tuple[dict[DvcOut, list[tuple[str, str]]],
                                                 dict[str, str], set[str]]:
        """Each output's objects as (key, what to call it): a file output is its one object;
        a directory is its `.dir` manifest and every file listed there. Also which `.dir`
        keys the remote holds something else under (key -> why) and which it lacks."""
        dirs = [o for o in outs if o.is_dir]
        local = {o.key: self._local_manifest(o) for o in dirs}
        # The remote's manifest is read unless an earlier check proved it: only bytes that
        # hash to their key prove it is there (a listing or a 200 does not), and a CI runner
        # has no copy of its own. Manifests are small next to the files they list.
        fetch = sorted({o.key for o in dirs if o.key not in self.known.keys or not local[o.key]})
        answers = self.remote().read(fetch) if fetch else {}
        self.fetched = len(fetch)
        bad: dict[str, str] = {}
        plan: dict[DvcOut, list[tuple[str, str]]] = {}
        for out in outs:
            if not out.is_dir:
                plan[out] = [(out.key, out.path)]
                continue
            entries, data = local[out.key], answers.get(out.key)
            if data is not None:
                found = verify(data, out)
                if isinstance(found, str):
                    bad[out.key] = found
                else:
                    self.known.keys.add(out.key)  # proven: its bytes hash to its key
                    entries = found
            label = f"{out.path}/ (the .dir manifest)"
            if entries is None:  # nothing here can list the files
                plan[out] = [(out.key, label if out.key in bad else UNLISTED)]
            else:
                plan[out] = [(out.key, label)] + [(key, f"{out.path}/{relpath}")
                                                  for key, relpath in entries]
        gone = {key for key in answers if answers[key] is None}
        if (gone | set(bad)) & self.known.keys:  # seen once, gone or bad now: forget it
            self.known.keys.difference_update(gone | set(bad))
            self._saved_sizes = (-1, -1)  # the sets shrank: the next save must write
        return plan, bad, gone

    def _local_manifest(self, out: DvcOut) -> list[tuple[str, str]] | None:
        """This machine's copy, if it is the manifest (a cache can hold a bad copy too)."""
        try:  # a regular file only: a FIFO in the cache must not block the push
            found = verify(read_given(self.cache_path(out.key), MAX_MANIFEST), out)
        except OSError:
            return None
        return None if isinstance(found, str) else found

    def cache_path(self, key: str) -> str:
        return os.path.join(self.v.settings.cache_dir, *key.split("/"))

    def _state_name(self) -> str:
        import hashlib

        digest = hashlib.sha1((self.identity or "").encode()).hexdigest()[:16]
        # `pushed2-`: earlier releases took a listing's or a 200's word for a manifest.
        return f"pushed2-{digest}.pickle"

    def _load(self) -> Known:
        self._saved_sizes = (0, 0)
        if not self.v.use_cache or not self.identity:
            return Known(set(), set())
        saved = self.v.state.load(self._state_name(), self.identity)
        if isinstance(saved, tuple) and len(saved) == 2:
            known = Known(set(saved[0]), set(saved[1]))
            self._saved_sizes = (len(known.keys), len(known.complete))
            return known
        return Known(set(), set())

    def _save(self) -> None:
        # Only presence is remembered, never absence: a later push must be seen. The sets
        # only grow, so equal sizes mean nothing new was learned: no rewrite.
        sizes = (len(self.known.keys), len(self.known.complete))
        if self.identity and any(sizes) and sizes != self._saved_sizes:
            self.v.state.save(self._state_name(), self.identity,
                              (self.known.keys, self.known.complete))
            self._saved_sizes = sizes


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
