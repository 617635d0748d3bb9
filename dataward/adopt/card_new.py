"""`dataward card new NAME.dvc`: a card to fill in, pre-filled from the `.dvc` file.

Every key the registry requires is written; what only a person knows is `TODO`, which the
dataset-cards check refuses until it is filled in. An existing card is never overwritten.
"""

from __future__ import annotations

import os
import posixpath

from dataward.adapters.files import escapes, fix_for, read_capped, why
from dataward.adapters.git import Repo
from dataward.checks.dataset_cards import Dataset, card_path, category_of, dataset_of
from dataward.errors import UsageError
from dataward.filenames import repo_paths
from dataward.formats.yamlsafe import MAX_BYTES
from dataward.policy import load as load_policy

# The datasheet questions (Gebru et al., Datasheets for Datasets), one line each.
QUESTIONS = {
    "Motivation": "Why was the dataset made, by whom, and who paid for it?",
    "Composition": "What does one item hold? How many are there, and is anything missing?",
    "Collection process": "How, when and by whom was the data collected?",
    "Preprocessing": "What was cleaned, labelled or removed, and is the raw data kept?",
    "Uses": "What is it for, and what should it not be used for?",
    "Distribution": "Who may get it, under which license, and how (`dvc pull`)?",
    "Maintenance": "Who keeps it up to date, and how are errors reported?",
}


# The placeholders `fill` replaces; the template `dataward init` writes holds them, and a lab
# may edit everything around them (`.github/DATASET_CARD_TEMPLATE.md`).
NAME = "NAME.dvc"
PRETTY = "pretty_name: TODO  # the dataset's name, for people"
TITLE = "# TODO: the dataset's name"
SIZE = "- TODO  # `dvc add` the data first: its file count sets this"
TEMPLATE_FILE = ".github/DATASET_CARD_TEMPLATE.md"


def template() -> str:
    """The card every dataset starts from, with the placeholders above."""
    lines = [
        "---",
        PRETTY,
        "license: TODO  # a Hub license id, such as cc-by-4.0 "
        "(https://huggingface.co/docs/hub/repositories-licenses)",
        "size_categories:",
        SIZE,
        "maintainers:",
        "- name: TODO",
        "  email: TODO  # or `github: USER`",
        "source: TODO  # where the data came from: a URL, or how it was made",
        "# language: [en]",
        "# task_categories: [image-classification]",
        "# access: lab  # public, lab or restricted",
        "# personal_data: false",
        '# version: "1"',
        "---",
        "",
        TITLE,
        "",
        "TODO: what the data is, how it was made, and what it is for.",
        "",
        f"Stored with DVC: `{NAME}`. Get it with `dvc pull {NAME}`.",
    ]
    for section, question in QUESTIONS.items():
        lines += ["", f"## {section}", "", f"<!-- {question} -->"]
    return "\n".join(lines) + "\n"


def fill(text: str, dvcfile: str, dataset: Dataset, required: list[str]) -> str:
    """The card of one dataset from a template: its name, title, size category and path; keys
    the policy requires that the template lacks are asked for too."""
    name = posixpath.basename(dvcfile)[: -len(".dvc")]
    pretty = name.replace("_", " ").replace("-", " ").strip().capitalize() or name
    if dataset.nfiles is not None:
        files = f"{dataset.nfiles} file{'s' if dataset.nfiles != 1 else ''}"
        size = f"- {category_of(dataset.nfiles)}  # {dvcfile} records {files}"
    else:
        size = SIZE
    text = (text.replace(PRETTY, f"pretty_name: {_quote(pretty)}", 1)
            .replace(TITLE, f"# {pretty}", 1).replace(SIZE, size, 1).replace(NAME, dvcfile))
    lines = text.split("\n")
    if lines[0] != "---" or "---" not in lines[1:]:
        return text  # no front matter to complete: the lab's template, as it is
    end = lines.index("---", 1)
    present = {line.split(":", 1)[0] for line in lines[1:end] if ":" in line}
    missing = [k for k in required if k not in present]
    lines[end:end] = [f"{k}: TODO" for k in missing]
    return "\n".join(lines)


def _quote(text: str) -> str:
    return f'"{text}"' if any(c in text for c in ":#'\"[]{}") else text


def new(dvcfile_arg: str, config_file: str | None) -> str:
    """Write the card; returns its path. UsageError when the .dvc file is missing or the
    card exists."""
    repo = Repo.discover()
    policy = load_policy(repo.root, config_file).policy
    (dvcfile,) = repo_paths(repo.root, [dvcfile_arg])
    if not dvcfile.endswith(".dvc"):
        raise UsageError(f"{dvcfile_arg} is not a .dvc file",
                         "give the .dvc file of the dataset, e.g. `dataward card new "
                         "dog_and_cat.dvc`")
    if dvcfile == ".." or dvcfile.startswith("../"):
        raise UsageError(f"{dvcfile_arg} is outside the repository at {repo.root}",
                         "run `dataward card new` in the repository that holds the .dvc file")
    content = read_capped(repo.root, dvcfile, MAX_BYTES + 1)
    if content is None:
        raise UsageError(f"{dvcfile_arg} does not exist", "`dvc add DATA` first; it writes "
                         "DATA.dvc")
    if isinstance(content, OSError):
        raise UsageError(f"{dvcfile_arg} {why(content)}", fix_for(dvcfile, content))
    dataset = dataset_of(dvcfile, content)
    if dataset is None:
        raise UsageError(f"{dvcfile_arg} is not a readable .dvc file",
                         "`dvc-files` says what is wrong with it")
    card = card_path(dvcfile, policy.dataset_cards.card)
    target = os.path.join(repo.root, card)
    if os.path.lexists(target):
        raise UsageError(f"{card} already exists; it was left as it is",
                         f"edit it, or check it with `dataset-cards {card}`")
    if escapes(repo.root, target):
        raise UsageError(f"{card} is in a folder that links outside the repository; nothing "
                         "was written", "make that folder a real folder of the repository")
    text = fill(_template(repo.root), dvcfile, dataset, policy.dataset_cards.required_keys)
    try:
        os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
        # "x": never over a card, nor through a link put there since the check above.
        with open(target, "x", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise UsageError(f"{card}: cannot be written: {exc.strerror}",
                         "check that its folder is a folder you can write to") from None
    return card


def _template(root: str) -> str:
    """The lab's template when it has one, else dataward's; one that cannot be read (a link
    out of the repository, a FIFO) is an error rather than quietly replaced."""
    own = read_capped(root, TEMPLATE_FILE, MAX_BYTES)
    if own is None:
        return template()
    if isinstance(own, OSError):
        raise UsageError(f"{TEMPLATE_FILE} {why(own)}", fix_for(TEMPLATE_FILE, own))
    return own.decode("utf-8", "replace")
