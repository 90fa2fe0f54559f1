"""What each letter says: the store's facts, read once for a whole merge, and what
sets each recipient apart (relevance).

A letter that any other MEP could have received is discarded by a Parliament
office, so every letter says why *this* recipient, from what the store knows
and can cite: their political group's own record on Kazakhstan (named as the
group was called then), their country's ties in the sources, an earlier letter
of the sender's marked sent and not answered, and any facts a caller adds
(``RelevanceHook``: the EP committee and delegation memberships, once known).
Nothing here guesses a stance or a vote: every sentence is a record of the
store, told in the record's own past-tense summary (or its title, quoted), with
its date and citation.

Only facts on the campaign's subject are told (``on_subject``: the pack's
``concerns`` of each event decide). Why now is the next commemorated anniversary
(``occasion``); why you includes the member's roles on the EP bodies that matter
(``memberships``). Each letter takes up one case and is written in its own
version of each paragraph (letters.voices).

The demands and the people come from ``campaign.selection``, the one selection
every document uses (``letter_demands``, ``gather_facts``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from campaign import dates
from campaign.documents.citations import Citations
from campaign.documents.letters.recipients import (
    display_name,
    group_labels,
    group_lineage,
)
from campaign.store import Store

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

    # As printed by a Markdown letter template (campaign.formats.markdown.finalize): the
    # marker is the toolkit's own Markdown, digits and brackets, so it is printed as it
    # is. Escaped, it only came back the same through the finaliser's citation pattern:
    # ~15% of rendering a letter, which prints about eleven of them.
    __markdown__ = __str__

    def __bool__(self) -> bool:
        return bool(self._ids)


class _Text:
    """A sentence of plain text and citations, joined when the template prints it (so
    its markers are numbered in the order the letter shows them)."""

    __slots__ = ("_pieces",)

    def __init__(self, *pieces: str | _Cite) -> None:
        self._pieces = pieces

    def __str__(self) -> str:
        return self._joined(str)

    def __markdown__(self) -> str:
        """As printed by a Markdown letter template: the text escaped, the markers not
        (campaign.formats.markdown.finalize)."""
        from campaign.formats.markdown import escape

        return self._joined(escape)

    def _joined(self, text_of: Any) -> str:
        out = ""
        for piece in self._pieces:
            if isinstance(piece, _Cite):
                text = str(piece)
                out = out.rstrip() + (" " + text if text else "")
            else:
                out += text_of(str(piece))
        return out


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
    focus: list[dict[str, Any]]
    campaign: dict[str, Any]
    known_sources: dict[str, dict[str, Any]]
    as_of: dt.date
    # Contacts (kind mep) of the past, for "your predecessor" facts by country.
    past_meps: list[dict[str, Any]] = field(default_factory=list)
    all_figures: list[dict[str, Any]] = field(default_factory=list)
    # contact id -> the date of the sender's last letter marked sent with no reply since.
    unanswered: dict[str, str] = field(default_factory=dict)
    # The campaign's postal address, recorded as a contact with a source (for prisoners).
    campaign_postal: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)
    # The people the campaign names (its prisoners, the people its demands concern):
    # what makes an event "on the subject" (on_subject).
    named: frozenset[str] = frozenset()
    # Those reported dead (Kenzhebaev): every letter's "what happened" tells of them.
    dead: list[dict[str, Any]] = field(default_factory=list)
    # (contact id, sender) -> the person id of the case a logged letter took up.
    kept_cases: dict[tuple[str, str], str] = field(default_factory=dict)
    # What a merge works out once and every letter reads (``once``).
    memo: dict[Any, Any] = field(default_factory=dict, repr=False)

    def once(self, key: Any, make: Callable[[], Any]) -> Any:
        """``make()``, worked out for the first letter of a merge that asks and kept for
        the rest: what is the same for every recipient is not redone 705 times."""
        try:
            return self.memo[key]
        except KeyError:
            found = self.memo[key] = make()
            return found

    def story_events(self) -> list[dict[str, Any]]:
        """The events a letter may tell: on the subject, up to the letter's date."""
        return [e for e in self.all_events if on_subject(e, self.named)]


