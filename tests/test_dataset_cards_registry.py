"""dataset-cards in the lab's registry (the default `--profile lab`): real git, real `dvc`.

Every `.dvc` file is a dataset with a card beside it, every card has its dataset, the card's
size agrees with what `dvc add` recorded, and the lab's keys say who answers for the data and
where it came from.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dataward import cli
from dataward.adopt.card_new import fill, template
from dataward.checks.dataset_cards import Dataset, category_of, main
from dataward.policy import DATASHEET_SECTIONS
from tests.conftest import BIN
from tests.harness.dvcrun import dvc
from tests.harness.hookrun import Result, runner
from tests.harness.repo import GitRepo

DESCRIBED = "\n# Dogs\n\nPhotos of the lab's dogs, taken in 2024 for a pose study.\n" + "".join(
    f"\n## {section}\n\nA few sentences about {section.lower()}.\n"
    for section in DATASHEET_SECTIONS)


def card(size: str = "n<1K", extra: str = "", body: str = DESCRIBED,
         maintainers: str = "maintainers:\n- name: Ada Lovelace\n  email: ada@lab.example\n",
         source: str = "source: https://lab.example/dogs\n") -> str:
    """A complete card; line 4 is `size_categories:`, line 6 `maintainers:`."""
    return (f"---\npretty_name: Dogs\nlicense: cc-by-4.0\nsize_categories:\n- {size}\n"
            f"{maintainers}{source}{extra}---\n{body}")


# -- repositories: built once per module with the real dvc, copied per test ------------------

@contextlib.contextmanager
def _hermetic(factory: pytest.TempPathFactory) -> Iterator[None]:
    """conftest's hermetic_git for module-scoped fixtures (it is function-scoped)."""
    home = factory.mktemp("template-home")
    gitconfig = home / ".gitconfig"
    gitconfig.write_text("[user]\n\tname = Lab Member\n\temail = member@lab.example\n"
                         "[init]\n\tdefaultBranch = main\n")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(home))
        mp.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
        mp.setenv("GIT_CONFIG_NOSYSTEM", "1")
        mp.setenv("PATH", BIN + os.pathsep + os.environ["PATH"])
        mp.setenv("DVC_NO_ANALYTICS", "1")
        mp.setenv("DVC_SITE_CACHE_DIR", str(home / "dvc-site-cache"))
        yield


