"""`dataset-cards`: every dataset in the registry has a card, and the card is true.

A card is Markdown with YAML front matter beside its `.dvc` file (`dog_and_cat.dvc` ->
`dog_and_cat.card.md`, or the policy's `card` pattern). Hugging Face keys keep the Hub's
meaning and allowed values, judged offline; the lab's keys (maintainers, source, ...) come on
top. `read_card`, `agree` and `pairing` are pure; `check` is the one adapter to git and files.

`--profile huggingface` judges only the Hub's keys of the given files: a Hub card, offline.
"""

from __future__ import annotations

import argparse
import os
import posixpath
import re
from collections.abc import Sequence
from typing import Any, Literal, NamedTuple

from dataward import runner
from dataward.adapters.git import Repo
from dataward.filenames import read_capped, repo_paths
from dataward.findings import Finding, Outcome, Severity
from dataward.formats import vocabulary
from dataward.formats.dvcfile import read
from dataward.formats.explain import explain, type_name, where
from dataward.formats.frontmatter import Unsplit, split
from dataward.formats.globs import last_match
from dataward.formats.yamlsafe import CARD, MAX_BYTES, Document, YamlProblem, load
from dataward.policy import DATASHEET_SECTIONS, DatasetCardsPolicy, Policy
from dataward.runner import Request, add_common_options

CHECK_ID = "dataset-cards"
Profile = Literal["lab", "huggingface"]
LICENSES_DOC = "https://huggingface.co/docs/hub/repositories-licenses"
NEW_CARD = "`dataward card new {dvc}` writes one to fill in"
_HINTS = {
    "maintainers": "list who answers for the data: `maintainers: [{name: Ada Lovelace, "
                   "email: ada@lab.example}]` (or `github: USER` instead of email)",
    "source": "say where the data came from: a URL, or how it was made",
    "license": f"a Hub license id such as `cc-by-4.0` ({LICENSES_DOC}), or `other` with "
               "license_name and license_link",
    "pretty_name": "a human-readable name, such as `Dogs and cats`",
    "size_categories": "how many files (examples) it holds, such as `n<1K` or `1K<n<10K`",
    "access": "one of `public`, `lab` or `restricted`",
    "personal_data": "`true` or `false`",
}
# Keys the Hub reads that dataward does not model; never reported as unknown.
_HUB_EXTRAS = ("viewer", "extra_gated_prompt", "extra_gated_fields", "extra_gated_heading",
               "extra_gated_description", "extra_gated_button_content", "train-eval-index",
               "config_names", "arxiv", "thumbnail", "dataset_summary", "model-index")
_SIZE = re.compile(r"^(?:(\d+)([KMBT]?)<n<(\d+)([KMBT]?)|n<(\d+)([KMBT]?)|n>(\d+)([KMBT]?))$")
_UNITS = {"": 1, "K": 10**3, "M": 10**6, "B": 10**9, "T": 10**12}
_BCP47 = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})+")
_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_PLACEHOLDER = re.compile(r"^\s*(?:TODO\b.*|\[More Information Needed\]|<!--.*?-->)\s*$")


class Card(NamedTuple):
    path: str
    doc: Document | None  # the front matter, when it parsed
    offset: int  # add to a front-matter line to get the file line
    body: str
    body_line: int
    findings: list[Finding]

    @property
    def data(self) -> dict[str, Any] | None:
        data = self.doc.data if self.doc is not None else None
        return data if isinstance(data, dict) else None

    def line(self, loc: Sequence[Any]) -> int | None:
        line = self.doc.line_of(tuple(loc)) if self.doc is not None else None
        return line + self.offset if line is not None else None


class Dataset(NamedTuple):
    """What a card's `.dvc` file says about the data."""

    dvcfile: str
    nfiles: int | None  # None when unknown (no hash yet, or an old DVC without nfiles)
    is_import: bool  # `dvc import` from another repository: its card lives there


def finding(path: str, line: int | None, message: str, hint: str,
            severity: Severity = "error", *, rule: str) -> Finding:
    return Finding(path, line, CHECK_ID, message, hint, severity, rule)


