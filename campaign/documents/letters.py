"""Letters: a mail merge to MEPs, embassies, authorities and prisoners.

Parliaments discard mass-identical copies, so every draft is personal: the
recipient's own salutation and address, the facts that concern them (an MEP's
country and group, a chosen prisoner's case) and the sender's own paragraph.
The Python builds a plain-data context per recipient; the wording lives in
``templates/letter-<kind>.md.j2``. One template is compiled once and rendered
in a loop, so 705 letters take milliseconds, not seconds.

Rules kept here:
- historical contacts (the 2012 MEPs of the pack) and former MEPs are only
  written to when named with ``--contact``; an embassy is an institution, so a
  historical embassy record is still a default recipient (its address is checked);
- a head of state is never a historical office-holder by default: if the store only
  knows a past President, the user is told how to add the current one;
- a prisoner is written to by name, care of the campaign (no prison address is ever
  made up);
- an email address is used only if the contact has one (never guessed);
- the outreach log gets one row per draft written, in the same transaction as the files.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from campaign import countries, data_path, dates, names
from campaign.documents.citations import Citations
from campaign.errors import (
    CampaignError,
    InputError,
    NotFoundError,
    OutputError,
    UsageError,
)
from campaign.formats import BINARY, DocFormat
from campaign.store import Store

KINDS = ("mep", "embassy", "authority", "prisoner")
FORMATS = (DocFormat.md, DocFormat.txt, DocFormat.eml, DocFormat.docx, DocFormat.pdf)
EXTENSIONS = {"md": DocFormat.md, "markdown": DocFormat.md, "txt": DocFormat.txt,
              "text": DocFormat.txt, "eml": DocFormat.eml, "docx": DocFormat.docx,
              "pdf": DocFormat.pdf}
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


# -- the sender and the note -------------------------------------------------


@dataclass
class Sender:
    name: str
    address: str | None = None
    org: str | None = None
    email: str | None = None

    def context(self) -> dict[str, Any]:
        address_lines = [ln.strip() for ln in (self.address or "").splitlines() if ln.strip()]
        lines = [self.name, *([self.org] if self.org else []), *address_lines,
                 *([self.email] if self.email else [])]
        return {"name": self.name, "org": self.org, "address_lines": address_lines,
                "email": self.email, "lines": lines}


def sender_from(store: Store, name: str | None = None, address: str | None = None,
                org: str | None = None, email: str | None = None) -> Sender:
    """--sender and its options; without --sender, the saved profile (options override it)."""
    if name and name.strip():
        found = Sender(name.strip(), address, org, email)
    else:
        profile = store.profile()
        if not profile.get("name"):
            raise UsageError("no sender: give --sender NAME",
                             "or save your details once with `campaign profile set --name ... "
                             "--address ... --org ... --email ...`")
        found = Sender(profile["name"], address or profile.get("address"),
                       org or profile.get("org"), email or profile.get("email"))
    if found.email and ("@" not in found.email or " " in found.email.strip()):
        raise UsageError(f"'{found.email}' is not an email address", "check --sender-email")
    return found


def read_note(path: str | Path | None) -> str | None:
    """The sender's own paragraph (UTF-8 text); blank means none."""
    if path is None:
        return None
    p = Path(path).expanduser()
    try:
        text = p.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise InputError("no such file", path=str(path),
                         hint="check the path given to --note") from None
    except IsADirectoryError:
        raise InputError("is a directory, not a text file", path=str(path),
                         hint="give --note a text file") from None
    except UnicodeDecodeError as exc:
        line = p.read_bytes()[: exc.start].count(b"\n") + 1
        raise InputError("is not UTF-8 text", path=str(path), line=line,
                         hint="save the note as UTF-8") from None
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror})", path=str(path)) from None
    text = text.strip()
    return text or None


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


# -- facts ------------------------------------------------------------------


