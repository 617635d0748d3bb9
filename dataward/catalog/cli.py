"""`dataward catalog build|publish`, `dataward ls` and `dataward show`: the catalog's commands.

Each returns an exit code; errors a user can cause are one line and the fix (exit 2, or 3 when
GitHub or the history could not be reached).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from dataward.errors import UsageError
from dataward.report.text import count

if TYPE_CHECKING:  # pydantic stays out of `dataward hook`'s start-up, which parses these too
    from dataward.adapters.git import Repo
    from dataward.catalog.model import Catalog, Dataset
    from dataward.drift.history import Snapshot
    from dataward.drift.model import DriftReport

DEFAULT_BRANCH = "dataward"
MAX_CATALOG_BYTES = 256 << 20  # thousands of datasets' versions fit; /dev/zero does not
CATALOG_URL_TIMEOUT = 60.0  # seconds for a published catalog.json to arrive


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    catalog = sub.add_parser("catalog", help="the registry's catalog of datasets")
    actions = catalog.add_subparsers(dest="catalog_command", required=True, metavar="ACTION")
    build = actions.add_parser("build", help="write catalog.json (and the Croissant records "
                                             "and the web page) from git history")
    _source(build)
    build.add_argument("-o", "--output", default="catalog.json", metavar="FILE",
                       help="where to write the catalog (default: catalog.json; - for stdout)")
    build.add_argument("--croissant-dir", metavar="DIR",
                       help="also write one Croissant JSON-LD record per dataset here")
    build.add_argument("--html", metavar="FILE", help="also write the web page here")
    build.add_argument("--drift", metavar="DIR",
                       help="with --html: the page also says which environments hold which "
                            "version, from this drift folder (`dataward drift collect -o DIR`, "
                            "or a checkout of the dataward branch's drift/)")
    publish = actions.add_parser("publish", help="commit the catalog, the Croissant records "
                                                 "and the page to a branch on GitHub")
    _source(publish)
    for p in (build, publish):
        p.add_argument("--stale-days", type=_days, default=3.0, metavar="DAYS",
                       help="the page marks an environment whose drift report is older "
                            "stale (default: 3, as `drift publish` and `drift collect`)")
    publish.add_argument("--branch", default=DEFAULT_BRANCH,
                         help=f"the branch to publish to (default: {DEFAULT_BRANCH}, which "
                              "GitHub Pages can serve)")
    for name, text in (("ls", "list the registry's datasets"),
                       ("show", "one dataset: its card, versions and how to use it")):
        p = sub.add_parser(name, help=text)
        if name == "show":
            p.add_argument("name", help="the dataset's name (its path in the registry)")
            p.add_argument("--remote", action="store_true",
                           help="also ask the DVC remote what a pull of the current version "
                                "meets now: archived, missing or corrupt objects")
        _source(p)
        p.add_argument("--catalog", metavar="FILE|URL",
                       help="read this catalog.json (a file, or the published one's URL) "
                            "instead of building one from the repository")


def _days(text: str) -> float:
    try:
        days = float(text)
    except ValueError:
        days = float("nan")
    if not days > 0:  # also NaN
        raise argparse.ArgumentTypeError(f"{text}: a report is stale after a number of days "
                                         "above 0, e.g. --stale-days 3")
    return days


def _source(p: argparse.ArgumentParser) -> None:
    p.add_argument("--repo", default=".", metavar="DIR", help="the registry (default: here)")
    p.add_argument("--rev", default="HEAD", help="the commit to describe (default: HEAD)")
    p.add_argument("--registry-url", metavar="URL",
                   help="the registry's URL for `dvc import` (default: GitHub's repository "
                        "in Actions, else the `origin` remote)")
    p.add_argument("--config", metavar="FILE", help="policy file (default: dataward.toml, "
                                                    "else pyproject.toml)")


def main(args: argparse.Namespace) -> int:
    from dataward.runner import command

    return command(f"dataward {args.command}", lambda: _main(args))


def _main(args: argparse.Namespace) -> int:
    if args.command == "catalog" and args.catalog_command == "build":
        return _build(args)
    if args.command == "catalog":
        return _publish(args)
    catalog = load_catalog(args.catalog) if args.catalog else _catalog(args)
    from dataward.report import catalog_text

    if args.command == "ls":
        catalog_text.print_list(catalog)
        return 0
    dataset = find(catalog, args.name)
    state = None
    if args.remote:
        from dataward.catalog import pullable

        state = pullable.ask(args.repo, dataset)
    catalog_text.print_dataset(catalog, dataset, state)
    return 1 if state is not None and (state.archived or state.missing) else 0


def find(catalog: Catalog, name: str) -> Dataset:
    for dataset in catalog.datasets:
        # A dvc.lock declares many datasets: it names none of them alone.
        if name in (dataset.name, None if dataset.stage else dataset.dvc_file,
                    dataset.name.rstrip("/")) or name.rstrip("/") == dataset.name:
            return dataset
    near = [d.name for d in catalog.datasets if name.lower() in d.name.lower()]
    raise UsageError(f"no dataset {name!r} in the catalog",
                     f"did you mean {', '.join(near[:5])}?" if near else
                     "`dataward ls` lists them")


def _catalog(args: argparse.Namespace) -> Catalog:
    from dataward.adapters.git import Repo
    from dataward.catalog import build as catalog
    from dataward.policy import load as load_policy

    if not os.path.isdir(args.repo):
        raise UsageError(f"{args.repo} is not a folder", "pass --repo the registry's checkout")
    repo = Repo.discover(args.repo)
    policy = load_policy(repo.root, args.config).policy
    # Pulls are priced by the registry's policy as committed at --rev, unless --config names
    # the policy to use.
    price = catalog.finite_price(policy.remote.transfer_usd_per_gb, args.config) \
        if args.config else None
    return catalog.build(repo, args.rev, policy.dataset_cards, registry_url(args, repo), price)


def registry_url(args: argparse.Namespace, repo: Repo) -> str | None:
    """--registry-url, else the repository GitHub Actions runs for, else `origin`."""
    if args.registry_url:
        return str(args.registry_url)
    server, name = os.environ.get("GITHUB_SERVER_URL"), os.environ.get("GITHUB_REPOSITORY")
    if server and name:
        return f"{server.rstrip('/')}/{name}"
    url = repo.remote_url("origin") or ""
    if url and "://" not in url and ":" not in url.split("/")[0]:  # a local path
        url = os.path.normpath(os.path.join(repo.root, url))  # as a clone elsewhere needs it
    return url or None


def load_catalog(path: str) -> Catalog:
    from pydantic import ValidationError

    from dataward.adapters.files import read_given
    from dataward.adapters.http_get import fetch, is_url
    from dataward.catalog.model import Catalog
    from dataward.formats.urls import mask

    try:  # regular files only, bounded: `--catalog` a FIFO must not hang `dataward ls`
        raw = (fetch(path, MAX_CATALOG_BYTES, CATALOG_URL_TIMEOUT) if is_url(path)
               else read_given(path, MAX_CATALOG_BYTES))
        path = mask(path)  # what the messages below show
        return Catalog.model_validate_json(raw.decode())
    except OSError as exc:
        raise UsageError(f"{path}: {exc.strerror}", "pass a catalog.json that "
                         "`dataward catalog build` wrote") from None
    except (ValidationError, UnicodeDecodeError) as exc:
        problems = exc.error_count() if isinstance(exc, ValidationError) else 1
        raise UsageError(f"{path} is not a dataward catalog "
                         f"({count(problems, 'problem')})",
                         "rebuild it with `dataward "
                         "catalog build`") from None


def files(catalog: Catalog) -> dict[str, bytes]:
    """What a publication writes: catalog.json, croissant/<name>.json, index.html."""
    from dataward.catalog import croissant
    from dataward.catalog import page as catalog_html
    from dataward.catalog.build import to_json

    out = {"catalog.json": to_json(catalog).encode(),
           "index.html": catalog_html.render(catalog).encode(),
           ".nojekyll": b""}
    for name, text in croissant.documents(catalog).items():
        out[f"croissant/{name}"] = text.encode()
    return out


def _build(args: argparse.Namespace) -> int:
    from dataward.catalog.build import to_json

    if args.drift and not args.html:
        raise UsageError("--drift needs --html: the drift reports are shown on the page",
                         "add --html FILE, or leave out --drift")
    drift = _drift(args.drift) if args.drift else None  # before the long walk through history
    catalog = _catalog(args)
    text = to_json(catalog)
    if args.output == "-":
        sys.stdout.write(text)
    else:
        _write(args.output, text)
    if args.croissant_dir:
        from dataward.catalog import croissant

        if os.path.exists(args.croissant_dir) and not os.path.isdir(args.croissant_dir):
            raise UsageError(f"{args.croissant_dir} is a file, not a folder",
                             "pass --croissant-dir a folder (it is made when missing)")
        for name, doc in croissant.documents(catalog).items():
            _write(os.path.join(args.croissant_dir, name), doc)
    if args.html:
        from dataward.catalog import page as catalog_html

        holdings = None
        if drift is not None:
            from dataward.drift.history import holdings as holdings_of

            holdings = holdings_of(*drift, stale_days=args.stale_days)
        _write(args.html, catalog_html.render(catalog, holdings))
    versions = sum(len(d.versions) for d in catalog.datasets)
    where = [p for p in (None if args.output == "-" else args.output, args.croissant_dir,
                         args.html) if p]
    print(f"catalog of {catalog.commit[:12]}: {count(len(catalog.datasets), 'dataset')}, "
          f"{count(versions, 'version')}" + (f"; wrote {', '.join(where)}" if where else "")
          + (f" with the drift reports of {count(len(drift[0]), 'environment')}"
             if drift is not None else ""),
          file=sys.stderr if args.output == "-" else sys.stdout)
    return 0


def _drift(folder: str) -> tuple[list[DriftReport], dict[str, list[Snapshot]]]:
    """The reports and histories of a drift folder; a folder that cannot be listed is a
    usage error naming it (a file in it that is no report is left out, never an error)."""
    import shlex

    from dataward.drift import collection
    from dataward.report.escape import terminal

    try:
        return collection.load(folder)
    except OSError as exc:
        raise UsageError(f"--drift {terminal(folder)}: {exc.strerror or exc}",
                         "pass --drift a drift folder: `dataward drift collect --remote NAME -o "
                         f"{shlex.quote(folder)}`, or a checkout of the dataward branch's "
                         "drift/ folder") from None


class _Newer(Exception):
    """The branch already holds the catalog of a later commit."""


def _publish(args: argparse.Namespace) -> int:
    import json

    from dataward.adapters.git import Repo
    from dataward.adapters.github.client import Client
    from dataward.adapters.github.env import Actions, append_summary, write_output
    from dataward.catalog import page as catalog_html
    from dataward.drift import collection
    from dataward.drift.history import holdings

    catalog = _catalog(args)
    repo = Repo.discover(args.repo)
    actions = Actions.from_environ()
    client = Client(actions.api_url, actions.token, actions.repository)
    ours = files(catalog)

    def unless_newer(paths: Sequence[str], read: Callable[[str], bytes]
                     ) -> Mapping[str, bytes | None]:
        # A re-run of an old job, or publishers racing, must not put an older catalog over a
        # newer one: keep the branch's when its commit descends from ours.
        page: dict[str, bytes | None] = {}
        drift = collection.from_files(paths, read)
        if drift[0]:  # the page says which environment holds which version
            page["index.html"] = catalog_html.render(
                catalog, holdings(*drift, stale_days=args.stale_days)).encode()
            if "catalog.json" in paths and read("catalog.json") == ours["catalog.json"]:
                # The same catalog: the page on the branch was written with these reports
                # by the commit that brought the last of them; a new one would differ only
                # in its ages, and every run would make a commit.
                page = {"index.html": read("index.html")} if "index.html" in paths else page
        if "catalog.json" in paths:
            try:
                theirs = str(json.loads(read("catalog.json")).get("commit", ""))
            except ValueError:
                theirs = ""
            if theirs and theirs != catalog.commit and repo.is_ancestor(catalog.commit, theirs):
                raise _Newer(theirs)
        return {**ours, **page}

    try:
        sha = client.commit_files(args.branch, unless_newer,
                                  f"catalog of {catalog.commit[:12]}: "
                                  f"{count(len(catalog.datasets), 'dataset')}",
                                  replace=("croissant/",))
    except _Newer as newer:
        said = (f"catalog of {catalog.commit[:12]}: {args.branch} already holds the catalog "
                f"of a later commit, {str(newer)[:12]}; no commit")
        sha = None
    else:
        said = (f"catalog of {catalog.commit[:12]}: "
                + (f"published to {args.branch} as {sha[:12]}" if sha else
                   f"{args.branch} already holds it; no commit"))
    print(said)
    append_summary(actions.step_summary, f"### dataward catalog\n\n{said}: "
                   f"{count(len(catalog.datasets), 'dataset')}")
    write_output(actions.output, {"commit": sha or ""})
    return 0


def _write(path: str, text: str) -> None:
    """Through a unique temporary file: a link is written through, a FIFO or device refused,
    and a user's own `OUTPUT.tmp` left alone."""
    from dataward.adapters.files import Refused, write_replacing

    try:
        write_replacing(path, text.encode())
    except Refused as exc:
        raise UsageError(f"{path} {exc.strerror}", "name a regular file to write, or a new "
                         "one") from None
    except OSError as exc:
        raise UsageError(f"{path}: {exc.strerror}", "choose a folder you can write to") from None
