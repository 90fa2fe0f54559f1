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

STATES = ("drafted", "sent", "replied")


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def now() -> str:
    return dt.datetime.now().replace(microsecond=0).isoformat()


def already_drafted(store: Store, pairs: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """The (contact id, digest) pairs among ``pairs`` that the log already holds."""
    wanted = set(pairs)
    if not wanted:
        return set()
    found = store.conn.execute("SELECT contact_id, digest FROM outreach").fetchall()
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
    for contact, dig, path, more in store.conn.execute(
            "SELECT contact_id, digest, path, paths FROM outreach"):
        for p in _paths(path, more):
            if p in wanted:
                found.setdefault(p, set()).add((contact, dig))
    return found


def add_path(store: Store, contact_id: str, digest_: str, path: str) -> None:
    """Another file of a letter already logged: on its (latest) entry, not a new one."""
    row = store.conn.execute(
        "SELECT id, path, paths FROM outreach WHERE contact_id = ? AND digest = ?"
        " ORDER BY id DESC LIMIT 1", (contact_id, digest_)).fetchone()
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
        "INSERT INTO outreach (contact_id, document, created, digest, state, path, sender)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(e["contact_id"], e["document"], e.get("created") or created, e["digest"], state,
          e.get("path"), e.get("sender")) for e in entries],
    )
    return [r[0] for r in store.conn.execute(
        "SELECT id FROM outreach WHERE id > ? ORDER BY id", (before,))]


# A letter is logged as "drafting" in one transaction, its file written, and the entry
# made "drafted" in another: a process killed between the two (kill -9, a power cut)
# leaves entries that say so, never files the log does not know. Running the same merge
# again finds them, writes the same files and completes them. Only the one who drafted
# can recover them (the paths are that machine's), so they are not a state to mark.
DRAFTING = "drafting"


def finish_drafting(store: Store, pairs: Iterable[tuple[str, str]]) -> int:
    """The letters' entries still "drafting" (this run's, or a killed run's) made
    "drafted": their files are written. Returns how many."""
    done = 0
    for contact_id, digest_ in set(pairs):
        done += store.conn.execute(
            "UPDATE outreach SET state = 'drafted' WHERE state = ? AND contact_id = ? AND "
            "digest = ?", (DRAFTING, contact_id, digest_)).rowcount
    return done


def forget_drafting(store: Store, ids: Sequence[int]) -> None:
    """Entries logged as "drafting" whose files were not written after all (an error, an
    interrupt): removed, so the log holds only letters that exist."""
    store.conn.executemany(f"DELETE FROM outreach WHERE id = ? AND state = '{DRAFTING}'",
                           [(i,) for i in ids])


def entries(store: Store, state: str | None = None) -> list[dict[str, Any]]:
    """The log, oldest first, with each contact's name."""
    if state is not None and state not in STATES:
        raise UsageError(f"unknown state '{state}'", "use one of: " + ", ".join(STATES))
    where = "WHERE o.state = ?" if state else ""
    rows = store.rows(
        "SELECT o.id, o.contact_id, c.name AS contact, c.kind, o.document, o.created, o.state,"
        " o.updated, o.note, o.path, o.paths, o.digest, o.sender FROM outreach o"
        f" LEFT JOIN contacts c ON c.id = o.contact_id {where} ORDER BY o.id",
        (state,) if state else (),
    )
    for r in rows:
        r["paths"] = _paths(r["path"], r["paths"])
    return rows


def mark(store: Store, entry_id: int, state: str, note: str | None = None) -> dict[str, Any]:
    """Move a draft to ``sent`` or ``replied`` (with an optional note)."""
    if state not in STATES[1:]:
        raise UsageError(f"cannot mark an entry '{state}'", "use sent or replied")
    found = store.row("SELECT * FROM outreach WHERE id = ?", (entry_id,))
    if not found:
        ids = [str(r[0]) for r in store.conn.execute("SELECT id FROM outreach ORDER BY id")]
        raise NotFoundError("outreach entry", str(entry_id),
                            hint="see `campaign outreach list` for the ids" if ids
                            else "the outreach log is empty; draft letters with `campaign letter`")
    values: dict[str, Any] = {"state": state, "updated": now()}
    if note is not None:
        values["note"] = note
    store.update("outreach", str(entry_id), values)
    return {**found, **values}


def summary(store: Store) -> list[dict[str, Any]]:
    """How many entries are in each state (every state listed, zeros included)."""
    counts = dict(store.conn.execute("SELECT state, count(*) FROM outreach GROUP BY state"))
    return [{"state": s, "count": int(counts.get(s, 0))} for s in STATES]
