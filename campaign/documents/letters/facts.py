"""What each letter says: the store's facts, read once for a whole merge, and the
citations they carry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from campaign import dates
from campaign.documents.citations import Citations
from campaign.documents.letters.recipients import select_prisoners
from campaign.store import Store

# -- facts ------------------------------------------------------------------


def _date_range(start: str, end: str | None) -> str:
    if not end or end == start:
        return dates.human(start)
    a, b = start.split("-"), end.split("-")
    if len(a) == len(b) == 3 and a[:2] == b[:2]:
        return f"{int(a[2])}–{dates.human(end)}"
    return f"{dates.human(start)} – {dates.human(end)}"


class _Cite:
    """'[1, 3]', numbered when the template prints it: a section a template leaves out
    cites nothing, so the source list holds exactly the sources the letter shows.
    The numbering is that of the letter being rendered (``book.current``), so the
    facts shared by every letter of a merge are built once."""

    __slots__ = ("_book", "_ids")

    def __init__(self, book: _Book, ids: Sequence[str]) -> None:
        self._book = book
        self._ids = tuple(ids)

    def __str__(self) -> str:
        return self._book.current.cite(self._ids)

    def __bool__(self) -> bool:
        return bool(self._ids)


class _Book:
    """The citations of the letter being rendered."""

    __slots__ = ("current",)

    def __init__(self, current: Citations) -> None:
        self.current = current


class _Sources:
    """The letter's source list, read when the template reaches it (after every cite)."""

    __slots__ = ("_cites",)

    def __init__(self, cites: Citations) -> None:
        self._cites = cites

    def __iter__(self) -> Any:
        return iter(self._cites.sources())

    def __len__(self) -> int:
        return self._cites.count()


@dataclass
class Facts:
    """What the store says, read once for a whole mail merge."""

    events: list[dict[str, Any]]
    figures: list[dict[str, Any]]
    all_events: list[dict[str, Any]]
    prisoners: list[dict[str, Any]]
    demands: list[dict[str, Any]]
    campaign: dict[str, Any]
    known_sources: dict[str, dict[str, Any]]
    as_of: dt.date


def default_demands(store: Store, to: str) -> list[dict[str, Any]]:
    """Those addressed to the letter's addressee; the release of the prisoners always first."""
    every = store.demands()
    gov = [d for d in every if (d.get("addressed_to") or "").casefold().startswith("government")]
    eu = [d for d in every if any(w in (d.get("addressed_to") or "").casefold()
                                  for w in ("european parliament", "eeas", "meps"))]
    if to == "mep":
        return gov[:1] + eu[:3]
    if to == "prisoner":
        return gov[:1]
    return gov[:4]


def gather_facts(store: Store, to: str, *, prisoners: Sequence[str] = (),
                 demand_ids: Sequence[str] = (), as_of: dt.date | None = None) -> Facts:
    from campaign.people import persons

    as_of = as_of or dates.today()
    every_event = [e for e in store.events(planned=False) if dates.start(e["date"]) <= as_of]
    figures = [f for f in store.figures() if f["subject"].casefold().startswith("deaths")]
    if prisoners and to != "prisoner":
        chosen = select_prisoners(store, prisoners, as_of)
    else:
        chosen = [p for p in persons(store, as_of) if p["status"] == "imprisoned"]
    demands = ([store.demand(d) for d in dict.fromkeys(demand_ids)] if demand_ids
               else default_demands(store, to))
    campaign_contact = next((c for c in store.contacts(kind="campaign") if c.get("url")), None)
    campaign = {"title": store.meta("title"), "url": store.meta("campaign_url"),
                "name": campaign_contact["name"] if campaign_contact else None}
    return Facts(
        events=[e for e in every_event if e["kind"] == "shooting"],
        figures=figures,
        all_events=every_event,
        prisoners=chosen,
        demands=demands,
        campaign=campaign,
        known_sources={s["id"]: s for s in store.sources()},
        as_of=as_of,
    )

