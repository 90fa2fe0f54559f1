"""Which demands a document may make, and whom it names, as of a date."""

from __future__ import annotations

import datetime as dt

import pytest

from campaign.errors import NotFoundError, UsageError
from campaign.selection import (
    LAPSE_YEARS,
    demand_is_current,
    published_by,
    select_demands,
    select_people,
)
from campaign.store import Store

TODAY = dt.date(2026, 12, 1)
IN_2012 = dt.date(2012, 6, 1)
RELEASED_OR_DEAD = ("released", "died")


def _statuses(store: Store, as_of: dt.date) -> dict[str, dict]:
    from campaign.people import persons

    return {p["id"]: p for p in persons(store, as_of)}


def test_lapse_years_is_three() -> None:
    assert LAPSE_YEARS == 3


def test_default_today_has_only_current_demands(store: Store) -> None:
    chosen = select_demands(store, as_of=TODAY)
    ids = [d["id"] for d in chosen]
    # In 2026 the 2012 release calls are history; the inquiry and the union's
    # registration stand until a source reports them done.
    assert ids == ["international-inquiry", "register-independent-unions"]
    assert all(d["current"] and d["lapsed_because"] is None for d in chosen)
    # Overtaken by time: the 2012 trial and the 2012 negotiations.
    assert "drop-charges-strikers" not in ids and "suspend-eu-agreement" not in ids


def test_no_current_demand_asks_for_someone_released_or_dead(store: Store) -> None:
    for as_of in (IN_2012, dt.date(2014, 2, 1), TODAY):
        people = _statuses(store, as_of)
        gone = [p["name"] for p in people.values() if p["status"] in RELEASED_OR_DEAD]
        for d in select_demands(store, as_of=as_of):
            for name in gone:
                assert name not in d["text"] and name not in d["ask"], (as_of, d["id"], name)


def test_released_person_is_left_out_of_the_ask(store: Store) -> None:
    in_2014 = dt.date(2014, 6, 1)
    today = {d["id"]: d for d in select_demands(store, as_of=in_2014, lapse_years=3)
             }["release-named-prisoners"]
    assert "Natalia Sokolova" not in today["ask"]
    assert today["ask"].startswith("immediately release Akhzhanat Aminov, Vladimir Kozlov")
    assert today["ask"].endswith("Ruslan Simbinov and Aizhangul Amirova")
    assert today["left_out"] == ["Natalia Sokolova"]
    # What was asked in 2012, as history, counts her rather than asks for her release.
    assert "Natalia Sokolova" not in today["history"]
    assert today["history"].endswith("Aizhangul Amirova and one other since reported released "
                                     "or dead.")
    assert today["text"].startswith("Immediately release Akhzhanat Aminov")
    then = {d["id"]: d for d in select_demands(store, as_of=IN_2012)}["release-named-prisoners"]
    assert "Natalia Sokolova" in then["ask"] and then["left_out"] == []


def test_current_demands_rest_on_a_recent_source_or_on_people_still_held(store: Store) -> None:
    """A process or release demand worded as current must have a source under three
    years old (accountability and policy demands stand until reported done)."""
    known = {s["id"]: s for s in store.sources()}
    from campaign import dates

    for as_of in (IN_2012, dt.date(2013, 6, 1), dt.date(2016, 1, 1), TODAY):
        for d in select_demands(store, as_of=as_of):
            if d["kind"] in ("accountability", "policy"):
                continue
            newest = max(dates.start(known[s]["published"]) for s in d["sources"])
            assert (as_of - newest).days < 3 * 366, (as_of, d["id"])


def test_as_of_2012_keeps_the_2012_demands_and_only_2012_sources(store: Store) -> None:
    chosen = select_demands(store, as_of=IN_2012)
    ids = {d["id"] for d in chosen}
    assert {"drop-charges-strikers", "suspend-eu-agreement", "international-inquiry"} <= ids
    assert "implement-ep-resolutions" not in ids  # made in December 2013
    visible = published_by(store.sources(), IN_2012)
    assert "socialistworld-2014-01" not in visible
    for d in chosen:
        assert d["sources"] and set(d["sources"]) <= visible, d["id"]


