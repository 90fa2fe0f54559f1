"""Announcements of pickets, vigils, meetings and days of action.

An announcement is read where it is posted, so each length is written for its
channel rather than cut down from one text:

- ``short``: a post people would share. At most 280 characters *as X counts
  them* (a link counts 23, see :func:`x_length`), no footnote markers, with
  what, when, where, who calls it and the link or contact given. What does not
  fit is dropped from the least important end (the names, then the call to
  action, then the occasion); the what, when and where, the organiser and the
  contact never are: if they alone are too long, that is an error naming the
  option to shorten.
- ``medium``: an email or leaflet: headline, when/where block, why in a few
  cited sentences, what to do, the demands, the organiser and the sources.
- ``long``: a press release: news headline, dateline, the occasion, the facts
  with citations, a quote from the organiser (or a marked placeholder), ENDS,
  notes to editors with the sources, and the press contact.

Each kind (picket, vigil, meeting, day of action) has its own call to action;
the wording lives in ``announcement.md.j2``. Facts come from the store, and
the demands and the people named come from :mod:`campaign.selection`, the
one selection every document shares. Record and user text is made inert in
Markdown here, so a name like ``[click](http://evil.example)`` stays text in
every format.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from campaign import anniversaries, dates, labels
from campaign.documents.citations import Citations
from campaign.errors import UsageError
from campaign.formats.markdown import LINES, inert
from campaign.store import Store

KINDS = ("picket", "vigil", "meeting", "day-of-action")
LENGTHS = ("short", "medium", "long")
TEMPLATE = "announcement.md.j2"
SHORT_LIMIT = 280
X_URL_LENGTH = 23
MAX_PEOPLE = 8
SHORT_NAMES = 3
# Optional parts of a short post, dropped in this order until it fits.
SHORT_OPTIONAL = ("names", "occasion_date", "cta", "occasion", "weekday")
QUOTE_PLACEHOLDER = "[QUOTE FROM ORGANISER]"
CONTACT_PLACEHOLDER = "[PRESS CONTACT: name, telephone, email]"
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# People whose release can be asked for on a short post ("Free ...").
HELD = ("detained", "charged", "under investigation", "on trial", "imprisoned")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_MD_ESCAPED = re.compile("\\\\([" + re.escape(LINES) + "])")
_TRAILING_MONTH = re.compile(r",\s+(?:[A-Z][a-z]+\s+)?\d{4}$")
_FOOTNOTE = re.compile(r"\[\d+(?:,\s*\d+)*\]")


@dataclass
class Announcement:
    """A rendered announcement with what a calendar entry or a saved event needs.

    ``warnings`` are one-line notes for the person running the command (a date
    in the past, a placeholder to fill in); the document is still produced.
    """

    markdown: str
    title: str
    kind: str
    date: dt.date
    start: dt.datetime | None
    end: dt.datetime | None
    timezone: str | None
    location: str
    context: dict[str, Any] = field(repr=False)
    warnings: list[str] = field(default_factory=list)


# -- counting as X does ---------------------------------------------------------

_URL = re.compile(
    r"(?:https?://|www\.)\S+"
    r"|\b(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}(?:/\S*)?",
    re.IGNORECASE,
)


def _weight(ch: str) -> int:
    """X's weight for a character: 1 for Latin, Cyrillic and common punctuation, else 2.

    These are the ranges of twitter-text's v3 configuration (weight 100 of a
    scale of 100); everything outside them (CJK, emoji, the ellipsis '…')
    counts double.
    """
    cp = ord(ch)
    if cp <= 4351 or 8192 <= cp <= 8205 or 8208 <= cp <= 8223 or 8242 <= cp <= 8247:
        return 1
    return 2


def x_length(text: str) -> int:
    """The length of a post as X counts it: NFC, weighted characters, every link 23.

    A bare domain ("campaignkazakhstan.org") may or may not be taken for a link,
    so it counts as whichever is longer: safe either way.
    """
    text = unicodedata.normalize("NFC", text)
    total = 0
    last = 0
    for m in _URL.finditer(text):
        total += sum(_weight(c) for c in text[last:m.start()])
        url = m.group(0).rstrip(".,;:!?)")
        rest = m.group(0)[len(url):]
        if url.lower().startswith(("http://", "https://")):
            total += X_URL_LENGTH
        else:
            total += max(X_URL_LENGTH, sum(_weight(c) for c in url))
        total += sum(_weight(c) for c in rest)
        last = m.end()
    return total + sum(_weight(c) for c in text[last:])


def plain(markdown: str) -> str:
    """Markdown escapes removed: the post as the reader sees it."""
    return _MD_ESCAPED.sub(r"\1", markdown)


def md(text: str | None) -> str | None:
    """Record or user text made inert in Markdown (no link, emphasis or heading)."""
    return None if text is None else (inert(text, lines=True) or None)


# -- when --------------------------------------------------------------------------

def parse_time(text: str, option: str) -> dt.time:
    m = _TIME.match(text.strip())
    if not m:
        raise UsageError(f"{option}: '{text}' is not a time of day",
                         "write it as HH:MM, e.g. 18:30")
    return dt.time(int(m.group(1)), int(m.group(2)))


def zone(name: str) -> Any:
    """The ZoneInfo for an IANA name; an unknown name is a usage error."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise UsageError(f"--timezone: unknown time zone '{name}'",
                         "give an IANA name such as Europe/London or Asia/Almaty") from None


