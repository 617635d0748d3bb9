#!/usr/bin/env bash
# Install dataward from this checkout of the action into its own virtual environment, with every
# dependency pinned by actions/constraints.txt; print the path of its `dataward` command as the
# step output `dataward`. Inputs come through the environment: PYTHON, EXTRAS, ACTION_PATH.
set -euo pipefail
root="$(cd "$ACTION_PATH/../.." && pwd)"
venv="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/dataward-venv-${EXTRAS//,/-}"
if [ ! -x "$venv/bin/dataward" ]; then
  "$PYTHON" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    --constraint "$root/actions/constraints.txt" "$root[$EXTRAS]"
fi
"$venv/bin/dataward" --version
echo "dataward=$venv/bin/dataward" >> "$GITHUB_OUTPUT"