def test_chosen_lapsed_demand_is_history(store: Store) -> None:
    [d] = select_demands(store, as_of=TODAY, wanted=["suspend-eu-agreement"])
    assert d["current"] is False
    assert "more than 3 years before 1 December 2026" in d["lapsed_because"]
    assert d["history"].startswith("In March 2012 Paul Murphy MEP (GUE/NGL) called on the EU "
                                   "High Representative")
    assert d["history"].endswith(".")


def test_renewal_with_a_new_source_makes_it_current_again(store: Store) -> None:
    with store.transaction():
        store.add_source({"id": "news-2026", "title": "Talks resume", "publisher": "A paper",
                          "published": "2026-10"})
        store.cite("demand", "suspend-eu-agreement", ["news-2026"])
    d = store.demand("suspend-eu-agreement")
    assert demand_is_current(store, d, TODAY) == (True, None)
    assert demand_is_current(store, d, TODAY.replace(year=2030))[0] is False
    assert "suspend-eu-agreement" in [x["id"] for x in select_demands(store, as_of=TODAY)]


def test_lapse_years_is_an_option(store: Store) -> None:
    d = store.demand("suspend-eu-agreement")
    assert demand_is_current(store, d, dt.date(2016, 1, 1))[0] is False
    assert demand_is_current(store, d, dt.date(2016, 1, 1), lapse_years=5) == (True, None)


def test_person_demand_lapses_when_everyone_is_released(store: Store) -> None:
    with store.transaction():
        store.add_source({"id": "s", "title": "T", "publisher": "P", "published": "2020-01"})
        store.add_cited("demands", "demand", {
            "id": "free-sokolova", "text": "Free Natalia Sokolova.", "quotes": [],
            "concerns": {"persons": ["natalia-sokolova"], "process": None},
            "ask": "release {persons}"}, ["s"])
    d = store.demand("free-sokolova")
    assert demand_is_current(store, d, dt.date(2020, 2, 1)) == (
        False, "Natalia Sokolova was reported released in January 2014")
    [chosen] = select_demands(store, as_of=dt.date(2020, 2, 1), wanted=["free-sokolova"])
    assert chosen["current"] is False and "Natalia Sokolova" in chosen["history"]
    assert "free-sokolova" not in [x["id"] for x in select_demands(store, as_of=TODAY)]


def test_unknown_demand_suggests(store: Store) -> None:
    with pytest.raises(NotFoundError) as err:
        select_demands(store, as_of=TODAY, wanted=["suspend-eu-agrement"])
    assert "suspend-eu-agreement" in str(err.value)


def test_demand_made_after_the_date_cannot_be_chosen(store: Store) -> None:
    with pytest.raises(UsageError, match="first made in December 2013"):
        select_demands(store, as_of=IN_2012, wanted=["implement-ep-resolutions"])


def test_old_records_get_fallbacks(empty_store: Store) -> None:
    st = empty_store
    with st.transaction():
        st.add_source({"id": "s", "title": "T", "publisher": "A union", "published": "2025-05"})
        st.add_cited("demands", "demand", {"id": "d", "text": "Free Them All.", "quotes": [],
                                           "addressed_to": "Government of Kazakhstan"}, ["s"])
    [d] = select_demands(st, as_of=TODAY)
    assert d["made"] == "2025-05" and d["made_by"] == "A union"
    assert d["ask"] == "free Them All"
    assert d["concerns"] == {"persons": [], "process": "Free Them All."}
    assert d["history"] == ("In May 2025 A union called on the government of Kazakhstan "
                            "to free Them All.")
    assert select_demands(st, as_of=dt.date(2029, 1, 1)) == []


# -- people ------------------------------------------------------------------------


def test_people_by_role_then_counted(store: Store) -> None:
    people, others = select_people(store, as_of=TODAY)
    names = [p["name"] for p in people]
    assert len(people) == 8
    # The strike leaders first, then those who died, then lawyers and journalists.
    assert set(names[:5]) == {"Roza Tuletaeva", "Maksat Dosmagambetov", "Naryn Dzarilgasinov",
                              "Kanat Zhusilbaev", "Shabdal Utilov"}
    assert {p["role"] for p in people[:5]} == {"strike leader"}
    roles = [p["role"] if p["status"] != "died" else "died" for p in people]
    assert roles.index("died") > max(i for i, r in enumerate(roles) if r == "strike leader")
    assert "Bazarbai Kenzhebaev" in names
    assert "Natalia Sokolova" not in names  # released
    everyone = [p for p in _statuses(store, TODAY).values()
                if p["status"] in ("imprisoned", "detained", "charged", "on trial",
                                   "under investigation", "died")]
    assert others == len(everyone) - 8