@pytest.fixture(scope="module")
def empty_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository after `dvc init`, no data."""
    with _hermetic(tmp_path_factory):
        r = GitRepo.init(tmp_path_factory.mktemp("templates") / "empty")
        dvc(r.path, "init", "-q")
        r.git("add", "-A")
        r.commit("dvc init")
        return r.path


@pytest.fixture(scope="module")
def dogs_template(tmp_path_factory: pytest.TempPathFactory, empty_template: Path) -> Path:
    """... and `dvc add dogs`, a folder of 3 files, committed: `dogs.dvc`, no card."""
    with _hermetic(tmp_path_factory):
        path = tmp_path_factory.mktemp("templates") / "dogs"
        shutil.copytree(empty_template, path, symlinks=True)
        r = GitRepo(path)
        for i in range(3):
            r.write(f"dogs/dog.{i}.jpg", b"\xff\xd8 dog %d" % i)
        dvc(path, "add", "-q", "dogs")
        r.git("add", "-A")
        r.commit("add dogs")
        return path


@pytest.fixture(scope="module")
def consumer_template(tmp_path_factory: pytest.TempPathFactory, empty_template: Path,
                      dogs_template: Path) -> Path:
    """A registry that `dvc import`s dogs from another registry, and tracks a model."""
    with _hermetic(tmp_path_factory):
        path = tmp_path_factory.mktemp("templates") / "consumer"
        shutil.copytree(empty_template, path, symlinks=True)
        r = GitRepo(path)
        (path / "data").mkdir()
        dvc(path, "import", "-q", str(dogs_template), "dogs", "-o", "data/dogs")
        r.write("models/model.pt", b"\x80\x02 weights")
        dvc(path, "add", "-q", "models/model.pt")
        return path


def _copy(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    path = tmp_path / "repo"
    shutil.copytree(template, path, symlinks=True)
    monkeypatch.chdir(path)
    return GitRepo(path)


@pytest.fixture
def empty(empty_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    return _copy(empty_template, tmp_path, monkeypatch)


@pytest.fixture
def dogs(dogs_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    return _copy(dogs_template, tmp_path, monkeypatch)


@pytest.fixture
def consumer(consumer_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
             ) -> GitRepo:
    return _copy(consumer_template, tmp_path, monkeypatch)


@pytest.fixture
def hook(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    return runner(main, capsys)


@pytest.fixture
def dataward(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    return runner(cli.main, capsys)


def run(hook: Callable[..., Result], *args: str) -> Result:
    """Run the check with --format json; it never prints on stderr."""
    res = hook("--format", "json", *args)
    assert res.err == "", res.err
    return res


def errors(res: Result) -> list[dict[str, Any]]:
    return [f for f in res.findings() if f["severity"] == "error"]


def line_of(path: Path, start: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if line.lstrip().startswith(start))


# -- every dataset has a card ----------------------------------------------------------------

def test_a_dataset_without_a_card_is_an_error_naming_the_card(dogs: GitRepo, hook) -> None:
    assert (dogs.path / "dogs.dvc").read_text().count("nfiles: 3") == 1  # what dvc wrote
    res = run(hook)
    assert res.code == 1
    assert res.findings() == [{
        "check": "dataset-cards", "rule": "card-missing", "severity": "error",
        "path": "dogs.dvc", "line": None,
        "message": "has no dataset card (dogs.card.md)",
        "hint": "`dataward card new dogs.dvc` writes one to fill in"}]
    text = hook()
    assert text.code == 1
    assert text.out.startswith("dogs.dvc: [dataset-cards] has no dataset card (dogs.card.md) "
                               "[card-missing]\n"
                               "    `dataward card new dogs.dvc` writes one to fill in\n")


def test_card_new_writes_a_card_that_fails_until_it_is_filled_in(dogs: GitRepo, hook,
                                                                 dataward) -> None:
    res = dataward("card", "new", "dogs.dvc")
    assert (res.code, res.err) == (0, "")
    assert "wrote dogs.card.md" in res.out
    path = dogs.path / "dogs.card.md"
    text = path.read_text(encoding="utf-8")
    assert "size_categories:\n- n<1K" in text  # 3 files

    res = run(hook)
    errs = errors(res)
    assert res.code == 1
    assert [(f["path"], f["line"], f["message"]) for f in errs] == [
        ("dogs.card.md", line_of(path, "license:"), "`license` is still TODO"),
        ("dogs.card.md", line_of(path, "- name:"), "`maintainers[0].name` is still TODO"),
        ("dogs.card.md", line_of(path, "email:"), "`maintainers[0].email` is still TODO"),
        ("dogs.card.md", line_of(path, "source:"), "`source` is still TODO"),
        ("dogs.card.md", line_of(path, "TODO:"), "still has a TODO"),
    ]
    assert "cc-by-4.0" in errs[0]["hint"]

    filled = (text.replace("license: TODO", "license: cc-by-4.0  #")
              .replace("name: TODO", "name: Ada Lovelace")
              .replace("email: TODO", "email: ada@lab.example  #")
              .replace("source: TODO", "source: https://lab.example/dogs  #")
              .replace("TODO: what the data is", "Photos of dogs; what the data is"))
    assert "TODO" not in filled
    path.write_text(filled, encoding="utf-8")
    res = run(hook)
    errs = errors(res)
    assert (res.code, errs) == (0, [])  # warnings about the empty datasheet sections only

    again = dataward("card", "new", "dogs.dvc")
    assert again.code == 2
    assert "dogs.card.md already exists" in again.err
    assert path.read_text(encoding="utf-8") == filled


def test_card_new_sizes_the_card_from_the_file_count(dogs: GitRepo, dataward) -> None:
    assert [category_of(n) for n in (0, 1, 999, 1000, 9999, 10_000, 10**6, 10**12)] == [
        "n<1K", "n<1K", "n<1K", "1K<n<10K", "1K<n<10K", "10K<n<100K", "1M<n<10M", "n>1T"]
    assert "- 1K<n<10K  # big.dvc records 1000 files" in fill(
        template(), "big.dvc", Dataset("big.dvc", 1000, False), [])
    dogs.write("big.dvc", "outs:\n- md5: 35b595c95c4a1546d2b565e86d291f09.dir\n  size: 6000\n"
                          "  nfiles: 1000\n  hash: md5\n  path: big\n")
    assert dataward("card", "new", "big.dvc").code == 0
    assert "size_categories:\n- 1K<n<10K" in (dogs.path / "big.card.md").read_text()


def test_card_new_fills_in_the_labs_own_template(dogs: GitRepo, dataward) -> None:
    """`dataward init` writes .github/DATASET_CARD_TEMPLATE.md; a lab that edits it gets
    its own card from `card new`, with the dataset's name, size and path filled in."""
    lab = template().replace("source: TODO", "grant: TODO  # which grant paid for it\n"
                                              "source: TODO", 1)
    lab += "\n## Ethics review\n\n<!-- The committee's reference. -->\n"
    dogs.write(".github/DATASET_CARD_TEMPLATE.md", lab)
    assert dataward("card", "new", "dogs.dvc").code == 0
    card = (dogs.path / "dogs.card.md").read_text()
    assert card.startswith("---\npretty_name: Dogs\n")
    assert "grant: TODO  # which grant paid for it" in card and "## Ethics review" in card
    assert "Get it with `dvc pull dogs.dvc`." in card and "NAME" not in card