# -- read: bytes -> card and its own findings -------------------------------------------------

def read_card(path: str, content: bytes, profile: Profile,
              policy: DatasetCardsPolicy, registry: bool = True) -> Card:
    parts = split(content)
    if isinstance(parts, Unsplit):
        return Card(path, None, 0, "", 1, [finding(path, parts.line, parts.message, parts.hint,
                                                   rule="card-front-matter")])
    offset = parts.yaml_line - 1
    try:
        doc = load(parts.yaml, CARD)
    except YamlProblem as p:
        line = p.line + offset if p.line is not None else parts.yaml_line
        message = re.sub(r"(?<=on line )(\d+)", lambda m: str(int(m.group(1)) + offset),
                         p.message)  # "first on line N" counts front-matter lines
        return Card(path, None, offset, parts.body, parts.body_line,
                    [finding(path, line, f"front matter {message}", p.hint,
                             rule="card-merge-conflict" if p.kind == "conflict"
                             else "card-not-yaml")])
    card = Card(path, doc, offset, parts.body, parts.body_line, [])
    if doc.data is None:
        severity: Severity = "error" if profile == "lab" else "warning"
        card.findings.append(finding(path, parts.yaml_line, "has an empty front matter",
                                     "describe the dataset: license, language, size, ...",
                                     severity, rule="card-empty-front-matter"))
        if profile == "huggingface":
            return card
    elif not isinstance(doc.data, dict):
        card.findings.append(finding(
            path, parts.yaml_line, f"front matter is a YAML {type_name(doc.data)}, not a "
            "mapping", "write `key: value` lines, such as `license: cc-by-4.0`",
            rule="card-front-matter-not-mapping"))
        return card
    data = card.data or {}
    found = card.findings
    found += _key_names(card, data, profile)
    found += _types(card, data, profile)
    found += _values(card, data)
    found += _todos(card, data, ())
    if profile == "lab":
        flagged = {f.line for f in found if f.severity == "error"}
        found += [f for f in _lab_rules(card, data, policy, registry)
                  if not (f.message.endswith("is empty") and f.line in flagged)]
    return card


def _key_names(card: Card, data: dict[str, Any], profile: Profile) -> list[Finding]:
    from dataward.formats.card import LAB_KEYS, LEGACY_KEYS, hub_keys

    known = set(hub_keys()) | set(_HUB_EXTRAS) | (set(LAB_KEYS) if profile == "lab" else set())
    found = []
    for key in data:
        if not isinstance(key, str) or key in known:
            continue
        if key in LEGACY_KEYS:
            found.append(finding(card.path, card.line((key,)), f"`{key}` is the old name of "
                                 f"`{LEGACY_KEYS[key]}`; the Hub ignores it",
                                 f"rename it `{LEGACY_KEYS[key]}`", "warning",
                                 rule="card-legacy-key"))
            continue
        near = vocabulary.suggest(key, known)
        if near and near != key:
            found.append(finding(card.path, card.line((key,)), f"`{key}` is not a card key",
                                 f"did you mean `{near}`?", "warning", rule="card-unknown-key"))
    return found


def _types(card: Card, data: dict[str, Any], profile: Profile) -> list[Finding]:
    from pydantic import ValidationError

    from dataward.formats.card import HubCard, LabCard

    model = LabCard if profile == "lab" else HubCard
    found = []
    if profile == "lab" and isinstance(data.get("version"), float):
        # `version: 1.10` is the number 1.1: say so, rather than "must be a string".
        found.append(finding(card.path, card.line(("version",)), f"`version` is read as the "
                             f"number {data['version']}, not a label", "quote it, such as "
                             "`version: \"1.10\"`, so YAML keeps it as written",
                             rule="card-version-number"))
        data = {k: v for k, v in data.items() if k != "version"}
    try:
        model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
    else:
        return found
    errors = [e for e in errors  # a TODO is reported as one, not as a wrong value too
              if not (isinstance(e.get("input"), str) and _is_todo(e["input"]))]
    for loc, message in explain(data, errors):
        key = next((p for p in loc if isinstance(p, str)), "")
        found.append(finding(card.path, card.line(loc), message,
                             _HINTS.get(key, "fix the value"), rule="card-invalid-value"))
    return found


