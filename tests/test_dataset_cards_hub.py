"""dataset-cards --profile huggingface: a Hub card, judged offline, on files (no repository).

Real cards from the Hub pass; what the Hub would refuse or ignore is reported on the file line
a user sees in their editor, with the fix, and never as a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataward.checks.dataset_cards import category_of, main, size_range
from dataward.checks.dataset_cards.verdicts import VERDICTS
from dataward.formats import vocabulary
from tests.harness.hookrun import Result, runner

HF_CARDS = Path(__file__).parent / "fixtures" / "hf-cards"
# GitHub copies of cards from before October 2022: their old plural keys `languages` and
# `licenses` are what the Hub refuses (datasets#5158 renamed them on the Hub for that reason).
FAILING = {"amazon_reviews_multi.md", "arabic_speech_corpus.md", "bible_para.md",
           "bsd_ja_en.md"}
PASSING = sorted(p.name for p in HF_CARDS.glob("*.md")
                 if p.name not in FAILING and p.name != "SOURCES.md")


@pytest.fixture
def hook(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    return runner(main, capsys)


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        hook: Callable[..., Result]) -> Callable[[str | bytes], Result]:
    """Write `card.md` in a folder that is no git repository, and check it as a Hub card."""
    monkeypatch.chdir(tmp_path)

    def check(text: str | bytes) -> Result:
        data = text.encode() if isinstance(text, str) else text
        (tmp_path / "card.md").write_bytes(data)
        return hook("--profile", "huggingface", "--format", "json", "card.md")
    return check


def errors(res: Result) -> list[dict[str, Any]]:
    return [f for f in res.findings() if f["severity"] == "error"]


def warnings(res: Result) -> list[dict[str, Any]]:
    return [f for f in res.findings() if f["severity"] == "warning"]


def line_of(path: Path, text: str, start: int = 1) -> int:
    """The 1-based number of the first line at or after `start` that is `text`, stripped."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if n >= start and line.strip() == text)


# -- real cards ------------------------------------------------------------------------------

def test_there_are_enough_real_cards() -> None:
    assert len(PASSING) >= 10, PASSING


@pytest.mark.parametrize("name", PASSING)
def test_real_hub_cards_pass(monkeypatch: pytest.MonkeyPatch, hook, name: str) -> None:
    monkeypatch.chdir(HF_CARDS)
    res = hook("--profile", "huggingface", "--format", "json", name)
    assert (res.code, res.err) == (0, "")
    assert errors(res) == []
    assert all(f["path"] == name and f["line"] for f in res.findings())


def test_real_cards_pass_in_one_run_as_pre_commit_passes_them(monkeypatch: pytest.MonkeyPatch,
                                                                 hook) -> None:
    monkeypatch.chdir(HF_CARDS)
    res = hook("--profile", "huggingface", *PASSING)
    assert (res.code, res.err) == (0, "")
    assert "[dataset-cards]" not in res.out  # warnings only: `[dataset-cards, warning]`


def test_amazon_reviews_multi_per_config_dicts_are_errors(monkeypatch: pytest.MonkeyPatch,
                                                           hook) -> None:
    path = HF_CARDS / "amazon_reviews_multi.md"
    monkeypatch.chdir(HF_CARDS)
    res = hook("--profile", "huggingface", "--format", "json", path.name)
    assert (res.code, res.err) == (1, "")
    # The dataset-per-config form of the datasets library 1.x: a mapping where the Hub wants
    # a value or a list.
    assert line_of(path, "multilinguality:") == 28
    assert line_of(path, "size_categories:") == 43
    # The Hub refuses the old plural keys and a mapping where it wants a value or a list.
    assert [(f["line"], f["message"].split(" must be ")[0]) for f in errors(res)] == [
        (6, "`languages` is the old name of `language`; the Hub refuses it"),
        (26, "`licenses` is the old name of `license`; the Hub refuses it"),
        (28, "`multilinguality`"), (43, "`size_categories`")]
    assert [f["hint"] for f in errors(res)[:2]] == ["rename it `language`",
                                                    "rename it `license`"]
    assert all("must be a string or a list, not mapping" in f["message"]
               for f in errors(res)[2:])
    assert "n<1K" in errors(res)[3]["hint"]
    # The datasets-1.x task taxonomy: the Hub takes it, and lists the dataset under none.
    deprecated = {f["message"].split(" is ")[0]: f["hint"] for f in warnings(res)
                  if "deprecated" in f["message"]}
    assert deprecated == {
        "`task_categories[0]`": "use text-generation, translation or summarization instead",
        "`task_categories[1]`": "use text-generation or fill-mask instead",
        "`task_categories[3]`": "use text-classification instead",
        "`task_ids[3]`": "use summarization (a task category) instead"}
    # Values under the plural keys (per-config dicts, `other-amazon-license`) are not judged.
    assert not any("other-amazon-license" in f["message"] for f in res.findings())
    assert not any("languages." in f["message"] for f in res.findings())