def test_card_new_asks_for_keys_the_policy_adds(dogs: GitRepo, hook, dataward) -> None:
    dogs.write("dataward.toml", '[dataset-cards]\nrequired-keys = ["license", "maintainers", '
                                '"source", "access"]\n')
    assert dataward("card", "new", "dogs.dvc").code == 0
    errs = errors(run(hook))
    assert "`access` is still TODO" in [f["message"] for f in errs]


# -- every card has a dataset ----------------------------------------------------------------

def test_a_card_without_a_dvc_file_is_an_error(dogs: GitRepo, hook) -> None:
    dogs.write("dogs.card.md", card())
    dogs.write("cats.card.md", card())
    res = run(hook)
    assert res.code == 1
    assert res.findings() == [{
        "check": "dataset-cards", "rule": "card-orphan", "severity": "error",
        "path": "cats.card.md", "line": 1,
        "message": "is a dataset card without a .dvc file",
        "hint": "rename it to match its .dvc file (`git mv`), or remove it if the dataset is "
                "gone (`git rm`)"}]


def test_readme_cards_pair_by_folder_and_a_plain_readme_is_no_card(empty: GitRepo,
                                                                    hook) -> None:
    empty.write("dataward.toml", '[dataset-cards]\ncard = "{dir}/README.md"\n')
    for i in range(3):
        empty.write(f"dogs/data/{i}.jpg", b"\xff\xd8 dog %d" % i)
    dvc(empty.path, "add", "-q", "dogs/data")
    assert (empty.path / "dogs" / "data.dvc").is_file()
    empty.write("dogs/README.md", card())
    empty.write("README.md", "# The lab's datasets\n\nOne folder per dataset.\n")
    empty.write("docs/README.md", "# Docs\n\nHow to use the registry.\n")
    res = run(hook)
    errs = errors(res)
    # READMEs without front matter, in folders without a .dvc file, are the repository's
    # documentation, not cards: neither orphans nor cards to judge.
    assert [f for f in res.findings() if f["path"] in ("README.md", "docs/README.md")] == []
    assert (res.code, errs) == (0, [])

    (empty.path / "dogs" / "README.md").unlink()
    errs = errors(run(hook))
    assert [(f["path"], f["message"]) for f in errs] == [
        ("dogs/data.dvc", "has no dataset card (dogs/README.md)")]


def test_a_readme_with_front_matter_and_no_dvc_file_is_an_orphan_card(empty: GitRepo,
                                                                       hook) -> None:
    empty.write("dataward.toml", '[dataset-cards]\ncard = "{dir}/README.md"\n')
    empty.write("cats/README.md", card())
    res = run(hook)
    assert res.code == 1
    assert [(f["path"], f["line"], f["message"]) for f in res.findings()] == [
        ("cats/README.md", 1, "is a dataset card without a .dvc file")]


# -- the card agrees with its data -----------------------------------------------------------

