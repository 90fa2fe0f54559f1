"""A bounded memo: the same strings come back in every letter of a merge (paragraphs,
words, facts to escape), so each is worked out once per process."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Memo(dict[K, V]):
    """A dict that works out a missing key's value with ``make`` and keeps it. A hit is
    a plain dict look-up (no Python call: these sit in the merge's innermost loops);
    past ``limit`` entries it starts afresh, so a long-running caller's strings are
    not a leak."""

    def __init__(self, make: Callable[[K], V], limit: int) -> None:
        super().__init__()
        self.make = make
        self.limit = limit

    def __missing__(self, key: K) -> V:
        if len(self) > self.limit:
            self.clear()
        value = self[key] = self.make(key)
        return value
