"""dvc-pushed: every object a `dvc pull` of the pushed (or merged) revision needs is in the remote.

`dvc status -c` trusts a directory's `.dir` object and misses files deleted inside it;
`dvc data status --not-in-remote` always exits 0. This gate checks the `.dir` manifest and
every file it lists, in the remote each output goes to, and fails closed: a remote it could
not ask, or one that does not answer as its protocol does (a page that says 200 to everything),
is exit 3, never a pass. No status code alone proves an object is there: a `.dir` manifest
must hash to its key and parse as DVC writes it, and an object must have the size its DVC
file records (remote.py and manifest.py say how). collect reads what the revisions need from
git (through the one reader of DVC files), remote asks the remotes, judge turns gaps into
findings.

Objects are content-addressed and never change, so the keys a remote was seen to hold are
remembered (per remote, in the state cache); an unchanged re-check asks the remote nothing
and does not import dvc. `--no-cache` asks again.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from dataward import runner, scope
from dataward.adapters.git import Repo
from dataward.adapters.state import State
from dataward.checks.dvc_pushed.collect import changed_dvc_files, outputs_at
from dataward.checks.dvc_pushed.judge import CHECK_ID, Gap, dedupe, gap_finding, unreadable
from dataward.checks.dvc_pushed.remote import Tally, Verifier
from dataward.errors import UsageError
from dataward.findings import Outcome
from dataward.formats.dvcfile import DvcFile, DvcOut
from dataward.policy import Policy
from dataward.runner import Request, add_common_options, add_remote_options

DEFAULT_TIMEOUT = 60.0


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
    parser.add_argument("--restore", action="store_true",
                        help="ask S3 to restore archived objects (GLACIER, DEEP_ARCHIVE, "
                             "Intelligent-Tiering archive tiers), then check again")
    parser.add_argument("--days", type=int, default=7,
                        help="--restore: days the restored copies stay readable (default 7)")
    parser.add_argument("--tier", choices=("Standard", "Bulk", "Expedited"), default="Standard",
                        help="--restore: S3's retrieval tier (default Standard: hours)")
    parser.add_argument("--no-cache", action="store_true",
                        help="ask the remote about every object, even those an earlier check "
                             "saw there")
    add_remote_options(parser, DEFAULT_TIMEOUT)
    parser.add_argument("filenames", nargs="*", help=argparse.SUPPRESS)  # pre-commit's
    add_common_options(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.jobs < 1:
        build_parser().error("--jobs must be positive")
    if args.days < 1:
        build_parser().error("--days must be positive")
    lines = tuple(sys.stdin.read().splitlines()) if args.pre_push else ()
    request = Request(rev=args.rev, range=args.range, pre_push=args.pre_push, push_lines=lines,
                      env=dict(os.environ), push=args.push, use_cache=not args.no_cache,
                      jobs=args.jobs, timeout=args.timeout, verbose=args.verbose,
                      deep=args.deep, restore_days=args.days if args.restore else None,
                      restore_tier=args.tier)
    return runner.main(CHECK_ID, run, request, args.format, args.config)


def _refuse_subprojects(repo: Repo, files: list[DvcFile]) -> None:
    """A `dvc init --subdir` project keeps its own remote in its own .dvc/: judged against
    the root's remote, its outputs would pass or fail for the wrong storage."""
    if not any(f.outs for f in files):
        return
    from dataward.adopt.monorepo import subprojects

    inside = sorted({sub for sub in subprojects(repo) for f in files
                     if f.outs and f.path.startswith(sub + "/")})
    if inside:
        raise UsageError(f"{', '.join(inside)}: DVC subprojects (`dvc init --subdir`), whose "
                         "remotes dvc-pushed does not read yet",
                         "give each subproject its own repository, or one DVC project at the "
                         "root (README, Adopting dataward)")


