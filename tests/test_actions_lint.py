"""The composite actions and example workflows pass zizmor and actionlint, offline, and say what
they install: every dependency pinned, every `uses:` pinned, every input a real one."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import tomllib
import yaml

from tests.harness import actrun

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [ROOT / "actions", ROOT / "examples" / "workflows"]
ZIZMOR_CONFIG = ROOT / "zizmor.yml"


def test_zizmor_finds_nothing_even_pedantic() -> None:
    findings = actrun.zizmor(SOURCES, config=ZIZMOR_CONFIG, persona="pedantic")
    assert [str(f) for f in findings] == []


def test_zizmor_would_catch_an_input_expanded_inside_run(tmp_path: Path) -> None:
    action = tmp_path / "actions" / "check" / "action.yml"
    action.parent.mkdir(parents=True)
    text = (ROOT / "actions" / "check" / "action.yml").read_text()
    action.write_text(text.replace('--checks "$CHECKS"', '--checks "${{ inputs.checks }}"'))
    assert "template-injection" in {f.rule for f in actrun.zizmor([action],
                                                                  config=ZIZMOR_CONFIG)}


def test_actionlint_finds_nothing() -> None:
    assert [str(f) for f in actrun.actionlint(SOURCES)] == []


def test_actionlint_would_catch_a_misspelt_step_output(tmp_path: Path) -> None:
    bad = tmp_path / "actions" / "check"
    shutil.copytree(ROOT / "actions" / "check", bad)
    action = bad / "action.yml"
    action.write_text(action.read_text().replace("steps.install.outputs.dataward",
                                                 "steps.instal.outputs.dataward"))
    assert actrun.actionlint([action]), "a reference to a step that does not exist"


def _requirements() -> set[str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = meta["dependencies"] + meta["optional-dependencies"]["dvc"] + \
        meta["optional-dependencies"]["github"]
    return {_canonical(re.split(r"[<>=;\[ ]", r, maxsplit=1)[0]) for r in reqs
            if "python_version < '3.11'" not in r}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_dependency_the_actions_install_is_pinned() -> None:
    pins = {}
    for line in (ROOT / "actions" / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, sep, version = line.partition("==")
            assert sep and version, f"not an exact pin: {line}"
            pins[_canonical(name)] = version
    assert _requirements() <= set(pins), sorted(_requirements() - set(pins))


def _steps(workflow: Path) -> list[dict[str, object]]:
    doc = yaml.safe_load(workflow.read_text())
    return [step for job in doc["jobs"].values() for step in job["steps"]]


def test_examples_pin_actions_by_commit_and_pass_only_real_inputs() -> None:
    for workflow in sorted((ROOT / "examples" / "workflows").glob("*.yml")):
        for step in _steps(workflow):
            uses = str(step.get("uses", ""))
            if not uses:
                continue
            repo, _, ref = uses.partition("@")
            if repo.startswith("dataward/dataward/"):
                action = ROOT / repo.removeprefix("dataward/dataward/") / "action.yml"
                inputs = yaml.safe_load(action.read_text())["inputs"]
                assert set(step.get("with") or {}) <= set(inputs), (workflow.name, uses)
            else:
                assert re.fullmatch(r"[0-9a-f]{40}", ref), f"{workflow.name}: {uses}"


def test_actions_that_read_history_fetch_all_of_it() -> None:
    for workflow in sorted((ROOT / "examples" / "workflows").glob("*.yml")):
        doc = yaml.safe_load(workflow.read_text())
        assert doc["permissions"] == {}, workflow.name
        for job in doc["jobs"].values():
            uses = [str(s.get("uses", "")) for s in job["steps"]]
            if any(u.startswith(("dataward/dataward/actions/check@",
                                 "dataward/dataward/actions/publish-catalog@")) for u in uses):
                checkout = next(s for s in job["steps"]
                                if str(s.get("uses", "")).startswith("actions/checkout@"))
                assert checkout["with"]["fetch-depth"] == 0, workflow.name
