"""File names given on the command line, as repository-relative '/'-separated paths."""

import os
from collections.abc import Sequence


def repo_paths(root: str, names: Sequence[str]) -> set[str]:
    """Repository-relative paths of file names given relative to the current folder.

    pre-commit runs hooks at the root with clean relative names: those pass through as they
    are; anything else (a subfolder, `./x`, `../x`, absolute) is resolved.
    """
    here = os.getcwd()
    if here == root and not any(_needs_resolving(n) for n in names):
        return set(names)
    prefix = "" if here == root else os.path.relpath(here, root).replace(os.sep, "/") + "/"
    return {os.path.relpath(os.path.abspath(n), root).replace(os.sep, "/")
            if _needs_resolving(n) else prefix + n for n in names}


def _needs_resolving(name: str) -> bool:
    return (os.sep != "/" or name.startswith(("/", "./", "../")) or "/./" in name
            or "/../" in name)