def sizes(res: Result) -> list[tuple[str, int, str, str]]:
    return [(f["path"], f["line"], f["severity"], f["message"]) for f in res.findings()
            if f["rule"] == "card-size-mismatch"]


def test_size_categories_counts_files_only_where_a_file_is_one_example(dogs: GitRepo,
                                                                       hook) -> None:
    dogs.write("dogs.card.md", card(size="1K<n<10K"))
    assert run(hook).findings() == []  # 3 files may hold 5,000 examples: not compared
    said = "`size_categories` is 1K<n<10K, but dogs.dvc records 3 files, one example each"
    dogs.write("dogs.card.md", card(size="1K<n<10K", extra="one_example_per_file: true\n"))
    res = run(hook)
    assert res.code == 0  # never an error for a file count: the Hub does not compare
    assert sizes(res) == [("dogs.card.md", 4, "warning",
                           f"{said} (the card's `one_example_per_file: true`)")]
    assert "`size_categories: [n<1K]`" in res.findings()[0]["hint"]
    assert run(hook, "--strict").code == 0
    dogs.write("dataward.toml", "[dataset-cards]\none-example-per-file = true\n")
    dogs.write("dogs.card.md", card(size="1K<n<10K"))
    assert sizes(run(hook)) == [("dogs.card.md", 4, "warning",
                                 f"{said} (the policy's `one-example-per-file`)")]
    dogs.write("dogs.card.md", card(size="1K<n<10K", extra="one_example_per_file: false\n"))
    assert run(hook).findings() == []  # the card knows its data better than the policy
    dogs.write("dogs.card.md", card(size="n<1K"))
    assert run(hook).findings() == []


def test_a_single_xml_file_of_10k_posts_may_say_10k(dogs: GitRepo, hook) -> None:
    dogs.write("dogs.card.md", card())
    dogs.write("posts.xml", "<posts>" + "<post>hi</post>" * 10_000 + "</posts>")
    dvc(dogs.path, "add", "-q", "posts.xml")
    dogs.write("posts.xml.card.md", card(size="10K<n<100K"))
    res = run(hook)
    assert (res.code, res.findings()) == (0, [])
    info = "dataset_info:\n  splits:\n  - name: train\n    num_examples: {n}\n"
    dogs.write("posts.xml.card.md", card(size="10K<n<100K", extra=info.format(n=10_000)))
    assert (run(hook).code, run(hook).findings()) == (0, [])
    # Where the card counts its examples, that count is what is compared.
    dogs.write("posts.xml.card.md", card(size="10K<n<100K", extra=info.format(n=500)))
    res = run(hook)
    assert res.code == 0
    assert sizes(res) == [("posts.xml.card.md", 4, "warning", "`size_categories` is "
                           "10K<n<100K, but `dataset_info` counts 500 examples")]
    assert run(hook, "--strict").code == 1  # the card contradicts itself: strict refuses


def test_a_single_file_counts_one(dogs: GitRepo, hook) -> None:
    dogs.write("dataward.toml", "[dataset-cards]\none-example-per-file = true\n")
    dogs.write("dogs.card.md", card())
    dogs.write("labels.csv", "file,label\ndog.0.jpg,sit\n")
    dvc(dogs.path, "add", "-q", "labels.csv")
    dogs.write("labels.csv.card.md", card(size="1K<n<10K"))
    res = run(hook)
    assert [(p, line) for p, line, _, _ in sizes(res)] == [("labels.csv.card.md", 4)]
    assert "labels.csv.dvc records 1 file, one example each" in res.findings()[0]["message"]
    assert "`size_categories: [n<1K]`" in res.findings()[0]["hint"]


def test_datasets_sharing_a_folder_card_add_up(empty: GitRepo, hook) -> None:
    empty.write("dataward.toml", '[dataset-cards]\ncard = "{dir}/README.md"\n'
                                 "one-example-per-file = true\n")
    empty.write("dogs/a.csv", "x\n1\n")
    empty.write("dogs/b.csv", "x\n2\n")
    dvc(empty.path, "add", "-q", "dogs/a.csv", "dogs/b.csv")
    empty.write("dogs/README.md", card(size="n>1T"))
    res = run(hook)
    assert [(p, line) for p, line, _, _ in sizes(res)] == [("dogs/README.md", 4)]
    message = res.findings()[0]["message"]
    assert "record 2 files" in message
    assert "dogs/a.csv.dvc" in message and "dogs/b.csv.dvc" in message


