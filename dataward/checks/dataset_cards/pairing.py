"""A card and its data: which card belongs to which .dvc file, and whether the card's
`size_categories` agrees with the examples it counts (`dataset_info`) or, where a file is one
example, with the file count the .dvc file records. Pure."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from typing import Any, NamedTuple

from dataward.checks.dataset_cards.read import NEW_CARD, Card, finding, is_todo, strings
from dataward.checks.dataset_cards.verdicts import severity
from dataward.findings import Finding
from dataward.formats import vocabulary
from dataward.formats.dvcfile import read
from dataward.formats.globs import last_match
from dataward.policy import DatasetCardsPolicy

_SIZE = re.compile(r"^(?:(\d+)([KMBT]?)<n<(\d+)([KMBT]?)|n<(\d+)([KMBT]?)|n>(\d+)([KMBT]?))$")
_UNITS = {"": 1, "K": 10**3, "M": 10**6, "B": 10**9, "T": 10**12}


class Dataset(NamedTuple):
    """What a card's `.dvc` file says about the data."""

    dvcfile: str
    nfiles: int | None  # None when unknown (no hash yet, or an old DVC without nfiles)
    is_import: bool  # `dvc import` from another repository: its card lives there


# -- agree: the card and its data --------------------------------------------------------------

def size_range(category: str) -> tuple[int, int] | None:
    """[low, high) of a size category (`1K<n<10K` -> (1000, 10000)); None for `other`."""
    m = _SIZE.match(category)
    if not m:
        return None
    g = m.groups()
    if g[0] is not None:
        return int(g[0]) * _UNITS[g[1]], int(g[2]) * _UNITS[g[3]]
    if g[4] is not None:
        return 0, int(g[4]) * _UNITS[g[5]]
    return int(g[6]) * _UNITS[g[7]], 2**63


def category_of(n: int) -> str:
    vocab = vocabulary.hub("size_categories")
    for category in vocab.ordered():
        bounds = size_range(category)
        if bounds and bounds[0] <= n < bounds[1]:
            return category
    return "other"


class Summary(NamedTuple):
    """What `agree` reads of a card: its `size_categories`, `dataset_info`'s example counts
    and `one_example_per_file`; what the cache of valid cards keeps."""

    sizes: tuple[str, ...]
    counts: dict[str, int]
    said: bool | None  # the card's one_example_per_file


def summary(data: dict[str, Any]) -> Summary:
    said = data.get("one_example_per_file")
    return Summary(tuple(v for _, v in strings(data, "size_categories")), examples(data),
                   said if isinstance(said, bool) else None)


def mismatch(s: Summary, datasets: list[Dataset], policy: DatasetCardsPolicy) -> int | None:
    """The count `size_categories` does not hold (examples, else files); None when it agrees
    or makes no claim."""
    ranges = [r for r in map(size_range, s.sizes) if r]
    if not ranges or any(is_todo(v) for v in s.sizes):
        return None  # no claim (`other`, a TODO, a value reported as not allowed)
    if s.counts:
        if any(low <= n < high for n in s.counts.values() for low, high in ranges):
            return None
        return max(s.counts.values())
    per_file = s.said if s.said is not None else policy.one_example_per_file
    if not per_file or not datasets or any(d.nfiles is None for d in datasets):
        return None
    n = sum(d.nfiles or 0 for d in datasets)
    return None if any(low <= n < high for low, high in ranges) else n


def agree(card: Card, datasets: list[Dataset], policy: DatasetCardsPolicy) -> list[Finding]:
    """`size_categories` counts examples, not files: it is compared with `dataset_info`'s
    `num_examples` when the card has them, else with the file count the `.dvc` files record
    only where a file is one example (the card's `one_example_per_file`, else the policy's).
    The Hub compares neither: a warning, never an error for a file count."""
    data = card.data
    if data is None:
        return []
    s = summary(data)
    n = mismatch(s, datasets, policy)
    if n is None:
        return []
    shown = ", ".join(s.sizes)
    line = card.line(("size_categories",))
    if s.counts:
        return [finding(card.path, line, f"`size_categories` is {shown}, but `dataset_info` "
                        f"counts {_examples(s.counts)}",
                        f"set `size_categories: [{category_of(n)}]`, or correct "
                        "`dataset_info`", severity("size-agreement", policy),
                        rule="card-size-mismatch")]
    files = ", ".join(d.dvcfile for d in datasets)
    why = ("the card's `one_example_per_file: true`" if s.said is not None
           else "the policy's `one-example-per-file`")
    return [finding(card.path, line, f"`size_categories` is {shown}, but {files} "
                    f"record{'s' if len(datasets) == 1 else ''} {n} file{'s' if n != 1 else ''}"
                    f", one example each ({why})",
                    f"set `size_categories: [{category_of(n)}]`, or `dvc add` the right data; "
                    "if a file holds many examples, say `one_example_per_file: false`",
                    "warning", rule="card-size-mismatch")]