def _date_range(start: str, end: str | None) -> str:
    if not end or end == start:
        return dates.human(start)
    a, b = start.split("-"), end.split("-")
    if len(a) == len(b) == 3 and a[:2] == b[:2]:
        return f"{int(a[2])}–{dates.human(end)}"
    return f"{dates.human(start)} – {dates.human(end)}"


class _Cite:
    """'[1, 3]', numbered when the template prints it: a section a template leaves out
    cites nothing, so the source list holds exactly the sources the letter shows.
    The numbering is that of the letter being rendered (``book.current``), so the
    facts shared by every letter of a merge are built once."""

    __slots__ = ("_book", "_ids")

    def __init__(self, book: _Book, ids: Sequence[str]) -> None:
        self._book = book
        self._ids = tuple(ids)

    def __str__(self) -> str:
        return self._book.current.cite(self._ids)

    def __bool__(self) -> bool:
        return bool(self._ids)


class _Book:
    """The citations of the letter being rendered."""

    __slots__ = ("current",)

    def __init__(self, current: Citations) -> None:
        self.current = current


class _Sources:
    """The letter's source list, read when the template reaches it (after every cite)."""

    __slots__ = ("_cites",)

    def __init__(self, cites: Citations) -> None:
        self._cites = cites

    def __iter__(self) -> Any:
        return iter(self._cites.sources())

    def __len__(self) -> int:
        return self._cites.count()


@dataclass
class Facts:
    """What the store says, read once for a whole mail merge."""

    events: list[dict[str, Any]]
    figures: list[dict[str, Any]]
    all_events: list[dict[str, Any]]
    prisoners: list[dict[str, Any]]
    demands: list[dict[str, Any]]
    campaign: dict[str, Any]
    known_sources: dict[str, dict[str, Any]]
    as_of: dt.date


def default_demands(store: Store, to: str) -> list[dict[str, Any]]:
    """Those addressed to the letter's addressee; the release of the prisoners always first."""
    every = store.demands()
    gov = [d for d in every if (d.get("addressed_to") or "").casefold().startswith("government")]
    eu = [d for d in every if any(w in (d.get("addressed_to") or "").casefold()
                                  for w in ("european parliament", "eeas", "meps"))]
    if to == "mep":
        return gov[:1] + eu[:3]
    if to == "prisoner":
        return gov[:1]
    return gov[:4]


def gather_facts(store: Store, to: str, *, prisoners: Sequence[str] = (),
                 demand_ids: Sequence[str] = (), as_of: dt.date | None = None) -> Facts:
    from campaign.people import persons

    as_of = as_of or dates.today()
    every_event = [e for e in store.events(planned=False) if dates.start(e["date"]) <= as_of]
    figures = [f for f in store.figures() if f["subject"].casefold().startswith("deaths")]
    if prisoners and to != "prisoner":
        chosen = select_prisoners(store, prisoners, as_of)
    else:
        chosen = [p for p in persons(store, as_of) if p["status"] == "imprisoned"]
    demands = ([store.demand(d) for d in dict.fromkeys(demand_ids)] if demand_ids
               else default_demands(store, to))
    campaign_contact = next((c for c in store.contacts(kind="campaign") if c.get("url")), None)
    campaign = {"title": store.meta("title"), "url": store.meta("campaign_url"),
                "name": campaign_contact["name"] if campaign_contact else None}
    return Facts(
        events=[e for e in every_event if e["kind"] == "shooting"],
        figures=figures,
        all_events=every_event,
        prisoners=chosen,
        demands=demands,
        campaign=campaign,
        known_sources={s["id"]: s for s in store.sources()},
        as_of=as_of,
    )


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


# -- building each letter ----------------------------------------------------


@dataclass
class Letter:
    kind: str
    recipient: str           # the name the letter is addressed to
    contact_id: str | None   # None for a prisoner (not a contact)
    email: str | None
    subject: str
    markdown: str
    digest: str
    # What the dry run shows: recipient, salutation, closing and the sources cited.
    context: dict[str, Any] = field(repr=False)
    # The user's template directory it was rendered with: its letters.typ, if any,
    # typesets the PDF too.
    templates: str | None = None


