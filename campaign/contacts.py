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
    (with when it was recorded), never "current", in tables and JSON alike; a contact
    marked not to be written to (`contacts set --no-contact`) says since when
    (``no_contact``, a date; None for everyone else), so the list a user reads before
    a merge shows who the merge will leave out."""
    found = store.contacts(kind=kind, country=country, group=group)
    marked = not_to_contact(store)
    for c in found:
        if c.get("historical") and c.get("status") == "current":
            c["status"] = "historical"
            c["recorded_as_of"] = c.get("as_of")
        since = marked.get(c["id"])
        c["no_contact"] = str(since)[:10] if since else None
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
    given_id = "id" in values
    values.setdefault("id", _id_from_name(values.get("name", "")))
    existing = next((c for c in store.contacts() if c["id"] == values["id"]), None)
    if existing and existing.get("ep_id") and values.get("kind", "mep") != existing["kind"]:
        raise UsageError(
            f"'{existing['id']}' is the MEP {_shown(existing['name'])} "
            f"(EP id {existing['ep_id']}); it stays a contact of kind {existing['kind']}",
            "give the new contact an --id of its own",
        )
    if existing and not given_id and not _same_contact(existing, values):
        raise UsageError(
            f"a contact with the id '{existing['id']}' already exists "
            f"({_shown(existing['name'])}, {_describe(existing)})",
            f"to update it, give --id {existing['id']}; to add another, give it a new --id",
        )
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


def _id_from_name(name: str) -> str:
    """The id a contact gets from its name; a name with no letter or digit has none."""
    from campaign.errors import UsageError

    key = names.normalise(name)
    if not key:
        raise UsageError(f"the name '{_shown(name)}' has no letter or digit to make an id from",
                         "give the contact an id with --id")
    return key.replace(" ", "-")


def _shown(text: str) -> str:
    """User text for a one-line message: control characters written as escapes."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _describe(contact: dict[str, Any]) -> str:
    return ", ".join(str(v) for v in (contact.get("kind"), contact.get("country")) if v)


def _same_contact(existing: dict[str, Any], values: dict[str, Any]) -> bool:
    """Whether ``values`` (without an id) describe the contact already under that id.

    Same name, same kind, and no other country: then adding it again updates it.
    Anything else is another contact that happens to share the name, and must
    never be folded into the first one's record.
    """
    if names.normalise(existing["name"]) != names.normalise(values.get("name", "")):
        return False
    if values.get("kind") and values["kind"] != existing["kind"]:
        return False
    new, old = values.get("country"), existing.get("country")
    if new and old:
        from campaign.countries import same_country

        return bool(same_country(old, new))
    return True


def import_csv(store: Store, path: str | Path, default_source: str | None = None) -> int:
    """Import contacts from a CSV file; all rows or none."""
    import io

    from pydantic import ValidationError as PydanticError

    from campaign.files import CSV_LIMIT, read_input

    path = Path(path)
    text = read_input(path, limit_bytes=CSV_LIMIT, what="CSV file")
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = [h or "" for h in reader.fieldnames or []]
        rows = list(reader)
    except csv.Error as exc:
        raise InputError(f"not a readable CSV ({exc})", path=str(path)) from None
    if not rows:
        raise InputError("has no rows under its header", path=str(path), line=1)
    repeated = sorted({h or "(blank)" for h in header if header.count(h) > 1})
    if repeated:
        # csv.DictReader keeps the last cell of a repeated column and drops the others
        # without a word: which one the user meant cannot be told.
        raise InputError(f"the column(s) {', '.join(repeated)} appear more than once",
                         path=str(path), line=1, hint="keep one of each")
    unknown = [h or "(blank)" for h in header if h not in CSV_FIELDS]
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
    line_of_id: dict[str, int] = {}
    in_store = {c["id"]: c for c in store.contacts()}
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
        named_only = "id" not in values
        if named_only:
            key = names.normalise(values.get("name", ""))
            if not key:
                raise InputError("the name has no letter or digit to make an id from",
                                 path=str(path), line=n, field="name",
                                 hint="fill in the row's 'id' column")
            values["id"] = key.replace(" ", "-")
        if values["id"] in line_of_id:
            raise InputError(
                f"this row has the same id '{values['id']}' as line {line_of_id[values['id']]}",
                path=str(path), line=n, field="id",
                hint="two rows are two contacts: give each its own value in the 'id' column",
            )
        line_of_id[values["id"]] = n
        old = in_store.get(values["id"])
        if old and old.get("ep_id"):
            raise InputError(
                f"the id '{old['id']}' is that of the MEP {_shown(old['name'])} "
                f"(EP id {old['ep_id']})", path=str(path), line=n, field="id",
                hint="MEPs come from the EP (`campaign meps import`); give this row "
                     "another id")
        if named_only and old and not _same_contact(old, values):
            raise InputError(
                f"the id '{old['id']}' is already that of {_shown(old['name'])} ({_describe(old)})",
                path=str(path), line=n, field="id",
                hint=f"to update that contact, put {old['id']} in the 'id' column; "
                     "to add another, give it a new id",
            )
        try:
            prepared.append((_validated(values, [src]), src))
        except PydanticError as exc:
            err = exc.errors()[0]
            raise InputError(err["msg"].removeprefix("Value error, "), path=str(path), line=n,
                             field=str(err["loc"][0])) from None
    for data, src in prepared:
        store.add_contact(data, [src], replace=True)
    return len(prepared)


