"""RFC 5545 calendar files for announced events.

Re-issuing an announcement must update people's calendars, not add a second
entry: the UID is derived from the event (kind, date and city - or place when
no city is given), never random, and SEQUENCE rises whenever the details
change. The last digest and sequence per UID are kept in the store's ``meta``
table. Generation uses the ``icalendar`` package (folding at 75 octets
without splitting a UTF-8 character, text escaping, VTIMEZONE from zoneinfo).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from campaign.store import Store

PRODID = "-//campaign//announcements//EN"
UID_DOMAIN = "campaign.invalid"
META_PREFIX = "ics:"


def _norm(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


def event_uid(kind: str, date: dt.date, city: str | None, place: str | None) -> str:
    """Stable for the same event: a corrected place (same city) keeps its UID."""
    where = _norm(city) or _norm(place)
    key = f"{kind}|{date.isoformat()}|{where}"
    return f"{hashlib.sha256(key.encode('utf-8')).hexdigest()[:24]}@{UID_DOMAIN}"


def digest(details: dict[str, Any]) -> str:
    return hashlib.sha256(
        json.dumps(details, sort_keys=True, ensure_ascii=False).encode("utf-8")
    ).hexdigest()


def next_sequence(store: Store, uid: str, details_digest: str) -> int:
    """The SEQUENCE for these details: unchanged details keep it, changed ones raise it."""
    with store.transaction():
        raw = store.meta(META_PREFIX + uid)
        known = json.loads(raw) if raw else None
        if known is None:
            sequence = 0
        elif known.get("digest") == details_digest:
            return int(known["sequence"])
        else:
            sequence = int(known.get("sequence", 0)) + 1
        store.set_meta(META_PREFIX + uid,
                       json.dumps({"digest": details_digest, "sequence": sequence}))
    return sequence


def calendar(store: Store, *, kind: str, date: dt.date, start: dt.datetime | None,
             end: dt.datetime | None, summary: str, location: str, description: str,
             city: str | None = None, place: str | None = None,
             now: dt.datetime | None = None) -> bytes:
    """One VCALENDAR with one VEVENT; all-day when there is no start time.

    A start time without a zone is floating (local time wherever the event
    is); with a zone, the VTIMEZONE is included.
    """
    from icalendar import Calendar, Event

    uid = event_uid(kind, date, city, place)
    details = {
        "summary": summary,
        "location": location,
        "description": description,
        "start": start.isoformat() if start else date.isoformat(),
        "end": end.isoformat() if end else None,
        "tz": str(start.tzinfo) if start and start.tzinfo else None,
    }
    sequence = next_sequence(store, uid, digest(details))
    stamp = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    ev = Event()
    ev.add("uid", uid)
    ev.add("sequence", sequence)
    ev.add("dtstamp", stamp.replace(microsecond=0))
    if start is None:
        ev.add("dtstart", date)
        ev.add("dtend", date + dt.timedelta(days=1))
    else:
        ev.add("dtstart", start)
        if end is not None:
            ev.add("dtend", end)
    ev.add("summary", summary)
    if location:
        ev.add("location", location)
    ev.add("description", description)
    cal.add_component(ev)
    if start is not None and start.tzinfo is not None:
        cal.add_missing_timezones(first_date=dt.date(date.year - 1, 1, 1),
                                  last_date=dt.date(date.year + 1, 12, 31))
    return bytes(cal.to_ical())
