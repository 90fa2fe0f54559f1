"""Sources: adding one, and what cites it."""

from __future__ import annotations

import re
from typing import Any

from campaign import dates, names
from campaign.errors import UsageError
from campaign.store import Store


def add_source(store: Store, *, title: str, publisher: str, published: str,
               url: str | None = None, source_id: str | None = None) -> str:
    published = dates.parse_partial(published, "--date")
    if not title.strip() or not publisher.strip():
        raise UsageError("a source needs a --title and a --publisher")
    for option, value in (("--title", title), ("--publisher", publisher)):
        if is_placeholder(value):
            raise UsageError(f"{option} '{value.strip()}' is a placeholder, not a "
                             f"{option[2:]}", "give the article's own words")
    if url is not None:
        from campaign.records import web_address

        try:
            url = web_address(url)
        except ValueError as exc:
            raise UsageError(f"--url: {exc}") from None
    sid = source_id or names.unique_slug(f"{publisher} {published}", store.source_ids())
    store.add_source({"id": sid, "title": title.strip(), "publisher": publisher.strip(),
                      "published": published, "url": url, "document": None})
    return sid


# What a README or a form shows where the real text goes: "…", "...", "TITLE", "<title>".
_PLACEHOLDER = re.compile(r"^(?:[.…\s_-]*|<[^<>]*>|\[[^\[\]]*\]|title|publisher|tbd|todo|xxx+)$",
                          re.IGNORECASE)


def is_placeholder(text: str) -> bool:
    """Whether ``text`` is a placeholder copied from an example rather than real text:
    dots or an ellipsis alone, ``<title>``, ``[title]``, ``TITLE``, ``xxx``."""
    return bool(_PLACEHOLDER.match(text.strip()))


def cited_by(store: Store, source_id: str) -> list[str]:
    """The records citing the source, and the persons whose postal address it gives."""
    cites = [f"{t} {i}" for t, i in store.conn.execute(
        "SELECT record_type, record_id FROM citations WHERE source_id = ? ORDER BY seq",
        (source_id,))]
    return cites + [f"postal address of {p}" for (p,) in store.conn.execute(
        "SELECT person_id FROM person_addresses WHERE source_id = ? ORDER BY id",
        (source_id,))]


def document_text(source: dict[str, Any]) -> str:
    """The kept copy of a source's document; only ever a file in the documents directory."""
    from campaign.pack import document_path

    doc = document_path(source.get("document"))
    if doc is not None:
        return doc.read_text(encoding="utf-8", errors="replace")
    return f"(no copy of this document is kept; see {source.get('url') or 'its publisher'})"