def _values(card: Card, data: dict[str, Any]) -> list[Finding]:
    """The Hub's vocabulary keys: allowed values, deprecated ones, and near misses."""
    found = []
    for key in vocabulary.KEYS:
        for loc, value in _strings(data, key):
            if key == "source_datasets":
                continue  # `original`, `extended|NAME`, or a dataset id: free text on the Hub
            vocab = vocabulary.hub(key)
            if value in vocab.values:
                continue
            if value in vocab.deprecated:
                found.append(finding(card.path, card.line(loc), f"`{where(loc)}` is "
                                     f"{value!r}, a deprecated value ({vocab.deprecated[value]})",
                                     _replacement(value, vocab), "warning",
                                     rule="card-deprecated-value"))
                continue
            if _is_todo(value):
                continue  # reported once by _todos
            near = vocabulary.suggest(value, vocab.values)
            hint = f"did you mean `{near}`?" if near else _HINTS.get(
                key, f"allowed: {', '.join(vocab.ordered()[:12])}"
                + (", ..." if len(vocab.values) > 12 else ""))
            found.append(finding(card.path, card.line(loc), f"`{where(loc)}` is {value!r}, "
                                 f"not a {key} value the Hub allows", hint,
                                 rule="card-value-not-allowed"))
    found += _languages(card, data)
    license_ = data.get("license")
    licenses = license_ if isinstance(license_, list) else [license_]
    if "other" in licenses and not data.get("license_name"):
        found.append(finding(card.path, card.line(("license",)),
                             "`license: other` without `license_name`",
                             "name the license (`license_name: my-license-1.0`) and say where "
                             "its text is (`license_link: LICENSE.md`)",
                             rule="card-license-unnamed"))
    return found


def _replacement(value: str, vocab: vocabulary.Vocabulary) -> str:
    if value in vocab.replaced_by:
        return f"use {vocab.replaced_by[value]} instead"
    near = vocabulary.suggest(value, vocab.values)
    return f"use a current value{f', such as `{near}`' if near else ''}"


def _languages(card: Card, data: dict[str, Any]) -> list[Finding]:
    found = []
    for loc, value in _strings(data, "language"):
        if _is_todo(value) or value in vocabulary.languages():
            continue
        if value.lower() in vocabulary.languages():
            hint = f"ISO 639 codes are lower case: `{value.lower()}`"
        elif _BCP47.fullmatch(value):
            base = re.split("[-_]", value)[0].lower()
            hint = f"write `{base}` here, and the full tag in `language_bcp47: [{value}]`"
        else:
            hint = "use an ISO 639-1 code such as `en`, or ISO 639-3 such as `eng`"
        found.append(finding(card.path, card.line(loc),
                             f"`{where(loc)}` is {value!r}, not an ISO 639 language code", hint,
                             rule="card-language-code"))
    return found


def _strings(data: dict[str, Any], key: str) -> list[tuple[tuple[Any, ...], str]]:
    value = data.get(key)
    if isinstance(value, str):
        return [((key,), value)]
    if isinstance(value, list):
        return [((key, i), v) for i, v in enumerate(value) if isinstance(v, str)]
    return []


def _is_todo(value: str) -> bool:
    return value.strip().upper().startswith("TODO")


def _todos(card: Card, value: Any, loc: tuple[Any, ...]) -> list[Finding]:
    if isinstance(value, str):
        if _is_todo(value):
            return [finding(card.path, card.line(loc), f"`{where(loc)}` is still TODO",
                            _HINTS.get(str(loc[0]), "fill it in"), rule="card-todo-value")]
        return []
    if isinstance(value, dict):
        return [f for k, v in value.items() for f in _todos(card, v, (*loc, k))]
    if isinstance(value, list):
        return [f for i, v in enumerate(value) for f in _todos(card, v, (*loc, i))]
    return []


