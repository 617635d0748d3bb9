"""dataset-cards remembers valid cards by their bytes: a warm run says exactly what a cold one
says, and an edited card is judged again even when its size and time are unchanged."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from dataward.checks.dataset_cards import main
from dataward.policy import DATASHEET_SECTIONS
from tests.harness.hookrun import Result, runner
from tests.harness.repo import GitRepo

BODY = "\n# Data\n\nRecordings the lab made in 2024.\n" + "".join(
    f"\n## {s}\n\nA few sentences about {s.lower()}.\n" for s in DATASHEET_SECTIONS)


def card(size: str = "n<1K", license_: str = "cc-by-4.0", extra: str = "") -> str:
    return (f"---\npretty_name: Data\nlicense: {license_}\nlanguage:\n- en\n"
            f"size_categories:\n- {size}\nmaintainers:\n- name: Ada Lovelace\n"
            f"  email: ada@lab.example\nsource: https://lab.example/data\n{extra}---\n{BODY}")


def dvcfile(name: str, nfiles: int) -> str:
    return (f"outs:\n- md5: 0123456789abcdef0123456789abcdef.dir\n  size: 100\n"
            f"  nfiles: {nfiles}\n  hash: md5\n  path: {name}\n")


@pytest.fixture
def hook(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    return runner(main, capsys)


@pytest.fixture
def registry(repo: GitRepo) -> GitRepo:
    """Valid cards, an invalid one, a valid card its data disagrees with, a dataset without
    a card and a card without a dataset."""
    repo.write(".dvc/config", "")
    for name, nfiles in (("a", 3), ("b", 5), ("c", 7), ("d", 2000), ("e", 1)):
        repo.write(f"{name}.dvc", dvcfile(name, nfiles))
    repo.write("a.card.md", card())
    repo.write("b.card.md", card(extra="task_categories:\n- image-classification\n"))
    repo.write("c.card.md", card(license_="cc-by-9.9"))
    repo.write("d.card.md", card(extra="one_example_per_file: true\n"))  # 2000 files: not n<1K
    repo.write("orphan.card.md", card())
    repo.add(".")
    return repo


def state_file(repo: GitRepo) -> str:
    return str(repo.path / ".git" / "dataward" / "state-v1" / "dataset-cards.pickle")


def cold(repo: GitRepo, hook: Callable[..., Result], *args: str) -> Result:
    if os.path.exists(state_file(repo)):
        os.remove(state_file(repo))
    return hook("--format", "json", *args)


def test_a_warm_cache_says_exactly_what_a_cold_run_says(registry: GitRepo,
                                                        hook: Callable[..., Result]) -> None:
    first = cold(registry, hook)
    assert os.path.exists(state_file(registry))
    warm = hook("--format", "json")
    assert (warm.code, warm.out, warm.err) == (first.code, first.out, first.err)
    rules = sorted((f["path"], f["rule"]) for f in first.findings())
    assert rules == [("c.card.md", "card-value-not-allowed"), ("d.card.md", "card-size-mismatch"),
                     ("e.dvc", "card-missing"), ("orphan.card.md", "card-orphan")]
    # the text a user reads, with the files given as pre-commit gives them
    given = ["a.dvc", "a.card.md", "c.card.md", "d.dvc"]
    text = hook(*given)
    assert hook(*given) == text
    assert text.code == 1 and "c.card.md:3" in text.out and "cc-by-9.9" in text.out


def test_an_edited_card_of_the_same_size_and_time_is_judged_again(
        registry: GitRepo, hook: Callable[..., Result]) -> None:
    hook("--format", "json")
    path = registry.path / "a.card.md"
    before = path.stat()
    edited = card(license_="cc-bx-4.0")  # same length as cc-by-4.0
    assert len(edited) == before.st_size
    path.write_text(edited)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    warm = hook("--format", "json")
    assert ("a.card.md", "card-value-not-allowed") in {(f["path"], f["rule"])
                                                       for f in warm.findings()}
    assert any("cc-bx-4.0" in f["message"] for f in warm.findings())
    assert cold(registry, hook) == warm


def test_a_changed_dvc_file_is_compared_again_with_a_cached_card(
        registry: GitRepo, hook: Callable[..., Result]) -> None:
    first = hook("--format", "json")
    assert "d.card.md" in {f["path"] for f in first.findings()}
    registry.write("d.dvc", dvcfile("d", 20))  # now n<1K holds it
    warm = hook("--format", "json")
    assert "d.card.md" not in {f["path"] for f in warm.findings()}
    assert cold(registry, hook) == warm
    registry.write("a.dvc", dvcfile("a", 5000))
    registry.write("a.card.md", card(extra="one_example_per_file: true\n"))
    warm = hook("--format", "json")
    assert [f["message"] for f in warm.findings() if f["path"] == "a.card.md"] == [
        "`size_categories` is n<1K, but a.dvc records 5000 files, one example each (the "
        "card's `one_example_per_file: true`)"]
    assert cold(registry, hook) == warm


def test_a_policy_change_is_a_new_cache(registry: GitRepo,
                                        hook: Callable[..., Result]) -> None:
    hook("--format", "json")
    registry.write("dataward.toml", "[dataset-cards]\nrequired-keys = [\"citation\"]\n")
    warm = hook("--format", "json")
    missing = {f["path"] for f in warm.findings() if f["rule"] == "card-missing-key"}
    assert {"a.card.md", "b.card.md"} <= missing
    assert cold(registry, hook) == warm
