"""`dataset-cards`: every dataset in the registry has a card, and the card is true.

A card is Markdown with YAML front matter beside its `.dvc` file (`dog_and_cat.dvc` ->
`dog_and_cat.card.md`, or the policy's `card` pattern). Hugging Face keys keep the Hub's
meaning and allowed values, judged offline; the lab's keys (maintainers, source, ...) come on
top. read.py (`read_card`) and pairing.py (`agree`, `pairing`) are pure; `check` here is the
one adapter to git and files.

`--profile huggingface` judges only the Hub's keys of the given files: a Hub card, offline.
"""

from __future__ import annotations

import argparse
import functools
import os
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from dataward import runner
from dataward.adapters.files import fix_for, read_capped, why
from dataward.adapters.git import Repo
from dataward.checks.dataset_cards.pairing import (
    Dataset,
    agree,
    card_path,
    card_pathspec,
    category_of,
    dataset_of,
    mismatch,
    pairing,
    size_range,
    summary,
)
from dataward.checks.dataset_cards.read import (
    CHECK_ID,
    NEW_CARD,
    Card,
    Profile,
    finding,
    read_card,
)
from dataward.filenames import repo_paths
from dataward.findings import Finding, Outcome
from dataward.formats.yamlsafe import MAX_BYTES
from dataward.policy import DatasetCardsPolicy, Policy
from dataward.runner import Request, add_common_options

if TYPE_CHECKING:
    from dataward.checks.dataset_cards.cache import CardCache

__all__ = ["CHECK_ID", "NEW_CARD", "Card", "Dataset", "Profile", "agree", "card_path",
           "card_pathspec", "category_of", "check", "check_files", "dataset_of", "finding",
           "main", "pairing", "read_card", "run", "size_range"]


# -- the adapter: files and git ---------------------------------------------------------------

def check(repo: Repo, names: Sequence[str], policy: Policy,
          profile: Profile) -> list[Finding]:
    cp = policy.dataset_cards
    registry = policy.is_registry
    root = repo.root
    listed = repo.ls_files([":(glob)**/*.dvc", card_pathspec(cp.card)], untracked=True)
    dvcfiles = [p for p in listed if p.endswith(".dvc") and not p.startswith(".dvc/")]
    cards = [p for p in listed if _is_card(p, cp.card)]
    card_set, dvc_set = set(cards), set(dvcfiles)
    owners: dict[str, list[str]] = {}
    for d in dvcfiles:
        owners.setdefault(card_path(d, cp.card), []).append(d)
    if names:
        given = repo_paths(root, names)
        want_dvc = {g for g in given if g.endswith(".dvc")}
        want_cards = {g for g in given if g in card_set or _is_card(g, cp.card)}
        want_cards |= {card_path(d, cp.card) for d in want_dvc} & card_set
        want_dvc |= {d for c in want_cards for d in owners.get(c, [])}
    else:
        want_dvc, want_cards = set(dvcfiles), set(cards)
    from dataward.adapters.state import State
    from dataward.checks.dataset_cards.cache import CardCache

    cache = CardCache(State(repo.common_dir), profile, registry, cp)
    datasets = _datasets(root, sorted(want_dvc), cache)
    needing = [d for d in sorted(want_dvc) if d in dvc_set
               and not (d in datasets and datasets[d].is_import)]
    found: list[Finding] = []
    plain: set[str] = set()
    for c in sorted(want_cards):
        content = read_capped(root, c, MAX_BYTES + 1)
        if content is None:
            continue
        if isinstance(content, OSError):
            if "{name}" in cp.card or c in owners:
                found.append(_unreadable(c, content))
            else:
                plain.add(c)  # perhaps a README, not a card: it is not read to find out
            continue
        if "{name}" not in cp.card and c not in owners and not content.startswith(b"---"):
            plain.add(c)  # `{dir}/README.md` names every README: this one is not a card
            continue
        mine = [datasets[d] for d in owners.get(c, []) if d in datasets]
        known = cache.card(content)
        if known is not None and mismatch(known, mine, cp) is None:
            continue  # valid before, and agrees with its data now
        card = read_card(c, content, profile, cp, registry)
        found += card.findings
        found += agree(card, mine, cp)
        if known is None and not card.findings and card.data is not None:
            cache.remember_card(content, summary(card.data))
    cache.save(full=card_set <= want_cards and dvc_set <= want_dvc)
    if registry:
        judged = card_set & (want_cards | {card_path(d, cp.card) for d in needing})
        found += pairing(needing, dvcfiles, sorted(judged - plain), cp.card, cp.exclude)
    return found