def template_name(to: str, lang: str, user_dir: str | Path | None) -> str:
    """letter-<kind>.<lang>.md.j2 if there is one, else letter-<kind>.md.j2."""
    from campaign.documents.templates import find

    specific = f"letter-{to}.{lang}.md.j2"
    return specific if find(specific, user_dir) else f"letter-{to}.md.j2"


def _group_facts(facts: Facts, group: str | None) -> list[dict[str, Any]]:
    labels = group_labels(group)
    if not labels:
        return []
    return [e for e in facts.all_events if group_labels(e["title"]) & labels][:2]


def _shared(facts: Facts, book: _Book) -> dict[str, list[dict[str, Any]]]:
    """The facts every letter of the merge shows, built once."""
    return {
        "events": [{"title": e["title"], "place": e.get("place"), "date": e["date"],
                    "date_text": _date_range(e["date"], e.get("end_date")),
                    "cite": _Cite(book, e["sources"])} for e in facts.events],
        "figures": [{"qualifier": f["qualifier"], "number": f"{f['number']:,}",
                     "subject": f["subject"], "according_to": f["according_to"],
                     "cite": _Cite(book, f["sources"])} for f in facts.figures],
        "prisoners": [{"id": p["id"], "name": p["name"], "description": p.get("description"),
                       "status": p["status"], "status_text": p["status_text"],
                       "cite": _Cite(book, p["sources"])} for p in facts.prisoners],
        "demands": [{"id": d["id"], "text": d["text"], "addressed_to": d.get("addressed_to"),
                     "cite": _Cite(book, d["sources"])} for d in facts.demands],
    }


def _context(to: str, who: dict[str, Any], facts: Facts, shared: dict[str, Any], book: _Book,
             *, sender: dict[str, Any], note: str | None, medium: str, today: dt.date,
             address: list[str], by_group: dict[str | None, list[dict[str, Any]]]
             ) -> dict[str, Any]:
    cites = book.current.restart()  # each letter numbers its own sources from [1]
    book.current = cites
    salute = salutation(who, to)
    recipient: dict[str, Any] = {
        "name": who["name"], "display_name": address[0] if to != "mep"
        else address[0].removesuffix(" MEP"), "address_lines": address, "kind": to,
        "country": countries.english(who.get("country")), "group": who.get("group"),
        "group_labels": sorted(group_labels(who.get("group"))), "party": who.get("party"),
        "role": who.get("role"), "email": who.get("email"),
    }
    group = who.get("group") if to == "mep" else None
    group_facts = by_group.get(group)
    if group_facts is None:  # once per group: the MEPs of a group share theirs
        group_facts = by_group[group] = [
            {"title": e["title"], "date": e["date"],
             "date_text": _date_range(e["date"], e.get("end_date")),
             "cite": _Cite(book, e["sources"])}
            for e in (_group_facts(facts, group) if to == "mep" else [])]
    case = None
    prisoners = shared["prisoners"]
    if to == "prisoner":
        case = {"name": who["name"], "description": who.get("description"),
                "status": who["status"], "status_text": who["status_text"],
                "cite": _Cite(book, who["sources"])}
        prisoners = [p for p in prisoners if p["id"] != who["id"]]
    today_iso = today.isoformat()
    return {
        "kind": to, "medium": medium, "date": today_iso, "date_text": dates.human(today_iso),
        "as_of": facts.as_of.isoformat(), "as_of_text": dates.human(facts.as_of.isoformat()),
        "recipient": recipient, "salutation": salute, "closing": closing(salute),
        "sender": sender, "note": note, "group_facts": group_facts, "case": case,
        "events": shared["events"], "figures": shared["figures"], "prisoners": prisoners,
        "demands": shared["demands"], "campaign": facts.campaign, "sources": _Sources(cites),
    }


def _split_subject(text: str) -> tuple[str, str]:
    """A template's first line 'Subject: …' is the email subject and the document title."""
    first, _, rest = text.lstrip("\n").partition("\n")
    if first.startswith("Subject:"):
        return first.removeprefix("Subject:").strip(), rest.lstrip("\n")
    return "Letter", text


