"""Who gets a letter: choosing MEPs, embassies, authorities and prisoners; their names,
salutations and postal addresses.

Rules kept here:
- historical contacts (the 2012 MEPs of the pack) and former MEPs are only
  written to when named with ``--contact``; an embassy is an institution, so a
  historical embassy record is still a default recipient (its address is checked);
- a head of state is never a historical office-holder by default: if the store only
  knows a past President, the user is told how to add the current one;
- an email address is used only if the contact has one (never guessed).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Sequence
from typing import Any

from campaign import countries, data_path, dates, names
from campaign.errors import (
    CampaignError,
    NotFoundError,
    PersonDiedError,
    PersonReleasedError,
    UsageError,
)
from campaign.formats import DocFormat
from campaign.store import Store

KINDS = ("mep", "embassy", "authority", "prisoner", "family")
KIND_WORD = {"mep": "MEP", "embassy": "embassy", "authority": "authority",
             "prisoner": "prisoner", "family": "family"}
KIND_PLURAL = {"mep": "MEPs", "embassy": "embassies", "authority": "authorities",
               "prisoner": "prisoners", "family": "families"}
HEAD_OF_STATE_ROLE = "President of Kazakhstan"

# Political groups of the European Parliament: the short labels and the words of
# their full names, so that --group "Greens/EFA" finds "Group of the Greens/European
# Free Alliance" and a group's earlier acts can be found in the store's events.
GROUPS: dict[str, tuple[str, ...]] = {
    "EPP": ("european people's party", "parti populaire européen"),
    "S&D": ("socialists and democrats", "socialistes et démocrates"),
    "Renew": ("renew europe",),
    "ALDE": ("alliance of liberals and democrats",),
    "Greens/EFA": ("greens/european free alliance", "greens–european free alliance",
                   "verts/alliance libre européenne"),
    "ECR": ("european conservatives and reformists", "conservateurs et réformistes"),
    "ID": ("identity and democracy", "identité et démocratie"),
    "GUE/NGL": ("european united left", "the left", "gauche unitaire européenne"),
    "PfE": ("patriots for europe", "patriotes pour l'europe"),
    "ESN": ("europe of sovereign nations",),
    "EFDD": ("europe of freedom and direct democracy",),
    "ENF": ("europe of nations and freedom",),
    "NI": ("non-attached", "non-inscrits"),
}


# -- people and names --------------------------------------------------------


def _cap(word: str) -> str:
    """'BOYLAN' -> 'Boylan', "O'NEILL" -> "O'Neill", 'KIIL-NIELSEN' -> 'Kiil-Nielsen'."""
    return re.sub(r"[^\W\d_]+", lambda m: m.group(0).capitalize(), word.lower())


def _proper_word(word: str) -> str:
    letters = [c for c in word if c.isalpha()]
    if len(letters) < 2:
        return word
    if all(c.isupper() for c in letters):
        return _cap(word)
    # 'McGUINNESS': a mixed-case prefix before a capitalised surname.
    for i in range(1, len(word) - 1):
        rest = [c for c in word[i:] if c.isalpha()]
        if len(rest) >= 2 and all(c.isupper() for c in rest) and word[i - 1].islower():
            return word[:i] + _cap(word[i:])
    return word


@functools.lru_cache(maxsize=4096)
def proper_name(name: str) -> str:
    """The EP writes surnames in capitals ('Lynn BOYLAN'); a letter writes 'Lynn Boylan'."""
    return " ".join(_proper_word(w) for w in name.split())


def display_name(contact: dict[str, Any]) -> str:
    given, family = contact.get("given_name"), contact.get("family_name")
    if given and family:
        return f"{proper_name(given)} {proper_name(family)}"
    return proper_name(contact["name"])


def _surname(contact: dict[str, Any]) -> str:
    if contact.get("family_name"):
        return proper_name(contact["family_name"])
    return display_name(contact).split()[-1]


def is_head_of_state(contact: dict[str, Any]) -> bool:
    role = contact.get("role") or ""
    return bool(re.search(r"(?<![\w-])(President of|Head of State|King of|Queen of)", role))


def is_ambassador(contact: dict[str, Any]) -> bool:
    return "ambassador" in (contact.get("role") or "").casefold()


def salutation(contact: dict[str, Any], kind: str) -> str:
    """The contact's own salutation wins; else what protocol expects for this kind."""
    if contact.get("salutation"):
        return str(contact["salutation"])
    if kind == "prisoner":
        return f"Dear {contact['name']},"
    if kind == "mep":
        if contact.get("honorific"):
            return f"Dear {contact['honorific']} {_surname(contact)},"
        return f"Dear {display_name(contact)},"
    if is_head_of_state(contact):
        return "Your Excellency,"
    if is_ambassador(contact):
        return f"Dear Ambassador {_surname(contact)},"
    if kind == "embassy":
        return "Dear Sir or Madam,"
    return f"Dear {display_name(contact)},"


