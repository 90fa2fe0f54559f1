"""How each letter is written: the sender, the note, the context a template reads,
and the rendered Markdown of every letter."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from campaign import countries, dates
from campaign.contacts import drop_no_contact
from campaign.documents.citations import Citations
from campaign.documents.letters.facts import (
    Facts,
    RelevanceHook,
    _Book,
    _Cite,
    _date_range,
    _Sources,
    ask_of,
    case_history,
    clause,
    gather_facts,
    last_report,
    memberships,
    publication,
    relevance,
    requests,
    role_hook,
    sentence,
)
from campaign.documents.letters.recipients import (
    KIND_PLURAL,
    KIND_WORD,
    KINDS,
    check_person,
    closing,
    display_name,
    group_labels,
    group_phrase,
    held,
    historical_note,
    is_ambassador,
    is_head_of_state,
    is_past,
    missing_address,
    person_address,
    recipient_address,
    salutation,
    select_contacts,
    select_prisoners,
)
from campaign.documents.letters.voices import (
    deal,
    envoy_asks,
    mep_asks,
    pick,
    sender_key,
    versions,
)
from campaign.errors import (
    InputError,
    LanguageError,
    TemplateError,
    UsageError,
)
from campaign.formats import DocFormat
from campaign.store import Store

# -- the sender and the note -------------------------------------------------


@dataclass
class Sender:
    name: str
    address: str | None = None
    org: str | None = None
    email: str | None = None
    # One or two sentences about the sender or their branch (`profile set --about`),
    # and their country (`profile set --country`): the letter's "who I am".
    about: str | None = None
    country: str | None = None

    def context(self) -> dict[str, Any]:
        address_lines = [ln.strip() for ln in (self.address or "").splitlines() if ln.strip()]
        lines = [self.name, *([self.org] if self.org else []), *address_lines,
                 *([self.email] if self.email else [])]
        about = (self.about or "").strip()
        if about and about[-1] not in ".!?":
            about += "."
        return {"name": self.name, "org": self.org, "address_lines": address_lines,
                "email": self.email, "lines": lines, "about": about or None,
                "country": countries.english(self.country) if self.country else None}

    def anonymous(self) -> bool:
        """Nothing says who the sender is beyond their name: the letter can say only
        the name and the country, and the command suggests `profile set --about`."""
        return not self.org and not (self.about or "").strip()


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff]")
_FIELDS = ("name", "given_name", "family_name", "postal_address", "salutation", "role",
           "email", "group", "description")


def check_text(value: str | None, what: str, *, lines: bool = False) -> None:
    """A name or address with a control character (a NUL, a bell, a carriage return
    in a name) breaks Word files and mail headers: refused in one line naming the
    record, before anything is written. ``lines``: newlines (and tabs) are allowed."""
    if not value:
        return
    found = _CONTROL.search(value.replace("\n", " ").replace("\t", " ") if lines else value)
    if found:
        raise InputError(f"{what} contains a control character (U+{ord(found.group(0)):04X}) "
                         "that no letter can carry",
                         hint="correct the record (or the option) and run again")


def clean_record(record: dict[str, Any], kind: str) -> tuple[dict[str, Any], list[str]]:
    """A recipient's record with any control character (a NUL, a bell, an escape) in its
    names and address shown as a visible "?", and one warning line naming the record:
    a stray character in one record never stops a merge, nor reaches a Word file or a
    mail header."""
    who = record.get("id") or record.get("name")
    clean = dict(record)
    said = []
    for key in _FIELDS:
        value = record.get(key)
        if not isinstance(value, str):
            continue
        lines = key in ("postal_address", "description")
        probe = value.replace("\n", " ").replace("\t", " ") if lines else value
        found = _CONTROL.search(probe) or (None if lines else re.search(r"[\n\t]", value))
        if found:
            keep = "\n\t" if lines else ""
            clean[key] = "".join("?" if (_CONTROL.match(ch) or ch in "\n\t") and ch not in keep
                                 else ch for ch in value)
            said.append(f"the {kind} record '{who}' ({key.replace('_', ' ')}) holds a control "
                        f"character (U+{ord(found.group(0)):04X}), shown as '?' in the letter; "
                        "correct the record")
    return clean, said


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
    profile = store.profile()
    if found.about is None and (not name or name.strip() == profile.get("name")):
        found.about = profile.get("about")  # the saved sender's own words, not another's
    found.country = found.country or profile.get("country")
    for label, value in (("--sender", found.name), ("--sender-org", found.org),
                         ("--sender-email", found.email)):
        check_text(value, label)
    check_text(found.address, "--sender-address", lines=True)
    if found.email:
        from campaign.emails import check_email

        try:  # the From of every draft: one plain address, never a list
            check_email(found.email)
        except ValueError as exc:
            if email:
                raise UsageError(f"--sender-email: {exc}") from None
            raise UsageError(f"the saved profile's email: {exc}",
                             "correct it with `campaign profile set --email ...`") from None
    return found


NOTE_LIMIT = 64 * 1024  # bytes: a paragraph or a page, not a book


def read_note(path: str | Path | None) -> str | None:
    """The sender's own paragraph: a regular UTF-8 text file of at most 64 KB (read by
    files.read_input, the one reader of input files); blank means none. Checked before
    anything is written, so a bad note changes nothing."""
    from campaign.files import read_input

    if path is None:
        return None
    text = read_input(Path(path).expanduser(), limit_bytes=NOTE_LIMIT, what="note")
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()  # a Windows note too
    check_text(text, f"the note {path}", lines=True)
    return text or None


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
    # What the user should know about the merge (historical contacts, missing
    # addresses, a released prisoner): on the first letter, shown once.
    warnings: list[str] = field(default_factory=list)
    # A letter to a person (prisoner or family): their id, for the outreach log.
    person_id: str | None = None
    # An English rendering of a letter in another language, for the sender's records:
    # written as a file beside it, never logged, never sent.
    record_only: bool = False
    # On the first letter: what the merge says of recipients other members of a
    # coalition wrote to lately ("Barry Andrews: written to by 3 members ..."), as of
    # the cases the letters take up.
    coalition: list[str] = field(default_factory=list)
    # How the merge dealt its cases (letters to officials), so the transaction that
    # logs the letters can deal them again (Dealing.again).
    dealing: Dealing | None = field(default=None, repr=False, compare=False)
    # A letter to an official: its text as the similarity report compares it
    # (similarity.letter_text) and the sketch the log keeps of it (letters.memory),
    # worked out as it is rendered, in whichever process renders it.
    compared: tuple[str, ...] | None = field(default=None, repr=False, compare=False)
    sketch: str | None = field(default=None, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (by the forked copy that renders half a merge, campaign.parallel)
        without its dealing: that holds the closures of the process that rendered it,
        and the merge gives it back."""
        return {**self.__dict__, "dealing": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Taken in from the forked copy: its compared paragraphs become this process's
        one copy of each, as its own letters' are (a long --note is then held once, not
        once a letter)."""
        if state.get("compared") is not None:
            from campaign.documents.letters.similarity import one_copy

            state = {**state, "compared": one_copy(state["compared"])}
        self.__dict__.update(state)


@dataclass(eq=False)
class Dealing:
    """The cases of one merge's letters to officials, as dealt when they were rendered,
    and how to deal and render them again.

    Cases for a new (member, recipient) pair are chosen inside the write transaction
    that logs the letters (issue 22): a letter is rendered first, outside any
    transaction, with the cases other members had raised by then; the commit's
    transaction, which holds the one writers' lock (``BEGIN IMMEDIATE``: SQLite's write
    lock, PostgreSQL's advisory lock, engine.WRITE_LOCK), reads them again and, if
    another member logged letters to the same recipients meanwhile, deals again by the
    same rule and renders again the letters whose case changed. So two members
    drafting at once do not pick the same case. Rendering has no effect outside the
    store, so the transaction may be run again."""

    ids: list[str]                          # the recipients' contact ids, in dealing order
    days: int                               # --recent-days
    seen: dict[str, dict[str, list[str]]]   # raised_by_others when rendered
    cases: dict[str, str | None]            # contact id -> the case its letter took up
    deal: Callable[[dict[str, dict[str, list[str]]]], list[dict[str, Any] | None]]
    render: Callable[[str, dict[str, Any] | None], Letter]
    lines: Callable[[dict[str, dict[str, list[str]]]], list[str]]

    def again(self, store: Store, letters: Sequence[Letter]) -> list[Letter] | None:
        """``letters`` as they are to be logged now: None when no other member logged a
        letter to these recipients since they were rendered; else the same letters, those
        whose case is now dealt otherwise rendered again, and the first one's coalition
        lines as of now."""
        from dataclasses import replace

        from campaign.coalition import raised_by_others

        now = raised_by_others(store, self.ids, self.days)
        if now == self.seen:
            return None
        dealt = dict(zip(self.ids, self.deal(now), strict=True))
        out = []
        for ltr in letters:
            cid = ltr.contact_id
            if ltr.dealing is self and cid in dealt:
                person = dealt[cid]
                if (person or {}).get("id") != self.cases[cid]:
                    ltr = self.render(cid, person)
            out.append(ltr)
        said = self.lines(now)  # on the first of these letters, once
        for n, ltr in enumerate(out):
            if ltr.dealing is self:
                if ltr.coalition != said:
                    out[n] = replace(ltr, coalition=said)
                said = []
        return out


LANGUAGES = {"en": "English", "ru": "Russian"}
# Prisoner-support groups advise short letters: a censor reads every one.
PRISONER_LETTER_MAX = 2400


def languages(to: str, user_dir: str | Path | None = None) -> list[str]:
    """The languages a kind of letter exists in: English, and every
    letter-<kind>.<lang>.md.j2 (built in or the user's)."""
    from campaign.documents.templates import available

    found = {"en"}
    prefix = f"letter-{to}."
    for t in available(user_dir):
        name = t["name"]
        if name.startswith(prefix) and name.endswith(".md.j2"):
            lang = name[len(prefix):-len(".md.j2")]
            if lang and "." not in lang:
                found.add(lang)
    return sorted(found)


def template_name(to: str, lang: str, user_dir: str | Path | None) -> str:
    """letter-<kind>.<lang>.md.j2 (English: letter-<kind>.md.j2); a language with no
    template is an error that lists the languages there are."""
    from campaign.documents.templates import find

    if lang == "en":
        specific = f"letter-{to}.en.md.j2"
        return specific if find(specific, user_dir) else f"letter-{to}.md.j2"
    specific = f"letter-{to}.{lang}.md.j2"
    if find(specific, user_dir):
        return specific
    have = languages(to, user_dir)
    raise LanguageError(
        f"letters to {KIND_PLURAL.get(to, to)} are not written in '{lang}'",
        "available: " + ", ".join(f"{code} ({LANGUAGES.get(code, code)})" for code in have))


_RU_MONTHS = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
              "сентября", "октября", "ноября", "декабря")


