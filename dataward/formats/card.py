"""A dataset card's front matter: the Hugging Face keys, and the lab's keys on top.

The models check shapes and types; the allowed values of the Hub's vocabulary keys are
judged by the dataset-cards check (with suggestions and deprecation warnings) and appear in
the JSON Schema as enums, so editors can complete them. Keys the Hub knows but dataward does
not judge (`viewer`, `extra_gated_*`, ...) are allowed, as on the Hub.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)

from dataward.formats import vocabulary

# The key names and patterns live without pydantic, for the check's valid path.
from dataward.formats.card_fast import EMAIL as _EMAIL
from dataward.formats.card_fast import GITHUB as _GITHUB
from dataward.formats.card_fast import LAB_KEYS as LAB_KEYS
from dataward.formats.card_fast import LICENSE_ID as _LICENSE_ID

if TYPE_CHECKING:
    from dataward.policy import DatasetCardsPolicy

_LANGUAGE = r"^[a-z]{2,3}$|^code$|^multilingual$"


def _vocabulary(key: str, description: str) -> WithJsonSchema:
    """`key: value` or `key: [values]`, as the Hub accepts; its allowed values as an enum."""
    vocab = vocabulary.hub(key)
    values = sorted(vocab.values | set(vocab.deprecated))
    item = {"type": "string", "enum": values}
    return WithJsonSchema({
        "description": f"{description} Allowed values: {vocab.source} {vocab.version}.",
        "anyOf": [item, {"type": "array", "items": item}, {"type": "null"}]})


NonEmpty = Annotated[str, Field(min_length=1)]
Strings = str | list[str]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _Open(BaseModel):
    """A part of the Hub's metadata with keys dataward does not list: they are kept."""

    model_config = ConfigDict(extra="allow", strict=True, frozen=True)


def _email(value: str | None) -> str | None:
    if value is not None and not _EMAIL.fullmatch(value):
        raise ValueError("is not an email address")
    return value


def _license_id(value: str | None) -> str | None:
    if value is not None and not _LICENSE_ID.fullmatch(value):
        raise ValueError("is not a license id (lower-case letters, digits, `.`, `-`, `+`), "
                         "such as `lab-data-license-1.0`")
    return value


def _github(value: str | None) -> str | None:
    if value is not None and not _GITHUB.fullmatch(value.removeprefix("@")):
        raise ValueError("is not a GitHub user name")
    return value


class Maintainer(_Model):
    """Who answers for the dataset: a name, and an email address or a GitHub user name."""

    model_config = ConfigDict(json_schema_extra={
        "anyOf": [{"required": ["email"]}, {"required": ["github"]}]})

    name: Annotated[NonEmpty, Field(description="The person's (or team's) name.")]
    email: Annotated[str | None, AfterValidator(_email),
                     Field(description="An email address that reaches them.")] = None
    github: Annotated[str | None, AfterValidator(_github),
                      Field(description="Their GitHub user name.")] = None

    @model_validator(mode="after")
    def _reachable(self) -> Maintainer:
        if self.email is None and self.github is None:
            raise ValueError("needs an `email` or a `github` user name, so someone can reach "
                             "them")
        return self


class DataFiles(_Open):
    split: NonEmpty
    path: Strings


class Config(_Open):
    """One entry of `configs`: a named subset and the files that hold it."""

    config_name: NonEmpty
    data_files: Strings | list[DataFiles] | None = None
    data_dir: str | None = None
    default: bool | None = None


class SplitInfo(_Open):
    name: NonEmpty
    num_bytes: Annotated[int, Field(ge=0)] | None = None
    num_examples: Annotated[int, Field(ge=0)] | None = None


class DatasetInfo(_Open):
    """`dataset_info`, as the datasets library writes it (features, splits, sizes)."""

    config_name: str | None = None
    features: list[Any] | dict[str, Any] | None = None
    splits: list[SplitInfo] | None = None
    download_size: Annotated[int, Field(ge=0)] | None = None
    dataset_size: Annotated[int, Field(ge=0)] | None = None


