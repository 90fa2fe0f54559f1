"""One rule for what a placard or a short post calls for, from a person's reported status.

A placard reading "FREE AINUR KURMANOV" for someone the sources report only
under investigation tells passers-by something false, and asking for the
release of someone who was released, or who died, is worse. So the call
follows the latest reported status, and placards, short posts and the picket
sheet all take it from here:

* held (detained, imprisoned or on trial) → FREE
* charged → DROP THE CHARGES AGAINST
* under investigation → STOP THE CASE AGAINST
* dismissed → REINSTATE
* died → JUSTICE FOR
* released, summoned, in exile (and anything else) → SOLIDARITY WITH

"Free X!" in a short post is a claim that X is held *now*; the sources may be
years old, so a short post names only people reported held within the lapse
window, with the year of that report, and otherwise calls for justice for the
place where it happened.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

HELD = ("detained", "imprisoned", "on trial")
FREE = "FREE"
SOLIDARITY = "SOLIDARITY WITH"
CALLS = {
    **dict.fromkeys(HELD, FREE),
    "charged": "DROP THE CHARGES AGAINST",
    "under investigation": "STOP THE CASE AGAINST",
    "dismissed": "REINSTATE",
    "died": "JUSTICE FOR",
    "released": SOLIDARITY,
    "summoned": SOLIDARITY,
    "in exile": SOLIDARITY,
}
# How a heading names who a list holds ("Imprisoned, charged and killed"), in this order.
STATUS_WORDS = {
    "imprisoned": "imprisoned", "on trial": "imprisoned", "detained": "imprisoned",
    "charged": "charged", "under investigation": "charged", "died": "killed",
    "released": "released", "in exile": "exiled", "dismissed": "sacked", "fined": "fined",
    "summoned": "summoned",
}
# The scripts the built-in Typst fonts (Libertinus Serif, New Computer Modern) carry;
# a letter of any other script prints as an empty box.
FONT_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")


def is_held(status: str | None) -> bool:
    """Whether the latest reported status is detained, imprisoned or on trial."""
    return status in HELD


def call_for(status: str | None) -> str:
    """The call above a name on a placard, in capitals (see the module's rule)."""
    return CALLS.get(status or "", SOLIDARITY)


def describe(statuses: Iterable[str | None]) -> str:
    """'Imprisoned, charged and killed': who a list holds, by their reported statuses, for
    a heading that claims no more than that ('Political prisoners' would, of the sacked)."""
    present = set(statuses)
    words = list(dict.fromkeys(w for s, w in STATUS_WORDS.items() if s in present))
    if not words:
        return "No one"
    text = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    return text[:1].upper() + text[1:]


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def held_recently(people: Iterable[Mapping[str, Any]], as_of: dt.date,
                  lapse_years: int) -> list[Mapping[str, Any]]:
    """Those reported held whose report is less than ``lapse_years`` old on ``as_of``.

    A report exactly ``lapse_years`` old has lapsed, as a demand's source does.
    """
    from campaign import dates

    since = _years_before(as_of, lapse_years)
    return [p for p in people if is_held(p.get("status")) and p.get("status_date")
            and since < dates.start(str(p["status_date"])) <= as_of]


def justice_slogan(locality: str | None) -> str | None:
    """The short post's call when no one is reported held within the window."""
    return f"Justice for {locality}!" if locality else None


def unshown_letters(text: str) -> list[str]:
    """The letters of ``text`` that the placard's fonts cannot show (CJK, Arabic, ...)."""
    out = []
    for ch in dict.fromkeys(text):
        if not ch.isalpha():
            continue
        script = unicodedata.name(ch, "").split(" ")[0]
        if script not in FONT_SCRIPTS:
            out.append(ch)
    return out