# -- do not contact -----------------------------------------------------------
# A contact who asked not to be written to (or whom the campaign decided to leave
# alone) is kept, with its sources, but `letter` and `send` leave it out. The mark is
# the user's decision, not a sourced fact, so it lives in its own table (no_contact)
# and is no part of a pack or an export of contacts.


def find_contact(store: Store, name: str) -> dict[str, Any]:
    """The one contact ``name`` means (an id, a name, an alias or a display name)."""
    from campaign.documents.letters.recipients import display_name
    from campaign.errors import NotFoundError, UsageError

    pool = store.contacts()
    by_id = {c["id"]: c for c in pool}
    if name in by_id:
        return by_id[name]
    cands = [(c["id"], [c["name"], *c["aliases"], display_name(c)]) for c in pool]
    ids = names.match(name, cands)
    if not ids:
        everyone = [n for _, ns in cands for n in ns[:2]]
        raise NotFoundError("contact", name, names.suggest(name, everyone),
                            hint="see `campaign contacts list`")
    if len(ids) > 1:
        raise UsageError(f"'{name}' could mean {len(ids)} contacts: "
                         + ", ".join(by_id[i]["name"] for i in ids[:5]),
                         "give more of the name, or the id (`contacts list -f json`)")
    return by_id[ids[0]]


def set_no_contact(store: Store, contact_id: str, no_contact: bool,
                   reason: str | None = None) -> None:
    """Mark a contact not to be written to (``no_contact``), or clear the mark."""
    import datetime as dt

    if no_contact:
        store.conn.execute("DELETE FROM no_contact WHERE contact_id = ?", (contact_id,))
        store.conn.execute(
            "INSERT INTO no_contact (contact_id, since, reason) VALUES (?, ?, ?)",
            (contact_id, dt.datetime.now(dt.UTC).date().isoformat(), reason))
    else:
        store.conn.execute("DELETE FROM no_contact WHERE contact_id = ?", (contact_id,))


def not_to_contact(store: Store) -> dict[str, str]:
    """Contact id -> since when it is marked not to be contacted."""
    return {r[0]: r[1] for r in store.conn.execute("SELECT contact_id, since FROM no_contact")}


def drop_no_contact(store: Store, chosen: list[dict[str, Any]],
                    kind_word: str = "") -> tuple[list[dict[str, Any]], list[str]]:
    """``chosen`` without the contacts marked not to be contacted, and a line saying who
    was left out; none left is an error, so that no merge silently writes nothing."""
    from campaign.errors import CampaignError

    marked = not_to_contact(store)
    kept = [c for c in chosen if c["id"] not in marked]
    dropped = [c for c in chosen if c["id"] in marked]
    if dropped and not kept:
        who = ", ".join(c["name"] for c in dropped[:5])
        raise CampaignError(f"every {kind_word + ' ' if kind_word else ''}contact chosen is "
                            f"marked not to be contacted ({who})",
                            "clear the mark with `campaign contacts set NAME --contact-ok`")
    said = [f"left out {len(dropped)} contact(s) marked not to be contacted: "
            + ", ".join(c["name"] for c in dropped)] if dropped else []
    return kept, said
