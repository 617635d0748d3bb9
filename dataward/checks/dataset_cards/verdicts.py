"""The Hub's own verdicts on a card's metadata, and the severity dataward gives each.

A value is an error only where the Hub refuses the push (its YAML validation answers 400,
`Invalid metadata in README.md`); where the Hub accepts it (showing a metadata warning, or
ignoring it) it is a warning, which the lab's policy can promote (`[dataset-cards] strict`,
`strict-keys`).
Each verdict names its source; docs/checks.md shows the same table, and a test checks they
agree. Pure.
"""

from __future__ import annotations

from typing import NamedTuple

from dataward.findings import Severity
from dataward.policy import DatasetCardsPolicy

_HF_HUB = "https://github.com/huggingface/huggingface_hub"
_DATASETS = "https://github.com/huggingface/datasets"
_HUB_DOCS = "https://github.com/huggingface/hub-docs"


class Verdict(NamedTuple):
    keys: tuple[str, ...]  # the card keys it is about; `strict-keys` names them
    hub: str  # what the Hub does with such a card
    refused: bool  # the Hub refuses the push: an error whatever the policy says
    source: str


VERDICTS: dict[str, Verdict] = {
    "yaml": Verdict(
        (), "refuses the push: \"Sorry, your push was rejected during YAML metadata "
        "verification\"", True,
        f"{_DATASETS}/issues/5090; {_HF_HUB} src/huggingface_hub/hf_api.py `_validate_yaml`"),
    "no-metadata": Verdict(
        (), "accepts it with a warning (\"Warnings while validating metadata in README.md\")",
        False, f"{_HF_HUB} tests/test_hf_api.py `test_commit_modelcard_empty_metadata`"),
    "license": Verdict(
        ("license",), "refuses a value not on its list: `\"license\" must be one of [...]`",
        True, f"{_HF_HUB} tests/test_repocard.py `test_validate_repocard`; "
        f"{_HF_HUB}/issues/4218; {_HUB_DOCS}/issues/1755"),
    "license_name": Verdict(
        ("license_name",), "accepts `license: other` without `license_name` (its card "
        "template asks for one)", False,
        f"{_HUB_DOCS} datasetcard.md (`license_name`: \"If license = other ... specify an "
        "id\")"),
    "language": Verdict(
        ("language",), "refuses a value that is not ISO 639: `It must be an ISO 639-1, 639-2 "
        "or 639-3 code (two/three letters), or a special value like \"code\", "
        "\"multilingual\"`", True,
        "https://github.com/embeddings-benchmark/mteb mteb/abstasks/TaskMetadata.py "
        "(`_hf_languages`, quoting the Hub); https://github.com/espnet/espnet_model_zoo/pull/102"),
    "legacy-keys": Verdict(
        ("languages", "licenses"), "refuses the old plural keys `languages`, `licenses` (a "
        "ValueError on every later metadata change)", True, f"{_DATASETS}/issues/5158; "
        f"{_DATASETS}/issues/5137"),
    "types": Verdict(
        (), "refuses a value of the wrong type: `\"license\" does not match any of the allowed "
        "types`, `\"model-index[0]...\" must be a string`", True,
        f"{_DATASETS}/issues/5090; {_HF_HUB} tests/test_hf_api.py "
        "`test_commit_modelcard_invalid_metadata`"),
    "task_categories": Verdict(
        ("task_categories",), "accepts a category not on its list (deprecated or unknown): "
        "the dataset is not listed under it", False,
        "https://github.com/embeddings-benchmark/mteb mteb/abstasks/TaskMetadata.py "
        "(pushes `image-clustering`, on no list, through `DatasetCard.push_to_hub`, which "
        "validates with the Hub)"),
    "task_ids": Verdict(
        ("task_ids",), "accepts a task id not on its list", False,
        "https://huggingface.co/datasets/PolyAI/minds14 (`task_ids: speech-recognition`, "
        "tests/fixtures/hf-cards/polyai-minds14.md); https://github.com/embeddings-benchmark/"
        "mteb mteb/abstasks/TaskMetadata.py"),
    "tags": Verdict(
        ("size_categories", "multilinguality", "annotations_creators", "language_creators"),
        "accepts values off the documented lists (such as `annotations_creators: gpt-4`); "
        "only the datasets library's own CI checked them, until 2022", False,
        f"{_DATASETS}/pull/4809 (the datasets CI: \"are not registered tags\"); {_HF_HUB} "
        "src/huggingface_hub/repocard_data.py (`DatasetCardData` lists them, never checks)"),
    "dataset_info": Verdict(
        ("dataset_info",), "accepts `dataset_info` it cannot read (sizes written as "
        "\"2.5GB\"); the datasets library and the viewer read byte and example counts", False,
        f"{_HUB_DOCS} datasetcard.md (`download_size`, `num_bytes`, `num_examples`: "
        "numbers)"),
    "size-agreement": Verdict(
        ("size_categories",), "does not compare `size_categories` with the data", False,
        f"{_HUB_DOCS} docs/hub/datasets-cards.md"),
}


def severity(verdict: str, policy: DatasetCardsPolicy | None = None,
             key: str | None = None) -> Severity:
    """Error where the Hub refuses; else a warning, unless the policy promotes the key."""
    v = VERDICTS[verdict]
    if v.refused or (policy is not None
                     and promoted(policy, key or (v.keys[0] if v.keys else ""))):
        return "error"
    return "warning"


def key_severity(key: str, policy: DatasetCardsPolicy) -> Severity:
    """The severity of a bad value under `key`: the verdict that names the key, else a
    warning (the Hub keeps keys and values it does not know) unless promoted."""
    if refused(key) or promoted(policy, key):
        return "error"
    return "warning"


def refused(key: str) -> bool:
    return any(v.refused and key in v.keys for v in VERDICTS.values())


def promoted(policy: DatasetCardsPolicy, key: str) -> bool:
    return policy.strict or key in policy.strict_keys


def promotable() -> list[str]:
    """The keys `strict-keys` may name: those of verdicts the Hub only warns about."""
    return sorted({k for v in VERDICTS.values() if not v.refused for k in v.keys})