def date_in(day: dt.date, lang: str) -> str:
    """The letter's date as its language writes it: '1 December 2026', '1 декабря 2026 г.'."""
    if lang == "ru":
        return f"{day.day} {_RU_MONTHS[day.month - 1]} {day.year} г."
    return dates.human(day.isoformat())


def _shared(facts: Facts, book: _Book, to: str) -> dict[str, Any]:
    """The facts every letter of the merge shows (the story, the demands), built once
    per merge, not per recipient."""
    return {
        "events": [{"title": e["title"], "place": e.get("place"), "date": e["date"],
                    "date_text": _date_range(e["date"], e.get("end_date")),
                    "sentence": sentence(e), "cite": _Cite(book, e["sources"])}
                   for e in facts.events],
        "figures": [{"qualifier": f["qualifier"], "number": f"{f['number']:,}",
                     "subject": f["subject"], "according_to": f["according_to"],
                     "cite": _Cite(book, f["sources"])} for f in facts.figures],
        "prisoners": [{"id": p["id"], "name": p["name"], "description": p.get("description"),
                       "status": p["status"], "status_text": p["status_text"],
                       "cite": _Cite(book, p["sources"])}
                      for p in facts.prisoners if p["status"] == "imprisoned"],
        "demands": [{"id": d["id"], "text": d["text"], "addressed_to": d.get("addressed_to"),
                     "cite": _Cite(book, d["sources"])} for d in facts.demands],
        "requests": requests(facts.demands, to, book),
        "story": _story(facts, book),
        "standing": [{"id": d["id"], "ask": ask_of(d), "addressed_to": d.get("addressed_to"),
                      "cite": _Cite(book, d["sources"])} for d in facts.demands],
    }


