"""`dataward remote audit`: the argparse front and the run the runner executes."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, NamedTuple

from dataward import runner
from dataward.runner import Request

if TYPE_CHECKING:  # the parser is built for every `dataward` command: nothing heavy here
    from dataward.adapters.git import Repo
    from dataward.audit.plan import Plan
    from dataward.checks.dvc_pushed.remote import RemoteCheck, Verifier
    from dataward.findings import Finding, Outcome
    from dataward.policy import Policy

CHECK_ID = "remote-audit"


class Options(NamedTuple):
    repos: tuple[str, ...]  # other repositories that push to the same remote
    tips_only: bool
    plan: str | None  # where to write the plan's JSON
    keep_days: float  # unreferenced objects newer than this stay out of the plan


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    remote = sub.add_parser("remote", help="the DVC remote as a whole")
    actions = remote.add_subparsers(dest="remote_command", required=True, metavar="ACTION")
    audit = actions.add_parser(
        "audit", help="every object any branch or tag needs: present, intact, readable; and "
                      "what nothing references, as a garbage-collection plan")
    audit.add_argument("--repo", action="append", default=[], metavar="DIR",
                       help="another repository whose DVC data is pushed to the same remote "
                            "(a student's project); may be given several times")
    audit.add_argument("--tips", action="store_true",
                       help="only what the branch and tag tips reference (default: every "
                            "commit of their history, as `dvc gc --all-commits` keeps)")
    audit.add_argument("--plan", metavar="FILE",
                       help="write the garbage-collection plan (JSON) here")
    audit.add_argument("--keep-days", type=float, default=7.0, metavar="N",
                       help="leave unreferenced objects newer than N days out of the plan "
                            "(default 7: `dvc push` runs before `git push`)")
    runner.add_remote_options(audit, 120.0)
    runner.add_common_options(audit)


def main(args: argparse.Namespace) -> int:
    if args.jobs < 1 or not args.keep_days >= 0:
        raise SystemExit("dataward remote audit: error: --jobs must be positive and "
                         "--keep-days 0 or more")
    request = Request(jobs=args.jobs, timeout=args.timeout, verbose=args.verbose,
                      deep=args.deep, use_cache=False)
    options = Options(tuple(args.repo), args.tips, args.plan, args.keep_days)

    def run(repo: Repo, policy: Policy, req: Request) -> Outcome:
        return audit(repo, policy, req, options)

    return runner.main(CHECK_ID, run, request, args.format, args.config)


def audit(repo: Repo, policy: Policy, request: Request, options: Options) -> Outcome:
    from dataward.adapters.git import Repo
    from dataward.adapters.state import State
    from dataward.audit.collect import references
    from dataward.audit.findings import reference_findings
    from dataward.audit.plan import incompleteness, plan_finding, plans_json
    from dataward.checks.dvc_pushed.remote import Verifier
    from dataward.errors import UsageError

    if not os.path.isdir(os.path.join(repo.root, ".dvc")):
        raise UsageError(f"{repo.root} has no .dvc folder at its root",
                         "run it in the registry, where `dvc init` was run")
    collected = [references(repo, options.tips_only)]
    for other in options.repos:
        collected.append(references(Repo.discover(other), options.tips_only,
                                    prefix=os.path.basename(os.path.abspath(other)) + ":"))
    refs = [r for c in collected for r in c.refs]
    unreadable = [u for c in collected for u in c.unreadable]
    verifier = Verifier(repo.root, State(repo.common_dir),
                        request._replace(cache_days=policy.remote.cache_days), True)
    from dataward.checks.dvc_pushed import versioned

    hashed, by_version = versioned.split(verifier.settings, [r.out for r in refs])
    gaps, tally = verifier.verify(hashed)
    findings: list[Finding] = reference_findings(gaps, refs)
    if by_version:  # checked by version id; their files are not content-addressed objects
        findings += versioned.check(repo.root, by_version, request,
                                    verifier.settings.default_remote)
    plans = _plans(verifier, policy, incompleteness(0, unreadable, options.tips_only), options)
    findings += [f for f in (plan_finding(p, options.plan) for p in plans) if f]
    if options.plan:
        from dataward.adapters.files import write_replacing

        write_replacing(options.plan, plans_json(plans).encode())
    if request.verbose:
        print(f"remote audit: {len(refs)} dataset versions, {tally.asked} objects asked about "
              f"in {tally.requests} requests", file=sys.stderr)
    return runner.outcome(CHECK_ID, findings)


def _plans(verifier: Verifier, policy: Policy, why: str, options: Options) -> list[Plan]:
    """One plan per store: remotes of several names over one bucket path (a `mirror` beside
    `storage`) share a listing, so what any of them references is referenced."""
    import time

    from dataward.audit.plan import Plan, incompleteness, unreferenced

    stores: dict[tuple[str, str], list[RemoteCheck]] = {}
    for _, check in sorted(verifier.checks.items(), key=lambda kv: kv[0] or ""):
        remote = check.remote()
        stores.setdefault((remote.options.get("endpointurl", ""), remote.path.rstrip("/")),
                          []).append(check)
    plans = []
    for checks in stores.values():
        referenced = set().union(*(c.referenced for c in checks))
        objects, recent = unreferenced(checks[0].remote().listing or {}, referenced,
                                       options.keep_days, time.time())
        unlisted = sum(c.unlisted for c in checks)
        reasons = "; ".join(r for r in (incompleteness(unlisted, []), why) if r)
        plans.append(Plan(" = ".join(c.name or "" for c in checks), checks[0].url, objects,
                          policy.remote.storage_usd_per_gb_month, reasons, recent,
                          options.keep_days))
        for check in checks:  # the presence cache keeps only what something still uses
            check.known = check.known.pruned(referenced)
            check.store.save(check.known, force=True)
    return plans
