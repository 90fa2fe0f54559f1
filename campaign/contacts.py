"""Contacts: MEPs, embassies, authorities, press, unions. Adding and CSV import.

An email address is only ever one a source gave or a user typed: never
guessed from a name.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from campaign import names
from campaign.errors import InputError
from campaign.store import Store

CSV_FIELDS = ("id", "name", "kind", "country", "group", "party", "email", "postal_address",
              "phone", "salutation", "role", "url", "source")
REQUIRED = ("name", "kind")


def listing(store: Store, *, kind: str | None = None, country: str | None = None,
            group: str | None = None) -> list[dict[str, Any]]:
    """Contacts as a list shows them: a historical contact's status is "historical"
    (with when it was recorded), never "current", in tables and JSON alike."""
    found = store.contacts(kind=kind, country=country, group=group)
    for c in found:
        if c.get("historical"):
            c["status"] = "historical"
            c["recorded_as_of"] = c.get("as_of")
    return found


def _validated(values: dict[str, Any], sources: list[str]) -> dict[str, Any]:
    from campaign.records import Contact

    data = Contact.model_validate({**values, "sources": sources}).model_dump()
    data.pop("sources")
    return data


def add_contact(store: Store, values: dict[str, Any], sources: list[str]) -> str:
    """Add (or, with the same id, update) a contact; returns its id."""
    from pydantic import ValidationError as PydanticError

    from campaign.errors import UsageError

    values = {k: v for k, v in values.items() if v not in (None, "")}
    values.setdefault("id", names.slug(values.get("name", "")))
    existing = next((c for c in store.contacts() if c["id"] == values["id"]), None)
    if existing:
        # An update keeps what it does not change, and adds the new source to the old ones:
        # a user confirming a contact with a new source makes it current, not historical.
        keep = {k: v for k, v in existing.items()
                if k not in ("sources", "historical") and v not in (None, "", [], {})}
        values = {**keep, **values, "historical": False}
        sources = list(dict.fromkeys([*existing["sources"], *sources]))
    try:
        data = _validated(values, sources)
    except PydanticError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        raise UsageError(f"contact {field}: {err['msg'].removeprefix('Value error, ')}") from None
    store.add_contact(data, sources, replace=True)
    return str(data["id"])


def import_csv(store: Store, path: str | Path, default_source: str | None = None) -> int:
    """Import contacts from a CSV file; all rows or none."""
    import io

    from pydantic import ValidationError as PydanticError

    from campaign.files import CSV_LIMIT, read_input

    path = Path(path)
    text = read_input(path, limit_bytes=CSV_LIMIT, what="CSV file")
    try:
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        header = list(rows[0].keys()) if rows else []
    except csv.Error as exc:
        raise InputError(f"not a readable CSV ({exc})", path=str(path)) from None
    if not rows:
        raise InputError("has no rows under its header", path=str(path), line=1)
    unknown = [h for h in header if h not in CSV_FIELDS]
    missing = [h for h in REQUIRED if h not in header]
    if unknown or missing:
        problem = (f"unknown column(s) {', '.join(unknown)}" if unknown
                   else f"missing column(s) {', '.join(missing)}")
        raise InputError(problem, path=str(path), line=1,
                         hint="the columns are: " + ", ".join(CSV_FIELDS))
    if "source" not in header and not default_source:
        raise InputError("no 'source' column", path=str(path), line=1,
                         hint="add one, or give --source ID for every row")
    known = store.source_ids()
    prepared = []
    for n, row in enumerate(rows, start=2):
        if None in row:
            raise InputError("has more cells than the header", path=str(path), line=n)
        src = (row.get("source") or default_source or "").strip()
        if not src:
            raise InputError("no source", path=str(path), line=n, field="source",
                             hint="every contact says where it came from")
        if src not in known:
            raise InputError(f"unknown source '{src}'", path=str(path), line=n, field="source",
                             hint="add it with `campaign sources add` first")
        values = {k: (v or "").strip() for k, v in row.items() if k != "source"}
        values = {k: v for k, v in values.items() if v}
        values.setdefault("id", names.slug(values.get("name", "")))
        try:
            prepared.append((_validated(values, [src]), src))
        except PydanticError as exc:
            err = exc.errors()[0]
            raise InputError(err["msg"].removeprefix("Value error, "), path=str(path), line=n,
                             field=str(err["loc"][0])) from None
    for data, src in prepared:
        store.add_contact(data, [src], replace=True)
    return len(prepared)
