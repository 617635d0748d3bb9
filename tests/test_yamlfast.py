"""The fast reader gives exactly what PyYAML gives, or steps aside for it."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from dvc.utils.serialize import dumps_yaml  # DVC's own writer of .dvc files (ruamel)
from hypothesis import given, settings
from hypothesis import strategies as st

from dataward.formats import yamlfast, yamlsafe
from dataward.formats.yamlfast import try_load
from tests.test_dvc_files_corpus import DVC3_FILE, DVC3_FOLDER, DVC3_IMPORT, DVC3_IMPORT_URL

HERE = Path(__file__).parent


def full(text: str) -> Any:
    return yaml.load(text, Loader=yamlsafe.loader_class())  # a SafeLoader subclass


def agrees(text: str) -> bool:
    """True when the fast reader took the text (and then it must agree with PyYAML)."""
    data, done = try_load(text)
    if done:
        assert data == full(text), text
        assert [type(v) for v in _leaves(data)] == [type(v) for v in _leaves(full(text))]
    return bool(done)


def _leaves(data: Any) -> list[Any]:
    if isinstance(data, dict):
        return [x for k, v in data.items() for x in [k, *_leaves(v)]]
    if isinstance(data, list):
        return [x for v in data for x in _leaves(v)]
    return [data]


# -- what DVC writes is read fast ---------------------------------------------------------------
#
# `agrees` alone would pass if the fast reader declined everything. Here every input of the
# shape it is designed for must be taken (and agree), every other must be declined, and the
# corpus must hold enough of the first kind for that to mean something.

# The plain-scalar alphabet of the module docstring (letters, digits, `_./~+=@,()<>-`, single
# spaces, `:` not before a space) and the lines of block YAML: `key:`, `key: value`, `- ...`.
_ALPHABET = re.compile(r"[A-Za-z0-9_./~+=@,()<>\- :\n]*")
_BLOCK_LINE = re.compile(r" *(?:- +)*(?:[A-Za-z_][A-Za-z0-9_]*:(?: (\S.*))?|(?<=- )(\S.*))")


def outside_subset(text: str) -> str | None:
    """Why `text` is not in the subset the fast reader is designed for, or None when it is.

    Written from the module docstring, not from the reader: a BOM, CR, tabs, non-ASCII,
    quotes, comments, flow style, block scalars, anchors, aliases, tags step aside; so does
    any line that is not a block mapping or sequence entry (a folded scalar's second line),
    and a value that starts with `<` or `>`.
    """
    for char, why in (("\ufeff", "a byte-order mark"), ("\r", "CR"), ("\t", "a tab"),
                      ("'", "quotes"), ('"', "quotes"), ("#", "a comment"),
                      ("[", "flow style"), ("{", "flow style"), ("|", "a block scalar"),
                      ("&", "an anchor"), ("*", "an alias"), ("!", "a tag")):
        if char in text:
            return why
    if not text.isascii():
        return "non-ASCII"
    if not _ALPHABET.fullmatch(text):
        return "a character outside the plain-scalar alphabet"
    for line in text.split("\n"):
        block = _BLOCK_LINE.fullmatch(line)
        if line.strip(" ") and not block:
            return f"a line that is no block entry: {line!r}"
        # `>` starts a folded block scalar and `<<` a merge key; inside a word both are text.
        if block and (block[1] or block[2] or " ")[0] in "<>":
            return "a value that starts with `<` or `>`"
    return None


def _good_files() -> list[Path]:
    """The .dvc files DVC writes (each version's formats) and the corpus's good files."""
    return [*sorted((HERE / "fixtures" / "dvc-formats").glob("*.dvc.txt")),
            *sorted((HERE / "corpus" / "dvc-files-valid").glob("*.dvc.txt"))]


GOOD = {p.relative_to(HERE).as_posix(): p.read_bytes().decode("utf-8") for p in _good_files()}
GOOD.update({f"tests/test_dvc_files_corpus.py:{n}": b.decode() for n, b in [
    ("DVC3_FILE", DVC3_FILE), ("DVC3_FOLDER", DVC3_FOLDER), ("DVC3_IMPORT", DVC3_IMPORT),
    ("DVC3_IMPORT_URL", DVC3_IMPORT_URL)]})


def read_fast_exactly_when_designed_to(text: str) -> bool:
    """The fast reader takes `text` when it is in the subset (and then agrees with PyYAML's
    safe loader, as DVC reads YAML), and declines it otherwise. True when it was taken."""
    why = outside_subset(text)
    data, done = try_load(text)
    assert done == (why is None), f"{'declined' if why is None else 'took'} {text!r} ({why})"
    if done:
        assert data == full(text), text
        assert [type(v) for v in _leaves(data)] == [type(v) for v in _leaves(full(text))]
    return bool(done)


@pytest.mark.parametrize("name", sorted(GOOD))
def test_what_dvc_writes_is_read_fast(name: str) -> None:
    read_fast_exactly_when_designed_to(GOOD[name])


def test_the_corpus_holds_enough_to_read_fast() -> None:
    fast = sorted(n for n, text in GOOD.items() if outside_subset(text) is None)
    dvc_formats = [n for n in fast if "/dvc-formats/" in n]
    # Every format DVC has written but one with a quoted etag; most of the good corpus.
    assert len(dvc_formats) >= 12 and len(fast) >= 25, fast
    assert all(try_load(GOOD[n])[1] for n in fast)


def test_broken_files_are_declined_or_read_as_pyyaml_reads_them() -> None:
    taken = 0
    for path in sorted((HERE / "corpus" / "dvc-files").glob("*.dvc.txt")):
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            continue  # yamlsafe refuses these before any YAML reader sees them
        taken += agrees(text)  # PyYAML raising on a text the fast reader took fails here
    assert taken >= 1  # a list as the document: valid YAML, wrong for DVC


# DVC-shaped documents as DVC writes them (`dvc.utils.serialize.dumps_yaml`, ruamel in YAML
# 1.2). Names start with a letter and words are short (ruamel folds lines over 80 columns);
# the odd words are ones YAML reads as something else, which DVC quotes, or does not (`on`).
_NAME = st.from_regex(r"[a-z][a-z0-9_]{0,7}", fullmatch=True)
_KEY = st.from_regex(r"[a-z_][a-z0-9_]{0,7}", fullmatch=True)
_ODD = st.sampled_from(["on", "yes", "no", "off", "y", "null", "~", "true", "False", "1.0",
                        "007", "12", "0x1f", "1e3", "2001-12-14", ".inf", "a: b", "a #b",
                        "Cats, dogs", "é", "'q'", "[x]", "*a", "&a", "!x", "|", "a\tb",
                        "n<1K", "1K<n<10K", "n>1T", ">x", "<x", "<<", "a >b", "a> b"])
_WORDS = st.integers(0, 9).flatmap(  # one word in ten odd
    lambda i: _ODD if i == 0 else st.lists(_NAME, min_size=1, max_size=4).map(" ".join))
_PATH = st.lists(_NAME, min_size=1, max_size=3).map("/".join) | st.builds(
    "{}.{}".format, _NAME, st.sampled_from(["csv", "dir", "tar.gz", "json"]))
_MD5 = st.binary(max_size=64).map(lambda b: hashlib.md5(b).hexdigest())
_SIZE = st.integers(0, 2**63)
_URL = st.builds("s3://{}/{}".format, _NAME, _PATH) | st.builds(
    "https://github.com/{}/{}".format, _NAME, _NAME) | st.builds(
    "git@github.com:{}/{}.git".format, _NAME, _NAME)
_CLOUD = st.dictionaries(_NAME, st.fixed_dictionaries(
    {"etag": _MD5 | st.builds("{}-{}".format, _MD5, st.integers(1, 99)) | _MD5.map('"{}"'.format),
     "version_id": st.from_regex(r"[A-Za-z][A-Za-z0-9._]{7,31}", fullmatch=True)}),
    min_size=1, max_size=2)
_FILE = st.fixed_dictionaries({"relpath": _PATH, "md5": _MD5, "size": _SIZE},
                              optional={"cloud": _CLOUD})
_OUT = st.fixed_dictionaries({"path": _PATH}, optional={
    "md5": _MD5 | _MD5.map("{}.dir".format), "size": _SIZE, "nfiles": _SIZE,
    "hash": st.just("md5"), "desc": _WORDS, "type": _WORDS, "remote": _NAME,
    "labels": st.lists(_WORDS, min_size=1, max_size=3),
    "meta": st.dictionaries(_KEY, _WORDS | _SIZE | st.booleans(), min_size=1, max_size=3),
    "push": st.booleans(), "cache": st.booleans(), "persist": st.booleans(),
    "files": st.lists(_FILE, min_size=1, max_size=2), "cloud": _CLOUD})
_SHA1 = st.binary(max_size=64).map(lambda b: hashlib.sha1(b).hexdigest())
_DEP = st.fixed_dictionaries({"path": _PATH | _URL}, optional={
    "md5": _MD5, "etag": _MD5, "size": _SIZE, "repo": st.fixed_dictionaries(
        {"url": _URL}, optional={"rev": _NAME, "rev_lock": _SHA1})})
DVC_DOCS = st.fixed_dictionaries({"outs": st.lists(_OUT, min_size=1, max_size=3)}, optional={
    "md5": _MD5, "frozen": st.booleans(), "deps": st.lists(_DEP, min_size=1, max_size=2),
    "wdir": st.sampled_from([".", ".."])})


def test_dvc_written_documents_are_read_fast() -> None:
    taken: list[bool] = []

    @settings(max_examples=200, deadline=None, derandomize=True)
    @given(DVC_DOCS)
    def check(doc: dict[str, Any]) -> None:
        text = dumps_yaml(doc)
        taken.append(read_fast_exactly_when_designed_to(text))
        if taken[-1]:
            assert try_load(text)[0] == doc  # what DVC wrote, as DVC reads it

    check()
    # Not all steered outside the subset by the odd words (about half are read fast).
    assert sum(taken) >= len(taken) // 4, f"{sum(taken)} of {len(taken)} read fast"


def _squash(pattern: str) -> str:
    """A verbose pattern without the whitespace re.X ignores (outside `[...]`)."""
    return re.sub(r"(\[(?:\\.|[^\]])*\])|\s+", lambda m: m[1] or "", pattern)


def test_the_copied_resolvers_are_pyyaml_s() -> None:
    # The fast reader imports no yaml, so it carries PyYAML's rules itself: the same tags
    # for the same first characters in the same order, the same patterns and flags.
    theirs = yaml.resolver.Resolver.yaml_implicit_resolvers
    assert yaml.SafeLoader.yaml_implicit_resolvers is theirs
    ours = yamlfast.pyyaml_resolvers()
    assert list(ours) == list(theirs)
    for first, rules in theirs.items():
        assert [(t, _squash(p.pattern), p.flags) for t, p in ours[first]] == \
            [(t, _squash(p.pattern), p.flags) for t, p in rules], first
    assert _squash(" a [ \\t] b\n |c") == "a[ \\t]b|c"  # what _squash keeps, what it drops
    # What DVC reads (yamlsafe's full loader uses the same): YAML 1.2 booleans, long ints.
    assert full("a: on\nb: TRUE\nc: 12345678901234567890\n") == \
        {"a": "on", "b": True, "c": "12345678901234567890"}


_CARD_WORD = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9<>=._-]{0,12}", fullmatch=True)
_LIMIT = st.builds("{}<{}".format, st.sampled_from(["n", "1K", "10K"]), _CARD_WORD) | \
    st.builds("{}>{}".format, _CARD_WORD, _CARD_WORD) | st.sampled_from(["n<1K", "1K<n<10K"])
# Words YAML 1.1 (PyYAML's safe_load) reads as booleans and DVC's YAML 1.2 does not.
_YAML11_BOOLS = {"yes", "no", "on", "off"}


def test_words_with_angle_brackets_are_read_as_safe_load_reads_them() -> None:
    taken: list[bool] = []

    @settings(max_examples=300, deadline=None, derandomize=True)
    @given(st.dictionaries(_NAME, _LIMIT | _CARD_WORD | st.lists(_LIMIT | _CARD_WORD,
                                                                  min_size=1, max_size=3),
                           min_size=1, max_size=4))
    def check(front: dict[str, Any]) -> None:
        text = "".join(f"{k}:\n" + "".join(f"- {w}\n" for w in v) if isinstance(v, list)
                       else f"{k}: {v}\n" for k, v in front.items())
        data, done = try_load(text)
        taken.append(done)
        assert done == (read_fast_exactly_when_designed_to(text)), text
        words = {w.lower() for v in front.values() for w in (v if isinstance(v, list) else [v])}
        if done and not words & _YAML11_BOOLS:
            assert data == yaml.safe_load(text), text

    check()
    # `n<1K` and every word with `<` or `>` inside is read fast.
    assert sum(taken) >= len(taken) // 2, f"{sum(taken)} of {len(taken)} read fast"
    assert try_load("size_categories:\n- n<1K\n") == ({"size_categories": ["n<1K"]}, True)
    assert try_load("a: 1K<n<10K\n") == ({"a": "1K<n<10K"}, True)
    for first in ("<1K", ">1K", "<<"):
        assert not try_load(f"a: {first}\n")[1] and not try_load(f"- {first}\n")[1]


def test_words_yaml_reads_as_something_else_step_aside() -> None:
    for value in ["True", "~", "null", "0x1f", "017", "1:20", "1_000", "1.5",
                  ".inf", "2001-12-14", "'quoted'", "a #comment", "[1, 2]", "&a x",
                  "*a", "!!str x", "|", ">", "x: y", "é", "a\r"]:
        assert not agrees(f"key: {value}\n"), value
    assert not agrees("a: 1\na: 2\n") and not agrees("\ta: 1\n")
    # DVC reads YAML 1.2: `on`, `yes`, `no` are words, as keys and as values.
    assert agrees("on: yes\npath: no\n") and full("path: on\n") == {"path": "on"}
    assert agrees("md5: 12345678901234567890123456789012\n")  # a long number stays a string


def test_block_shapes() -> None:
    assert agrees("outs:\n- md5: a\n  path: x\n- path: y\n  labels:\n  - a\n  - b\nmd5: z\n")
    assert agrees("outs:\n  - path: x\n    meta:\n      owner: lab\n  - path: y\n")
    assert agrees("deps:\n- path: d\n  repo:\n    url: git@github.com:lab/datasets.git\n"
                  "    rev_lock: f31f5c4cdae787b4bdeb97a717687d44667d9e62\nfrozen: true\n")
    assert agrees("- a\n- b\n") and agrees("a:\nb: 1\n")
    assert not agrees("a:\n  - b\n c: 1\n") and not agrees("a: 1\n  b: 2\n")


WORDS = st.sampled_from(["x", "md5", "path", "on", "true", "false", "12", "007", "1:2",
                         "data/set-1.csv", "s3://lab/x", "a b", "a  b", "a #b", "a:b", "-x",
                         "null", "~", "0", "-1", "1.0", "0x10", "e", "yes", "Cats, dogs",
                         "n<1K", "10K<n<100K", "n>1T", "<<", ">", "<x", "a <b", "a> b"])
KEYS = st.sampled_from(["outs", "path", "md5", "size", "on", "null", "a_b", "labels", "x"])
TREES = st.recursive(WORDS | st.integers(-5, 10**25) | st.booleans() | st.none(),
                     lambda kids: st.lists(kids, max_size=3)
                     | st.dictionaries(KEYS, kids, max_size=4), max_leaves=12)


def test_random_documents_agree() -> None:
    taken: list[bool] = []

    @settings(max_examples=400, deadline=None, derandomize=True)
    @given(TREES, st.booleans(), st.integers(1, 4))
    def check(tree: Any, indentless: bool, indent: int) -> None:
        text = yaml.safe_dump(tree, default_flow_style=False, indent=max(2, indent),
                              sort_keys=False)
        if indentless:
            text = text.replace("\n  - ", "\n- ")
        try:
            full(text)
        except yaml.YAMLError:
            return  # the replacement made it invalid: only agreement on valid YAML counts
        taken.append(agrees(text))

    check()
    # Most of these are outside the subset (quoted words, negative numbers); some are not.
    assert sum(taken) >= len(taken) // 10, f"{sum(taken)} of {len(taken)} read fast"