def closing(salute: str) -> str:
    impersonal = ("Your Excellency", "Dear Sir", "Dear Madam", "Dear Sir or Madam")
    return "Yours faithfully," if salute.startswith(impersonal) else "Yours sincerely,"


_GROUP_PATTERNS = [(label, re.compile(r"(?<!\w)" + re.escape(label.casefold()) + r"(?!\w)"),
                    words) for label, words in GROUPS.items()]


def group_labels(text: str | None) -> frozenset[str]:
    """The short labels of the EP groups that a group name or a sentence mentions."""
    return _group_labels(text) if text else frozenset()


@functools.lru_cache(maxsize=1024)
def _group_labels(text: str) -> frozenset[str]:
    low = text.casefold()
    return frozenset(label for label, pattern, words in _GROUP_PATTERNS
                     if pattern.search(low) or any(w in low for w in words))


# How a letter names a group ("a member of the Renew Europe group"); the
# non-attached are in no group, and a letter says none.
GROUP_PHRASES = {
    "EPP": "the EPP group", "S&D": "the S&D group", "Renew": "the Renew Europe group",
    "ALDE": "the ALDE group", "Greens/EFA": "the Greens/EFA group", "ECR": "the ECR group",
    "ID": "the ID group", "PfE": "the Patriots for Europe group",
    "ESN": "the Europe of Sovereign Nations group", "EFDD": "the EFDD group",
    "ENF": "the ENF group",
}
# Groups whose name changed: label -> the words of today's name. The 2012 GUE/NGL is
# today's Left group; the Greens/EFA kept their name.
RENAMED = {"GUE/NGL": ("the left",)}
KEPT_NAME = ("Greens/EFA",)


def group_phrase(group: str | None) -> str | None:
    """'the Renew Europe group'; None for the non-attached (and for no group)."""
    labels = group_labels(group)
    if not group or "NI" in labels:
        return None
    if "GUE/NGL" in labels:
        return "the Left group" if _renamed(group, "GUE/NGL") else "the GUE/NGL group"
    for label in GROUPS:
        if label in labels and label in GROUP_PHRASES:
            return GROUP_PHRASES[label]
    return f"the group “{group}”"


def _renamed(group: str | None, label: str) -> bool:
    low = (group or "").casefold()
    return any(w in low for w in RENAMED.get(label, ()))


def group_lineage(group: str | None, label: str) -> str:
    """', then called GUE/NGL,' when the group had another name at the time of a record
    (with the commas a parenthetical needs); ', the Greens/EFA then as now,' for a group
    that kept its name; else nothing."""
    if _renamed(group, label):
        return f", then called {label},"
    if label in KEPT_NAME:
        return f", the {label} then as now,"
    return ""


def group_matches(group: str | None, wanted: str) -> bool:
    if not group:
        return False
    if wanted.casefold() in group.casefold():
        return True
    return bool(group_labels(wanted) & group_labels(group))


# -- choosing recipients -----------------------------------------------------


