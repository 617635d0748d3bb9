"""One module per check id; each has `main(argv) -> int` and pure functions returning findings.

CHECKS maps each hook id (as in .pre-commit-hooks.yaml) to its module, imported on demand so
that `dataward check X` loads only X.
"""

CHECKS = {
    "no-large-binaries": "dataward.checks.no_large_binaries",
    "dvc-files": "dataward.checks.dvc_files",
    "dvc-config": "dataward.checks.dvc_config",
    "dataset-cards": "dataward.checks.dataset_cards",
    "dvc-pushed": "dataward.checks.dvc_pushed",
}
