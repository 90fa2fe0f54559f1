"""What `meps fetch` and `meps import` take in: ids, dates, sizes and text as the EP may send
them, and what `meps show` then prints (issue 20)."""

from __future__ import annotations

import copy
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from ep_server import CONTEXT, api_url, base_url, details, fixture_bytes, list_xml, serve_api
from pytest_httpserver import HTTPServer
from werkzeug import Response

from campaign import ep

ESC_TITLE = "\x1b]0;pwned\x07"
ESC_RED = "\x1b[31m"


@pytest.fixture(autouse=True)
def _no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ep.net, "SLEEP", lambda seconds: None)


def fetch(cli: Any, server: HTTPServer, *args: str) -> Any:
    return cli("meps", "fetch", "--base-url", base_url(server), "--api-url", api_url(server),
               "--timeout", "5", *args)


def one_line(r: Any, code: int, *parts: str) -> None:
    assert r.exit_code == code, r.stderr
    assert len(r.stderr.splitlines()) == 1, r.stderr
    assert "Traceback" not in r.stderr and "UNIQUE" not in r.stderr
    for part in parts:
        assert part in r.stderr


def saved_api(tmp_path: Path, records: list[dict[str, Any]], name: str = "meps.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"data": records, "@context": CONTEXT}), encoding="utf-8")
    return path


def current_records() -> list[dict[str, Any]]:
    return list(json.loads(fixture_bytes("api-show-current.json"))["data"])


# -- ids --------------------------------------------------------------------------

@pytest.mark.parametrize("bad", ["²", "١٢٣", "１２３", "1" * 30, "1_0"])
def test_an_id_that_is_not_ascii_digits_is_refused(cli: Any, tmp_path: Path, bad: str) -> None:
    records = current_records()
    records[1] = {**records[1], "identifier": bad, "id": f"person/{bad}"}
    r = cli("meps", "import", str(saved_api(tmp_path, records)))
    one_line(r, 1, "non-numeric identifier", "digits 0-9")
    assert json.loads(cli("meps", "list", "--format", "json").stdout) == []


@pytest.mark.parametrize("bad", ["²", "١٢٣", "1" * 30])
def test_an_xml_id_that_is_not_ascii_digits_is_refused(cli: Any, tmp_path: Path,
                                                       bad: str) -> None:
    path = tmp_path / "list.xml"
    path.write_bytes(list_xml("en").replace(b"<id>124986</id>", f"<id>{bad}</id>".encode()))
    one_line(cli("meps", "import", str(path)), 1, "non-numeric id")


def test_two_records_with_one_id_give_one_clear_line(cli: Any, tmp_path: Path) -> None:
    records = current_records()
    records.append({**records[2], "label": "Someone ELSE"})
    r = cli("meps", "import", str(saved_api(tmp_path, records)))
    one_line(r, 1, f"both have the id {records[2]['identifier']}", "Someone ELSE")


def test_a_record_repeated_as_it_was_is_kept_once(cli: Any, tmp_path: Path) -> None:
    records = current_records()
    r = cli("meps", "import", str(saved_api(tmp_path, [*records, records[0]])))
    assert r.exit_code == 0, r.stderr
    assert len(json.loads(cli("meps", "list", "--format", "json").stdout)) == len(records)


def test_one_size_limit_for_a_saved_list(cli: Any, tmp_path: Path) -> None:
    """A file between 20 MiB and the 50 MB input limit passed one check and failed another."""
    path = tmp_path / "big.xml"
    padding = b"<!--" + b" " * 21_000_000 + b"-->"
    path.write_bytes(list_xml("en") + padding)
    r = cli("meps", "import", str(path))
    assert r.exit_code == 0, r.stderr
    assert "imported 8 MEPs" in r.stdout


# -- dates ------------------------------------------------------------------------

def _with_start(start: str) -> dict[str, Any]:
    people = copy.deepcopy(details())
    person = people["1294"]
    for m in person["hasMembership"]:
        if str(m.get("membershipClassification")).endswith("COMMITTEE_PARLIAMENTARY_STANDING"):
            m["memberDuring"] = {"startDate": start}
            break
    else:
        raise AssertionError("the fixture has no committee membership for 1294")
    return people


def test_a_membership_dated_2024_13_45_is_refused(cli: Any, httpserver: HTTPServer) -> None:
    serve_api(httpserver, people=_with_start("2024-13-45"))
    r = fetch(cli, httpserver, "--details", "--country", "BE")
    assert r.exit_code == 1
    assert "2024-13-45" in r.stderr and "not a day of the calendar" in r.stderr
    show = cli("meps", "show", "Di Rupo")
    assert show.exit_code == 0, show.stderr
    assert "2024-13-45" not in show.stdout


def test_show_survives_a_bad_date_already_in_the_store(cli: Any, httpserver: HTTPServer,
                                                       db_path: Path) -> None:
    serve_api(httpserver)
    assert fetch(cli, httpserver, "--details", "--country", "BE").exit_code == 0
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE ep_memberships SET start_date = '2024-13-45'")
    r = cli("meps", "show", "Di Rupo")
    assert r.exit_code == 0, r.stderr
    assert "since 2024-13-45" in r.stdout


# -- text from the EP never drives the terminal --------------------------------------

def test_escape_sequences_never_reach_the_terminal_or_letters(cli: Any, httpserver: HTTPServer,
                                                              db_path: Path) -> None:
    people = copy.deepcopy(details())
    people["1294"]["hasHonorificPrefix"] = f"Mr{ESC_TITLE}"
    people["1294"]["givenName"] = f"Elio{ESC_RED}"
    serve_api(httpserver, people=people)
    from ep_server import bodies, serve_bodies

    known = bodies()
    label_of = {k: v["label"] for k, v in known.items()}
    afet = next(k for k, v in label_of.items() if v == "AFET")
    hostile = {afet: {**known[afet], "label": f"AFET{ESC_TITLE}",
                      "prefLabel": {"en": f"Foreign {ESC_RED}Affairs"}}}
    httpserver.clear()
    serve_api(httpserver, people=people)
    # The hostile body answers first: pytest-httpserver takes the first handler that matches.
    httpserver.handlers.insert(0, httpserver.handlers.pop())
    serve_bodies(httpserver, extra=hostile)
    httpserver.handlers.insert(0, httpserver.handlers.pop())
    r = fetch(cli, httpserver, "--details", "--country", "BE")
    assert r.exit_code == 0, r.stderr
    show = cli("meps", "show", "Di Rupo")
    assert show.exit_code == 0, show.stderr
    assert "\x1b" not in show.stdout and "\x07" not in show.stdout
    assert "Foreign [31mAffairs (AFET]0;pwned)" in show.stdout
    with sqlite3.connect(db_path) as conn:
        stored = [str(v) for row in conn.execute(
            "SELECT honorific, extra FROM contacts WHERE ep_id = '1294'") for v in row]
        stored += [str(v) for row in conn.execute("SELECT label, name FROM ep_bodies")
                   for v in row]
    assert not any("\x1b" in v or "\x07" in v for v in stored)


# -- lists in the EP's languages --------------------------------------------------

SPOKEN = {"124984": "the Left", "124986": "the Left", "197490": "EPP", "1294": "S&D",
          "900001": "Greens/EFA", "900002": "non-attached", "900003": "S&D",
          "900004": "Renew Europe"}


@pytest.mark.parametrize("lang", ["en", "fr", "de"])
def test_group_names_of_every_language_map_to_the_short_labels(lang: str) -> None:
    from campaign.ep.parse import group_names, list_language, parse_list

    meps = parse_list(list_xml(lang))
    assert {m["ep_id"]: group_names(None, m["group"])[0] for m in meps} == SPOKEN
    assert list_language(meps) == lang


@pytest.mark.parametrize(("full", "spoken"), [
    ("Groupe du Parti populaire européen (Démocrates-Chrétiens)", "EPP"),
    ("Groupe de l'Alliance des démocrates et des libéraux pour l'Europe", "ALDE"),
    ("Fraktion der Allianz der Liberalen und Demokraten für Europa", "ALDE"),
    ("Group of the Alliance of Liberals and Democrats for Europe", "ALDE"),
    ("Groupe Europe de la liberté et de la démocratie directe", "EFDD"),
    ("Fraktion Europa der Freiheit und der direkten Demokratie", "EFDD"),
    ("Groupe Europe des nations et des libertés", "ENF"),
    ("Fraktion Europa der Nationen und der Freiheit", "ENF"),
    ("Groupe des Conservateurs et Réformistes européens", "ECR"),
    ("Fraktion der Europäischen Konservativen und Reformer", "ECR"),
    ("Groupe Identité et Démocratie", "ID"),
    ("Fraktion Patrioten für Europa", "Patriots for Europe"),
    ("Groupe Patriotes pour l'Europe", "Patriots for Europe"),
    ("Groupe L'Europe des nations souveraines", "ESN"),
    ("Fraktion Europa der Souveränen Nationen", "ESN"),
    ("Die Linke im Europäischen Parlament – GUE/NGL", "the Left"),
    ("Groupe de la gauche au Parlement européen - GUE/NGL", "the Left"),
])
def test_group_names_seen_in_french_and_german_lists(full: str, spoken: str) -> None:
    from campaign.ep.parse import group_names

    assert group_names(None, full) == (spoken, full)


@pytest.mark.parametrize("lang", ["fr", "de"])
def test_a_saved_list_in_another_language_is_found_by_group(cli: Any, tmp_path: Path,
                                                            lang: str) -> None:
    path = tmp_path / "liste.xml"
    path.write_bytes(list_xml(lang))
    r = cli("meps", "import", str(path))  # no --lang: the file says which it is
    assert r.exit_code == 0, r.stderr
    found = json.loads(cli("meps", "list", "--group", "EPP", "--format", "json").stdout)
    assert [c["ep_id"] for c in found] == ["197490"]
    assert found[0]["group"] == "EPP"
    assert found[0]["extra"]["group_full"].startswith(("Groupe du Parti", "Fraktion der"))
    assert found[0]["extra"]["source_url"] == \
        f"https://www.europarl.europa.eu/meps/{lang}/full-list/xml"
    assert found[0]["extra"]["lang"] == lang
    alone = json.loads(cli("meps", "list", "--group", "non-attached", "--format",
                           "json").stdout)
    assert [c["ep_id"] for c in alone] == ["900002"]
    left = json.loads(cli("meps", "list", "--group", "the Left", "--format", "json").stdout)
    assert sorted(c["ep_id"] for c in left) == ["124984", "124986"]


def test_a_french_list_fetched_says_french(cli: Any, httpserver: HTTPServer) -> None:
    from ep_server import serve_list

    httpserver.expect_request("/api/v2/meps/show-current").respond_with_data(
        b"<!DOCTYPE html><html><body><script>challenge()</script></body></html>", status=202,
        content_type="text/html")
    serve_list(httpserver, "fr")
    r = fetch(cli, httpserver, "--lang", "fr")
    assert r.exit_code == 0, r.stderr
    found = json.loads(cli("meps", "list", "--group", "EPP", "--format", "json").stdout)
    assert [c["ep_id"] for c in found] == ["197490"]
    assert found[0]["extra"]["source_url"].endswith("/meps/fr/full-list/xml")


# -- partial lists, all-time lists, a member's own record ---------------------------

def _directory(n: int | None = None) -> bytes:
    """A directory XML: fullName and id only (the fixture's members, or ``n`` made up)."""
    import re

    if n is None:
        body = list_xml("en").decode()
        body = re.sub(r"<(country|politicalGroup|nationalPoliticalGroup)>[^<]*</\1>", "", body)
        return body.encode()
    members = "".join(f"<mep><fullName>Member NUMBER{i}</fullName><id>{800000 + i}</id></mep>"
                      for i in range(n))
    return (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><meps>'
            + members.encode() + b"</meps>")


def test_a_directory_of_names_and_ids_is_refused_unless_partial(cli: Any, tmp_path: Path,
                                                                db_path: Path) -> None:
    full = tmp_path / "full.xml"
    full.write_bytes(list_xml("en"))
    assert cli("meps", "import", str(full)).exit_code == 0
    before = json.loads(cli("meps", "list", "--format", "json").stdout)
    directory = tmp_path / "directory.xml"
    directory.write_bytes(_directory().replace(b"<mep><fullName>Lynn BOYLAN</fullName>"
                                               b"<id>124984</id></mep>", b""))
    r = cli("meps", "import", str(directory))
    one_line(r, 1, "7 of 7 members have no country or no group", "--partial")
    assert json.loads(cli("meps", "list", "--format", "json").stdout) == before

    r = cli("meps", "import", str(directory), "--partial")
    assert r.exit_code == 0, r.stderr
    assert "warning: 7 of 7 members have no country or no group" in r.stderr
    assert "0 marked former" in r.stdout
    after = {c["ep_id"]: c for c in json.loads(cli("meps", "list", "--format", "json").stdout)}
    # Lynn Boylan, left out of the directory, stays current; nobody lost a country or group
    assert after.keys() == {c["ep_id"] for c in before}
    for c in before:
        assert (after[c["ep_id"]]["country"], after[c["ep_id"]]["group"]) == \
            (c["country"], c["group"])


def test_a_directory_with_more_members_than_seats_is_not_imported_as_current(
        cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "directory.xml"
    path.write_bytes(_directory(875))
    for extra in ((), ("--partial",)):
        r = cli("meps", "import", str(path), *extra)
        one_line(r, 1, "875 members, more than the 751 seats", "not the list of current MEPs")
    assert [c for c in json.loads(cli("meps", "list", "--all", "--format", "json").stdout)
            if c.get("ep_id")] == []


def test_the_apis_all_time_list_is_not_imported_as_current(cli: Any, tmp_path: Path) -> None:
    """The API's `meps` (everyone ever) has the shape of show-current without country or
    group: told apart by its content."""
    records = [{k: v for k, v in r.items() if not k.startswith("api:")}
               for r in current_records()]
    r = cli("meps", "import", str(saved_api(tmp_path, records)))
    one_line(r, 1, "list of all MEPs ever", "meps/show-current")
    many = [{"id": f"person/{700000 + i}", "type": "Person", "identifier": str(700000 + i),
             "label": f"Someone NUMBER{i}", "api:country-of-representation": "IE"}
            for i in range(2000)]
    one_line(cli("meps", "import", str(saved_api(tmp_path, many, "all.json"))), 1,
             "2,000 members, more than the 751 seats")
    assert [c for c in json.loads(cli("meps", "list", "--all", "--format", "json").stdout)
            if c.get("ep_id")] == []


def test_a_members_own_record_is_imported_as_details_would(cli: Any, tmp_path: Path,
                                                           httpserver: HTTPServer) -> None:
    # The same member fetched with --details, for comparison
    serve_api(httpserver)
    assert fetch(cli, httpserver, "--details", "--country", "BE").exit_code == 0
    fetched = next(c for c in json.loads(cli("meps", "list", "--format", "json").stdout)
                   if c["ep_id"] == "1294")
    fetched_show = cli("meps", "show", "Di Rupo").stdout

    path = tmp_path / "1294.json"
    path.write_bytes(json.dumps({"data": [details()["1294"]], "@context": CONTEXT}).encode())
    other = tmp_path / "other.db"
    r = cli("--db", str(other), "meps", "import", str(path))
    assert r.exit_code == 0, r.stderr
    assert "imported the record of Elio DI RUPO" in r.stdout
    got = json.loads(cli("--db", str(other), "meps", "list", "--format", "json").stdout)
    assert [c["ep_id"] for c in got] == ["1294"]
    mine = got[0]
    for key in ("email", "honorific", "name"):
        assert mine[key] == fetched[key], key
    assert mine["email"] and mine["honorific"] == "Mr"
    assert mine["extra"]["office"] == fetched["extra"]["office"] == "13G115"
    assert mine["extra"]["details_fetched_at"]
    show = cli("--db", str(other), "meps", "show", "Di Rupo")
    assert show.exit_code == 0, show.stderr
    # The memberships are there; the bodies' names come with the next fetch --details
    roles = [line for line in show.stdout.splitlines() if line.startswith("    ")]
    assert len(roles) == len([line for line in fetched_show.splitlines()
                              if line.startswith("    ")]) > 0


def test_a_record_whose_mandate_ended_is_imported_as_former(cli: Any, tmp_path: Path) -> None:
    person = copy.deepcopy(details()["1294"])
    for m in person["hasMembership"]:
        if str(m.get("role", "")).endswith("MEMBER_PARLIAMENT"):
            m["memberDuring"] = {"startDate": "2019-07-02", "endDate": "2024-07-15"}
    path = tmp_path / "1294.json"
    path.write_bytes(json.dumps({"data": [person], "@context": CONTEXT}).encode())
    assert cli("meps", "import", str(path)).exit_code == 0
    assert json.loads(cli("meps", "list", "--format", "json").stdout) == []
    everyone = [c for c in json.loads(cli("meps", "list", "--all", "--format", "json").stdout)
                if c.get("ep_id")]
    assert [(c["ep_id"], c["status"]) for c in everyone] == [("1294", "former")]


def test_a_fetched_list_without_groups_marks_no_one_former(cli: Any,
                                                           httpserver: HTTPServer) -> None:
    serve_api(httpserver)
    assert fetch(cli, httpserver).exit_code == 0
    before = {c["ep_id"]: c["group"] for c in
              json.loads(cli("meps", "list", "--format", "json").stdout)}
    httpserver.clear()
    records = [{k: v for k, v in r.items() if k != "api:political-group"}
               for r in current_records() if r["identifier"] != "124984"]
    httpserver.expect_request("/api/v2/meps/show-current").respond_with_handler(
        lambda request: Response(
            json.dumps({"data": records if request.args.get("offset") == "0" else [],
                        "@context": CONTEXT}), content_type="application/ld+json"))
    r = fetch(cli, httpserver)
    assert r.exit_code == 0, r.stderr
    assert "0 marked former" in r.stdout
    assert f"{len(records)} of {len(records)} members have no country or no group" in r.stderr
    after = {c["ep_id"]: c["group"] for c in
             json.loads(cli("meps", "list", "--format", "json").stdout)}
    assert after == before
