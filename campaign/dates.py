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

# ASCII digits only: Python's \d also matches Arabic-Indic and fullwidth digits, and a
# date typed in them would be stored as typed and sort after every real one.
_PATTERN = re.compile(r"^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?$")
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


# Every date the toolkit takes in lies between these years. A campaign's facts are
# from the last two centuries and its plans from the next few decades; outside this
# range a date is a typo (0000, 9999), and year 0 or 9999 breaks date arithmetic
# (an anniversary after 9999 does not exist).
FIRST_YEAR = 1800
LAST_YEAR = 2199
RANGE_TEXT = f"dates must lie between the years {FIRST_YEAR} and {LAST_YEAR}"


def check_partial(text: str) -> str:
    """Return ``text`` if it is a real partial date in range, else raise ValueError saying why.

    The one rule every entry point uses (options, packs, CSV, the EP's records).
    """
    if not isinstance(text, str):
        raise ValueError(f"'{text}' is not a date; write YYYY, YYYY-MM or YYYY-MM-DD")
    m = _PATTERN.match(text.strip())
    if not m:
        raise ValueError(f"'{text}' is not a date; write YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = m.groups()
    if not FIRST_YEAR <= int(year) <= LAST_YEAR:
        raise ValueError(f"'{text.strip()}' is out of range: {RANGE_TEXT}")
    if month is not None and not 1 <= int(month) <= 12:
        raise ValueError(f"'{text}' has no month {month}")
    if day is not None:
        last = calendar.monthrange(int(year), int(month))[1]
        if not 1 <= int(day) <= last:
            raise ValueError(f"'{text}' is not a day of the calendar")
    return text.strip()


def check_day(day: dt.date, what: str = "the date") -> dt.date:
    """A full date computed or given (``--as-of``, ``--from``): in range, or a UsageError."""
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise UsageError(f"{what} {day.isoformat()} is out of range: {RANGE_TEXT}")
    return day


@functools.lru_cache(maxsize=4096)
def start(text: str) -> dt.date:
    """The first day a partial date can mean (cached: a big store's persons share a few
    thousand dates, and every status and sort asks for them again).

    Lenient about the range: a store written before the range was enforced may hold
    a year 0 or 9999, and it must still list, export and be corrected, not fail
    every command that sorts by date. Such a year counts as the nearest one Python's
    calendar has.
    """
    m = _PATTERN.match(text.strip())
    if not m:
        check_partial(text)  # raises, saying why
    assert m is not None
    year, month, day = m.groups()
    y = min(max(int(year), dt.MINYEAR), dt.MAXYEAR)
    mo = int(month) if month else 1
    if not 1 <= mo <= 12:
        check_partial(text)
    d = int(day) if day else 1
    if not 1 <= d <= calendar.monthrange(y, mo)[1]:
        check_partial(text)
    return dt.date(y, mo, d)


def end(text: str) -> dt.date:
    """The last day a partial date can mean ('2014-03' -> 31 March 2014); lenient as
    ``start`` is about the range."""
    first = start(text)
    parts = text.strip().split("-")
    if len(parts) == 1:
        return first.replace(month=12, day=31)
    if len(parts) == 2:
        return first.replace(day=calendar.monthrange(first.year, first.month)[1])
    return first


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
        hint = None if "out of range" in str(exc) else "write the date as YYYY-MM-DD"
        raise UsageError(f"{option}: {exc}", hint) from None


def _bad(text: str) -> dt.date:
    raise ValueError(f"'{text}' is not a full date")


def parse_partial(text: str, option: str = "--date") -> str:
    try:
        return check_partial(text)
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None


def today() -> dt.date:
    return dt.date.today()
