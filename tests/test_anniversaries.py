"""Anniversaries of dated events: full dates only, multi-day spans, planned events apart."""

from __future__ import annotations

import datetime as dt

import pytest

from campaign import anniversaries
from campaign.errors import UsageError
from campaign.facts import add_event
from campaign.store import Store

D = dt.date


def ids(found: list[dict]) -> list[str]:
    return [a["id"] for a in found]


def test_fifteenth_anniversary_of_the_shootings(store: Store) -> None:
    found = anniversaries.on_date(store, D(2026, 12, 16))
    first = found[0]
    assert first["id"] == "zhanaozen-shootings"
    assert first["kind"] == "shooting"
    assert (first["years"], first["ordinal"]) == (15, "15th")
    assert first["day_text"] == "16 December 2011"
    assert first["locality"] == "Zhanaozen"
    assert first["sources"] == ["socialistworld-2014-01"]  # only it gives Shetpe, 16-17 December
    # the other events of that day are anniversaries too, ranked after the shootings
    assert {"zhanaozen-rally", "day-of-solidarity-2011", "independence-20th-anniversary"} <= set(
        ids(found))


def test_tenth_anniversary(store: Store) -> None:
    first = anniversaries.on_date(store, D(2021, 12, 16))[0]
    assert (first["id"], first["ordinal"]) == ("zhanaozen-shootings", "10th")


def test_second_day_of_a_multi_day_event_is_an_anniversary(store: Store) -> None:
    shootings = store.row("SELECT * FROM events WHERE id = 'zhanaozen-shootings'")
    assert shootings and shootings["end_date"] == "2011-12-17"
    found = anniversaries.on_date(store, D(2027, 12, 17))
    assert ids(found)[0] == "zhanaozen-shootings"
    first = found[0]
    assert (first["ordinal"], first["day_number"], first["multi_day"]) == ("16th", 2, True)
    assert first["span_text"] == "16–17 December 2011"
    assert "ashton-statement-zhanaozen" in ids(found)


def test_no_anniversary(store: Store) -> None:
    assert anniversaries.on_date(store, D(2026, 6, 1)) == []


@pytest.mark.parametrize(("years", "word"), [(1, "1st"), (2, "2nd"), (3, "3rd"), (11, "11th"),
                                            (12, "12th"), (13, "13th"), (21, "21st"),
                                            (22, "22nd"), (101, "101st"), (111, "111th")])
def test_ordinals(store: Store, years: int, word: str) -> None:
    first = anniversaries.on_date(store, D(2011 + years, 12, 16))[0]
    assert first["ordinal"] == word


@pytest.fixture
def small(empty_store: Store) -> Store:
    st = empty_store
    with st.transaction():
        st.add_source({"id": "s", "title": "T", "publisher": "P", "published": "2020"})
        add_event(st, date="2010", kind="other", title="Year only", place=None, sources=["s"])
        add_event(st, date="2010-05", kind="other", title="Month only", place=None,
                  sources=["s"])
        add_event(st, date="2010-05-01", kind="strike", title="Strike", place="A and B, C",
                  sources=["s"], end_date="2010-05-03")
        add_event(st, date="2012-02-29", kind="protest", title="Leap day", place=None,
                  sources=["s"])
        add_event(st, date="2030-01-10", kind="picket", title="Planned picket", place="X",
                  sources=["s"], planned=True)
        add_event(st, date="2010-01-01", kind="other", title="Year-long", place=None,
                  sources=["s"], end_date="2010-12-31")
    return st


def test_partial_dates_have_no_day_anniversary(small: Store) -> None:
    # 2010 and 2010-05 start on 1 January / 1 May, but are not known to the day
    assert ids(anniversaries.on_date(small, D(2020, 5, 1))) == ["2010-05-01-strike"]
    assert anniversaries.on_date(small, D(2020, 1, 1))[0]["title"] == "Year-long"
    assert anniversaries.on_date(small, D(2020, 6, 1)) == []  # a period, not a multi-day event


def test_every_day_of_a_span(small: Store) -> None:
    for day in (1, 2, 3):
        found = anniversaries.on_date(small, D(2020, 5, day))
        assert [a["day_number"] for a in found] == [day]
        assert found[0]["span_text"] == "1–3 May 2010"
    assert anniversaries.on_date(small, D(2020, 5, 4)) == []


def test_the_day_itself_is_not_an_anniversary(small: Store) -> None:
    assert anniversaries.on_date(small, D(2010, 5, 1)) == []


def test_leap_day(small: Store) -> None:
    assert ids(anniversaries.on_date(small, D(2016, 2, 29))) == ["2012-02-29-leap-day"]
    assert anniversaries.on_date(small, D(2017, 2, 28)) == []


def test_planned_events_are_not_anniversaries(small: Store) -> None:
    assert anniversaries.on_date(small, D(2031, 1, 10)) == []


def test_upcoming(small: Store) -> None:
    items = anniversaries.upcoming(small, D(2030, 1, 1), 15)
    assert [(i["date"], i["type"]) for i in items] == [("2030-01-01", "anniversary"),
                                                       ("2030-01-10", "planned")]
    assert items[0]["what"].startswith("20th anniversary: Year-long")
    items = anniversaries.upcoming(small, D(2020, 4, 30), 3)
    assert [(i["date"], i["years"]) for i in items] == [
        ("2020-05-01", 10), ("2020-05-02", 10), ("2020-05-03", 10)]


def test_upcoming_bundled(store: Store) -> None:
    items = anniversaries.upcoming(store, D(2026, 12, 10), 10)
    first = next(i for i in items if i["event_id"] == "zhanaozen-shootings")
    assert first["date"] == "2026-12-16" and first["what"].startswith("15th anniversary")
    assert all("2026-12-10" <= i["date"] <= "2026-12-20" for i in items)


@pytest.mark.parametrize("days", [-1, 100000])
def test_upcoming_range(store: Store, days: int) -> None:
    with pytest.raises(UsageError):
        anniversaries.upcoming(store, D(2026, 1, 1), days)


def test_key_event(store: Store) -> None:
    key = anniversaries.key_event(store)
    assert key and key["id"] == "zhanaozen-shootings"
    assert key["span_text"] == "16–17 December 2011"


def test_span_text_across_months() -> None:
    e = {"date": "2011-12-31", "end_date": "2012-01-02"}
    assert anniversaries.span_text(e) == "31 December 2011 – 2 January 2012"
    e = {"date": "2011-11-30", "end_date": "2011-12-01"}
    assert anniversaries.span_text(e) == "30 November – 1 December 2011"
