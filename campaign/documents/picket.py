"""The picket sheet: the prisoners' names in large type, what happened to them, as of when.

A public document: it carries names, what the sources report happened to each
person and the sources, and nothing else. No contact record is read here, and
a person record has no contact fields, so no address, phone number or email
can reach the sheet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
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
DEFAULT_STATUSES = ("detained", "charged", "under investigation", "on trial", "imprisoned")
EVENT_DETAILS = ("charge", "sentence", "court", "place", "prison")


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


def picket_context(store: Store, *, statuses: Sequence[str] = DEFAULT_STATUSES,
                   names: Sequence[str] = (), as_of: dt.date | None = None,
                   title: str | None = None, escape: bool = True) -> dict[str, Any]:
    """The sheet's plain data; ``escape`` makes record text inert in Markdown (off for Typst)."""
    from campaign.people import select

    as_of = as_of or dates.today()
    people = select(store, list(names), as_of, () if names else list(statuses))
    cites = Citations(store)

    def text(value: str | None) -> str | None:
        return md(value) if escape else value

    persons = []
    for p in people:
        events = [_event(e, cites, escape) for e in events_until(p["events"], as_of)]
        persons.append({
            "name": text(p["name"]),
            "aliases": [text(a) for a in p["aliases"]],
            "description": text(p.get("description")),
            "status": p["status"],
            "status_text": text(p["status_text"]),
            "events": events,
            "cite": cites.cite(p["sources"]),
        })
    sources = cites.sources()
    for s in sources:
        s["title"], s["publisher"] = text(s["title"]), text(s["publisher"])
        s["published_text"] = dates.human(s["published"])
    return {
        "title": text(" ".join(title.split())) if title else None,
        "campaign": text(store.meta("title")),
        "as_of": as_of.isoformat(),
        "as_of_text": dates.human(as_of.isoformat()),
        "statuses": list(statuses) if not names else [],
        "persons": persons,
        "sources": sources,
    }


def render_picket(store: Store, fmt: DocFormat, *, user_dir: str | Path | None = None,
                  **options: Any) -> bytes:
    """The sheet in ``fmt``; PDF is typeset from the context by ``picket.typ``, Word laid
    out the same way from the same context (not converted from the Markdown)."""
    from campaign.documents.output import convert
    from campaign.documents.templates import render

    if fmt is DocFormat.pdf:
        from campaign.formats.pdf import context_to_pdf

        return context_to_pdf(TYPST_TEMPLATE, picket_context(store, escape=False, **options),
                              user_dir)
    if fmt is DocFormat.docx:
        from campaign.formats.docx import picket_to_docx

        return picket_to_docx(picket_context(store, escape=False, **options))
    context = picket_context(store, **options)
    markdown = render(TEMPLATE, context, user_dir)
    title = (context["title"] or "Political prisoners").replace("\\", "")
    return convert(markdown, fmt, title=title)


# -- placards: one person a page, the name read from five metres ------------------------

HELD = DEFAULT_STATUSES


def placard_call(status: str | None) -> str:
    """The line above the name: a demand only where it can still be made.

    FREE for someone held; JUSTICE FOR someone who died; SOLIDARITY WITH anyone
    else (released, in exile, dismissed...), whose release it would be wrong to ask.
    """
    if status in HELD:
        return "FREE"
    if status == "died":
        return "JUSTICE FOR"
    return "SOLIDARITY WITH"


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
                    title: str | None = None) -> dict[str, Any]:
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
        placards.append({
            "call": placard_call(p["status"]),
            "name": p["name"],
            "name_lines": placard_lines(p["name"]),
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
                    **options: Any) -> bytes:
    """The placards as PDF (``placard.typ``) or Word; any other format is a usage error."""
    from campaign.errors import UsageError

    if fmt not in PLACARD_FORMATS:
        raise UsageError(f"placards cannot be written as {fmt.value}",
                         "use --format pdf or docx (or a .pdf or .docx file name)")
    data = placard_context(store, **options)
    if fmt is DocFormat.pdf:
        from campaign.formats.pdf import context_to_pdf

        return context_to_pdf(PLACARD_TEMPLATE, data, user_dir)
    from campaign.formats.docx import placards_to_docx

    return placards_to_docx(data)