def _datasets(root: str, dvcfiles: list[str], cache: CardCache) -> dict[str, Dataset]:
    """What each readable `.dvc` file says about its data; read again only when changed."""
    datasets: dict[str, Dataset] = {}
    for d in dvcfiles:
        content = read_capped(root, d, MAX_BYTES + 1)
        if isinstance(content, bytes):
            known, info = cache.dataset(d, content)
            if not known:
                info = dataset_of(d, content)
                cache.remember_dataset(d, content, info)
            if info is not None:
                datasets[d] = info
    return datasets


def _is_card(path: str, pattern: str) -> bool:
    return _card_regex(pattern).fullmatch(path) is not None


@functools.cache  # asked for every listed file: built once per pattern
def _card_regex(pattern: str) -> re.Pattern[str]:
    body = re.escape(pattern)
    body = body.replace(re.escape("{dir}") + "/", "(?:.+/)?").replace(re.escape("{dir}"), ".+")
    return re.compile(body.replace(re.escape("{name}"), "[^/]+"))


def check_files(names: Sequence[str], strict: bool = False) -> list[Finding]:
    """`--profile huggingface` on files: no repository, no pairing, no lab keys, no policy
    (`--strict` stands for its `strict = true`)."""
    found: list[Finding] = []
    policy = DatasetCardsPolicy(strict=strict)
    for name in names:
        content = read_capped(os.getcwd(), name, MAX_BYTES + 1)
        if content is None:
            found.append(finding(name, None, "does not exist", "check the file name",
                                 rule="card-not-found"))
        elif isinstance(content, OSError):
            found.append(_unreadable(name, content))
        else:
            card = read_card(name, content, "huggingface", policy, registry=False)
            found += card.findings + agree(card, [], policy)
    return found


def _unreadable(path: str, exc: OSError) -> Finding:
    return finding(path, None, why(exc), fix_for(path, exc), rule="card-unreadable")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=CHECK_ID,
        description="Check that every dataset has a card, that each card is valid "
                    "(Hugging Face keys and values, and the lab's keys), and that it agrees "
                    "with its .dvc file.")
    p.add_argument("filenames", nargs="*",
                   help="cards or .dvc files (a .dvc file brings its card); default: the "
                        "whole repository")
    p.add_argument("--profile", choices=("lab", "huggingface"), default="lab",
                   help="lab (default): registry rules and lab keys; huggingface: only the "
                        "Hub's keys and values of the given cards, offline")
    p.add_argument("--strict", action="store_true",
                   help="what the Hub accepts with a warning (a deprecated task category, "
                        "`license: other` without `license_name`, ...) is an error too, as "
                        "`strict = true` under [dataset-cards]")
    add_common_options(p)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.profile == "huggingface" and args.filenames:  # Hub cards anywhere: no repository
        result = runner.guarded(CHECK_ID, lambda: runner.outcome(
            CHECK_ID, check_files(args.filenames, args.strict)))
        return runner.report(result, args.format)
    request = Request(files=tuple(args.filenames), profile=args.profile)
    return runner.main(CHECK_ID, run_strict if args.strict else run, request, args.format,
                       args.config)


def run(repo: Repo, policy: Policy, request: Request) -> Outcome:
    return runner.outcome(CHECK_ID, check(repo, request.files, policy, request.profile))


def run_strict(repo: Repo, policy: Policy, request: Request) -> Outcome:
    cards = policy.dataset_cards._replace(strict=True)
    return run(repo, policy._replace(dataset_cards=cards), request)


if __name__ == "__main__":
    raise SystemExit(main())