def _case(person: dict[str, Any], book: _Book,
          published: Callable[[Sequence[str]], str | None] | None = None) -> dict[str, Any]:
    when = person.get("status_date")
    said = dates.human(when)
    on = f"on {said}" if when and len(when) == 10 else f"in {said}"
    report = last_report(person, published)
    return {"id": person["id"], "name": person["name"],
            "description": describe(person.get("description")), "status": person["status"],
            "status_text": person["status_text"],
            "reported": case_history(person, published) or (
                f"was reported {person['status']} {on}" if when else "is named by the campaign"),
            "last_report": dates.month_year(report) if report else None,
            "cite": _Cite(book, person["sources"])}


def describe(text: str | None) -> str | None:
    """A record's description as a phrase: 'Alga party member and social activist', never
    the record's own 'member; social activist' with its semicolon."""
    if not text:
        return text
    parts = [p.strip() for p in text.split(";") if p.strip()]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


_DOCUMENT_WORDS = re.compile(r"\b(statement|motion|report|resolution|call|article)\b", re.I)


@functools.lru_cache(maxsize=1024)  # the same few sources, in every letter of a merge
def according(source: str) -> str:
    """Who a figure is according to, with the article a document needs: 'the GUE/NGL
    press statement', but 'official reports' and 'independent sources' as they are."""
    text = source.strip()
    if _DOCUMENT_WORDS.search(text) and not re.match(r"(the|a|an|your)\b", text, re.I):
        return "the " + text
    return text


_NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight",
                 "nine", "ten")


def number_words(n: int) -> str:
    """One style of numbers in a letter's prose: words up to ten, digits above."""
    return _NUMBER_WORDS[n] if 0 <= n < len(_NUMBER_WORDS) else f"{n:,}"


def _story(facts: Facts, book: _Book) -> dict[str, Any]:
    """What happened, in parts a template writes as two to four sentences: the strike,
    the shootings and the disputed death toll (each figure with its qualifier and its
    source), those who died in custody, and what became of those imprisoned. Only
    events on the subject (facts.on_subject); built once for a whole merge."""
    published = publication(facts.known_sources)
    told = facts.story_events()

    def event(kind: str) -> dict[str, Any] | None:
        found = [e for e in told if e["kind"] == kind]
        if not found:
            return None
        e = found[-1] if kind == "shooting" else found[0]
        return {"clause": clause(e), "sentence": sentence(e), "summary": e.get("summary"),
                "date_text": _date_range(e["date"], e.get("end_date")),
                "month": dates.month_year(e["date"]), "place": e.get("place"),
                "cite": _Cite(book, e["sources"])}

    toll = [{"number": f"{f['qualifier'] + ' ' if f['qualifier'] else ''}{f['number']:,}",
             "by": according(f["according_to"]), "according_to": f["according_to"],
             "cite": _Cite(book, f["sources"])} for f in facts.figures]
    dead = [{"name": p["name"], "description": describe(p.get("description")),
             "summary": (p.get("status_summary") or "died"),
             "reported": dates.month_year(last_report(p, published) or p["status_date"]),
             "cite": _Cite(book, p.get("status_sources") or p["sources"])}
            for p in facts.dead]
    held = [p for p in facts.prisoners if p["status"] in ("imprisoned", "on trial")]
    waiting = [p for p in facts.prisoners if p["status"] == "detained"]
    latest = max((last_report(p, published) or "" for p in held), default="",
                 key=dates.sort_key) if held else ""
    leaders = [p["name"] for p in held if p.get("role") == "strike leader"]
    imprisoned = {
        "count": number_words(len(held)), "n": len(held),
        "month": dates.month_year(latest) if latest else None,
        "leaders": leaders[:3], "leaders_text": _join(leaders[:3]),
        "cite": _Cite(book, list(dict.fromkeys(
            s for p in held for s in (p.get("status_sources") or [])))),
        "detained": number_words(len(waiting)), "detained_n": len(waiting),
        "detained_month": dates.month_year(max(
            (last_report(p, published) or "" for p in waiting), key=dates.sort_key))
        if waiting else None,
    } if held or waiting else None
    return {"strike": event("strike"), "shootings": event("shooting"), "toll": toll,
            "dead": dead, "imprisoned": imprisoned}


