"""Rule ids: each kind of finding has one, documented at its own anchor, reported by the code,
and switchable off by the policy (globally or per path)."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from dataward.checks.no_large_binaries import main
from dataward.rules import RULES
from tests.harness.hookrun import Result, runner
from tests.harness.repo import GitRepo, blob

ROOT = Path(__file__).resolve().parent.parent
DOCS = (ROOT / "docs" / "checks.md").read_text("utf-8")


def _literals_in_code() -> tuple[set[str], set[str]]:
    """(every string constant of the package that is a rule id, the values given as `rule=`)."""
    known, given = set(), set()
    for path in (ROOT / "dataward").rglob("*.py"):
        if path.name == "rules.py":
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Constant) and node.value in RULES:
                known.add(node.value)
            if isinstance(node, ast.keyword) and node.arg == "rule":
                given |= _results(node.value)
    return known, given


def _results(node: ast.expr) -> set[str]:
    """The strings an expression can evaluate to: a constant, or either side of `a if c else b`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _results(node.body) | _results(node.orelse)
    return set()


def test_every_rule_is_reported_by_the_code_and_every_reported_rule_is_known() -> None:
    known, given = _literals_in_code()
    assert given - set(RULES) == set(), "rule ids the code reports but rules.py lacks"
    assert set(RULES) - known == set(), "rule ids nothing reports"


def test_every_rule_has_its_own_section_in_the_docs() -> None:
    headings = set(re.findall(r"^#{3,4} `([a-z0-9-]+)`$", DOCS, re.M))
    assert set(RULES) - headings == set(), "rules without a section in docs/checks.md"
    assert headings - set(RULES) - {"dataward"} <= set(), "sections for rules that do not exist"
    for rule in RULES:
        section = DOCS.split(f"`{rule}`\n", 1)[1].split("\n#", 1)[0]
        assert "**Fix.**" in section or "**Fix:**" in section, f"{rule}: no fix in its section"


def test_rule_ids_are_kebab_case_and_name_their_check() -> None:
    from dataward.checks import CHECKS

    for rule, spec in RULES.items():
        assert re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", rule), rule
        assert spec.check in CHECKS or spec.check == "dataward", rule
        assert spec.summary and not spec.summary.endswith("."), rule


@pytest.fixture
def hook(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    return runner(main, capsys)


def test_the_policy_switches_rules_off_globally_and_per_path(repo: GitRepo, hook) -> None:
    repo.write("assets/logo.bin", blob(600 * 1024))
    repo.write("model.pt", blob(600 * 1024, seed=1))
    repo.add("assets/logo.bin", "model.pt")
    res = hook("--format", "json")
    assert res.code == 1 and [f["rule"] for f in res.findings()] == ["large-file"] * 2
    repo.write("dataward.toml", '[per-path-ignores]\n"assets/**" = ["large-file"]\n')
    res = hook("--format", "json")
    assert res.code == 1 and [f["path"] for f in res.findings()] == ["model.pt"]
    repo.write("dataward.toml", 'ignore = ["large-file"]\n')
    assert hook() == Result(0, "", "")


def test_an_unknown_rule_id_in_the_policy_is_a_usage_error(repo: GitRepo, hook) -> None:
    repo.write("model.pt", blob(600 * 1024))
    repo.add("model.pt")
    repo.write("dataward.toml", 'repository = "project"\nignore = ["large-files"]\n')
    res = hook()
    assert res.code == 2
    assert "dataward.toml:2: ignore: 'large-files' is not a rule id" in res.err
