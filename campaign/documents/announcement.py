"""Announcements of pickets, vigils, meetings and days of action.

The context says what, when, where, who calls it and why. The "why" is
computed: the anniversaries that fall on the date (from the store's dated
events), or else the campaign's key event and its figures. Every fact is
cited with numbered citations, and the document ends with exactly the
sources it cited. The wording lives in ``announcement.md.j2``.

Three lengths, one per channel: ``short`` fits a 280-character social post
(enforced here: optional parts are dropped, then the user's free text is
shortened at a word boundary), ``medium`` an email or leaflet, ``long`` a
press release with background, figures and sources.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from campaign import anniversaries, dates
from campaign.documents.citations import Citations
from campaign.errors import TemplateError, UsageError
from campaign.store import Store

KINDS = ("picket", "vigil", "meeting", "day-of-action")
LENGTHS = ("short", "medium", "long")
TEMPLATE = "announcement.md.j2"
SHORT_LIMIT = 280
ELLIPSIS = "…"
DEFAULT_DEMANDS = 3
MEDIUM_FIGURES = 3
MEDIUM_ALSO = 3
DEFAULT_PRISONER_STATUSES = ("imprisoned",)
# Optional parts of a short post, dropped in this order until it fits.
SHORT_OPTIONAL = ("demand", "contact", "organiser", "weekday", "end")
# Free text shortened (at a word boundary) when the essentials alone are too long.
SHORT_SHRINKABLE = ("place", "city", "title", "locality")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


@dataclass
class Announcement:
    """A rendered announcement with what a calendar entry or a saved event needs."""

    markdown: str
    title: str
    kind: str
    date: dt.date
    start: dt.datetime | None
    end: dt.datetime | None
    timezone: str | None
    location: str
    context: dict[str, Any] = field(repr=False)


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


def _figure(f: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f["id"],
        "subject": f["subject"],
        "number": f["number"],
        "number_text": f"{f['number']:,}",
        "qualifier": f["qualifier"],
        "according_to": f["according_to"],
        "date": f.get("date"),
        "sources": list(f["sources"]),
    }


def _background(store: Store) -> dict[str, Any]:
    """The key event and the figures about it: the facts used when no anniversary says why."""
    event = anniversaries.key_event(store)
    if event is None:
        return {"event": None, "figures": []}
    loc = (event.get("locality") or "").casefold()
    figures = [_figure(f) for f in store.figures()
               if loc and loc in f["subject"].casefold()]
    data = {k: event.get(k) for k in ("id", "kind", "title", "place", "date", "end_date",
                                      "locality", "span_text")}
    data["sources"] = list(event["sources"])
    return {"event": data, "figures": figures}


def _demands(store: Store, wanted: Sequence[str]) -> list[dict[str, Any]]:
    chosen = [store.demand(d) for d in dict.fromkeys(wanted)] if wanted else \
        store.demands()[:DEFAULT_DEMANDS]
    return [{"id": d["id"], "text": d["text"], "addressed_to": d.get("addressed_to"),
             "sources": list(d["sources"])} for d in chosen]


def _prisoners(store: Store, wanted: Sequence[str], as_of: dt.date) -> list[dict[str, Any]]:
    from campaign.people import select

    people = select(store, wanted, as_of, () if wanted else DEFAULT_PRISONER_STATUSES)
    return [{"id": p["id"], "name": p["name"], "status": p["status"],
             "status_text": p["status_text"], "sources": list(p["sources"])} for p in people]


def build_context(store: Store, *, kind: str, date: str, time: str | None = None,
                  end: str | None = None, timezone: str | None = None,
                  place: str | None = None, city: str | None = None,
                  organiser: str | None = None, contact: str | None = None,
                  demands: Sequence[str] = (), prisoners: Sequence[str] = (),
                  length: str = "medium", as_of: dt.date | None = None) -> dict[str, Any]:
    """The plain data of an announcement, before its citations are numbered.

    ``contact`` is the organiser's own public contact line, as the user gave
    it; contact details from the store are never used on a public document.
    Statuses are worded as of ``as_of`` (default: the date of the event).
    """
    if kind not in KINDS:
        raise UsageError(f"--kind: unknown kind '{kind}'", "use one of: " + ", ".join(KINDS))
    if length not in LENGTHS:
        raise UsageError(f"--length: unknown length '{length}'",
                         "use one of: " + ", ".join(LENGTHS))
    times = when(date, time, end, timezone)
    day: dt.date = times["_day"]
    status_date = as_of or day
    found = anniversaries.on_date(store, day)
    return {
        "part": "body",
        "length": length,
        "kind": kind,
        "when": times,
        "place": _clean(place),
        "city": _clean(city),
        "organiser": _clean(organiser),
        "contact": _clean(contact),
        "anniversaries": found,
        "primary": found[0] if found else None,
        "also": found[1:],
        "background": _background(store),
        "demands": _demands(store, demands),
        "prisoners": _prisoners(store, prisoners, status_date),
        "prisoners_as_of": dates.human(status_date.isoformat()),
        "show": dict.fromkeys(SHORT_OPTIONAL, True),
    }


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    text = " ".join(text.split())
    return text or None


def number_citations(store: Store, ctx: dict[str, Any]) -> dict[str, Any]:
    """Number the citations in the order the template uses the facts; list only those.

    The order is: the occasion (anniversaries), the background event, its
    figures, the demands, the prisoners. A short post cites one source per
    fact, so that the post and its sources fit together.
    """
    out = copy.deepcopy(ctx)
    cites = Citations(store)
    length = out["length"]
    short = length == "short"
    show = out["show"]

    def cite(item: dict[str, Any] | None) -> None:
        if item is None:
            return
        srcs = item["sources"][:1] if short else item["sources"]
        item["cite"] = cites.cite(srcs)

    for item in out["anniversaries"]:
        item["cite"] = ""
    if out["primary"]:
        out["primary"] = out["anniversaries"][0]
        out["also"] = out["anniversaries"][1:]
    shown_also = [] if short else out["also"][:MEDIUM_ALSO] if length == "medium" else out["also"]
    out["also"] = shown_also
    cite(out["primary"])
    for a in shown_also:
        cite(a)
    background = out["background"]
    if not short or out["primary"] is None:
        cite(background["event"])
    if short:
        background["figures"] = []
    elif length == "medium":
        background["figures"] = background["figures"][:MEDIUM_FIGURES]
    for f in background["figures"]:
        cite(f)
    if short:
        out["demands"] = out["demands"][:1] if show["demand"] else []
        out["prisoners"] = []
    for d in out["demands"]:
        cite(d)
    for p in out["prisoners"]:
        cite(p)
    out["sources"] = cites.sources()
    for s in out["sources"]:
        s["published_month"] = dates.month_year(s["published"])
    return out


def _public(ctx: dict[str, Any]) -> dict[str, Any]:
    """The context without the private Python objects (datetimes) used for the calendar."""
    out = dict(ctx)
    out["when"] = {k: v for k, v in ctx["when"].items() if not k.startswith("_")}
    return out


def shorten_words(text: str, limit: int) -> str:
    """The longest run of whole words (plus an ellipsis) within ``limit`` characters, or ''."""
    if len(text) <= limit:
        return text
    words = text.split()
    while words:
        words.pop()
        candidate = " ".join(words).rstrip(",;:.–-— ") + ELLIPSIS
        if words and len(candidate) <= limit:
            return candidate
    return ""


def fit_short(render: Callable[[dict[str, Any]], str], ctx: dict[str, Any],
              limit: int = SHORT_LIMIT) -> tuple[str, dict[str, Any]]:
    """Render a short post within ``limit`` characters, never cutting a word.

    First the optional parts go (demand, contact, organiser, weekday, end
    time); then the free text (place, city, an event title) is shortened at a
    word boundary. Raises if even the bare essentials cannot fit.
    """
    ctx = copy.deepcopy(ctx)
    text = render(ctx)
    for part in SHORT_OPTIONAL:
        if len(text) <= limit:
            return text, ctx
        ctx["show"][part] = False
        text = render(ctx)
    for name in SHORT_SHRINKABLE:
        for holder in _holders(ctx, name):
            while len(text) > limit and holder.get(name):
                current = holder[name]
                shorter = shorten_words(current, len(current) - (len(text) - limit))
                holder[name] = shorter or None
                text = render(ctx)
            if len(text) <= limit:
                return text, ctx
    if len(text) > limit:
        raise TemplateError(
            f"the short announcement is {len(text)} characters, over the limit of {limit}, "
            "even without its optional parts",
            "shorten --place, --city or the template's wording, or use --length medium",
        )
    return text, ctx


def _holders(ctx: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """The dicts in the context whose field ``name`` may be shortened for a short post."""
    if name in ("place", "city"):
        return [ctx]
    found = [ctx["primary"]] if ctx.get("primary") else []
    if ctx["background"].get("event"):
        found.append(ctx["background"]["event"])
    return found


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
    title = " ".join(render(title_ctx).split())
    return body, title, number_citations(store, ctx)


def announce(store: Store, *, user_dir: str | Path | None = None,
             **options: Any) -> Announcement:
    """Build and render an announcement from plain arguments (see build_context)."""
    ctx = build_context(store, **options)
    markdown, title, final = render_announcement(store, ctx, user_dir)
    times = ctx["when"]
    location = ", ".join(x for x in (ctx["place"], ctx["city"]) if x)
    return Announcement(markdown=markdown, title=title or ctx["kind"], kind=ctx["kind"],
                        date=times["_day"], start=times["_start"], end=times["_end"],
                        timezone=times["timezone"], location=location, context=final)


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
                        contact="(contact)")
    return _public(number_citations(store, ctx))
