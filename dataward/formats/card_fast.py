"""A card's key names, the common vocabulary values, and a quick check of the usual shape.

Without pydantic or the vocabulary files: a commit that adds one valid card should pay for
neither. `valid` says True only for front matter whose every key and value it fully
understands and the models in dataward/formats/card.py accept; anything else (a wrong type,
`configs`, `dataset_info`, a key it does not know the type of) is left to those models, which
word what is wrong. tests/test_card_fast.py checks the two agree, and that the names and sets
here are the models' fields and subsets of dataward/data.
"""

from __future__ import annotations

import re
from typing import Any

# The fields of HubCard and LabCard, in their order.
HUB_KEYS = ("pretty_name", "license", "license_name", "license_link", "language",
            "language_bcp47", "language_details", "size_categories", "task_categories",
            "task_ids", "multilinguality", "annotations_creators", "language_creators",
            "source_datasets", "tags", "paperswithcode_id", "configs", "dataset_info")
LAB_KEYS = ("maintainers", "source", "personal_data", "personal_data_basis", "access",
            "version", "citation", "one_example_per_file")
LEGACY_KEYS = {"languages": "language", "licenses": "license"}

# Values of the Hub's lists most cards use: found here, hf_vocabulary.json is not read.
COMMON: dict[str, frozenset[str]] = {
    "license": frozenset((
        "apache-2.0", "mit", "cc-by-4.0", "cc-by-sa-4.0", "cc-by-nc-4.0", "cc-by-nc-sa-4.0",
        "cc-by-nc-nd-4.0", "cc0-1.0", "cc-by-3.0", "odc-by", "odbl", "pddl", "gpl-3.0",
        "bsd-3-clause", "bsd-2-clause", "openrail", "other", "unknown")),
    "size_categories": frozenset((
        "n<1K", "1K<n<10K", "10K<n<100K", "100K<n<1M", "1M<n<10M", "10M<n<100M",
        "100M<n<1B", "1B<n<10B", "10B<n<100B", "100B<n<1T", "n>1T", "other")),
    "task_categories": frozenset((
        "image-classification", "object-detection", "image-segmentation", "text-classification",
        "token-classification", "question-answering", "summarization", "translation",
        "text-generation", "automatic-speech-recognition", "audio-classification",
        "text-to-speech", "tabular-classification", "tabular-regression",
        "time-series-forecasting", "feature-extraction", "image-to-text", "other")),
    "multilinguality": frozenset(("monolingual", "multilingual", "translation", "other")),
    "annotations_creators": frozenset((
        "crowdsourced", "expert-generated", "found", "machine-generated", "no-annotation",
        "other")),
    "language_creators": frozenset((
        "crowdsourced", "expert-generated", "found", "machine-generated", "other")),
}
# ISO 639-1 codes most cards use, and the Hub's special values: iso639.json is not read.
COMMON_LANGUAGES = frozenset((
    "en", "zh", "es", "fr", "de", "ja", "ko", "ru", "pt", "it", "ar", "hi", "nl", "pl", "tr",
    "sv", "fi", "da", "no", "cs", "el", "he", "id", "vi", "th", "uk", "fa", "code",
    "multilingual"))

# The patterns dataward/formats/card.py's validators use too.
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
GITHUB = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}")
LICENSE_ID = re.compile(r"^[a-z0-9][a-z0-9.+-]*$")
_ACCESS = ("public", "lab", "restricted")


def _text(v: Any) -> bool:
    return type(v) is str


def _non_empty(v: Any) -> bool:
    return type(v) is str and len(v) > 0


def _strings(v: Any) -> bool:
    return type(v) is str or (type(v) is list and all(type(x) is str for x in v))


def _string_list(v: Any) -> bool:
    return type(v) is list and all(type(x) is str for x in v)


def _license_name(v: Any) -> bool:
    return type(v) is str and LICENSE_ID.fullmatch(v) is not None


def _bool(v: Any) -> bool:
    return type(v) is bool


def _version(v: Any) -> bool:
    return type(v) is str or type(v) is int


def _access(v: Any) -> bool:
    return type(v) is str and v in _ACCESS


def _maintainers(v: Any) -> bool:
    return type(v) is list and len(v) > 0 and all(_maintainer(m) for m in v)


def _maintainer(m: Any) -> bool:
    if type(m) is not dict or not m.keys() <= {"name", "email", "github"}:
        return False
    email, github = m.get("email"), m.get("github")
    return (_non_empty(m.get("name"))
            and (email is None or (type(email) is str and EMAIL.fullmatch(email) is not None))
            and (github is None or (type(github) is str
                                    and GITHUB.fullmatch(github.removeprefix("@")) is not None))
            and (email is not None or github is not None))


# Each key's test of a value other than null; `configs` and `dataset_info` are not here.
_HUB_TYPES = {
    "pretty_name": _non_empty, "license": _strings, "license_name": _license_name,
    "license_link": _non_empty, "language": _strings, "language_bcp47": _string_list,
    "language_details": _text, "size_categories": _strings, "task_categories": _strings,
    "task_ids": _strings, "multilinguality": _strings, "annotations_creators": _strings,
    "language_creators": _strings, "source_datasets": _strings, "tags": _strings,
    "paperswithcode_id": _text}
_LAB_TYPES = {**_HUB_TYPES, "maintainers": _maintainers, "source": _non_empty,
              "personal_data": _bool, "personal_data_basis": _non_empty, "access": _access,
              "version": _version, "citation": _non_empty, "one_example_per_file": _bool}


def valid(data: dict[Any, Any], lab: bool) -> bool:
    """True only where the model (LabCard when `lab`, else HubCard) accepts `data`; False
    means "ask the model". Keys neither model names are kept by both, whatever their value."""
    types = _LAB_TYPES if lab else _HUB_TYPES
    modelled = set(HUB_KEYS) | (set(LAB_KEYS) if lab else set())
    for key, value in data.items():
        if type(key) is not str:
            return False
        test = types.get(key)
        if test is None:
            if key in modelled:
                return False  # configs, dataset_info: the model reads them
            continue
        if value is not None and not test(value):
            return False
    return True
