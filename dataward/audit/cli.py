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
    from dataward.findings import Finding, Outcome
    from dataward.policy import Policy

CHECK_ID = "remote-audit"


class Options(NamedTuple):
    repos: tuple[str, ...]  # other repositories that push to the same remote
    tips_only: bool
    plan: str | None  # where to write the plan's JSON


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
    runner.add_remote_options(audit, 120.0)
    runner.add_common_options(audit)


def main(args: argparse.Namespace) -> int:
    if args.jobs < 1:
        raise SystemExit("dataward remote audit: --jobs must be positive")
    request = Request(jobs=args.jobs, timeout=args.timeout, verbose=args.verbose,
                      deep=args.deep, use_cache=False)
    options = Options(tuple(args.repo), args.tips, args.plan)

    def run(repo: Repo, policy: Policy, req: Request) -> Outcome:
        return audit(repo, policy, req, options)

    return runner.main(CHECK_ID, run, request, args.format, args.config)


def audit(repo: Repo, policy: Policy, request: Request, options: Options) -> Outcome:
    from dataward.adapters.git import Repo
    from dataward.adapters.state import State
    from dataward.audit.collect import references
    from dataward.audit.findings import reference_findings
    from dataward.audit.plan import (
        Plan,
        incompleteness,
        plan_finding,
        plans_json,
        unreferenced,
    )
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

    hashed, by_version = versioned.split(repo.root, [r.out for r in refs])
    gaps, tally = verifier.verify(hashed)
    findings: list[Finding] = reference_findings(gaps, refs)
    if by_version:  # checked by version id; their files are not content-addressed objects
        findings += versioned.check(repo.root, by_version, request)
    plans = []
    for _, check in sorted(verifier.checks.items(), key=lambda kv: kv[0] or ""):
        plan = Plan(check.name or "", check.url,
                    unreferenced(check.remote().listing or {}, check.referenced),
                    policy.remote.storage_usd_per_gb_month,
                    incompleteness(check.unlisted, unreadable))
        plans.append(plan)
        found = plan_finding(plan, options.plan)
        findings += [found] if found else []
        check.known = check.known.pruned(check.referenced)  # the cache keeps only what is used
        check.store.save(check.known, force=True)
    if options.plan:
        from dataward.adapters.files import write_replacing

        write_replacing(options.plan, plans_json(plans).encode())
    if request.verbose:
        print(f"remote audit: {len(refs)} dataset versions, {tally.asked} objects asked about "
              f"in {tally.requests} requests", file=sys.stderr)
    return runner.outcome(CHECK_ID, findings)