def examples(data: dict[str, Any]) -> dict[str, int]:
    """Examples per config of `dataset_info` (`num_examples` summed over its splits); a
    config with a split that does not say how many is left out."""
    info = data.get("dataset_info")
    configs = info if isinstance(info, list) else [info]
    counts: dict[str, int] = {}
    for i, config in enumerate(configs):
        splits = config.get("splits") if isinstance(config, dict) else None
        if not isinstance(splits, list) or not splits:
            continue
        nums = [s.get("num_examples") if isinstance(s, dict) else None for s in splits]
        if all(type(n) is int and n >= 0 for n in nums):
            name = config.get("config_name") if isinstance(config, dict) else None
            counts[name if isinstance(name, str) and name else f"dataset_info[{i}]"] = \
                sum(n for n in nums if isinstance(n, int))
    return counts


def _examples(counts: dict[str, int]) -> str:
    def many(n: int) -> str:
        return f"{n} example{'s' if n != 1 else ''}"
    if len(counts) == 1:
        return many(next(iter(counts.values())))
    return f"{', '.join(f'{many(n)} in `{c}`' for c, n in counts.items())}"


def dataset_of(dvcfile: str, content: bytes) -> Dataset | None:
    """The file count and kind of a `.dvc` file, through the one reader; None when it cannot
    be read (dvc-files says why)."""
    found = read(dvcfile, content)
    if found.problem:
        return None
    total: int | None = 0
    for out in found.outs:
        if out.md5 is None:
            total = None  # not hashed yet
        elif out.is_dir:
            total = total + out.nfiles if out.nfiles is not None and total is not None else None
        elif total is not None:
            total += 1
    return Dataset(dvcfile, total if found.outs else None, found.imported is not None)


# -- pairing: which card belongs to which .dvc file --------------------------------------------

def card_path(dvcfile: str, pattern: str) -> str:
    folder, name = posixpath.split(dvcfile)
    path = pattern.replace("{dir}", folder or ".").replace("{name}", name[: -len(".dvc")])
    return posixpath.normpath(path)


def card_pathspec(pattern: str) -> str:
    """A git pathspec that finds every file the pattern could name."""
    glob = pattern.replace("{dir}/", "**/").replace("{dir}", "**").replace("{name}", "*")
    return f":(glob){glob}"


def pairing(datasets: Sequence[str], dvcfiles: Sequence[str], cards: Sequence[str],
            pattern: str, exclude: Sequence[str]) -> list[Finding]:
    """Registry rules: every dataset has a card, and every card a `.dvc` file.

    `datasets` are the `.dvc` files to judge (imports left out: their card is in the
    repository they come from); `dvcfiles` every `.dvc` file, any of which may own a card.
    """
    existing = set(cards)
    missing = [d for d in datasets if card_path(d, pattern) not in existing
               and last_match(exclude, d) is None]
    if missing:
        from dataward.report.escape import shell_word  # html: only to word a finding
    found = [finding(d, None, f"has no dataset card ({card_path(d, pattern)})",
                     NEW_CARD.format(dvc=shell_word(d)), rule="card-missing")
             for d in missing]
    owned = {card_path(d, pattern) for d in dvcfiles}
    for c in cards:
        if c in owned:
            continue
        found.append(finding(c, 1, "is a dataset card without a .dvc file",
                             "rename it to match its .dvc file (`git mv`), or remove it if "
                             "the dataset is gone (`git rm`)", rule="card-orphan"))
    return found


