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

from campaign import countries, data_path, names
from campaign.errors import (
    CampaignError,
    NotFoundError,
    UsageError,
)
from campaign.formats import DocFormat
from campaign.store import Store

KINDS = ("mep", "embassy", "authority", "prisoner")
KIND_WORD = {"mep": "MEP", "embassy": "embassy", "authority": "authority",
             "prisoner": "prisoner"}
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
                    groups: Sequence[str] = (), contacts: Sequence[str] = ()
                    ) -> list[dict[str, Any]]:
    """The contacts a letter goes to (not for prisoners: see ``select_prisoners``)."""
    if to not in KINDS or to == "prisoner":
        raise UsageError(f"cannot select contacts for --to {to}")
    if contacts:
        found = _named(store, to, contacts)
    else:
        everyone = store.contacts(kind=to)
        found = [c for c in everyone if c["status"] == "current"]
        recent = [c for c in found if not c["historical"]]
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
    if not found:
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


# -- addresses --------------------------------------------------------------

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
    if kind == "mep":
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

