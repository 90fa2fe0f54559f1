"""The outreach log: which draft went to which contact, and what became of it.

A draft is logged when its file is written, in the same transaction, so a
letter that failed to be written is never logged. The digest is a SHA-256 of
the letter's text without its date line, so that the same letter drafted again
on another day is still recognised as the same letter. One entry is one letter:
every file that holds it (another format, another path) is in its ``paths``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

from campaign.errors import NotFoundError, UsageError
from campaign.store import Store

STATES: tuple[str, ...] = ("drafted", "sent", "replied")
# Sending by email (campaign.sending): ``sending`` while the server is asked (left so
# by a crash: its fate unknown), ``failed`` when it refused the letter, or a bounce came.
STATES = (*STATES, "sending", "failed")
# The states a user may mark an entry with (``sending`` is the sender's alone).
MARKABLE = ("sent", "replied", "failed")


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def now() -> str:
    """A time for the log: UTC, with its zone (a coalition's members live in several)."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def already_drafted(store: Store, pairs: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """The (contact id, digest) pairs among ``pairs`` that the log already holds."""
    wanted = set(pairs)
    if not wanted:
        return set()
    # A member's own letters: in a coalition another member's same letter is theirs.
    found = store.conn.execute("SELECT contact_id, digest FROM outreach WHERE member = ?",
                               (store.member,)).fetchall()
    return {(c, d) for c, d in found if (c, d) in wanted}


def _paths(row_path: str | None, row_paths: str | None) -> list[str]:
    try:
        listed = json.loads(row_paths or "[]")
    except ValueError:
        listed = []
    return list(dict.fromkeys([*([row_path] if row_path else []), *listed]))


def drafts_at(store: Store, paths: Sequence[str]) -> dict[str, set[tuple[str, str]]]:
    """For each of ``paths``, the letters (contact id, digest) the log says it holds."""
    wanted = set(paths)
    found: dict[str, set[tuple[str, str]]] = {}
    # Paths are each member's own: two members' letters/ are two directories.
    for contact, dig, path, more in store.conn.execute(
            "SELECT contact_id, digest, path, paths FROM outreach WHERE member = ?",
            (store.member,)):
        for p in _paths(path, more):
            if p in wanted:
                found.setdefault(p, set()).add((contact, dig))
    return found


def add_path(store: Store, contact_id: str, digest_: str, path: str) -> None:
    """Another file of a letter already logged: on its (latest) entry, not a new one."""
    row = store.conn.execute(
        "SELECT id, path, paths FROM outreach WHERE contact_id = ? AND digest = ?"
        " AND member = ? ORDER BY id DESC LIMIT 1", (contact_id, digest_, store.member)
    ).fetchone()
    if row is None:
        return
    paths = _paths(row[1], row[2])
    if path not in paths:
        paths.append(path)
        store.conn.execute("UPDATE outreach SET paths = ? WHERE id = ?",
                           (json.dumps(paths[1:] if row[1] else paths), row[0]))


def record(store: Store, entries: Sequence[dict[str, Any]], state: str = "drafted"
           ) -> list[int]:
    """Log drafts: each entry has contact_id, document, digest, path (and optionally created
    and sender). Returns the new entries' ids. ``state`` "drafting": logged before the
    files are written (see ``finish_drafting``)."""
    created = now()
    before = store.conn.execute("SELECT coalesce(max(id), 0) FROM outreach").fetchone()[0]
    store.conn.executemany(
        "INSERT INTO outreach (contact_id, document, created, digest, state, path, sender,"
        " person_id, member) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(e.get("contact_id"), e["document"], e.get("created") or created, e["digest"], state,
          e.get("path"), e.get("sender"), e.get("person_id"), store.member) for e in entries],
    )
    return [r[0] for r in store.conn.execute(
        "SELECT id FROM outreach WHERE id > ? ORDER BY id", (before,))]


# A letter is logged as "drafting" in one transaction, its file written, and the entry
# made "drafted" in another: a process killed between the two (kill -9, a power cut)
# leaves entries that say so, never files the log does not know. Running the same merge
# again finds them, writes the same files and completes them. Only the one who drafted
# can recover them (the paths are that machine's), so they are not a state to mark.
DRAFTING = "drafting"