def test_minds14_task_id_off_the_list_is_a_warning_as_the_hub_takes_it(
        monkeypatch: pytest.MonkeyPatch, hook) -> None:
    path = HF_CARDS / "polyai-minds14.md"
    monkeypatch.chdir(HF_CARDS)
    res = hook("--profile", "huggingface", "--format", "json", path.name)
    assert (res.code, res.err) == (0, "")  # PolyAI/minds14 is on the Hub with this card
    assert line_of(path, "- speech-recognition") == 49
    assert errors(res) == []
    assert [(f["line"], f["message"]) for f in warnings(res)
            if f["rule"] == "card-value-not-allowed"] == [
        (49, "`task_ids[0]` is 'speech-recognition', not a task_ids value the Hub lists")]
    assert hook("--profile", "huggingface", "--strict", path.name).code == 1
    assert "keyword-spotting" not in res.out  # the next item is a real task id
    (speech,) = [f for f in warnings(res) if "speech-processing" in f["message"]]
    assert speech["line"] == line_of(path, "- speech-processing")
    assert speech["hint"] == "use automatic-speech-recognition instead"


# -- old keys and deprecated values: warnings ------------------------------------------------

def test_old_plural_keys_are_errors_and_their_values_are_not_judged(hub) -> None:
    res = hub("---\nlanguages:\n- EN-us\n- zz\nlicenses: [Bogus-License]\n---\nText.\n")
    assert (res.code, res.err) == (1, "")
    assert [(f["line"], f["severity"], f["message"], f["hint"]) for f in res.findings()] == [
        (2, "error", "`languages` is the old name of `language`; the Hub refuses it",
         "rename it `language`"),
        (5, "error", "`licenses` is the old name of `license`; the Hub refuses it",
         "rename it `license`")]


@pytest.mark.parametrize(("yaml", "value", "hint"), [
    ("task_categories: [conversational]", "'conversational'", "use text-generation instead"),
    ("size_categories: unknown", "'unknown'", "use other instead"),
    ("task_categories:\n- text2text-generation", "'text2text-generation'",
     "use text-generation instead"),
])
def test_deprecated_values_are_warnings_with_the_replacement(hub, yaml: str, value: str,
                                                             hint: str) -> None:
    res = hub(f"---\nlicense: mit\n{yaml}\n---\nText.\n")
    assert (res.code, res.err) == (0, "")
    (found,) = res.findings()
    assert found["severity"] == "warning"
    assert found["line"] == 2 + yaml.count("\n") + 1
    assert f"is {value}, a deprecated value" in found["message"]
    assert found["hint"] == hint


# -- values the Hub refuses ------------------------------------------------------------------

@pytest.mark.parametrize(("yaml", "line", "message", "hint"), [
    ("license: Apache-2.0", 3, "`license` is 'Apache-2.0', not a license value the Hub allows",
     "did you mean `apache-2.0`?"),
    ("license: lab-internal-license", 3, "`license` is 'lab-internal-license', not a license "
     "value", "a Hub license id such as `cc-by-4.0`"),
    ("language: en-US", 3, "`language` is 'en-US', not an ISO 639 language code",
     "write `en` here, and the full tag in `language_bcp47: [en-US]`"),
    ("language:\n- fr\n- EN", 5, "`language[1]` is 'EN', not an ISO 639 language code",
     "ISO 639 codes are lower case: `en`"),
    ("language: english", 3, "`language` is 'english'", "ISO 639-1 code such as `en`"),
    ("license: [mit, 3]", 3, "`license[1]` must be a string, not number (3)", "license id"),
])
def test_values_the_hub_refuses(hub, yaml: str, line: int, message: str, hint: str) -> None:
    res = hub(f"---\npretty_name: Dogs\n{yaml}\n---\nText.\n")
    assert (res.code, res.err) == (1, "")
    (found,) = res.findings()
    assert (found["path"], found["line"], found["severity"]) == ("card.md", line, "error")
    assert message in found["message"]
    assert hint in found["hint"]


