"""Numbered citations: a document cites sources in order of first use, and lists only those."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from campaign import dates
from campaign.store import Store


class Citations:
    """Hands out [n] markers; ``sources()`` lists exactly the sources that were cited."""

    def __init__(self, store: Store | None = None, *,
                 known: Mapping[str, dict[str, Any]] | None = None) -> None:
        """Sources from ``store``, or ready-made in ``known``: a mail merge numbers each
        letter afresh without reading the sources again."""
        if known is None:
            if store is None:
                raise TypeError("Citations needs a store or the known sources")
            known = {s["id"]: s for s in store.sources()}
        self._known = known
        self._order: dict[str, int] = {}
        self._cited: dict[tuple[str, ...], str] = {}

    def number(self, source_id: str) -> int:
        return self._order.setdefault(source_id, len(self._order) + 1)

    def cite(self, source_ids: Iterable[str]) -> str:
        """'[1]' or '[1, 3]' for these sources (numbered on first use)."""
        key = tuple(source_ids)
        if (text := self._cited.get(key)) is None:
            # Once a source has its number it keeps it, so the marker can be reused.
            numbers = self.numbers(key)
            text = "[" + ", ".join(str(n) for n in numbers) + "]" if numbers else ""
            self._cited[key] = text
        return text

    def numbers(self, source_ids: Iterable[str]) -> list[int]:
        return sorted({self.number(s) for s in source_ids if s in self._known})

    def count(self) -> int:
        """How many sources have been cited so far."""
        return len(self._order)

    def sources(self) -> list[dict[str, Any]]:
        out = []
        for n, sid in enumerate(self._order, start=1):
            s = self._known[sid]
            out.append({
                "number": n,
                "id": sid,
                "title": s["title"],
                "publisher": s["publisher"],
                "published": s["published"],
                "published_text": dates.human(s["published"]),
                "url": s.get("url"),
                "document": s.get("document"),
            })
        return out