def _exists(moment: dt.datetime) -> bool:
    """Whether a wall-clock time happens in its zone: one in the gap when the clocks go
    forward (02:30 on the last Sunday of March in London) round-trips to another time."""
    there = moment.astimezone(dt.UTC).astimezone(moment.tzinfo)
    return there.replace(tzinfo=None) == moment.replace(tzinfo=None)


def when(date: str, time: str | None = None, end: str | None = None,
         timezone: str | None = None) -> dict[str, Any]:
    """Check and combine the date, times and zone; every bad value is a usage error."""
    day = dates.parse_day(date, "--date")
    tz = zone(timezone) if timezone else None
    if end and not time:
        raise UsageError("--end needs a start time", "add --time HH:MM")
    start_t = parse_time(time, "--time") if time else None
    end_t = parse_time(end, "--end") if end else None
    if start_t and end_t and end_t <= start_t:
        raise UsageError(f"--end {end} is not after --time {time}",
                         "give an end time later the same day")
    start = dt.datetime.combine(day, start_t, tzinfo=tz) if start_t else None
    finish = dt.datetime.combine(day, end_t, tzinfo=tz) if end_t else None
    for value, option in ((start, "--time"), (finish, "--end")):
        if value is not None and tz is not None and not _exists(value):
            raise UsageError(f"{option} {value:%H:%M} does not exist on {dates.human(date)} in "
                             f"{timezone}: the clocks go forward then",
                             "give a time an hour later (or earlier)")
    return {
        "date": day.isoformat(),
        "date_text": dates.human(day.isoformat()),
        "weekday": WEEKDAYS[day.weekday()],
        "time": start_t.strftime("%H:%M") if start_t else None,
        "end": end_t.strftime("%H:%M") if end_t else None,
        "timezone": timezone,
        "_day": day,
        "_start": start,
        "_end": finish,
    }


# -- the facts ---------------------------------------------------------------------

def _occasion_event(e: dict[str, Any]) -> dict[str, Any]:
    """An event as the template says it: a past-tense clause when the pack has one."""
    return {
        "kind": e.get("kind"),
        "title": md(e.get("title")),
        "summary": md(e.get("summary")),
        "place": md(e.get("place")),
        "locality": md(e.get("locality") or anniversaries.locality(e.get("place"))),
        "span_text": e.get("span_text") or anniversaries.span_text(e),
        "sources": list(e.get("sources", [])),
    }