def test_named_people_come_first_and_all_are_kept(store: Store) -> None:
    people, others = select_people(store, as_of=TODAY, wanted=["Aron Atabek", "Natalia Sokolova"],
                                   max_people=3)
    assert [p["name"] for p in people][:2] == ["Aron Atabek", "Natalia Sokolova"]
    assert len(people) == 3
    none, rest = select_people(store, as_of=TODAY, max_people=0)
    assert none == [] and rest == others + 1 + 1  # Atabek back in the pool, one more unnamed


def test_people_sources_are_those_published_by_the_date(store: Store) -> None:
    people, _ = select_people(store, as_of=IN_2012, max_people=50)
    assert people
    for p in people:
        assert "socialistworld-2014-01" not in p["sources"], p["name"]
        assert p["role"]


def test_people_unknown_name_suggests(store: Store) -> None:
    with pytest.raises(NotFoundError):
        select_people(store, as_of=TODAY, wanted=["Zzyzx Qwerty"])


def test_people_statuses_filter(store: Store) -> None:
    people, others = select_people(store, as_of=TODAY, statuses=("released",), max_people=50)
    assert people and all(p["status"] == "released" for p in people) and others == 0


def test_status_is_cited_to_its_own_report(store: Store) -> None:
    """Kuramshin 'imprisoned (January 2014)' rests on the 2014 report, not the 2010 article
    that reports his release."""
    people, _ = select_people(store, as_of=TODAY, wanted=["Vadim Kuramshin"], max_people=1)
    [kuramshin] = people
    assert kuramshin["status"] == "imprisoned"
    assert kuramshin["status_sources"] == ["socialistworld-2014-01"]
    assert "socialist-2010-09-15" in kuramshin["sources"]
    assert kuramshin["status_summary"].startswith("was named by Campaign Kazakhstan")
    then, _ = select_people(store, as_of=dt.date(2011, 1, 1), wanted=["Vadim Kuramshin"],
                            max_people=1)
    assert then[0]["status"] == "released"
    assert then[0]["status_sources"] == ["socialist-2010-09-15"]


