"""RFC 5545 output, generated with icalendar and read back with vobject (an independent parser)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import vobject

from campaign.documents import announcement as ann
from campaign.formats import ics
from campaign.store import Store

KAZAKH_PLACE = ("Жаңаөзен қаласының орталық алаңы, Бейбітшілік көшесі мен Абай даңғылының "
                "қиылысындағы ескерткіш жанында; «Әділет» тас белгісінің алдында")
NOW = dt.datetime(2026, 11, 23, 9, 30, 15, tzinfo=dt.UTC)


def make(store: Store, **kw: Any) -> bytes:
    options: dict[str, Any] = {"kind": "picket", "date": "2026-12-16", "time": "12:00",
                               "end": "14:00", "timezone": "Europe/London",
                               "place": "Embassy of Kazakhstan", "city": "London",
                               "length": "medium", **kw}
    a = ann.announce(store, **options)
    return ics.calendar(store, kind=a.kind, date=a.date, start=a.start, end=a.end,
                        summary=a.title, location=a.location, description="About: " + a.title,
                        city=a.context["city"], place=a.context["place"], now=NOW)


def parse(data: bytes) -> Any:
    return vobject.readOne(data.decode("utf-8"))


def test_fields_read_back(store: Store) -> None:
    data = make(store)
    cal = parse(data)
    assert cal.version.value == "2.0"
    assert cal.prodid.value == ics.PRODID
    ev = cal.vevent
    assert ev.summary.value.startswith("Picket: 15th anniversary of the Zhanaozen massacre")
    assert ev.location.value == "Embassy of Kazakhstan, London"
    assert ev.description.value.startswith("About: Picket: 15th anniversary")
    start, end = ev.dtstart.value, ev.dtend.value
    assert (start.hour, start.minute, end.hour) == (12, 0, 14)
    assert start.utcoffset() == dt.timedelta(0)  # London in December
    assert ev.dtstart.params["X-VOBJ-ORIGINAL-TZID"] == ["Europe/London"]
    assert b"DTSTART;TZID=Europe/London:20261216T120000" in data
    assert cal.vtimezone.tzid.value == "Europe/London"
    assert ev.dtstamp.value == NOW
    assert ev.dtstamp.value.tzinfo is not None
    assert int(ev.sequence.value) == 0
    assert ev.uid.value.endswith("@" + ics.UID_DOMAIN)
    assert b"\r\n" in data and b"DTSTAMP:20261123T093015Z" in data


def test_zone_with_summer_time(store: Store) -> None:
    cal = parse(make(store, date="2026-07-06", timezone="Asia/Almaty"))
    start = cal.vevent.dtstart.value
    assert start.utcoffset() == dt.timedelta(hours=5)
    assert cal.vevent.dtstart.params["X-VOBJ-ORIGINAL-TZID"] == ["Asia/Almaty"]


def test_all_day_when_no_time(store: Store) -> None:
    data = make(store, time=None, end=None, timezone=None)
    assert b"DTSTART;VALUE=DATE:20261216" in data
    assert b"VTIMEZONE" not in data
    ev = parse(data).vevent
    assert ev.dtstart.value == dt.date(2026, 12, 16)
    assert ev.dtend.value == dt.date(2026, 12, 17)


def test_floating_time_without_zone(store: Store) -> None:
    data = make(store, timezone=None, end=None)
    ev = parse(data).vevent
    assert ev.dtstart.value == dt.datetime(2026, 12, 16, 12, 0)
    assert not hasattr(ev, "dtend")
    assert b"VTIMEZONE" not in data


def test_uid_stable_and_sequence(store: Store) -> None:
    first = parse(make(store)).vevent
    again = parse(make(store)).vevent
    assert first.uid.value == again.uid.value
    assert int(again.sequence.value) == 0  # nothing changed
    moved = parse(make(store, place="Kazakhstan House, Pall Mall")).vevent
    assert moved.uid.value == first.uid.value  # same event: calendars update it
    assert int(moved.sequence.value) == 1
    assert int(parse(make(store, place="Kazakhstan House, Pall Mall")).vevent.sequence.value) == 1
    later = parse(make(store, place="Kazakhstan House, Pall Mall", end="15:00")).vevent
    assert int(later.sequence.value) == 2
    # kept in the store's meta table
    stored = json.loads(store.meta(ics.META_PREFIX + first.uid.value) or "{}")
    assert stored["sequence"] == 2
    # another event has another UID
    other = parse(make(store, date="2026-12-17")).vevent
    assert other.uid.value != first.uid.value
    assert int(other.sequence.value) == 0


def test_uid_is_not_random() -> None:
    a = ics.event_uid("picket", dt.date(2026, 12, 16), " london ", None)
    assert a == ics.event_uid("picket", dt.date(2026, 12, 16), "London", "elsewhere")
    assert a != ics.event_uid("vigil", dt.date(2026, 12, 16), "London", None)
    assert ics.event_uid("picket", dt.date(2026, 12, 16), None, "A") != \
        ics.event_uid("picket", dt.date(2026, 12, 16), None, "B")


def test_folding_with_a_long_kazakh_place(store: Store) -> None:
    data = make(store, place=KAZAKH_PLACE, city="Жаңаөзен")
    data.decode("utf-8")  # the whole file is valid UTF-8
    lines = data.split(b"\r\n")
    assert lines[-1] == b""
    for line in lines:
        assert len(line) <= 75, line
        line.decode("utf-8")  # no multi-byte character split across a fold
        assert b"\n" not in line and b"\r" not in line
    assert any(line.startswith(b" ") for line in lines)  # it was folded
    ev = parse(data).vevent
    assert ev.location.value == f"{KAZAKH_PLACE}, Жаңаөзен"
    # text escaping: the semicolon and commas are escaped in the raw file
    unfolded = data.replace(b"\r\n ", b"").decode("utf-8")
    location_line = next(x for x in unfolded.split("\r\n") if x.startswith("LOCATION:"))
    assert "алаңы\\, Бейбітшілік" in location_line and "жанында\\; «Әділет»" in location_line


def test_description_escapes_newlines(store: Store) -> None:
    a = ann.announce(store, kind="vigil", date="2026-12-16", place="A", city="B")
    data = ics.calendar(store, kind=a.kind, date=a.date, start=None, end=None, summary=a.title,
                        location=a.location, description="line one\nline two, with \\ back",
                        city="B", place="A", now=NOW)
    unfolded = data.replace(b"\r\n ", b"").decode("utf-8")
    assert "DESCRIPTION:line one\\nline two\\, with \\\\ back" in unfolded
    assert parse(data).vevent.description.value == "line one\nline two, with \\ back"


@pytest.mark.parametrize("day", ["2026-12-16", "2027-02-28"])
def test_vtimezone_present_for_zone(store: Store, day: str) -> None:
    cal = parse(make(store, date=day, timezone="America/New_York"))
    assert cal.vtimezone.tzid.value == "America/New_York"
    assert cal.vevent.dtstart.value.utcoffset() == dt.timedelta(hours=-5)
