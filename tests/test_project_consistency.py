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
    assert sorted(ids) == sorted([*CHECKS, "dataward"])  # dataward: the commit checks at once
    for hook_id in ids:
        if hook_id != "dataward":
            assert scripts.get(hook_id) == f"{CHECKS[hook_id]}:main", hook_id
        assert re.search(rf"^###\s+`{re.escape(hook_id)}`", readme, re.M), hook_id
        assert hook_id in docs, hook_id
    assert scripts["dataward"] == "dataward.cli:main"
    assert scripts["dataward-commit"] == "dataward.stages:main"


def test_version_matches_the_distribution() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["version"] == __version__


def test_readme_gives_the_two_set_up_commands_and_ci_runs_make_test() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_workflows_and_readme_pin_this_release() -> None:
    """`dataward init` copies the workflows as they are: they must name this release."""
    release = f"v{__version__}"
    for workflow in (ROOT / "dataward" / "workflows").glob("*.yml"):
        refs = re.findall(r"uses: dataward/dataward/actions/[\w-]+@(\S+)", workflow.read_text())
        assert refs and set(refs) == {release}, workflow.name
    readme = (ROOT / "README.md").read_text()
    assert f"`@{release}`" in readme


def test_the_links_to_the_packaged_hooks_and_workflows_resolve() -> None:
    for link, target in (("hooks", "dataward/hooks"),
                         ("examples/workflows", "dataward/workflows")):
        assert (ROOT / link).is_symlink()
        assert (ROOT / link).resolve() == (ROOT / target).resolve()


def test_the_wheel_ships_the_hooks_executable_and_the_workflows(tmp_path: Path) -> None:
    """What `dataward init` installs from a pip install: built as pip builds it, offline."""
    import os
    import subprocess
    import zipfile

    from tests.harness.hookrepo import snapshot

    snapshot(tmp_path / "src")  # setuptools builds in the source tree: not in the checkout
    wheelhouse = os.environ.get("DATAWARD_WHEELHOUSE") or str(ROOT / ".venv" / "wheelhouse")
    env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": wheelhouse}
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path),
                    str(tmp_path / "src")], check=True, env=env, capture_output=True,
                   timeout=300)
    [wheel] = tmp_path.glob("dataward-*.whl")
    modes = {i.filename: i.external_attr >> 16 for i in zipfile.ZipFile(wheel).infolist()}
    for hook in ("pre-commit", "pre-push"):
        assert modes[f"dataward/hooks/{hook}"] & 0o111, hook
    assert "dataward/hooks/_dataward.sh" in modes
    shipped = {n.rsplit("/", 1)[1] for n in modes if n.startswith("dataward/workflows/")}
    assert shipped == {p.name for p in (ROOT / "dataward" / "workflows").glob("*.yml")}
    # The catalog page is assembled from these at run time.
    static = {n.rsplit("/", 1)[1] for n in modes if n.startswith("dataward/catalog/static/")}
    assert static == {"body.html", "dom.js", "page.css", "page.js"}
    drift = {n.rsplit("/", 1)[1] for n in modes if n.startswith("dataward/report/static/")}
    assert drift == {"drift.css", "drift.js", "drift_body.html"}  # the drift dashboard's page
