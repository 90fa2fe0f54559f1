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


# Control characters (ESC starts the sequences that retitle or recolour a terminal) and
# the invisible marks that reorder text: never part of a name, a label or an address.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean(value: str) -> str:
    """One line of EP text as stored: spaces collapsed, control characters dropped.

    Done on the way in, so that no escape sequence reaches a list, a terminal
    or a letter, whatever later prints it.
    """
    return " ".join(_CONTROLS.sub("", " ".join(value.split())).split())


def _clean_or_none(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    return clean(value) or None


# An EP id: ASCII digits, as many as the EP has ever used and some ("²", "١٢٣" and
# 30-digit numbers are digits to str.isdigit, not ids).
_ID = re.compile(r"[0-9]{1,12}")


def is_id(text: str) -> bool:
    return bool(_ID.fullmatch(text))


def _once(meps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each id once: a record repeated as it was is kept once; two records that give one id
    different names refuse the whole list (which one is right cannot be told)."""
    first: dict[str, tuple[int, dict[str, Any]]] = {}
    out = []
    for n, m in enumerate(meps, start=1):
        seen = first.get(m["ep_id"])
        if seen is None:
            first[m["ep_id"]] = (n, m)
            out.append(m)
        elif seen[1] != m:
            raise FormatError(f"members {seen[0]} and {n} both have the id {m['ep_id']} "
                              f"('{seen[1]['name'][:60]}' and '{m['name'][:60]}')")
    return out


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
    return clean(child.text) or None


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
    for n, elem in enumerate(root.findall("mep"), start=1):
        name, ep_id = _text(elem, "fullName"), _text(elem, "id")
        if not name or not ep_id:
            missing = "fullName" if not name else "id"
            raise FormatError(f"member {n} has no <{missing}>")
        if not is_id(ep_id):
            raise FormatError(f"member {n} ({name[:60]}) has a non-numeric id '{ep_id[:40]}' "
                              "(an id is 1 to 12 digits 0-9)")
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
    return _once(meps)


# -- the Open Data API (JSON-LD) --------------------------------------------

def _json(body: bytes) -> dict[str, Any]:
    if not body.strip():
        raise FormatError("the body is empty")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        what = "an HTML page" if looks_like_html(body) else "not JSON (truncated?)"
        raise FormatError(f"got {what} instead of JSON-LD") from None
    except RecursionError:
        raise FormatError("got JSON nested too deeply to be the EP's JSON-LD") from None
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise FormatError("JSON-LD without a 'data' list")
    return data


# How people speak of the groups, and their full names (10th term, 2024-). The API
# gives a short label whose spelling has varied ("GUE/NGL", "The Left", "Verts/ALE"),
# so labels are compared without case or punctuation.
GROUPS: dict[str, tuple[str, str]] = {
    "EPP": ("EPP", "Group of the European People's Party (Christian Democrats)"),
    "SD": ("S&D", "Group of the Progressive Alliance of Socialists and Democrats in the "
                  "European Parliament"),
    "PFE": ("Patriots for Europe", "Patriots for Europe Group"),
    "ECR": ("ECR", "European Conservatives and Reformists Group"),
    "RENEW": ("Renew Europe", "Renew Europe Group"),
    "GREENSEFA": ("Greens/EFA", "Group of the Greens/European Free Alliance"),
    "LEFT": ("the Left", "The Left group in the European Parliament - GUE/NGL"),
    "ESN": ("ESN", "Europe of Sovereign Nations Group"),
    "NI": ("non-attached", "Non-attached Members"),
    "ID": ("ID", "Identity and Democracy Group"),
    # Groups of the 8th term (2014-2019), for lists and files saved then.
    "ALDE": ("ALDE", "Group of the Alliance of Liberals and Democrats for Europe"),
    "EFDD": ("EFDD", "Europe of Freedom and Direct Democracy Group"),
    "ENF": ("ENF", "Europe of Nations and Freedom Group"),
}
_GROUP_ALIASES = {"PPE": "EPP", "SANDD": "SD", "PATRIOTS": "PFE", "PFEU": "PFE", "RE": "RENEW",
                  "RENEWEUROPE": "RENEW", "VERTSALE": "GREENSEFA", "GREENEFA": "GREENSEFA",
                  "GREENS": "GREENSEFA", "GUENGL": "LEFT", "THELEFT": "LEFT",
                  "NONATTACHED": "NI", "NONINSCRITS": "NI", "EFD": "EFDD"}
# Words of the groups' full names in the languages the EP publishes its list in most
# (en, fr, de, es, it), compared without case or accents, for a list without the short
# label. Checked in this order: the Left before the Greens ("Gauche verte nordique",
# "Nordic Green Left"), ENF before ESN.
_GROUP_WORDS: list[tuple[str, str, str]] = [
    # (words, group key, language they are in)
    ("european united left", "LEFT", "en"), ("the left", "LEFT", "en"),
    ("gauche unitaire", "LEFT", "fr"), ("la gauche", "LEFT", "fr"),
    ("vereinigten europaischen linken", "LEFT", "de"), ("die linke", "LEFT", "de"),
    ("izquierda", "LEFT", "es"), ("sinistra", "LEFT", "it"),
    ("people's party", "EPP", "en"), ("parti populaire europeen", "EPP", "fr"),
    ("volkspartei", "EPP", "de"), ("partido popular europeo", "EPP", "es"),
    ("partito popolare europeo", "EPP", "it"),
    ("socialists and democrats", "SD", "en"), ("socialistes et democrates", "SD", "fr"),
    ("sozialdemokraten", "SD", "de"), ("socialistas y democratas", "SD", "es"),
    ("socialisti e democratici", "SD", "it"),
    ("patriots for europe", "PFE", "en"), ("patriotes pour l'europe", "PFE", "fr"),
    ("patrioten fur europa", "PFE", "de"), ("patriotas por europa", "PFE", "es"),
    ("patrioti per l'europa", "PFE", "it"),
    ("conservatives and reformists", "ECR", "en"),
    ("conservateurs et reformistes", "ECR", "fr"),
    ("konservativen und reformer", "ECR", "de"), ("conservadores y reformistas", "ECR", "es"),
    ("conservatori e riformisti", "ECR", "it"),
    ("greens/european free alliance", "GREENSEFA", "en"),
    ("verts/alliance libre europeenne", "GREENSEFA", "fr"),
    ("grunen/freie europaische allianz", "GREENSEFA", "de"),
    ("verdes/alianza libre europea", "GREENSEFA", "es"),
    ("verdi/alleanza libera europea", "GREENSEFA", "it"),
    ("liberals and democrats", "ALDE", "en"), ("democrates et des liberaux", "ALDE", "fr"),
    ("liberalen und demokraten", "ALDE", "de"), ("liberales y democratas", "ALDE", "es"),
    ("liberali e democratici", "ALDE", "it"),
    ("freedom and direct democracy", "EFDD", "en"),
    ("la democratie directe", "EFDD", "fr"), ("direkten demokratie", "EFDD", "de"),
    ("democracia directa", "EFDD", "es"), ("democrazia diretta", "EFDD", "it"),
    ("nations and freedom", "ENF", "en"), ("nations et des libertes", "ENF", "fr"),
    ("nationen und der freiheit", "ENF", "de"), ("naciones y de las libertades", "ENF", "es"),
    ("nazioni e della liberta", "ENF", "it"),
    ("sovereign nations", "ESN", "en"), ("nations souveraines", "ESN", "fr"),
    ("souveranen nationen", "ESN", "de"), ("naciones soberanas", "ESN", "es"),
    ("nazioni sovrane", "ESN", "it"),
    ("identity and democracy", "ID", "en"), ("identite et democratie", "ID", "fr"),
    ("identitat und demokratie", "ID", "de"), ("identidad y democracia", "ID", "es"),
    ("identita e democrazia", "ID", "it"),
    ("non-attached", "NI", "en"), ("non-inscrits", "NI", "fr"), ("fraktionslos", "NI", "de"),
    ("no inscritos", "NI", "es"), ("non iscritti", "NI", "it"),
    # Names that read the same in several languages: no language told.
    ("renew europe", "RENEW", ""), ("greens", "GREENSEFA", "en"), ("gue/ngl", "LEFT", ""),
]


def _fold(text: str) -> str:
    """Lower case without accents: "Démocrates-chrétiens" -> "democrates-chretiens"."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("’", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _group_match(full: str) -> tuple[str, str] | None:
    """(group key, language) of a group's full name, in any language listed above."""
    low = _fold(full)
    for words, key, lang in _GROUP_WORDS:
        if words in low:
            return key, lang
    return None


def _group_key(short: str | None, full: str | None) -> str | None:
    if short:
        key = re.sub(r"[^A-Z]", "", short.upper().replace("&", "AND"))
        key = _GROUP_ALIASES.get(key, key)
        if key in GROUPS:
            return key
    if full:
        found = _group_match(full)
        if found:
            return found[0]
    return None


def list_language(meps: list[dict[str, Any]]) -> str | None:
    """The language a list was published in, told by its groups' names (None if unsure).

    A French list says "Non-inscrits" where the English says "Non-attached
    Members": the language read is then said in the record's ``source_url``,
    whatever ``--lang`` was given.
    """
    votes: dict[str, int] = {}
    for m in meps:
        found = _group_match(m.get("group") or "")
        if found and found[1]:
            votes[found[1]] = votes.get(found[1], 0) + 1
    if not votes:
        return None
    best = max(votes, key=lambda k: votes[k])
    return best if votes[best] * 2 > sum(votes.values()) else None


def group_names(short: str | None, full: str | None = None) -> tuple[str | None, str | None]:
    """(the name people use, the full name) of a political group.

    "S&D", "Renew Europe", "the Left": the way a letter or a list speaks of
    them, from the short label or from the full name in English, French,
    German, Spanish or Italian. A group (or a language) we do not know keeps
    what the EP gave.
    """
    key = _group_key(short, full)
    if key is None:
        return (short or full), (full or short)
    spoken, english = GROUPS[key]
    return spoken, (full or english)


MAX_FIELD = 500  # characters: no name, label or code of the EP is longer


def _field(item: dict[str, Any], key: str, n: int, *, required: bool = False) -> str | None:
    """A string field of a record; numbers are accepted as text, anything else refused."""
    value = item.get(key)
    if value is None or value == "":
        if required:
            raise FormatError(f"member {n} of the page has no '{key}'")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise FormatError(f"member {n} of the page has a {type(value).__name__} for '{key}', "
                          "not text")
    text = clean(str(value))
    if not text:
        if required:
            raise FormatError(f"member {n} of the page has no '{key}'")
        return None
    if len(text) > MAX_FIELD:
        raise FormatError(f"member {n} of the page has a '{key}' of {len(text):,} characters")
    return text


def parse_current_page(body: bytes) -> list[dict[str, Any]]:
    """One page of ``meps/show-current``: id, names, ISO country code, short group label.

    The API's keys carry an ``api:`` prefix; a reader that looks for a plain
    ``country`` key silently loses them. A record that is not an object, or
    has no identifier, refuses the whole page: a list silently missing
    members would mark them former.
    """
    out = []
    for n, item in enumerate(_json(body)["data"], start=1):
        if not isinstance(item, dict):
            raise FormatError(f"member {n} of the page is a {type(item).__name__}, not an object")
        ep_id = _field(item, "identifier", n, required=True)
        assert ep_id is not None
        if not is_id(ep_id):
            raise FormatError(f"member {n} of the page has a non-numeric identifier "
                              f"'{ep_id[:40]}' (an id is 1 to 12 digits 0-9)")
        code = _field(item, "api:country-of-representation", n)
        if code is not None and not re.fullmatch(r"[A-Za-z]{2}", code):
            raise FormatError(f"member {n} ({ep_id}) has a country code '{code[:40]}' that is "
                              "not two letters")
        label = _field(item, "label", n)
        given, family = _field(item, "givenName", n), _field(item, "familyName", n)
        label = label or " ".join(p for p in (given, family) if p)
        if not label:
            raise FormatError(f"member {n} of the page has no name ('label')")
        out.append({
            "ep_id": ep_id,
            "label": label,
            "given_name": given,
            "family_name": family,
            "country_code": code.upper() if code else None,
            "group_short": _field(item, "api:political-group", n),
        })
    return out


def current_to_meps(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The API's members in the shape ``parse_list`` gives (so one writer saves both).

    The API's list has no national party: ``party`` is None (and kept as it was).
    """
    meps = []
    for item in items:
        name = item.get("label")
        if not name:
            raise FormatError(f"member {item['ep_id']} has no name ('label')")
        given, family = split_name(name)
        code = item.get("country_code")
        meps.append({
            "ep_id": item["ep_id"], "name": name, "given_name": given, "family_name": family,
            "country_as_given": code, "country": countries.english(code) if code else None,
            "country_code": code, "group": None, "group_short": item.get("group_short"),
            "party": None,
            "api_given_name": item.get("given_name"),
            "api_family_name": item.get("family_name"),
        })
    return meps


# The most seats the Parliament has had (2014-2019); a list of more members cannot be
# today's: it is the API's all-time ``meps`` list, or a directory with former members.
MAX_SEATS = 751
NOT_CURRENT_HINT = ("save the API's meps/show-current (or the EP's full-list/xml) instead; "
                    "it lists today's MEPs only")
# Keys only a member's own record (``meps/{id}``) has, never a list's.
_DETAIL_KEYS = ("hasMembership", "hasEmail", "hasHonorificPrefix", "citizenship",
                "hasGender", "officialFamilyName")


def not_current(meps: list[dict[str, Any]], what: str) -> None:
    """Refuse a list that cannot be of today's MEPs, by its size."""
    if len(meps) > MAX_SEATS:
        raise FormatError(f"{what} has {len(meps):,} members, more than the {MAX_SEATS} seats "
                          "the Parliament has ever had: it is not the list of current MEPs "
                          "(the API's list of all MEPs ever, or a directory with former "
                          "members); nothing was imported")


def parse_saved_api(body: bytes) -> list[dict[str, Any]]:
    """A ``show-current`` answer saved from a browser (``campaign meps import``).

    The API's all-time list (``meps``) has the same shape but no member's
    country or group: a file where no member has either, or with more
    members than there are seats, is refused rather than imported as current.
    """
    data = _json(body)
    items = [i for i in data["data"] if isinstance(i, dict)]
    meps = current_to_meps(parse_current_page(body))
    if not meps:
        raise FormatError("the JSON-LD has no members (zero MEPs)")
    not_current(meps, "the JSON-LD")
    if not any(i.get("api:country-of-representation") or i.get("api:political-group")
               for i in items):
        raise FormatError("no member of the JSON-LD has a country or a group: it is the API's "
                          "list of all MEPs ever (meps), not of today's (meps/show-current); "
                          "nothing was imported")
    return _once(meps)


def is_detail(body: bytes) -> bool:
    """True for a member's own record (``meps/{id}``) rather than a list of members."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return False
    items = data.get("data") if isinstance(data, dict) else None
    return (isinstance(items, list) and len(items) == 1 and isinstance(items[0], dict)
            and any(k in items[0] for k in _DETAIL_KEYS))


def parse_saved_detail(body: bytes, *, today: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the member as a list gives them, their details) from a saved ``meps/{id}`` record.

    The member is current when their mandate (``MEMBER_PARLIAMENT``) has no
    end, or one not before ``today``; their country and group are the API's
    own keys when the record has them.
    """
    detail = parse_detail(body, today=today)
    person = _json(body)["data"][0]
    item = {
        "ep_id": detail["ep_id"],
        "label": _field(person, "label", 1),
        "given_name": detail.get("given_name"),
        "family_name": detail.get("family_name"),
        "country_code": None,
        "group_short": _field(person, "api:political-group", 1),
    }
    code = _field(person, "api:country-of-representation", 1)
    if code is not None and re.fullmatch(r"[A-Za-z]{2}", code):
        item["country_code"] = code.upper()
    if not item["label"]:
        item["label"] = " ".join(p for p in (item["given_name"], item["family_name"]) if p)
    mep = current_to_meps([item])[0]
    mandates = [m for m in person.get("hasMembership") or []
                if isinstance(m, dict) and str(m.get("role", "")).endswith("MEMBER_PARLIAMENT")]
    mep["current"] = any(_current(m, today) for m in mandates) if mandates else None
    return mep, detail


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
        code = clean(_last_segment(value))
        return _HONORIFICS.get(code.upper(), code) or None
    return clean(value)[:MAX_FIELD] or None


def _email(value: Any) -> str | None:
    value = _one(value)
    if not isinstance(value, str):
        return None
    address = value.strip()
    if address.lower().startswith("mailto:"):
        address = address[len("mailto:"):]
    address = address.split("?", 1)[0].strip()
    from campaign.emails import check_email

    try:  # one plain address, as every other entry point requires; a list is no address
        return check_email(address)
    except ValueError:
        return None


def _phone(value: Any) -> str | None:
    value = _one(value)
    if isinstance(value, dict):
        value = value.get("hasValue")
    if not isinstance(value, str) or not value.strip():
        return None
    return clean(value).removeprefix("tel:")[:MAX_FIELD] or None


def _address(value: Any) -> tuple[str | None, str | None]:
    """(postal address, office code): the API may give a full address or just a room code."""
    value = _one(value)
    if isinstance(value, dict):
        parts = [value.get(k) for k in ("buildingName", "streetAddress", "postOfficeBox")]
        place = " ".join(str(value[k]) for k in ("postalCode", "locality") if value.get(k))
        parts += [place, value.get("countryName")]
        lines = [clean(str(p)) for p in parts if p and clean(str(p))]
        return ("\n".join(lines) or None), None
    if not isinstance(value, str) or not clean(value):
        return None, None
    text = value.strip()
    if "\n" in text:
        return "\n".join(clean(line) for line in text.splitlines() if clean(line)) or None, None
    text = clean(text)
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
    ident = person.get("identifier")
    if not ident:
        raise FormatError("the person has no 'identifier'")
    if isinstance(ident, bool) or not isinstance(ident, str | int) or not is_id(str(ident)):
        raise FormatError(f"the person's identifier '{str(ident)[:40]}' is not a number")
    listed = person.get("hasMembership") or []
    if not isinstance(listed, list):
        raise FormatError(f"'hasMembership' is a {type(listed).__name__}, not a list")
    memberships = [m for m in listed if isinstance(m, dict)]
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
                "site": _clean_or_none(_last_segment(site)) if isinstance(site, str) else None,
            }
            if any(office.values()):
                offices.append(office)
    first_postal = next((o["postal_address"] for o in offices if o["postal_address"]), None)
    first_phone = next((o["phone"] for o in offices if o["phone"]), None)
    return {
        "ep_id": str(ident),
        "email": _email(person.get("hasEmail")),
        "honorific": _honorific(person.get("hasHonorificPrefix")),
        "given_name": _clean_or_none(person.get("givenName")),
        "family_name": _clean_or_none(person.get("familyName")),
        "postal_address": first_postal,
        "phone": first_phone,
        "offices": offices,
        "memberships": _memberships(memberships),
    }


# Which memberships campaigns write by: committees, subcommittees, delegations.
BODY_KINDS = {
    "COMMITTEE_PARLIAMENTARY_STANDING": "committee",
    "COMMITTEE_PARLIAMENTARY_SUB": "subcommittee",
    "DELEGATION_PARLIAMENTARY": "delegation",
}
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _day(value: Any, what: str) -> str | None:
    if value is None or value == "":
        return None
    text = str(value)[:10]
    if not isinstance(value, str) or not _DAY.fullmatch(text):
        raise FormatError(f"a membership has a {what} '{str(value)[:40]}' that is not a date")
    if not "1800" <= text[:4] <= "2199":
        raise FormatError(f"a membership has a {what} {text} outside the years 1800-2199")
    import datetime as dt

    try:  # 2024-13-45 has the shape of a date and is none
        dt.date.fromisoformat(text)
    except ValueError:
        raise FormatError(f"a membership has a {what} {text} that is not a day of the "
                          "calendar") from None
    return text


def _memberships(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Memberships of committees, subcommittees and delegations, ended ones included.

    Whether one is current depends on the day asked about, so the dates are
    kept and the question is answered when a list or a letter is made.
    """
    out = []
    for m in items:
        kind = BODY_KINDS.get(_last_segment(str(m.get("membershipClassification") or "")))
        org = m.get("organization")
        if kind is None or not isinstance(org, str):
            continue
        body_id = _last_segment(org)
        if not is_id(body_id):
            raise FormatError(f"a membership names the body '{org[:40]}', not org/NUMBER")
        during = m.get("memberDuring")
        period: dict[str, Any] = during if isinstance(during, dict) else {}
        role = m.get("role")
        out.append({
            "body_id": body_id, "kind": kind,
            "role": _last_segment(role) if isinstance(role, str) and role else "MEMBER",
            "start": _day(period.get("startDate"), "start date"),
            "end": _day(period.get("endDate"), "end date"),
        })
    return out


def parse_body(payload: bytes, body_id: str) -> dict[str, Any]:
    """A corporate body (``corporate-bodies/{id}``): short label, full names, classification."""
    data = _json(payload)
    items = data["data"]
    if not items or not isinstance(items[0], dict):
        raise FormatError(f"no body in 'data' for org/{body_id}")
    item = items[0]
    ident = item.get("identifier")
    if str(ident) != body_id:
        raise FormatError(f"the answer describes body '{str(ident)[:40]}', not {body_id}")
    label = item.get("label")
    if not isinstance(label, str) or not clean(label) or len(label) > MAX_FIELD:
        raise FormatError(f"body {body_id} has no usable 'label'")
    pref = item.get("prefLabel")
    names: dict[str, str] = {}
    if isinstance(pref, dict):
        names = {clean(str(k))[:20]: clean(v) for k, v in pref.items()
                 if isinstance(v, str) and clean(v) and len(v) <= MAX_FIELD}
    elif isinstance(pref, str) and clean(pref) and len(pref) <= MAX_FIELD:
        names = {"en": clean(pref)}
    cls = item.get("classification")
    return {
        "id": body_id, "label": clean(label), "names": names,
        "name": names.get("en") or next(iter(names.values()), None),
        "classification": _last_segment(cls) if isinstance(cls, str) else None,
    }