class HubCard(_Open):
    """The keys of a Hugging Face dataset card (https://huggingface.co/docs/hub/datasets-cards)."""

    pretty_name: Annotated[NonEmpty | None, Field(
        description="A human-readable name for the dataset.")] = None
    license: Annotated[Strings | None, _vocabulary(
        "license", "The dataset's license: a Hub license id; `other` with license_name and "
        "license_link for any other.")] = None
    license_name: Annotated[str | None, AfterValidator(_license_id), Field(
        description="An id for a license not on the Hub's list (with `license: other`).",
        json_schema_extra={"pattern": _LICENSE_ID.pattern})] = None
    license_link: Annotated[NonEmpty | None, Field(
        description="Where the license text is: a URL, or a file in the repository.")] = None
    language: Annotated[Strings | None, WithJsonSchema({
        "description": "Languages of the data: ISO 639-1, 639-2 or 639-3 codes, or `code`, "
                       "`multilingual`.",
        "anyOf": [{"type": "string", "pattern": _LANGUAGE},
                  {"type": "array", "items": {"type": "string", "pattern": _LANGUAGE}}]})] = None
    language_bcp47: Annotated[list[str] | None, Field(
        description="BCP-47 tags (en-US, zh-Hant) where a region or script matters.")] = None
    language_details: str | None = None
    size_categories: Annotated[Strings | None, _vocabulary(
        "size_categories", "How many examples (for dataward: files) the dataset holds.")] = None
    task_categories: Annotated[Strings | None, _vocabulary(
        "task_categories", "What tasks the data is for.")] = None
    task_ids: Annotated[Strings | None, _vocabulary(
        "task_ids", "Finer tasks within the task categories.")] = None
    multilinguality: Annotated[Strings | None, _vocabulary(
        "multilinguality", "Whether the data is in one language.")] = None
    annotations_creators: Annotated[Strings | None, _vocabulary(
        "annotations_creators", "Who made the annotations.")] = None
    language_creators: Annotated[Strings | None, _vocabulary(
        "language_creators", "Who wrote the text.")] = None
    source_datasets: Annotated[Strings | None, Field(
        description="`original`, `extended`, or `extended|NAME` for data built on another "
                    "dataset.")] = None
    tags: Annotated[Strings | None, Field(description="Free keywords.")] = None
    paperswithcode_id: str | None = None
    configs: Annotated[list[Config] | None, Field(
        description="Named subsets and their data files.")] = None
    dataset_info: Annotated[DatasetInfo | list[DatasetInfo] | None, Field(
        description="Features, splits and sizes, as the datasets library writes them.")] = None


class LabCard(HubCard):
    """A dataset card in the lab's registry: the Hub's keys, and who, where from, and how."""

    maintainers: Annotated[list[Maintainer] | None, Field(
        min_length=1, description="Who answers for the dataset.")] = None
    source: Annotated[NonEmpty | None, Field(
        description="Where the data came from: a URL, or how it was made.")] = None
    personal_data: Annotated[bool | None, Field(
        description="Whether the data holds personal data.")] = None
    personal_data_basis: Annotated[NonEmpty | None, Field(
        description="The legal basis for holding personal data (consent, ...).")] = None
    access: Annotated[Literal["public", "lab", "restricted"] | None, Field(
        description="Who may use it: `public`, `lab` members, or `restricted` (ask the "
                    "maintainers).")] = None
    version: Annotated[str | int | None, Field(
        description="A version label; quote it (\"1.10\") so YAML keeps it text.")] = None
    citation: Annotated[NonEmpty | None, Field(
        description="How to cite the dataset (BibTeX or text).")] = None
    one_example_per_file: Annotated[bool | None, Field(
        description="Each file the .dvc file records is one example (an image, a "
                    "recording): size_categories is compared with the file count. Overrides "
                    "the policy's one-example-per-file.")] = None


def hub_keys() -> list[str]:
    return list(HubCard.model_fields)


def policy_problems(policy: DatasetCardsPolicy) -> list[tuple[list[str], str]]:
    """`[dataset-cards]` values that types alone do not catch, as (key path, message)."""
    from dataward.checks.dataset_cards.verdicts import promotable, refused
    from dataward.policy import CARD_PLACEHOLDERS, DATASHEET_SECTIONS

    bad: list[tuple[list[str], str]] = []
    card = policy.card
    if not card.endswith(".md"):
        bad.append((["card"], f"{card!r} must name a Markdown file (end in .md)"))
    if not any(p in card for p in CARD_PLACEHOLDERS):
        bad.append((["card"], f"{card!r} must use {{dir}} or {{name}}"))
    stripped = card
    for p in CARD_PLACEHOLDERS:
        if stripped.count(p) > 1:
            bad.append((["card"], f"{card!r} uses {p} more than once"))
        stripped = stripped.replace(p, "")
    if "{" in stripped or "}" in stripped:
        bad.append((["card"], f"{card!r}: the only placeholders are {{dir}} and {{name}}"))
    if card.startswith("/") or ".." in card.split("/") or "\\" in card:
        bad.append((["card"], f"{card!r} must be a relative path with / and no .."))
    known = set(hub_keys()) | set(LAB_KEYS)
    bad += [(["required-keys"], f"{k!r} is not a card key") for k in policy.required_keys
            if k not in known]
    bad += [(["required-sections"], f"{s!r} is not one of {', '.join(DATASHEET_SECTIONS)}")
            for s in policy.required_sections
            if s.lower() not in (d.lower() for d in DATASHEET_SECTIONS)]
    # Only keys the Hub warns about can be promoted: what it refuses is already an error.
    keys = promotable()
    bad += [(["strict-keys"], f"{k!r} is always an error: the Hub refuses a bad value"
             if refused(k) else f"{k!r} is not a key the Hub only warns about; one of "
             f"{', '.join(keys)}") for k in policy.strict_keys if k not in keys]
    return bad