def finish_drafting(store: Store, pairs: Iterable[tuple[str, str]],
                    column: str = "contact_id") -> int:
    """The letters' entries still "drafting" (this run's, or a killed run's) made
    "drafted": their files are written. ``pairs`` are (recipient, digest), the recipient
    a contact id or, with ``column="person_id"``, the person a prisoner's or family's
    letter went to. Returns how many."""
    if column not in ("contact_id", "person_id"):
        raise ValueError(column)
    # "state || ''": the same test, but not one SQLite answers from the index on state
    # (every row of a merge is "drafting", so that index made each update read them
    # all: 705 letters took half a second); the recipient's index finds the row. One
    # statement for them all: on PostgreSQL one round trip a batch, not one a letter.
    rows = [(DRAFTING, recipient, digest_) for recipient, digest_ in dict.fromkeys(pairs)]
    if not rows:
        return 0
    return int(store.conn.executemany(
        f"UPDATE outreach SET state = 'drafted' WHERE state || '' = ? AND {column} = ?"
        " AND digest = ?", rows).rowcount)


def forget_drafting(store: Store, ids: Sequence[int]) -> None:
    """Entries logged as "drafting" whose files were not written after all (an error, an
    interrupt): removed, so the log holds only letters that exist."""
    store.conn.executemany(f"DELETE FROM outreach WHERE id = ? AND state = '{DRAFTING}'",
                           [(i,) for i in ids])


def person_drafted(store: Store, person_id: str, digest_: str) -> bool:
    """Whether the log holds this letter (same text) to a prisoner or a family already."""
    return store.conn.execute(
        "SELECT 1 FROM outreach WHERE person_id = ? AND digest = ?",
        (person_id, digest_)).fetchone() is not None


def person_entries(store: Store, person_id: str) -> int:
    """How many letters to a person (or their family) the log holds: they are references
    that keep the person from being removed."""
    return int(store.conn.execute("SELECT count(*) FROM outreach WHERE person_id = ?",
                                  (person_id,)).fetchone()[0])


def entries(store: Store, state: str | None = None, *, by: str | None = None,
            to: str | None = None) -> list[dict[str, Any]]:
    """The log, oldest first, with each contact's name and the member who logged it;
    ``by`` keeps one member's entries, ``to`` one recipient's (contact id)."""
    if state is not None and state not in STATES:
        raise UsageError(f"unknown state '{state}'", "use one of: " + ", ".join(STATES))
    clauses, params = [], []
    for clause, value in (("o.state = ?", state), ("o.member = ?", by),
                          ("o.contact_id = ?", to)):
        if value is not None:
            clauses.append(clause)
            params.append(value)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    rows = store.rows(
        "SELECT o.id, o.contact_id, COALESCE(c.name, p.name, o.person_id) AS contact,"
        " COALESCE(c.kind, CASE WHEN o.person_id IS NOT NULL THEN 'person' END) AS kind,"
        " o.document, o.created, o.state, o.updated, o.note, o.path, o.paths, o.digest,"
        " o.sender, o.person_id, o.member,"
        " o.sent_at, o.message_id, o.server_reply, o.reason, o.sent_digest FROM outreach o"
        " LEFT JOIN contacts c ON c.id = o.contact_id"
        f" LEFT JOIN persons p ON p.id = o.person_id {where} ORDER BY o.id",
        params,
    )
    for r in rows:
        r["paths"] = _paths(r["path"], r["paths"])
    return rows


def mark(store: Store, entry_id: int, state: str, note: str | None = None,
         reason: str | None = None) -> dict[str, Any]:
    """Move a draft to ``sent`` or ``replied`` (with an optional note), or to ``failed``
    (a bounce that came later) with the ``reason``."""
    if state not in MARKABLE:
        raise UsageError(f"cannot mark an entry '{state}'", "use sent, replied or failed")
    if state == "failed" and not (reason or "").strip():
        raise UsageError("marking a letter failed needs --reason",
                         "say what happened, e.g. --reason \"bounced: mailbox full\"")
    found = store.row("SELECT * FROM outreach WHERE id = ?", (entry_id,))
    if not found:
        ids = [str(r[0]) for r in store.conn.execute("SELECT id FROM outreach ORDER BY id")]
        raise NotFoundError("outreach entry", str(entry_id),
                            hint="see `campaign outreach list` for the ids" if ids
                            else "the outreach log is empty; draft letters with `campaign letter`")
    values: dict[str, Any] = {"state": state, "updated": now()}
    if note is not None:
        values["note"] = note
    if reason is not None:
        values["reason"] = reason.strip()
    if not store.update("outreach", str(entry_id), values):
        from campaign.errors import StoreError

        # Row-level security: every member reads the whole log, changes only their own.
        raise StoreError(f"outreach entry {entry_id} was logged by {found.get('member')}, "
                         f"and {store.member} may change only their own entries",
                         "ask that member (or a coordinator); nothing was changed")
    return {**found, **values}