@pytest.mark.parametrize(("yaml", "line", "message", "hint"), [
    ("task_categories:\n- image-clasification", 4, "`task_categories[0]` is "
     "'image-clasification', not a task_categories value the Hub lists",
     "did you mean `image-classification`?"),
    ("task_ids: [my-own-task]", 3, "`task_ids[0]` is 'my-own-task', not a task_ids value the "
     "Hub lists", "allowed: "),
    ("size_categories: n<1k", 3, "`size_categories` is 'n<1k', not a size_categories value "
     "the Hub lists", "did you mean `n<1K`?"),
    ("annotations_creators:\n- gpt-4", 4, "`annotations_creators[0]` is 'gpt-4', not an "
     "annotations_creators value the Hub lists", "allowed: crowdsourced, expert-generated"),
    ("multilinguality: code-switched", 3, "`multilinguality` is 'code-switched', not a "
     "multilinguality value the Hub lists", "allowed: monolingual, multilingual"),
    ("license: other", 3, "`license: other` without `license_name`", "license_name: "),
    ("dataset_info:\n  download_size: 2.5GB", 4, "`dataset_info.download_size` must be a "
     "whole number, not string ('2.5GB')", "fix the value"),
    ("dataset_info:\n  splits:\n  - name: train\n    num_examples: -1", 6,
     "`dataset_info.splits[0].num_examples` is negative (-1)", "fix the value"),
    ("task_categories: [conversational]", 3, "`task_categories[0]` is 'conversational', a "
     "deprecated value", "use text-generation instead"),
])
def test_what_the_hub_accepts_is_a_warning_and_strict_an_error(
        hub, hook, yaml: str, line: int, message: str, hint: str) -> None:
    res = hub(f"---\npretty_name: Dogs\n{yaml}\n---\nText.\n")
    assert (res.code, res.err) == (0, "")  # warnings alone pass
    (found,) = res.findings()
    assert (found["path"], found["line"], found["severity"]) == ("card.md", line, "warning")
    assert found["message"].startswith(message), found["message"]
    assert hint in found["hint"]
    strict = hook("--profile", "huggingface", "--strict", "--format", "json", "card.md")
    assert (strict.code, strict.err) == (1, "")
    assert [(f["line"], f["severity"], f["message"]) for f in strict.findings()] == [
        (line, "error", found["message"])]


@pytest.mark.parametrize("license_id", ["eupl-1.2", "llama3.1", "openmdw-1.1", "apple-amlr"])
def test_licenses_the_hub_added_pass(hub, license_id: str) -> None:
    # hub-docs docs/hub/repositories-licenses.md @ 242f4a1e, the list the Hub validates with
    res = hub(f"---\nlicense: {license_id}\n---\nText.\n")
    assert (res.code, res.findings()) == (0, [])


def test_license_other_with_a_name_passes(hub) -> None:
    res = hub("---\nlicense: other\nlicense_name: lab-license-1.0\n"
              "license_link: LICENSE.md\n---\nText.\n")
    assert (res.code, res.findings()) == (0, [])


def test_a_todo_value_is_reported_once_not_as_a_bad_value_too(hub) -> None:
    res = hub("---\nlicense: TODO\ntask_categories: [todo later]\n---\nText.\n")
    assert res.code == 1
    # As bad as the value would be: the Hub refuses `license: TODO`, takes the category.
    assert [(f["line"], f["severity"], f["message"]) for f in res.findings()] == [
        (2, "error", "`license` is still TODO"),
        (3, "warning", "`task_categories[0]` is still TODO")]


# -- front matter that is not a mapping of YAML ----------------------------------------------

@pytest.mark.parametrize(("text", "line", "message", "hint"), [
    pytest.param("---\nlicense: mit\n---\n---\nlicense: mit\n---\n", None, None, None,
                 id="second-block-is-body"),
    pytest.param("---\n- license\n- mit\n---\nText.\n", 2,
                 "front matter is a YAML list, not a mapping", "`key: value`", id="list"),
    pytest.param("---\njust some words\n---\nText.\n", 2,
                 "front matter is a YAML string, not a mapping", "`key: value`", id="scalar"),
    pytest.param("---\nlicense: mit\npretty_name: [Dogs\nlanguage: en\n---\nText.\n", 3,
                 "front matter is not valid YAML", "fix the syntax", id="unclosed-bracket"),
    pytest.param("---\nlicense: mit\nlanguage: en\ntags: a: b\n---\nText.\n", 4,
                 "front matter is not valid YAML: mapping values are not allowed",
                 "fix the syntax", id="syntax-error"),
    pytest.param("---\nlicense: mit\ntags:\n\t- dogs\n---\nText.\n", 4,
                 "front matter is indented with a tab", "spaces", id="tab-indent"),
    pytest.param("---\nlicense:\tmit\n---\nText.\n", 2,
                 "front matter has a tab after `key:`", "use a space", id="tab-after-key"),
])
def test_front_matter_problems_are_findings_on_the_file_line(
        hub, text: str, line: int | None, message: str | None, hint: str | None) -> None:
    res = hub(text)
    assert res.err == ""
    if message is None:  # a `---` block in the body is a horizontal rule, not front matter
        assert (res.code, res.findings()) == (0, [])
        return
    assert res.code == 1
    (found,) = res.findings()
    assert (found["path"], found["line"], found["severity"]) == ("card.md", line, "error")
    assert found["message"].startswith(message)
    assert hint in found["hint"]


