"""schemas/: JSON Schemas (2020-12) generated from the models, kept fresh, and true to what
dataward reads and writes."""

from __future__ import annotations

import json
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from dataward import cli
from dataward.checks import dataset_cards
from dataward.checks.dvc_files import parse
from dataward.policy import ConfigError, DvcFilesPolicy
from dataward.policy import load as load_policy
from tests.harness.dvcrun import dvc
from tests.harness.hookrun import Result, runner
from tests.harness.repo import GitRepo

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).parent.parent
SCHEMAS = ROOT / "schemas"
NAMES = ["catalog.schema.json", "dataset-card.schema.json", "drift-report.schema.json",
         "dvc-file.schema.json", "findings.schema.json", "policy.schema.json"]
HF_CARDS = Path(__file__).parent / "fixtures" / "hf-cards"
FAILING_CARDS = {"amazon_reviews_multi.md", "polyai-minds14.md"}
PASSING_CARDS = sorted(p.name for p in HF_CARDS.glob("*.md")
                       if p.name not in FAILING_CARDS and p.name != "SOURCES.md")
DVC_FORMATS = Path(__file__).parent / "fixtures" / "dvc-formats"


@pytest.fixture
def dataward(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    return runner(cli.main, capsys)


def validator(name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads((SCHEMAS / name).read_text("utf-8")))


def front_matter(path: Path) -> Any:
    """The YAML between the first two `---` lines, read by a plain YAML reader."""
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].strip() == "---"
    end = next(i for i, line in enumerate(lines[1:], 1) if line.strip() == "---")
    return yaml.safe_load("\n".join(lines[1:end]))


# -- fresh -----------------------------------------------------------------------------------

def test_the_committed_schemas_are_fresh(monkeypatch: pytest.MonkeyPatch, dataward) -> None:
    monkeypatch.chdir(ROOT)
    assert sorted(p.name for p in SCHEMAS.glob("*.json")) == NAMES
    assert dataward("schema", "--check") == Result(0, "", "")


def test_a_stale_schema_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 dataward) -> None:
    shutil.copytree(SCHEMAS, tmp_path / "schemas")
    stale = tmp_path / "schemas" / "policy.schema.json"
    stale.write_text(stale.read_text("utf-8").replace('"default": 500', '"default": 501'),
                     encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    res = dataward("schema", "--check")
    assert res.code == 1
    assert res.err.splitlines() == [
        f"{Path('schemas') / 'policy.schema.json'} is stale: run `dataward schema --write`"]
    assert res.out == ""


def test_write_then_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dataward) -> None:
    monkeypatch.chdir(tmp_path)
    res = dataward("schema", "--write", "--dir", "out")
    assert res.code == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == NAMES
    assert len(res.out.splitlines()) == len(NAMES) and all(
        line.startswith("wrote out") for line in res.out.splitlines())
    assert dataward("schema", "--check", "--dir", "out") == Result(0, "", "")
    for name in NAMES:  # what --write writes is what is committed
        assert (tmp_path / "out" / name).read_bytes() == (SCHEMAS / name).read_bytes()
    assert dataward("schema", "--write", "--dir", "out") == Result(0, "", "")  # nothing new


def test_a_missing_schema_is_stale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   dataward) -> None:
    shutil.copytree(SCHEMAS, tmp_path / "schemas")
    (tmp_path / "schemas" / "findings.schema.json").unlink()
    monkeypatch.chdir(tmp_path)
    res = dataward("schema", "--check")
    assert res.code == 1
    assert "findings.schema.json is stale" in res.err


