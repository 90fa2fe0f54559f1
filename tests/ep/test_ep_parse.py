"""Parsing the EP's XML list and the Open Data API's JSON-LD, and choosing countries."""

from __future__ import annotations

import json
import re

import pytest
from ep_server import BILLION_LAUGHS, CONTEXT, details, fixture_bytes, list_xml
from hypothesis import given
from hypothesis import strategies as st

from campaign import countries
from campaign.ep.parse import (
    FormatError,
    parse_current_page,
    parse_detail,
    parse_list,
    split_name,
)
from campaign.errors import UsageError


def test_fixtures_reproduce_the_format() -> None:
    for lang in ("en", "fr"):
        body = fixture_bytes(f"full-list-{lang}.xml")
        assert b"\n" not in body
        assert body.startswith(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><meps><mep>'
                               b"<fullName>")
        assert b"&amp;" in body and b"<nationalPoliticalGroup>-</nationalPoliticalGroup>" in body
        for record in re.findall(r"<mep>(.*?)</mep>", body.decode()):
            assert re.findall(r"<(\w+)>", record) == [
                "fullName", "country", "politicalGroup", "id", "nationalPoliticalGroup"]
    # ep-formats.md's literal French record, byte for byte.
    assert ("<mep><fullName>Lynn BOYLAN</fullName><country>Irlande</country><politicalGroup>"
            "Groupe confédéral de la Gauche unitaire européenne/Gauche verte nordique"
            "</politicalGroup><id>124984</id><nationalPoliticalGroup>Sinn Féin"
            "</nationalPoliticalGroup></mep>") in fixture_bytes("full-list-fr.xml").decode()


def test_english_list() -> None:
    meps = parse_list(list_xml("en"))
    assert len(meps) == 8
    first = meps[0]
    assert first == {
        "ep_id": "124984", "name": "Lynn BOYLAN", "given_name": "Lynn", "family_name": "BOYLAN",
        "country_as_given": "Ireland", "country": "Ireland", "country_code": "IE",
        "group": "Confederal Group of the European United Left - Nordic Green Left",
        "party": "Sinn Féin",
    }
    by_id = {m["ep_id"]: m for m in meps}
    assert by_id["900001"]["party"] == "Greens & Independents"  # &amp; decoded once
    assert by_id["900002"]["party"] is None  # "-" means no national party
    assert by_id["197490"]["group"] == "Group of the European People's Party (Christian Democrats)"


def test_french_list_translates_country_and_group_only() -> None:
    en = {m["ep_id"]: m for m in parse_list(list_xml("en"))}
    fr = {m["ep_id"]: m for m in parse_list(list_xml("fr"))}
    assert fr.keys() == en.keys()
    for ep_id, m in fr.items():
        assert m["name"] == en[ep_id]["name"]
        assert m["party"] == en[ep_id]["party"]
        assert m["country"] == en[ep_id]["country"]  # mapped back to English
        assert m["country_code"] == en[ep_id]["country_code"]
    assert fr["124984"]["country_as_given"] == "Irlande"
    assert fr["124984"]["group"].startswith("Groupe confédéral")


@pytest.mark.parametrize(("full", "given", "family"), [
    ("Lynn BOYLAN", "Lynn", "BOYLAN"),
    ("Mairead McGUINNESS", "Mairead", "McGUINNESS"),
    ("Pedro Luis RUBIO TERESA", "Pedro Luis", "RUBIO TERESA"),
    ("Elio DI RUPO", "Elio", "DI RUPO"),
    ("Şule ÖZDEMİR", "Şule", "ÖZDEMİR"),
    ("María José del CAMPO RUIZ", "María José", "del CAMPO RUIZ"),
    ("Jean-Marc d'ESTRÉE", "Jean-Marc", "d'ESTRÉE"),
    ("Ursula von der LEYEN", "Ursula", "von der LEYEN"),
    ("Jan J. DOE", "Jan J.", "DOE"),
    ("MONONYM", None, "MONONYM"),
    ("Anna Smith", "Anna", "Smith"),
])
def test_split_name(full: str, given: str | None, family: str) -> None:
    assert split_name(full) == (given, family)


@given(st.lists(st.text(alphabet="abcdefghÉéÖöŞşİi'-ABCDEFGH", min_size=1, max_size=8),
                min_size=1, max_size=5))
