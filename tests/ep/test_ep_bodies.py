"""Committees, subcommittees and delegations: fetched once, kept, chosen by label or name."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from typing import Any

import pytest
from ep_server import (
    AFET_IDS,
    DCAS_IDS,
    DROI_IDS,
    api_url,
    base_url,
    bodies,
    body_requests,
    details,
    serve_api,
    serve_bodies,
)
from pytest_httpserver import HTTPServer

from campaign import ep
from campaign.ep.bodies import (
    COMMITTEE_KINDS,
    BodyError,
    is_current,
    listed_on,
    member_roles,
    select_by_bodies,
    why_member,
)
from campaign.errors import NotFoundError
from campaign.store import Store

TODAY = dt.date(2026, 12, 1)


@pytest.fixture(autouse=True)
def _no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ep.net, "SLEEP", lambda seconds: None)


def fetch(cli: Any, server: HTTPServer, *args: str) -> Any:
    return cli("meps", "fetch", "--base-url", base_url(server), "--api-url", api_url(server),
               "--timeout", "5", *args)


def ids(cli: Any, *args: str) -> list[str]:
    r = cli("meps", "list", "--format", "json", *args)
    assert r.exit_code == 0, r.stderr
    return sorted(c["ep_id"] for c in json.loads(r.stdout))


@pytest.fixture
def fetched(cli: Any, httpserver: HTTPServer) -> Any:
    """A store after `campaign meps fetch --details` against the fixtures."""
    serve_api(httpserver)
    r = fetch(cli, httpserver, "--details")
    assert r.exit_code == 0, r.stderr
    return cli


def test_committee_selects_exactly_its_current_members(fetched: Any) -> None:
    assert ids(fetched, "--committee", "AFET") == sorted(AFET_IDS)
    assert ids(fetched, "--committee", "afet") == sorted(AFET_IDS)  # a label ignores case
    # 197490 left DROI on 31 December 2024: not a member today...
    assert ids(fetched, "--committee", "DROI") == sorted(DROI_IDS)
    # ...but one in August 2024.
    assert ids(fetched, "--committee", "DROI", "--as-of", "2024-08-01") == sorted(
        [*DROI_IDS, "197490"])
    # 124984 left INTA in January 2025; 197490 is still on it.
    assert ids(fetched, "--committee", "INTA") == ["197490"]
    assert ids(fetched, "--delegation", "DCAS") == sorted(DCAS_IDS)


def test_same_option_widens_different_options_narrow(fetched: Any) -> None:
    assert ids(fetched, "--committee", "DROI", "--committee", "INTA") == sorted(
        [*DROI_IDS, "197490"])
    assert ids(fetched, "--committee", "AFET", "--delegation", "DCAS") == ["1294", "900001"]
    assert ids(fetched, "--committee", "DROI", "--delegation", "DCAS") == ["900001"]
    assert ids(fetched, "--committee", "AFET", "--country", "IE") == ["124984", "900001"]
    assert ids(fetched, "--committee", "AFET", "--group", "S&D") == ["1294", "900003"]


def test_list_shows_the_roles_asked_about(fetched: Any) -> None:
    r = fetched("meps", "list", "--committee", "AFET", "--delegation", "DCAS", "-f", "json")
    found = {c["ep_id"]: c for c in json.loads(r.stdout)}
    assert [(x["label"], x["role"]) for x in found["900001"]["roles"]] == [
        ("AFET", "substitute member"), ("DCAS", "Vice-Chair")]
    assert found["1294"]["committee_roles"] == "Chair, AFET; member, DCAS"
    rows = list(csv.DictReader(io.StringIO(fetched("meps", "list", "--committee", "DROI",
                                                   "-f", "csv").stdout)))
    assert [(r["name"], r["committee_roles"]) for r in rows] == [
        ("Lynn BOYLAN", "Vice-Chair, DROI"), ("Siobhán McGRATH", "member, DROI")]


def test_part_of_a_full_name(fetched: Any) -> None:
    assert ids(fetched, "--committee", "human rights") == sorted(DROI_IDS)
    assert ids(fetched, "--delegation", "central asia") == sorted(DCAS_IDS)


def test_ambiguous_name_lists_the_candidates(fetched: Any, error_line: Any) -> None:
    line = error_line(fetched("meps", "list", "--committee", "subcommittee"))
    assert "'subcommittee' matches 2 committees" in line
    assert "DROI (Subcommittee on Human Rights)" in line
    assert "SEDE (Subcommittee on Security and Defence)" in line


def test_unknown_label_suggests_known_bodies(fetched: Any, error_line: Any) -> None:
    line = error_line(fetched("meps", "list", "--committee", "AFTE"))
    assert "no committee called 'AFTE'" in line and "'AFET'" in line
    # A committee is not a delegation.
    line = error_line(fetched("meps", "list", "--delegation", "AFET"))
    assert "no delegation called 'AFET'" in line


def test_committee_before_any_details(cli: Any, httpserver: HTTPServer,
                                      error_line: Any) -> None:
    serve_api(httpserver)
    assert fetch(cli, httpserver).exit_code == 0
    line = error_line(cli("meps", "list", "--committee", "DROI"))
    assert "no committee memberships are known yet" in line
    assert "campaign meps fetch --details" in line
    line = error_line(cli("meps", "bodies"))
    assert "campaign meps fetch --details" in line


def test_bodies_are_fetched_once_and_listed_with_counts(fetched: Any,
                                                        httpserver: HTTPServer) -> None:
    assert sorted(body_requests(httpserver)) == sorted(bodies())
    r = fetched("meps", "bodies", "--format", "json")
    assert r.exit_code == 0, r.stderr
    found = {b["label"]: b for b in json.loads(r.stdout)}
    assert {k: v["members"] for k, v in found.items()} == {
        "AFET": 4, "DROI": 2, "INTA": 1, "SEDE": 1, "DCAS": 2}
    assert found["AFET"]["chair"] == "Elio DI RUPO"
    assert found["DROI"]["kind"] == "subcommittee"
    assert found["DCAS"]["name"] == "Delegation for relations with Central Asia"
    assert found["DROI"]["names"]["fr"].startswith("Sous-commission")
    table = fetched("meps", "bodies").stdout
    assert "Committee on Foreign Affairs" in table and "AFET" in table


def test_show_lists_a_members_roles(fetched: Any) -> None:
    r = fetched("meps", "show", "McGrath")
    assert r.exit_code == 0, r.stderr
    out = r.stdout
    assert "Siobhán McGRATH" in out
    assert "group: Greens/EFA (Group of the Greens/European Free Alliance)" in out
    assert "Vice-Chair" in out and "Delegation for relations with Central Asia (DCAS)" in out
    assert "substitute member" in out and "(AFET)" in out
    assert "as listed by the European Parliament on" in out
    data = json.loads(fetched("meps", "show", "Di Rupo", "--format", "json").stdout)
    assert [(r["label"], r["role"]) for r in data["roles"]] == [("AFET", "Chair"),
                                                               ("DCAS", "member")]
    # Roles that ended are not shown as today's.
    boylan = json.loads(fetched("meps", "show", "Boylan", "--format", "json").stdout)
    assert "INTA" not in [r["label"] for r in boylan["roles"]]


def test_show_unknown_name(fetched: Any, error_line: Any) -> None:
    line = error_line(fetched("meps", "show", "Kowalsky"))
    assert "no MEP called 'Kowalsky'" in line


def test_former_members_are_never_selected(fetched: Any, httpserver: HTTPServer) -> None:
    assert ids(fetched, "--committee", "SEDE") == ["124986"]
    httpserver.clear()
    serve_api(httpserver, without=["124986"])
    assert fetch(fetched, httpserver).exit_code == 0
    assert ids(fetched, "--committee", "SEDE") == []
    found = {b["label"]: b for b in json.loads(fetched("meps", "bodies", "-f", "json").stdout)}
    assert found["SEDE"]["members"] == 0


def test_a_body_the_api_does_not_know(cli: Any, httpserver: HTTPServer,
                                      error_line: Any) -> None:
    people = details()
    people["900004"]["hasMembership"] = [{
        "id": "membership/900004-f-1", "type": "Membership", "identifier": "900004-f-1",
        "organization": "org/999999", "role": "def/ep-roles/MEMBER",
        "membershipClassification": "def/ep-entities/COMMITTEE_PARLIAMENTARY_STANDING",
        "memberDuring": {"id": "time-period/20240719", "type": "PeriodOfTime",
                         "startDate": "2024-07-19"}}]
    serve_api(httpserver, people=people)
    r = fetch(cli, httpserver, "--details")
    # Recorded as unknown once, with one warning; the command succeeds (issue 20: it
    # failed, and every later `meps fetch --details` failed with the same line).
    assert r.exit_code == 0, r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr
    assert "the EP API does not know body org/999999" in lines[0]
    assert "HTTP 404" in lines[0] and "recorded as unknown" in lines[0]
    # The details and the other bodies were kept; only that body stays unnamed.
    assert ids(cli, "--committee", "AFET") == sorted(AFET_IDS)
    asked = body_requests(httpserver).count("999999")
    assert asked == 1
    # Later runs keep going and do not ask again; --refresh asks again.
    for _ in range(2):
        again = fetch(cli, httpserver, "--details")
        assert again.exit_code == 0, again.stderr
        assert again.stderr == ""
    assert body_requests(httpserver).count("999999") == 1
    assert fetch(cli, httpserver, "--details", "--refresh").exit_code == 0
    assert body_requests(httpserver).count("999999") == 2


def test_a_body_the_api_cannot_give_still_fails(cli: Any, httpserver: HTTPServer,
                                                error_line: Any) -> None:
    """Only a 404 is recorded as unknown: a server error is reported, to be retried."""
    # The handler registered first answers: AFET's before the fixtures'.
    httpserver.expect_request(re.compile(r"^/api/v2/corporate-bodies/6562$")).respond_with_data(
        "down", status=503)
    serve_api(httpserver)
    line = error_line(fetch(cli, httpserver, "--details", "--retries", "0"))
    assert "could not give body org/6562" in line and "HTTP 503" in line


def test_a_body_with_no_english_name(cli: Any, httpserver: HTTPServer) -> None:
    french_only = {**bodies()["6571"], "prefLabel": {"fr": "Sous-commission sécurité"}}
    # The handler registered first answers: the odd body before the fixtures'.
    serve_bodies(httpserver, extra={"6571": french_only})
    serve_api(httpserver)
    assert fetch(cli, httpserver, "--details").exit_code == 0
    assert ids(cli, "--committee", "sécurité") == ["124986"]


# -- the library functions letters use --------------------------------------------------

@pytest.fixture
def st(fetched: Any, db_path: Any) -> Any:
    store = Store(db_path)
    yield store
    store.close()


def test_select_by_bodies(st: Store) -> None:
    assert select_by_bodies(st, ["AFET"], [], TODAY) == {f"mep-{i}" for i in AFET_IDS}
    assert select_by_bodies(st, ["AFET", "DROI"], ["DCAS"], TODAY) == {"mep-1294", "mep-900001"}
    assert select_by_bodies(st, ["DROI"], [], "2024-08-01") == {
        "mep-124984", "mep-900001", "mep-197490"}
    assert select_by_bodies(st, [], [], TODAY) == set()
    with pytest.raises(BodyError, match="matches 2 committees"):
        select_by_bodies(st, ["subcommittee"], [], TODAY)
    with pytest.raises(NotFoundError, match="no delegation called 'Kazakhstan'"):
        select_by_bodies(st, [], ["Kazakhstan"], TODAY)


def test_select_before_details(empty_store: Store) -> None:
    with pytest.raises(BodyError, match="campaign meps fetch --details"):
        select_by_bodies(empty_store, ["DROI"], [], TODAY)


def test_member_roles(st: Store) -> None:
    roles = member_roles(st, "mep-900001", TODAY)
    assert [(r["kind"], r["label"], r["role"]) for r in roles] == [
        ("committee", "AFET", "substitute member"),
        ("subcommittee", "DROI", "member"),
        ("delegation", "DCAS", "Vice-Chair")]
    assert roles[2] == {"kind": "delegation", "label": "DCAS",
                        "name": "Delegation for relations with Central Asia",
                        "role": "Vice-Chair", "role_code": "VICE_CHAIR",
                        "start": "2024-10-02", "end": None, "body_id": "7012"}
    assert member_roles(st, "mep-900002", TODAY) == []
    assert [r["label"] for r in member_roles(st, "mep-124984", "2024-08-01")] == [
        "AFET", "INTA", "DROI"]


def test_why_member(st: Store) -> None:
    assert why_member(st, "mep-124984", ["DROI"], TODAY) == \
        "As Vice-Chair of the Subcommittee on Human Rights"
    assert why_member(st, "mep-900001", ["central asia"], TODAY) == \
        "As Vice-Chair of the Delegation for relations with Central Asia"
    assert why_member(st, "mep-1294", ["DCAS", "AFET"], TODAY) == (
        "As Chair of the Committee on Foreign Affairs and a member of the Delegation for "
        "relations with Central Asia")
    assert why_member(st, "mep-900001", ["AFET"], TODAY) == \
        "As a substitute member of the Committee on Foreign Affairs"
    # Resolved once for a whole merge, then passed as ids.
    from campaign.ep.bodies import COMMITTEE_KINDS, resolve_bodies

    droi = resolve_bodies(st, ["human rights"], COMMITTEE_KINDS)
    assert droi == ["6570"]
    assert why_member(st, "mep-900001", droi, TODAY) == \
        "As a member of the Subcommittee on Human Rights"
    # Not (or no longer) a member: no reason given.
    assert why_member(st, "mep-197490", ["DROI"], TODAY) is None
    assert why_member(st, "mep-900002", ["AFET"], TODAY) is None
    day = listed_on(st, "mep-124984")
    assert day == dt.date.today()
    from campaign import dates

    assert why_member(st, "mep-124984", ["DROI"], TODAY, with_date=True) == (
        "As Vice-Chair of the Subcommittee on Human Rights (as listed by the European "
        f"Parliament on {dates.human(day.isoformat())})")


@pytest.mark.parametrize(("start", "end", "day", "current"), [
    (None, None, "2026-12-01", True),
    ("2024-07-19", None, "2024-07-19", True),
    ("2024-07-19", None, "2024-07-18", False),
    ("2024-07-19", "2026-12-01", "2026-12-01", True),  # an end date not before the day
    ("2024-07-19", "2026-11-30", "2026-12-01", False),
])
def test_is_current(start: str | None, end: str | None, day: str, current: bool) -> None:
    assert is_current(start, end, day) is current


def test_memberships_are_replaced_on_refresh(fetched: Any, httpserver: HTTPServer) -> None:
    people = details()
    people["124984"]["hasMembership"] = [
        m for m in people["124984"]["hasMembership"] if "6570" not in m["organization"]]
    httpserver.clear()
    serve_api(httpserver, people=people)
    assert fetch(fetched, httpserver, "--details", "--refresh", "--country", "IE").exit_code == 0
    assert ids(fetched, "--committee", "DROI") == ["900001"]
    assert sorted(body_requests(httpserver)) == sorted(bodies())  # --refresh reads them again


def test_reasons_for_a_merge(st: Store) -> None:
    from campaign.ep.bodies import reasons

    chosen = select_by_bodies(st, ["DROI"], ["DCAS"], TODAY)
    found = reasons(st, sorted(chosen), ["DROI"], ["DCAS"], TODAY, with_date=False)
    assert found == {"mep-900001": "As Vice-Chair of the Delegation for relations with Central "
                                   "Asia and a member of the Subcommittee on Human Rights"}
    dated = reasons(st, ["mep-124984", "mep-900002"], ["DROI"], [], TODAY)
    assert list(dated) == ["mep-124984"]
    assert dated["mep-124984"].endswith(")") and "as listed by the European Parliament on" in \
        dated["mep-124984"]
    assert reasons(st, ["mep-124984"], [], [], TODAY) == {}


def test_lost_memberships_are_fetched_again(fetched: Any, httpserver: HTTPServer,
                                            db_path: Any) -> None:
    """A store fetched before memberships were kept, or whose memberships were lost (a
    pack import replacing contacts), asks again for those members' details only."""
    from ep_server import detail_requests

    with Store(db_path) as st, st.transaction():
        st.conn.execute("DELETE FROM ep_memberships WHERE contact_id = 'mep-1294'")
        row = st.row("SELECT extra FROM contacts WHERE id = 'mep-900002'")
        assert row is not None
        extra = {k: v for k, v in row["extra"].items() if k != "memberships_kept"}
        st.update("contacts", "mep-900002", {"extra": extra})
    httpserver.clear_log()
    r = fetch(fetched, httpserver, "--details")
    assert r.exit_code == 0, r.stderr
    assert sorted(detail_requests(httpserver)) == ["1294", "900002"]
    assert ids(fetched, "--committee", "AFET") == sorted(AFET_IDS)
    httpserver.clear_log()
    assert fetch(fetched, httpserver, "--details").exit_code == 0
    assert detail_requests(httpserver) == []