@pytest.mark.parametrize(("text", "message", "hint"), [
    pytest.param("---\nlicense: mit\n\n# Dogs\n\nText.\n",
                 "opens its front matter on line 1 and never closes it", "line `---`",
                 id="unclosed"),
    pytest.param("# Dogs\n\nlicense: mit\n", "has no front matter", "`---`",
                 id="no-front-matter"),
])
def test_a_card_without_metadata_is_a_warning_as_the_hub_takes_it(
        hub, hook, text: str, message: str, hint: str) -> None:
    # huggingface_hub's test_commit_modelcard_empty_metadata: a warning, and the commit happens
    res = hub(text)
    assert (res.code, res.err) == (0, "")
    assert [(f["line"], f["severity"], f["message"].startswith(message), hint in f["hint"])
            for f in res.findings()] == [(1, "warning", True, True)]
    assert hook("--profile", "huggingface", "--strict", "card.md").code == 1


def test_a_duplicate_key_is_reported_on_its_line_naming_the_first(hub) -> None:
    res = hub("---\nlicense: mit\nlanguage: en\nlicense: apache-2.0\n---\nText.\n")
    assert (res.code, res.err) == (1, "")
    (found,) = res.findings()
    assert found["line"] == 4
    assert "repeats the key 'license'" in found["message"]
    # The first `license:` is on file line 2 (YAML line 1): the message must count as the
    # finding's line does, in file lines.
    assert "(first on line 2)" in found["message"], found["message"]


@pytest.mark.parametrize("text", [
    b"---\n---\nText.\n",
    b"---\n# only a comment\n---\nText.\n",
    "\ufeff---\nlicense: mit\n---\nText.\n".encode(),
    b"---\r\nlicense: mit\r\n---\r\nText.\r\n",
    b"---\nlicense: mit\n---",
    b"---\nlicense: mit\n",
    b"",
    b"\xff\xfe-\x00-\x00-\x00",
    b"---\nlicense: \xe9\n---\n",
    b"---\nlicense: [mit\n---\n",
    b"---\n? [a, b]\n: c\n---\n",
    b"---\n1: a\nnull: b\n---\n",
    b"---\nlicense: !!python/object:os.system x\n---\n",
    b"---\na: &x [1, 2]\nb: *x\n---\n",
])
def test_odd_files_never_crash(hub, text: bytes) -> None:
    res = hub(text)
    assert res.err == ""
    assert res.code in (0, 1)
    assert all(f["line"] is None or f["line"] >= 1 for f in res.findings())


def test_crlf_cards_keep_their_line_numbers(hub) -> None:
    res = hub(b"---\r\npretty_name: Dogs\r\nlanguage:\r\n- en\r\n- EN\r\n---\r\nText.\r\n")
    assert res.code == 1
    assert [(f["line"], f["message"].split(" is ")[0]) for f in res.findings()] == [
        (5, "`language[1]`")]


# -- wrong types -------------------------------------------------------------------------------

@pytest.mark.parametrize(("yaml", "line", "key", "words"), [
    pytest.param("pretty_name: [a, b]", 3, "`pretty_name`", "must be a string, not list",
                 id="pretty-name-list"),
    pytest.param("configs: {a: 1}", 3, "`configs`", "must be a list, not mapping",
                 id="configs-mapping"),
    pytest.param("tags: 3", 3, "`tags`", "not number (3)", id="tags-number"),
    pytest.param("configs:\n- data_dir: data", 4, "`configs[0].config_name`", "is missing",
                 id="config-without-name"),
    pytest.param("tags:\n- dogs\n- 3", 5, "`tags[1]`", "must be a string, not number (3)",
                 id="tags-item-number"),
])
def test_wrong_types_name_the_key_on_its_line(hub, yaml: str, line: int, key: str,
                                              words: str) -> None:
    res = hub(f"---\nlicense: mit\n{yaml}\n---\nText.\n")
    assert (res.code, res.err) == (1, "")
    assert [(f["line"], f["message"].startswith(key), words in f["message"])
            for f in res.findings()] == [(line, True, True)], res.findings()