# -- the lab's keys --------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    pytest.param(card(maintainers="", source=""), [
        (2, "`maintainers` is missing"), (2, "`source` is missing")], id="missing-keys"),
    pytest.param(card(maintainers="maintainers: [{name: Ada Lovelace}]\n"), [
        (6, "`maintainers[0]` needs an `email` or a `github` user name")], id="unreachable"),
    pytest.param(card(maintainers="maintainers:\n- name: Ada\n  email: ada at lab\n"), [
        (8, "`maintainers[0].email` is not an email address")], id="bad-email"),
    pytest.param(card(extra="personal_data: true\n"), [
        (10, "`personal_data: true` without `personal_data_basis`")], id="personal-data"),
    pytest.param(card(extra="version: 1.10\n"), [
        (10, "`version` is read as the number 1.1, not a label")], id="float-version"),
    pytest.param(card(extra="access: secret\n"), [
        (10, "`access` is 'secret'; it must be 'public', 'lab' or 'restricted'")],
        id="access"),
    pytest.param(card(body="\n# Dogs\n\n## Motivation\n\n<!-- Why? -->\n"), [
        (11, "has no description after the front matter")], id="no-description"),
    pytest.param(card(extra="license_name: Lab License\n"), [
        (10, "`license_name`")], id="license-name-pattern"),
])
def test_lab_rules(dogs: GitRepo, hook, text: str, expected: list[tuple[int, str]]) -> None:
    dogs.write("dogs.card.md", text)
    res = run(hook)
    errs = errors(res)
    assert res.code == 1
    assert len(errs) == len(expected), errs
    for f, (line, message) in zip(errs, expected, strict=True):
        assert f["path"] == "dogs.card.md"
        assert f["line"] == line, f
        assert f["message"].startswith(message), f


def test_hints_say_how_to_fix_lab_keys(dogs: GitRepo, hook) -> None:
    dogs.write("dogs.card.md", card(extra="version: 1.10\naccess: secret\npersonal_data: true\n",
                                    maintainers="maintainers: [{name: Ada}]\n"))
    errs = errors(run(hook))
    hints = {f["message"].split(" ")[0]: f["hint"] for f in errs}
    assert 'quote it, such as `version: "1.10"`' in hints["`version`"]
    assert "`public`, `lab` or `restricted`" in hints["`access`"]
    assert "personal_data_basis" in hints["`personal_data:"]
    assert "github: USER" in hints["`maintainers[0]`"]


def test_a_quoted_version_and_a_complete_card_pass(dogs: GitRepo, hook) -> None:
    dogs.write("dogs.card.md", card(extra='version: "1.10"\naccess: lab\npersonal_data: true\n'
                                          "personal_data_basis: consent forms 2024-03\n"
                                          "language: [en]\ntask_categories: "
                                          "[image-classification]\n"))
    res = hook("--format", "json")
    assert (res.code, res.findings()) == (0, [])


def test_an_empty_required_key_is_reported_once(dogs: GitRepo, hook) -> None:
    dogs.write("dogs.card.md", card(maintainers="maintainers: []\n", source="source: ''\n"))
    res = run(hook)
    errs = errors(res)
    assert res.code == 1
    lines = [f["line"] for f in errs]
    assert sorted(lines) == [6, 7], errs  # one finding per problem, not two