def _join(names: Sequence[str]) -> str:
    if len(names) < 2:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _opening(who: dict[str, Any]) -> str:
    """'As one of Ireland's MEPs and a member of the Renew Europe group': the recipient's
    seat, from the reader's side (a non-attached member is in no group)."""
    country = countries.english(who.get("country"))
    seat = f"As one of {country}'s MEPs" if country else "As a Member of the European Parliament"
    group = group_phrase(who.get("group"))
    return f"{seat} and a member of {group}" if group else seat


def _cyrillic(text: str) -> bool:
    return any("\u0400" <= ch <= "\u04ff" for ch in text)


_TO_CYRILLIC = (("shch", "щ"), ("zh", "ж"), ("kh", "х"), ("ts", "ц"), ("ch", "ч"),
                ("sh", "ш"), ("yu", "ю"), ("ya", "я"), ("a", "а"), ("b", "б"), ("v", "в"),
                ("g", "г"), ("d", "д"), ("e", "е"), ("z", "з"), ("i", "и"), ("k", "к"),
                ("l", "л"), ("m", "м"), ("n", "н"), ("o", "о"), ("p", "п"), ("r", "р"),
                ("s", "с"), ("t", "т"), ("u", "у"), ("f", "ф"), ("y", "ы"), ("h", "х"))
_VOWELS = "аеиоуыэюяё"


def to_cyrillic(name: str) -> str | None:
    """A romanised Russian or Kazakh name back in Cyrillic ('Roza Tuletaeva' -> 'Роза
    Тулетаева'), or None when it cannot be done faithfully: the result must be the very
    name the store's own matching already takes it for (names.normalise), so no new
    spelling is made up."""
    from campaign.names import normalise

    out = []
    for word in name.split():
        low, cyr, i = word.casefold(), "", 0
        while i < len(low):
            for latin, letter in _TO_CYRILLIC:
                if low.startswith(latin, i):
                    if letter == "и" and cyr and cyr[-1] in _VOWELS and \
                            (i + 1 == len(low) or low[i + 1] not in "aeiouy"):
                        letter = "й"  # 'Aizhan', 'Nikolai'
                    cyr += letter
                    i += len(latin)
                    break
            else:
                cyr += low[i]
                i += 1
        out.append(cyr[:1].upper() + cyr[1:])
    text = " ".join(out)
    if any(a in _VOWELS and b == "ы" for a, b in zip(text, text[1:], strict=False)):
        return None  # 'ay', 'oy': no faithful way back from the romanisation
    return text if _cyrillic(text) and normalise(text) == normalise(name) \
        and not any("a" <= ch <= "z" for ch in text.casefold()) else None


def _spelling(person: dict[str, Any], lang: str) -> str:
    """The person's name as the letter's language writes it: for Russian, in Cyrillic
    (recorded so, or ``to_cyrillic``); else the name as recorded."""
    if lang == "ru":
        for name in [person["name"], *person.get("aliases", [])]:
            if _cyrillic(name):
                return str(name)
        return to_cyrillic(person["name"]) or str(person["name"])
    return str(person["name"])


def _first_name(name: str) -> str:
    return name.split()[0] if name.split() else name


def _outside(facts: Facts) -> str:
    """News from outside for a prisoner: the latest day of action for the campaign, in
    plain words (no citation markers: prison censors stop letters that carry them)."""
    days = [e for e in facts.all_events if e["kind"] == "day-of-action"
            and (facts.as_of - dates.start(e["date"])).days <= 365]  # news, not history
    if not days:
        return ""
    e = days[-1]
    return sentence(e) + "."


def _context(to: str, who: dict[str, Any], facts: Facts, shared: dict[str, Any], book: _Book,
             *, sender: dict[str, Any], note: str | None, medium: str, today: dt.date,
             address: list[str], case: dict[str, Any] | None, lang: str,
             hooks: Sequence[RelevanceHook]) -> dict[str, Any]:
    cites = book.current.restart()  # each letter numbers its own sources from [1]
    book.current = cites
    person = to in ("prisoner", "family")
    if to == "prisoner":
        salute = ("Здравствуйте, " + _first_name(_spelling(who, lang)) + "!") if lang == "ru" \
            else f"Dear {_first_name(who['name'])},"
        close = "С солидарностью и тёплыми пожеланиями," if lang == "ru" \
            else "With solidarity and warm wishes,"
    elif to == "family":
        salute = f"Dear family of {who['name']},"
        close = "With deepest sympathy," if who["status"] == "died" else "In solidarity,"
    else:
        salute = salutation(who, to)
        close = closing(salute)
    shown = who["name"] if person else address[0]
    recipient: dict[str, Any] = {
        "name": who["name"], "display_name": shown.removesuffix(" MEP") if to == "mep"
        else shown, "address_lines": address, "kind": to,
        "country": countries.english(who.get("country")), "group": who.get("group"),
        "group_labels": sorted(group_labels(who.get("group"))), "party": who.get("party"),
        "role": who.get("role"), "email": who.get("email"),
        "historical": is_past(who, today),
        "held": held(who) if to == "mep" else "",
        "opening": _opening(who) if to == "mep" else "",
        "excellency": salute.startswith("Your Excellency") or is_ambassador(who)
        or is_head_of_state(who),
        "person": who["name"] if person else None, "died": who.get("status") == "died",
    }
    why = [] if person else relevance(who, to, facts, book, hooks)
    roles = [str(f["text"]) for f in why if f["kind"] == "role"]
    why = [f for f in why if f["kind"] != "role"]
    if roles and recipient["opening"]:  # "As Vice-Chair of …, and as one of Ireland's MEPs"
        seat = recipient["opening"]
        recipient["opening"] = " and ".join(r.rstrip(".") for r in roles) + ", and " + \
            seat[:1].lower() + seat[1:]
    figures = [] if person else [_yours(f, who) for f in shared["figures"]]
    prisoners = shared["prisoners"]
    if case is not None:
        prisoners = [p for p in prisoners if p["id"] != case["id"]]
    return {
        "kind": to, "medium": medium, "lang": lang, "date": today.isoformat(),
        "date_text": date_in(today, lang),
        "as_of": facts.as_of.isoformat(), "as_of_text": dates.human(facts.as_of.isoformat()),
        "recipient": recipient, "salutation": salute, "closing": close,
        "sender": sender, "note": note, "why": why, "case": case,
        "group_facts": [], "outside": _outside(facts) if person else "",
        "events": [] if person else shared["events"],
        "figures": figures,
        "prisoners": [] if person else prisoners,
        "demands": [] if person else shared["demands"],
        "requests": [] if person else shared["requests"],
        "story": None if person else shared["story"],
        "standing": [] if person else shared["standing"],
        "occasion": None, "asks": [], "roles": [], "v": {}, "same_country": False,
        "hook_roles": [r.rstrip(".").removeprefix("As ") for r in roles],
        "campaign": facts.campaign, "sources": _Sources(cites),
    }


