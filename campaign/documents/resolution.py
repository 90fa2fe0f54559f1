"""The union-branch resolution: a motion in the UK/Irish convention, built from the store.

The Python picks the facts (records selected by id and kind) and numbers
their citations in the order ``resolution.md.j2`` uses them; every sentence
around them is the template's. A record the store lacks (another campaign's
pack) is simply left out, so the motion stays true rather than complete.

Citation order = the order of the motion: the strike, the rally, the
shootings, each death-toll figure, the trials, the prisoners, the unions, the
EU, then the demands and the campaign in the "resolves" part.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from campaign import anniversaries, dates
from campaign.documents.citations import Citations
from campaign.errors import UsageError
from campaign.formats import DocFormat
from campaign.store import Store

BODIES = ("branch", "conference", "trades-council")
FORMATS = (DocFormat.md, DocFormat.txt, DocFormat.html, DocFormat.docx, DocFormat.pdf)
TEMPLATE = "resolution.md.j2"

# The bundled campaign's records, by id; absent ones are skipped.
DEFAULT_DEMANDS = ("release-political-prisoners", "drop-charges-strikers",
                   "international-inquiry", "register-independent-unions",
                   "suspend-eu-agreement")
DEFAULT_PRISONER_STATUSES = ("imprisoned", "on trial", "charged")
UNION_QUOTES = (("register-independent-unions", "refused"),)
UNION_EVENTS = ("labour-code-amendments",)
EU_EVENTS = ("pca-in-force", "ashton-statement-zhanaozen", "german-rare-earths-deal",
             "ep-resolution-2012-03")
EU_QUOTES = (("raise-concerns-in-negotiations", "negotiations"),)

_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\*_`[]<>"})


def md(text: str | None) -> str | None:
    """Record or user text made inert in Markdown: a '*' in a name stays a '*'."""
    return None if text is None else " ".join(str(text).split()).translate(_MD_SPECIAL)


def _event(e: dict[str, Any], cites: Citations) -> dict[str, Any]:
    return {
        "id": e["id"],
        "kind": e["kind"],
        "title": md(e["title"]),
        "date": e["date"],
        "when": anniversaries.span_text(e),
        "place": md(e.get("place")),
        "cite": cites.cite(e["sources"]),
    }


def _figure(f: dict[str, Any], cites: Citations) -> dict[str, Any]:
    return {
        "id": f["id"],
        "subject": md(f["subject"]),
        "number": f["number"],
        "number_text": f"{f['number']:,}",
        "qualifier": md(f["qualifier"] or ""),
        "according_to": md(f["according_to"]),
        "date": f.get("date"),
        "cite": cites.cite(f["sources"]),
    }


def _person(p: dict[str, Any], cites: Citations) -> dict[str, Any]:
    return {
        "id": p["id"],
        "name": md(p["name"]),
        "description": md(p.get("description")),
        "status": p["status"],
        "status_text": md(p["status_text"]),
        "cite": cites.cite(p["sources"]),
    }


def _quote(store: Store, demand_id: str, containing: str, sources: dict[str, dict[str, Any]],
           cites: Citations) -> dict[str, Any] | None:
    """A source's own words, kept with a demand record, quoted verbatim and cited."""
    found = store.rows("SELECT quotes FROM demands WHERE id = ?", (demand_id,))
    if not found:
        return None
    quote = next((q for q in found[0]["quotes"] if containing.casefold() in q.casefold()), None)
    if quote is None:
        return None
    srcs = store.citations("demand").get(demand_id, [])
    published = max((sources[s]["published"] for s in srcs if s in sources), default=None)
    return {"text": md(quote.strip().rstrip(".")), "cite": cites.cite(srcs),
            "reported": dates.month_year(published) if published else None,
            "publishers": [md(sources[s]["publisher"]) for s in srcs if s in sources]}


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
    """The campaign to affiliate to: the store's campaign contact with a web address."""
    url = store.meta("campaign_url")
    contacts = [c for c in store.contacts(kind="campaign") if c.get("url")]
    contact = next((c for c in contacts if url and c["url"] == url), None) or \
        (contacts[0] if contacts else None)
    if contact is None:
        return {"name": None, "url": md(url), "as_of_text": None, "cite": ""} if url else None
    return {
        "name": md(contact["name"]),
        "url": md(contact["url"]),
        "historical": bool(contact.get("historical")),
        "as_of_text": dates.month_year(contact["as_of"]) if contact.get("as_of") else None,
        "cite": cites.cite(contact["sources"]),
    }


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
) -> dict[str, Any]:
    """The motion's plain data: facts with their citation markers, in the template's order.

    ``demand_ids`` and ``prisoner_names``, when given, are used exactly (an
    unknown one is a NotFoundError with suggestions); otherwise the bundled
    defaults that the store has, and everyone whose status as of ``as_of``
    is imprisoned, on trial or charged.
    """
    from campaign.people import select

    if body not in BODIES:
        raise UsageError(f"--body: unknown body '{body}'", "use one of: " + ", ".join(BODIES))
    as_of = as_of or dates.today()
    cites = Citations(store)
    sources = {s["id"]: s for s in store.sources()}
    demands = [store.demand(d) for d in dict.fromkeys(demand_ids)]  # unknown ids fail first
    chosen = select(store, list(prisoner_names), as_of) if prisoner_names else None
    events = {e["id"]: e for e in store.events(planned=False)}

    key = anniversaries.key_event(store)
    key_days = anniversaries.event_days(key) if key else []
    strikes = [e for e in events.values() if e["kind"] == "strike"
               and (not key_days or dates.start(e["date"]) <= key_days[0])]
    locality = (key.get("locality") or "").casefold() if key else ""
    rally = [e for e in events.values() if key_days and e["kind"] == "protest"
             and e["date"] == key_days[0].isoformat()
             and locality and locality in (e.get("place") or "").casefold()]
    figures = store.figures()
    deaths = [f for f in figures if "death" in f["subject"].casefold()
              and (not locality or locality in f["subject"].casefold())]
    trials = [f for f in figures if "trial" in f["subject"].casefold()]

    notes: dict[str, Any] = {}
    notes["strikes"] = [_event(e, cites) for e in strikes]
    notes["rally"] = [_event(e, cites) for e in rally]
    notes["shootings"] = _event(events[key["id"]], cites) if key else None
    notes["death_toll"] = [_figure(f, cites) for f in deaths]
    notes["trials"] = [_figure(f, cites) for f in trials]

    if chosen is None:
        people = select(store, [], as_of, DEFAULT_PRISONER_STATUSES)
        unionists = [p for p in select(store, [], as_of)
                     if "trade union" in (p.get("description") or "").casefold()
                     and p not in people and p["status"] not in (None, "released")]
    else:
        people, unionists = chosen, []
    notes["prisoners"] = [_person(p, cites) for p in people]
    union_quotes = [_quote(store, d, word, sources, cites) for d, word in UNION_QUOTES]
    notes["unions"] = {
        "quotes": [q for q in union_quotes if q],
        "events": [_event(events[e], cites) for e in UNION_EVENTS if e in events],
        "persons": [_person(p, cites) for p in unionists],
    }
    eu_events = [_event(events[e], cites) for e in EU_EVENTS if e in events]
    eu_quotes = [_quote(store, d, word, sources, cites) for d, word in EU_QUOTES]
    notes["eu"] = {"events": eu_events, "quotes": [q for q in eu_quotes if q]}

    if not demands:
        known = {d["id"]: d for d in store.demands()}
        demands = [known[d] for d in DEFAULT_DEMANDS if d in known] or \
            list(known.values())[:len(DEFAULT_DEMANDS)]
    demand_data = [{"id": d["id"], "text": md(d["text"]), "addressed_to": md(d["addressed_to"]),
                    "cite": cites.cite(d["sources"])} for d in demands]
    campaign = _campaign(store, cites)

    anniversary = None
    if key:
        found = next_anniversary(key, as_of)
        if found:
            anniversary = {**found, "event": notes["shootings"],
                           "locality": md(key.get("locality"))}
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
        "demands": demand_data,
        "campaign": campaign,
        "anniversary": anniversary,
        "sources": [{**s, "title": md(s["title"]), "publisher": md(s["publisher"])}
                    for s in cites.sources()],
    }


def document_title(context: dict[str, Any]) -> str:
    """The file's title (PDF/DOCX properties, HTML <title>): the motion's own, unescaped."""
    title = context.get("title") or "Motion"
    return str(title).replace("\\", "")


def render_markdown(context: dict[str, Any], user_dir: str | Path | None = None) -> str:
    from campaign.documents.templates import render

    return render(TEMPLATE, context, user_dir)


def render_resolution(store: Store, fmt: DocFormat, *, user_dir: str | Path | None = None,
                      **options: Any) -> bytes:
    """The motion as bytes in ``fmt``: build the context, render the template, convert."""
    from campaign.documents.output import convert

    context = resolution_context(store, **options)
    markdown = render_markdown(context, user_dir)
    title = document_title(context)

    def pdf() -> bytes:
        from campaign.formats.pdf import markdown_to_pdf

        return markdown_to_pdf(markdown, title=title, user_dir=user_dir)

    return convert(markdown, fmt, title=title, pdf=pdf)