def test_one_bad_number_in_a_real_multi_config_card_is_pointed_at(tmp_path: Path, hub) -> None:
    # openai/gsm8k writes `dataset_info` as a list, one entry per config, as the datasets
    # library does.
    text = (HF_CARDS / "openai-gsm8k.md").read_text(encoding="utf-8")
    broken = text.replace("num_examples: 7473", "num_examples: -7473", 1)
    res = hub(broken)
    line = line_of(tmp_path / "card.md", "num_examples: -7473")
    assert line == 33
    assert (res.code, res.err) == (0, "")  # the Hub takes `dataset_info` it cannot read
    (found,) = [f for f in warnings(res) if f["rule"] == "card-invalid-value"]
    assert found["line"] == line, found
    assert found["message"] == "`dataset_info[0].splits[0].num_examples` is negative (-7473)"


# -- what the Hub profile leaves alone -------------------------------------------------------

def test_lab_keys_are_not_judged_under_the_hub_profile(hub) -> None:
    res = hub("---\nlicense: mit\nmaintainers: oops\nversion: 1.10\naccess: secret\n"
              "personal_data: true\nsource: 3\n---\n")
    assert (res.code, res.err, res.findings()) == (0, "", [])


def test_unknown_keys_are_kept_as_on_the_hub(hub) -> None:
    res = hub("---\nlicense: mit\nviewer: false\nmy_own_key: {a: 1}\n---\nText.\n")
    assert (res.code, res.findings()) == (0, [])


@pytest.mark.parametrize(("key", "meant"), [("licence", "license"),
                                            ("task_category", "task_categories"),
                                            ("prettyname", "pretty_name")])
def test_a_near_miss_key_is_a_warning_suggesting_the_key(hub, key: str, meant: str) -> None:
    res = hub(f"---\npretty_name: Dogs\n{key}: mit\n---\nText.\n"
              if key != "prettyname" else f"---\n{key}: Dogs\n---\nText.\n")
    assert (res.code, res.err) == (0, "")
    (found,) = res.findings()
    assert found["severity"] == "warning"
    assert found["message"] == f"`{key}` is not a card key"
    assert found["hint"] == f"did you mean `{meant}`?"
    assert found["line"] == (3 if key != "prettyname" else 2)


def test_a_missing_file_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    hook) -> None:
    monkeypatch.chdir(tmp_path)
    res = hook("--profile", "huggingface", "nope.md")
    assert res.code == 1
    assert res.out.startswith("nope.md: [dataset-cards] does not exist")


def test_text_output_shows_file_line_and_hint(hub, hook) -> None:
    hub("---\npretty_name: Dogs\nlicense: Apache-2.0\n---\nText.\n")
    res = hook("--profile", "huggingface", "card.md")
    assert res.code == 1
    assert res.out.splitlines()[:2] == [
        "card.md:3: [dataset-cards] `license` is 'Apache-2.0', not a license value the Hub "
        "allows [card-value-not-allowed]", "    did you mean `apache-2.0`?"]


# -- size_categories counts examples: compared with dataset_info, never with files here -------

def info_card(size: str, *splits: tuple[str, int]) -> str:
    """A card whose `size_categories` (line 3) and `dataset_info` splits are given."""
    rows = "".join(f"  - name: {name}\n    num_examples: {n}\n" for name, n in splits)
    return (f"---\nlicense: mit\nsize_categories: [{size}]\ndataset_info:\n  splits:\n{rows}"
            "---\nText.\n")


def test_size_categories_agreeing_with_num_examples_passes(hub) -> None:
    res = hub(info_card("10K<n<100K", ("train", 9000), ("test", 1000)))
    assert (res.code, res.findings()) == (0, [])