def test_pack_refuses_a_demand_about_an_unknown_person(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from campaign.errors import InputError
    from campaign.pack import read_pack

    path = tmp_path / "p.yaml"
    path.write_text(
        "pack: t\ntitle: T\nsources:\n  - {id: s, title: A, publisher: B, published: '2012'}\n"
        "persons:\n  - {id: ann, name: Ann Example, sources: [s]}\n"
        "demands:\n  - id: free\n    text: Free them.\n    sources: [s]\n"
        "    concerns: {persons: [ann, bob]}\n", encoding="utf-8")
    with pytest.raises(InputError, match="concerns 'bob'"):
        read_pack(path)
    path.write_text(path.read_text(encoding="utf-8").replace(", bob", ""), encoding="utf-8")
    assert read_pack(path)["demands"][0]["concerns"] == {"persons": ["ann"], "process": None}


def test_an_ask_names_at_most_max_names(store: Store) -> None:
    [d] = select_demands(store, as_of=dt.date(2014, 6, 1), wanted=["release-named-prisoners"],
                         max_names=2, lapse_years=3)
    assert d["ask"] == "immediately release Akhzhanat Aminov, Vladimir Kozlov and 4 others"
    assert d["text"] == "Immediately release Akhzhanat Aminov, Vladimir Kozlov and 4 others."
    [d] = select_demands(store, as_of=IN_2012, wanted=["release-named-prisoners"], max_names=7)
    assert d["text"].startswith("Immediately release Natalia Sokolova")  # the record's words


def test_rules_hold_on_any_date(store: Store) -> None:
    """Over dates from 2010 to 2035: no current demand asks for someone released or dead,
    no process demand is current on a source three years old, every source cited was
    published by the date, and nobody named is unknown on that date."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from campaign import dates

    known = {s["id"]: s for s in store.sources()}

    @settings(max_examples=40, deadline=None)
    @given(day=st.dates(dt.date(2010, 1, 1), dt.date(2035, 12, 31)))
    def check(day: dt.date) -> None:
        people = _statuses(store, day)
        gone = {p["name"] for p in people.values() if p["status"] in RELEASED_OR_DEAD}
        for d in select_demands(store, as_of=day):
            assert d["current"] and dates.start(d["made"]) <= day
            assert not any(n in d["ask"] or n in d["text"] for n in gone), (day, d["id"])
            assert all(dates.start(known[s]["published"]) <= day for s in d["sources"])
            if d["kind"] in ("release", "process"):
                newest = max(dates.start(known[s]["published"]) for s in d["sources"])
                assert newest.replace(year=newest.year + 3) > day, (day, d["id"])
        named, others = select_people(store, as_of=day)
        assert len(named) <= 8 and others >= 0
        for p in named:
            assert p["status"] is not None
            assert all(dates.start(known[s]["published"]) <= day for s in p["status_sources"])

    check()


def test_made_in_is_the_source_of_the_history(store: Store) -> None:
    [d] = select_demands(store, as_of=TODAY, wanted=["suspend-eu-agreement"])
    assert d["made_in"] == "socialistworld-2012-03"
    [d] = select_demands(store, as_of=IN_2012, wanted=["release-political-prisoners"])
    assert d["made_in"] == "greens-efa-2012-03-07"


@pytest.mark.parametrize(("text", "ask"), [
    ("Release all political prisoners.", "release all political prisoners"),
    ("An independent, international inquiry into the shootings.",
     "set up an independent, international inquiry into the shootings"),
    ("Trade unions and MEPs: pass resolutions of solidarity.", "pass resolutions of solidarity"),
    ("Drop the charges; the trial was unfair.", "drop the charges"),
    ("EU institutions must act.", "EU institutions must act"),
])
def test_an_ask_read_from_a_demands_own_words(text: str, ask: str) -> None:
    """Records with no ``ask`` get one every document can say after "to"."""
    from campaign.selection import _ask_from_text

    assert _ask_from_text(text) == ask


# -- demands in time: kinds, history, news -------------------------------------------


def test_every_bundled_demand_has_a_kind(store: Store) -> None:
    from campaign.records import DEMAND_KINDS
    from campaign.selection import KINDS

    assert KINDS == DEMAND_KINDS
    kinds = {d["id"]: d["kind"] for d in store.demands()}
    assert set(kinds.values()) <= set(KINDS) and None not in kinds.values()
    assert kinds["international-inquiry"] == "accountability"
    assert kinds["register-independent-unions"] == "policy"
    assert kinds["release-named-prisoners"] == "release"


def test_a_2012_release_call_is_current_in_2013_and_history_in_2026(store: Store) -> None:
    from campaign.selection import demand_set

    then = demand_set(store, as_of=dt.date(2013, 6, 1))
    assert "release-named-prisoners" in [d["id"] for d in then["current"]]
    assert then["history"] == [] and then["news"] is None
    now = demand_set(store, as_of=TODAY)
    assert "release-named-prisoners" not in [d["id"] for d in now["current"]]
    history = {d["id"]: d for d in now["history"]}["release-named-prisoners"]
    assert history["history"].startswith(
        "In March 2012 the Greens/EFA group in the European Parliament called on the "
        "government of Kazakhstan to immediately release")
    assert "more than 3 years before" in history["lapsed_because"]


def test_news_is_asked_for_those_last_reported_held_with_the_date(store: Store) -> None:
    from campaign.selection import HELD, demand_set

    news = demand_set(store, as_of=TODAY)["news"]
    assert news is not None
    by_name = {p["name"]: p for p in news["people"]}
    assert by_name["Vladimir Kozlov"]["reported"] == "January 2014"
    assert "Natalia Sokolova" not in by_name  # reported released
    statuses = _statuses(store, TODAY)
    assert all(statuses[p["id"]]["status"] in HELD for p in news["people"])
    assert news["ask"].startswith("provide information on the whereabouts, health and "
                                  "present status of ")
    assert "Vladimir Kozlov, last reported imprisoned in January 2014" in news["ask"]
    assert all(p["sources"] for p in news["people"])


def test_the_inquiry_stands_in_2026_until_reported_done(store: Store) -> None:
    d = store.demand("international-inquiry")
    assert demand_is_current(store, d, TODAY) == (True, None)
    with store.transaction():
        store.add_source({"id": "done-2025", "title": "Inquiry held", "publisher": "P",
                          "published": "2025-04"})
        store.cite("demand", "international-inquiry", ["done-2025"])
        store.conn.execute("UPDATE demands SET done = '2025-04', done_in = 'done-2025' "
                           "WHERE id = 'international-inquiry'")
    d = store.demand("international-inquiry")
    assert demand_is_current(store, d, TODAY) == (
        False, "a source reported it done in April 2025")
    assert demand_is_current(store, d, dt.date(2024, 1, 1))[0] is True


def test_renewing_a_release_call_makes_it_current_again(store: Store) -> None:
    from campaign.selection import demand_set, renew_demand

    with store.transaction():
        store.add_source({"id": "news-2026", "title": "Still held", "publisher": "A paper",
                          "published": "2026-10"})
        renew_demand(store, "release-named-prisoners", "news-2026")
    now = demand_set(store, as_of=TODAY)
    assert "release-named-prisoners" in [d["id"] for d in now["current"]]


def test_a_demand_without_a_kind_gets_one_inferred(empty_store: Store) -> None:
    from campaign.selection import infer_kind, kind_of

    assert infer_kind({"concerns": {"persons": ["x"]}}) == "release"
    assert infer_kind({"text": "Stop the trial."}) == "process"
    assert kind_of({"kind": "policy", "concerns": {"persons": ["x"]}}) == "policy"


def test_a_role_only_a_later_source_gives_is_not_known_before(store: Store) -> None:
    from campaign.people import persons
    from campaign.selection import roles_as_of

    people = [p for p in persons(store, IN_2012)
              if p["id"] in ("roza-tuletaeva", "vladimir-kozlov", "ainur-kurmanov")]
    then = roles_as_of(store, people, IN_2012)
    assert then["roza-tuletaeva"] == "oil worker"  # "leaders" only in January 2014
    assert then["vladimir-kozlov"] == "opposition politician"
    assert then["ainur-kurmanov"] is None  # "trade union" only in 2014; "leaders" of what?
    assert roles_as_of(store, people, TODAY)["roza-tuletaeva"] == "strike leader"


@pytest.mark.parametrize(("published", "as_of", "current"), [
    ("2026-10", dt.date(2029, 9, 30), True),    # the last day before three years
    ("2026-10", dt.date(2029, 10, 1), False),   # exactly three years: lapsed
    ("2026-10-15", dt.date(2029, 10, 14), True),
    ("2026-10-15", dt.date(2029, 10, 15), False),
    ("2028-02-29", dt.date(2031, 2, 28), True),  # from a 29 February: lapsed on 1 March
    ("2028-02-29", dt.date(2031, 3, 1), False),
    ("2025-03-01", dt.date(2028, 2, 29), True),  # on a 29 February
    ("2025-02-28", dt.date(2028, 2, 29), False),
    ("2026", dt.date(2028, 12, 31), True),      # a year alone counts from 1 January
    ("2026", dt.date(2029, 1, 1), False),
])
def test_the_lapse_rule_at_its_boundary(store: Store, published: str, as_of: dt.date,
                                        current: bool) -> None:
    """The boundary of the three-year rule, day by day (a random Hypothesis draw seldom
    lands on it): a process demand is current while its newest source is less than
    three years older than the date, and lapsed from the day it is three years old."""
    with store.transaction():
        store.add_source({"id": "boundary", "title": "Talks resume", "publisher": "A paper",
                          "published": published})
        store.conn.execute("DELETE FROM citations WHERE record_type = 'demand' AND "
                           "record_id = 'suspend-eu-agreement'")
        store.cite("demand", "suspend-eu-agreement", ["boundary"])
        store.conn.execute("UPDATE demands SET made = ? WHERE id = 'suspend-eu-agreement'",
                           (published,))
    d = store.demand("suspend-eu-agreement")
    assert demand_is_current(store, d, as_of)[0] is current