def test_split_name_keeps_every_word(words: list[str]) -> None:
    full = " ".join(words)
    given_name, family = split_name(full)
    assert family
    assert " ".join(filter(None, [given_name, family])) == " ".join(full.split())


@pytest.mark.parametrize(("body", "message"), [
    (b"", "empty"),
    (b"   \n", "empty"),
    (b"<!DOCTYPE html><html><body>Service unavailable</body></html>", "HTML page"),
    (b"<html><head><title>Error</title></head></html>", "HTML page"),
    (list_xml("en")[:900], "not well-formed"),
    (BILLION_LAUGHS, "unsafe XML"),
    (b'<?xml version="1.0"?><!DOCTYPE meps [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
     b"<meps><mep><fullName>&x;</fullName><id>1</id></mep></meps>", "unsafe XML"),
    (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><meps></meps>', "zero MEPs"),
    (b"<members><mep/></members>", "root element is <members>"),
    (b"<meps><mep><fullName>A B</fullName></mep></meps>", "no <id>"),
    (b"<meps><mep><fullName>A B</fullName><id>x1</id></mep></meps>", "non-numeric id"),
])
def test_bad_lists_are_refused(body: bytes, message: str) -> None:
    with pytest.raises(FormatError, match=message) as exc:
        parse_list(body)
    assert "\n" not in str(exc.value)


def test_duplicate_ids_are_kept_once() -> None:
    body = list_xml("en").replace(b"</meps>", list_xml("en").split(b"<meps>")[1])
    assert len(parse_list(body)) == 8


def test_detail_of_1294() -> None:
    d = parse_detail(fixture_bytes("api-detail-1294.json"), today="2026-01-01")
    assert d["ep_id"] == "1294"
    assert d["email"] == "elio.dirupo@ep.example"  # "mailto:" stripped
    assert d["honorific"] == "Mr"
    assert d["family_name"] == "Di Rupo"
    # the office of the ended mandate (99Z999) is ignored; a room code is not a postal address
    assert d["offices"] == [{"office": "13G115", "postal_address": None,
                             "phone": "+3222845453", "site": "ASP"}]
    assert d["postal_address"] is None
    assert d["phone"] == "+3222845453"


def _wrap(person: dict) -> bytes:  # type: ignore[type-arg]
    return json.dumps({"data": [person], "@context": CONTEXT}).encode()


def test_detail_without_email_never_guesses_one() -> None:
    d = parse_detail(_wrap(details()["197490"]))
    assert d["email"] is None
    assert d["honorific"] == "Ms"
    assert d["offices"] == [] and d["phone"] is None


def test_detail_with_a_full_office_address_and_email_list() -> None:
    d = parse_detail(_wrap(details()["900001"]))
    assert d["email"] == "siobhan.mcgrath@ep.example"
    assert d["postal_address"] == ("Parlement européen\nBât. WILLY BRANDT 02M105\n"
                                   "60, rue Wiertz / Wiertzstraat 60\nB-1047 Bruxelles/Brussel")
    assert d["offices"][0]["site"] == "WIB"


def test_detail_with_two_offices() -> None:
    d = parse_detail(_wrap(details()["124986"]))
    assert [o["office"] for o in d["offices"]] == ["12G201", "T08017"]
    assert d["phone"] == "+3222845001"


@pytest.mark.parametrize("body", [b"", b"<html></html>", b"[1, 2]", b'{"data": []}',
                                  b'{"data": [{"label": "x"}]}'])
def test_bad_details_are_refused(body: bytes) -> None:
    with pytest.raises(FormatError):
        parse_detail(body)


@pytest.mark.parametrize("value", [
    "mailto:not an address", "mailto:victim@gov.kz,spy@evil.org",
    "mailto:a@b.eu\r\nBcc: spy@evil.org", "mailto:<a@b.eu>", "mailto:a@b.eu;c@d.eu"])
def test_a_bad_email_is_dropped(value: str) -> None:
    person = {**details()["900002"], "hasEmail": value}
    assert parse_detail(_wrap(person))["email"] is None


def test_a_published_email_is_kept() -> None:
    person = {**details()["900002"], "hasEmail": "mailto:jane.doe@europarl.europa.eu"}
    assert parse_detail(_wrap(person))["email"] == "jane.doe@europarl.europa.eu"


def test_current_page_reads_api_prefixed_keys() -> None:
    items = parse_current_page(fixture_bytes("api-show-current.json"))
    di_rupo = next(i for i in items if i["ep_id"] == "1294")
    assert di_rupo == {"ep_id": "1294", "label": "Elio DI RUPO", "given_name": "Elio",
                       "family_name": "Di Rupo",
                       "country_code": "BE", "group_short": "S&D"}
    assert parse_current_page(b'{"data": [], "@context": []}') == []


@pytest.mark.parametrize("name", ["Ireland", "Irlande", "IE", "ie", "irland", "Éire"])
def test_country_spellings(name: str) -> None:
    assert countries.resolve(name) == "IE"


def test_unknown_country_lists_close_names() -> None:
    with pytest.raises(UsageError, match="unknown country 'Irelnd'.*Ireland"):
        countries.resolve("Irelnd")
    with pytest.raises(UsageError, match="ISO code"):
        countries.resolve("Qqqqqq")


# -- any JSON at all: a FormatError or a result, never another exception ----------------

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(["identifier", "label", "data", "hasMembership",
                                       "memberDuring", "organization", "endDate", "startDate",
                                       "membershipClassification", "role", "prefLabel",
                                       "api:country-of-representation", "givenName", "x"]),
                      children, max_size=5),
    max_leaves=20)


