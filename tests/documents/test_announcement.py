"""Announcements: the occasion computed from the store, cited facts, three lengths."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaign.documents import announcement as ann
from campaign.errors import NotFoundError, UsageError
from campaign.store import Store

KAZAKH_PLACE = ("Жаңаөзен қаласының орталық алаңы, Бейбітшілік көшесі мен Абай даңғылының "
                "қиылысындағы ескерткіш жанында")
PICKET = {"kind": "picket", "time": "12:00", "place": "Embassy of Kazakhstan", "city": "London"}


def text(store: Store, date: str, length: str = "medium", **kw: object) -> str:
    options = {**PICKET, **kw}
    return ann.announce(store, date=date, length=length, **options).markdown  # type: ignore[arg-type]


def check_citations(markdown: str) -> None:
    """Every [n] is listed in the sources, every listed source is cited, numbered 1..N."""
    body, _, sources = markdown.partition("## Sources")
    cited = {int(n) for group in re.findall(r"\[([\d, ]+)\]", body)
             for n in group.split(",")}
    listed = [int(n) for n in re.findall(r"^(\d+)\. ", sources, flags=re.M)]
    assert listed == list(range(1, len(listed) + 1))
    assert cited == set(listed)


@pytest.mark.parametrize("length", ["short", "medium", "long"])
def test_fifteenth_anniversary(store: Store, length: str) -> None:
    md = text(store, "2026-12-16", length)
    assert "the 15th anniversary of the Zhanaozen massacre of 16 December 2011" in md
    assert "Wednesday 16 December 2026, 12:00" in md
    assert "Embassy of Kazakhstan, London" in md


@pytest.mark.parametrize("length", ["short", "medium", "long"])
def test_tenth_anniversary(store: Store, length: str) -> None:
    md = text(store, "2021-12-16", length)
    assert "the 10th anniversary of the Zhanaozen massacre of 16 December 2011" in md
    assert "15th" not in md


def test_anniversary_of_the_17_december_events(store: Store) -> None:
    md = text(store, "2027-12-17")
    assert "the 16th anniversary of the Zhanaozen massacre of 16–17 December 2011" in md
    # the other 17 December event is an anniversary too
    assert "Statement by EU High Representative Catherine Ashton" in md
    assert "(17 December 2011) [" in md


def test_no_anniversary_says_none_and_gives_the_facts(store: Store) -> None:
    md = text(store, "2026-06-01")
    assert "No anniversary of the campaign's events falls on this date." in md
    assert "anniversary of the Zhanaozen massacre" not in md
    assert "Police open fire on striking oil workers" in md
    assert "at least 16 deaths in the police shootings at Zhanaozen" in md
    assert "according to official reports" in md
    check_citations(md)
    short = text(store, "2026-06-01", "short")
    assert "anniversary" not in short
    assert "Remember: Police open fire" in short


@pytest.mark.parametrize("length", ["medium", "long"])
def test_citations_and_sources(store: Store, length: str) -> None:
    md = text(store, "2026-12-16", length)
    check_citations(md)
    assert "Kazakhstan (Greens/EFA motion for a resolution), Greens/EFA group" in md


def test_figures_keep_qualifier_and_who_says_so(store: Store) -> None:
    md = text(store, "2026-12-16", "long")
    assert "at least 16 deaths in the police shootings at Zhanaozen, December 2011, " \
           "according to official reports" in md
    assert "as many as 500 deaths" in md and "according to independent sources" in md
    assert "at least 17 deaths" in md
    assert md.startswith("# Press release: Picket")
    assert "## Background" in md


def test_prisoners_worded_as_of_their_report(store: Store) -> None:
    md = text(store, "2026-12-16")
    assert "- Roza Tuletaeva: imprisoned (as reported in January 2014) [" in md
    assert "worded as of 16 December 2026" in md
    # a person chosen by name, as of a date when their status was recent
    md = text(store, "2026-12-16", prisoners=["Rosa Tuletaeva"], as_of=dt.date(2012, 3, 10))
    assert "- Roza Tuletaeva: detained (as of 7 March 2012) [" in md
    assert "Vladimir Kozlov:" not in md


def test_demands_chosen(store: Store) -> None:
    md = text(store, "2026-12-16", demands=["international-inquiry"])
    assert "An independent, international inquiry into the violence at Zhanaozen" in md
    assert "Release all political prisoners unconditionally" not in md
    check_citations(md)


def test_private_contacts_never_printed(store: Store) -> None:
    for length in ("short", "medium", "long"):
        md = text(store, "2026-12-16", length, organiser="Unite London",
                  contact="picket@example.org")
        assert "+32 485" not in md and "+32 473" not in md
        if length != "short":
            assert "picket@example.org" in md


def test_organiser_contact_and_times(store: Store) -> None:
    md = text(store, "2026-12-16", "long", end="14:00", timezone="Europe/London",
              organiser="Unite London", contact="picket@example.org")
    assert "Unite London will hold a picket at Embassy of Kazakhstan, London on " \
           "Wednesday 16 December 2026, 12:00–14:00 (Europe/London time)." in md
    assert "Press contact: picket@example.org" in md


def test_title(store: Store) -> None:
    a = ann.announce(store, date="2026-12-16", **PICKET)  # type: ignore[arg-type]
    assert a.title == ("Picket: 15th anniversary of the Zhanaozen massacre — "
                       "Embassy of Kazakhstan, London, 16 December 2026")
    assert a.location == "Embassy of Kazakhstan, London"
    assert a.start == dt.datetime(2026, 12, 16, 12, 0)


@pytest.mark.parametrize(("options", "message"), [
    ({"date": "2026-02-30"}, "not a day of the calendar"),
    ({"date": "16/12/2026"}, "--date"),
    ({"date": "2026-12-16", "time": "25:00"}, "--time"),
    ({"date": "2026-12-16", "time": "12:00", "end": "11:00"}, "--end 11:00 is not after"),
    ({"date": "2026-12-16", "time": "12:00", "end": "12:00"}, "is not after"),
    ({"date": "2026-12-16", "end": "12:00", "time": None}, "--end needs a start time"),
    ({"date": "2026-12-16", "timezone": "Mars/Base"}, "unknown time zone 'Mars/Base'"),
    ({"date": "2026-12-16", "timezone": "../../etc/passwd"}, "unknown time zone"),
    ({"date": "2026-12-16", "kind": "riot"}, "unknown kind"),
])
def test_bad_input(store: Store, options: dict, message: str) -> None:
    with pytest.raises(UsageError, match=re.escape(message)):
        ann.announce(store, **{**PICKET, **options})


def test_unknown_demand_and_prisoner(store: Store) -> None:
    with pytest.raises(NotFoundError, match="no demand called 'free-everyone'"):
        text(store, "2026-12-16", demands=["free-everyone"])
    with pytest.raises(NotFoundError, match="no person called"):
        text(store, "2026-12-16", prisoners=["Nobody Atall"])


def test_user_template_overrides(store: Store, tmp_path: Path) -> None:
    (tmp_path / "announcement.md.j2").write_text(
        "{% if part == 'title' %}T{% else %}{{ primary.ordinal }} at {{ place }}"
        "{% endif %}\n", encoding="utf-8")
    a = ann.announce(store, user_dir=tmp_path, date="2026-12-16", **PICKET)  # type: ignore[arg-type]
    assert a.markdown == "15th at Embassy of Kazakhstan\n"


# -- short posts: 280 characters, never a word cut ---------------------------------

def test_shorten_words() -> None:
    assert ann.shorten_words("one two three", 20) == "one two three"
    assert ann.shorten_words("one two, three", 10) == "one two…"
    assert ann.shorten_words("averyveryverylongword", 5) == ""


def test_short_fits_and_drops_optional_parts_first(store: Store) -> None:
    md = text(store, "2026-12-16", "short", organiser="Unite London Region", contact="u@x.org",
              demands=["international-inquiry"])
    assert len(md.strip()) <= 280
    assert "15th anniversary" in md and "[1] socialistworld.net, January 2014" in md


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    from campaign.pack import load_bundled

    st_ = Store(tmp_path_factory.mktemp("ann") / "store.db")
    load_bundled(st_)
    yield st_
    st_.close()


WORDS = st.sampled_from([
    "Embassy", "of", "Kazakhstan", "Жаңаөзен", "қаласының", "орталық", "алаңы,", "Бейбітшілік",
    "көшесі", "мен", "Абай", "даңғылының", "қиылысындағы", "ескерткіш", "жанында",
    "Trafalgar", "Square", "Rue", "de", "la", "Loi", "Schuman", "roundabout,", "—", "№12",
])
PLACES = st.one_of(
    st.none(),
    st.just(KAZAKH_PLACE),
    st.just(" ".join([KAZAKH_PLACE] * 4)),
    st.lists(WORDS, min_size=1, max_size=60).map(" ".join),
)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    day=st.one_of(
        st.integers(min_value=2012, max_value=2199).flatmap(
            lambda y: st.sampled_from([dt.date(y, 12, 16), dt.date(y, 12, 17)])),
        st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2199, 12, 31)),
    ),
    kind=st.sampled_from(ann.KINDS),
    place=PLACES,
    city=st.one_of(st.none(), st.sampled_from(["London", "Жаңаөзен", "Aktau", "Dublin"]),
                   st.lists(WORDS, min_size=1, max_size=20).map(" ".join)),
    organiser=st.one_of(st.none(), st.lists(WORDS, min_size=1, max_size=15).map(" ".join)),
    time=st.one_of(st.none(), st.just("18:30")),
)
def test_short_is_at_most_280_characters(shared_store: Store, day: dt.date, kind: str,
                                         place: str | None, city: str | None,
                                         organiser: str | None, time: str | None) -> None:
    a = ann.announce(shared_store, kind=kind, date=day.isoformat(), time=time,
                     end="20:00" if time else None, place=place, city=city,
                     organiser=organiser, contact="07000 000000", length="short")
    post = a.markdown.strip()
    assert len(post) <= ann.SHORT_LIMIT
    # the essentials: what, when, and (for an anniversary date) why, with its source
    assert post.startswith({"picket": "Picket", "vigil": "Vigil", "meeting": "Public meeting",
                            "day-of-action": "Day of action"}[kind])
    assert ann.dates.human(day.isoformat()) in post
    assert "[1] " in post
    if (day.month, day.day) in ((12, 16), (12, 17)) and day.year > 2011:
        years = day.year - 2011
        assert f"the {ann.anniversaries.ordinal(years)} anniversary of the Zhanaozen massacre" \
            in post
    # never a word cut: a shortened place or city is whole words of it, then an ellipsis
    for name, given_text in (("place", place), ("city", city)):
        shown = a.context[name]
        if not given_text or shown is None:
            continue
        assert shown in post
        given_words = given_text.split()
        if shown != " ".join(given_words):
            assert shown.endswith("…")
            kept = shown[:-1].split()
            assert kept[:-1] == given_words[:len(kept) - 1]
            assert given_words[len(kept) - 1].startswith(kept[-1])
            assert kept[-1] == given_words[len(kept) - 1].rstrip(",;:.–-— ")


def test_sample_context_is_plain_data(store: Store) -> None:
    import json

    ctx = ann.announcement_context(store)
    json.dumps(ctx)  # no datetimes or other objects: what a template (or JSON) can take
    assert ctx["primary"]["kind"] == "shooting" and ctx["sources"]
    assert not any(k.startswith("_") for k in ctx["when"])