def _lab_rules(card: Card, data: dict[str, Any], policy: DatasetCardsPolicy,
               registry: bool) -> list[Finding]:
    found = []
    path = card.path
    if registry:
        for key in policy.required_keys:
            value = data.get(key)
            if value is None or value == [] or value == "":
                state = "is missing" if key not in data else "is empty"
                found.append(finding(path, card.line((key,)) if key in data else 2,
                                     f"`{key}` {state}", _HINTS.get(key, "fill it in"),
                                     rule="card-missing-key"))
    if data.get("personal_data") is True and not data.get("personal_data_basis"):
        found.append(finding(path, card.line(("personal_data",)),
                             "`personal_data: true` without `personal_data_basis`",
                             "say on what basis the lab holds it (consent, ethics approval "
                             "number, ...) in `personal_data_basis`",
                             rule="card-personal-data-basis"))
    found += _body_rules(card, policy)
    return found


def _body_rules(card: Card, policy: DatasetCardsPolicy) -> list[Finding]:
    lines = card.body.splitlines()
    headings = [(i, m.group(2)) for i, line in enumerate(lines)
                if (m := _HEADING.match(line))]
    heading_lines = {i for i, _ in headings}
    found = [finding(card.path, card.body_line + i, "still has a TODO", "write the text it "
                     "asks for",
                     rule="card-todo-text") for i, line in enumerate(lines) if _is_todo(line)]
    described = any(line.strip() and i not in heading_lines and not _PLACEHOLDER.match(line)
                    for i, line in enumerate(lines))
    if not described:
        found.append(finding(card.path, card.body_line - (not lines), "has no description "
                             "after the front "
                             "matter", "write a paragraph: what the data is, how it was made, "
                             "and what it is for", rule="card-no-description"))
    required = {s.lower() for s in policy.required_sections}
    missing: list[str] = []
    empty: list[tuple[str, int]] = []
    for section in DATASHEET_SECTIONS:
        at = next((i for i, text in headings if _section_name(text).startswith(
            section.lower())), None)
        if at is None:
            missing.append(section)
            continue
        end = next((i for i in sorted(heading_lines) if i > at), len(lines))
        if not any(line.strip() and not _PLACEHOLDER.match(line) for line in lines[at + 1:end]):
            empty.append((section, card.body_line + at))
    for section in missing:
        if section.lower() in required:
            found.append(finding(card.path, card.body_line, f"has no `{section}` section",
                                 f"add a `## {section}` heading and answer its questions "
                                 "(the policy requires it)", rule="card-missing-section"))
    for section, line in empty:
        if section.lower() in required:
            found.append(finding(card.path, line, f"the `{section}` section is empty",
                                 "answer its questions (the policy requires it)",
                                 rule="card-empty-section"))
    optional_missing = [s for s in missing if s.lower() not in required]
    optional_empty = [s for s, _ in empty if s.lower() not in required]
    if policy.recommend_sections and (optional_missing or optional_empty):
        parts = ([f"no {_listing(optional_missing)} section"
                  f"{'s' if len(optional_missing) > 1 else ''}"] if optional_missing else [])
        parts += ([f"empty {_listing(optional_empty)} section"
                   f"{'s' if len(optional_empty) > 1 else ''}"] if optional_empty else [])
        found.append(finding(card.path, card.body_line, f"has {' and '.join(parts)}",
                             "Datasheets for Datasets recommends each: `## Motivation`, "
                             "`## Composition`, ... with a few sentences", "warning",
                             rule="card-datasheet-sections"))
    return found


def _listing(names: list[str]) -> str:
    return ", ".join(f"`{n}`" for n in names)


def _section_name(heading: str) -> str:
    return re.sub(r"^[\d.\s]+", "", heading).strip().lower()


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