@pytest.mark.parametrize("text", ["", "   ", "%", "--"])
def test_empty_or_odd_body_names(fetched: Any, error_line: Any, text: str) -> None:
    line = error_line(fetched("meps", "list", "--committee", text))
    assert "an empty committee name" in line and "\x1b" not in line


def test_an_escape_in_a_name_is_not_echoed(fetched: Any, error_line: Any) -> None:
    # Refused as an argument (exit 2) before the command runs, and never echoed.
    line = error_line(fetched("meps", "list", "--delegation", "Kaz\x1b]0;owned\x07akhstan"), 2)
    assert "\x1b" not in line and "\x07" not in line and "control character" in line


# -- letters to the members of a committee (campaign letter --committee) -------------

def _letters(cli: Any, *args: str) -> Any:
    return cli("letter", "--to", "mep", "--sender", "Jane Doe", "--sender-org", "Unite",
               "--format", "md", *args)


def test_a_letter_by_committee_goes_to_its_current_members_and_says_why(fetched: Any) -> None:
    r = _letters(fetched, "--committee", "DROI")
    assert r.exit_code == 0, r.stderr
    letters = [part for part in r.stdout.split("Yours sincerely") if "Dear" in part]
    assert len(letters) == len(DROI_IDS)
    assert "As Vice-Chair of the Subcommittee on Human Rights" in r.stdout
    assert "As a member of the Subcommittee on Human Rights" in r.stdout
    assert "as listed by the European Parliament on" in r.stdout
    # 197490's membership ended: not written to.
    assert "Adamowicz" not in r.stdout.replace("ADAMOWICZ", "Adamowicz")


