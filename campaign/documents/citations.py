"""Numbered citations: a document cites sources in order of first use, and lists only those.

A document made as of a date cites only the sources published by then: the
others are unknown to its Citations, so a marker simply leaves them out. The
sources list names each source as a reader finds it (title, publisher, date,
address), never by the package's internal file name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from campaign import dates
from campaign.store import Store


class _State:
    """A point in a numbering: the sources numbered so far, in order.

    It remembers where each marker led from here, and the source list as it
    stands. The letters of a mail merge cite the same facts in the same order,
    so they pass through the same few states: each marker and each source list
    is worked out once per merge instead of once per letter.
    """

    __slots__ = ("order", "index", "steps", "listed")

    def __init__(self, order: tuple[str, ...]) -> None:
        self.order = order
        self.index = {sid: n for n, sid in enumerate(order, start=1)}
        self.steps: dict[tuple[str, ...], tuple[str, _State]] = {}
        self.listed: list[dict[str, Any]] | None = None


class Citations:
    """Hands out [n] markers; ``sources()`` lists exactly the sources that were cited."""

    def __init__(self, store: Store | None = None, *,
                 known: Mapping[str, dict[str, Any]] | None = None,
                 as_of: dt.date | None = None) -> None:
        """Sources from ``store``, or ready-made in ``known``; with ``as_of``, only those
        published on or before that date."""
        if known is None:
            if store is None:
                raise TypeError("Citations needs a store or the known sources")
            known = {s["id"]: s for s in store.sources()}
        if as_of is not None:
            from campaign.selection import published_by

            visible = published_by(known.values(), as_of)
            known = {sid: s for sid, s in known.items() if sid in visible}
        self._known = known
        self._start = _State(())
        self._state = self._start

    def restart(self) -> Citations:
        """A numbering from nothing for the next document of a merge, sharing what
        this one's family has already worked out."""
        fresh = Citations(known=self._known)
        fresh._start = fresh._state = self._start
        return fresh

    def cite(self, source_ids: Iterable[str]) -> str:
        """'[1]' or '[1, 3]' for these sources (numbered on first use); '' for none known."""
        key = tuple(source_ids)
        step = self._state.steps.get(key)
        if step is None:
            state = self._state
            new = [s for s in dict.fromkeys(key) if s in self._known and s not in state.index]
            after = _State(state.order + tuple(new)) if new else state
            numbers = sorted({after.index[s] for s in key if s in self._known})
            text = "[" + ", ".join(str(n) for n in numbers) + "]" if numbers else ""
            step = state.steps[key] = (text, after)
        text, self._state = step
        return text

    def knows(self, source_id: str) -> bool:
        """Whether this document may cite the source (published by its date)."""
        return source_id in self._known

    def knows_any(self, source_ids: Iterable[str]) -> bool:
        return any(s in self._known for s in source_ids)

    def count(self) -> int:
        """How many sources have been cited so far."""
        return len(self._state.order)

    def sources(self) -> list[dict[str, Any]]:
        """The cited sources in order, numbered: the caller's own dicts (the picket
        sheet and the announcement add to them), copied from the state's list."""
        state = self._state
        if state.listed is None:
            listed = []
            for n, sid in enumerate(state.order, start=1):
                s = self._known[sid]
                listed.append({
                    "number": n,
                    "id": sid,
                    "title": s["title"],
                    "publisher": s["publisher"],
                    "published": s["published"],
                    "published_text": dates.human(s["published"]),
                    "url": s.get("url"),
                    # The package's file name is not for readers: never listed.
                    "document": None,
                })
            state.listed = listed
        return [dict(s) for s in state.listed]
