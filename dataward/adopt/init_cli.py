"""`dataward init --registry | --user-repo`: adopt dataward in the git repository here."""

from __future__ import annotations

import argparse
import difflib
import os
import shlex
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dataward.adapters.git import Repo
    from dataward.adopt.plan import Plan


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    init = sub.add_parser(
        "init", help="set dataward up in this repository (hooks, workflows, policy)",
        description="Write the hooks' configuration, the GitHub workflows and dataward.toml, "
                    "run `dvc init` when needed and install the git hooks. Files you have are "
                    "never overwritten; a second run changes nothing.")
    kind = init.add_mutually_exclusive_group(required=True)
    kind.add_argument("--registry", dest="kind", action="store_const", const="registry",
                      help="the lab's dataset registry (every .dvc file is a dataset with a "
                           "card; catalog and drift workflows)")
    kind.add_argument("--user-repo", dest="kind", action="store_const", const="project",
                      help="a project that imports datasets from the registry")
    init.add_argument("--dry-run", action="store_true",
                      help="show what would be written and run (as diffs), change nothing")
    init.add_argument("--no-pre-commit", dest="pre_commit", action="store_false",
                      help="no pre-commit framework: point git's core.hooksPath at dataward's "
                           "plain hooks, which run this Python's dataward")
    init.add_argument("--hook-repo", metavar="URL", help="where pre-commit gets dataward's "
                      "hooks (default: the GitHub repository; a mirror, or a local clone)")
    init.add_argument("--rev", metavar="REV", help="the tag or commit of --hook-repo to pin "
                      "(default: this release's tag)")
    init.add_argument("--actions-repo", metavar="OWNER/NAME",
                      help="where the workflows take dataward's actions from (default: "
                           "dataward/dataward; a copy on GitHub Enterprise Server, a fork)")


def main(args: argparse.Namespace) -> int:
    from dataward.runner import command

    return command("dataward init", lambda: _init(args))


def _init(args: argparse.Namespace) -> int:
    from dataward.adapters.git import Repo
    from dataward.adopt import plan as adopt

    repo = Repo.discover()
    plan = adopt.make_plan(repo, args.kind, pre_commit=args.pre_commit,
                           hook_repo=args.hook_repo or adopt.HOOK_REPO,
                           rev=args.rev or adopt.RELEASE,
                           actions_repo=args.actions_repo or adopt.ACTIONS_REPO)
    if args.dry_run:
        _show(plan)
        return 0
    adopt.apply(repo, plan)
    _report(plan, _uncommitted(repo, plan))
    return 0


def _what(plan: Plan) -> str:
    kind = "registry" if plan.kind == "registry" else "user repository"
    return f"dataward init ({kind}) in {plan.root}"


def _show(plan: Plan) -> None:
    print(f"{_what(plan)}: dry run, nothing is changed")
    if plan.empty:
        print("  nothing to do: dataward is set up here")
    for command in plan.commands:
        print(f"  would run    {command.shown}  ({command.why})")
    for change in plan.files:
        verb = "would write " if change.old is None else "would update"
        print(f"  {verb} {change.path}  ({change.why})")
    for command in plan.hooks:
        print(f"  would run    {command.shown}  ({command.why})")
    _kept_and_notes(plan)
    # The same follow-up steps as a real run: what is left to do by hand is part of the plan.
    print("\nThen (by hand, after it):")
    for line in _next_steps(plan):
        print(f"  - {line}")
    for change in plan.files:
        print()
        old = [] if change.old is None else change.old.splitlines(keepends=True)
        for line in difflib.unified_diff(
                old, change.new.splitlines(keepends=True),
                "/dev/null" if change.old is None else f"a/{change.path}", f"b/{change.path}"):
            # As git diff: a last line without its newline says so.
            print(line if line.endswith("\n") else line + "\n\\ No newline at end of file",
                  end="" if line.endswith("\n") else "\n")


def _report(plan: Plan, uncommitted: list[str]) -> None:
    print(_what(plan))
    if plan.empty:
        print("  nothing to do: dataward is set up here")
    for command in plan.commands:
        print(f"  ran     {command.shown}  ({command.why})")
    for change in plan.files:
        print(f"  {'wrote  ' if change.old is None else 'updated'} {change.path}  "
              f"({change.why})")
    for command in plan.hooks:
        print(f"  ran     {command.shown}  ({command.why})")
    _kept_and_notes(plan)
    if uncommitted:
        print("\nCommit them:\n  git add " + " ".join(shlex.quote(p) for p in uncommitted)
              + " && git commit -m 'Adopt dataward'")
    if plan.empty and not uncommitted:
        return
    print("\nThen:")
    for line in _next_steps(plan):
        print(f"  - {line}")


def _kept_and_notes(plan: Plan) -> None:
    for path, why in plan.kept:
        print(f"  kept    {path}  ({why})")
    for note in plan.notes:
        print(f"  note: {note}")


def _uncommitted(repo: Repo, plan: Plan) -> list[str]:
    """What dataward init wrote (now or before) that git does not have yet."""
    from dataward.adopt.plan import DVC_INIT_FILES

    present = [p for p in dict.fromkeys([*plan.managed, *DVC_INIT_FILES])
               if os.path.exists(os.path.join(plan.root, p))]
    if not present:
        return []
    found = []
    for status, path in repo.status(present):
        # DVC's own files count only until their first commit (dvc init made them).
        if path in plan.managed or (path in DVC_INIT_FILES and status in ("??", "A ")):
            found.append(path)
    return found


def _next_steps(plan: Plan) -> list[str]:
    from dataward.adopt.next_steps import steps

    return steps(plan.root, plan.kind)