def _occasion(store: Store, facts: Facts, today: dt.date, wanted: str | None
              ) -> dict[str, Any] | None:
    """Why write now, once for the merge: "none"; an event the user names (news they
    recorded, dated by the letter's date); else the next commemorated anniversary."""
    if wanted is not None and wanted.strip().casefold() == "none":
        return None
    if not wanted:
        from campaign.documents.letters.facts import occasion as next_anniversary

        return next_anniversary(facts.all_events, today, facts.named)
    from campaign.errors import NotFoundError

    every = {e["id"]: e for e in store.events()}
    found = every.get(wanted.strip())
    if found is None:
        from campaign.names import suggest

        raise NotFoundError("event", wanted, suggest(wanted, list(every)),
                            hint="see `campaign facts list --kind event` for the ids, or give "
                                 "--occasion none")
    if found.get("planned") or dates.start(found["date"]) > today:
        raise UsageError(f"--occasion '{wanted}' is dated {dates.human(found['date'])}, after "
                         f"the letter's date ({dates.human(today.isoformat())})",
                         "name an event that has happened, or give --occasion none")
    return {"type": "news", "id": found["id"], "sentence": sentence(found),
            "date_text": _date_range(found["date"], found.get("end_date")),
            "sources": found["sources"], "title": found["title"]}


_BLANKS = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")  # a template's macros leave blank runs
_KIND_NOUN = {"shooting": "shootings", "massacre": "massacre", "killing": "killings",
              "strike": "strike", "arrest": "arrests", "died": "death", "death": "death",
              "sentence": "sentences"}


def _voice(ctx: dict[str, Any], to: str, who: dict[str, Any], skey: str,
           case: dict[str, Any] | None, when: dict[str, Any] | None,
           roles: list[dict[str, Any]], book: _Book) -> None:
    """The parts of a letter that make it this sender's letter to this recipient: the
    version of each paragraph, the asks that fit the recipient's role, the occasion,
    and one of the facts that say why them (chosen by the same hash, so twelve senders
    do not all quote the same record at one MEP)."""
    rkey = str(who.get("id") or who.get("name"))
    ctx["v"] = versions(skey, rkey)
    if when is not None:
        when = {**when, "cite": _Cite(book, when.get("sources", ()))}
        if when["type"] == "anniversary":
            on = dt.date.fromisoformat(when["on"])
            today = dt.date.fromisoformat(ctx["date"])
            when["tense"] = "is" if on == today else ("was" if on < today else "will be")
            where = f" at {when['locality']}" if when.get("locality") else ""
            when["what"] = f"the {_KIND_NOUN.get(when['kind'], when['kind'])}{where}"
    ctx["occasion"] = when
    if to == "mep" and not ctx["recipient"]["historical"]:
        # The seat and the roles apart, so each version can say them its own way.
        plain = _opening(who)
        ctx["recipient"]["opening"] = plain
        ctx["recipient"]["seat"] = plain.removeprefix("As ")
        hooked = [r for r in ctx.get("hook_roles", [])]
        # A body a caller's hook already names (--committee DROI) is said once, as the
        # hook says it; each role carries the day the directory listed it.
        roles = [*({"phrase": r, "text": r} for r in hooked),
                 *({**m, "text": m["phrase"] + (f" (as listed by the European Parliament on "
                                                f"{m['listed']})" if m.get("listed") else "")}
                   for m in roles if not any(m["name"].casefold() in r.casefold()
                                             for r in hooked))]
    ctx["roles"] = roles
    ctx["asks"] = (mep_asks(roles, case, when, skey + "|" + rkey) if to == "mep"
                   else envoy_asks(case, bool(ctx["recipient"]["excellency"]), to))
    sender_country = ctx["sender"].get("country")
    ctx["same_country"] = bool(sender_country and ctx["recipient"]["country"]
                               and countries.same_country(sender_country,
                                                          ctx["recipient"]["country"]))
    # Why them: an unanswered letter and a caller's facts always; of the records that
    # concern this recipient (their group's, their country's, a predecessor's) at most
    # two, which two by the hash; the Parliament's own record only when there is none.
    kept = [f for f in ctx["why"] if f["kind"] in ("unanswered", "hook")]
    own = [f for f in ctx["why"] if f["kind"] in ("group", "country", "predecessor")]
    rest = [f for f in ctx["why"] if f not in kept and f not in own]
    if len(own) > 2:
        start = pick(skey, rkey, "why-fact", n=len(own))
        own = [own[start], own[(start + 1) % len(own)]]
    elif not own and rest:
        own = [rest[pick(skey, rkey, "why-fact", n=len(rest))]]
    ctx["why"] = kept + own
    # A figure the recipient gave is theirs ("your own press statement").
    story = ctx.get("story")
    if story and story.get("toll"):
        toll = [_yours(f, who) for f in story["toll"]]
        ctx["story"] = {**story, "toll": [{**f, "by": according(f["according_to"])}
                                          for f in toll]}