def _named(store: Store, kind: str, wanted: Sequence[str]) -> list[dict[str, Any]]:
    pool = store.contacts(kind=kind)
    cands = [(c["id"], [c["name"], *c["aliases"], display_name(c)]) for c in pool]
    by_id = {c["id"]: c for c in pool}
    out: list[dict[str, Any]] = []
    for name in dict.fromkeys(wanted):
        ids = [name] if name in by_id else names.match(name, cands)
        if not ids:
            everyone = [n for _, ns in cands for n in ns[:2]]
            hint = None if names.suggest(name, everyone) else (
                "fetch the EP directory with `campaign meps fetch`" if kind == "mep"
                else f"see `campaign contacts list --kind {kind}`")
            raise NotFoundError(f"{KIND_WORD[kind]} contact", name,
                                names.suggest(name, everyone), hint=hint)
        if len(ids) > 1:
            # An old record and the current one added beside it: the current one is meant.
            current = [i for i in ids
                       if by_id[i]["status"] == "current" and not by_id[i]["historical"]]
            ids = current if len(current) == 1 else ids
        if len(ids) > 1:
            raise UsageError(f"--contact '{name}' could mean {len(ids)} contacts: "
                             + ", ".join(by_id[i]["name"] for i in ids[:5]),
                             "give more of the name")
        if by_id[ids[0]] not in out:
            out.append(by_id[ids[0]])
    return out


def _filters_text(countries_: Sequence[str], groups: Sequence[str],
                  contacts: Sequence[str]) -> str:
    parts = [f"--country {c}" for c in countries_] + [f"--group {g}" for g in groups]
    parts += [f"--contact '{c}'" for c in contacts]
    return " ".join(parts)


def select_contacts(store: Store, to: str, *, countries_: Sequence[str] = (),
                    groups: Sequence[str] = (), contacts: Sequence[str] = (),
                    members: set[str] | None = None) -> list[dict[str, Any]]:
    """The contacts a letter goes to (not for prisoners: see ``select_prisoners``).

    ``members``, when given, are the contact ids chosen by EP committee or delegation
    (``campaign.ep.bodies.select_by_bodies``); the other filters narrow them further."""
    if to not in KINDS or to == "prisoner":
        raise UsageError(f"cannot select contacts for --to {to}")
    if contacts:
        found = _named(store, to, contacts)
    else:
        everyone = store.contacts(kind=to)
        found = [c for c in everyone if c["status"] == "current"]
        recent = [c for c in found if not is_past(c)]
        # An embassy outlives the report it was recorded from: a historical embassy is
        # still written to, unless a current record (e.g. with its address) was added.
        if to != "embassy" or recent:
            found = recent
        if to == "authority":
            found = _heads_of_state(everyone, found)
    if countries_:
        found = [c for c in found if c.get("country")
                 and any(countries.same_country(c["country"], w) for w in countries_)]
    if groups:
        found = [c for c in found if any(group_matches(c.get("group"), g) for g in groups)]
    if members is not None:
        found = [c for c in found if c["id"] in members]
    if not found:
        if members is not None:
            raise CampaignError(
                "no current MEP on the committees or delegations asked for matches the other "
                "filters" if countries_ or groups else
                "no current MEP is listed on the committees or delegations asked for",
                "see `campaign meps bodies` and `campaign meps list --committee LABEL`")
        raise _nothing_matches(store, to, countries_, groups, contacts)
    return found


