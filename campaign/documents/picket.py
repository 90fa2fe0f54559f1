"""The picket sheet: the prisoners' names in large type, what happened to them, as of when.

A public document: it carries names, what the sources report happened to each
person and the sources, and nothing else. No contact record is read here, and
a person record has no contact fields, so no address, phone number or email
can reach the sheet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from campaign import dates
from campaign.documents.citations import Citations
from campaign.documents.resolution import md
from campaign.formats import DocFormat
from campaign.status import events_until
from campaign.store import Store

FORMATS = (DocFormat.pdf, DocFormat.html, DocFormat.md, DocFormat.docx)
TEMPLATE = "picket.md.j2"
TYPST_TEMPLATE = "picket.typ"
PLACARD_TEMPLATE = "placard.typ"
PLACARD_FORMATS = (DocFormat.pdf, DocFormat.docx)
# A picket marks the killings: the dead are on the sheet by default, beside those held,
# charged or under investigation.
DEFAULT_STATUSES = ("detained", "charged", "under investigation", "on trial", "imprisoned",
                    "died")
EVENT_DETAILS = ("charge", "sentence", "court", "place", "prison")
# More people than this are typeset in parts, each in a process of its own (as the
# letters' PDF is): Typst keeps a whole document in memory, about 0.8 MB a page.
PART_PERSONS = 400

# The sheet's groups, in order. A person's status puts them among the dead or the
# charged and investigated; otherwise their role does.
GROUPS = (
    ("strike", "Strike leaders and oil workers"),
    ("press", "Lawyers, journalists and rights defenders"),
    ("opposition", "Opposition and civil society"),
    ("other", "Others held"),
    ("died", "Those who died"),
    ("charged", "Charged or under investigation"),
    ("rest", "Others"),
)
ROLE_GROUP = {
    "strike leader": "strike", "oil worker": "strike", "trade unionist": "strike",
    "lawyer": "press", "journalist": "press", "human-rights defender": "press",
    "opposition politician": "opposition", "activist": "opposition",
}
# Within a group: those held first, then the charged, the investigated, the dead, the rest.
STATUS_ORDER = ("imprisoned", "on trial", "detained", "charged", "under investigation", "died")


def group_of(person: Mapping[str, Any]) -> str:
    """The key of the sheet's group a person is listed in (see GROUPS)."""
    status = person.get("status")
    if status == "died":
        return "died"
    if status in ("charged", "under investigation"):
        return "charged"
    from campaign.labels import is_held

    group = ROLE_GROUP.get(str(person.get("role") or "").casefold())
    if group:
        return group
    return "other" if is_held(status) else "rest"


def _surname(name: str) -> str:
    words = name.split()
    return words[-1].casefold() if words else ""


def grouped(people: Sequence[dict[str, Any]]) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """(key, heading, people) for each group with anyone in it, people ordered within by
    status (held first) and surname."""
    by_key: dict[str, list[dict[str, Any]]] = {}
    for p in people:
        by_key.setdefault(group_of(p), []).append(p)
    rank = {s: n for n, s in enumerate(STATUS_ORDER)}
    return [(key, heading, sorted(by_key[key], key=lambda p: (
                rank.get(p.get("status") or "", len(rank)), _surname(p["name"]), p["name"])))
            for key, heading in GROUPS if key in by_key]


def default_title(store: Store, statuses: Sequence[str | None]) -> str:
    """The sheet's title from who is on it and where it happened."""
    from campaign.anniversaries import key_event
    from campaign.labels import describe

    key = key_event(store)
    where = key.get("locality") if key else None
    return describe(statuses) + (f" after {where}" if where else "")


def _event(e: Mapping[str, Any], cites: Citations, escape: bool) -> dict[str, Any]:
    def text(value: Any) -> Any:
        return md(value) if escape and isinstance(value, str) else value

    return {
        "kind": e["kind"],
        "date": e["date"],
        "date_text": dates.human(e["date"]) if e.get("date_basis") != "report"
        else dates.month_year(e["date"]),
        "reported": e.get("date_basis") == "report",
        **{k: text(e.get(k)) for k in EVENT_DETAILS},
        "cite": cites.cite(e["sources"]),
    }


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def header_lines(store: Store, as_of: dt.date, cites: Citations,
                 text: Callable[[str | None], str | None]) -> list[str]:
    """What happened, in up to three cited lines: the key event, the disputed toll (each
    figure with who gave it and its source), and what the sheet lists. Only what sources
    published by ``as_of`` give."""
    from campaign.anniversaries import key_event, span_text

    visible = {s["id"] for s in store.sources() if dates.start(s["published"]) <= as_of}
    lines: list[str] = []
    key = key_event(store)
    if key is None:
        return lines
    srcs = [s for s in key.get("sources", []) if s in visible]
    if srcs and (key.get("summary") or key.get("title")):
        what = key.get("summary") or key["title"]
        lines.append(f"On {key.get('span_text') or span_text(key)} {text(what)} "
                     f"{cites.cite(srcs)}.")
    locality = str(key.get("locality") or "").casefold()
    toll: dict[str, list[dict[str, Any]]] = {}
    for f in store.figures():
        fs = [s for s in f["sources"] if s in visible]
        if locality and fs and locality in f["subject"].casefold() \
                and "death" in f["subject"].casefold():
            toll.setdefault(f["subject"], []).append({**f, "sources": fs})
    if toll:
        subject, found = max(toll.items(), key=lambda kv: len(kv[1]))
        found = sorted(found, key=lambda f: (f["number"], f["according_to"]))
        noun = subject.split(" in the ")[0]

        def figure(f: dict[str, Any], first: bool) -> str:
            amount = " ".join(x for x in (f.get("qualifier"), format(f["number"], ",")) if x)
            who = text(f["according_to"])
            said = f"{who} gave {amount} {noun}" if first else f"{who}, {amount}"
            return f"{said} {cites.cite(f['sources'])}"

        lines.append("The toll is disputed: " + "; ".join(
            figure(f, n == 0) for n, f in enumerate(found)) + ".")
    return lines


