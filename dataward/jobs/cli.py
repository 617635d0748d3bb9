"""`dataward fingerprint`: the argparse front and its output."""

from __future__ import annotations

import argparse
import os
import sys


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("fingerprint", help="the md5 `dvc add PATH` would record (a pipeline "
                                           "step's cache key, a job's record)")
    p.add_argument("path", metavar="PATH", help="a file or a folder")
    p.add_argument("--dvc2", action="store_true",
                   help="DVC 2's rule (md5-dos2unix: text files hashed with CRLF as LF), as a "
                        "`.dvc` file without `hash: md5` records it")
    p.add_argument("--json", action="store_true",
                   help="print {path, md5, hash, size, nfiles} as JSON")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                   help="files hashed at once (default: the number of cores)")
    state = p.add_mutually_exclusive_group()
    state.add_argument("--state", metavar="FILE",
                       help="the hash cache (default: drift's, "
                            "~/.cache/dataward/drift-state-v1)")
    state.add_argument("--no-state", action="store_true", help="hash every file again")


def main(args: argparse.Namespace) -> int:
    from dataward.runner import command

    return command("dataward fingerprint", lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    from dataward.drift.cli import _default_state, _progress
    from dataward.errors import UsageError
    from dataward.jobs.fingerprint import fingerprint
    from dataward.report.catalog_text import size
    from dataward.report.text import count

    if args.jobs < 1:
        raise UsageError("--jobs must be 1 or more")
    state = None if args.no_state else (args.state or _default_state())
    progress = _progress()
    found = fingerprint(args.path, dvc2=args.dvc2, state_file=state, jobs=args.jobs,
                        progress=progress)
    # stdout holds the answer alone (`KEY=$(dataward fingerprint data)`); the rest is a log
    print(f"hashed {count(found.read, 'file')} of {found.nfiles} ({size(found.size)} in all)"
          + ("" if state else " (--no-state)"), file=sys.stderr)
    if args.json:
        from dataward.report.escape import to_json

        print(to_json({"path": found.path, "md5": found.md5, "hash": found.hash,
                       "size": found.size, "nfiles": found.nfiles}))
    else:
        print(found.md5)
    return 0