def _yours(figure: dict[str, Any], who: dict[str, Any]) -> dict[str, Any]:
    """A figure the recipient gave is theirs: "according to your GUE/NGL press
    statement", never their own name in the third person."""
    import re

    said = figure["according_to"]
    name = display_name(who) if who.get("name") else ""
    if not name or name.casefold() not in said.casefold():
        return figure
    plain = re.sub(r"\s*\([^)]*" + re.escape(name) + r"[^)]*\)", "", said, flags=re.I)
    plain = re.sub(re.escape(name) + r"(\s+MEP)?", "", plain, flags=re.I).strip(" ,")
    return {**figure, "according_to": "your own " + plain if plain else "you"}


def _identity_text(body: str, ctx: dict[str, Any]) -> str:
    """What makes a letter the same letter, whatever its format: its text from the
    salutation on. A letter on paper has a head an email has not (the sender's and the
    recipient's addresses, the date, a "Re:" line), so the head is left out, and with it
    the date: a letter drafted again on another day, or as an email, is the same letter
    (one entry in the outreach log). Without a salutation line, the body less its date."""
    from campaign.formats.markdown import escape

    rows = body.split("\n")
    salute = str(ctx.get("salutation") or "")
    for form in (escape(salute), salute) if salute else ():
        if form in rows:
            return "\n".join(rows[rows.index(form):])
    return body.replace(ctx["date_text"], "", 1)


def _split_subject(text: str) -> tuple[str, str]:
    """A template's first line 'Subject: …' is the email subject and the document title."""
    first, _, rest = text.lstrip("\n").partition("\n")
    if first.startswith("Subject:"):
        from campaign.formats.markdown import unescape

        # The subject leaves Markdown (an email header, a document title): record text
        # in it was escaped by the template's finaliser, and is plain again here.
        return unescape(first.removeprefix("Subject:").strip()), rest.lstrip("\n")
    return "Letter", text


def person_postal(store: Store, person: dict[str, Any], to: str, facts: Facts,
                  lang: str = "en") -> tuple[list[str], str | None]:
    """A prisoner's or family's address block: their own address recorded with a source,
    else the campaign's postal address (a contact with a source), care of; else no
    address at all (never a web site), with a warning that says how to add one. In
    Russian the block is the Russian post's: "Кому:" and "Куда:", the name in Cyrillic."""
    purpose = "family" if to == "family" else "prisoner"
    own = person_address(store, person["id"], purpose)
    name = _spelling(person, lang)
    whom = name if to == "prisoner" else f"The family of {name}"
    lines: list[str] = []
    bounded: str | None = None
    if own:
        lines = list(own["lines"])
        from campaign.records import MAX_ADDRESS_LINE, MAX_ADDRESS_LINES

        if len(lines) > MAX_ADDRESS_LINES or any(len(ln) > MAX_ADDRESS_LINE for ln in lines):
            # An address stored before addresses were bounded: it would run over the text.
            bounded = (f"the postal address recorded for {person['name']} has "
                       f"{len(lines):,} line(s), longer than an address: the letter uses the "
                       f"first {MAX_ADDRESS_LINES} (each cut at {MAX_ADDRESS_LINE} characters)"
                       f"; record it again with `campaign prisoners address`")
            lines = [ln[:MAX_ADDRESS_LINE] for ln in lines[:MAX_ADDRESS_LINES]]
    elif facts.campaign_postal:
        campaign = facts.campaign_postal
        care = "для" if lang == "ru" else "c/o"
        lines = [f"{care} {campaign['name']}",
                 *[ln.strip() for ln in campaign["postal_address"].splitlines() if ln.strip()]]
    if lines:
        if lang == "ru":
            return [f"Кому: {whom}", f"Куда: {lines[0]}", *lines[1:]], bounded
        return [whom, *lines], bounded
    return [], (f"no postal address for {person['name']}"
                + (" (family)" if to == "family" else "")
                + ": the letter has no address block; add one with `campaign prisoners address "
                f"\"{person['name']}\" --postal \"...\"{' --for family' if to == 'family' else ''}"
                " --source ID`, or record the campaign's postal address as a contact with "
                "`campaign contacts add NAME --kind campaign --postal-address \"...\" "
                "--source ID`")


