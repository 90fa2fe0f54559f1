"""Parsing what the European Parliament publishes: the XML list, the Open Data API's JSON-LD.

Pure functions, no network and no store, so that the same code reads a list
fetched over HTTP and one saved by a browser (``campaign meps import``). A
body that is not what the EP publishes raises ``FormatError`` with one line
saying what was wrong; the callers turn it into a NetworkError or InputError.
The formats are described in shared/ep-formats.md.
"""

from __future__ import annotations

import json
import re
from typing import Any

from campaign import countries


class FormatError(Exception):
    """A body that is not the EP format we expected (the message is one line)."""


# -- names -------------------------------------------------------------------

# Lower-case particles that belong to the family name when they come just
# before it ("Pilar del CASTILLO VERA", "Ursula von der LEYEN").
_PARTICLES = {"af", "av", "d", "da", "das", "de", "del", "della", "den", "der", "des", "di",
              "do", "dos", "du", "la", "le", "lo", "ten", "ter", "van", "von", "y", "zu"}
# Prefixes written in mixed case before a capitalised surname ("McGUINNESS", "d'ESTAING").
_PREFIX = re.compile(r"^(?:Mc|Mac|Fitz|d'|d’|l'|l’)(?=\w)")


def _is_surname_word(word: str) -> bool:
    """True for a word the EP writes in capitals ("BOYLAN", "McGUINNESS", "ÖZDEMİR")."""
    core = _PREFIX.sub("", word)
    letters = [c for c in core if c.isalpha()]
    if len(letters) < 2:  # an initial ("J.") is not a surname
        return False
    return not any(c.islower() for c in letters)


def split_name(full_name: str) -> tuple[str | None, str]:
    """(given name, family name) as the EP writes them: the family name is the part in capitals.

    The spelling is kept exactly ("Mairead McGUINNESS" -> ("Mairead", "McGUINNESS")).
    Without any word in capitals the last word is taken as the family name.
    """
    words = full_name.split()
    if not words:
        return None, ""
    start = next((i for i, w in enumerate(words) if _is_surname_word(w)), None)
    if start is None:
        start = len(words) - 1
    while start > 1 and words[start - 1].casefold().rstrip("'’") in _PARTICLES \
            and words[start - 1].islower():
        start -= 1
    given = " ".join(words[:start]) or None
    return given, " ".join(words[start:])


# -- the XML list ------------------------------------------------------------

_HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b", re.I | re.S)


def looks_like_html(body: bytes) -> bool:
    head = body[:2048].lstrip(b"\xef\xbb\xbf")
    return bool(_HTML_START.match(head))


def _text(elem: Any, tag: str) -> str | None:
    child = elem.find(tag)
    if child is None or child.text is None:
        return None
    value = " ".join(child.text.split())
    return value or None


def parse_list(body: bytes) -> list[dict[str, Any]]:
    """The MEPs in the EP's full-list XML, in the EP's order.

    Parsed with defusedxml with DTDs forbidden: the EP's list has none, and a
    DTD is how entity-expansion ("billion laughs") and external-entity attacks
    arrive. Empty, HTML, truncated or member-less bodies are refused.
    """
    import xml.etree.ElementTree as ET

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    if not body.strip():
        raise FormatError("the body is empty")
    if looks_like_html(body):
        raise FormatError("got an HTML page instead of the XML list (an error or consent page?)")
    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise FormatError(
            f"refused unsafe XML ({type(exc).__name__}: DTDs and entities are not allowed)"
        ) from None
    except ET.ParseError as exc:
        raise FormatError(f"not well-formed XML ({exc}); truncated?") from None
    if root.tag != "meps":
        raise FormatError(f"the root element is <{root.tag}>, expected <meps>")
    meps: list[dict[str, Any]] = []
    seen: set[str] = set()
    for n, elem in enumerate(root.findall("mep"), start=1):
        name, ep_id = _text(elem, "fullName"), _text(elem, "id")
        if not name or not ep_id:
            missing = "fullName" if not name else "id"
            raise FormatError(f"member {n} has no <{missing}>")
        if not ep_id.isdigit():
            raise FormatError(f"member {n} ({name}) has a non-numeric id '{ep_id}'")
        if ep_id in seen:
            continue
        seen.add(ep_id)
        given, family = split_name(name)
        country = _text(elem, "country")
        party = _text(elem, "nationalPoliticalGroup")
        meps.append({
            "ep_id": ep_id,
            "name": name,
            "given_name": given,
            "family_name": family,
            "country_as_given": country,
            "country": countries.english(country),
            "country_code": countries.code_of(country),
            "group": _text(elem, "politicalGroup"),
            "party": None if party in (None, "-") else party,
        })
    if not meps:
        raise FormatError("the list has no <mep> records (zero MEPs)")
    return meps


# -- the Open Data API (JSON-LD) --------------------------------------------

