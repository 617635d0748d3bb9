"""A card, read and judged on its own: the front matter's keys and values (the Hub's
vocabulary, the lab's keys), and its text (TODOs, the description, the policy's sections).
Pure: bytes in, a Card with its findings out."""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from dataward.checks.dataset_cards.verdicts import key_severity, refused, severity
from dataward.findings import Finding, Severity
from dataward.formats import card_fast, vocabulary
from dataward.formats.explain import explain, type_name, where
from dataward.formats.frontmatter import Unsplit, split
from dataward.policy import DATASHEET_SECTIONS, DatasetCardsPolicy

if TYPE_CHECKING:
    from dataward.formats.yamlsafe import Document

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


def finding(path: str, line: int | None, message: str, hint: str,
            severity: Severity = "error", *, rule: str) -> Finding:
    return Finding(path, line, CHECK_ID, message, hint, severity, rule)


# -- read: bytes -> card and its own findings -------------------------------------------------

def read_card(path: str, content: bytes, profile: Profile,
              policy: DatasetCardsPolicy, registry: bool = True) -> Card:
    parts = split(content)
    # The Hub accepts a README without metadata, with a warning; the lab's registry does not.
    bare: Severity = "error" if profile == "lab" else severity("no-metadata", policy)
    if isinstance(parts, Unsplit):
        return Card(path, None, 0, "", 1, [finding(path, parts.line, parts.message, parts.hint,
                                                   bare, rule="card-front-matter")])
    offset = parts.yaml_line - 1
    from dataward.formats.yamlsafe import CARD, YamlProblem, load

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
    card = Card(path, doc, offset, parts.body, parts.body_line, _not_utf8(path, content))
    if doc.data is None:
        card.findings.append(finding(path, parts.yaml_line, "has an empty front matter",
                                     "describe the dataset: license, language, size, ...",
                                     bare, rule="card-empty-front-matter"))
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
    found += _types(card, data, profile, policy)
    found += _values(card, data, policy)
    found += _todos(card, data, (), None if profile == "lab" else policy)
    if profile == "lab":
        flagged = {f.line for f in found if f.severity == "error"}
        found += [f for f in _lab_rules(card, data, policy, registry)
                  if not (f.message.endswith("is empty") and f.line in flagged)]
    return card


def _not_utf8(path: str, content: bytes) -> list[Finding]:
    """The first byte that is not UTF-8 (the front matter's own reader reports those before
    the body is reached); the Hub and every Markdown tool would show garbage there."""
    start = 3 if content.startswith(b"\xef\xbb\xbf") else 0
    try:
        content[start:].decode("utf-8")
    except UnicodeDecodeError as exc:
        from dataward.formats.yamlsafe import MAX_BYTES

        at = start + exc.start
        if len(content) > MAX_BYTES and exc.reason == "unexpected end of data":
            return []  # the read stopped inside a character, not the writer
        line = content.count(b"\n", 0, at) + 1
        q = shlex.quote(path)
        new = shlex.quote(path + ".utf8")
        return [finding(path, line, f"is not UTF-8 text: byte {at} (line {line}) is "
                        f"0x{content[at]:02X}",
                        f"convert it from its encoding (latin1, cp1252, ...): `iconv -f latin1 "
                        f"-t utf-8 {q} > {new} && mv {new} {q}`", rule="card-not-utf8")]
    return []


def _key_names(card: Card, data: dict[str, Any], profile: Profile) -> list[Finding]:
    from dataward.formats.card_fast import HUB_KEYS, LAB_KEYS, LEGACY_KEYS

    known = set(HUB_KEYS) | set(_HUB_EXTRAS) | (set(LAB_KEYS) if profile == "lab" else set())
    found = []
    for key in data:
        if not isinstance(key, str) or key in known:
            continue
        if key in LEGACY_KEYS:
            found.append(finding(card.path, card.line((key,)), f"`{key}` is the old name of "
                                 f"`{LEGACY_KEYS[key]}`; the Hub refuses it",
                                 f"rename it `{LEGACY_KEYS[key]}`", severity("legacy-keys"),
                                 rule="card-legacy-key"))
            continue
        near = vocabulary.suggest(key, known)
        if near and near != key:
            found.append(finding(card.path, card.line((key,)), f"`{key}` is not a card key",
                                 f"did you mean `{near}`?", "warning", rule="card-unknown-key"))
    return found


