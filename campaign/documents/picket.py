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
    """The sheet in ``fmt``; PDF is typeset from the context by ``picket.typ``."""
    from campaign.documents.output import convert
    from campaign.documents.templates import render

    if fmt is DocFormat.pdf:
        from campaign.formats.pdf import context_to_pdf

        return context_to_pdf(TYPST_TEMPLATE, picket_context(store, escape=False, **options),
                              user_dir)
    context = picket_context(store, **options)
    markdown = render(TEMPLATE, context, user_dir)
    title = (context["title"] or "Political prisoners").replace("\\", "")
    return convert(markdown, fmt, title=title)
