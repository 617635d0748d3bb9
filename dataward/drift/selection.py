"""`drift scan --datasets GLOB[,GLOB...]`: the registry datasets one environment is meant to
hold (a GPU box with two of them). The globs are .gitattributes patterns
(dataward.formats.globs) matched against dataset names, the paths users see in reports:
`fish` and `*.pt` match at any depth, `images/` everything beneath, `images/*/train` is
anchored at the registry's root.

A glob that selects nothing is a typo until proven otherwise: exit 2 with the names it could
have meant, never a scan that quietly expects nothing.
"""

from __future__ import annotations

import difflib
import re
import shlex
from collections.abc import Sequence

from dataward.errors import UsageError
from dataward.formats.globs import compile_pattern


def parse(values: Sequence[str]) -> list[str]:
    """The globs of every `--datasets` value (comma-separated, spaces around them dropped),
    each once, in the order given."""
    globs: list[str] = []
    for value in values:
        for part in value.split(","):
            glob = part.strip()
            if glob.startswith("!"):  # as .gitattributes: a negative pattern is an error
                raise UsageError(f"--datasets {glob!r}: a glob cannot exclude datasets",
                                 "name the datasets this environment holds, as in "
                                 ".gitattributes (fish,images/*)")
            if glob and glob not in globs:
                globs.append(glob)
    if not globs:
        raise UsageError("--datasets names no dataset",
                         "pass the datasets this environment holds, comma-separated: "
                         "--datasets 'dog_and_cat,fish'")
    return globs


def select(names: Sequence[str], globs: Sequence[str]) -> set[str]:
    """The names some glob matches. A glob matching none is a usage error naming the
    datasets it could have meant, with the corrected option to paste."""
    chosen: set[str] = set()
    for glob in globs:
        pattern = compile_pattern(glob)
        hits = {n for n in names if pattern.fullmatch(n)}
        if not hits:
            raise _no_match(glob, globs, names)
        chosen |= hits
    return chosen


def _no_match(glob: str, globs: Sequence[str], names: Sequence[str]) -> UsageError:
    if not names:
        return UsageError(f"--datasets {glob!r}: the registry has no datasets",
                          "is --registry (or --catalog) the lab's registry?")
    meant = suggestions(glob, names)
    if not meant:
        shown = sorted(names)
        listed = ", ".join(shown[:10]) + (f", ... {len(shown) - 10} more"
                                          if len(shown) > 10 else "")
        return UsageError(f"--datasets {glob!r} matches no registered dataset",
                          f"the registry's datasets: {listed}")
    fixed = ",".join(dict.fromkeys(meant[0] if g == glob else g for g in globs))
    return UsageError(f"--datasets {glob!r} matches no registered dataset; did you mean "
                      f"{' or '.join(meant)}?", f"--datasets {shlex.quote(fixed)}")


def suggestions(glob: str, names: Sequence[str], n: int = 3) -> list[str]:
    """Registered names the glob could have meant: those it matches ignoring case, then the
    closest by spelling to its letters (wildcards left out), compared with each name, each
    folder a name is in (`imgs/*` means `images/...`) and, for a glob without '/', each
    name's last part."""
    folded = re.compile(compile_pattern(glob).pattern, re.DOTALL | re.IGNORECASE)
    found = sorted(name for name in names if folded.fullmatch(name))
    by_key: dict[str, list[str]] = {}
    for name in sorted(names):
        parts = name.split("/")
        keys = {"/".join(parts[:i]) for i in range(1, len(parts) + 1)}
        if "/" not in glob.strip("/"):
            keys.add(parts[-1])
        for key in keys:
            by_key.setdefault(key.lower(), []).append(name)
    letters = re.sub(r"[*?\[\]]", "", glob).strip("/").lower()
    for key in difflib.get_close_matches(letters, list(by_key), n=n, cutoff=0.6):
        found += by_key[key]
    return list(dict.fromkeys(found))[:n]
