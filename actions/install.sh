#!/usr/bin/env bash
# Install dataward from this checkout of the action into its own virtual environment, with every
# dependency pinned by actions/constraints.txt (frozen on Python 3.11: older Pythons lack some
# of those releases); print the path of its `dataward` command as the step output `dataward`.
# Inputs come through the environment: PYTHON, EXTRAS, ACTION_PATH.
set -euo pipefail
# The remote's credentials are for dataward, not for pip and the packages it builds.
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
root="$(cd "$ACTION_PATH/../.." && pwd)"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "::error title=dataward::$("$PYTHON" --version 2>&1) is too old: the action needs" \
       "Python 3.11 or newer (actions/setup-python with python-version: \"3.12\")"
  exit 2
fi
key="$(printf '%s %s %s' "$root" "$EXTRAS" "$("$PYTHON" --version 2>&1)" | sha1sum | cut -c1-12)"
venv="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/dataward-venv-$key"
if [ ! -x "$venv/bin/dataward" ]; then
  "$PYTHON" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    --constraint "$root/actions/constraints.txt" "$root[$EXTRAS]"
fi
"$venv/bin/dataward" --version
echo "dataward=$venv/bin/dataward" >> "$GITHUB_OUTPUT"