def prepare(store: Store, to: str, *, sender: Sender, countries_: Sequence[str] = (),
            groups: Sequence[str] = (), contacts: Sequence[str] = (),
            prisoners: Sequence[str] = (), demand_ids: Sequence[str] = (),
            note: str | None = None, lang: str = "en", fmt: DocFormat = DocFormat.md,
            user_dir: str | Path | None = None, as_of: dt.date | None = None,
            today: dt.date | None = None, released_ok: bool = False,
            relevance_hooks: Sequence[RelevanceHook] = (),
            committees: Sequence[str] = (), delegations: Sequence[str] = (),
            occasion: str | None = None, recent_days: int = 30,
            progress: Callable[[int], None] | None = None) -> list[Letter]:
    """Every letter's Markdown, checked and rendered; nothing is written.

    ``relevance_hooks`` add facts about a recipient to the letter's "why you"
    paragraph. ``committees`` and ``delegations`` (labels or parts of names, as
    ``campaign meps list`` takes them) choose MEPs by their current memberships,
    and each letter then opens with the member's role there, as of the day the
    directory was fetched. ``today`` is the date written in the letter (the
    document's date: ``--as-of`` or today). ``occasion``: why write now, an event id
    (news the user recorded) or "none"; by default the next commemorated anniversary
    (facts.occasion). ``recent_days``: on a shared store, a recipient another member
    wrote to within that many days is asked about a case no member raised with them
    lately, while there is one, and the merge says who wrote (campaign.coalition).
    """
    from campaign.documents.templates import renderer
    from campaign.outreach import digest

    if to not in KINDS:
        raise UsageError(f"cannot write letters to '{to}'", "use --to " + "|".join(KINDS))
    today = today or as_of or dates.today()
    warnings: list[str] = []
    if lang == "auto":  # Russian for someone held in Kazakhstan, Russia or Belarus
        from campaign.documents.letters.persons import choose_lang

        lang, said_lang = choose_lang(store, to, select_prisoners(store, prisoners, as_of)
                                      if to in ("prisoner", "family") and prisoners else [],
                                      user_dir)
        warnings += said_lang
    render = renderer(template_name(to, lang, user_dir), user_dir)  # language checked first
    # A person's letter in another language comes with an English rendering for the sender.
    rendering = renderer(template_name(to, "en", user_dir), user_dir) \
        if lang != "en" and to in ("prisoner", "family") else None
    if to in ("prisoner", "family"):
        if not prisoners:
            raise UsageError(f"--to {to} needs --prisoner NAME",
                             "see `campaign prisoners list` for the names")
        if countries_ or groups or contacts:
            raise UsageError("--country, --group and --contact select contacts, not prisoners",
                             "name the prisoner with --prisoner NAME")
        if committees or delegations:  # not silently ignored (issue 20)
            raise UsageError("--committee and --delegation choose MEPs",
                             "use them with --to mep")
        recipients = select_prisoners(store, prisoners, as_of)
        for who in recipients:
            said = check_person(who, to, released_ok=released_ok)
            if said:
                warnings.append(said)
    else:
        members: set[str] | None = None
        if committees or delegations:
            if to != "mep":
                raise UsageError("--committee and --delegation choose MEPs",
                                 "use them with --to mep")
            from campaign.ep.bodies import (
                COMMITTEE_KINDS,
                DELEGATION_KINDS,
                resolve_bodies,
                select_by_bodies,
                why_member,
            )

            members = select_by_bodies(store, committees, delegations, as_of)
            # Resolved once for the merge: why_member looks body ids up directly.
            wanted = [*resolve_bodies(store, committees, COMMITTEE_KINDS),
                      *resolve_bodies(store, delegations, DELEGATION_KINDS)]
            relevance_hooks = [*relevance_hooks, role_hook(
                lambda who: why_member(store, who["id"], wanted, as_of, with_date=True))]
        recipients = select_contacts(store, to, countries_=countries_, groups=groups,
                                     contacts=contacts, members=members)
        recipients, left_out = drop_no_contact(store, recipients, KIND_WORD[to])
        warnings += left_out
        for who in recipients:
            said = historical_note(who)
            if said:
                warnings.append(said)
    facts = gather_facts(store, to, prisoners=prisoners, demand_ids=demand_ids, as_of=as_of,
                         sender=sender.name)
    warnings += facts.warnings
    cleaned = [clean_record(who, KIND_WORD[to]) for who in recipients]
    recipients = [who for who, _ in cleaned]
    warnings += [line for _, said in cleaned for line in said]
    addresses: list[list[str]] = []
    for who in recipients:
        if to in ("prisoner", "family"):
            lines, missing = person_postal(store, who, to, facts, lang)
            if lang == "ru" and not _cyrillic(_spelling(who, lang)):
                warnings.append(
                    f"{who['name']} cannot be written in Cyrillic from the spelling "
                    "recorded, so the letter uses the Latin one")
            if missing and fmt is not DocFormat.eml:
                warnings.append(missing)
            addresses.append(lines)
            continue
        address = recipient_address(who, to)
        if address is None and not (fmt is DocFormat.eml and who.get("email")):
            raise missing_address(who, to, fmt)
        addresses.append(address or [display_name(who)])
    medium = "email" if fmt is DocFormat.eml else "letter"
    book = _Book(Citations(known=facts.known_sources))
    shared = _shared(facts, book, to)
    sender_ctx = sender.context()
    cases: list[dict[str, Any] | None] = [None] * len(recipients)
    skey = sender_key(sender)
    published = publication(facts.known_sources)
    when = _occasion(store, facts, today, occasion)
    roles = memberships(store, [str(w["id"]) for w in recipients], facts.as_of) \
        if to == "mep" else {}
    dealing: Dealing | None = None
    coalition: list[str] = []
    if to in ("mep", "embassy", "authority"):
        # Recipients an office would compare (one country, one group) in a stable
        # order; each gets the next case of the sender's own permutation.
        order = sorted(range(len(recipients)), key=lambda k: (
            str(recipients[k].get("country") or ""), str(recipients[k].get("group") or ""),
            display_name(recipients[k]), str(recipients[k].get("id"))))
        kept = {str(recipients[k]["id"]): facts.kept_cases[(str(recipients[k]["id"]),
                                                             sender.name)]
                for k in order if (str(recipients[k]["id"]), sender.name) in facts.kept_cases}
        from campaign.coalition import coalition_lines, raised_by_others

        ids = [str(recipients[k]["id"]) for k in order]
        shuffle = not prisoners
        recipient_names = {str(w["id"]): display_name(w) for w in recipients}
        case_names = {str(p["id"]): str(p["name"]) for p in facts.prisoners}

        def deal_all(others: dict[str, dict[str, list[str]]]) -> list[dict[str, Any] | None]:
            avoid = {r: {c for cs in by.values() for c in cs} for r, by in others.items()}
            return deal(skey, ids, facts.prisoners, kept=kept, shuffle=shuffle, avoid=avoid)

        def coalition_of(others: dict[str, dict[str, list[str]]]) -> list[str]:
            return coalition_lines(others, recipient_names, case_names, recent_days)

        others = raised_by_others(store, ids, recent_days)
        dealt = deal_all(others)
        coalition = coalition_of(others)
        def case_of(person: dict[str, Any] | None) -> dict[str, Any] | None:
            # The same for every letter that takes it up (a score of prisoners, hundreds
            # of letters): made once each, read by all.
            if person is None:
                return None
            return facts.once(("case", person["id"]),
                              lambda: _case(person, book, published))

        for k, person in zip(order, dealt, strict=True):
            cases[k] = case_of(person)
        position = {str(w["id"]): k for k, w in enumerate(recipients)}

        def render_again(cid: str, person: dict[str, Any] | None) -> Letter:
            k = position[cid]
            return render_one(k, case_of(person))

        dealing = Dealing(ids=ids, days=recent_days, seen=others,
                          cases={i: (p or {}).get("id") for i, p in zip(ids, dealt,
                                                                        strict=True)},
                          deal=deal_all, render=render_again, lines=coalition_of)

    def render_one(k: int, case: dict[str, Any] | None) -> Letter:
        """The letter to ``recipients[k]`` taking up ``case`` (its English rendering, for
        a letter to a person in another language, is made by the loop below)."""
        who, address = recipients[k], addresses[k]
        ctx = _context(to, who, facts, shared, book, sender=sender_ctx, note=note,
                       medium=medium, today=today, address=address, case=case, lang=lang,
                       hooks=relevance_hooks)
        if to in ("mep", "embassy", "authority"):
            _voice(ctx, to, who, skey, case, when, roles.get(str(who["id"]), []), book)
        if to in ("prisoner", "family"):
            from campaign.documents.letters.persons import adapt_person_context

            adapt_person_context(store, ctx, who, to, today, lang)
        subject, body = _split_subject(_BLANKS.sub("\n\n", render(ctx)))
        if to in ("prisoner", "family") and len(body) > PRISONER_LETTER_MAX:
            warnings.append(f"the letter to {who['name']} is {len(body):,} characters; "
                            "prisoner-support groups advise at most about "
                            f"{PRISONER_LETTER_MAX:,}: shorten the note")
        if not body.strip():
            raise TemplateError(f"the template for letters to {KIND_PLURAL[to]} wrote an empty "
                                "letter", "check the template (campaign templates list)")
        letter = Letter(
            kind=to, recipient=ctx["recipient"]["display_name"],
            contact_id=who["id"] if to not in ("prisoner", "family") else None,
            email=who.get("email") if to not in ("prisoner", "family") else None,
            subject=subject, markdown=body,
            digest=digest(_identity_text(body, ctx)),
            context={"recipient": ctx["recipient"], "salutation": ctx["salutation"],
                     "closing": ctx["closing"], "sources": list(ctx["sources"]),
                     "lang": lang, "date": ctx["date"], "date_text": ctx["date_text"],
                     "sender": sender.name, "sender_lines": sender_ctx["lines"],
                     "medium": medium, "case": ctx.get("case"),
                     "asks": [a["text"] for a in ctx.get("asks", [])],
                     "occasion": ctx.get("occasion")},
            templates=str(user_dir) if user_dir else None,
            warnings=warnings if k == 0 else [],
            person_id=who["id"] if to in ("prisoner", "family") else None,
            coalition=coalition if k == 0 else [], dealing=dealing)
        if letter.contact_id:  # compared and logged: both worked out here, once
            from campaign.documents.letters.memory import sketch
            from campaign.documents.letters.similarity import letter_text, one_copy

            letter.compared = one_copy(letter_text(letter).split("\n\n"))
            letter.sketch = sketch(letter.compared)
        return letter

    if to in ("mep", "embassy", "authority") and not relevance_hooks:
        # A letter needs nothing from another: half of them in a forked copy, where a
        # core is free (campaign.parallel). Not with relevance hooks, nor to a person
        # (whose letter reads the store as it is rendered): a copy must not use this
        # process's connection to the store.
        from campaign.documents.letters.similarity import caches
        from campaign.parallel import split_map

        letters = split_map(lambda k: render_one(k, cases[k]), len(recipients),
                            carry=caches(), progress=progress)
        for ltr in letters:
            ltr.dealing = dealing
        return letters
    letters = []
    for n, (who, case) in enumerate(zip(recipients, cases, strict=True), start=1):
        letters.append(render_one(n - 1, case))
        if rendering is not None:
            from campaign.documents.letters.persons import english_rendering

            ctx_en = _context(to, who, facts, shared, book, sender=sender_ctx, note=note,
                              medium=medium, today=today, address=[], case=case, lang="en",
                              hooks=relevance_hooks)
            letters.append(english_rendering(store, rendering, ctx_en, who, to, today, lang,
                                             letters[-1]))
        if progress:
            progress(n)
    return letters