def prepare(store: Store, to: str, *, sender: Sender, countries_: Sequence[str] = (),
            groups: Sequence[str] = (), contacts: Sequence[str] = (),
            prisoners: Sequence[str] = (), demand_ids: Sequence[str] = (),
            note: str | None = None, lang: str = "en", fmt: DocFormat = DocFormat.md,
            user_dir: str | Path | None = None, as_of: dt.date | None = None,
            today: dt.date | None = None,
            progress: Callable[[int], None] | None = None) -> list[Letter]:
    """Every letter's Markdown, checked and rendered; nothing is written."""
    from campaign.documents.templates import renderer
    from campaign.outreach import digest

    if to not in KINDS:
        raise UsageError(f"cannot write letters to '{to}'", "use --to " + "|".join(KINDS))
    today = today or dates.today()
    if to == "prisoner":
        if not prisoners:
            raise UsageError("--to prisoner needs --prisoner NAME",
                             "see `campaign prisoners list` for the names")
        if countries_ or groups or contacts:
            raise UsageError("--country, --group and --contact select contacts, not prisoners",
                             "name the prisoner with --prisoner NAME")
        recipients = select_prisoners(store, prisoners, as_of)
    else:
        recipients = select_contacts(store, to, countries_=countries_, groups=groups,
                                     contacts=contacts)
    facts = gather_facts(store, to, prisoners=prisoners, demand_ids=demand_ids, as_of=as_of)
    addresses: list[list[str]] = []
    for who in recipients:
        if to == "prisoner":
            care_of = facts.campaign.get("name") or sender.org or sender.name
            url = facts.campaign.get("url")
            addresses.append([who["name"], f"c/o {care_of}" + (f" ({url})" if url else "")])
            continue
        address = recipient_address(who, to)
        if address is None and not (fmt is DocFormat.eml and who.get("email")):
            raise missing_address(who, to, fmt)
        addresses.append(address or [display_name(who)])
    render = renderer(template_name(to, lang, user_dir), user_dir)
    medium = "email" if fmt is DocFormat.eml else "letter"
    book = _Book(Citations(known=facts.known_sources))
    shared = _shared(facts, book)
    sender_ctx = sender.context()
    letters = []
    by_group: dict[str | None, list[dict[str, Any]]] = {}
    for n, (who, address) in enumerate(zip(recipients, addresses, strict=True), start=1):
        ctx = _context(to, who, facts, shared, book, sender=sender_ctx, note=note,
                       medium=medium, today=today, address=address, by_group=by_group)
        subject, body = _split_subject(render(ctx))
        letters.append(Letter(
            kind=to, recipient=ctx["recipient"]["display_name"],
            contact_id=None if to == "prisoner" else who["id"],
            email=who.get("email") if to != "prisoner" else None, subject=subject,
            markdown=body, digest=digest(body.replace(ctx["date_text"], "", 1)),
            context={"recipient": ctx["recipient"], "salutation": ctx["salutation"],
                     "closing": ctx["closing"], "sources": list(ctx["sources"])},
            templates=str(user_dir) if user_dir else None))
        if progress:
            progress(n)
    return letters


# -- output -----------------------------------------------------------------


@dataclass
class Plan:
    """Where the letters go: a directory (a file each), one combined file, or stdout."""

    fmt: DocFormat
    directory: Path | None = None
    file: Path | None = None

    @property
    def target(self) -> str:
        if self.directory:
            return f"{self.directory}{os.sep}"
        return str(self.file) if self.file else "stdout"


