"""Anniversaries of the campaign's dated events, and what is coming up.

An anniversary needs a day: an event known only by its year or month
("2011", "2011-12") has none. An event that spans several days (the shootings
of 16-17 December 2011) has an anniversary on each of them, so a picket on
17 December is also an anniversary. Planned events are not anniversaries:
they have not happened yet.

The facts (title, date, place, sources) come from the store's records; the
wording of an occasion lives in the templates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from campaign import dates
from campaign.documents.templates import ordinal
from campaign.errors import UsageError
from campaign.store import Store

# How much an anniversary matters to a solidarity campaign: the lower, the
# more prominent. Unknown kinds come after the listed ones.
KIND_RANK = {
    "shooting": 0,
    "massacre": 0,
    "strike": 1,
    "protest": 2,
    "day-of-action": 2,
    "arrest": 3,
    "raid": 3,
    "trial": 3,
    "hearing": 4,
    "debate": 4,
    "resolution": 4,
    "law": 5,
    "election": 5,
    "visit": 6,
}
OTHER_RANK = 9
# A span longer than this is a period, not a multi-day event; it has no day anniversaries.
MAX_SPAN_DAYS = 31
MAX_WINDOW_DAYS = 3660


def rank(event: dict[str, Any]) -> int:
    return KIND_RANK.get(str(event.get("kind", "")).casefold(), OTHER_RANK)


def locality(place: str | None) -> str | None:
    """'Zhanaozen' from 'Zhanaozen and Shetpe, Mangystau region': what the event is named after."""
    if not place:
        return None
    first = place.split(",")[0].split(" and ")[0].strip()
    return first or None


def _full(text: str | None) -> dt.date | None:
    if not text or dates.precision(text) != "day":
        return None
    return dates.start(text)  # lenient: a bad year already in a store still lists


def event_days(event: dict[str, Any]) -> list[dt.date]:
    """Every day a dated event covered; none if its date is only a year or a month."""
    first = _full(event.get("date"))
    if first is None:
        return []
    last = _full(event.get("end_date")) or first
    if last < first or (last - first).days >= MAX_SPAN_DAYS:
        last = first
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def span_text(event: dict[str, Any]) -> str:
    """'16 December 2011' or '16–17 December 2011' (or across months/years)."""
    days = event_days(event)
    if not days:
        return dates.human(event.get("date"))
    first, last = days[0], days[-1]
    if first == last:
        return dates.human(first.isoformat())
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{dates.human(last.isoformat())}"
    if first.year == last.year:
        return f"{first.day} {dates.MONTHS[first.month]} – {dates.human(last.isoformat())}"
    return f"{dates.human(first.isoformat())} – {dates.human(last.isoformat())}"


def _anniversary(event: dict[str, Any], day: dt.date, index: int, on: dt.date) -> dict[str, Any]:
    years = on.year - day.year
    days = event_days(event)
    return {
        "id": event["id"],
        "kind": event["kind"],
        "title": event["title"],
        "place": event.get("place"),
        "locality": locality(event.get("place")),
        "date": event["date"],
        "end_date": event.get("end_date"),
        "sources": list(event.get("sources", [])),
        "on": on.isoformat(),
        "years": years,
        "ordinal": ordinal(years),
        "day": day.isoformat(),
        "day_text": dates.human(day.isoformat()),
        "day_number": index + 1,
        "multi_day": len(days) > 1,
        "span_text": span_text(event),
        "rank": rank(event),
    }


def _same_day(day: dt.date, year: int) -> dt.date | None:
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February in a common year: no anniversary that year
        return None


def _occurrences(event: dict[str, Any], first: dt.date,
                 last: dt.date) -> Iterator[tuple[dt.date, int, dt.date]]:
    """(event day, its index in the event, the anniversary date) between first and last."""
    for index, day in enumerate(event_days(event)):
        for year in range(max(first.year, day.year + 1), last.year + 1):
            on = _same_day(day, year)
            if on is not None and first <= on <= last:
                yield day, index, on


def _sort_key(a: dict[str, Any]) -> tuple[Any, ...]:
    return (a["on"], a["rank"], a["day"], a["id"])


def on_date(store: Store, day: dt.date) -> list[dict[str, Any]]:
    """The anniversaries that fall on ``day``, most prominent first."""
    found = [
        _anniversary(e, d, i, on)
        for e in store.events(planned=False)
        for d, i, on in _occurrences(e, day, day)
    ]
    return sorted(found, key=_sort_key)


def key_event(store: Store) -> dict[str, Any] | None:
    """The event the campaign is about (the Zhanaozen shootings in the bundled pack).

    The most prominent kind wins, then the most recent full date: used for the
    background of a document when no anniversary falls on its date.
    """
    candidates = [e for e in store.events(planned=False) if event_days(e)]
    if not candidates:
        return None
    best = min(rank(e) for e in candidates)
    top = [e for e in candidates if rank(e) == best]
    event = max(top, key=lambda e: e["date"])
    return {**event, "locality": locality(event.get("place")), "span_text": span_text(event)}


def upcoming(store: Store, today: dt.date, days: int) -> list[dict[str, Any]]:
    """Anniversaries and planned events from ``today`` to ``days`` days later, in date order."""
    if days < 0 or days > MAX_WINDOW_DAYS:
        raise UsageError(f"--days {days} is out of range", f"give 0 to {MAX_WINDOW_DAYS}")
    dates.check_day(today, "--from")
    last = today + dt.timedelta(days=days)
    items: list[dict[str, Any]] = []
    for e in store.events(planned=False):
        for d, i, on in _occurrences(e, today, last):
            a = _anniversary(e, d, i, on)
            what = f"{a['ordinal']} anniversary: {a['title']} ({a['span_text']})"
            items.append({"date": a["on"], "type": "anniversary", "what": what,
                          "kind": e["kind"], "place": e.get("place"), "years": a["years"],
                          "event_id": e["id"], "sources": a["sources"], "rank": a["rank"]})
    for e in store.events(planned=True):
        start = dates.start(e["date"])
        end = _period_end(e.get("end_date") or e["date"])
        if start <= last and end >= today:
            items.append({"date": e["date"], "type": "planned", "what": e["title"],
                          "kind": e["kind"], "place": e.get("place"), "years": None,
                          "event_id": e["id"], "sources": list(e.get("sources", [])),
                          "rank": -1})
    items.sort(key=lambda it: (dates.start(it["date"]), it["rank"], it["event_id"]))
    for item in items:
        del item["rank"]
    return items


def _period_end(text: str) -> dt.date:
    """The last day a partial date can mean ('2014-03' -> 31 March 2014)."""
    return dates.end(text)