def summary_by_member(store: Store) -> list[dict[str, Any]]:
    """For a coordinator: how many letters each member logged, by state."""
    out: dict[str, dict[str, Any]] = {}
    for member, state, n in store.conn.execute(
            "SELECT member, state, count(*) FROM outreach GROUP BY member, state"):
        row = out.setdefault(member, {"member": member, **{s: 0 for s in STATES},
                                      "total": 0})
        row[state] = int(n)
        row["total"] += int(n)
    return [out[m] for m in sorted(out)]


def summary(store: Store) -> list[dict[str, Any]]:
    """How many entries are in each state (every state listed, zeros included)."""
    counts = dict(store.conn.execute("SELECT state, count(*) FROM outreach GROUP BY state"))
    return [{"state": s, "count": int(counts.get(s, 0))} for s in STATES]


# -- moving the log: it is the coalition's, never part of a pack ------------------

# What an exported entry holds (its id is the store's and is not kept: an import
# numbers the entries anew).
LOG_FIELDS = ("contact_id", "document", "created", "digest", "state", "note", "path",
              "paths", "updated", "sender", "member", "case", "person_id")


def export_log(store: Store) -> dict[str, Any]:
    """The outreach log as data (``outreach export``), oldest first."""
    out = []
    for row in store.conn.execute("SELECT * FROM outreach ORDER BY id"):
        d = dict(row)
        d["paths"] = json.loads(d.get("paths") or "[]")
        out.append({k: d[k] for k in LOG_FIELDS if k in d and d[k] not in (None, [])})
    return {"outreach": out}


def import_log(store: Store, data: Any, *, path: str | None = None) -> tuple[int, int]:
    """Add the entries of an exported log that the store lacks; (added, already there).

    An entry is the same entry when its contact, digest, member and time are. Its
    contact must be in the store (import the pack first)."""
    from campaign.errors import InputError

    if not isinstance(data, dict) or not isinstance(data.get("outreach"), list):
        raise InputError("not an outreach log (no list 'outreach')", path=path,
                         hint="give a file written by `campaign outreach export`")
    columns = _columns(store)
    known = {r[0] for r in store.conn.execute("SELECT id FROM contacts")}
    people = {r[0] for r in store.conn.execute("SELECT id FROM persons")}
    have = {(c, p, d, m, t) for c, p, d, m, t in store.conn.execute(
        "SELECT contact_id, person_id, digest, member, created FROM outreach")}
    rows = []
    for i, e in enumerate(data["outreach"]):
        # A letter to a contact names its contact; one to a prisoner or a family, its person.
        if not isinstance(e, dict) or not all(isinstance(e.get(k), str) and e.get(k)
                                              for k in ("document", "created", "digest")) \
                or not any(isinstance(e.get(k), str) and e.get(k)
                           for k in ("contact_id", "person_id")):
            raise InputError("needs contact_id (or person_id), document, created and digest",
                             path=path, field=f"outreach.{i}")
        if e.get("contact_id") and e["contact_id"] not in known:
            raise InputError(f"no contact '{e['contact_id']}' in the store", path=path,
                             field=f"outreach.{i}.contact_id",
                             hint="import the campaign's pack (or the contact) first")
        if e.get("person_id") and e["person_id"] not in people:
            raise InputError(f"no person '{e['person_id']}' in the store", path=path,
                             field=f"outreach.{i}.person_id",
                             hint="import the campaign's pack first")
        if e.get("state", "drafted") not in STATES:
            raise InputError(f"unknown state '{e.get('state')}'", path=path,
                             field=f"outreach.{i}.state", hint="use " + ", ".join(STATES))
        member = e.get("member") or store.member
        key = (e.get("contact_id"), e.get("person_id"), e["digest"], member, e["created"])
        if key in have:
            continue
        have.add(key)
        values = {k: e.get(k) for k in LOG_FIELDS if k in columns}
        values["member"] = member
        values["state"] = e.get("state") or "drafted"
        values["paths"] = json.dumps(e.get("paths") or [], ensure_ascii=False)
        rows.append(values)
    for values in rows:
        cols = list(values)
        store.conn.execute(
            f"INSERT INTO outreach ({', '.join(_quoted(c) for c in cols)}) VALUES "
            f"({', '.join('?' for _ in cols)})", [values[c] for c in cols])
    return len(rows), len(data["outreach"]) - len(rows)


def _columns(store: Store) -> set[str]:
    cur = store.conn.execute("SELECT * FROM outreach LIMIT 0")
    return {d[0] for d in cur.description or ()}


def _quoted(column: str) -> str:
    return f'"{column}"' if column == "case" else column
