"""The large blobs a repository stores, remembered between runs.

no-large-binaries, over a range or a push, asks which blobs of the whole repository are over
its smallest limit (a commit of the range may copy an old one to a stricter path). Listing
every object costs as much as the range's own walk; packs never change (a pack's name is its
checksum), so the answer for a set of packs is remembered, and only loose objects, read from
their headers, are looked at again.
"""

from __future__ import annotations

from dataward.adapters.git import Repo
from dataward.adapters.git.objects import loose_oids, loose_sizes, pack_names
from dataward.adapters.state import State

NAME = "large-blobs.pickle"


def blobs_over(repo: Repo, size: int, state: State) -> set[str]:
    """Every blob of the repository over `size` bytes, and perhaps some that are not: a
    loose object remembered here may be gone, and a loose tree over it is kept too (a
    superset only costs the caller a walk, never a finding)."""
    packs = pack_names(repo.common_dir)
    loose = loose_oids(repo.common_dir) if packs is not None else None
    if packs is None or loose is None:
        return repo.blobs_over(size)
    sizes = loose_sizes(repo.common_dir, loose)
    if len(sizes) != len(loose):  # a loose object this cannot read: git can
        return repo.blobs_over(size)
    key = f"{size} {' '.join(packs)}"
    saved = state.load(NAME, key)
    if isinstance(saved, frozenset):
        return set(saved) | {oid for oid, n in sizes.items() if n > size}
    found = repo.blobs_over(size)
    state.save(NAME, key, frozenset(found))
    return found
