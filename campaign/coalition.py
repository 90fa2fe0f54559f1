"""A coalition shares one PostgreSQL store: its members, their rights, and who wrote to whom.

Rights are PostgreSQL's, not ours: each member is a database role (LOGIN), with
grants by kind, and row-level security on the outreach log and the profiles (the
policies come with the schema migration, _V_COALITION). Coordinators change the
facts; branches read them and write the outreach log, each changing only its
own entries. The owner of the database (who created the schema) adds members.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from campaign.errors import NotFoundError, StoreError, UsageError

if TYPE_CHECKING:
    from campaign.store import Store

KINDS = ("coordinator", "branch")

# Tables a branch writes (the outreach log, its own profile, and, row-level security
# permitting, the calendar UIDs its announcements keep in meta); the rest are the facts.
BRANCH_TABLES = ("outreach", "profile", "meta")
# Only the owner changes who is a member.
OWNER_TABLES = ("members",)

_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def need_postgresql(store: Store) -> None:
    if store.engine != "postgresql":
        raise StoreError("a coalition shares a PostgreSQL store; this store is a file",
                         "point CAMPAIGN_DB at postgresql://USER@HOST:PORT/DBNAME "
                         "(see the README, \"A coalition\")")


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise UsageError(f"'{name}' cannot be a member's name",
                         "use lower-case letters, digits and _ (starting with a letter), "
                         "at most 63 characters, e.g. unite_dublin")
    return name


def _tables(store: Store) -> list[str]:
    return [r[0] for r in store.conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        " ORDER BY tablename COLLATE \"C\"")]


def _grant(store: Store, name: str, kind: str, tables: Sequence[str]) -> None:
    from psycopg import sql

    raw = store.conn.raw  # type: ignore[attr-defined]
    who = sql.Identifier(name)
    raw.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
        sql.Identifier(raw.info.dbname), who))
    raw.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(
        sql.Identifier(_schema(store)), who))
    for table in tables:
        t = sql.Identifier(table)
        raw.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(t, who))
        writes = table not in OWNER_TABLES and (kind == "coordinator" or table in BRANCH_TABLES)
        verb = "GRANT" if writes else "REVOKE"
        direction = "TO" if writes else "FROM"
        raw.execute(sql.SQL(f"{verb} INSERT, UPDATE, DELETE ON {{}} {direction} {{}}").format(
            t, who))


def _schema(store: Store) -> str:
    return str(store.conn.execute("SELECT current_schema()").fetchone()[0])


def grant_all(store: Store) -> None:
    """Grants for every member, again: a migration may have added tables."""
    tables = _tables(store)
    for m in store.conn.execute("SELECT name, kind FROM members ORDER BY name"):
        if _exists(store, m[0]):
            _grant(store, m[0], m[1], tables)


def _exists(store: Store, name: str) -> bool:
    return store.conn.execute("SELECT 1 FROM pg_roles WHERE rolname = ?",
                              (name,)).fetchone() is not None


def _owner_only(store: Store, what: str) -> None:
    owner = store.conn.execute(
        "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"
    ).fetchone()[0]
    if owner != store.member:
        raise StoreError(f"only the database's owner ({owner}) can {what}",
                         f"ask {owner} to run it")


def add(store: Store, name: str, kind: str, password: str) -> None:
    """A new member: a login role with the rights of its kind (owner only)."""
    from psycopg import sql

    need_postgresql(store)
    check_name(name)
    if kind not in KINDS:
        raise UsageError(f"unknown kind '{kind}'", "use coordinator or branch")
    if not password:
        raise UsageError("the new member's password is empty",
                         "set CAMPAIGN_NEW_PASSWORD or type one when asked")
    _owner_only(store, "add members")
    if store.row("SELECT name FROM members WHERE name = ?", (name,)):
        raise UsageError(f"{name} is already a member", "see `campaign coalition list`")
    raw = store.conn.raw  # type: ignore[attr-defined]
    # The password is hashed here; the server never sees (or logs) it in clear.
    secret = raw.pgconn.encrypt_password(password.encode(), name.encode(),
                                         b"scram-sha-256").decode()
    try:
        if _exists(store, name):
            raise UsageError(f"a database role called {name} already exists",
                             "choose another name")
        raw.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
            sql.Identifier(name), sql.Literal(secret)))
    except Exception as exc:
        if getattr(exc, "sqlstate", "") == "42501":
            raise StoreError(f"{store.member} may not create database roles",
                             "the owner needs CREATEROLE (ALTER ROLE ... CREATEROLE)") from None
        raise
    store.conn.execute("INSERT INTO members (name, kind, added) VALUES (?, ?, ?)",
                       (name, kind, now()))
    _grant(store, name, kind, _tables(store))


def remove(store: Store, name: str) -> None:
    """A member leaves: the role goes; the entries they logged stay (with their name)."""
    from psycopg import sql

    need_postgresql(store)
    _owner_only(store, "remove members")
    names = [r["name"] for r in store.rows("SELECT name FROM members ORDER BY name")]
    if name not in names:
        from campaign.names import suggest

        raise NotFoundError("member", name, suggest(name, names),
                            hint=None if names else "the coalition has no members yet")
    raw = store.conn.raw  # type: ignore[attr-defined]
    who = sql.Identifier(name)
    for table in _tables(store):
        raw.execute(sql.SQL("REVOKE ALL ON {} FROM {}").format(sql.Identifier(table), who))
    raw.execute(sql.SQL("REVOKE ALL ON SCHEMA {} FROM {}").format(
        sql.Identifier(_schema(store)), who))
    raw.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM {}").format(
        sql.Identifier(raw.info.dbname), who))
    store.conn.execute("DELETE FROM profile WHERE member = ?", (name,))
    store.conn.execute("DELETE FROM members WHERE name = ?", (name,))
    raw.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(who))


def members(store: Store) -> list[dict[str, Any]]:
    need_postgresql(store)
    rows = store.rows("SELECT name, kind, added FROM members ORDER BY name")
    counts = dict(store.conn.execute(
        "SELECT member, count(*) FROM outreach GROUP BY member").fetchall())
    for r in rows:
        r["letters"] = int(counts.get(r["name"], 0))
    return rows


def now() -> str:
    """A time for the log: UTC, with its zone."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


