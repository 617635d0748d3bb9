"""The large blobs a repository stores, remembered between runs.

no-large-binaries, over a range or a push, asks which blobs of the whole repository are over
its smallest limit (a commit of the range may copy an old one to a stricter path). Listing
every object costs as much as the range's own walk; packs never change (a pack's name is its
checksum), so the answer for a set of packs is remembered, and only loose objects, read from
their headers, are looked at again.
"""

from __future__ import annotations

from dataward.adapters.git import Repo
from dataward.adapters.git.objects import loose_headers, loose_oids, pack_names
from dataward.adapters.state import State

NAME = "large-blobs.pickle"


def blobs_over(repo: Repo, size: int, state: State) -> set[str]:
    """Every blob of the repository over `size` bytes, and perhaps some that are not: a
    loose object remembered here may be gone since (a superset only costs the caller a
    walk, never a finding)."""
    # Loose objects first, then the packs: a repack writes its pack before it deletes the
    # loose objects it holds, so an object is seen loose or in a pack the key names.
    loose = loose_oids(repo.common_dir)
    headers = loose_headers(repo.common_dir, loose) if loose is not None else {}
    packs = pack_names(repo.common_dir)
    if loose is None or packs is None or len(headers) != len(loose):
        return repo.blobs_over(size)  # objects this cannot list or read: git can
    key = f"{size} {' '.join(packs)}"
    saved = state.load(NAME, key)
    if isinstance(saved, frozenset):
        return set(saved) | {oid for oid, (kind, n) in headers.items()
                             if kind == b"blob" and n > size}
    found = repo.blobs_over(size)
    if pack_names(repo.common_dir) == packs:  # else a fetch or repack ran meanwhile
        state.save(NAME, key, frozenset(found))
    return found
