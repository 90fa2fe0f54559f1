"""Sources: adding one, and what cites it."""

from __future__ import annotations

from typing import Any

from campaign import dates, names
from campaign.errors import UsageError
from campaign.store import Store


def add_source(store: Store, *, title: str, publisher: str, published: str,
               url: str | None = None, source_id: str | None = None) -> str:
    published = dates.parse_partial(published, "--date")
    if not title.strip() or not publisher.strip():
        raise UsageError("a source needs a --title and a --publisher")
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


def cited_by(store: Store, source_id: str) -> list[str]:
    return [f"{t} {i}" for t, i in store.conn.execute(
        "SELECT record_type, record_id FROM citations WHERE source_id = ? ORDER BY seq",
        (source_id,))]


def document_text(source: dict[str, Any]) -> str:
    """The kept copy of a source's document; only ever a file in the documents directory."""
    from campaign.pack import document_path

    doc = document_path(source.get("document"))
    if doc is not None:
        return doc.read_text(encoding="utf-8", errors="replace")
    return f"(no copy of this document is kept; see {source.get('url') or 'its publisher'})"