def _json(body: bytes) -> dict[str, Any]:
    if not body.strip():
        raise FormatError("the body is empty")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        what = "an HTML page" if looks_like_html(body) else "not JSON"
        raise FormatError(f"got {what} instead of JSON-LD") from None
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise FormatError("JSON-LD without a 'data' list")
    return data


def parse_current_page(body: bytes) -> list[dict[str, Any]]:
    """One page of ``meps/show-current``: id, names, ISO country code, short group label.

    The API's keys carry an ``api:`` prefix; a reader that looks for a plain
    ``country`` key silently loses them.
    """
    out = []
    for item in _json(body)["data"]:
        if not isinstance(item, dict) or not item.get("identifier"):
            continue
        out.append({
            "ep_id": str(item["identifier"]),
            "given_name": item.get("givenName"),
            "family_name": item.get("familyName"),
            "country_code": item.get("api:country-of-representation"),
            "group_short": item.get("api:political-group"),
        })
    return out


_HONORIFICS = {"MR": "Mr", "MRS": "Mrs", "MS": "Ms", "MISS": "Miss", "DR": "Dr"}


def _one(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _last_segment(value: str) -> str:
    return value.rstrip("/").rsplit("/", 1)[-1]


def _honorific(value: Any) -> str | None:
    value = _one(value)
    if not isinstance(value, str) or not value.strip():
        return None
    if "/" in value:  # an authority URI: .../authority/honorific/MR
        code = _last_segment(value)
        return _HONORIFICS.get(code.upper(), code)
    return value.strip()


def _email(value: Any) -> str | None:
    value = _one(value)
    if not isinstance(value, str):
        return None
    address = value.strip()
    if address.lower().startswith("mailto:"):
        address = address[len("mailto:"):]
    address = address.split("?", 1)[0].strip()
    if "@" not in address or " " in address:
        return None
    return address


def _phone(value: Any) -> str | None:
    value = _one(value)
    if isinstance(value, dict):
        value = value.get("hasValue")
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip().removeprefix("tel:")


def _address(value: Any) -> tuple[str | None, str | None]:
    """(postal address, office code): the API may give a full address or just a room code."""
    value = _one(value)
    if isinstance(value, dict):
        parts = [value.get(k) for k in ("buildingName", "streetAddress", "postOfficeBox")]
        place = " ".join(str(value[k]) for k in ("postalCode", "locality") if value.get(k))
        parts += [place, value.get("countryName")]
        lines = [str(p).strip() for p in parts if p and str(p).strip()]
        return ("\n".join(lines) or None), None
    if not isinstance(value, str) or not value.strip():
        return None, None
    text = value.strip()
    if "\n" in text:
        return "\n".join(line.strip() for line in text.splitlines() if line.strip()), None
    if text.count(",") >= 2:  # a one-line address, kept as the API wrote it
        return text, None
    return None, text


def _current(membership: dict[str, Any], today: str) -> bool:
    period = membership.get("memberDuring") or {}
    end = period.get("endDate") if isinstance(period, dict) else None
    return not end or str(end) >= today


def parse_detail(payload: bytes | dict[str, Any], *, today: str = "") -> dict[str, Any]:
    """What a letter needs from ``meps/{id}``: email, honorific, office and phone.

    Only what the API gives: no email is ever made up from a name. Offices come
    from ``hasMembership[].contactPoint`` of current memberships (the MEP
    mandate's first). A bare room code ("13G115") is an office, not a postal
    address; a letter then uses the EP's general address.
    """
    data = payload if isinstance(payload, dict) else _json(payload)
    items = data.get("data") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items or not isinstance(items[0], dict):
        raise FormatError("JSON-LD without a person in 'data'")
    person = items[0]
    if not person.get("identifier"):
        raise FormatError("the person has no 'identifier'")
    memberships = [m for m in person.get("hasMembership") or [] if isinstance(m, dict)]
    memberships.sort(key=lambda m: not str(m.get("role", "")).endswith("MEMBER_PARLIAMENT"))
    offices: list[dict[str, Any]] = []
    for m in memberships:
        if not _current(m, today):
            continue
        points = m.get("contactPoint") or []
        for point in points if isinstance(points, list) else [points]:
            if not isinstance(point, dict):
                continue
            postal, room = _address(point.get("officeAddress"))
            site = point.get("hasSite")
            office = {
                "office": room,
                "postal_address": postal,
                "phone": _phone(point.get("hasTelephone")),
                "site": _last_segment(site) if isinstance(site, str) else None,
            }
            if any(office.values()):
                offices.append(office)
    first_postal = next((o["postal_address"] for o in offices if o["postal_address"]), None)
    first_phone = next((o["phone"] for o in offices if o["phone"]), None)
    return {
        "ep_id": str(person["identifier"]),
        "email": _email(person.get("hasEmail")),
        "honorific": _honorific(person.get("hasHonorificPrefix")),
        "given_name": person.get("givenName"),
        "family_name": person.get("familyName"),
        "postal_address": first_postal,
        "phone": first_phone,
        "offices": offices,
    }
