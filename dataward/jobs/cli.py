"""`dataward fingerprint` and `dataward verify`: the argparse fronts and their output."""

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


    _add_verify(sub)


def _add_verify(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from dataward.drift.cli import DEFAULT_TIMEOUT

    p = sub.add_parser("verify", help="whether PATH holds exactly one version of a registry "
                                      "dataset (a job's check before it starts)")
    p.add_argument("path", metavar="PATH", help="the folder (or file) the job reads")
    p.add_argument("--dataset", required=True, metavar="NAME",
                   help="the dataset's name in the registry (`dataward ls`)")
    p.add_argument("--version", type=int, metavar="N",
                   help="the version PATH must hold (default: the current one)")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--registry", metavar="DIR|URL",
                        help="the registry: a checkout, or a URL to clone")
    source.add_argument("--catalog", metavar="FILE|URL",
                        help="a published catalog.json instead, a file or its http(s) URL "
                             "(no git, no DVC needed)")
    p.add_argument("--rev", default="HEAD",
                   help="with --registry: the registry revision (default: HEAD)")
    p.add_argument("--json", metavar="FILE", dest="lineage",
                   help="write the lineage record here (dataset, version, md5, registry "
                        "commit, host, path, time, verdict)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                   help="files hashed at once (default: the number of cores)")
    state = p.add_mutually_exclusive_group()
    state.add_argument("--state", metavar="FILE", help="the hash cache (default: drift's)")
    state.add_argument("--no-state", action="store_true", help="hash every file again")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                   help="how long cloning --registry URL may take")


def main(args: argparse.Namespace) -> int:
    from dataward.runner import command

    if args.command == "verify":
        return command("dataward verify", lambda: _verify(args))
    return command("dataward fingerprint", lambda: _run(args))


def _verify(args: argparse.Namespace) -> int:
    from dataward.drift.cli import catalog_for, default_state
    from dataward.drift.manifests import ManifestCache
    from dataward.errors import UsageError
    from dataward.formats.dvc_config import load
    from dataward.jobs import verify
    from dataward.report.escape import terminal, to_json

    if args.jobs < 1:
        raise UsageError("--jobs must be 1 or more")
    if args.catalog and args.rev != "HEAD":
        raise UsageError("--rev needs --registry: a catalog is of one commit",
                         "pass --registry DIR|URL with --rev, or --version N with --catalog")
    catalog, caches = catalog_for(args)
    dataset = verify.dataset_named(catalog, args.dataset)
    target = verify.version_of(dataset, args.version)
    # `.dir` manifests name the changed files: the registry checkout's DVC cache, if any
    cache_dirs = [load(os.path.join(root, ".dvc")).cache_dir for root in caches]
    state = None if args.no_state else (args.state or default_state())
    found = verify.verify(dataset, target, args.path, ManifestCache(cache_dirs),
                          jobs=args.jobs, state_file=state)
    if args.lineage:
        from dataward.adapters.files import write_replacing

        record = to_json(verify.lineage(found, dataset, catalog, args.path)) + "\n"
        try:
            write_replacing(args.lineage, record.encode())
        except OSError as exc:
            raise UsageError(f"{args.lineage}: {exc.strerror or exc}",
                             "choose a file in a folder you can write to") from None
    where = f"{terminal(args.path)}: {terminal(dataset.name)} version {target.version}"
    if found.status == "ok":
        print(f"{where}: verified, {terminal(verify.describe(found))}")
        return 0
    print(f"{where}: NOT verified, {terminal(verify.describe(found))}")
    return 1


def _run(args: argparse.Namespace) -> int:
    from dataward.drift.cli import default_state
    from dataward.drift.progress import reporter as progress_reporter
    from dataward.errors import UsageError
    from dataward.jobs.fingerprint import fingerprint
    from dataward.report.catalog_text import size
    from dataward.report.text import count

    if args.jobs < 1:
        raise UsageError("--jobs must be 1 or more")
    state = None if args.no_state else (args.state or default_state())
    progress = progress_reporter()
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
