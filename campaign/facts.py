"""Demands, campaign events and figures; the timeline of every dated fact."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from campaign import dates, names
from campaign.errors import UsageError
from campaign.people import persons
from campaign.store import Store


def add_demand(store: Store, *, text: str, addressed_to: str | None, sources: list[str],
               demand_id: str | None = None, made: str | None = None,
               made_by: str | None = None, made_in: str | None = None,
               persons: Sequence[str] = (), process: str | None = None,
               ask: str | None = None, kind: str | None = None) -> str:
    """Add a demand; ``persons`` (names) or ``process`` say what it concerns, and
    ``kind`` (release, accountability, process, policy; default: the kind that
    implies) how it lapses (see campaign.selection)."""
    from campaign.people import find_id
    from campaign.selection import KINDS, infer_kind

    if not text.strip():
        raise UsageError("a demand needs its text")
    if made is not None:
        made = dates.parse_partial(made, "--made")
    if made_in is not None and made_in not in sources:
        raise UsageError(f"--made-in '{made_in}' is not one of the demand's --source",
                         "cite the source it was made in with --source too")
    if ask is not None and not ask.strip():
        raise UsageError("--ask is blank", "give the demand as a phrase, e.g. 'release all "
                                           "political prisoners'")
    concerns = None
    if persons or process:
        concerns = {"persons": [find_id(store, n) for n in dict.fromkeys(persons)],
                    "process": process.strip() if process else None}
    if kind is not None and kind not in KINDS:
        raise UsageError(f"--kind: unknown kind '{kind}'", "use one of: " + ", ".join(KINDS))
    kind = kind or infer_kind({"concerns": concerns, "text": text})
    taken = [d["id"] for d in store.demands()]
    did = demand_id or names.unique_slug(" ".join(text.split()[:6]), taken)
    store.add_cited("demands", "demand",
                    {"id": did, "text": text.strip(), "addressed_to": addressed_to,
                     "quotes": [], "made": made, "made_by": made_by, "made_in": made_in,
                     "concerns": concerns, "kind": kind,
                     "ask": ask.strip().rstrip(".") if ask else None}, sources)
    return did


def add_event(store: Store, *, date: str, kind: str, title: str, place: str | None,
              sources: list[str], end_date: str | None = None, planned: bool = False,
              event_id: str | None = None) -> str:
    date = dates.parse_partial(date)
    if end_date:
        end_date = dates.parse_partial(end_date, "--end-date")
        if dates.start(end_date) < dates.start(date):
            raise UsageError(f"--end-date {end_date} is before --date {date}")
    if not title.strip():
        raise UsageError("an event needs a --title")
    taken = [e["id"] for e in store.events()]
    eid = event_id or names.unique_slug(f"{date} {title}"[:60], taken)
    store.add_cited("events", "event",
                    {"id": eid, "date": date, "end_date": end_date, "kind": kind,
                     "title": title.strip(), "place": place, "planned": int(planned),
                     "quotes": []}, sources)
    return eid


def figure_text(figure: dict[str, Any]) -> str:
    """'at least 16 (deaths ...), according to official reports' — words kept with the number."""
    number = f"{figure['qualifier']} {figure['number']:,}".strip()
    return f"{number} — {figure['subject']}, according to {figure['according_to']}"


def timeline(store: Store) -> list[dict[str, Any]]:
    """Every dated fact in date order: campaign events, case events, figures."""
    items: list[dict[str, Any]] = []
    for e in store.events():
        items.append({"date": e["date"], "type": "event", "what": e["title"],
                      "where": e["place"], "sources": e["sources"], "id": e["id"]})
    for p in persons(store):
        for ev in p["events"]:
            what = f"{p['name']}: {ev['kind']}"
            if ev.get("date_basis") == "report":
                what += " (reported)"
            items.append({"date": ev["date"], "type": "case", "what": what,
                          "where": ev.get("place"), "sources": ev["sources"],
                          "id": f"{p['id']}#{ev['id']}"})
    for f in store.figures():
        if f.get("date"):
            items.append({"date": f["date"], "type": "figure", "what": figure_text(f),
                          "where": None, "sources": f["sources"], "id": f["id"]})
    return sorted(items, key=lambda i: dates.sort_key(i["date"]))