def test_required_sections_are_errors_and_the_others_warnings(dogs: GitRepo, hook) -> None:
    dogs.write("dataward.toml", '[dataset-cards]\nrequired-sections = ["Motivation"]\n')
    body = "\nPhotos of the lab's dogs.\n\n## Uses\n\nPose studies.\n"
    dogs.write("dogs.card.md", card(body=body))
    res = run(hook)
    errs = errors(res)
    assert res.code == 1
    assert [(f["line"], "Motivation" in f["message"]) for f in errs] == [(11, True)]
    warned = " ".join(f["message"] for f in res.findings() if f["severity"] == "warning")
    for section in ("Composition", "Collection process", "Maintenance"):
        assert section in warned
    assert "Uses" not in warned  # it is there and filled in

    dogs.write("dogs.card.md", card(body=body.replace("## Uses", "## Motivation\n\n<!-- ? -->"
                                                      "\n\n## Uses")))
    res = run(hook)
    errs = errors(res)
    assert [(f["line"], "Motivation" in f["message"], "empty" in f["message"])
            for f in errs] == [(line_of(dogs.path / "dogs.card.md", "## Motivation"), True,
                                True)]

    dogs.write("dataward.toml", '[dataset-cards]\nrequired-sections = ["Motivation"]\n'
                                "recommend-sections = false\n")
    dogs.write("dogs.card.md", card(body=body.replace("## Uses", "## 1. Motivation\n\nA study."
                                                      "\n\n## Uses")))
    res = hook("--format", "json")
    assert (res.code, res.findings()) == (0, [])


def test_recommend_sections_false_silences_missing_sections(dogs: GitRepo, hook) -> None:
    dogs.write("dogs.card.md", card(body="\nPhotos of the lab's dogs.\n"))
    res = hook("--format", "json")
    assert res.code == 0
    assert res.findings() and all(f["severity"] == "warning" for f in res.findings())
    dogs.write("dataward.toml", "[dataset-cards]\nrecommend-sections = false\n")
    assert hook() == Result(0, "", "")


# -- where cards are optional, or not needed -------------------------------------------------

def test_in_a_project_cards_are_optional_but_still_validated(dogs: GitRepo, hook) -> None:
    dogs.write("dataward.toml", 'repository = "project"\n')
    assert hook() == Result(0, "", "")
    dogs.write("dogs.card.md", "---\nlicense: Apache-2.0\nsize_categories: [1K<n<10K]\n---\n"
                               "Photos of dogs.\n\n## Motivation\n\nA study.\n")
    res = run(hook)
    errs = errors(res)
    assert res.code == 1
    assert [(f["line"], f["message"].split(" is ")[0]) for f in errs] == [(2, "`license`")]
    assert errs[0]["hint"] == "did you mean `apache-2.0`?"
    assert not any("missing" in f["message"] for f in res.findings())  # no required keys
    dogs.write("orphan.card.md", card())
    errs = errors(run(hook))
    assert "orphan.card.md" not in {f["path"] for f in errs}


def test_an_import_needs_no_card_and_exclude_exempts_models(consumer: GitRepo, hook) -> None:
    assert "rev_lock:" in (consumer.path / "data" / "dogs.dvc").read_text()
    res = run(hook)
    errs = errors(res)
    assert res.code == 1
    assert [(f["path"], f["message"]) for f in errs] == [
        ("models/model.pt.dvc", "has no dataset card (models/model.pt.card.md)")]
    consumer.write("dataward.toml", '[dataset-cards]\nexclude = ["models/**"]\n')
    assert hook() == Result(0, "", "")
    assert hook("models/model.pt.dvc", "data/dogs.dvc") == Result(0, "", "")


def test_a_card_beside_an_import_is_no_orphan(consumer: GitRepo, hook) -> None:
    consumer.write("dataward.toml", '[dataset-cards]\nexclude = ["models/**"]\n')
    consumer.write("data/dogs.card.md", card(size="n<1K"))
    res = run(hook)
    errs = errors(res)
    # data/dogs.dvc is right there: the card is checked (its size against the import's file
    # count), and is not "a dataset card without a .dvc file".
    assert [f["message"] for f in errs] == [], errs
    assert res.code == 0


# -- files mode, as pre-commit runs it -------------------------------------------------------

def test_a_dvc_file_brings_its_card(dogs: GitRepo, hook) -> None:
    dogs.write("dogs.card.md", card().replace("license: cc-by-4.0", "license: Apache-2.0"))
    dogs.write("cats.card.md", card())  # an orphan, but not among the files given
    res = run(hook, "dogs.dvc")
    errs = errors(res)
    assert res.code == 1
    assert [(f["path"], f["line"], f["message"].split(" is ")[0]) for f in errs] == [
        ("dogs.card.md", 3, "`license`")]