def test_committee_and_country_narrow_each_other(fetched: Any) -> None:
    r = _letters(fetched, "--committee", "DROI", "--country", "Ireland")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.count("Yours sincerely") == len(set(DROI_IDS) & {"124984", "124986",
                                                                         "900001"})


def test_committee_letter_errors_are_one_line(fetched: Any, error_line: Any) -> None:
    r = _letters(fetched, "--committee", "no such body at all")
    error_line(r, 1)
    r = fetched("letter", "--to", "embassy", "--sender", "Jane Doe", "--committee", "DROI")
    error_line(r, 2)
    assert "--to mep" in r.stderr


def test_committee_letter_before_any_details(cli: Any, httpserver: HTTPServer,
                                             error_line: Any) -> None:
    serve_api(httpserver)
    assert fetch(cli, httpserver).exit_code == 0
    r = _letters(cli, "--committee", "DROI")
    error_line(r, 1)
    assert "meps fetch --details" in r.stderr


def test_two_bodies_with_one_label_are_both_listed(cli: Any, httpserver: HTTPServer,
                                                   db_path: Any) -> None:
    """The EP gave one label to two bodies: --committee DROI never silently picks one."""
    other = {"id": "org/7777", "type": "Organization", "identifier": "7777", "label": "DROI",
             "prefLabel": {"en": "Subcommittee on Human Rights (made up for the tests)"},
             "classification": "def/ep-entities/COMMITTEE_PARLIAMENTARY_SUB"}
    people = details()
    people["124986"]["hasMembership"] = [*people["124986"].get("hasMembership", []), {
        "id": "membership/124986-f-9", "type": "Membership", "identifier": "124986-f-9",
        "organization": "org/7777", "role": "def/ep-roles/MEMBER",
        "membershipClassification": "def/ep-entities/COMMITTEE_PARLIAMENTARY_SUB",
        "memberDuring": {"id": "time-period/20240719", "type": "PeriodOfTime",
                         "startDate": "2024-07-19"}}]
    serve_bodies(httpserver, extra={"7777": other})
    serve_api(httpserver, people=people)
    assert fetch(cli, httpserver, "--details").exit_code == 0
    assert ids(cli, "--committee", "DROI") == sorted({*DROI_IDS, "124986"})
    assert ids(cli, "--committee", "droi") == sorted({*DROI_IDS, "124986"})
    # Either one can be chosen by its number
    assert ids(cli, "--committee", "org/7777") == ["124986"]
    assert ids(cli, "--committee", "org/6570") == sorted(DROI_IDS)
    r = cli("meps", "list", "--committee", "DROI")
    assert r.exit_code == 0 and r.stdout.count("DROI") >= 3
    # Where one body must be meant, both are named and none is chosen
    from campaign.ep.bodies import BodyError, find_body

    st = Store(db_path)
    try:
        with pytest.raises(BodyError, match=r"label of 2 committees.*org/6570.*org/7777"):
            find_body(st, "DROI", COMMITTEE_KINDS)
    finally:
        st.close()


def test_committee_with_a_letter_to_a_prisoner_is_a_usage_error(cli: Any) -> None:
    """--committee chooses MEPs: with --to prisoner it was silently ignored."""
    for option in ("--committee", "--delegation"):
        r = cli("letter", "--to", "prisoner", "--prisoner", "Roza Tuletaeva", option, "DROI",
                "--sender", "A Branch Secretary")
        assert r.exit_code == 2, r.stderr
        assert len(r.stderr.splitlines()) == 1
        assert f"{option} chooses MEPs; it cannot be used with --to prisoner" in r.stderr
