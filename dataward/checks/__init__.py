"""One module per check id. Each has `main(argv) -> int`, its console script, and
`run(repo, policy, request) -> Outcome`, the one interface the hooks and CI call too; inside,
collect (through the adapters) -> judge (pure) -> findings.

CHECKS maps each hook id (as in .pre-commit-hooks.yaml) to its module, imported on demand so
that `dataward check X` loads only X.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dataward.runner import Check

CHECKS = {
    "no-large-binaries": "dataward.checks.no_large_binaries",
    "dvc-files": "dataward.checks.dvc_files",
    "dvc-config": "dataward.checks.dvc_config",
    "dataset-cards": "dataward.checks.dataset_cards",
    "dvc-pushed": "dataward.checks.dvc_pushed",
}


def check_of(check_id: str) -> Check:
    """The `run` of a check, its module imported now."""
    run: Check = importlib.import_module(CHECKS[check_id]).run
    return run
