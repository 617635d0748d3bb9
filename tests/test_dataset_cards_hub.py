"""dataset-cards --profile huggingface: a Hub card, judged offline, on files (no repository).

Real cards from the Hub pass; what the Hub would refuse or ignore is reported on the file line
a user sees in their editor, with the fix, and never as a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dataward.checks.dataset_cards import main
from tests.harness.hookrun import Result, runner

HF_CARDS = Path(__file__).parent / "fixtures" / "hf-cards"
FAILING = {"amazon_reviews_multi.md", "polyai-minds14.md"}
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
    assert [(f["line"], f["message"].split(" must be ")[0]) for f in errors(res)] == [
        (28, "`multilinguality`"), (43, "`size_categories`")]
    assert all("must be a string or a list, not mapping" in f["message"] for f in errors(res))
    assert "n<1K" in errors(res)[1]["hint"]
    # The old plural keys and the datasets-1.x task taxonomy: the Hub ignores or moved them.
    legacy = {f["line"]: f for f in warnings(res)}
    assert legacy[6]["hint"] == "rename it `language`"
    assert legacy[26]["hint"] == "rename it `license`"
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


def test_minds14_speech_recognition_is_not_a_task_id(monkeypatch: pytest.MonkeyPatch,
                                                     hook) -> None:
    path = HF_CARDS / "polyai-minds14.md"
    monkeypatch.chdir(HF_CARDS)
    res = hook("--profile", "huggingface", "--format", "json", path.name)
    assert (res.code, res.err) == (1, "")
    assert line_of(path, "- speech-recognition") == 49
    assert [(f["line"], f["message"]) for f in errors(res)] == [
        (49, "`task_ids[0]` is 'speech-recognition', not a task_ids value the Hub allows")]
    assert "keyword-spotting" not in res.out  # the next item is a real task id
    (speech,) = [f for f in warnings(res) if "speech-processing" in f["message"]]
    assert speech["line"] == line_of(path, "- speech-processing")
    assert speech["hint"] == "use automatic-speech-recognition instead"


# -- old keys and deprecated values: warnings ------------------------------------------------

def test_old_plural_keys_are_warnings_and_their_values_are_not_judged(hub) -> None:
    res = hub("---\nlanguages:\n- EN-us\n- zz\nlicenses: [Bogus-License]\n---\nText.\n")
    assert (res.code, res.err) == (0, "")
    assert [(f["line"], f["severity"], f["message"], f["hint"]) for f in res.findings()] == [
        (2, "warning", "`languages` is the old name of `language`; the Hub ignores it",
         "rename it `language`"),
        (5, "warning", "`licenses` is the old name of `license`; the Hub ignores it",
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
    ("task_categories:\n- image-clasification", 4, "`task_categories[0]` is "
     "'image-clasification', not a task_categories value", "did you mean "
     "`image-classification`?"),
    ("size_categories: n<1k", 3, "`size_categories` is 'n<1k'", "did you mean `n<1K`?"),
    ("license: other", 3, "`license: other` without `license_name`", "license_name: "),
])
def test_values_the_hub_refuses(hub, yaml: str, line: int, message: str, hint: str) -> None:
    res = hub(f"---\npretty_name: Dogs\n{yaml}\n---\nText.\n")
    assert (res.code, res.err) == (1, "")
    (found,) = res.findings()
    assert (found["path"], found["line"], found["severity"]) == ("card.md", line, "error")
    assert message in found["message"]
    assert hint in found["hint"]


def test_license_other_with_a_name_passes(hub) -> None:
    res = hub("---\nlicense: other\nlicense_name: lab-license-1.0\n"
              "license_link: LICENSE.md\n---\nText.\n")
    assert (res.code, res.findings()) == (0, [])


def test_a_todo_value_is_reported_once_not_as_a_bad_value_too(hub) -> None:
    res = hub("---\nlicense: TODO\ntask_categories: [todo later]\n---\nText.\n")
    assert res.code == 1
    assert [(f["line"], f["message"]) for f in res.findings()] == [
        (2, "`license` is still TODO"), (3, "`task_categories[0]` is still TODO")]


# -- front matter that is not a mapping of YAML ----------------------------------------------

@pytest.mark.parametrize(("text", "line", "message", "hint"), [
    pytest.param("---\nlicense: mit\n\n# Dogs\n\nText.\n", 1,
                 "opens its front matter on line 1 and never closes it", "line `---`",
                 id="unclosed"),
    pytest.param("# Dogs\n\nlicense: mit\n", 1, "has no front matter", "`---`",
                 id="no-front-matter"),
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
    pytest.param("---\nlicense: mit\n---\n---\nlicense: mit\n---\n", None, None, None,
                 id="second-block-is-body"),
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
    pytest.param("dataset_info:\n  splits:\n  - name: train\n    num_examples: -1", 6,
                 "`dataset_info.splits[0].num_examples`", "is negative (-1)",
                 id="negative-num-examples"),
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
    assert (res.code, res.err) == (1, "")
    (found,) = errors(res)
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
