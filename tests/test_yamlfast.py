"""The fast reader gives exactly what PyYAML gives, or steps aside for it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from dataward.formats import yamlsafe
from dataward.formats.yamlfast import try_load

RESOLVERS = yamlsafe._Loader.yaml_implicit_resolvers
HERE = Path(__file__).parent


def full(text: str) -> Any:
    return yaml.load(text, Loader=yamlsafe._Loader)  # a SafeLoader subclass


def agrees(text: str) -> bool:
    """True when the fast reader took the text (and then it must agree with PyYAML)."""
    data, done = try_load(text, RESOLVERS)
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


def test_what_dvc_writes_is_read_fast() -> None:
    for name in sorted((HERE / "fixtures" / "dvc-formats").glob("*.dvc.txt")):
        text = name.read_text()
        if "'" not in text and '"' not in text:
            assert agrees(text), name


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
                         "null", "~", "0", "-1", "1.0", "0x10", "e", "yes", "Cats, dogs"])
KEYS = st.sampled_from(["outs", "path", "md5", "size", "on", "null", "a_b", "labels", "x"])
TREES = st.recursive(WORDS | st.integers(-5, 10**25) | st.booleans() | st.none(),
                     lambda kids: st.lists(kids, max_size=3)
                     | st.dictionaries(KEYS, kids, max_size=4), max_leaves=12)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(TREES, st.booleans(), st.integers(1, 4))
def test_random_documents_agree(tree: Any, indentless: bool, indent: int) -> None:
    text = yaml.safe_dump(tree, default_flow_style=False, indent=max(2, indent),
                          sort_keys=False)
    if indentless:
        text = text.replace("\n  - ", "\n- ")
    try:
        full(text)
    except yaml.YAMLError:
        return  # the replacement made it invalid: only agreement on valid YAML counts
    agrees(text)