def plan_output(output: str | None, fmt: DocFormat | None, count: int) -> Plan:
    if fmt is not None and fmt not in FORMATS:
        raise UsageError(f"letters cannot be written as {fmt.value}",
                         "use one of: " + ", ".join(f.value for f in FORMATS))
    if output is None:
        fmt = fmt or DocFormat.md
        if fmt in BINARY:
            raise UsageError(f"{fmt.value} is a binary format",
                             f"give a directory or a file with -o (e.g. -o letters/ or "
                             f"-o letters.{fmt.value})")
        if fmt is DocFormat.eml and count > 1:
            raise UsageError("eml writes one draft per letter", "give a directory: -o letters/")
        return Plan(fmt)
    path = Path(output).expanduser()
    ext = path.suffix.lower().lstrip(".")
    if path.is_dir():
        directory = True
    elif output.endswith(("/", os.sep)) or ext not in EXTENSIONS:
        if path.exists():
            raise OutputError(f"{path} is a file, not a directory",
                              "give -o a directory (letters/) or a file name ending in "
                              ".md, .txt, .eml, .docx or .pdf")
        directory = True
    else:
        directory = False
    if directory:
        parent = path.parent if str(path.parent) else Path(".")
        if not path.exists() and not parent.is_dir():
            raise OutputError(f"cannot create {path}: {parent} does not exist",
                              "create the parent directory first")
        return Plan(fmt or DocFormat.md, directory=path)
    implied = EXTENSIONS[ext]
    if fmt is not None and fmt is not implied:
        raise UsageError(f"-o {output} is a .{ext} file but --format is {fmt.value}",
                         "make them agree, or give a directory with -o DIR/")
    if implied is DocFormat.eml and count > 1:
        raise UsageError("eml writes one draft per letter", "give a directory: -o letters/")
    from campaign.files import check_writable_dir

    check_writable_dir(path.parent if str(path.parent) else Path("."))
    return Plan(implied, file=path)


def file_names(letters: Sequence[Letter], fmt: DocFormat) -> list[str]:
    """'001-lynn-boylan.md': numbered (so unique), readable, no path parts."""
    width = max(3, len(str(len(letters))))
    out = []
    for n, letter in enumerate(letters, start=1):
        stem = names.slug(letter.recipient)[:60].strip("-") or "letter"
        out.append(f"{n:0{width}d}-{stem}.{fmt.value}")
    return out


_ITEM = re.compile(r"^(?:([-*+])|(\d{1,3})[.)])\s+")
_RULE = re.compile(r"^(?:(?:-\s*){3,}|(?:\*\s*){3,}|(?:_\s*){3,})$")


def _runs(text: str) -> list[dict[str, Any]]:
    parts = text.replace("\\*", "*").split("**")
    if len(parts) % 2 == 0:  # an unmatched '**' is text
        parts[-2:] = [parts[-2] + "**" + parts[-1]]
    return [{"t": t, "b": bool(i % 2)} for i, t in enumerate(parts) if t]


def _lines(raw: list[str]) -> list[list[dict[str, Any]]]:
    """Hard breaks (two trailing spaces or a backslash) start a line; soft ones are spaces."""
    out: list[str] = [""]
    for line in raw:
        hard = line.endswith(("  ", "\\"))
        text = line.rstrip().removesuffix("\\").rstrip() if hard else line.strip()
        out[-1] = f"{out[-1]} {text}".strip() if out[-1] else text.strip()
        if hard:
            out.append("")
    if len(out) > 1 and not out[-1]:
        out.pop()
    return [_runs(x) for x in out]


def letter_blocks(markdown: str, cache: dict[tuple[str, bool], list[dict[str, Any]]] | None = None
                  ) -> list[dict[str, Any]]:
    """A letter's Markdown as plain blocks for templates/letters.typ.

    Letters use a small part of Markdown (paragraphs, hard line breaks, **bold**,
    bullet and numbered lists, a rule before the sources), and a real Markdown parse
    costs ~2 ms a letter, so this reads that part line by line: 705 letters in
    milliseconds. What follows the first rule (the sources) is marked small.
    A chunk between blank lines is read on its own, so a merge can pass a
    ``cache`` and read each paragraph its letters share once; the blocks in it
    are then shared between letters, to be read, not changed.
    """
    blocks: list[dict[str, Any]] = []
    small = False
    for chunk in re.split(r"\n[ \t]*\n", markdown.strip("\n")):
        found = cache.get((chunk, small)) if cache is not None else None
        if found is None:
            found = _chunk_blocks(chunk, small)
            if cache is not None:
                cache[(chunk, small)] = found
        blocks += found
        small = small or any(b["kind"] == "rule" for b in found)
    return blocks