def picket_context(store: Store, *, statuses: Sequence[str] = DEFAULT_STATUSES,
                   names: Sequence[str] = (), as_of: dt.date | None = None,
                   title: str | None = None, escape: bool = True) -> dict[str, Any]:
    """The sheet's plain data; ``escape`` makes record text inert in Markdown (off for Typst).

    People come in groups (GROUPS), ordered within; ``persons`` is every person in
    that order, ``groups`` the same people under their headings.
    """
    from campaign.people import select

    as_of = as_of or dates.today()
    people = select(store, list(names), as_of, () if names else list(statuses))
    cites = Citations(store)

    def text(value: str | None) -> str | None:
        return md(value) if escape else value

    header = header_lines(store, as_of, cites, text)
    groups = []
    persons = []
    for key, heading, members in grouped(people):
        group: dict[str, Any] = {"key": key, "heading": heading, "persons": []}
        for p in members:
            events = [_event(e, cites, escape) for e in events_until(p["events"], as_of)]
            shown = {
                "name": text(p["name"]),
                "aliases": [text(a) for a in p["aliases"]],
                "description": text(p.get("description")),
                "status": p["status"],
                "status_text": text(p["status_text"]),
                "events": events,
                "cite": cites.cite(p["sources"]),
            }
            group["persons"].append(shown)
            persons.append(shown)
        groups.append(group)
    sources = cites.sources()
    for s in sources:
        s["title"], s["publisher"] = text(s["title"]), text(s["publisher"])
        s["published_text"] = dates.human(s["published"])
    given = " ".join(title.split()) if title else None
    heading = given or default_title(store, [p["status"] for p in people] or list(statuses))
    return {
        "title": text(given),  # the user's --title, or None
        "heading": text(heading),  # what the sheet is headed: --title, or who is on it
        "campaign": text(store.meta("title")),
        "as_of": as_of.isoformat(),
        "as_of_text": dates.human(as_of.isoformat()),
        "statuses": list(statuses) if not names else [],
        "header": header,
        "groups": groups,
        "persons": persons,
        "sources": sources,
    }


def sheet_parts(data: dict[str, Any], size: int | None = None) -> list[dict[str, Any]]:
    """The sheet's data cut into parts of about ``size`` people for typesetting one by one.

    Parts end at group boundaries: whole groups are packed into a part while they fit,
    so a group is never split between parts unless it alone holds more than ``size``
    people (then it goes on in the next part under its heading, "continued"). The first
    part has the title and the header; the last, the sources, whole.
    """
    size = size or PART_PERSONS
    chunks: list[dict[str, Any]] = []  # pieces of groups of at most `size` people
    for g in data["groups"]:
        people = g["persons"]
        for start in range(0, len(people), size):
            chunks.append({**g, "continued": start > 0, "persons": people[start:start + size]})
    parts: list[list[dict[str, Any]]] = [[]]
    for chunk in chunks:
        count = sum(len(c["persons"]) for c in parts[-1])
        if parts[-1] and count + len(chunk["persons"]) > size:
            parts.append([])
        parts[-1].append(chunk)
    out = []
    for n, groups in enumerate(parts):
        first, last = n == 0, n == len(parts) - 1
        out.append({**data, "part": {"first": first, "last": last, "number": n + 1,
                                     "count": len(parts)}, "groups": groups,
                    "persons": [p for g in groups for p in g["persons"]],
                    "header": data["header"] if first else [],
                    "sources": data["sources"] if last else []})
    return out


