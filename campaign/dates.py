"""Partial dates: sources give a year, a month, or a day.

A date is kept as the text the source allows ("2011", "2011-12", "2011-12-16")
and compared by the first day it can mean, so that an event known only by its
month is never treated as later than it could have been.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re

from campaign.errors import UsageError

_PATTERN = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
MONTHS = [
    "",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def check_partial(text: str) -> str:
    """Return ``text`` if it is a real partial date, else raise ValueError with the reason."""
    m = _PATTERN.match(text.strip())
    if not m:
        raise ValueError(f"'{text}' is not a date; write YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = m.groups()
    if month is not None and not 1 <= int(month) <= 12:
        raise ValueError(f"'{text}' has no month {month}")
    if day is not None:
        last = calendar.monthrange(int(year), int(month))[1]
        if not 1 <= int(day) <= last:
            raise ValueError(f"'{text}' is not a day of the calendar")
    return text.strip()


def start(text: str) -> dt.date:
    """The first day a partial date can mean."""
    parts = [int(p) for p in check_partial(text).split("-")]
    while len(parts) < 3:
        parts.append(1)
    return dt.date(parts[0], parts[1], parts[2])


def sort_key(text: str | None) -> str:
    """Chronological sort key; a year sorts before its months."""
    return text or "9999"


def precision(text: str) -> str:
    return {1: "year", 2: "month", 3: "day"}[len(text.split("-"))]


@functools.lru_cache(maxsize=1024)
def human(text: str | None) -> str:
    """'16 December 2011', 'December 2011' or '2011' (cached: a mail merge asks for the
    same few dates in every letter)."""
    if not text:
        return "date unknown"
    parts = [int(p) for p in text.split("-")]
    if len(parts) == 1:
        return str(parts[0])
    if len(parts) == 2:
        return f"{MONTHS[parts[1]]} {parts[0]}"
    return f"{parts[2]} {MONTHS[parts[1]]} {parts[0]}"


def month_year(text: str | None) -> str:
    """'December 2011' (or the year alone): how a report's date is worded."""
    if not text:
        return "date unknown"
    parts = text.split("-")
    return human("-".join(parts[:2]))


def parse_day(text: str, option: str = "--date") -> dt.date:
    """A full calendar date from the command line; a usage error if it is not one."""
    try:
        return dt.date.fromisoformat(check_partial(text)) if len(text.strip()) == 10 else _bad(text)
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}", "write the date as YYYY-MM-DD") from None


def _bad(text: str) -> dt.date:
    raise ValueError(f"'{text}' is not a full date")


def parse_partial(text: str, option: str = "--date") -> str:
    try:
        return check_partial(text)
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None


def today() -> dt.date:
    return dt.date.today()