def _anniversary(a: dict[str, Any]) -> dict[str, Any]:
    return {**_occasion_event(a), "ordinal": a["ordinal"], "years": a["years"],
            "day_text": a["day_text"], "day_number": a["day_number"],
            "massacre": str(a["kind"]).casefold() in ("shooting", "massacre")}


def _death_toll(store: Store, locality: str | None,
                visible: set[str]) -> dict[str, Any] | None:
    """The lowest and highest figures given for the same thing about the key event.

    Each keeps its qualifier and who gives it ("official reports gave at least
    16 ...; independent sources, as many as 500"): figures from different
    sources are never merged into one.
    """
    if not locality:
        return None
    loc = locality.casefold()
    groups: dict[str, list[dict[str, Any]]] = {}
    for f in store.figures():
        f = {**f, "sources": [s for s in f["sources"] if s in visible]}
        if f["sources"] and loc in f["subject"].casefold():
            groups.setdefault(f["subject"], []).append(f)
    if not groups:
        return None
    subject, found = max(groups.items(), key=lambda kv: (len(kv[1]), -list(groups).index(kv[0])))
    low = min(found, key=lambda f: f["number"])
    high = max(found, key=lambda f: f["number"])

    def one(f: dict[str, Any]) -> dict[str, Any]:
        return {"qualifier": md(f.get("qualifier")) or "", "number": f"{f['number']:,}",
                "according_to": md(f["according_to"]), "sources": list(f["sources"])}

    return {"subject": md(_TRAILING_MONTH.sub("", subject)), "low": one(low),
            "high": one(high) if high is not low else None,
            "sources": list(dict.fromkeys([*low["sources"], *high["sources"]]))}


def _person(p: dict[str, Any]) -> dict[str, Any]:
    status_date = p.get("status_date")
    how = [e.get("summary") for e in p.get("events", [])
           if e.get("kind") == "died" and e.get("date") == status_date and e.get("summary")]
    return {
        "died_how": md(how[-1]) if p.get("status") == "died" and how else None,
        "name": md(p["name"]),
        "role": md(p.get("role")),
        "status": p.get("status"),
        "held": p.get("status") in HELD,
        "reported_text": dates.month_year(status_date) if status_date else None,
        "sources": list(p.get("sources", [])),
    }


def _held_recently(people: list[dict[str, Any]], shown: list[dict[str, Any]],
                   as_of: dt.date) -> list[dict[str, Any]]:
    """Whom a short post may call to free: held within the lapse window, with the year
    of the report (labels.held_recently), so "Free X!" is never an undated claim."""
    from campaign.selection import LAPSE_YEARS

    recent = {id(p) for p in labels.held_recently(people, as_of, LAPSE_YEARS)}
    return [dict(s, year=str(p["status_date"])[:4]) for p, s in zip(people, shown, strict=True)
            if id(p) in recent][:SHORT_NAMES]


