"""dataward's hooks in `.pre-commit-config.yaml`: a new file, or one block merged into the
user's own as text, so their comments, layout and line endings survive; the result is parsed
again and must equal theirs plus our repository, or nothing is written."""

from __future__ import annotations

import json
import re
from typing import Any, Literal, NamedTuple

from dataward.errors import UsageError
from dataward.stages import STAGES

Kind = Literal["registry", "project"]
CONFIG = ".pre-commit-config.yaml"
HOOK_TYPES = ["pre-commit", "pre-push"]
MIN_PRE_COMMIT = (3, 2, 0)  # the stage names our hooks use (as the manifest says)
_IDS = ("no-large-binaries", "dvc-files", "dvc-config", "dataset-cards", "dvc-pushed",
        "dataward-commit")
COMMIT_CHECKS = tuple(STAGES["pre-commit"])  # what the `dataward` hook id runs
# (hook id, stages): the four commit checks in one process (one start-up instead of four);
# the pushed commits' blobs and their data in the remote at push.
HOOKS = [("dataward", ["pre-commit"]), ("no-large-binaries", ["pre-push"]),
         ("dvc-pushed", ["pre-push"])]


def checks_for(kind: Kind) -> list[str]:
    """The checks a repository of this kind needs, whichever hook ids run them."""
    cards = ["dataset-cards"] if kind == "registry" else []
    return ["no-large-binaries", "dvc-files", "dvc-config", *cards, "dvc-pushed"]


class Merge(NamedTuple):
    text: str  # the new file; equal to the old one when nothing needed changing
    notes: list[str]  # what we saw but left alone (another rev, hooks left out)


def block(repo: str, rev: str, indent: str = "  ") -> list[str]:
    """Our `- repo:` item, at `indent` (the indentation of the file's other items)."""
    inner = indent + "  "
    lines = [f"{indent}# dataward: large files stay out of git, .dvc files and dataset cards "
             "stay true,",
             f"{indent}# and pushed commits have their data in the DVC remote "
             "(docs/checks.md).",
             f"{indent}- repo: {_scalar(repo)}",
             f"{inner}rev: {_scalar(rev)}",
             f"{inner}hooks:"]
    for hook_id, stages in HOOKS:
        lines += [f"{inner}  - id: {hook_id}", f"{inner}    stages: [{', '.join(stages)}]"]
    return lines


def new_config(repo: str, rev: str) -> str:
    text = "\n".join([
        "# pre-commit (https://pre-commit.com). `pre-commit install` sets up both hook types;",
        "# `pre-commit autoupdate` moves every repository below to its latest release.",
        f"default_install_hook_types: [{', '.join(HOOK_TYPES)}]",
        "repos:",
        *block(repo, rev),
    ]) + "\n"
    if _load(text) != {"default_install_hook_types": HOOK_TYPES, "repos": [ours(repo, rev)]}:
        raise UsageError(f"cannot write {CONFIG} for --hook-repo {repo!r} --rev {rev!r}",
                         "give a plain URL or path and a tag or commit")
    return text


def ours(repo: str, rev: str) -> dict[str, Any]:
    """Our repository as pre-commit reads it."""
    return {"repo": repo, "rev": rev, "hooks": [{"id": i, "stages": s} for i, s in HOOKS]}


def merge(existing: str, repo: str, rev: str, kind: Kind) -> Merge:
    """`existing` with our block added; unchanged (with notes) when dataward is already in it.
    UsageError when it cannot be read or merged safely (the message holds the block to paste)."""
    bom = "\ufeff" if existing.startswith("\ufeff") else ""
    body = existing[len(bom):]
    newline = "\r\n" if "\r\n" in body else "\n"
    if _is_empty(body):  # nothing but comments: ours goes after them
        kept = "\n".join(body.splitlines()).rstrip()
        text = (kept + "\n\n" if kept.strip() else "") + new_config(repo, rev)
        return Merge(bom + text.replace("\n", newline), [])
    data = _load(body)
    repos = data.get("repos")
    lines = body.splitlines()
    if repos is not None and not isinstance(repos, list):
        raise UsageError(f"{CONFIG}:{_line_of_repos(lines) or 1}: `repos:` is not a list",
                         "make it a list of repositories, then run dataward init again; "
                         "nothing was changed")
    notes = _version_note(data)
    found = [r for r in repos or [] if isinstance(r, dict) and _is_ours(r, repo)]
    if found:
        return Merge(existing, notes + _differences(found[0], rev, kind))
    if not repos:  # `repos: []` becomes a block list
        lines = [re.sub(r"^repos\s*:\s*\[\s*\]", "repos:", line) for line in lines]
    start = _line_of_repos(lines)
    if start is None and "repos" in data:  # flow style, or a form we do not edit by hand
        raise _cannot_merge(repo, rev, "its `repos:` is not a block list")
    if start is None:
        lines.append("repos:")
        start = len(lines)
    start -= 1
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or lines[end][0] in " \t-#"):
        end += 1
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].startswith("#")):
        end -= 1  # trailing blank lines and comments belong to what follows
    indent = next((m.group(1) for line in lines[start + 1:end]
                   if (m := re.match(r"(\s*)-\s", line))), "  ")
    new_lines = lines[:end] + block(repo, rev, indent) + lines[end:]
    added_types = "default_install_hook_types" not in data
    if added_types:
        new_lines.insert(start, f"default_install_hook_types: [{', '.join(HOOK_TYPES)}]")
    elif not set(HOOK_TYPES) <= set(data.get("default_install_hook_types") or []):
        notes.append(f"{CONFIG}: default_install_hook_types leaves out pre-push; "
                     "dataward init installs it, a bare `pre-commit install` would not")
    text = newline.join(new_lines) + newline
    expected = dict(data)
    expected["repos"] = [*(repos or []), ours(repo, rev)]
    if added_types:
        expected["default_install_hook_types"] = HOOK_TYPES
    try:
        merged = _load(text)
    except UsageError:
        raise _cannot_merge(repo, rev, "the merged file would not read back") from None
    if merged != expected:
        raise _cannot_merge(repo, rev, "the merged file would not read back as yours "
                                             "plus dataward's")
    return Merge(bom + text, notes)