# What a letter asks of each addressee of a demand: "I ask you to call on the
# Government of Kazakhstan to release …".
_ASK_VIA = (
    ("government", "call on the Government of Kazakhstan to"),
    ("high representative", "urge the EU's High Representative and the External Action "
                            "Service to"),
    ("eeas", "urge the EU's High Representative and the External Action Service to"),
    ("european parliament", "work in the Parliament to"),
    ("meps", "work in the Parliament to"),
)


def ask_of(demand: dict[str, Any]) -> str:
    """A demand as an infinitive phrase without "to": "release all political prisoners …"
    (the ``ask`` the demand selection gives every demand, campaign.selection)."""
    return str(demand["ask"]).strip().rstrip(".")


def requests(demands: Sequence[dict[str, Any]], to: str, book: _Book) -> list[dict[str, Any]]:
    """What the recipient is asked to do, as grammatical requests: "to release …"
    (authorities, embassies); for an MEP, one request per addressee of the demands:
    "to call on the Government of Kazakhstan to release … [1], to drop … [2] and to …"."""
    if to != "mep":
        return [{"id": d["id"], "text": _Text("to " + ask_of(d), _Cite(book, d["sources"]))}
                for d in demands]
    grouped: dict[str, list[dict[str, Any]]] = {}
    for d in demands:
        addressee = (d.get("addressed_to") or "").casefold()
        via = next((v for k, v in _ASK_VIA if k in addressee), "")
        grouped.setdefault(via, []).append(d)
    out = []
    for via, ds in grouped.items():
        pieces: list[str | _Cite] = [f"to {via} " if via else "to "]
        for n, d in enumerate(ds):
            if n:
                pieces.append(" and to " if n == len(ds) - 1 else ", to ")
            pieces += [ask_of(d), _Cite(book, d["sources"])]
        out.append({"id": ds[0]["id"], "text": _Text(*pieces)})
    return out


