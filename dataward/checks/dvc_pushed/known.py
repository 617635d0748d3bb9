"""What one remote was seen to hold, remembered in the state cache for `cache_days`.

Objects are content-addressed, so an object seen intact and readable stays the same bytes;
but a lifecycle rule can move it to an archive class, and a `dvc gc -c` or an admin can
delete it. So every entry carries when it was seen, and past `cache_days` it is asked again.
Only what was seen is remembered, never an absence: a later push must be seen at once.
"""

from __future__ import annotations

import time
from typing import NamedTuple

from dataward.adapters.state import State

DAY = 86400.0


class Known(NamedTuple):
    """Key -> when it was seen intact and readable; key -> (when, why) for objects there and
    readable whose bytes the remote's answer could not prove; `.dir` keys every file of
    which was seen (a re-check need not read the manifest)."""

    keys: dict[str, float]
    unverified: dict[str, tuple[float, str]]
    complete: dict[str, float]

    @classmethod
    def empty(cls) -> Known:
        return cls({}, {}, {})

    def size(self) -> tuple[int, int, int]:
        return len(self.keys), len(self.unverified), len(self.complete)

    def fresh(self, max_age_days: float, now: float | None = None) -> Known:
        """Only the entries younger than `max_age_days`."""
        cutoff = (time.time() if now is None else now) - max_age_days * DAY
        return Known({k: t for k, t in self.keys.items() if t > cutoff},
                     {k: v for k, v in self.unverified.items() if v[0] > cutoff},
                     {k: t for k, t in self.complete.items() if t > cutoff})

    def forget(self, keys: set[str]) -> None:
        for key in keys:
            self.keys.pop(key, None)
            self.unverified.pop(key, None)
            self.complete.pop(key, None)

    def pruned(self, referenced: set[str]) -> Known:
        """Only keys something still references (the audit knows them all)."""
        return Known({k: t for k, t in self.keys.items() if k in referenced},
                     {k: v for k, v in self.unverified.items() if k in referenced},
                     {k: t for k, t in self.complete.items() if k in referenced})


class KnownStore:
    """Loads and saves one remote's Known under its endpoint identity."""

    def __init__(self, state: State, identity: str | None, use: bool,
                 max_age_days: float) -> None:
        self.state, self.identity = state, identity
        self.use, self.max_age_days = use and max_age_days > 0, max_age_days
        self._saved: tuple[int, int, int] = (0, 0, 0)

    def name(self) -> str:
        import hashlib

        digest = hashlib.sha1((self.identity or "").encode()).hexdigest()[:16]
        # `pushed3-`: entries carry when they were seen; earlier ones did not.
        return f"pushed3-{digest}.pickle"

    def load(self) -> Known:
        self._saved = (0, 0, 0)
        if not self.use or not self.identity:
            return Known.empty()
        saved = self.state.load(self.name(), self.identity)
        if not isinstance(saved, Known):
            return Known.empty()
        known = saved.fresh(self.max_age_days)
        self._saved = saved.size()
        return known

    def save(self, known: Known, force: bool = False) -> None:
        """Writes when something was learned or forgotten (the sizes differ), or `force`."""
        if not self.identity or self.max_age_days <= 0:
            return
        if force or known.size() != self._saved:
            self.state.save(self.name(), self.identity, known)
            self._saved = known.size()