def _groups(people: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """People in groups of one role, status and month of report, in the selection's order:
    "the strike leaders A, B and C, reported imprisoned in January 2014", not one line each."""
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for p in people:
        key = (p["role"], p["status"], p["reported_text"], p["died_how"] or "")
        g = groups.setdefault(key, {"role": p["role"], "status": p["status"],
                                    "died_how": p["died_how"],
                                    "reported_text": p["reported_text"],
                                    "people": [], "sources": []})
        g["people"].append(p)
        g["sources"] = list(dict.fromkeys([*g["sources"], *p["sources"]]))
    return list(groups.values())


def _select_demands(store: Store, wanted: Sequence[str], as_of: dt.date,
                    warnings: list[str], everyone: dict[str, dict[str, Any]] | None = None,
                    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The shared selection's demands (``selection.demand_set``): current ones as asks,
    old release calls and lapsed ones chosen by id worded as history (a chosen one with
    a warning), and the request for news of those last reported held, or None."""
    from campaign.selection import demand_set, lapsed_warning

    chosen = demand_set(store, as_of=as_of, wanted=list(wanted), everyone=everyone,
                        max_news=2 * MAX_PEOPLE)
    out = []
    for d in [*chosen["current"], *chosen["history"]]:
        history = not d["current"]
        if history and wanted:
            warnings.append(lapsed_warning(d))
        # history ("In March 2012 X called on ...") is cited to the source it was made in
        cited = [d["made_in"]] if history and d.get("made_in") else list(d["sources"])
        out.append({"text": md(d["history"] if history and d.get("history") else d["text"]),
                    "history": history, "addressed_to": md(d.get("addressed_to")),
                    "made": dates.month_year(d["made"]) if d.get("made") else None,
                    "made_by": md(d.get("made_by")), "ask": md(d["ask"]), "sources": cited})
    news = chosen["news"]
    if news is None:
        return out, None
    return out, {"text": md(news["text"]), "ask": md(news["ask"]),
                 "addressed_to": md("Government of Kazakhstan"),
                 "sources": list(dict.fromkeys(s for p in news["people"]
                                               for s in p["sources"]))}


_INSTITUTIONS = ("embassy", "consulate", "ministry", "parliament", "european parliament",
                 "office", "department", "court", "high commission", "mission",
                 "permanent mission", "european commission", "council")


def with_article(place: str | None) -> str | None:
    """'Embassy of Kazakhstan, London' -> 'the Embassy of Kazakhstan, London': an
    institution takes the article in a sentence; a street or a town does not."""
    if not place:
        return place
    first = place.split(",")[0].casefold()
    if first.startswith(("the ", "a ", "an ")):
        return place
    if any(first.startswith(word) for word in _INSTITUTIONS):
        return "the " + place
    return place


def _at_where(place: str | None, city: str | None) -> str | None:
    """Where, in a sentence: "at the Embassy of Kazakhstan, London"; "in Dublin" when only
    the town was given (never "a gathering at Dublin"); None when neither was."""
    if place:
        return "at " + (md(with_article(", ".join(x for x in (place, city) if x))) or "")
    if city:
        return "in " + (md(city) or "")
    return None


def _background(store: Store, everyone: list[dict[str, Any]], issued: dt.date,
                visible: set[str]) -> dict[str, Any]:
    """The press release's background for editors, each fact with its own sources: the
    strike (since when, for what), the rally on the day of the shootings, and the deaths
    in custody. The shootings and the toll come from the context's event and toll."""
    key = anniversaries.key_event(store)
    key_days = anniversaries.event_days(key) if key else []
    locality = (key.get("locality") or "").casefold() if key else ""

    def seen(e: dict[str, Any]) -> dict[str, Any] | None:
        srcs = [s for s in e["sources"] if s in visible]
        if not srcs or dates.start(e["date"]) > issued:
            return None
        return {"span_text": anniversaries.span_text(e), "summary": md(e.get("summary")),
                "title": md(e["title"]), "place": md(e.get("place")), "sources": srcs,
                "precision": dates.precision(e["date"])}

    events = store.events(planned=False)
    strike = next((x for x in (seen(e) for e in events if e["kind"] == "strike"
                               and (not key_days or dates.start(e["date"]) <= key_days[0]))
                   if x and x["summary"]), None)
    rally = next((x for x in (seen(e) for e in events if key_days and e["kind"] == "protest"
                              and e["date"] == key_days[0].isoformat() and locality
                              and locality in (e.get("place") or "").casefold())
                  if x and x["summary"]), None)
    dead = []
    for p in everyone:
        if p["status"] != "died":
            continue
        how = [e for e in p["events"] if e["kind"] == "died" and e.get("summary")
               and dates.start(e["date"]) <= issued]
        if how:
            srcs = [s for s in how[-1]["sources"] if s in visible]
            if srcs:
                dead.append({"name": md(p["name"]), "summary": md(how[-1]["summary"]),
                             "reported": dates.month_year(how[-1]["date"]),
                             "sources": srcs})
    return {"strike": strike, "rally": rally, "dead": dead}


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    text = " ".join(text.split())
    return text or None


def build_context(store: Store, *, kind: str, date: str, time: str | None = None,
                  end: str | None = None, timezone: str | None = None,
                  place: str | None = None, city: str | None = None,
                  organiser: str | None = None, contact: str | None = None,
                  quote: str | None = None, demands: Sequence[str] = (),
                  prisoners: Sequence[str] = (), max_people: int = MAX_PEOPLE,
                  length: str = "medium", as_of: dt.date | None = None,
                  today: dt.date | None = None, about: str | None = None) -> dict[str, Any]:
    """The plain data of an announcement, before its citations are numbered.

    ``contact`` is the organiser's own public contact line, as the user gave
    it; contact details from the store are never used on a public document.
    ``about``: one or two sentences on who the organiser is, for the press
    release's notes to editors (default: the saved profile's, if any).
    The document is issued on ``as_of`` (default ``today``): statuses and
    demands are as of then, and an event before then gets a warning.
    """
    if kind not in KINDS:
        raise UsageError(f"--kind: unknown kind '{kind}'", "use one of: " + ", ".join(KINDS))
    if length not in LENGTHS:
        raise UsageError(f"--length: unknown length '{length}'",
                         "use one of: " + ", ".join(LENGTHS))
    if max_people < 0:
        raise UsageError(f"--max-people {max_people} is negative", "give 0 or more")
    times = when(date, time, end, timezone)
    day: dt.date = times["_day"]
    issued = as_of or today or dates.today()
    if about is None and length == "long":
        about = store.profile().get("about")
    warnings: list[str] = []
    if day < issued:
        warnings.append(f"{dates.human(day.isoformat())} is in the past "
                        f"(the announcement is dated {dates.human(issued.isoformat())})")
    quote = _clean(quote)
    if quote and length != "long":
        where = "short post" if length == "short" else "medium text"
        warnings.append(f"--quote is not used in a {where}; "
                        "it goes in the press release (--length long)")
    found = anniversaries.on_date(store, day, commemorated_only=True)
    primary = _anniversary(found[0]) if found else None
    key = anniversaries.key_event(store)
    event = _occasion_event(found[0]) if found else _occasion_event(key) if key else None
    # A document dated `issued` cites only what was published by then; a fact no such
    # source gives is left out rather than cited to a later one.
    from campaign.selection import published_by

    visible = published_by(store.sources(), issued)
    locality = event["locality"] if event else None
    if event is not None:
        event["sources"] = [s for s in event["sources"] if s in visible]
        if not event["sources"]:
            event = None
    from campaign.people import persons

    everyone = persons(store, issued)  # read once for the people, the demands and the notes
    from campaign.selection import select_people

    people, others = select_people(store, as_of=issued, wanted=list(prisoners),
                                   max_people=max_people, everyone=everyone)
    shown = [_person(p) for p in people]
    chosen, news = _select_demands(store, demands, issued, warnings,
                                   {p["id"]: p for p in everyone})
    background = _background(store, everyone, issued, visible) if length == "long" else None
    place, city, organiser, contact = (_clean(x) for x in (place, city, organiser, contact))
    if length == "long" and not quote:
        warnings.append(f"no --quote: the press release has the placeholder {QUOTE_PLACEHOLDER}")
    if length == "long" and not contact:
        warnings.append("no --contact: the press release has a placeholder for the press "
                        "contact")
    return {
        "part": "body",
        "length": length,
        "kind": kind,
        "when": times,
        "place": md(place),
        "city": md(city),
        "where": md(", ".join(x for x in (place, city) if x)) or None,
        # In a sentence: "at the Embassy of Kazakhstan, London", or "in Dublin" when only
        # the town was given (never "a gathering at Dublin").
        "at_where": _at_where(place, city),
        "place_in_sentence": md(with_article(place)) if place else None,
        "dateline": md(city.upper()) if city else None,
        "organiser": md(organiser),
        "contact": md(contact),
        "quote": md(quote.strip("\"“”")) if quote else None,
        "campaign": md(store.meta("title")),
        "quote_placeholder": QUOTE_PLACEHOLDER,
        "contact_placeholder": CONTACT_PLACEHOLDER,
        "issued": issued.isoformat(),
        "issued_text": dates.human(issued.isoformat()),
        "past": day < issued,
        "primary": primary,
        "event": event,
        "toll": _death_toll(store, locality, visible),
        "people": shown,
        "held": (held := _held_recently(people, shown, issued)),
        # only when no one is held within the window (not when names are cut to fit)
        "justice": None if held else md(labels.justice_slogan(locality)),
        "groups": _groups(shown),
        "others": others,
        "demands": chosen,
        "news": news,
        "background": background,
        "about": md(_clean(about)) if about else None,
        "show": dict.fromkeys(SHORT_OPTIONAL, True),
        "_warnings": warnings,
        "_organiser": organiser,
        "_city": city,
        "_place": place,
    }


def number_citations(store: Store, ctx: dict[str, Any]) -> dict[str, Any]:
    """Number the citations in the order the text uses the facts; list only those.

    The order is: the occasion, the figures, the people, the demands. A short
    post carries no markers and no sources: it cites nothing.
    """
    out = copy.deepcopy(ctx)
    cites = Citations(store)
    short = out["length"] == "short"

    def cite(item: dict[str, Any] | None) -> None:
        if item is not None:
            item["cite"] = "" if short else cites.cite(item["sources"])

    if out["length"] == "long" and out.get("background") is not None:
        # A press release carries no markers before ENDS: the facts are cited in the
        # notes to editors, in the order the notes give them.
        bg = out["background"]
        cite(bg["strike"])
        cite(bg["rally"])
        cite(out["event"])
        cite(out["toll"])
        for person in bg["dead"]:
            cite(person)
        for d in out["demands"]:
            cite(d)
        cite(out.get("news"))
        for item in (out["event"], out["toll"], *out["groups"]):
            if item is not None:
                item["body_cite"] = ""
        for g in out["groups"]:
            g["cite"] = ""
        out["sources"] = cites.sources()
    else:
        cite(out["event"])
        if out["primary"] is not None:
            out["primary"]["cite"] = out["event"]["cite"] if out["event"] else ""
        cite(out["toll"])
        for g in out["groups"]:
            cite(g)
        for d in out["demands"]:
            cite(d)
        cite(out.get("news"))
        out["sources"] = [] if short else cites.sources()
    for s in out["sources"]:
        s.pop("document", None)
        s["title"], s["publisher"] = md(s["title"]), md(s["publisher"])
        s["url"] = md(s.get("url"))
    return out


def _public(ctx: dict[str, Any]) -> dict[str, Any]:
    """The context without private Python objects (datetimes) and warnings."""
    out = {k: v for k, v in ctx.items() if not k.startswith("_")}
    out["when"] = {k: v for k, v in ctx["when"].items() if not k.startswith("_")}
    return out


def fit_short(render: Callable[[dict[str, Any]], str], ctx: dict[str, Any],
              limit: int = SHORT_LIMIT) -> tuple[str, dict[str, Any]]:
    """Render a short post within ``limit`` characters as X counts them.

    The optional parts go first (names, the date of the commemorated event, the
    call to action, the occasion, the weekday);
    the what, when, where, organiser and contact stay. If those alone are too
    long, the user is told which of their own texts to shorten.
    """
    ctx = copy.deepcopy(ctx)
    text = render(ctx)
    while ctx["held"] and x_length(plain(text)) > limit:  # fewer names first, one by one
        ctx["held"] = ctx["held"][:-1]
        text = render(ctx)
    for part in SHORT_OPTIONAL:
        if x_length(plain(text)) <= limit:
            return text, ctx
        ctx["show"][part] = False
        text = render(ctx)
    size = x_length(plain(text))
    if size > limit:
        given = [f"--{name}" for name in ("place", "city", "organiser", "contact") if ctx[name]]
        raise UsageError(
            f"the short post is {size} characters as X counts them, over {limit}, with only "
            "what, when, where, organiser and contact",
            f"shorten {', '.join(given) or 'the template'} or use --length medium")
    return text, ctx


def render_announcement(store: Store, ctx: dict[str, Any],
                        user_dir: str | Path | None = None) -> tuple[str, str, dict[str, Any]]:
    """(markdown, title, the context as rendered) for a built context."""
    from campaign.documents.templates import renderer

    render = renderer(TEMPLATE, user_dir)  # compiled once: a short post may take a few tries

    def once(c: dict[str, Any]) -> str:
        return render(_public(number_citations(store, c))).strip() + "\n"

    if ctx["length"] == "short":
        body, ctx = fit_short(lambda c: once(c).strip(), ctx)
        body += "\n"
    else:
        body = once(ctx)
    title_ctx = _public(number_citations(store, {**ctx, "part": "title"}))
    title = plain(" ".join(render(title_ctx).split()))
    return body, title, number_citations(store, ctx)


def announce(store: Store, *, user_dir: str | Path | None = None,
             **options: Any) -> Announcement:
    """Build and render an announcement from plain arguments (see build_context)."""
    ctx = build_context(store, **options)
    markdown, title, final = render_announcement(store, ctx, user_dir)
    times = ctx["when"]
    location = plain(ctx["where"] or "")
    return Announcement(markdown=markdown, title=title or ctx["kind"], kind=ctx["kind"],
                        date=times["_day"], start=times["_start"], end=times["_end"],
                        timezone=times["timezone"], location=location, context=final,
                        warnings=list(ctx["_warnings"]))


def has_footnote(text: str) -> bool:
    """Whether a text carries a citation marker such as [1] or [2, 3]."""
    return bool(_FOOTNOTE.search(plain(text)))


def save(store: Store, ann: Announcement, *, organiser: str | None, city: str | None,
         today: dt.date) -> str:
    """Record the announced event as planned, citing the announcement itself as its source.

    Re-saving the same announcement (same date, kind and city) updates the
    record instead of adding a second one.
    """
    from campaign import names

    base = f"announcement-{ann.date.isoformat()}-{ann.kind}"
    if city and names.slug(city):
        base += f"-{names.slug(city)}"
    with store.transaction():
        store.add_source({
            "id": base,
            "title": f"Announcement: {ann.title}",
            "publisher": organiser or "campaign organisers",
            "published": today.isoformat(),
            "url": None,
            "document": None,
        }, replace=True)
        store.add_cited("events", "event", {
            "id": base, "date": ann.date.isoformat(), "end_date": None, "kind": ann.kind,
            "title": ann.title, "place": ann.location or None, "planned": 1, "quotes": [],
        }, [base], replace=True)
    return base


def announcement_context(store: Store) -> dict[str, Any]:
    """A sample context (a medium picket on the next 16 December), as a template receives it.

    For `campaign templates show announcement.md.j2`: the shape of the data, so
    that a user editing a copy of the template knows what it can use.
    """
    today = dates.today()
    year = today.year if today <= dt.date(today.year, 12, 16) else today.year + 1
    ctx = build_context(store, kind="picket", date=f"{year}-12-16", time="12:00",
                        place="(place)", city="(city)", organiser="(organiser)",
                        contact="(contact)", today=today)
    return _public(number_citations(store, ctx))