def letter_demands(store: Store, to: str, *, as_of: dt.date, wanted: Sequence[str] = ()
                   ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    """The demands letters make, chosen by the one demand selection of every document
    (campaign.selection: current as of the letter's date, with an ``ask``). Returns
    (every letter's demands, the demands shared out one to a letter, adopt-a-demand
    style (none when the user named them with --demand), warnings for named demands
    that are no longer current, which are left out of the requests)."""
    from campaign.selection import lapsed_warning, select_demands

    chosen = select_demands(store, as_of=as_of, wanted=wanted)
    notes = [lapsed_warning(d) for d in chosen if not d["current"]]
    current = [d for d in chosen if d["current"]]
    if wanted:
        return current, [], notes
    return default_demands(current, to), focus_demands(current, to), notes


def _addressed(demands: Sequence[dict[str, Any]]
               ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    gov = [d for d in demands
           if (d.get("addressed_to") or "").casefold().startswith("government")]
    eu = [d for d in demands if any(w in (d.get("addressed_to") or "").casefold()
                                    for w in ("european parliament", "eeas", "meps"))]
    return gov, eu


def default_demands(demands: Sequence[dict[str, Any]], to: str) -> list[dict[str, Any]]:
    """What every letter asks: the release of the prisoners first; an authority or an
    embassy is asked for what the Government of Kazakhstan can do."""
    gov, _ = _addressed(demands)
    if to == "mep":
        return gov[:1]
    if to in ("prisoner", "family"):
        return []  # prison censors stop political demands; a family is not asked for one
    return gov[:4]


def focus_demands(demands: Sequence[dict[str, Any]], to: str) -> list[dict[str, Any]]:
    """What an MEP can take up in the EU (one to a letter, in turn)."""
    _, eu = _addressed(demands)
    return eu if to == "mep" else []


# Cases a letter can ask its recipient to take up (adopt-a-prisoner): people whose
# latest report has them held. Someone charged or under investigation is not a
# prisoner to adopt (the January 2014 source has Ainur Kurmanov speaking in Brussels).
CASE_STATUSES = ("imprisoned", "detained", "on trial")


def gather_facts(store: Store, to: str, *, prisoners: Sequence[str] = (),
                 demand_ids: Sequence[str] = (), as_of: dt.date | None = None,
                 sender: str | None = None) -> Facts:
    as_of = as_of or dates.today()
    every_event = [e for e in store.events(planned=False) if dates.start(e["date"]) <= as_of]
    all_figures = store.figures()
    figures = [f for f in all_figures if f["subject"].casefold().startswith("deaths")]
    # The people letters name, chosen as every document chooses them (campaign.selection:
    # those the user names, else by the part they played, strike leaders first).
    from campaign.selection import select_people

    if prisoners and to not in ("prisoner", "family"):
        chosen, _ = select_people(store, as_of=as_of, wanted=prisoners, max_people=0)
    else:
        count = store.conn.execute("SELECT count(*) FROM persons").fetchone()[0]
        chosen, _ = select_people(store, as_of=as_of, max_people=count,
                                  statuses=CASE_STATUSES)
    demands, focus, demand_notes = letter_demands(store, to, as_of=as_of, wanted=demand_ids)
    campaign_contacts = store.contacts(kind="campaign")
    campaign_contact = next((c for c in campaign_contacts if c.get("url")), None)
    postal = next((c for c in campaign_contacts
                   if c.get("postal_address") and c.get("sources")), None)
    campaign = {"title": store.meta("title"), "url": store.meta("campaign_url"),
                "name": campaign_contact["name"] if campaign_contact else None}
    past = store.contacts(kind="mep", historical_only=True)
    dead, _ = select_people(store, as_of=as_of, max_people=len(chosen) + 50,
                            statuses=("died",))
    named = frozenset(r[0] for r in store.conn.execute("SELECT id FROM persons"))
    return Facts(
        events=[e for e in every_event if e["kind"] == "shooting"],
        figures=figures,
        all_events=every_event,
        prisoners=chosen,
        demands=demands,
        focus=focus,
        campaign=campaign,
        known_sources={s["id"]: s for s in store.sources()},
        as_of=as_of,
        past_meps=past,
        all_figures=[f for f in all_figures if not f.get("date")
                     or dates.start(f["date"]) <= as_of],
        unanswered=unanswered(store, sender),
        campaign_postal=postal,
        warnings=demand_notes,
        named=named,
        dead=dead,
        kept_cases=kept_cases(store),
    )


def kept_cases(store: Store) -> dict[tuple[str, str], str]:
    """(contact id, sender) -> the case the latest logged letter between them took up:
    a re-run keeps it, so the same sender gets the same letter. Only this member's own
    letters count (on a coalition's shared store two branches may sign with one name)."""
    found: dict[tuple[str, str], str] = {}
    for contact, sender, case in store.conn.execute(
            "SELECT contact_id, coalesce(sender, ''), case_id FROM outreach "
            "WHERE case_id IS NOT NULL AND member = ? ORDER BY id", (store.member,)):
        found[(contact, sender)] = case
    return found


def unanswered(store: Store, sender: str | None) -> dict[str, str]:
    """Contact id -> the date of the last letter marked sent (not a draft) with no reply
    recorded since; a sender's own letters only, where the log says who sent them."""
    from campaign.outreach import entries

    last_sent: dict[str, str] = {}
    replied: dict[str, str] = {}
    for e in entries(store):
        when = (e.get("updated") or e["created"])[:10]
        if e.get("sender") and sender and e["sender"] != sender:
            continue
        if e["state"] == "sent":
            last_sent[e["contact_id"]] = max(when, last_sent.get(e["contact_id"], ""))
        elif e["state"] == "replied":
            replied[e["contact_id"]] = max(when, replied.get(e["contact_id"], ""))
    return {c: d for c, d in last_sent.items() if replied.get(c, "") < d}


# -- relevance: why this recipient --------------------------------------------

RelevanceHook = Callable[[dict[str, Any]], Sequence[dict[str, Any] | str]]
"""A caller's facts about a recipient: each a sentence, or a dict with "text" (and
optionally "sources", "kind"). A fact of kind "role" ("As Vice-Chair of the
Subcommittee on Human Rights") opens the letter, before the recipient's seat."""


def role_hook(phrase: Callable[[dict[str, Any]], str | None]) -> RelevanceHook:
    """A hook from a function giving a recipient's role as an "As …" phrase, or None
    (e.g. campaign.ep.bodies.why_member for the committees named with --committee):
    ``role_hook(lambda who: why_member(store, who["id"], wanted, as_of, with_date=True))``."""
    def hook(who: dict[str, Any]) -> list[dict[str, Any]]:
        said = phrase(who)
        return [{"kind": "role", "text": said}] if said else []

    return hook

# Demonyms of the countries a store's MEPs come from, for "the German government …".
DEMONYMS = {
    "Austria": "Austrian", "Belgium": "Belgian", "Bulgaria": "Bulgarian",
    "Croatia": "Croatian", "Cyprus": "Cypriot", "Czechia": "Czech",
    "Czech Republic": "Czech", "Denmark": "Danish", "Estonia": "Estonian",
    "Finland": "Finnish", "France": "French", "Germany": "German", "Greece": "Greek",
    "Hungary": "Hungarian", "Ireland": "Irish", "Italy": "Italian", "Latvia": "Latvian",
    "Lithuania": "Lithuanian", "Luxembourg": "Luxembourgish", "Malta": "Maltese",
    "Netherlands": "Dutch", "Poland": "Polish", "Portugal": "Portuguese",
    "Romania": "Romanian", "Slovakia": "Slovak", "Slovenia": "Slovenian", "Spain": "Spanish",
    "Sweden": "Swedish", "United Kingdom": "British",
}


def _mentions(text: str, word: str) -> bool:
    import re

    return bool(re.search(r"(?<!\w)" + re.escape(word) + r"(?!\w)", text))


def names_recipient(text: str, who: dict[str, Any]) -> bool:
    """A fact about the recipient's own act: never told to them in the third person."""
    names = {who["name"], display_name(who)}
    if who.get("family_name"):
        names.add(str(who["family_name"]))
    return any(n and n.casefold() in text.casefold() for n in names)


def about(e: dict[str, Any]) -> str:
    """Everything an event's record says of it in words (title and summary)."""
    return f"{e['title']} {e.get('summary') or ''}"


def when(e: dict[str, Any]) -> str:
    """'on 16–17 December 2011', 'in March 2012', 'in 2010'."""
    return ("on " if len(e["date"]) == 10 else "in ") + _date_range(e["date"], e.get("end_date"))


def clause(e: dict[str, Any]) -> str:
    """An event as a clause in the past tense: 'in 2010 a GUE/NGL delegation … visited
    Kazakhstan' (from the record's summary), else its title quoted, with its date."""
    if e.get("summary"):
        return f"{when(e)} {e['summary']}"
    return _quoted(e)


def sentence(e: dict[str, Any]) -> str:
    """'On 16–17 December 2011 police opened fire on …' (no full stop: a citation follows)."""
    text = clause(e)
    return text[:1].upper() + text[1:]


def _quoted(e: dict[str, Any]) -> str:
    return f"“{e['title']}” ({_date_range(e['date'], e.get('end_date'))})"


def relevance(who: dict[str, Any], to: str, facts: Facts, book: _Book,
              hooks: Sequence[RelevanceHook] = ()) -> list[dict[str, Any]]:
    """Why this recipient, most telling first: facts, each {"kind", "text"}."""
    found: list[dict[str, Any]] = []
    if who.get("id") in facts.unanswered:
        found.append({"kind": "unanswered", "text": _Text(
            f"I wrote to you on {dates.human(facts.unanswered[who['id']])} and have not yet "
            "had a reply, so I am writing again.")})
    for hook in hooks:
        for fact in hook(who):
            if isinstance(fact, str):
                found.append({"kind": "hook", "text": _Text(fact)})
            else:
                found.append({"kind": fact.get("kind", "hook"), "text": _Text(
                    str(fact["text"]), _Cite(book, fact.get("sources", ())))})
    if to != "mep":
        return found
    found += _group_record(who, facts, book)
    found += _country_ties(who, facts, book)
    found += _parliament(facts, book)
    return found


def _parliament(facts: Facts, book: _Book) -> list[dict[str, Any]]:
    """The Parliament's own latest resolution or vote on Kazakhstan."""
    acts = facts.once("parliament", lambda: [
        e for e in facts.all_events if e["kind"] == "resolution"
        and e["title"].startswith("European Parliament") and "Kazakhstan" in e["title"]])
    if not acts:
        return []
    e = acts[-1]
    return [{"kind": "parliament", "text": _Text(
        f"The Parliament itself has acted: {clause(e)}", _Cite(book, e["sources"]), ".")}]


def _group_record(who: dict[str, Any], facts: Facts, book: _Book) -> list[dict[str, Any]]:
    labels = group_labels(who.get("group"))
    if not labels or labels == {"NI"}:
        return []
    key = frozenset(labels)
    own = [e for e in facts.once(("group-events", key), lambda: [
        e for e in facts.all_events if group_labels(e["title"]) & labels])
        if not names_recipient(about(e), who)]
    said = [f for f in facts.once(("group-figures", key), lambda: [
        f for f in facts.all_figures if group_labels(f.get("according_to")) & labels
        and "statement" in f["according_to"].casefold() and f.get("date")])
        if not names_recipient(f["according_to"], who)]
    if not own and not said:
        return []
    label = sorted(group_labels(" ".join([e["title"] for e in own]
                                         + [f["according_to"] for f in said])) & labels)[0]
    then = group_lineage(who.get("group"), label)
    pieces: list[str | _Cite] = [f"Your group{then} has a record on Kazakhstan: "]
    for n, e in enumerate(own[-2:]):
        pieces += [("; " if n else "") + clause(e), _Cite(book, e["sources"])]
    if said:
        f = said[0]
        num = f"{f['number']:,}"
        pieces += [("; and " if own else "") + f"its statement of {dates.human(f['date'])} "
                   f"counted {f['qualifier'] + ' ' if f['qualifier'] else ''}{num} {f['subject']}",
                   _Cite(book, f["sources"])]
    pieces.append(".")
    return [{"kind": "group", "text": _Text(*pieces)}]


def _ties(facts: Facts, country: str) -> list[dict[str, Any]]:
    """The events whose title names the country or its people, once per merge."""
    words = [country, *([DEMONYMS[country]] if country in DEMONYMS else [])]
    found: list[dict[str, Any]] = facts.once(("country", country), lambda: [
        e for e in facts.all_events if any(_mentions(about(e), w) for w in words)])
    return found


def _country_ties(who: dict[str, Any], facts: Facts, book: _Book) -> list[dict[str, Any]]:
    from campaign import countries

    country = countries.english(who.get("country"))
    if not country:
        return []
    out: list[dict[str, Any]] = []
    ties = [e for e in _ties(facts, country) if not names_recipient(about(e), who)]
    if ties:
        pieces: list[str | _Cite] = [f"{country}'s own ties with Kazakhstan are on record: "]
        for n, e in enumerate(ties[-2:]):
            pieces += [("; " if n else "") + clause(e), _Cite(book, e["sources"])]
        out.append({"kind": "country", "text": _Text(*pieces, ".")})
    for past in facts.past_meps:
        if past["id"] == who.get("id") or not past.get("country") \
                or not countries.same_country(past["country"], country):
            continue
        if names_recipient(past["name"], who):
            continue
        name = str(past["name"]).casefold()
        acts = facts.once(("named-in", name), lambda name=name: [  # type: ignore[misc]
            e for e in facts.all_events if name in e["title"].casefold()])
        if acts:
            e = acts[0]
            took = (f"took part {when(e)}, when {e['summary']}" if e.get("summary")
                    else f"is named in the record: {_quoted(e)}")
            out.append({"kind": "predecessor", "text": _Text(
                f"{past['name']}, then one of {country}'s MEPs, {took}",
                _Cite(book, e["sources"]), ".")})
            break
    return out


def case_history(person: dict[str, Any],
                 published: Callable[[Sequence[str]], str | None] | None = None) -> str:
    """What the sources report of a case, in the past tense, each step with its date
    where it differs from the last: 'was arrested two days before … (reported in
    September 2010), … and was imprisoned as a result of the strike (the latest report
    the campaign holds, January 2014)'; from the records' summaries where they have
    them, else from the kind of each event and its date.

    The latest report is dated by its source's publication (``published``: source ids
    -> the latest date), not by the event: an arrest on 6 January reported on 7 March
    is last reported in March."""
    from campaign.status import STATUS_OF_KIND

    def reported(e: dict[str, Any]) -> str:
        said = published(e.get("sources") or []) if published else None
        return max(filter(None, [said, e["date"]]), key=dates.sort_key)

    events = person.get("events", [])
    steps = []
    for n, e in enumerate(events):
        last = n == len(events) - 1
        date = e["date"]
        if e.get("summary"):
            step = str(e["summary"])
            if not last and dates.month_year(reported(e)) != dates.month_year(
                    reported(events[-1])):
                step += f" (reported in {dates.month_year(reported(e))})"
            steps.append(step)
            continue
        exact = len(date) == 10 and e.get("date_basis", "event") == "event"
        on = f"on {dates.human(date)}" if exact else f"in {dates.month_year(date)}"
        step = f"was reported {STATUS_OF_KIND.get(e['kind'], e['kind'])} {on}"
        if e.get("prison"):
            step += f" ({e['prison']})"
        if e.get("charge"):
            step += f", charged with {e['charge']}"
        if e.get("sentence"):
            step += f", sentenced to {e['sentence']}"
        steps.append(step)
    if not steps:
        return ""
    text = steps[0] if len(steps) == 1 else ", ".join(steps[:-1]) + " and " + steps[-1]
    return (f"{text} (the latest report the campaign holds, "
            f"{dates.month_year(reported(events[-1]))})")


def last_report(person: dict[str, Any],
                published: Callable[[Sequence[str]], str | None] | None = None) -> str | None:
    """The date of the latest report on a person: its source's publication, else the
    event's own date."""
    events = person.get("events") or []
    if not events:
        return person.get("status_date")
    e = events[-1]
    said = published(e.get("sources") or []) if published else None
    return max(filter(None, [said, e["date"]]), key=dates.sort_key)


def publication(known: dict[str, dict[str, Any]]) -> Callable[[Sequence[str]], str | None]:
    """Source ids -> the latest publication date among them (None if none is known)."""
    def latest(ids: Sequence[str]) -> str | None:
        found = [str(known[i]["published"]) for i in ids if i in known
                 and known[i].get("published")]
        return max(found, key=dates.sort_key) if found else None

    return latest


# -- on the subject ----------------------------------------------------------

SUBJECT = "subject"


def on_subject(event: dict[str, Any], named: Collection[str]) -> bool:
    """The rule for what a letter may tell: an event is on the campaign's subject when
    its ``concerns`` (the pack's data) include the subject itself ("subject": the
    strike, the shootings, the repression after them, the Parliament's own record on
    them) or a person the campaign names (``named``: its prisoners and the people its
    demands concern). A pack without ``concerns`` keeps the events a campaign
    commemorates (shootings, deaths, arrests, sentences, strikes). Anything else (a law
    on religion, a prison protest elsewhere) is background an MEP's office reads as
    filler, and never appears."""
    from campaign.anniversaries import commemorated

    concerns = event.get("concerns") or []
    if not concerns:
        return commemorated(event)
    return SUBJECT in concerns or any(c in named for c in concerns)


# -- why now -----------------------------------------------------------------

AHEAD_DAYS = 60   # an anniversary this many days ahead is a reason to write now
PAST_DAYS = 14    # and one passed this recently still is


def occasion(events: Sequence[dict[str, Any]], today: dt.date, named: Collection[str]
             ) -> dict[str, Any] | None:
    """The next commemorated anniversary of an event on the subject within AHEAD_DAYS
    ahead of the letter's date or PAST_DAYS past (never of a motion or a statement:
    anniversaries.commemorated), the most prominent and nearest first."""
    from campaign.anniversaries import _anniversary, _occurrences, commemorated

    first, last = today - dt.timedelta(days=PAST_DAYS), today + dt.timedelta(days=AHEAD_DAYS)
    found = [_anniversary(e, d, i, on) for e in events
             if commemorated(e) and on_subject(e, named)
             for d, i, on in _occurrences(e, first, last) if i == 0]
    if not found:
        return None
    best = min(found, key=lambda a: (a["rank"], abs((dt.date.fromisoformat(a["on"])
                                                     - today).days)))
    on = dt.date.fromisoformat(best["on"])
    return {**best, "type": "anniversary", "on_text": dates.human(best["on"]),
            "past": on < today, "today": on == today,
            "years_words": _YEARS_WORDS.get(best["years"], str(best["years"]))}


_YEARS_WORDS = {n: w for n, w in enumerate(
    ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
     "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
     "eighteen", "nineteen", "twenty"))}


# -- why you: the EP bodies that matter --------------------------------------

KEY_BODIES = ("DROI", "AFET", "DCAS")
_REGION_WORDS = ("kazakhstan", "central asia")
ROLE_PHRASES = {"CHAIR": "Chair of", "CO_CHAIR": "Co-Chair of", "VICE_CHAIR": "Vice-Chair of",
                "MEMBER_SUBSTITUTE": "a substitute member of"}


def memberships(store: Store, ids: Sequence[str],
                as_of: dt.date) -> dict[str, list[dict[str, Any]]]:
    """Contact id -> the member's current roles, as of ``as_of``, on the bodies that
    matter to the campaign: the Subcommittee on Human Rights (DROI), Foreign Affairs
    (AFET), the delegation for relations with Central Asia (DCAS), and any body whose
    name mentions Kazakhstan or Central Asia. One query for the whole merge; nothing
    when the directory's details were never fetched."""
    if not ids:
        return {}
    day = as_of.isoformat()
    marks = ", ".join("?" for _ in ids)
    rows = store.rows(
        "SELECT m.contact_id, m.role, m.fetched_at, b.label, b.name FROM ep_memberships m "
        f"JOIN ep_bodies b ON b.id = m.body_id WHERE m.contact_id IN ({marks}) "
        "AND (m.start_date IS NULL OR m.start_date <= ?) "
        "AND (m.end_date IS NULL OR m.end_date >= ?)", (*ids, day, day))
    out: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        label = (r["label"] or "").upper()
        name = r["name"] or label
        if label not in KEY_BODIES and not any(w in name.casefold() for w in _REGION_WORDS):
            continue
        the = name if name.casefold().startswith("the ") else f"the {name}"
        out.setdefault(r["contact_id"], []).append({
            "label": label, "name": name,
            "phrase": f"{ROLE_PHRASES.get(r['role'], 'a member of')} {the}",
            "listed": dates.human(str(r["fetched_at"])[:10]) if r["fetched_at"] else None,
            "droi": label == "DROI", "dcas": label == "DCAS" or (
                "central asia" in name.casefold() and "delegation" in name.casefold()),
            "afet": label == "AFET"})
    for found in out.values():
        found.sort(key=lambda m: (KEY_BODIES.index(m["label"]) if m["label"] in KEY_BODIES
                                  else 9, m["name"]))
    return out