def agree(card: Card, datasets: list[Dataset]) -> list[Finding]:
    """`size_categories` must hold the number of files the `.dvc` files record."""
    data = card.data
    if data is None or not datasets or any(d.nfiles is None for d in datasets):
        return []
    n = sum(d.nfiles or 0 for d in datasets)
    values = [v for _, v in _strings(data, "size_categories")]
    if not values or any(_is_todo(v) for v in values):
        return []
    ranges = [r for r in map(size_range, values) if r]
    if any(low <= n < high for low, high in ranges):
        return []
    files = ", ".join(d.dvcfile for d in datasets)
    what = f"{n} file{'s' if n != 1 else ''}"
    return [finding(card.path, card.line(("size_categories",)),
                    f"`size_categories` is {', '.join(values)}, but {files} "
                    f"record{'s' if len(datasets) == 1 else ''} {what}",
                    f"set `size_categories: [{category_of(n)}]`, or `dvc add` the right data",
                    rule="card-size-mismatch")]


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
    found = [finding(d, None, f"has no dataset card ({card_path(d, pattern)})",
                     NEW_CARD.format(dvc=d), rule="card-missing")
             for d in datasets if card_path(d, pattern) not in existing
             and last_match(exclude, d) is None]
    owned = {card_path(d, pattern) for d in dvcfiles}
    for c in cards:
        if c in owned:
            continue
        found.append(finding(c, 1, "is a dataset card without a .dvc file",
                             "rename it to match its .dvc file (`git mv`), or remove it if "
                             "the dataset is gone (`git rm`)", rule="card-orphan"))
    return found


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
    datasets: dict[str, Dataset] = {}
    for d in sorted(want_dvc):
        content = read_capped(root, d, MAX_BYTES + 1)
        if isinstance(content, bytes):
            info = dataset_of(d, content)
            if info is not None:
                datasets[d] = info
    needing = [d for d in sorted(want_dvc) if d in dvc_set
               and not (d in datasets and datasets[d].is_import)]
    found: list[Finding] = []
    plain: set[str] = set()
    for c in sorted(want_cards):
        content = read_capped(root, c, MAX_BYTES + 1)
        if content is None:
            continue
        if isinstance(content, OSError):
            found.append(_unreadable(c, content))
            continue
        if "{name}" not in cp.card and c not in owners and not content.startswith(b"---"):
            plain.add(c)  # `{dir}/README.md` names every README: this one is not a card
            continue
        card = read_card(c, content, profile, cp, registry)
        found += card.findings
        mine = [datasets[d] for d in owners.get(c, []) if d in datasets]
        found += agree(card, mine)
    if registry:
        judged = card_set & (want_cards | {card_path(d, cp.card) for d in needing})
        found += pairing(needing, dvcfiles, sorted(judged - plain), cp.card, cp.exclude)
    return found


def _is_card(path: str, pattern: str) -> bool:
    return _card_regex(pattern).fullmatch(path) is not None


def _card_regex(pattern: str) -> re.Pattern[str]:
    body = re.escape(pattern)
    body = body.replace(re.escape("{dir}") + "/", "(?:.+/)?").replace(re.escape("{dir}"), ".+")
    return re.compile(body.replace(re.escape("{name}"), "[^/]+"))


def check_files(names: Sequence[str]) -> list[Finding]:
    """`--profile huggingface` on files: no repository, no pairing, no lab keys."""
    found: list[Finding] = []
    policy = DatasetCardsPolicy()
    for name in names:
        content = read_capped(os.getcwd(), name, MAX_BYTES + 1)
        if content is None:
            found.append(finding(name, None, "does not exist", "check the file name",
                                 rule="card-not-found"))
        elif isinstance(content, OSError):
            found.append(_unreadable(name, content))
        else:
            found += read_card(name, content, "huggingface", policy, registry=False).findings
    return found


def _unreadable(path: str, exc: OSError) -> Finding:
    return finding(path, None, f"cannot be read: {exc.strerror}", "check the file's permissions",
                   rule="card-unreadable")


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
    add_common_options(p)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.profile == "huggingface" and args.filenames:  # Hub cards anywhere: no repository
        result = runner.guarded(CHECK_ID, lambda: runner.outcome(
            CHECK_ID, check_files(args.filenames)))
        return runner.report(result, args.format)
    request = Request(files=tuple(args.filenames), profile=args.profile)
    return runner.main(CHECK_ID, run, request, args.format, args.config)


def run(repo: Repo, policy: Policy, request: Request) -> Outcome:
    return runner.outcome(CHECK_ID, check(repo, request.files, policy, request.profile))


if __name__ == "__main__":
    raise SystemExit(main())