def render_picket(store: Store, fmt: DocFormat, *, user_dir: str | Path | None = None,
                  **options: Any) -> bytes:
    """The sheet in ``fmt``; PDF is typeset from the context by ``picket.typ``, Word laid
    out the same way from the same context (not converted from the Markdown)."""
    from campaign.documents.output import convert
    from campaign.documents.templates import render

    if fmt is DocFormat.pdf:
        from campaign.formats.pdf import context_to_pdf, parts_to_pdf

        data = picket_context(store, escape=False, **options)
        if len(data["persons"]) <= PART_PERSONS:
            return context_to_pdf(TYPST_TEMPLATE, data, user_dir)
        return parts_to_pdf(TYPST_TEMPLATE, sheet_parts(data), user_dir, title=data["heading"])
    if fmt is DocFormat.docx:
        from campaign.formats.docx import picket_to_docx

        return picket_to_docx(picket_context(store, escape=False, **options))
    context = picket_context(store, **options)
    markdown = render(TEMPLATE, context, user_dir)
    title = str(context["heading"]).replace("\\", "")
    return convert(markdown, fmt, title=title)


# -- placards: one person a page, the name read from five metres ------------------------

PLACARD_NAME_MAX = 60  # characters of a name a placard shows; beyond, it is cut at a word


def placard_call(status: str | None) -> str:
    """The line above the name: the one rule of campaign.labels (FREE only for someone
    reported held; DROP THE CHARGES AGAINST someone charged; JUSTICE FOR the dead...)."""
    from campaign.labels import call_for

    return call_for(status)


def placard_name(name: str, warnings: list[str] | None = None) -> str:
    """The name as the placard shows it: at most PLACARD_NAME_MAX characters, so that a very
    long name cannot shrink the call and itself to a smudge; cut at a word, with a warning,
    and a warning for letters the placard's fonts cannot show."""
    from campaign.labels import unshown_letters

    shown = " ".join(name.split())
    if len(shown) > PLACARD_NAME_MAX:
        cut = shown[:PLACARD_NAME_MAX + 1].rsplit(" ", 1)[0] if " " in shown[:PLACARD_NAME_MAX] \
            else shown[:PLACARD_NAME_MAX]
        if warnings is not None:
            warnings.append(f"the name '{shown[:40]}…' is {len(shown)} characters: its placard "
                            f"shows the first {len(cut)} (give a shorter name or an alias)")
        shown = cut.rstrip(" ,;-") + "…"
    missing = unshown_letters(shown)
    if missing and warnings is not None:
        warnings.append(f"the placard for '{shown[:40]}' has letters its fonts cannot show "
                        f"({''.join(missing[:5])}): they print as empty boxes; use a Latin or "
                        "Cyrillic spelling, or your own placard.typ with a font that has them")
    return shown


def placard_lines(name: str) -> list[str]:
    """The name in capitals, a word a line (two short words share one)."""
    words = name.upper().split()
    lines: list[str] = []
    for word in words:
        if lines and len(lines[-1]) + 1 + len(word) <= 8:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [name.upper()]


def placard_context(store: Store, *, statuses: Sequence[str] = DEFAULT_STATUSES,
                    names: Sequence[str] = (), as_of: dt.date | None = None,
                    title: str | None = None,
                    warnings: list[str] | None = None) -> dict[str, Any]:
    """One placard per person: the call, the name, the status as of when, the sources.

    Plain text throughout (no Markdown): Typst gets it as JSON data, Word as runs.
    """
    from campaign.people import select

    as_of = as_of or dates.today()
    people = select(store, list(names), as_of, () if names else list(statuses))
    known = {s["id"]: s for s in store.sources()}
    placards = []
    for p in people:
        status_line = p["status_text"].replace(" (", ", ").rstrip(")") \
            if p["status"] else "no report"
        cited = [known[s] for s in p["sources"] if s in known]
        sources_line = "; ".join(
            f"{s['publisher']}, {dates.month_year(s['published'])}" for s in cited)
        shown = placard_name(p["name"], warnings)
        placards.append({
            "call": placard_call(p["status"]),
            "name": shown,
            "name_lines": placard_lines(shown),
            "status_line": status_line,
            "sources_line": ("Source: " if len(cited) == 1 else "Sources: ") + sources_line
            if cited else "",
        })
    return {
        "title": " ".join(title.split()) if title else None,
        "as_of_text": dates.human(as_of.isoformat()),
        "statuses": list(statuses) if not names else [],
        "placards": placards,
    }


def render_placards(store: Store, fmt: DocFormat, *, user_dir: str | Path | None = None,
                    warnings: list[str] | None = None, **options: Any) -> bytes:
    """The placards as PDF (``placard.typ``) or Word; any other format is a usage error.
    ``warnings`` hears of names cut short or with letters the fonts cannot show."""
    from campaign.errors import UsageError

    if fmt not in PLACARD_FORMATS:
        raise UsageError(f"placards cannot be written as {fmt.value}",
                         "use --format pdf or docx (or a .pdf or .docx file name)")
    data = placard_context(store, warnings=warnings, **options)
    if fmt is DocFormat.pdf:
        from campaign.formats.pdf import context_to_pdf

        return context_to_pdf(PLACARD_TEMPLATE, data, user_dir)
    from campaign.formats.docx import placards_to_docx

    return placards_to_docx(data)
