"""`dataward`: one command over every check; the console scripts per hook id call the same code."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

from dataward import __version__
from dataward.checks import CHECKS
from dataward.stages import STAGES


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dataward", description=__doc__)
    parser.add_argument("--version", action="version", version=f"dataward {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    check = sub.add_parser("check", help="run one check (as its hook does)", add_help=False)
    check.add_argument("check_id", choices=sorted(CHECKS), metavar="CHECK",
                       help=f"one of: {', '.join(sorted(CHECKS))}")
    check.add_argument("args", nargs=argparse.REMAINDER)
    hook = sub.add_parser("hook", help="run the checks of a git hook stage (used by hooks/)")
    hook.add_argument("stage", choices=sorted(STAGES))
    hook.add_argument("hook_args", nargs="*", help="what git passes the hook")
    card = sub.add_parser("card", help="dataset cards")
    card_sub = card.add_subparsers(dest="card_command", required=True, metavar="ACTION")
    card_new = card_sub.add_parser("new", help="write a card to fill in, pre-filled from a "
                                   ".dvc file (an existing card is never overwritten)")
    card_new.add_argument("dvcfile", metavar="NAME.dvc")
    card_new.add_argument("--config", metavar="FILE", help="policy file (default: dataward.toml, "
                          "else pyproject.toml)")
    ci = sub.add_parser("ci", help="what the GitHub actions run (check, verify-pushed)",
                        add_help=False)
    ci.add_argument("ci_args", nargs=argparse.REMAINDER)
    from dataward.adopt import init_cli
    from dataward.audit import cli as audit_cli
    from dataward.catalog import cli as catalog_cli
    from dataward.drift import cli as drift_cli
    from dataward.jobs import cli as jobs_cli

    init_cli.add_parsers(sub)
    catalog_cli.add_parsers(sub)
    drift_cli.add_parsers(sub)
    audit_cli.add_parsers(sub)
    jobs_cli.add_parsers(sub)
    schema = sub.add_parser("schema", help="the JSON Schemas in schemas/")
    mode = schema.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="regenerate them from the models")
    mode.add_argument("--check", action="store_true", help="exit 1 when any is stale")
    schema.add_argument("--dir", default="schemas", help="where they are (default: schemas)")
    # `dataward ci --help`: argparse leaves an option before the REMAINDER unparsed; it is
    # the ci parser's to read (it lists ci's own commands).
    args, extra = parser.parse_known_args(argv)
    if extra and args.command == "ci":
        args.ci_args = extra + args.ci_args
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    from dataward.runner import refuse_closed_stdout, written

    closed = refuse_closed_stdout("dataward")
    if closed is not None:
        return closed
    return written(f"dataward {args.command}", lambda: _dispatch(args))


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "check":
        return _check_main(args.check_id)(args.args)
    if args.command == "ci":
        from dataward import ci as ci_module

        return ci_module.main(args.ci_args)
    if args.command == "init":
        from dataward.adopt import init_cli

        return init_cli.main(args)
    if args.command == "drift":
        from dataward.drift import cli as drift_cli

        return drift_cli.main(args)
    if args.command in ("catalog", "ls", "show"):
        from dataward.catalog import cli as catalog_cli

        return catalog_cli.main(args)
    if args.command in ("fingerprint", "verify"):
        from dataward.jobs import cli as jobs_cli

        return jobs_cli.main(args)
    if args.command == "remote":
        from dataward.audit import cli as audit_cli

        return audit_cli.main(args)
    if args.command == "card":
        return _card_new(args.dvcfile, args.config)
    if args.command == "schema":
        from dataward.runner import command

        return command("dataward schema", lambda: _schema(args.dir, args.write))
    from dataward.stages import run_stage

    return run_stage(args.stage, args.hook_args)


def _card_new(dvcfile: str, config_file: str | None) -> int:
    from dataward.findings import Outcome
    from dataward.runner import guarded, report

    def body() -> Outcome:
        from shlex import quote

        from dataward.adopt.card_new import new
        from dataward.report.escape import terminal

        card = new(dvcfile, config_file)
        print(terminal(f"wrote {card}: fill in every TODO, then `git add {quote(str(card))}`"))
        return Outcome("card new", 0, [])

    return report(guarded("card new", body), "text")


def _schema(folder: str, write: bool) -> int:
    from dataward import schemas
    from dataward.report.escape import terminal

    if write:
        for path in schemas.write(folder):
            print(f"wrote {terminal(str(path))}")
        return 0
    old = schemas.stale(folder)
    for path in old:
        print(f"{terminal(str(path))} is stale: run `dataward schema --write`", file=sys.stderr)
    return 1 if old else 0


def _check_main(check_id: str) -> Callable[[Sequence[str] | None], int]:
    main: Callable[[Sequence[str] | None], int] = importlib.import_module(CHECKS[check_id]).main
    return main


if __name__ == "__main__":
    raise SystemExit(main())