def test_a_card_alone_is_checked_against_its_dvc_file(dogs: GitRepo, hook) -> None:
    dogs.write("dogs.card.md", card(size="1M<n<10M", extra="one_example_per_file: true\n"))
    dogs.write("cats.card.md", card())
    res = run(hook, "dogs.card.md")
    assert [(p, line) for p, line, _, _ in sizes(res)] == [("dogs.card.md", 4)]
    assert "dogs.dvc records 3 files" in res.findings()[0]["message"]
    errs = errors(run(hook, "cats.card.md"))
    assert [(f["path"], f["message"]) for f in errs] == [
        ("cats.card.md", "is a dataset card without a .dvc file")]


def test_a_dvc_file_given_without_its_card(dogs: GitRepo, hook) -> None:
    dogs.write("cats.card.md", card())
    errs = errors(run(hook, "dogs.dvc"))
    assert [(f["path"], f["message"]) for f in errs] == [
        ("dogs.dvc", "has no dataset card (dogs.card.md)")]


def test_from_a_subfolder_names_are_relative_to_it(dogs: GitRepo, hook,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    dogs.write("dogs.card.md", card(size="1M<n<10M", extra="one_example_per_file: true\n"))
    (dogs.path / "sub").mkdir()
    monkeypatch.chdir(dogs.path / "sub")
    res = run(hook, "../dogs.card.md")
    assert [(p, line) for p, line, _, _ in sizes(res)] == [("dogs.card.md", 4)]


# -- the policy ------------------------------------------------------------------------------

def test_an_invalid_card_pattern_exits_2_with_the_line(dogs: GitRepo, hook) -> None:
    dogs.write("dataward.toml", '# the lab registry\n[dataset-cards]\ncard = "cards/{x}.md"\n')
    res = hook()
    assert (res.code, res.out) == (2, "")
    assert "dataward.toml:3: dataset-cards.card:" in res.err
    assert "{dir} or {name}" in res.err


def test_card_new_refuses_what_is_not_a_dvc_file(dogs: GitRepo, dataward) -> None:
    res = dataward("card", "new", "dogs")
    assert res.code == 2
    assert "not a .dvc file" in res.err
    res = dataward("card", "new", "cats.dvc")
    assert res.code == 2
    assert "cats.dvc does not exist" in res.err
    assert not (dogs.path / "cats.card.md").exists()


def test_strict_promotes_what_the_hub_only_warns_about(dogs: GitRepo, hook) -> None:
    dogs.write("dogs.card.md", card(extra="annotations_creators: [gpt-4]\n"
                                          "task_categories: [conversational]\n"))
    res = run(hook)
    assert res.code == 0  # warnings alone pass
    assert [(f["line"], f["severity"], f["rule"]) for f in res.findings()] == [
        (10, "warning", "card-value-not-allowed"), (11, "warning", "card-deprecated-value")]
    assert res.findings()[0]["message"] == ("`annotations_creators[0]` is 'gpt-4', not an "
                                            "annotations_creators value the Hub lists")
    dogs.write("dataward.toml", '[dataset-cards]\nstrict-keys = ["annotations_creators"]\n')
    res = run(hook)
    assert res.code == 1
    assert [(f["line"], f["severity"]) for f in res.findings()] == [
        (10, "error"), (11, "warning")]
    dogs.write("dataward.toml", "[dataset-cards]\nstrict = true\n")
    res = run(hook)
    assert [(f["line"], f["severity"]) for f in res.findings()] == [(10, "error"), (11, "error")]


@pytest.mark.parametrize(("line", "words"), [
    ('strict-keys = ["licence"]', "dataset-cards.strict-keys: 'licence' is not a key the Hub "
                                  "only warns about; one of annotations_creators, "
                                  "dataset_info,"),
    ('strict-keys = ["license"]', "dataset-cards.strict-keys: 'license' is always an error: "
                                  "the Hub refuses a bad value"),
    ('strict = "yes"', "dataset-cards.strict: "),
])
def test_a_bad_strict_value_exits_2_naming_the_line(dogs: GitRepo, hook, line: str,
                                                    words: str) -> None:
    dogs.write("dataward.toml", f"[dataset-cards]\n{line}\n")
    res = hook()
    assert (res.code, res.out) == (2, "")
    assert f"dataward.toml:2: {words}" in res.err, res.err
