"""Every hook id in the manifest has a console script, a check module, a README section and docs."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

from dataward import __version__
from dataward.checks import CHECKS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent


def manifest_ids() -> list[str]:
    return [h["id"] for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())]


def github_anchors(markdown: str) -> set[str]:
    anchors = set()
    for heading in re.findall(r"^#+\s+(.+)$", markdown, re.M):
        text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
        anchors.add(text.replace(" ", "-"))
    return anchors


def test_every_hook_is_wired_and_documented() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    scripts = pyproject["project"]["scripts"]
    readme = (ROOT / "README.md").read_text()
    docs = github_anchors((ROOT / "docs" / "checks.md").read_text())
    ids = manifest_ids()
    assert ids, "the manifest lists no hooks"
    assert sorted(ids) == sorted(CHECKS)
    for hook_id in ids:
        assert scripts.get(hook_id) == f"{CHECKS[hook_id]}:main", hook_id
        assert re.search(rf"^###\s+`{re.escape(hook_id)}`", readme, re.M), hook_id
        assert hook_id in docs, hook_id
    assert scripts["dataward"] == "dataward.cli:main"


def test_version_matches_the_distribution() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["version"] == __version__


def test_readme_gives_the_two_set_up_commands_and_ci_runs_make_test() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()