def _types(card: Card, data: dict[str, Any], profile: Profile,
           policy: DatasetCardsPolicy) -> list[Finding]:
    found = []
    if profile == "lab" and isinstance(data.get("version"), float):
        # `version: 1.10` is the number 1.1: say so, rather than "must be a string".
        found.append(finding(card.path, card.line(("version",)), f"`version` is read as the "
                             f"number {data['version']}, not a label", "quote it, such as "
                             "`version: \"1.10\"`, so YAML keeps it as written",
                             rule="card-version-number"))
        data = {k: v for k, v in data.items() if k != "version"}
    if card_fast.valid(data, lab=profile == "lab"):
        return found  # the usual card: the models would accept it too
    from pydantic import ValidationError

    from dataward.formats.card import HubCard, LabCard

    model = LabCard if profile == "lab" else HubCard
    try:
        model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
    else:
        return found
    errors = [e for e in errors  # a TODO is reported as one, not as a wrong value too
              if not (isinstance(e.get("input"), str) and is_todo(e["input"]))]
    for loc, message in explain(data, errors):
        key = next((p for p in loc if isinstance(p, str)), "")
        # The Hub refuses a wrong type, but not `dataset_info` it cannot read.
        level = severity("dataset_info", policy) if key == "dataset_info" else "error"
        found.append(finding(card.path, card.line(loc), message,
                             _HINTS.get(key, "fix the value"), level,
                             rule="card-invalid-value"))
    return found


def _values(card: Card, data: dict[str, Any], policy: DatasetCardsPolicy) -> list[Finding]:
    """The Hub's vocabulary keys: allowed values, deprecated ones, and near misses."""
    found = []
    for key in vocabulary.KEYS:
        for loc, value in strings(data, key):
            if key == "source_datasets":
                continue  # `original`, `extended|NAME`, or a dataset id: free text on the Hub
            if vocabulary.allowed(key, value):
                continue
            vocab = vocabulary.hub(key)
            level = key_severity(key, policy)
            if value in vocab.deprecated:
                found.append(finding(card.path, card.line(loc), f"`{where(loc)}` is "
                                     f"{value!r}, a deprecated value ({vocab.deprecated[value]})",
                                     _replacement(value, vocab), level,
                                     rule="card-deprecated-value"))
                continue
            if is_todo(value):
                continue  # reported once by _todos
            near = vocabulary.suggest(value, vocab.values)
            hint = f"did you mean `{near}`?" if near else _HINTS.get(
                key, f"allowed: {', '.join(vocab.ordered()[:12])}"
                + (", ..." if len(vocab.values) > 12 else ""))
            # "allows" where the Hub refuses the push; "lists" where it takes the value.
            verb = "allows" if refused(key) else "lists"
            found.append(finding(card.path, card.line(loc), f"`{where(loc)}` is {value!r}, "
                                 f"not {'an' if key[0] in 'aeiou' else 'a'} {key} value the "
                                 f"Hub {verb}", hint, level,
                                 rule="card-value-not-allowed"))
    found += _languages(card, data)
    license_ = data.get("license")
    licenses = license_ if isinstance(license_, list) else [license_]
    if "other" in licenses and not data.get("license_name"):
        found.append(finding(card.path, card.line(("license",)),
                             "`license: other` without `license_name`",
                             "name the license (`license_name: my-license-1.0`) and say where "
                             "its text is (`license_link: LICENSE.md`)",
                             severity("license_name", policy), rule="card-license-unnamed"))
    return found


def _replacement(value: str, vocab: vocabulary.Vocabulary) -> str:
    if value in vocab.replaced_by:
        return f"use {vocab.replaced_by[value]} instead"
    near = vocabulary.suggest(value, vocab.values)
    return f"use a current value{f', such as `{near}`' if near else ''}"


def _languages(card: Card, data: dict[str, Any]) -> list[Finding]:
    found = []
    for loc, value in strings(data, "language"):
        if is_todo(value) or vocabulary.is_language(value):
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


def strings(data: dict[str, Any], key: str) -> list[tuple[tuple[Any, ...], str]]:
    value = data.get(key)
    if isinstance(value, str):
        return [((key,), value)]
    if isinstance(value, list):
        return [((key, i), v) for i, v in enumerate(value) if isinstance(v, str)]
    return []


def is_todo(value: str) -> bool:
    return value.strip().upper().startswith("TODO")


def _todos(card: Card, value: Any, loc: tuple[Any, ...],
           hub: DatasetCardsPolicy | None) -> list[Finding]:
    """`hub`: the Hub profile's policy (a TODO is as bad as the key's verdict); None in the
    lab, where `dataward card new` wrote it and it is always an error."""
    if isinstance(value, str):
        if is_todo(value):
            level = key_severity(str(loc[0]), hub) if hub is not None else "error"
            return [finding(card.path, card.line(loc), f"`{where(loc)}` is still TODO",
                            _HINTS.get(str(loc[0]), "fill it in"), level,
                            rule="card-todo-value")]
        return []
    if isinstance(value, dict):
        return [f for k, v in value.items() for f in _todos(card, v, (*loc, k), hub)]
    if isinstance(value, list):
        return [f for i, v in enumerate(value) for f in _todos(card, v, (*loc, i), hub)]
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
                     rule="card-todo-text") for i, line in enumerate(lines) if is_todo(line)]
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
    named = [(i, _section_name(text)) for i, text in headings]  # once, not per section
    for section in DATASHEET_SECTIONS:
        at = next((i for i, name in named if name.startswith(section.lower())), None)
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


