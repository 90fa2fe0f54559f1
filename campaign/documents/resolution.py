"""The union motion: UK/Irish model-motion convention, built from the store as of a date.

The Python chooses the facts and gives each its words from the records (a
past-tense ``summary`` per event and case event, figures with their own
qualifier and source); ``resolution.md.j2`` puts them into "That ..." clauses.
Citations are numbered in the order the template uses the facts, and a motion
made ``--as-of`` a date cites only sources published by then, states facts
as known then, and is dated then.

People: the motion names the few that matter (``selection.select_people``:
those asked for, then strike leaders, those who died, lawyers, journalists...)
grouped by what happened to them, and counts the rest, so that its length
holds for a campaign of thousands. Notes about past events (the arrests of
oil workers, a sentence later ended by release) name at most ``max_people``
each, too. Demands come from ``selection.demand_set``: current ones by
default; a lapsed one chosen by id is worded as history, with a warning.

The "resolves" part fits the body's country: MEPs for a body in an EU member
state, MPs and the Foreign Office in the United Kingdom, the national
parliament and government elsewhere, and "our elected representatives" when
the country is not known.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from campaign import anniversaries, dates
from campaign.documents.citations import Citations
from campaign.documents.templates import number
from campaign.errors import UsageError
from campaign.formats import DocFormat
from campaign.formats.markdown import inert
from campaign.store import Store

BODIES = ("branch", "conference", "trades-council")
FORMATS = (DocFormat.md, DocFormat.txt, DocFormat.html, DocFormat.docx, DocFormat.pdf)
TEMPLATE = "resolution.md.j2"
MAX_PEOPLE = 8
# A motion carries a few demands: by default at most this many of the current ones, those
# about people first, and only those a government or the EU institutions can act on.
MAX_DEMANDS = 5
_ACTIONABLE = ("government", "high representative", "eeas", "european parliament",
               "european union", "eu ", "council", "commission")

# The bundled campaign's records, by id; absent ones are skipped.
UNION_EVENTS = ("labour-code-amendments",)
UNION_QUOTES = (("register-independent-unions", "were refused legal registration"),)
EU_EVENTS = ("german-rare-earths-deal",)
# The EP's own record (its resolutions not implemented), as a source reported it.
EP_RECORD = ("implement-ep-resolutions", "two resolutions passed by the European Parliament")
SOLIDARITY_EVENTS = ("second-anniversary-pickets",)
HELD = ("imprisoned", "detained", "charged", "on trial", "under investigation")

# How a group of people is introduced: "the strike leaders Roza Tuletaeva, ...".
ROLE_GROUPS = (
    ("strike leader", "the strike leader", "the strike leaders"),
    ("lawyer", "the lawyer", "the lawyers"),
    ("journalist", "the journalist", "the journalists"),
    ("opposition politician", "the opposition politician", "the opposition politicians"),
    ("trade unionist", "the trade unionist", "the trade unionists"),
    ("human-rights defender", "the human-rights defender", "the human-rights defenders"),
    ("oil worker", "the oil worker", "the oil workers"),
    ("activist", "the activist", "the activists"),
    ("other", "", ""),
)

EU_COUNTRIES = frozenset({"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE",
                          "GR", "HU", "IE", "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT",
                          "RO", "SK", "SI", "ES", "SE"})

def md(text: str | None) -> str | None:
    """Record or user text made inert in Markdown (campaign.formats.markdown.inert)."""
    return None if text is None else inert(text)


# -- the country of the body -----------------------------------------------------


def representatives(country: str | None, body: str = "branch") -> dict[str, Any]:
    """Whom the body writes to, by its country: the embassy and the elected representatives
    who can act (MEPs in the EU; MPs and the Foreign Office in the UK; the national
    parliament and government elsewhere).

    A conference speaks for members across the country, who have no MPs or MEPs of
    "our" own in common: it writes to the government itself and asks branches to
    lobby their own representatives (``ask_them`` then reads "branches to ask their
    MPs")."""
    reps = _representatives(country)
    if body == "conference" and reps["kind"] != "unknown":
        own = reps["ask_them"].replace("our ", "their ", 1)
        reps = {**reps, "ask_them": f"branches and members to ask {own}",
                "to": [t for t in reps["to"] if not t.startswith("our ")]}
    return reps


def _representatives(country: str | None) -> dict[str, Any]:
    from campaign import countries, names

    if not country or not country.strip():
        return {"country": None, "kind": "unknown", "to": ["our elected representatives"],
                "ask_them": "our elected representatives"}
    if not country.isprintable():
        raise UsageError("--country: the name has control characters",
                         "type the country's name, e.g. Ireland")
    code = countries.code_of(country)
    if code is None:
        close = names.suggest(country, countries.known_names())
        if close:
            raise UsageError(f"--country: unknown country '{country}'",
                             "did you mean " + ", ".join(repr(c) for c in close) + "?")
        name = " ".join(country.split())
    else:
        name = countries.COUNTRIES[code][0]
    if code in EU_COUNTRIES:
        return {"country": name, "kind": "eu", "to": ["our MEPs"], "ask_them": "our MEPs"}
    if code == "GB":
        return {"country": name, "kind": "uk",
                "to": ["our MPs", "the Foreign Secretary at the Foreign, Commonwealth and "
                                  "Development Office"],
                "ask_them": "our MPs"}
    if code == "KZ":
        raise UsageError("--country: a motion of solidarity from Kazakhstan itself is not "
                         "what this template writes", "give the country of your union body")
    return {"country": name, "kind": "other",
            "to": ["our members of the national parliament", f"the government of {name}"],
            "ask_them": "our members of the national parliament"}


# -- facts as of a date ----------------------------------------------------------


def _when(date: str, end: str | None = None) -> str:
    """'on 16 December 2011', 'on 16–17 December 2011', 'in May 2011', 'in 2010'."""
    text = anniversaries.span_text({"date": date, "end_date": end})
    return ("on " if dates.precision(date) == "day" else "in ") + text


def _event(e: dict[str, Any], cites: Citations) -> dict[str, Any] | None:
    """A dated event as a clause; None if no source published by the date reports it."""
    cite = cites.cite(e["sources"])
    if not cite:
        return None
    return {"id": e["id"], "when": _when(e["date"], e.get("end_date")),
            "summary": md(e.get("summary") or e["title"]), "place": md(e.get("place")),
            "cite": cite}


def _according(text: str) -> str:
    """'official reports', 'the GUE/NGL press statement (Paul Murphy MEP)'."""
    return text if text[:1].islower() or text.endswith("sources") else f"the {text}"


def _figure(f: dict[str, Any], cites: Citations) -> dict[str, Any] | None:
    cite = cites.cite(f["sources"])
    if not cite:
        return None
    amount = f"{f['qualifier']} {number(f['number'])}".strip()
    return {"id": f["id"], "amount": md(amount), "subject": md(f["subject"]),
            "according_to": md(_according(f["according_to"])),
            "reported": dates.month_year(f.get("date")) if f.get("date") else None,
            "cite": cite}


def _plural(clause: str) -> str:
    """'was arrested ...' -> 'were arrested ...' for a group of people."""
    for one, many in (("was ", "were "), ("has ", "have ")):
        if clause.startswith(one):
            return many + clause[len(one):]
    return clause


def _status_event(p: dict[str, Any], as_of: dt.date) -> dict[str, Any] | None:
    known = [e for e in p["events"] if dates.start(e["date"]) <= as_of]
    known.sort(key=lambda e: dates.sort_key(e["date"]))
    return known[-1] if known else None


def _reported(event: dict[str, Any]) -> str:
    if event.get("date_basis") == "report":
        return f"as reported in {dates.month_year(event['date'])}"
    return _when(event["date"])


def _groups(people: Sequence[dict[str, Any]], as_of: dt.date, cites: Citations,
            ) -> list[dict[str, Any]]:
    """People with the same role and the same last report, as one sentence each."""
    groups: dict[tuple[str, str, str], dict[str, Any]] = {}
    order = [r for r, _, _ in ROLE_GROUPS]
    for p in people:
        event = _status_event(p, as_of)
        if event is None:
            continue
        clause = event.get("summary") or f"was reported {p['status']}"
        role = "died" if p["status"] == "died" else p["role"]
        key = (role, clause, _reported(event))
        g = groups.setdefault(key, {"role": role, "clause": clause, "reported": key[2],
                                    "people": [], "sources": []})
        g["people"].append(p)
        g["sources"].extend(s for s in event["sources"] if s not in g["sources"])
    ranked = sorted(groups.values(), key=lambda g: (
        -1 if g["role"] == "died" else order.index(g["role"]) if g["role"] in order
        else len(order)))
    out = []
    for g in ranked:
        label = next(((one, many) for r, one, many in ROLE_GROUPS if r == g["role"]), ("", ""))
        many = len(g["people"]) > 1
        names = [md(p["name"]) for p in g["people"]]
        described = len(g["people"]) == 1 and not label[0] and g["people"][0].get("description")
        out.append({
            "role": g["role"],
            "label": label[1] if many else label[0],
            "names": names,
            "ids": [p["id"] for p in g["people"]],
            "description": md(g["people"][0]["description"]) if described else None,
            "clause": md(_plural(g["clause"]) if many else g["clause"]),
            "reported": g["reported"],
            "cite": cites.cite(g["sources"]),
        })
    return out


def _past_people(store: Store, everyone: list[dict[str, Any]], as_of: dt.date,
                 named: set[str], max_people: int, cites: Citations) -> dict[str, Any]:
    """Past events that belong in the motion though the people are no longer held: a
    sentence later ended by release, and the arrests of oil workers reported together."""
    released: list[dict[str, Any]] = []
    for p in everyone:
        if p["status"] != "released" or p["id"] in named:
            continue
        sentence = next((e for e in p["events"] if e["kind"] == "sentenced"
                         and dates.start(e["date"]) <= as_of), None)
        release = _status_event(p, as_of)
        if sentence and release and len(released) < max_people:
            released.append({
                "name": md(p["name"]), "description": md(p.get("description")),
                "sentence": md(sentence.get("summary") or "was sentenced"),
                "sentence_when": _when(sentence["date"]),
                "sentence_cite": cites.cite(sentence["sources"]),
                "release": md(release.get("summary") or "was released"),
                "release_when": _reported(release),
                "release_cite": cites.cite(release["sources"]),
            })
    arrested = []
    for p in everyone:
        if p["role"] != "oil worker" or p["id"] in named:
            continue
        arrest = next((e for e in p["events"] if e["kind"] in ("arrested", "detained")
                       and dates.start(e["date"]) <= as_of), None)
        if arrest and cites.knows_any(arrest["sources"]):
            arrested.append((p, arrest))
    arrests = None
    shown = arrested[:max_people]
    if shown:
        first = shown[0][1]
        arrests = {
            "names": [md(p["name"]) for p, _ in shown],
            "others": len(arrested) - len(shown),
            "clause": md(_plural(first.get("summary") or "was arrested")),
            "reported": _reported(first),
            "cite": cites.cite([s for _, e in shown for s in e["sources"]]),
        }
    return {"released": released, "arrests": arrests,
            "arrested_ids": [p["id"] for p, _ in arrested[:max_people]]}


def _quote(store: Store, demand_id: str, containing: str, cites: Citations,
           ) -> dict[str, Any] | None:
    """A source's own words kept with a record, cited to the sources whose text holds them."""
    found = store.rows("SELECT quotes FROM demands WHERE id = ?", (demand_id,))
    if not found:
        return None
    quote = next((q for q in found[0]["quotes"] if containing.casefold() in q.casefold()), None)
    if quote is None:
        return None
    srcs = [s for s in _supporting(store, store.citations("demand").get(demand_id, []), quote)
            if cites.knows(s)]
    if not srcs:
        return None
    first = min((store.source(s) for s in srcs), key=lambda s: dates.start(s["published"]))
    return {"text": md(quote.strip().rstrip(".")), "cite": cites.cite(srcs),
            "reported": dates.month_year(first["published"])}


def _supporting(store: Store, source_ids: Sequence[str], text: str) -> list[str]:
    """Those of the sources whose document holds ``text``; sources without a document
    the package carries are kept (nothing to check them against)."""
    from campaign.pack import documents_dir

    base = documents_dir()
    want = " ".join(text.split()).casefold()
    out = []
    for sid in source_ids:
        doc = store.source(sid).get("document")
        path = base / doc if doc else None
        if path is None or not path.is_file() \
                or want in " ".join(path.read_text(encoding="utf-8").split()).casefold():
            out.append(sid)
    return out


def next_anniversary(event: dict[str, Any], as_of: dt.date) -> dict[str, Any] | None:
    """The next anniversary of the event's first day, on or after ``as_of``."""
    days = anniversaries.event_days(event)
    if not days:
        return None
    first = days[0]
    # Bounded: 29 February comes back within eight years, and past year 9999 there is
    # no next anniversary (a date already in a store from before the range was enforced).
    earliest = max(as_of.year, first.year + 1)
    for year in range(earliest, min(earliest + 9, dt.MAXYEAR + 1)):
        try:
            on = first.replace(year=year)
        except ValueError:  # 29 February
            continue
        if on >= as_of:
            break
    else:
        return None
    return {"date": on.isoformat(), "date_text": dates.human(on.isoformat()),
            "years": on.year - first.year}


def _campaign(store: Store, cites: Citations) -> dict[str, Any] | None:
    """The campaign to affiliate to, its web address cited to the sources that give it."""
    url = store.meta("campaign_url")
    contacts = [c for c in store.contacts(kind="campaign") if c.get("url")]
    contact = next((c for c in contacts if url and c["url"] == url), None) or \
        (contacts[0] if contacts else None)
    if contact is None:
        return {"name": None, "url": md(url), "given": None, "cite": ""} if url else None
    giving = [s for s in _supporting(store, contact["sources"], _bare_address(contact["url"]))
              if cites.knows(s)]
    if not giving:
        return None
    first = min((store.source(s) for s in giving), key=lambda s: dates.start(s["published"]))
    return {"name": md(contact["name"]), "url": md(contact["url"]),
            "given": dates.month_year(first["published"]), "cite": cites.cite(giving)}


def _bare_address(url: str) -> str:
    """'https://www.example.org/' -> 'example.org': how a source prints an address."""
    import re

    return re.sub(r"^(?:https?://)?(?:www\.)?", "", url.strip(), flags=re.I).rstrip("/")


def _day_of_action(store: Store, as_of: dt.date, cites: Citations) -> dict[str, Any] | None:
    """A planned day of action after the date, only if a source says one has been called."""
    for e in store.events(planned=True):
        if e["kind"] == "day-of-action" and dates.start(e["date"]) >= as_of:
            cite = cites.cite(e["sources"])
            if cite:
                return {"when": _when(e["date"], e.get("end_date")),
                        "title": md(e["title"]), "cite": cite}
    return None


def resolution_context(
    store: Store,
    *,
    branch: str | None = None,
    union: str | None = None,
    body: str = "branch",
    demand_ids: Sequence[str] = (),
    prisoner_names: Sequence[str] = (),
    proposer: str | None = None,
    seconder: str | None = None,
    as_of: dt.date | None = None,
    country: str | None = None,
    max_people: int = MAX_PEOPLE,
    lapse_years: int | None = None,
) -> dict[str, Any]:
    """The motion's plain data, facts with their citation markers in the template's order.

    ``demand_ids`` and ``prisoner_names``, when given, are used exactly (an
    unknown one is a NotFoundError with suggestions); otherwise the current
    demands and the people ``select_people`` puts first. ``country`` (or the
    saved profile's) decides whom the body writes to. ``warnings`` lists one
    line per chosen demand that is no longer current.
    """
    from campaign.people import persons
    from campaign.selection import (
        DEFAULT_STATUSES,
        LAPSE_YEARS,
        addressee,
        demand_set,
        lapsed_warning,
        role_of,
        roles_as_of,
        select_people,
    )

    if body not in BODIES:
        raise UsageError(f"--body: unknown body '{body}'", "use one of: " + ", ".join(BODIES))
    if max_people < 0:
        raise UsageError(f"--max-people must be 0 or more, not {max_people}")
    as_of = as_of or dates.today()
    lapse = LAPSE_YEARS if lapse_years is None else lapse_years
    cites = Citations(store, as_of=as_of)
    if not any(cites.knows(s["id"]) for s in store.sources()):
        first = min((s["published"] for s in store.sources()), key=dates.start, default=None)
        raise UsageError(
            f"--as-of {as_of.isoformat()}: no source was published by then, so the motion "
            "would have no facts",
            f"give a date from {dates.human(first)} on" if first else
            "add a source first (`campaign sources add`)")
    # Persons are read once for the whole motion (a store of 10,000 would otherwise be
    # read for the demands, the people and the notes in turn).
    everyone_now = persons(store, as_of)
    by_id = {p["id"]: p for p in everyone_now}
    chosen = demand_set(store, as_of=as_of, wanted=demand_ids, lapse_years=lapse,
                        max_names=max_people, everyone=by_id, max_news=2 * max_people)
    demands = chosen["current"]
    if not demand_ids:
        demands = _default_demands(demands)
    news = chosen["news"]
    # Everyone the resolves name (the news asked for) is in the notes, with their last report.
    # The dead come first (a motion marks the killings), then those the news asks about.
    asked = [p["id"] for p in news["people"]] if news else []
    dead = [] if prisoner_names else \
        [p["id"] for p in everyone_now if p["status"] == "died"][:max_people]
    wanted_ids = list(dict.fromkeys([*dead, *asked]))
    most = max(max_people, len(prisoner_names) + len(wanted_ids))
    people, others = select_people(store, as_of=as_of, wanted=prisoner_names,
                                   max_people=most, everyone=everyone_now, ids=wanted_ids)
    reps = representatives(country if country is not None else store.profile().get("country"),
                           body)
    events = {e["id"]: e for e in store.events(planned=False)
              if dates.start(e["date"]) <= as_of}

    key = anniversaries.key_event(store)
    key_days = anniversaries.event_days(key) if key else []
    locality = (key.get("locality") or "").casefold() if key else ""
    strikes = [e for e in events.values() if e["kind"] == "strike"
               and (not key_days or dates.start(e["date"]) <= key_days[0])]
    rally = [e for e in events.values() if key_days and e["kind"] == "protest"
             and e["date"] == key_days[0].isoformat()
             and locality and locality in (e.get("place") or "").casefold()]
    figures = [f for f in store.figures()
               if not f.get("date") or dates.start(f["date"]) <= as_of]
    deaths = [f for f in figures if "death" in f["subject"].casefold()
              and (not locality or locality in f["subject"].casefold())]
    trials = [f for f in figures if "trial" in f["subject"].casefold()]

    notes: dict[str, Any] = {}
    notes["strikes"] = [x for x in (_event(e, cites) for e in strikes) if x]
    notes["rally"] = [x for x in (_event(e, cites) for e in rally) if x]
    notes["shootings"] = _event(events[key["id"]], cites) if key and key["id"] in events \
        else None
    notes["death_toll"] = [x for x in (_figure(f, cites) for f in deaths) if x]
    # Descriptions as known on the motion's date: a role only a later source gives is
    # not used (nor the description that says it).
    then = roles_as_of(store, people, as_of)
    people = [p if then[p["id"]] == p["role"] else
              {**p, "role": then[p["id"]] or "other",
               "description": p["description"] if then[p["id"]] else None}
              for p in people]
    held = [p for p in people if p["status"] in (*HELD, "died")]
    notes["groups"] = _groups(held, as_of, cites)
    notes["named"] = len(held)
    order = {pid: n for n, (pid,) in enumerate(
        store.conn.execute("SELECT id FROM persons ORDER BY seq"))}
    everyone = sorted((dict(p, role=role_of(p)) for p in everyone_now),
                      key=lambda p: order.get(p["id"], 0))
    notes.update(_past_people(store, everyone, as_of, {p["id"] for p in people},
                              max_people, cites))
    # Those the notes of past events name are not "others"; the others are counted, and
    # the count cited to the reports it rests on.
    shown = set(notes.pop("arrested_ids"))
    named_ids = {p["id"] for p in people} | shown
    unnamed = [p for p in everyone if p["id"] not in named_ids
               and p["status"] in DEFAULT_STATUSES]
    notes["others"] = max(0, others - len(shown & {p["id"] for p in everyone
                                                   if p["status"] in DEFAULT_STATUSES}))
    basis = [_status_event(p, as_of) for p in unnamed]
    notes["others_cite"] = cites.cite(dict.fromkeys(
        s for e in basis if e for s in e["sources"])) if notes["others"] else ""
    notes["trials"] = [x for x in (_figure(f, cites) for f in trials) if x]
    notes["trials_reported"] = notes["trials"][0]["reported"] if notes["trials"] else None
    union_quotes = [_quote(store, d, word, cites) for d, word in UNION_QUOTES]
    notes["unions"] = {
        "events": [x for x in (_event(events[e], cites) for e in UNION_EVENTS if e in events)
                   if x],
        "quotes": [q for q in union_quotes if q],
    }
    notes["eu"] = [x for x in (_event(events[e], cites) for e in EU_EVENTS if e in events) if x]
    notes["solidarity"] = [x for x in (_event(events[e], cites) for e in SOLIDARITY_EVENTS
                                       if e in events) if x]

    demand_data = []
    warnings = []
    for d in [*demands, *chosen["history"]]:
        history = d["history"] or ""
        to_government = "government" in (d.get("addressed_to") or "government").casefold()
        item = {"id": d["id"], "kind": d["kind"], "current": d["current"], "ask": md(d["ask"]),
                "text": md(d["text"]), "text_bare": md(d["text"].rstrip().rstrip(".")),
                "history": md(history),
                "history_clause": md((history[:1].lower() + history[1:]).rstrip(".")),
                "addressed_to": md(d["addressed_to"]),
                "addressee": md(addressee(d.get("addressed_to"))),
                "to_government": to_government,
                "cite": cites.cite(d["sources"] if d["current"] or not d["made_in"]
                                   else [d["made_in"]])}
        demand_data.append(item)
        if not d["current"] and demand_ids:
            warnings.append(lapsed_warning(d))
    news_data = None
    if news:
        news_data = {"ask": md(news["ask"]),
                     "cite": cites.cite([s for p in news["people"] for s in p["sources"]])}
    # The European Parliament's own record, when the motion asks MEPs to act on it.
    ep_record = _quote(store, EP_RECORD[0], EP_RECORD[1], cites) \
        if reps["kind"] == "eu" else None
    campaign = _campaign(store, cites)

    anniversary = None
    if key and key["id"] in events:  # an event not yet happened has no anniversary
        found = next_anniversary(key, as_of)
        if found:
            anniversary = {**found, "locality": md(key.get("locality"))}
    return {
        "title": md(store.meta("title")),
        "body": body,
        "branch": md(branch),
        "union": md(union),
        "proposer": md(proposer),
        "seconder": md(seconder),
        "as_of": as_of.isoformat(),
        "as_of_text": dates.human(as_of.isoformat()),
        "notes": notes,
        "demands": [d for d in demand_data if d["current"]],
        "history": [d for d in demand_data if not d["current"]],
        "news": news_data,
        "news_people": news["people"] if news else [],
        "news_others": news["others"] if news else 0,
        "ep_record": ep_record,
        # What --max-words may leave out (see ``fit``): the later believes and resolves.
        "believes_count": 5,
        "resolve_parts": ["campaign", "message", "anniversary", "circulate"],
        "representatives": {**{k: md(v) for k, v in reps.items() if k != "to"},
                            "to": [md(t) for t in reps["to"]]},
        "campaign": campaign,
        "anniversary": anniversary,
        "day_of_action": _day_of_action(store, as_of, cites),
        "warnings": warnings,
        "sources": [{**s, "title": md(s["title"]), "publisher": md(s["publisher"]),
                     "document": None} for s in cites.sources()],
    }


def _default_demands(current: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The few current demands a body can press on the embassy and its representatives:
    those about people first (the release of prisoners), then the rest in pack order."""
    fit = [d for d in current
           if any(w in f"{(d.get('addressed_to') or 'government').casefold()} "
                  for w in _ACTIONABLE)]
    fit.sort(key=lambda d: 0 if d["concerns"]["persons"] else 1)
    return fit[:MAX_DEMANDS]


CONFERENCE_WORDS = 350
# Without --max-words, a branch or trades-council motion keeps to what fits on one to
# two pages; a conference to the common limit for its motions.
DEFAULT_WORDS = {"conference": CONFERENCE_WORDS, "branch": 700, "trades-council": 700}
# Below this, not even the skeleton (the shootings and the dead, one belief, the call
# on the embassy and on the representatives) fits; the exact figure is measured.
_HEADINGS = re.compile(r"^#+ .*(notes|believes|resolves):\s*$")


def motion_words(markdown: str) -> int:
    """Words in the notes, believes and resolves, as a conference counts them: the
    title, the heading, the proposer lines, the closing note and the sources do not
    count; list numbers and bullets are not words."""
    body = markdown.split("\nProposed by:")[0]
    start = re.search(r"^#+ .*notes:\s*$", body, flags=re.M)
    body = body[start.start():] if start else body
    words = 0
    for line in body.splitlines():
        if _HEADINGS.match(line):
            continue
        words += sum(1 for w in line.split() if w not in ("1.", "-", "*"))
    return words


def _drop_steps(ctx: dict[str, Any]) -> list[Any]:
    """The motion's clauses from the least to the most important, as functions that
    drop one (precedence: the shootings and the dead stay; those held go after the
    demands; everything else goes first). Each returns False when nothing was left.
    The same context gives the same steps, so a copy can replay a choice of them."""
    notes = ctx["notes"]

    def clear(container: dict[str, Any], key: str, empty: Any) -> Any:
        def step() -> bool:
            if not container.get(key):
                return False
            container[key] = empty
            return True
        return step

    def clause(part: str) -> Any:
        def step() -> bool:
            if part not in ctx["resolve_parts"]:
                return False
            ctx["resolve_parts"].remove(part)
            return True
        return step

    def believe() -> bool:
        if ctx["believes_count"] <= 1:
            return False
        ctx["believes_count"] -= 1
        return True

    def last_demand() -> bool:
        if not ctx["demands"]:
            return False
        ctx["demands"].pop()
        return True

    def last_group() -> bool:
        living = [g for g in notes["groups"] if g["role"] != "died"]
        if not living:
            return False
        gone = living[-1]
        notes["groups"].remove(gone)
        _drop_news_people(ctx, set(gone["ids"]))
        return True

    def others() -> bool:
        if not notes.get("others"):
            return False
        notes["others"] = 0
        return True

    steps = [
        clear(notes, "solidarity", []), clear(notes, "eu", []),
        clear(notes["unions"], "quotes", []), clear(notes["unions"], "events", []),
        clear(notes, "trials", []), clear(notes, "released", []),
        clear(notes, "arrests", None), others, clause("message"), believe, believe,
        clear(ctx, "history", []), clear(ctx, "ep_record", None), clause("circulate"),
        clause("campaign"), clause("anniversary"), clear(ctx, "day_of_action", None),
        believe, believe, clear(notes, "rally", []), clear(notes, "strikes", []),
    ]
    steps += [last_demand] * len(ctx["demands"])
    steps += [last_group] * len(notes["groups"])
    return steps


def _drop_news_people(ctx: dict[str, Any], ids: set[str]) -> None:
    """Those dropped from the notes leave the resolves' request for news too."""
    from campaign.selection import news_from

    if not ctx.get("news"):
        return
    kept = [p for p in ctx["news_people"] if p["id"] not in ids]
    ctx["news_people"] = kept
    if not kept:
        ctx["news"] = None
        return
    news = news_from(kept, 0)
    ctx["news"] = {**ctx["news"], "ask": md(news["ask"])}


def fit(context: dict[str, Any], max_words: int, user_dir: str | Path | None = None,
        ) -> str:
    """The motion's Markdown within ``max_words`` (``motion_words``), keeping the most
    important clauses (``_drop_steps``); a UsageError naming the minimum if even the
    skeleton does not fit."""
    import copy

    markdown = render_markdown(context, user_dir)
    if motion_words(markdown) <= max_words:
        return markdown
    pristine = copy.deepcopy(context)

    def attempt(drop: set[int]) -> tuple[str, dict[str, Any]]:
        trial = copy.deepcopy(pristine)
        steps = _drop_steps(trial)
        for i in sorted(drop):
            steps[i]()
        return render_markdown(trial, user_dir), trial

    total = len(_drop_steps(copy.deepcopy(pristine)))
    dropped: set[int] = set()
    fitted = None
    for i in range(total):  # drop in order of importance until it fits
        dropped.add(i)
        markdown, trial = attempt(dropped)
        if motion_words(markdown) <= max_words:
            fitted = (markdown, trial)
            break
    if fitted is not None:
        # Then take back, most important first, whatever still fits.
        for i in sorted(dropped, reverse=True):
            again, trial = attempt(dropped - {i})
            if motion_words(again) <= max_words:
                dropped.discard(i)
                fitted = (again, trial)
        context.clear()
        context.update(fitted[1])
        return fitted[0]
    need = motion_words(markdown)
    raise UsageError(f"--max-words {max_words} is below the {need} words the motion's "
                     "skeleton needs (the shootings and the dead, one belief, the call on "
                     "the embassy and on your representatives)",
                     f"give --max-words {need} or more")


# A citation marker in the motion's text: "[2]", "[1, 4]" (not an escaped bracket, not
# a link's text); and an entry of the numbered source list: "3. Title. Publisher, …".
_MARKER = re.compile(r"(?<!\\)\[(\d{1,4}(?:,[ \u00a0]?\d{1,4})*)\](?!\()")
_ENTRY = re.compile(r"^(\d{1,4})\. ", re.MULTILINE)
_SOURCES_HEADING = "\n## Sources\n"


def _numbers(marker: str) -> list[int]:
    """The numbers of a marker's text: "1, 4" (or with a no-break space) -> [1, 4]."""
    return [int(n) for n in re.split(r",[ \u00a0]?", marker)]


def cite_only_what_is_used(markdown: str) -> str:
    """The source list with only the sources the text still cites, numbered again in
    order of first use, markers and entries together: a motion fitted to
    ``--max-words`` drops notes, and with them the first or only citation of some
    sources, which would leave sources nobody cites and numbers out of order ([2] before
    [1], a gap at [3]). A motion whose sources are all cited in order comes back as it
    was; so does a source list this does not recognise (entries of one line each,
    blank lines between), which is left to its template."""
    head, heading, tail = markdown.partition(_SOURCES_HEADING)
    if not heading:
        return markdown
    lines = tail.splitlines(keepends=True)
    at = [k for k, line in enumerate(lines) if _ENTRY.match(line)]
    if not at or any(lines[k].strip() for k in range(at[0], at[-1]) if k not in at):
        return markdown  # not a plain numbered list
    entries = {}  # number -> the entry's text after "N. "
    for k in at:
        found = _ENTRY.match(lines[k])
        assert found is not None
        entries[int(found.group(1))] = lines[k][found.end():]
    order = list(dict.fromkeys(n for m in _MARKER.finditer(head)
                               for n in _numbers(m.group(1)) if n in entries))
    if order == list(entries):
        return markdown
    renumber = {old: new for new, old in enumerate(order, 1)}

    def marker(m: re.Match[str]) -> str:
        numbers = sorted({renumber[n] for n in _numbers(m.group(1)) if n in renumber})
        sep = "," + ("\u00a0" if "\u00a0" in m.group(1) else " ")
        return "[" + sep.join(map(str, numbers)) + "]" if numbers else m.group(0)

    gap = "".join(lines[at[0] + 1:at[1]]) if len(at) > 1 else ""
    listed = gap.join(f"{renumber[old]}. {entries[old]}" for old in order)
    return (_MARKER.sub(marker, head) + heading + "".join(lines[:at[0]]) + listed
            + "".join(lines[at[-1] + 1:]))


def document_title(context: dict[str, Any]) -> str:
    """The file's title (PDF/DOCX properties, HTML <title>): the motion's own, unescaped."""
    title = context.get("title") or "Motion"
    return str(title).replace("\\", "")


def render_markdown(context: dict[str, Any], user_dir: str | Path | None = None) -> str:
    from campaign.documents.templates import render

    return render(TEMPLATE, context, user_dir)


def render_resolution(store: Store, fmt: DocFormat, *, user_dir: str | Path | None = None,
                      warnings: list[str] | None = None, **options: Any) -> bytes:
    """The motion as bytes in ``fmt``: build the context, render the template, convert.

    ``warnings``, if given, receives one line per chosen demand no longer current.
    ``max_words`` (default: 350 for a conference) fits the motion (``fit``).
    """
    from campaign.documents.output import convert

    max_words = options.pop("max_words", None)
    if max_words is None:
        max_words = DEFAULT_WORDS.get(options.get("body") or "branch")
    context = resolution_context(store, **options)
    if warnings is not None:
        warnings.extend(context["warnings"])
    markdown = cite_only_what_is_used(fit(context, max_words, user_dir) if max_words else
                                      render_markdown(context, user_dir))
    title = document_title(context)

    def pdf() -> bytes:
        from campaign.formats.pdf import markdown_to_pdf

        return markdown_to_pdf(markdown, title=title, user_dir=user_dir)

    return convert(markdown, fmt, title=title, pdf=pdf)
