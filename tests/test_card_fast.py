"""The quick check of a card's usual shape agrees with the models, and its names and value
sets are the models' fields and subsets of the vocabulary files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import dataward
from dataward.formats import card_fast, vocabulary
from dataward.formats.card import HubCard, LabCard

DATA = Path(dataward.__file__).parent / "data"


def test_key_names_are_the_models_fields() -> None:
    assert tuple(HubCard.model_fields) == card_fast.HUB_KEYS
    assert tuple(k for k in LabCard.model_fields
                                       if k not in HubCard.model_fields) == card_fast.LAB_KEYS
    assert set(card_fast.LEGACY_KEYS.values()) <= set(card_fast.HUB_KEYS)


def test_common_values_are_listed_by_the_hub() -> None:
    vocab = json.loads((DATA / "hf_vocabulary.json").read_text())
    for key, common in card_fast.COMMON.items():
        assert key in vocabulary.KEYS
        assert common <= set(vocab[key]["values"]), key
    iso = json.loads((DATA / "iso639.json").read_text())
    assert set(iso["alpha_2"]) | set(iso["special"]) >= card_fast.COMMON_LANGUAGES


_WORDS = st.sampled_from(["", " ", "x", "en", "EN", "eng", "cc-by-4.0", "CC-BY-4.0", "mit",
                          "n<1K", "1K<n<10K", "image-classification", "public", "lab",
                          "TODO", "other", "Lab-1.0", "lab-1.0", "ada@lab.example",
                          "not an email", "@ada", "-bad-", "en-US"])
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(0, 2),
                     _WORDS, st.text(max_size=5))
_VALUES = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3),
    st.dictionaries(st.sampled_from(["name", "email", "github", "x", "splits"]), inner,
                    max_size=3)), max_leaves=6)
_MAINTAINER = st.fixed_dictionaries(
    {"name": _WORDS}, optional={"email": st.one_of(_WORDS, st.none(), st.integers()),
                                "github": st.one_of(_WORDS, st.none()), "x": _WORDS})
_KEYS = st.sampled_from([*card_fast.HUB_KEYS, *card_fast.LAB_KEYS, "viewer", "unknown_key",
                         "languages"])
_TYPED = {"maintainers": st.lists(_MAINTAINER, max_size=2),
          "personal_data": st.one_of(st.booleans(), _WORDS),
          "version": st.one_of(st.integers(), _WORDS, st.booleans()),
          "language": st.one_of(_WORDS, st.lists(_WORDS, max_size=3)),
          "size_categories": st.one_of(_WORDS, st.lists(_WORDS, max_size=2))}


@st.composite
def front_matters(draw: st.DrawFn) -> dict[Any, Any]:
    keys = draw(st.lists(_KEYS, max_size=8, unique=True))
    data: dict[Any, Any] = {k: draw(_TYPED.get(k, _VALUES)) for k in keys}
    if draw(st.booleans()):
        data[draw(st.integers(0, 3))] = "a key that is not text"
    return data


def _model_says(model: type[HubCard], data: dict[Any, Any]) -> HubCard | None:
    try:
        return model.model_validate(data)
    except ValidationError:
        return None


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(front_matters(), st.booleans())
def test_valid_only_where_the_models_accept_with_equal_values(data: dict[Any, Any],
                                                              lab: bool) -> None:
    model = LabCard if lab else HubCard
    accepted = _model_says(model, data)
    if card_fast.valid(data, lab):
        assert accepted is not None, data
        # What the check reads downstream is the data itself: the model reads it unchanged.
        assert accepted.model_dump(exclude_unset=True) == data
    if accepted is None:
        assert not card_fast.valid(data, lab)


def test_the_usual_card_is_valid_without_the_models() -> None:
    card = {"pretty_name": "Dogs", "license": "cc-by-4.0", "language": ["en"],
            "task_categories": ["image-classification"], "size_categories": ["n<1K"],
            "maintainers": [{"name": "Ada Lovelace", "email": "ada@lab.example"}],
            "source": "https://lab.example/dogs", "version": 3}
    assert card_fast.valid(card, lab=True)
    assert card_fast.valid(card, lab=False)  # lab keys are extras to the Hub
    assert not card_fast.valid({**card, "maintainers": []}, lab=True)
    assert not card_fast.valid({**card, "dataset_info": {}}, lab=True)  # the model judges it


@given(st.sampled_from(sorted(card_fast.COMMON_LANGUAGES)) | st.text(max_size=4))
def test_language_codes_agree_with_the_full_list(code: str) -> None:
    assert vocabulary.is_language(code) == (code in vocabulary.languages())
