"""dvc-pushed: every object a `dvc pull` of the pushed (or merged) revision needs is in the remote.

`dvc status -c` trusts a directory's `.dir` object and misses files deleted inside it;
`dvc data status --not-in-remote` always exits 0. This gate checks the `.dir` manifest and
every file it lists, in the remote each output goes to, and fails closed: a remote it could
not ask is exit 3, never a pass.

Objects are content-addressed and never change, so the keys a remote was seen to hold are
remembered (per remote, in the state cache); an unchanged re-check asks the remote nothing
and does not import dvc. `--no-cache` asks again.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from dataward import scope
from dataward.adapters.git import Repo
from dataward.adapters.state import State
from dataward.errors import UsageError
from dataward.findings import Finding
from dataward.pushed_outputs import (
    CHECK_ID,
    DVC_PATHSPECS,
    DataOutput,
    Gap,
    Unreadable,
    dedupe,
    gap_finding,
    is_dvc_path,
    manifest,
    parse,
    stage_flags,
)
from dataward.runner import add_common_options, run

if TYPE_CHECKING:
    from dataward.adapters.dvc import Remote

DEFAULT_TIMEOUT = 60.0


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


# -- which outputs ----------------------------------------------------------------------------

def outputs_at(repo: Repo, tip: str, only: set[str] | None) -> list[DataOutput | Unreadable]:
    """Cached outputs recorded at `tip` by its DVC files (`only` these paths, when given)."""
    every = {p: oid for p, oid in repo.tree_files(tip, DVC_PATHSPECS) if is_dvc_path(p)}
    files = every
    if only is not None:
        wanted = set(only)
        # A changed dvc.yaml can change its lock's outputs' options (push, remote).
        wanted |= {p[:-len("dvc.yaml")] + "dvc.lock" for p in only if p.endswith("dvc.yaml")}
        files = {p: oid for p, oid in every.items() if p in wanted}
    lock_dirs = {p[:-len("dvc.lock")] for p in files if p.endswith("dvc.lock")}
    yamls = {p: oid for p, oid in every.items()
             if p.endswith("dvc.yaml") and p[:-len("dvc.yaml")] in lock_dirs}
    from dataward.formats.yamlsafe import MAX_BYTES

    heads = repo.object_heads([*files.values(), *yamls.values()], MAX_BYTES + 1)
    result: list[DataOutput | Unreadable] = []
    for path, oid in sorted(files.items()):
        if path.endswith("dvc.yaml"):
            continue
        flags = None
        if path.endswith("dvc.lock"):
            yaml_oid = yamls.get(path[:-len("dvc.lock")] + "dvc.yaml")
            flags = stage_flags(heads[yaml_oid]) if yaml_oid else {}
        parsed = parse(path, heads.get(oid, b""), flags)
        result.extend(parsed if isinstance(parsed, list) else [parsed])
    return result


def changed_dvc_files(repo: Repo, sc: scope.Scope) -> set[str]:
    return {c.path for c in sc.changes(repo, DVC_PATHSPECS) if is_dvc_path(c.path)}


# -- the remote -------------------------------------------------------------------------------

class Verifier:
    """Checks outputs against their remotes, loading dvc only when the cache cannot answer."""

    def __init__(self, root: str, state: State, use_cache: bool, timeout: float,
                 jobs: int) -> None:
        from dataward.formats import dvc_config as dvc_remotes

        self.root, self.state, self.use_cache = root, state, use_cache
        self.timeout, self.jobs = timeout, jobs
        self.settings = dvc_remotes.load(os.path.join(root, ".dvc"))
        self.checks: dict[str | None, _RemoteCheck] = {}

    def verify(self, outputs: list[DataOutput]) -> tuple[list[Gap], Tally]:
        by_remote: dict[str | None, list[DataOutput]] = {}
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

    def run(self, outs: list[DataOutput]) -> tuple[list[Gap], Tally]:
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

    def _plan(self, outs: list[DataOutput]) -> dict[DataOutput, list[tuple[str, str]]]:
        """Each output's objects as (key, what to call it): a file output is its one object;
        a directory is its `.dir` manifest and every file listed there."""
        manifests = {o.key: self._local_manifest(o) for o in outs if o.is_dir}
        fetch = sorted(k for k, entries in manifests.items() if entries is None)
        if fetch:  # a CI runner has no cache: only the small manifests come from the remote
            for key, data in self.remote().read(fetch).items():
                if data is not None:
                    self.known.keys.add(key)  # it was just read back from the remote
                    manifests[key] = manifest(data, legacy=not key.startswith("files/"))
        plan: dict[DataOutput, list[tuple[str, str]]] = {}
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

    def _local_manifest(self, out: DataOutput) -> list[tuple[str, str]] | None:
        try:
            with open(self.cache_path(out.key), "rb") as fh:
                return manifest(fh.read(), out.legacy)
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


# -- entry point ------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=CHECK_ID, description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--rev", metavar="REV",
                      help="check every dataset at this revision (default without a mode: HEAD)")
    mode.add_argument("--range", metavar="BASE..HEAD",
                      help="check the datasets the commits of a range change, at HEAD "
                           "(a pull request: origin/main...HEAD)")
    mode.add_argument("--pre-push", metavar="REMOTE", dest="pre_push",
                      help="as a git pre-push hook: read the pushed refs on stdin")
    parser.add_argument("--push", action="store_true",
                        help="run `dvc push` for exactly the outputs with missing objects, "
                             "then check again")
    parser.add_argument("--no-cache", action="store_true",
                        help="ask the remote about every object, even those an earlier check "
                             "saw there")
    parser.add_argument("--jobs", type=int, default=min(32, 4 * (os.cpu_count() or 1)),
                        help="requests in flight at once (default: 4 x cores, at most 32)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help=f"seconds to wait for a remote (default: {DEFAULT_TIMEOUT:g}); "
                             "past it the check fails closed, exit 3")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="say what was checked and how many requests it took")
    parser.add_argument("filenames", nargs="*", help=argparse.SUPPRESS)  # pre-commit's
    add_common_options(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.jobs < 1 or args.timeout <= 0:
        build_parser().error("--jobs and --timeout must be positive")
    return run(CHECK_ID, args.format, lambda: _check(args))


def _check(args: argparse.Namespace) -> list[Finding]:
    repo = Repo.discover()
    outputs: list[DataOutput | Unreadable] = []
    for tip, only in _targets(repo, args):
        outputs += outputs_at(repo, tip, only)
    if outputs and not os.path.isdir(os.path.join(repo.root, ".dvc")):
        # Without it there is no remote configuration to check against.
        raise UsageError(f"{repo.root} has DVC files but no .dvc folder at its root",
                         "run it where `dvc init` was run (a `dvc init --subdir` project is "
                         "not supported yet)")
    findings = [Finding(o.dvcfile, None, CHECK_ID, f"cannot be read: {o.reason}",
                        "fix the file (the dvc-files hook says how); dvc cannot pull it either")
                for o in outputs if isinstance(o, Unreadable)]
    data = dedupe(o for o in outputs if isinstance(o, DataOutput))
    if not data:
        return findings
    verifier = Verifier(repo.root, State(repo.common_dir), not args.no_cache, args.timeout,
                        args.jobs)
    gaps, tally = verifier.verify(data)
    if gaps and args.push:
        gaps, tally = _push(repo.root, verifier, data, gaps, tally)
    if args.verbose:
        print(f"{CHECK_ID}: {_n(tally.outputs, 'output')} ({tally.known_complete} known "
              f"complete from earlier checks); asked about {_n(tally.asked, 'object')} in "
              f"{_n(tally.requests, 'request')}; {tally.missing} missing", file=sys.stderr)
    return findings + [gap_finding(g) for g in gaps]


def _push(root: str, verifier: Verifier, data: list[DataOutput], gaps: list[Gap],
          tally: Tally) -> tuple[list[Gap], Tally]:
    """`dvc push` the outputs with gaps, then upload what dvc skipped, checking after each."""
    from dataward.adapters import dvc as dvc_adapter

    targets = sorted({g.out.target for g in gaps if not g.manifest_pushed})
    if targets:
        code = dvc_adapter.push(root, targets)
        if code != 0:
            print(f"{CHECK_ID}: dvc push exited {code}; checking what reached the remote",
                  file=sys.stderr)
        gaps, tally = verifier.verify(data)
    sendable = [g for g in gaps if g.in_local_cache]
    if sendable:
        sent = verifier.upload(sendable)
        print(f"{CHECK_ID}: uploaded {sent} objects that dvc push does not send (files of a "
              "directory whose .dir manifest the remote already has)", file=sys.stderr)
        gaps, tally = verifier.verify(data)
    return gaps, tally


def _targets(repo: Repo, args: argparse.Namespace) -> list[tuple[str, set[str] | None]]:
    """(tip, the DVC files to check there; None for all) for the mode asked for."""
    if args.rev:
        return [(scope.commit(repo, args.rev, "--rev"), None)]
    if args.range:
        sc = scope.commit_range(repo, args.range)
        assert sc.tip is not None
        return [(sc.tip, changed_dvc_files(repo, sc))]
    if args.pre_push:
        return [(sc.tip, changed_dvc_files(repo, sc))
                for sc in scope.per_pushed_ref(repo, args.pre_push, sys.stdin.read().splitlines())
                if sc.tip is not None]
    env_scope = scope.from_pre_commit_env(repo, os.environ)
    if env_scope is not None and env_scope.tip is not None:
        return [(env_scope.tip, changed_dvc_files(repo, env_scope))]
    return [(scope.commit(repo, "HEAD", "the default: HEAD"), None)]


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


if __name__ == "__main__":
    raise SystemExit(main())