@given(_json_values)
def test_any_json_page_is_read_or_refused(value: object) -> None:
    from campaign.ep.parse import parse_body

    body = json.dumps(value).encode()
    for parse in (parse_current_page, parse_detail, lambda b: parse_body(b, "6562")):
        try:
            parse(body)
        except FormatError as exc:
            assert "\n" not in str(exc)


@given(st.lists(st.fixed_dictionaries({
    "organization": st.sampled_from(["org/6562", "org/x", 12, None]),
    "membershipClassification": st.sampled_from(
        ["def/ep-entities/COMMITTEE_PARLIAMENTARY_SUB", "def/ep-entities/EU_POLITICAL_GROUP",
         "", None]),
    "role": st.sampled_from(["def/ep-roles/CHAIR", "def/ep-roles/MEMBER", None, 3]),
    "memberDuring": st.one_of(st.none(), st.text(max_size=5), st.fixed_dictionaries({
        "startDate": st.one_of(st.none(), st.dates().map(str), st.text(max_size=12)),
        "endDate": st.one_of(st.none(), st.dates().map(str), st.integers())})),
}), max_size=5))
def test_any_memberships_are_read_or_refused(memberships: list[dict[str, object]]) -> None:
    person = {**details()["1294"], "hasMembership": memberships}
    try:
        found = parse_detail(_wrap(person))["memberships"]
    except FormatError:
        return
    for m in found:
        assert m["body_id"].isdigit() and m["kind"] in ("committee", "subcommittee", "delegation")
        for day in (m["start"], m["end"]):
            assert day is None or (len(day) == 10 and "1800" <= day[:4] <= "2199")


@pytest.mark.parametrize(("short", "full", "spoken"), [
    ("S&D", None, "S&D"), ("GUE/NGL", None, "the Left"), ("The Left", None, "the Left"),
    ("RENEW", None, "Renew Europe"), ("Verts/ALE", None, "Greens/EFA"), ("NI", None,
                                                                          "non-attached"),
    ("PfE", None, "Patriots for Europe"), ("ESN", None, "ESN"), ("ECR", None, "ECR"),
    (None, "Group of the European People's Party (Christian Democrats)", "EPP"),
    (None, "Groupe du Parti populaire européen", "EPP"),  # French lists too (issue 20)
    # A language not mapped keeps what the EP gave
    (None, "Grupa Europejskiej Partii Ludowej", "Grupa Europejskiej Partii Ludowej"),
    ("XYZ", None, "XYZ"),
])
def test_groups_as_people_speak_of_them(short: str | None, full: str | None,
                                        spoken: str) -> None:
    from campaign.ep.parse import group_names

    name, whole = group_names(short, full)
    assert name == spoken
    assert whole  # the full name is always kept
