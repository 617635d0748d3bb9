"""The checks of a git hook stage, in one process: the plain hooks (`dataward hook pre-commit`,
for repositories without the pre-commit framework) and the `dataward` pre-commit hook id
(`dataward-commit`), which runs the four commit checks for the start-up cost of one.

Each check is given what its own hook id would be given: FILES holds the manifest's `files:`
patterns (a test holds them equal), so a file pre-commit would not pass to dvc-files is not
passed to it here either, and a check none of whose files changed does not run.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Mapping, Sequence

from dataward.errors import EXIT_USAGE
from dataward.findings import Outcome

# Which checks each stage runs (pre-commit users set stages in .pre-commit-config.yaml).
STAGES: dict[str, list[str]] = {
    "pre-commit": ["no-large-binaries", "dvc-files", "dvc-config", "dataset-cards"],
    "pre-push": ["no-large-binaries", "dvc-pushed"],
}

# As the manifest's `files:`; a check not named here looks at every file.
FILES = {"dvc-files": r"(\.dvc|(^|/)dvc\.yaml|(^|/)\.gitignore)$",
         # .gitignore: whether config.local is ignored is a dvc-config verdict.
         "dvc-config": r"(^|/)\.dvc(/config(\.local)?)?$|(^|/)\.gitignore$"
                       r"|^(dataward|pyproject)\.toml$",
         "dataset-cards": r"\.(dvc|md)$"}
# dvc-config reads every DVC config whatever it is given (`pass_filenames: false`).
PASS_FILENAMES = {"dvc-config": False}


def given(check_id: str, files: Sequence[str]) -> list[str] | None:
    """The files a check's own hook would be given out of `files`; None when pre-commit would
    skip that hook (no file matches its `files:`)."""
    pattern = FILES.get(check_id)
    if pattern is None:
        return list(files)
    names = [path for path in files if re.search(pattern, path)]
    if not names:
        return None
    return names if PASS_FILENAMES.get(check_id, True) else []


def run_checks(check_ids: Sequence[str], files: Sequence[str], fmt: str = "text",
               config: str | None = None, env: Mapping[str, str] | None = None) -> int:
    """Each check on the files its hook would get, the repository and policy read once; one
    report; the worst exit code (3 > 2 > 1 > 0)."""
    from dataward.checks import check_of
    from dataward.runner import Request, execute_all, report_all

    jobs = [(c, check_of(c), Request(files=tuple(names), env=dict(env or {})))
            for c in check_ids if (names := given(c, files)) is not None]
    return report_all(execute_all(jobs, config), fmt)


def run_stage(stage: str, hook_args: list[str]) -> int:
    """`dataward hook STAGE`: what a plain git hook of that stage runs."""
    from dataward.runner import report_all

    if stage == "pre-push":
        from dataward.checks import check_of
        from dataward.runner import Request, execute_all

        if not hook_args:
            print("dataward hook pre-push: git passes REMOTE and URL", file=sys.stderr)
            return EXIT_USAGE
        # git gives the pushed refs once, on stdin; every check judges the same ones.
        request = Request(pre_push=hook_args[0], push_lines=tuple(sys.stdin.read().splitlines()))
        return report_all(execute_all([(c, check_of(c), request) for c in STAGES[stage]]),
                          "text")
    staged = _staged_paths()
    if not isinstance(staged, list):
        return report_all([staged], "text")
    return run_checks(STAGES[stage], staged)


def _staged_paths() -> list[str] | Outcome:
    """The staged files, read once for every check of the stage; the Outcome that says why
    when they cannot be. They are the root's paths: the checks run from there, as when git
    runs the hook (someone may run it from a subfolder)."""
    from dataward.runner import guarded

    staged: list[str] = []

    def read() -> Outcome:
        from dataward.adapters.git import Repo

        repo = Repo.discover()
        os.chdir(repo.root)
        staged.extend(c.path for c in repo.staged_changes())
        return Outcome("dataward", 0, [])

    done = guarded("dataward", read)
    return staged if not done.exit_code else done


# -- the `dataward` pre-commit hook id ---------------------------------------------------------

COMMIT = STAGES["pre-commit"]


def build_parser() -> argparse.ArgumentParser:
    from dataward.runner import add_common_options

    parser = argparse.ArgumentParser(
        prog="dataward-commit",
        description=f"The commit checks ({', '.join(COMMIT)}) in one process, each on the "
                    "files its own hook would be given. `SKIP=<check id>` leaves one out, as "
                    "pre-commit does for a hook id.")
    parser.add_argument("filenames", nargs="*", help="the files pre-commit passes")
    add_common_options(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from dataward.runner import refuse_closed_stdout

    args = build_parser().parse_args(argv)
    closed = refuse_closed_stdout("dataward-commit")
    if closed is not None:
        return closed
    skipped = {s.strip() for s in os.environ.get("SKIP", "").split(",")}
    try:
        return run_checks([c for c in COMMIT if c not in skipped], args.filenames, args.format,
                          args.config, os.environ)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
