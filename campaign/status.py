"""A person's status is derived from their case events up to a date.

Nothing is stored as "the current status": sources are old, and a status is
only ever true as of the date it was reported.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from campaign import dates

STATUS_OF_KIND = {
    "detained": "detained",
    "arrested": "detained",
    "charged": "charged",
    "investigated": "under investigation",
    "tried": "on trial",
    "sentenced": "imprisoned",
    "imprisoned": "imprisoned",
    "released": "released",
    "died": "died",
    "exiled": "in exile",
    "dismissed": "dismissed",
    "fined": "fined",
    "summoned": "summoned",
}
STATUSES = tuple(dict.fromkeys(STATUS_OF_KIND.values()))

# Reports older than this many days are worded "as reported in <month year>".
STALE_AFTER_DAYS = 365


def events_until(events: Sequence[Mapping[str, Any]], as_of: dt.date) -> list[Mapping[str, Any]]:
    return [e for e in events if dates.start(e["date"]) <= as_of]


def status_at(
    events: Sequence[Mapping[str, Any]], as_of: dt.date
) -> tuple[str | None, Mapping[str, Any] | None]:
    """(status, the event it rests on) as of a date; (None, None) before any event."""
    known = sorted(events_until(events, as_of), key=lambda e: dates.sort_key(e["date"]))
    if not known:
        return None, None
    last = known[-1]
    return STATUS_OF_KIND[last["kind"]], last


def wording(status: str | None, status_date: str | None, as_of: dt.date) -> str:
    """'imprisoned (as reported in January 2014)' — never a bare present tense for old news."""
    if status is None or status_date is None:
        return "no report"
    if (as_of - dates.start(status_date)).days > STALE_AFTER_DAYS:
        return f"{status} (as reported in {dates.month_year(status_date)})"
    return f"{status} (as of {dates.human(status_date)})"
