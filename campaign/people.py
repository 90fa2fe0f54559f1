"""Persons and their case events: one person, one record, every spelling an alias."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from campaign import dates, names
from campaign.errors import NotFoundError, UsageError, ValidationError
from campaign.status import STATUS_OF_KIND, status_at, wording
from campaign.store import Store

EVENT_FIELDS = ("kind", "date", "date_basis", "place", "charge", "sentence", "court",
                "prison", "note", "quotes", "summary")


def _candidates(store: Store) -> list[tuple[str, list[str]]]:
    by_person: dict[str, list[str]] = {}
    for pid, name in store.conn.execute(
        "SELECT person_id, name FROM names ORDER BY is_alias, seq"
    ):
        by_person.setdefault(pid, []).append(name)
    return list(by_person.items())


def find_id(store: Store, name: str) -> str:
    """The id of the person a name means; a miss or an ambiguity says which names are near."""
    cands = _candidates(store)
    if any(pid == name for pid, _ in cands):
        return name
    found = names.match(name, cands)
    if len(found) == 1:
        return found[0]
    if found:
        shown = [store.conn.execute("SELECT name FROM persons WHERE id = ?", (pid,)).fetchone()[0]
                 for pid in found[:5]]
        raise UsageError(
            f"'{name}' could mean {len(found)} people: " + ", ".join(shown),
            "give more of the name",
        )
    everyone = [n for _, ns in cands for n in ns]
    raise NotFoundError("person", name, names.suggest(name, everyone),
                        hint=None if everyone else "add one with `campaign prisoners add`")


def _claim_name(store: Store, person_id: str, name: str, *, alias: bool) -> None:
    key = names.normalise(name)
    if not key:
        raise ValidationError(f"'{name}' is not a name")
    if any(ch < " " or "\x7f" <= ch <= "\x9f" for ch in name):  # as records.check_text
        raise ValidationError(f"the name {name!r} holds a control character (a line break, "
                              "a tab or an escape)", "write it on one line")
    owner = store.conn.execute(
        "SELECT person_id, name FROM names WHERE norm = ?", (key,)
    ).fetchone()
    if owner:
        if owner[0] == person_id:
            raise ValidationError(f"'{name}' is already a name of this person")
        other = store.conn.execute("SELECT name FROM persons WHERE id = ?", (owner[0],)).fetchone()
        raise ValidationError(
            f"'{name}' is already used by {other[0]}",
            f"if they are the same person, run `campaign prisoners merge \"{other[0]}\" ...`",
        )
    store.conn.execute(
        "INSERT INTO names (norm, person_id, name, is_alias) VALUES (?, ?, ?, ?)",
        (key, person_id, name, int(alias)),
    )


def add_person(store: Store, person: Mapping[str, Any], *, replace: bool = False) -> str:
    """Insert a person with names, citations and events (a validated records.Person dump)."""
    pid = person.get("id") or names.unique_slug(
        person["name"], (r[0] for r in store.conn.execute("SELECT id FROM persons"))
    )
    if replace:
        _delete_person(store, pid)
    elif store.conn.execute("SELECT 1 FROM persons WHERE id = ?", (pid,)).fetchone():
        raise ValidationError(f"a person with id '{pid}' already exists")
    store.insert("persons", {"id": pid, "name": person["name"],
                             "description": person.get("description"),
                             "role": person.get("role"),
                             "quotes": person.get("quotes", [])})
    _claim_name(store, pid, person["name"], alias=False)
    for alias in person.get("aliases", []):
        _claim_name(store, pid, alias, alias=True)
    store.cite("person", pid, person["sources"])
    for event in person.get("events", []):
        add_event(store, pid, event)
    return pid


def _delete_person(store: Store, pid: str) -> None:
    for (eid,) in store.conn.execute("SELECT id FROM case_events WHERE person_id = ?", (pid,)):
        store.uncite("case_event", eid)
    store.uncite("person", pid)
    store.conn.execute("DELETE FROM persons WHERE id = ?", (pid,))


def add_event(store: Store, person_id: str, event: Mapping[str, Any]) -> int:
    if event["kind"] not in STATUS_OF_KIND:
        raise UsageError(f"unknown event kind '{event['kind']}'",
                         "use one of: " + ", ".join(STATUS_OF_KIND))
    values = {k: event.get(k) for k in EVENT_FIELDS}
    values["date_basis"] = values["date_basis"] or "event"
    values["quotes"] = values["quotes"] or []
    eid = store.insert("case_events", {"person_id": person_id, **values})
    store.cite("case_event", eid, event.get("sources", []))
    return eid


def add_alias(store: Store, person_id: str, alias: str) -> None:
    _claim_name(store, person_id, alias, alias=True)


def merge(store: Store, keep_id: str, other_id: str) -> None:
    """Fold ``other`` into ``keep``: names become aliases, events and sources move."""
    if keep_id == other_id:
        raise UsageError("both names are the same person already")
    store.conn.execute(
        "UPDATE names SET person_id = ?, is_alias = 1 WHERE person_id = ?", (keep_id, other_id)
    )
    store.conn.execute(
        "UPDATE case_events SET person_id = ? WHERE person_id = ?", (keep_id, other_id)
    )
    store.conn.execute(  # letters to the duplicate were letters to this person
        "UPDATE outreach SET person_id = ? WHERE person_id = ?", (keep_id, other_id))
    # Their postal addresses, and the demands that name them, are now the kept person's
    # (deleting the duplicate would otherwise take its addresses and leave the demands
    # naming nobody).
    store.conn.execute(
        "UPDATE person_addresses SET person_id = ? WHERE person_id = ?", (keep_id, other_id))
    rename_in_concerns(store, other_id, keep_id)
    keep = store.row("SELECT * FROM persons WHERE id = ?", (keep_id,))
    other = store.row("SELECT * FROM persons WHERE id = ?", (other_id,))
    assert keep and other
    quotes = list(dict.fromkeys([*keep["quotes"], *other["quotes"]]))
    description = keep["description"] or other["description"]
    store.update("persons", keep_id, {"quotes": quotes, "description": description})
    store.cite("person", keep_id, store.citations("person").get(other_id, []))
    store.uncite("person", other_id)
    store.conn.execute("DELETE FROM persons WHERE id = ?", (other_id,))


def persons(store: Store, as_of: dt.date | None = None) -> list[dict[str, Any]]:
    """Every person with aliases, events and status as of a date (default: today)."""
    return list(iter_persons(store, as_of))


def iter_persons(store: Store, as_of: dt.date | None = None) -> Iterator[dict[str, Any]]:
    """``persons`` one at a time, in the same order (by name), without holding them all:
    the events come on one cursor in the persons' order, so `prisoners list` of a
    10,000-person campaign streams its rows."""
    import json

    as_of = as_of or dates.today()
    person_cites = store.citations("person")
    event_cites = store.citations("case_event")
    aliases: dict[str, list[str]] = {}
    for pid, name in store.conn.execute(
        "SELECT person_id, name FROM names WHERE is_alias = 1 ORDER BY seq"
    ):
        aliases.setdefault(pid, []).append(name)
    cursor = store.conn.execute(
        "SELECT e.* FROM case_events e JOIN persons p ON p.id = e.person_id"
        " ORDER BY p.name, p.id, e.date, e.id")
    pending = next(cursor, None)
    for row in store.conn.execute("SELECT * FROM persons ORDER BY name, id"):
        p = dict(row)
        evs: list[dict[str, Any]] = []
        while pending is not None and pending["person_id"] == p["id"]:
            e = dict(pending)
            q = e.get("quotes")
            # Most events quote nothing: "[]" needs no JSON parser.
            e["quotes"] = ([] if q == "[]" else json.loads(q)) if isinstance(q, str) \
                else q or []
            e["sources"] = event_cites.get(str(e["id"]), [])
            e.pop("person_id")
            e.pop("pack", None)  # the store's bookkeeping (see pack._put_persons)
            evs.append(e)
            pending = next(cursor, None)
        quotes = p["quotes"]
        yield _shaped(p, evs, aliases.get(p["id"], []), person_cites.get(p["id"], []), as_of,
                      ([] if quotes == "[]" else json.loads(quotes))
                      if isinstance(quotes, str) else quotes)


def status_counts(store: Store, as_of: dt.date | None = None) -> dict[str | None, int]:
    """How many persons have each status as of a date (None: no report by then), read
    from the case events alone: what a streamed list's heading says before its first
    row. The same status ``iter_persons`` gives each person (``status_at`` over the
    person's events in the same order), without building the persons."""
    as_of = as_of or dates.today()
    counts: dict[str | None, int] = {}
    reported = 0
    events: list[dict[str, Any]] = []
    current = None
    rows = store.conn.execute(
        "SELECT e.person_id, e.date, e.kind FROM case_events e"
        " JOIN persons p ON p.id = e.person_id ORDER BY e.person_id, e.date, e.id")
    for pid, date, kind in itertools.chain(rows, [(None, None, None)]):
        if pid != current:
            if current is not None:
                status = status_at(events, as_of)[0]
                counts[status] = counts.get(status, 0) + 1
                reported += 1
            current, events = pid, []
        events.append({"date": date, "kind": kind})
    total = int(store.conn.execute("SELECT count(*) FROM persons").fetchone()[0])
    if total > reported:
        counts[None] = counts.get(None, 0) + total - reported
    return counts


def _shaped(p: Mapping[str, Any], evs: list[dict[str, Any]], aliases: list[str],
            cites: list[str], as_of: dt.date, quotes: list[str]) -> dict[str, Any]:
    status, basis = status_at(evs, as_of)
    srcs = list(dict.fromkeys([*cites, *(s for e in evs for s in e["sources"])]))
    return {
        "id": p["id"],
        "name": p["name"],
        "aliases": aliases,
        "description": p["description"],
        "role": p.get("role"),
        "status": status,
        "status_date": basis["date"] if basis else None,
        "status_text": wording(status, basis["date"] if basis else None, as_of),
        "as_of": as_of.isoformat(),
        "sources": srcs,
        "events": evs,
        "quotes": quotes,
    }


def person(store: Store, name: str, as_of: dt.date | None = None) -> dict[str, Any]:
    pid = find_id(store, name)
    return next(p for p in persons(store, as_of) if p["id"] == pid)


def select(store: Store, wanted: Sequence[str], as_of: dt.date | None = None,
           status: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Named persons in the order given, or everyone (filtered by status)."""
    everyone = persons(store, as_of)
    if wanted:
        by_id = {p["id"]: p for p in everyone}
        return [by_id[find_id(store, n)] for n in dict.fromkeys(wanted)]
    if status:
        return [p for p in everyone if p["status"] in status]
    return everyone


# -- removal and correction --------------------------------------------------


def case_event(store: Store, event_id: str | int) -> dict[str, Any]:
    """The case event with this id (ASCII digits), with its person's name; NotFoundError
    if there is none. What ``unrecord`` would remove, to show before it does."""
    from campaign.ids import parse_id

    hint = "see the ids in `campaign prisoners history NAME`"
    eid = parse_id(event_id, "case event", hint, "an event id")
    found = store.row("SELECT e.*, p.name AS person_name FROM case_events e "
                      "JOIN persons p ON p.id = e.person_id WHERE e.id = ?", (eid,))
    if not found:
        raise NotFoundError("case event", str(event_id), hint=hint)
    return found


def unrecord(store: Store, event_id: str | int) -> dict[str, Any]:
    """Remove one case event (and its citations); returns what was removed.

    Every record must be removable by a command: an event entered with a wrong
    date or status would otherwise stay in every document for good.
    """
    found = case_event(store, event_id)
    with store.transaction():
        store.uncite("case_event", found["id"])
        store.conn.execute("DELETE FROM case_events WHERE id = ?", (found["id"],))
    return found


def remove_person(store: Store, name: str) -> str:
    """Remove a person with their names, case events, addresses and citations; returns the id.

    Refused while a demand names them in what it concerns: the demand would then concern
    nobody, and a document would call for the release of someone left out before."""
    with store.transaction():
        pid = find_id(store, name)
        _refuse_if_written_to(store, pid)
        using = demands_concerning(store, pid)
        if using:
            shown = ", ".join(f"'{d}'" for d in using[:5]) + (
                f" and {len(using) - 5} more" if len(using) > 5 else "")
            raise ValidationError(
                f"{name} is named by the demand(s) {shown}, so was not removed",
                "remove them first (`campaign demands remove ID`), or fold the person into "
                "another with `campaign prisoners merge`")
        _delete_person(store, pid)
    return pid


def _refuse_if_written_to(store: Store, pid: str) -> None:
    """Letters to a person (or their family) in the outreach log are references: the log
    keeps who was written to, so the person stays (as a contact in the log does)."""
    from campaign.outreach import person_entries

    logged = person_entries(store, pid)
    if logged:
        raise ValidationError(
            f"'{pid}' has {logged:,} letter{'' if logged == 1 else 's'} in the outreach log",
            "the log keeps who was written to, so the person stays; correct their record "
            "with `campaign prisoners update` or `unrecord` instead")


def demands_concerning(store: Store, person_id: str) -> list[str]:
    """The ids of the demands whose ``concerns`` name this person."""
    import json

    found = []
    for did, raw in store.conn.execute("SELECT id, concerns FROM demands ORDER BY seq"):
        concerns = json.loads(raw or "null") or {}
        if person_id in (concerns.get("persons") or []):
            found.append(str(did))
    return found


def rename_in_concerns(store: Store, old_id: str, new_id: str) -> None:
    """Demands that named ``old_id`` name ``new_id`` instead (once), in the same
    transaction as the merge that makes them one person."""
    import json

    for did, raw in list(store.conn.execute("SELECT id, concerns FROM demands")):
        concerns = json.loads(raw or "null") or {}
        people = concerns.get("persons") or []
        if old_id in people:
            concerns["persons"] = list(dict.fromkeys(new_id if p == old_id else p
                                                     for p in people))
            store.conn.execute("UPDATE demands SET concerns = ? WHERE id = ?",
                               (json.dumps(concerns, ensure_ascii=False), did))