def _chunk_blocks(chunk: str, small: bool) -> list[dict[str, Any]]:
    rows = [r for r in chunk.split("\n") if r.strip()]
    if not rows:
        return []
    if len(rows) == 1 and _RULE.match(rows[0].strip()):
        return [{"kind": "rule", "marker": "", "small": small, "lines": []}]
    if _ITEM.match(rows[0].lstrip()):
        items: list[tuple[str, list[str]]] = []
        for row in rows:
            m = _ITEM.match(row.lstrip())
            if m:
                marker = "•" if m.group(1) else f"{m.group(2)}."
                items.append((marker, [row.lstrip()[m.end():]]))
            else:
                items[-1][1].append(row)
        return [{"kind": "item", "marker": mk, "small": small, "lines": _lines(raw)}
                for mk, raw in items]
    return [{"kind": "para", "marker": "", "small": small, "lines": _lines(rows)}]


PDF_PART = 120  # letters per Typst run when a merge is typeset in parts (~125 MB each)


def _pdf(letters: Sequence[Letter]) -> bytes:
    """The letters as one PDF, a page (at least) each.

    Up to PDF_PART letters take one Typst run in this process; a bigger merge is
    typeset in parts, each in a child process that gives its memory back
    (``parts_to_pdf``), so memory stays flat however many letters there are.
    """
    from campaign.formats.pdf import context_to_pdf, parts_to_pdf

    shared: dict[tuple[str, bool], list[dict[str, Any]]] = {}
    data = [{"title": ltr.subject, "blocks": letter_blocks(ltr.markdown, shared)}
            for ltr in letters]
    user_dir = letters[0].templates
    if len(data) <= PDF_PART:
        return bytes(context_to_pdf("letters.typ", {"letters": data}, user_dir))
    # As many parts as PDF_PART needs, evenly filled: 705 letters make 6 parts of
    # 117 or 118, not 5 of 120 and one of 105 (or, by 100, a last part of 5 that
    # kept a core idle at the end).
    n = len(data)
    count = -(-n // PDF_PART)
    parts = [{"letters": data[i * n // count:(i + 1) * n // count]} for i in range(count)]
    return parts_to_pdf("letters.typ", parts, user_dir, title=letters[0].subject)


def encode_one(letter: Letter, fmt: DocFormat, sender: Sender | None = None) -> bytes:
    from campaign.documents.output import convert

    if fmt is DocFormat.eml:
        from campaign.formats.eml import to_eml
        from campaign.formats.text import to_text

        return to_eml(to_text(letter.markdown), subject=letter.subject,
                      to_name=letter.recipient, to_email=letter.email,
                      from_name=sender.name if sender else None,
                      from_email=sender.email if sender else None)
    if fmt is DocFormat.pdf:
        return _pdf([letter])
    return convert(letter.markdown, fmt, title=letter.subject)


def encode_combined(letters: Sequence[Letter], fmt: DocFormat,
                    sender: Sender | None = None) -> bytes:
    """All letters in one document: a page each in PDF, rules between them in text."""
    if len(letters) == 1 or fmt is DocFormat.eml:
        return encode_one(letters[0], fmt, sender)
    if fmt is DocFormat.pdf:
        return _pdf(letters)
    if fmt is DocFormat.txt:
        from campaign.formats.text import to_text

        rule = "\n" + "=" * 72 + "\n\n"
        return rule.join(to_text(ltr.markdown) for ltr in letters).encode("utf-8")
    from campaign.documents.output import convert

    joined = "\n\n* * *\n\n".join(ltr.markdown.rstrip() for ltr in letters) + "\n"
    return convert(joined, fmt, title=letters[0].subject)


@dataclass
class Result:
    written: list[Letter]
    skipped: list[Letter]
    paths: list[Path]
    logged: int


def duplicates(store: Store, letters: Sequence[Letter]) -> set[tuple[str, str]]:
    from campaign.outreach import already_drafted

    return already_drafted(store, ((ltr.contact_id, ltr.digest) for ltr in letters
                                   if ltr.contact_id))


def commit(store: Store, letters: Sequence[Letter], plan: Plan, *, sender: Sender | None = None,
           force: bool = False, progress: Callable[[int], None] | None = None) -> Result:
    """Write the files and log them, all or nothing. Letters already drafted (same text to
    the same contact) are skipped unless ``force``."""
    from campaign.files import write_atomic, write_directory
    from campaign.outreach import record

    if plan.directory is None and plan.file is None:
        raise UsageError("commit needs a directory or a file")
    dup = set() if force else duplicates(store, letters)
    skipped = [ltr for ltr in letters if (ltr.contact_id, ltr.digest) in dup]
    todo = [ltr for ltr in letters if (ltr.contact_id, ltr.digest) not in dup]
    if not todo:
        return Result([], skipped, [], 0)
    files: dict[str, bytes] = {}
    combined = b""
    entries = []
    if plan.directory is not None:
        for n, (ltr, fname) in enumerate(zip(todo, file_names(todo, plan.fmt), strict=True),
                                         start=1):
            files[fname] = encode_one(ltr, plan.fmt, sender)
            if ltr.contact_id:
                entries.append({"contact_id": ltr.contact_id, "document": f"letter-{ltr.kind}",
                                "digest": ltr.digest, "path": str(plan.directory / fname)})
            if progress:
                progress(n)
        paths = [plan.directory / fname for fname in files]
    else:
        assert plan.file is not None
        combined = encode_combined(todo, plan.fmt, sender)
        entries = [{"contact_id": ltr.contact_id, "document": f"letter-{ltr.kind}",
                    "digest": ltr.digest, "path": str(plan.file)}
                   for ltr in todo if ltr.contact_id]
        paths = [plan.file]
        if progress:
            progress(len(todo))
    # The log and the files together: a failed write rolls the log back.
    with store.transaction():
        record(store, entries)
        if plan.directory is not None:
            write_directory(plan.directory, files)
        elif plan.file is not None:
            write_atomic(plan.file, combined)
    return Result(todo, skipped, paths, len(entries))


def mail_merge(store: Store, to: str, output: str | None, *, sender: Sender,
               fmt: DocFormat | None = None, force: bool = False,
               **selection: Any) -> Result | bytes:
    """The whole merge as a library call: letters to files (logged), or the text for stdout."""
    plan_fmt = fmt
    if output and fmt is None:
        ext = Path(output).suffix.lower().lstrip(".")
        plan_fmt = EXTENSIONS.get(ext)
    letters = prepare(store, to, sender=sender, fmt=plan_fmt or DocFormat.md, **selection)
    plan = plan_output(output, fmt, len(letters))
    if plan.directory is None and plan.file is None:
        return encode_combined(letters, plan.fmt, sender)
    return commit(store, letters, plan, sender=sender, force=force)


def who_gets_what(store: Store, letters: Iterable[Letter], plan: Plan) -> list[dict[str, Any]]:
    """The dry run's table: recipient, address, email, file, and whether it is new."""
    letters = list(letters)
    dup = duplicates(store, letters)
    fnames = (file_names(letters, plan.fmt) if plan.directory is not None
              else [plan.target] * len(letters))
    return [{
        "n": n, "recipient": ltr.recipient, "kind": ltr.kind,
        "address": ", ".join(ltr.context["recipient"]["address_lines"][1:]),
        "email": ltr.email or "", "salutation": ltr.context["salutation"],
        "file": (str(plan.directory / f) if plan.directory is not None else f),
        "state": "already drafted" if (ltr.contact_id, ltr.digest) in dup else "new",
    } for n, (ltr, f) in enumerate(zip(letters, fnames, strict=True), start=1)]
