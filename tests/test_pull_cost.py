"""What a pull of a dataset version transfers and costs: the numbers and the one sentence that
`dataward show`, the catalog page and drift print."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dataward.catalog.pull_cost import GB, PullCost, describe, pull_cost

sizes = st.one_of(st.none(), st.integers(min_value=0, max_value=10**30))
prices = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True),
                   st.sampled_from([0.0, -0.0, 0.114, 0.09, 1e-9, 1e300]))


def test_the_issue_s_example() -> None:
    cost = pull_cost(1_300_000_000, 2500, True, 0.114)
    assert cost == PullCost(2501, 1_300_000_000, pytest.approx(0.1482))
    assert describe(cost, 0.114) == (
        "a pull transfers 2,501 objects, 1.3 GB: about 0.15 USD at 0.114 USD/GB")
    assert describe(cost._replace(archived=12), 0.114) == (
        "a pull transfers 2,501 objects, 1.3 GB, 12 of them archived: about 0.15 USD at "
        "0.114 USD/GB")
    assert describe(cost._replace(archived=0), 0.114).endswith(
        ", 0 of them archived: about 0.15 USD at 0.114 USD/GB")


@pytest.mark.parametrize(("size", "nfiles", "is_dir", "said"), [
    (1, None, False, "a pull transfers 1 object, 1 B: under 0.01 USD at 0.114 USD/GB"),
    (999, None, False, "a pull transfers 1 object, 999 B: under 0.01 USD at 0.114 USD/GB"),
    (1000, 0, True, "a pull transfers 1 object, 1.0 kB: under 0.01 USD at 0.114 USD/GB"),
    (0, None, False, "a pull transfers 1 object, 0 B: 0 USD at 0.114 USD/GB"),
    (None, None, False, "a pull transfers 1 object, size unknown"),  # DVC 1: no size
    (None, 7, True, "a pull transfers 8 objects, size unknown"),
    (10**12 * 3 // 2, 9, True,
     "a pull transfers 10 objects, 1.5 TB: about 171.00 USD at 0.114 USD/GB"),
    (None, None, True,
     "a pull transfers a directory of unknown size (its .dvc file records no file count)"),
])
def test_sentences(size: int | None, nfiles: int | None, is_dir: bool, said: str) -> None:
    assert describe(pull_cost(size, nfiles, is_dir, 0.114), 0.114) == said


def test_a_gb_is_what_aws_bills() -> None:
    assert GB == 10**9
    assert pull_cost(10**9, None, False, 0.114) == PullCost(1, 10**9, pytest.approx(0.114))
    assert describe(pull_cost(2 * 1024**3, None, False, 1.0), 1.0) == (
        "a pull transfers 1 object, 2.1 GB: about 2.15 USD at 1 USD/GB")  # 2 GiB


def test_no_price_says_the_size_alone() -> None:
    assert describe(pull_cost(5 * 10**6, None, False, None), None) == (
        "a pull transfers 1 object, 5.0 MB")
    for bad in (math.nan, math.inf, -1.0):
        assert pull_cost(5, None, False, bad) == PullCost(1, 5, None)
        assert describe(pull_cost(5, None, False, bad), bad) == "a pull transfers 1 object, 5 B"


@given(size=sizes, nfiles=st.one_of(st.none(), st.integers(min_value=0, max_value=10**9)),
       is_dir=st.booleans(), usd_per_gb=prices,
       archived=st.one_of(st.none(), st.integers(min_value=0, max_value=10**9)))
def test_objects_and_usd_are_computed_right_and_never_shown_negative_or_nan(
        size: int | None, nfiles: int | None, is_dir: bool, usd_per_gb: float | None,
        archived: int | None) -> None:
    cost = pull_cost(size, nfiles, is_dir, usd_per_gb)
    if is_dir and nfiles is None:
        assert cost is None
    else:
        assert cost is not None
        assert cost.objects == (nfiles + 1 if is_dir and nfiles is not None else 1)
        assert cost.bytes == size
        priced = size is not None and usd_per_gb is not None and math.isfinite(usd_per_gb) \
            and usd_per_gb >= 0 and math.isfinite(size / GB * usd_per_gb)
        if priced:
            assert size is not None and usd_per_gb is not None
            assert cost.usd == pytest.approx(size / 10**9 * usd_per_gb)
            assert cost.usd is not None and cost.usd >= 0 and math.copysign(1, cost.usd) == 1
        else:
            assert cost.usd is None
        cost = cost._replace(archived=archived)
    said = describe(cost, usd_per_gb)
    assert said.startswith("a pull transfers ")
    assert not re.search(r"(?<![\w])-|nan|inf", said, re.IGNORECASE), said
    if cost is not None and cost.usd is not None:
        assert re.search(r": (about [\d,]+\.\d\d|under 0\.01|0) USD at [\d,.e+-]+ USD/GB$",
                         said), said
    if cost is not None and cost.bytes is None:
        assert said.endswith(", size unknown") or "archived" in said


def test_a_size_no_float_holds_is_shown_but_not_priced() -> None:
    cost = pull_cost(10**400, None, False, 0.114)
    assert cost == PullCost(1, 10**400, None)
    said = describe(cost, 0.114)
    assert said.startswith("a pull transfers 1 object, 1") and said.endswith(" TB")
