# Sourced by the hooks: find dataward, or fail closed with the way to install it.
dataward_run() {
    # `dataward init --no-pre-commit` records the Python that has dataward (a virtual
    # environment need not be active when git runs the hook).
    py=$(git config --get dataward.python 2>/dev/null)
    if [ -n "$py" ] && [ -x "$py" ]; then
        exec "$py" -m dataward "$@"
    fi
    if command -v dataward >/dev/null 2>&1; then
        exec dataward "$@"
    fi
    for py in python3 python; do
        if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import dataward' 2>/dev/null; then
            exec "$py" -m dataward "$@"
        fi
    done
    echo "dataward: not installed, so this hook cannot check (exit 3)" >&2
    echo "    pip install dataward, or commit with --no-verify to skip the checks" >&2
    exit 3
}