def run(repo: Repo, policy: Policy, request: Request) -> Outcome:
    files: list[DvcFile] = []
    for tip, only in _targets(repo, request):
        files += outputs_at(repo, tip, only)
    if any(f.outs or f.problem for f in files) and \
            not os.path.isdir(os.path.join(repo.root, ".dvc")):
        # Without it there is no remote configuration to check against.
        raise UsageError(f"{repo.root} has DVC files but no .dvc folder at its root",
                         "run it where `dvc init` was run (a `dvc init --subdir` project is "
                         "not supported yet)")
    _refuse_subprojects(repo, files)
    findings = [unreadable(f) for f in files if f.problem]
    # What `dvc pull` fetches from this repository's remotes: imports come from their
    # source's remote, `cache: false` and `push: false` outputs from nowhere.
    # Outputs of version-aware remotes are checked by version id (versioned.py), the
    # others by hash. Split first: dedupe keys on md5, and a versioned folder has none.
    from dataward.checks.dvc_pushed import versioned

    verifier = Verifier(repo.root, State(repo.common_dir),
                        request._replace(cache_days=policy.remote.cache_days))
    hashed, by_version = versioned.split(
        verifier.settings, [o for f in files for o in f.outs if o.in_remote])
    if by_version:
        findings += versioned.check(repo.root, by_version, request,
                                    verifier.settings.default_remote)
    data = dedupe(hashed)
    if not data:
        return runner.outcome(CHECK_ID, findings)
    gaps, tally = verifier.verify(data)
    if any(g.kind != "unverified" for g in gaps) and request.push:
        gaps, tally = _push(repo.root, verifier, data, gaps, tally)
    if request.restore_days and any(g.kind in ("archived", "restoring") for g in gaps):
        from dataward.checks.dvc_pushed.restore import restore

        restore(verifier, gaps, request.restore_days, request.restore_tier)
        gaps, tally = verifier.verify(data)
    if request.verbose:
        print(f"{CHECK_ID}: {_n(tally.outputs, 'output')} ({tally.known_complete} known "
              f"complete from earlier checks); asked about {_n(tally.asked, 'object')} in "
              f"{_n(tally.requests, 'request')}; {tally.missing} missing", file=sys.stderr)
    return runner.outcome(CHECK_ID, findings + [gap_finding(g) for g in gaps])


def _push(root: str, verifier: Verifier, data: list[DvcOut], gaps: list[Gap],
          tally: Tally) -> tuple[list[Gap], Tally]:
    """`dvc push` the outputs with gaps, then upload what dvc skipped, checking after each."""
    from dataward.adapters import dvc as dvc_adapter

    targets = sorted({g.out.target for g in gaps if g.kind == "missing" and
                      not g.manifest_pushed})
    if targets:
        code = dvc_adapter.push(root, targets)
        if code != 0:
            print(f"{CHECK_ID}: dvc push exited {code}; checking what reached the remote",
                  file=sys.stderr)
        gaps, tally = verifier.verify(data)
    sendable = [g for g in gaps if g.in_local_cache and g.kind != "unverified"]
    if sendable:
        sent = verifier.upload(sendable)
        print(f"{CHECK_ID}: uploaded {sent} objects that dvc push does not send (files of a "
              "directory whose .dir manifest the remote already has; corrupt or archived "
              "copies)", file=sys.stderr)
        gaps, tally = verifier.verify(data)
    return gaps, tally


def _targets(repo: Repo, request: Request) -> list[tuple[str, set[str] | None]]:
    """(tip, the DVC files to check there; None for all) for the mode asked for."""
    if request.rev:
        return [(scope.commit(repo, request.rev, "--rev"), None)]
    if request.range:
        sc = scope.commit_range(repo, request.range)
        assert sc.tip is not None
        return [(sc.tip, changed_dvc_files(repo, sc))]
    if request.pre_push:
        return [(sc.tip, changed_dvc_files(repo, sc))
                for sc in scope.per_pushed_ref(repo, request.pre_push, request.push_lines)
                if sc.tip is not None]
    env_scope = scope.from_pre_commit_env(repo, request.env)
    if env_scope is not None and env_scope.tip is not None:
        return [(env_scope.tip, changed_dvc_files(repo, env_scope))]
    return [(scope.commit(repo, "HEAD", "the default: HEAD"), None)]


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


if __name__ == "__main__":
    raise SystemExit(main())