def _scalar(value: str) -> str:
    """`value` as YAML reads it back: plain when it can be, else a double-quoted string."""
    import yaml

    try:
        if yaml.safe_load(f"k: {value}") == {"k": value}:
            return value
    except yaml.YAMLError:
        pass
    return json.dumps(value)


def _line_of_repos(lines: list[str]) -> int | None:
    return next((i for i, line in enumerate(lines, 1)
                 if re.match(r"repos\s*:\s*(#.*)?$", line)), None)


def _is_empty(text: str) -> bool:
    import yaml

    try:
        return yaml.safe_load(text) is None
    except yaml.YAMLError:
        return False


def _load(text: str) -> dict[str, Any]:
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise UsageError(f"{CONFIG}{where}: not valid YAML: {problem}",
                         "fix that line (`pre-commit validate-config` says more), then run "
                         "dataward init again; nothing was changed") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError(f"{CONFIG}: not a pre-commit configuration (a mapping with `repos:`)",
                         "fix or remove it, then run dataward init again; nothing was changed")
    return data


def _is_ours(entry: dict[str, Any], repo: str) -> bool:
    """Our repository under any URL (a mirror, a fork, a local path), or a local hook of ours
    (its entry runs one of our console scripts); a local hook that only borrows an id is not."""
    url = str(entry.get("repo", "")).rstrip("/")
    if url == repo.rstrip("/") or url.removesuffix(".git").endswith("/dataward"):
        return True
    if url != "local":
        return False
    for hook in entry.get("hooks") or []:
        command = str(hook.get("entry", "")).split() if isinstance(hook, dict) else []
        if command and command[0].rsplit("/", 1)[-1] in (*_IDS, "dataward"):
            return True
    return False


def _differences(entry: dict[str, Any], rev: str, kind: Kind) -> list[str]:
    notes = []
    have: set[str] = set()
    pushed_blobs = False  # no-large-binaries at push: the blobs of pushed commits
    for hook in entry.get("hooks") or []:
        if not isinstance(hook, dict):
            continue
        ran = _checks_of(hook)
        have.update(ran)
        stages = hook.get("stages")
        pushed_blobs |= "no-large-binaries" in ran and hook.get("id") != "dataward" and (
            not isinstance(stages, list) or "pre-push" in stages)
    missing = [i for i in checks_for(kind) if i not in have]
    if "no-large-binaries" in have and not pushed_blobs:
        missing.append("no-large-binaries at pre-push")
    if missing:
        notes.append(f"{CONFIG} already has dataward's hooks but not: {', '.join(missing)} "
                     "(left as it is; README, The hooks at a glance, says what each does)")
    if entry.get("repo") not in (None, "local") and str(entry.get("rev")) != rev:
        notes.append(f"{CONFIG} pins dataward at {entry.get('rev')}, this is {rev} "
                     f"(left as it is; `pre-commit autoupdate --repo {entry.get('repo')}` "
                     "moves it)")
    return notes


def _checks_of(hook: dict[str, Any]) -> tuple[str, ...]:
    """The checks a hook of ours runs: by its id, or by the command of a local hook's entry
    (`dataward-commit`, `dvc-files`, `dataward hook pre-commit`, `dataward check dvc-files`)."""
    command = str(hook.get("entry", "")).split()
    if not command:  # a hook of our repository: its id says
        hook_id = str(hook.get("id", ""))
        return COMMIT_CHECKS if hook_id == "dataward" else (hook_id,) if hook_id in _IDS else ()
    name, args = command[0].rsplit("/", 1)[-1], command[1:3]
    if name == "dataward-commit" or (name == "dataward" and args == ["hook", "pre-commit"]):
        return COMMIT_CHECKS
    if name == "dataward" and len(args) == 2 and args[0] == "check":
        name = args[1]
    return (name,) if name in _IDS else ()


def _version_note(data: dict[str, Any]) -> list[str]:
    if "minimum_pre_commit_version" not in data:
        return []
    wanted = str(data["minimum_pre_commit_version"])
    try:
        if tuple(int(p) for p in wanted.split(".")[:3]) >= MIN_PRE_COMMIT:
            return []
    except ValueError:
        return []
    need = ".".join(map(str, MIN_PRE_COMMIT))
    return [f"{CONFIG}: minimum_pre_commit_version is {wanted}; dataward's hooks need "
            f"pre-commit {need} or newer (left as it is)"]


def _cannot_merge(repo: str, rev: str, why: str) -> UsageError:
    return UsageError(
        f"{CONFIG}: cannot add dataward's hooks to this file safely ({why}); nothing was "
        "changed", "add these lines under `repos:` yourself, then run dataward init again:\n"
        + "\n".join(block(repo, rev)))