# -- one outreach log, coordinated ------------------------------------------------


def recent_writers(store: Store, contact_id: str, days: int = 30,
                   today: dt.datetime | None = None) -> dict[str, list[str]]:
    """Members who wrote to ``contact_id`` within ``days``: member -> cases they raised."""
    since = ((today or dt.datetime.now(dt.UTC)) - dt.timedelta(days=days))
    out: dict[str, list[str]] = {}
    for row in store.rows(
            # SELECT *: the letters' case_id column may not be there (an older log).
            "SELECT * FROM outreach WHERE contact_id = ? ORDER BY id",
            (contact_id,)):
        when = _when(row["created"])
        if when is None or when < since:
            continue
        cases = out.setdefault(row["member"] or "local", [])
        if row.get("case_id") and row["case_id"] not in cases:
            cases.append(row["case_id"])
    return out


def raised_by_others(store: Store, contact_ids: Sequence[str], days: int = 30,
                     today: dt.datetime | None = None) -> dict[str, dict[str, list[str]]]:
    """For each of ``contact_ids``: the other members who wrote to them within ``days``
    and the cases they raised (contact -> member -> cases), read in one query. On
    SQLite every entry is the one local user's, so there are none."""
    wanted = set(contact_ids)
    since = ((today or dt.datetime.now(dt.UTC)) - dt.timedelta(days=days))
    out: dict[str, dict[str, list[str]]] = {}
    if not wanted:
        return out
    for row in store.rows("SELECT * FROM outreach WHERE member <> ? ORDER BY id",
                          (store.member,)):
        if row.get("contact_id") not in wanted:
            continue
        when = _when(row["created"])
        if when is None or when < since:
            continue
        cases = out.setdefault(str(row["contact_id"]), {}).setdefault(
            row["member"] or "local", [])
        if row.get("case_id") and row["case_id"] not in cases:
            cases.append(row["case_id"])
    return out


def _when(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo else when.astimezone(dt.UTC)


def choose_case(store: Store, contact_id: str, candidates: Sequence[str],
                days: int = 30) -> str | None:
    """The case this member raises with ``contact_id``: the first of ``candidates`` (in
    the sender's own order) that no other member raised with them within ``days``;
    when every case was raised, the one raised least often; a member who wrote to
    them before keeps their case. Call it inside the
    transaction that logs the letter (writers hold one lock there), so two members
    drafting at once do not pick the same case."""
    if not candidates:
        return None
    # A re-run keeps the case this member already raised with them (the same letter).
    for row in store.rows("SELECT * FROM outreach WHERE contact_id = ? AND member = ?"
                          " ORDER BY id DESC", (contact_id, store.member)):
        if row.get("case_id") in candidates:
            return str(row["case_id"])
    others = {m: c for m, c in recent_writers(store, contact_id, days).items()
              if m != store.member}
    taken: dict[str, int] = {}
    for cases in others.values():
        for c in cases:
            taken[c] = taken.get(c, 0) + 1
    for c in candidates:
        if c not in taken:
            return c
    return min(candidates, key=lambda c: (taken.get(c, 0), list(candidates).index(c)))


def coalition_note(store: Store, contact_name: str, contact_id: str, days: int = 30,
                   names: Iterable[tuple[str, str]] = ()) -> str | None:
    """"Barry Andrews: written to by 3 members in the last 30 days (cases: …)", or None
    when no other member wrote to them. ``names`` maps case ids to how to print them."""
    writers = recent_writers(store, contact_id, days)
    others = {m: c for m, c in writers.items() if m != store.member}
    if not others:
        return None
    label = dict(names)
    cases = list(dict.fromkeys(c for cs in others.values() for c in cs))
    n = len(others)
    text = (f"{contact_name}: written to by {n} member{'s' if n != 1 else ''} in the last "
            f"{days} days")
    if cases:
        text += " (cases: " + ", ".join(label.get(c, c) for c in cases) + ")"
    return text


def coalition_lines(others: dict[str, dict[str, list[str]]], names: dict[str, str],
                    cases: dict[str, str], days: int) -> list[str]:
    """What a merge says of recipients other members wrote to lately, one line each:
    "Barry Andrews: written to by 3 members in the last 30 days (cases: …)"."""
    lines = []
    for contact_id, by in others.items():
        n = len(by)
        raised = list(dict.fromkeys(c for cs in by.values() for c in cs))
        text = (f"{names.get(contact_id, contact_id)}: written to by {n} member"
                f"{'s' if n != 1 else ''} in the last {days} days")
        if raised:
            text += " (cases: " + ", ".join(cases.get(c, c) for c in raised) + ")"
        lines.append(text)
    return lines
