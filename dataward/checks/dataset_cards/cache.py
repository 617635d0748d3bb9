"""Cards found valid before, remembered by their bytes, as dvc-files remembers `.dvc` blobs.

A card with no finding is kept as its Summary (what `agree` reads), under a hash of its
bytes: read again unchanged, it is neither parsed nor judged, and only the cheap agreement
with its `.dvc` files runs again, on their current values. `.dvc` files are kept the same
way, as the Dataset they describe. The whole cache is keyed by what else decides a verdict:
the profile, the registry flag, the `[dataset-cards]` policy, and the vocabulary files (the
state's code identity covers only .py files). Kept in the state folder; when it cannot be
read or written the check runs in full, never differently.
"""

from __future__ import annotations

from typing import NamedTuple

from dataward.adapters.state import State
from dataward.checks.dataset_cards.pairing import Dataset, Summary
from dataward.formats import vocabulary
from dataward.policy import DatasetCardsPolicy

try:  # the hash alone: hashlib would load OpenSSL first, 3 ms of a 50 ms commit hook
    from _blake2 import blake2b
except ImportError:  # an interpreter built without it
    from hashlib import blake2b

NAME = "dataset-cards.pickle"


class _Entries(NamedTuple):
    cards: dict[bytes, Summary]  # card bytes' digest -> its summary
    datasets: dict[tuple[str, bytes], tuple[int | None, bool] | None]  # (path, digest) -> ...


class CardCache:
    def __init__(self, state: State, profile: str, registry: bool,
                 policy: DatasetCardsPolicy) -> None:
        self.state = state
        self.key = blake2b(repr((profile, registry, tuple(policy),
                                 vocabulary.files_identity())).encode()).hexdigest()
        saved = state.load(NAME, self.key)
        self.old = saved if isinstance(saved, _Entries) else _Entries({}, {})
        self.seen = _Entries({}, {})

    def card(self, content: bytes) -> Summary | None:
        digest = _digest(content)
        found = self.old.cards.get(digest)
        if found is not None:
            self.seen.cards[digest] = found
        return found

    def remember_card(self, content: bytes, summary: Summary) -> None:
        self.seen.cards[_digest(content)] = summary

    def dataset(self, path: str, content: bytes) -> tuple[bool, Dataset | None]:
        """(known, the Dataset): known False when this `.dvc` file was never read."""
        key = (path, _digest(content))
        if key not in self.old.datasets:
            return False, None
        found = self.seen.datasets[key] = self.old.datasets[key]
        return True, Dataset(path, *found) if found is not None else None

    def remember_dataset(self, path: str, content: bytes, info: Dataset | None) -> None:
        self.seen.datasets[(path, _digest(content))] = \
            (info.nfiles, info.is_import) if info is not None else None

    def save(self, full: bool) -> None:
        """Write what changed. `full`: every card and `.dvc` file was read, so entries not
        seen are gone; otherwise the old ones are kept beside the new."""
        kept = self.seen if full else _Entries({**self.old.cards, **self.seen.cards},
                                                {**self.old.datasets, **self.seen.datasets})
        if kept != self.old:
            self.state.save(NAME, self.key, kept)


def _digest(content: bytes) -> bytes:
    return blake2b(content, digest_size=20).digest()