def test_size_categories_against_num_examples_is_a_warning_saying_what_was_compared(
        hub, hook) -> None:
    res = hub(info_card("n<1K", ("train", 9000), ("test", 1000)))
    assert (res.code, res.err) == (0, "")
    assert [(f["line"], f["severity"], f["rule"], f["message"], f["hint"])
            for f in res.findings()] == [
        (3, "warning", "card-size-mismatch",
         "`size_categories` is n<1K, but `dataset_info` counts 10000 examples",
         "set `size_categories: [10K<n<100K]`, or correct `dataset_info`")]
    assert hook("--profile", "huggingface", "--strict", "card.md").code == 1


def test_configs_are_counted_one_by_one(hub) -> None:
    # openai/gsm8k: two configs of the same 8792 examples; their sum is no size of the data
    text = (HF_CARDS / "openai-gsm8k.md").read_text(encoding="utf-8")
    assert "- 1K<n<10K" in text
    assert hub(text).findings() == [f for f in hub(text).findings()
                                     if f["rule"] != "card-size-mismatch"]
    res = hub(text.replace("- 1K<n<10K", "- n<1K", 1))
    (found,) = [f for f in res.findings() if f["rule"] == "card-size-mismatch"]
    assert found["message"] == ("`size_categories` is n<1K, but `dataset_info` counts 8792 "
                                "examples in `main`, 8792 examples in `socratic`")
    assert res.code == 0


@given(n=st.integers(min_value=0, max_value=10**13),
       size=st.sampled_from(["n<1K", "1K<n<10K", "10K<n<100K", "100K<n<1M", "1M<n<10M",
                             "10M<n<100M", "100M<n<1B", "1B<n<10B", "10B<n<100B",
                             "100B<n<1T", "n>1T"]))
@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture],
          deadline=None)
def test_a_mismatch_is_reported_exactly_when_the_count_is_outside_the_range(
        hub, n: int, size: str) -> None:
    low, high = size_range(size) or (0, 0)
    res = hub(info_card(size, ("train", n)))
    assert res.code == 0  # the Hub never compares: a warning at most
    found = [f["message"] for f in res.findings()]
    if low <= n < high:
        assert found == []
    else:
        assert found == [f"`size_categories` is {size}, but `dataset_info` counts {n} "
                         f"example{'s' if n != 1 else ''}"]
        assert category_of(n) in res.findings()[0]["hint"]


def test_size_categories_other_or_without_counts_is_not_compared(hub) -> None:
    assert hub(info_card("other", ("train", 5))).findings() == []
    res = hub("---\nlicense: mit\nsize_categories: [n>1T]\ndataset_info:\n  splits:\n"
              "  - name: train\n    num_bytes: 10\n---\nText.\n")
    assert (res.code, res.findings()) == (0, [])


@given(value=st.from_regex(r"[a-z][a-z0-9-]{0,24}", fullmatch=True),
       key=st.sampled_from(["annotations_creators", "language_creators", "multilinguality",
                            "task_categories", "task_ids", "size_categories"]))
@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture],
          deadline=None)
def test_any_value_off_a_list_the_hub_takes_is_never_an_error(hub, value: str,
                                                              key: str) -> None:
    res = hub(f"---\nlicense: mit\n{key}: [{value}]\n---\nText.\n")
    assert (res.code, res.err, errors(res)) == (0, "", [])
    assert all(f["severity"] == "warning" and f["line"] == 3 for f in res.findings())


@given(value=st.from_regex(r"[a-z][a-z0-9-]{0,24}", fullmatch=True))
@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture],
          deadline=None)
def test_a_license_off_the_hubs_list_is_always_an_error(hub, value: str) -> None:
    res = hub(f"---\nlicense: {value}\n---\nText.\n")
    known = value in vocabulary.hub("license").values or value.startswith("todo")
    assert res.code == (0 if known and not value.startswith("todo") else 1)
    if not known:
        assert [(f["line"], f["severity"], f["message"]) for f in res.findings()] == [
            (2, "error", f"`license` is {value!r}, not a license value the Hub allows")]


# -- the Hub's verdicts, as documented ---------------------------------------------------------

def test_every_verdict_is_in_the_docs_table_with_its_severity_and_source() -> None:
    docs = (Path(__file__).parent.parent / "docs" / "checks.md").read_text(encoding="utf-8")
    section = docs.split("## dataset-cards", 1)[1].split("\n## ", 1)[0]
    rows = {line.split("|")[1].strip(): line for line in section.splitlines()
            if line.startswith("| `")}
    for name, verdict in VERDICTS.items():
        row = rows.get(f"`{name}`")
        assert row is not None, name
        assert ("| error |" if verdict.refused else "| warning |") in row, row
        for source in verdict.source.split("; "):
            assert source.split(" ")[0] in row, (name, source)