def _heads_of_state(everyone: list[dict[str, Any]],
                    current: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def presidential(c: dict[str, Any]) -> bool:
        return HEAD_OF_STATE_ROLE.casefold() in (c.get("role") or "").casefold()

    found = [c for c in current if presidential(c)]
    if found:
        return found
    past = [c for c in everyone if presidential(c)]
    add = ('`campaign contacts add "NAME" --kind authority --role "President of Kazakhstan" '
           '--country Kazakhstan --postal-address "..." --source ID`')
    if past:
        who = ", ".join(f"{c['name']} (as of {c.get('as_of') or 'an old report'})" for c in past)
        raise CampaignError(
            f"the store only knows a past President of Kazakhstan: {who}; "
            "a letter is not addressed to a former office-holder by default",
            f"add the current one with {add}, or name a contact with --contact")
    raise CampaignError("the store has no President of Kazakhstan to write to",
                        f"add one with {add}, or name a contact with --contact")


def _nothing_matches(store: Store, to: str, countries_: Sequence[str], groups: Sequence[str],
                     contacts: Sequence[str]) -> CampaignError:
    word = KIND_WORD[to]
    current = [c for c in store.contacts(kind=to)
               if c["status"] == "current" and not c["historical"]]
    filters = _filters_text(countries_, groups, contacts)
    if to == "mep":
        fetch = "fetch the EP directory with `campaign meps fetch`"
        if not current:
            return CampaignError(f"no current MEP matches {filters or 'the selection'}: the store "
                                 "has no current MEPs (only historical ones, if any)", fetch)
        return CampaignError(f"no current MEP matches {filters} (of {len(current)} in the store)",
                             f"check the filters (`campaign contacts list --kind mep`), or {fetch}")
    return CampaignError(
        f"no current {word} contact matches {filters or 'the selection'}",
        f'add one with `campaign contacts add "NAME" --kind {to} --postal-address "..." '
        "--source ID`")


def select_prisoners(store: Store, wanted: Sequence[str],
                     as_of: dt.date | None = None) -> list[dict[str, Any]]:
    from campaign.people import select

    return select(store, wanted, as_of)


def check_person(person: dict[str, Any], to: str, *, released_ok: bool = False) -> str | None:
    """Whether a person can be written to: a letter to a prisoner reported dead is
    refused (their family can be written to); one reported released needs
    ``released_ok``. Returns a warning to show, or None."""
    status, when = person["status"], dates.month_year(person.get("status_date"))
    if to == "prisoner" and status == "died":
        raise PersonDiedError(
            f"{person['name']} is reported dead ({when}); a letter to them is not written",
            f'write to their family instead: campaign letter --to family --prisoner '
            f'"{person["name"]}"')
    if to == "prisoner" and status == "released":
        if not released_ok:
            raise PersonReleasedError(
                f"{person['name']} is reported released ({when}); a prison letter may not "
                "reach them",
                "check where they are now; to write anyway, add --released-ok")
        return (f"{person['name']} is reported released ({when}); the letter is written as "
                "you asked (--released-ok)")
    return None


_ROLE_YEARS = re.compile(r"\((\d{4})\s*[–-]\s*(\d{4})\)")


def is_past(contact: dict[str, Any], today: dt.date | None = None) -> bool:
    """A contact recorded in a role they held in the past: historical, a former MEP, or
    a role whose own words say it ended ("MEP … (2011–2014)"), even after an address
    added by hand has made the record current again."""
    if contact.get("historical") or contact.get("status", "current") != "current":
        return True
    years = _ROLE_YEARS.search(contact.get("role") or "")
    return years is not None and int(years.group(2)) < (today or dt.date.today()).year


def historical_note(contact: dict[str, Any]) -> str | None:
    """A warning for a contact who held their role in the past: when they held it."""
    if not is_past(contact):
        return None
    role = contact.get("role") or KIND_WORD.get(contact.get("kind", ""), "contact")
    when = f"as of {dates.human(contact['as_of'])}" if contact.get("as_of") else "in the past"
    return (f"{display_name(contact)} is a historical contact ({role}; recorded {when}): "
            "the letter is written to them as a person, not as holding that role now")


def held(contact: dict[str, Any]) -> str:
    """'one of Ireland's MEPs (2011–2014)': the role a historical MEP held, and when."""
    import re

    country = countries.english(contact.get("country"))
    years = re.search(r"\((\d{4}(?:–\d{4})?)\)", contact.get("role") or "")
    when = years.group(1) if years else (
        f"as of {dates.human(contact['as_of'])}" if contact.get("as_of") else "")
    who = f"one of {country}'s MEPs" if country else "a Member of the European Parliament"
    return f"{who} ({when})" if when else who


# -- addresses --------------------------------------------------------------

PURPOSES = ("prisoner", "family")


def add_postal_address(store: Store, person: str, address: str, source: str, *,
                       purpose: str = "prisoner", as_of: str | None = None) -> dict[str, Any]:
    """Record a postal address for a person (their prison's, or their family's), with the
    source that gives it: a letter is only ever addressed from a recorded address."""
    from campaign.people import find_id

    if purpose not in PURPOSES:
        raise UsageError(f"unknown address purpose '{purpose}'", "use prisoner or family")
    from campaign.records import address_lines

    try:
        lines = address_lines(address)
    except ValueError as exc:
        raise UsageError(f"--postal: {exc}", "give the street or box, town and postcode, "
                         "one line each") from None
    if not lines:
        raise UsageError("the postal address is empty", 'give it as --postal "line 1\\nline 2"')
    if any(re.match(r"^(https?://|www\.)", ln, re.I) for ln in lines):
        raise UsageError("a web address is not a postal address",
                         "give the street or box, town and postcode")
    if source not in store.source_ids():
        raise NotFoundError("source", source, hint="add it with `campaign sources add` first")
    if as_of:
        as_of = dates.parse_partial(as_of, "--as-of")
    pid = find_id(store, person)
    with store.transaction():
        store.conn.execute(
            "INSERT INTO person_addresses (person_id, purpose, address, as_of, source_id, added)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (pid, purpose, "\n".join(lines), as_of, source, dt.date.today().isoformat()))
    return {"person_id": pid, "purpose": purpose, "address": lines, "source": source,
            "as_of": as_of}


def person_address(store: Store, person_id: str, purpose: str = "prisoner"
                   ) -> dict[str, Any] | None:
    """The latest postal address recorded for a person and purpose, with its source."""
    row = store.row("SELECT * FROM person_addresses WHERE person_id = ? AND purpose = ?"
                    " ORDER BY id DESC LIMIT 1", (person_id, purpose))
    if not row:
        return None
    return {**row, "lines": row["address"].splitlines()}


_EP_ADDRESSES: dict[str, list[str]] | None = None


def ep_addresses() -> dict[str, list[str]]:
    """The Parliament's postal addresses (contacts/ep-addresses.csv, from ep-formats.md §3)."""
    global _EP_ADDRESSES
    if _EP_ADDRESSES is None:
        import csv
        import io
        text = data_path("contacts", "ep-addresses.csv").read_text("utf-8")
        _EP_ADDRESSES = {row["key"]: row["lines"].split("|")
                         for row in csv.DictReader(io.StringIO(text))}
    return _EP_ADDRESSES


def mep_address(contact: dict[str, Any]) -> list[str]:
    """The EP's own address if the EP gave one; else building/office; else the general one."""
    if contact.get("postal_address"):
        return [ln.strip() for ln in contact["postal_address"].splitlines() if ln.strip()]
    extra = contact.get("extra") or {}
    table = ep_addresses()
    if extra.get("building"):
        # The EP's own form: "Bât. WILLY BRANDT 02M105" on the building's address.
        building = " ".join(str(extra[k]) for k in ("building", "office") if extra.get(k))
        place = "strasbourg" if "strasbourg" in str(extra.get("city", "")).casefold() \
            else "brussels"
        return [ln.replace("{building}", f"Bât. {building}") for ln in table[place]]
    lines = list(table["default"])
    if extra.get("office"):
        # The Open Data API gives a room code and site, not a building name: keep the
        # general address (ep-formats.md section 3) and add the office as the EP gave it.
        office = " ".join(str(extra[k]) for k in ("site", "office") if extra.get(k))
        lines.insert(1, f"Office {office}")
    return lines




def recipient_address(contact: dict[str, Any], kind: str) -> list[str] | None:
    """The address block; a past MEP is no longer at the Parliament, so only an address
    recorded for them will do (None: the caller says how to add one)."""
    if kind == "mep" and not is_past(contact):
        return [f"{display_name(contact)} MEP", *mep_address(contact)]
    if not contact.get("postal_address"):
        return None
    lines = [ln.strip() for ln in contact["postal_address"].splitlines() if ln.strip()]
    return [display_name(contact), *lines]


def missing_address(contact: dict[str, Any], kind: str, fmt: DocFormat) -> CampaignError:
    email = " or --email" if fmt is DocFormat.eml else ""
    what = "no postal address" + (" and no email" if fmt is DocFormat.eml else "")
    return CampaignError(
        f"{contact['name']} ({kind}) has {what}, so no letter was written",
        f'add it with `campaign contacts add "{contact["name"]}" --kind {kind} '
        f'--postal-address "..."{email} --source ID`, or leave the contact out')

