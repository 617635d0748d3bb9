"""dvc-pushed's questions to the remotes: which of an output's objects each remote holds.

Objects are content-addressed and never change, so the keys a remote was seen to hold are
remembered (per remote, in the state cache); an unchanged re-check asks the remote nothing
and does not import dvc. Only presence is remembered, never absence.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, NamedTuple

from dataward.adapters.state import State
from dataward.checks.dvc_pushed.judge import Gap
from dataward.formats.dvcfile import DvcOut, object_key, read_manifest

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
        from dataward.formats.dvc_config import identity

        self.v, self.name = verifier, name
        options = verifier.settings.remotes.get(name) if name else None
        self.url = options.get("url", "") if options else ""
        self.identity = identity(options) if options and self.url else None
        self.known = self._load()
        self._remote: Remote | None = None

    def remote(self) -> Remote:
        """The remote through dvc, opened on first need; its identity as dvc resolves it."""
        if self._remote is None:
            from dataward.adapters import dvc as dvc_adapter

            self._remote = dvc_adapter.open_remote(self.v.root, self.name, self.v.timeout,
                                                   self.v.jobs)
            self.name, self.url = self._remote.name, self._remote.url
            if self._remote.identity != self.identity:
                self.identity = self._remote.identity
                self.known = self._load()
        return self._remote

    def run(self, outs: list[DvcOut]) -> tuple[list[Gap], Tally]:
        if self.name is None:
            self.remote()  # no default remote: dvc says so, as `dvc push` would (exit 2)
        requests_before = self._remote.requests if self._remote else 0
        todo = [o for o in outs if not (o.is_dir and o.key in self.known.complete)]
        plan = self._plan(todo)
        unknown = {key for entries in plan.values() for key, _ in entries} - self.known.keys
        if unknown:
            self.known.keys.update(self.remote().present(unknown))
        gaps = []
        for out in todo:
            absent = [(key, label) for key, label in plan[out] if key not in self.known.keys]
            if not absent:
                if out.is_dir:
                    self.known.complete.add(out.key)
                continue
            listed = plan[out][0][1] != UNLISTED
            gaps.append(Gap(out, self.name or "", self.url, absent,
                            len(plan[out]) if listed else None,
                            any(os.path.exists(self.cache_path(k)) for k, _ in absent[:50])))
        self._save()
        requests = (self._remote.requests if self._remote else 0) - requests_before
        return gaps, Tally(len(outs), len(outs) - len(todo), len(unknown),
                           sum(len(g.missing) for g in gaps), requests)

    def _plan(self, outs: list[DvcOut]) -> dict[DvcOut, list[tuple[str, str]]]:
        """Each output's objects as (key, what to call it): a file output is its one object;
        a directory is its `.dir` manifest and every file listed there."""
        manifests = {o.key: self._local_manifest(o) for o in outs if o.is_dir}
        fetch = sorted(k for k, entries in manifests.items() if entries is None)
        if fetch:  # a CI runner has no cache: only the small manifests come from the remote
            for key, data in self.remote().read(fetch).items():
                if data is not None:
                    self.known.keys.add(key)  # it was just read back from the remote
                    manifests[key] = _entries(data, legacy=not key.startswith("files/"))
        plan: dict[DvcOut, list[tuple[str, str]]] = {}
        for out in outs:
            entries = manifests.get(out.key) if out.is_dir else None
            if not out.is_dir:
                plan[out] = [(out.key, out.path)]
            elif entries is None:  # in neither place: nothing can list the files
                plan[out] = [(out.key, UNLISTED)]
            else:
                plan[out] = [(out.key, f"{out.path}/ (the .dir manifest)")] + [
                    (key, f"{out.path}/{relpath}") for key, relpath in entries]
        return plan

    def _local_manifest(self, out: DvcOut) -> list[tuple[str, str]] | None:
        try:
            with open(self.cache_path(out.key), "rb") as fh:
                return _entries(fh.read(), out.legacy)
        except OSError:
            return None

    def cache_path(self, key: str) -> str:
        return os.path.join(self.v.settings.cache_dir, *key.split("/"))

    def _state_name(self) -> str:
        import hashlib

        digest = hashlib.sha1((self.identity or "").encode()).hexdigest()[:16]
        return f"pushed-{digest}.pickle"

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


def _entries(content: bytes, legacy: bool) -> list[tuple[str, str]] | None:
    """A `.dir` manifest's files as (object key, relpath); None when it is not one."""
    files = read_manifest(content)
    return None if files is None else [(object_key(md5, legacy), rel)
                                        for rel, md5 in files.items()]