@pytest.mark.parametrize("name", NAMES)
def test_each_schema_is_a_valid_2020_12_schema(name: str) -> None:
    schema = json.loads((SCHEMAS / name).read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith("/schemas/" + name)
    assert schema["title"].strip()
    assert schema["description"].strip()


# -- dataset cards ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", PASSING_CARDS)
def test_real_hub_cards_validate(name: str) -> None:
    data = front_matter(HF_CARDS / name)
    errors = [(list(e.absolute_path), e.message) for e in
              validator("dataset-card.schema.json").iter_errors(data)]
    assert errors == []


@pytest.mark.parametrize(("name", "key"), [("amazon_reviews_multi.md", "multilinguality"),
                                           ("polyai-minds14.md", "task_ids")])
def test_cards_the_check_refuses_the_schema_refuses_too(name: str, key: str) -> None:
    data = front_matter(HF_CARDS / name)
    paths = {e.absolute_path[0] for e in
             validator("dataset-card.schema.json").iter_errors(data)}
    assert key in paths


@pytest.mark.parametrize("bad", [{"license": "Apache-2.0"}, {"license": ["mit", "MIT"]},
                                 {"size_categories": "n<1k"}, {"language": "EN"},
                                 {"pretty_name": ["a", "b"]}, {"version": 1.1},
                                 {"access": "secret"}, {"maintainers": []},
                                 {"dataset_info": {"splits": [{"name": "t",
                                                               "num_examples": -1}]}}])
def test_bad_values_are_refused_by_the_card_schema(bad: dict[str, Any]) -> None:
    assert not validator("dataset-card.schema.json").is_valid({"pretty_name": "Dogs", **bad})


def test_a_filled_in_lab_card_validates() -> None:
    data = {"pretty_name": "Dogs", "license": "cc-by-4.0", "size_categories": ["n<1K"],
            "maintainers": [{"name": "Ada Lovelace", "email": "ada@lab.example"}],
            "source": "https://lab.example/dogs", "access": "lab", "version": "1.10",
            "personal_data": False, "language": ["en"]}
    assert validator("dataset-card.schema.json").is_valid(data)


# -- findings --------------------------------------------------------------------------------

def test_the_json_output_of_a_real_run_validates(repo: GitRepo,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    dvc(repo.path, "init", "-q")
    repo.write("dogs/dog.1.jpg", b"\xff\xd8 dog")
    repo.write("dogs/dog.2.jpg", b"\xff\xd8 dog two")
    dvc(repo.path, "add", "-q", "dogs")
    repo.write("cats.card.md", "---\nlicense: Apache-2.0\n---\nCats.\n")  # and an orphan
    res = runner(dataset_cards.main, capsys)("--format", "json")
    assert res.code == 1
    document = json.loads(res.out)
    findings = document["findings"]
    assert {f["path"] for f in findings} == {"dogs.dvc", "cats.card.md"}
    assert any(f["line"] is None for f in findings)  # `has no dataset card`: no line
    assert any(f["severity"] == "warning" for f in findings)
    errors = [(list(e.absolute_path), e.message)
              for e in validator("findings.schema.json").iter_errors(document)]
    assert errors == []


@pytest.mark.parametrize("bad", [
    {"schema_version": 2, "findings": []},
    {"schema_version": 1, "findings": [{"check": "x", "severity": "fatal", "path": ".",
                                        "line": None, "message": "m", "hint": "h"}]},
    {"schema_version": 1, "findings": [{"check": "x", "severity": "error", "path": ".",
                                        "line": 0, "message": "m", "hint": "h"}]},
    {"findings": []},
])
def test_the_findings_schema_refuses_other_documents(bad: dict[str, Any]) -> None:
    assert not validator("findings.schema.json").is_valid(bad)


# -- .dvc files ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(p.name for p in DVC_FORMATS.glob("*.dvc.txt")))
def test_dvc_files_that_dvc_files_accepts_validate(name: str) -> None:
    content = (DVC_FORMATS / name).read_bytes()
    accepted = parse(name.removesuffix(".txt"), content, DvcFilesPolicy())
    assert accepted.model is not None  # every format fixture is one dvc-files accepts
    assert [f for f in accepted.findings if f.severity == "error"] == []
    data = yaml.safe_load(content)
    errors = [(list(e.absolute_path), e.message)
              for e in validator("dvc-file.schema.json").iter_errors(data)]
    assert errors == []


def test_a_dvc_file_with_a_negative_size_is_refused_by_the_schema() -> None:
    data = yaml.safe_load((DVC_FORMATS / "dvc2-add-file.dvc.txt").read_bytes())
    data["outs"][0]["size"] = -4
    assert not validator("dvc-file.schema.json").is_valid(data)


# -- the policy ------------------------------------------------------------------------------

EVERY_KEY = """\
repository = "registry"
ignore = ["card-datasheet-sections"]
per-path-ignores = { "archive/**" = ["card-missing", "output-not-ignored"] }

[no-large-binaries]
max-kb = 500
text-max-kb = 5120
limits = { "*.csv" = 2048, "data/raw/**" = 50 }
binary-max-kb = 100
binary-allow = ["docs/**/*.png", "*.ico"]

[dvc-files]
unknown-keys = "error"
import-urls = ["https://github.com/lab/datasets"]

[dvc-config]
require-remote = true
remote-schemes = ["s3"]
remote-urls = ["s3://lab-data"]

[dataset-cards]
card = "{dir}/README.md"
required-keys = ["pretty_name", "license", "size_categories", "maintainers", "source"]
required-sections = ["Motivation", "Collection process"]
recommend-sections = false
exclude = ["models/**"]
strict = true
strict-keys = ["annotations_creators"]
one-example-per-file = false

[remote]
storage-usd-per-gb-month = 0.0036
transfer-usd-per-gb = 0.09
cache-days = 3
"""


def test_a_policy_with_every_key_validates_and_loads(tmp_path: Path) -> None:
    data = tomllib.loads(EVERY_KEY)
    schema = json.loads((SCHEMAS / "policy.schema.json").read_text("utf-8"))
    # Every key the schema knows is set here, so the test sees all of them.
    assert set(data) == set(schema["properties"])
    for section, table in data.items():
        if isinstance(table, dict) and section != "per-path-ignores":  # its keys are globs
            assert set(table) == set(schema["properties"][section]["properties"]), section
    assert [e.message for e in validator("policy.schema.json").iter_errors(data)] == []
    (tmp_path / "dataward.toml").write_text(EVERY_KEY)
    policy = load_policy(str(tmp_path)).policy  # and dataward itself takes it
    assert policy.dataset_cards.card == "{dir}/README.md"


def test_the_documented_examples_validate() -> None:
    docs = (ROOT / "docs" / "configuration.md").read_text("utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", docs, re.DOTALL)
    assert len(blocks) >= 3
    for block in blocks:
        data = tomllib.loads(block)
        assert [e.message for e in validator("policy.schema.json").iter_errors(data)] == [], \
            block
    # Every key of the schema is in a table of the docs.
    schema = json.loads((SCHEMAS / "policy.schema.json").read_text("utf-8"))
    for section, spec in schema["properties"].items():
        keys = spec.get("properties", {section: None})
        for key in keys:
            assert f"`{key}`" in docs, f"{section}.{key} is not documented"


@pytest.mark.parametrize("text", [
    'repository = "registry"\n[dataset-cards]\nrequired_sections = ["Motivation"]\n',
    "[dataset-cards]\nexclude = \"models/**\"\n",
    "[dataset-cards]\nrecommend-sections = \"no\"\n",
    'repository = "lab"\n',
    "[no-large-binaries]\nmax-kb = \"500\"\n",
    "[dvc-files]\nunknown-keys = \"ignore\"\n",
    "[datasets-cards]\ncard = \"{dir}/README.md\"\n",
    "[no-large-binaries]\nlimits = { \"*.csv\" = \"2MB\" }\n",
])
def test_an_unknown_key_or_a_wrong_type_is_refused(text: str, tmp_path: Path) -> None:
    data = tomllib.loads(text)
    assert not validator("policy.schema.json").is_valid(data)
    (tmp_path / "dataward.toml").write_text(text)
    with pytest.raises(ConfigError):  # dataward refuses it too
        load_policy(str(tmp_path))
