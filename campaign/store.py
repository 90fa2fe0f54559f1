"""The SQLite store: schema, migrations, transactions and queries.

Stdlib sqlite3 only (an ORM would cost every command its start-up). One
transaction per command: the CLI wraps each command in ``transaction()``, so
a command that fails leaves the store as it was. Queries return plain dicts.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from campaign.errors import NotFoundError, StoreError, ValidationError

RECORD_TYPES = ("person", "case_event", "demand", "event", "figure", "contact")

_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE sources (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, publisher TEXT NOT NULL,
    published TEXT NOT NULL, url TEXT, document TEXT
);
CREATE TABLE persons (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT,
    quotes TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE names (
    norm TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES persons(id) ON DELETE CASCADE ON UPDATE CASCADE,
    name TEXT NOT NULL, is_alias INTEGER NOT NULL
);
CREATE INDEX names_person ON names(person_id);
CREATE TABLE case_events (
    id INTEGER PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES persons(id) ON DELETE CASCADE ON UPDATE CASCADE,
    kind TEXT NOT NULL, date TEXT NOT NULL, date_basis TEXT NOT NULL DEFAULT 'event',
    place TEXT, charge TEXT, sentence TEXT, court TEXT, prison TEXT, note TEXT,
    quotes TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX case_events_person ON case_events(person_id);
CREATE TABLE demands (
    id TEXT PRIMARY KEY, text TEXT NOT NULL, addressed_to TEXT,
    quotes TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE events (
    id TEXT PRIMARY KEY, date TEXT NOT NULL, end_date TEXT, kind TEXT NOT NULL,
    title TEXT NOT NULL, place TEXT, planned INTEGER NOT NULL DEFAULT 0,
    quotes TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE figures (
    id TEXT PRIMARY KEY, subject TEXT NOT NULL, number INTEGER NOT NULL,
    qualifier TEXT NOT NULL DEFAULT '', according_to TEXT NOT NULL, date TEXT,
    quotes TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE contacts (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL,
    aliases TEXT NOT NULL DEFAULT '[]', country TEXT, grp TEXT, party TEXT, email TEXT,
    postal_address TEXT, phone TEXT, salutation TEXT, role TEXT, url TEXT,
    historical INTEGER NOT NULL DEFAULT 0, as_of TEXT, given_name TEXT, family_name TEXT,
    honorific TEXT, ep_id TEXT UNIQUE, status TEXT NOT NULL DEFAULT 'current',
    fetched_at TEXT, extra TEXT NOT NULL DEFAULT '{}', quotes TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX contacts_kind ON contacts(kind, country);
CREATE TABLE citations (
    record_type TEXT NOT NULL, record_id TEXT NOT NULL,
    source_id TEXT NOT NULL REFERENCES sources(id) ON UPDATE CASCADE,
    pos INTEGER NOT NULL,
    PRIMARY KEY (record_type, record_id, source_id)
);
CREATE INDEX citations_source ON citations(source_id);
CREATE TABLE outreach (
    id INTEGER PRIMARY KEY,
    contact_id TEXT NOT NULL REFERENCES contacts(id) ON UPDATE CASCADE,
    document TEXT NOT NULL, created TEXT NOT NULL, digest TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'drafted', note TEXT, path TEXT, updated TEXT
);
CREATE TABLE profile (key TEXT PRIMARY KEY, value TEXT);
"""

# Demands that know their date (when made, by whom, what they concern, the ask as a
# phrase); the wording documents need: a role per person, a clause per event.
_V_DEMAND_DATES = """
ALTER TABLE demands ADD COLUMN made TEXT;
ALTER TABLE demands ADD COLUMN made_by TEXT;
ALTER TABLE demands ADD COLUMN made_in TEXT;
ALTER TABLE demands ADD COLUMN concerns TEXT NOT NULL DEFAULT 'null';
ALTER TABLE demands ADD COLUMN ask TEXT;
ALTER TABLE persons ADD COLUMN role TEXT;
ALTER TABLE events ADD COLUMN summary TEXT;
ALTER TABLE case_events ADD COLUMN summary TEXT;
"""

# The EP's committees, subcommittees and delegations (corporate bodies), and the
# MEPs' memberships of them, as the Open Data API gives them (campaign.ep_bodies).
_V_EP_BODIES = """
CREATE TABLE ep_bodies (
    id TEXT PRIMARY KEY, label TEXT NOT NULL, name TEXT, names TEXT NOT NULL DEFAULT '{}',
    classification TEXT, url TEXT, fetched_at TEXT NOT NULL
);
CREATE TABLE ep_memberships (
    contact_id TEXT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE ON UPDATE CASCADE,
    body_id TEXT NOT NULL, kind TEXT NOT NULL, role TEXT NOT NULL,
    start_date TEXT, end_date TEXT, fetched_at TEXT NOT NULL
);
CREATE INDEX ep_memberships_contact ON ep_memberships(contact_id);
CREATE INDEX ep_memberships_body ON ep_memberships(body_id);
"""

# Letters: a postal address for a person (their prison's, or their family's), always
# with its source; and on the outreach log, who sent a letter and every file that
# holds it (a second format of the same letter is not a second letter).
_V_LETTER_ADDRESSES = """
CREATE TABLE person_addresses (
    id INTEGER PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES persons(id) ON DELETE CASCADE ON UPDATE CASCADE,
    purpose TEXT NOT NULL DEFAULT 'prisoner',
    address TEXT NOT NULL, as_of TEXT,
    source_id TEXT NOT NULL REFERENCES sources(id) ON UPDATE CASCADE,
    added TEXT NOT NULL
);
CREATE INDEX person_addresses_person ON person_addresses(person_id, purpose);
ALTER TABLE outreach ADD COLUMN sender TEXT;
ALTER TABLE outreach ADD COLUMN paths TEXT NOT NULL DEFAULT '[]';
CREATE INDEX outreach_contact_digest ON outreach(contact_id, digest);
"""

# Letters an MEP acts on: what each event concerns (people, or the campaign's
# subject), so "on the subject" is data; and on the outreach log, the case a letter
# took up (reused on re-runs) and a compact sketch of its text (shingle hashes), so
# a new letter can be compared with those already sent from other senders.
_V_LETTERS = """
ALTER TABLE events ADD COLUMN concerns TEXT NOT NULL DEFAULT '[]';
ALTER TABLE outreach ADD COLUMN case_id TEXT;
ALTER TABLE outreach ADD COLUMN sketch TEXT;
"""

# Forward migrations: MIGRATIONS[n] takes a store from version n to n + 1.
MIGRATIONS: list[str] = [_V1, _V_DEMAND_DATES, _V_EP_BODIES, _V_LETTER_ADDRESSES, _V_LETTERS]
SCHEMA_VERSION = len(MIGRATIONS)

_JSON_COLUMNS = {"quotes", "aliases", "extra", "concerns"}

# How long a command waits for another one that holds the store's write lock.
BUSY_SECONDS = 30.0


def _statements(script: str) -> Iterator[str]:
    """The statements of a migration script, one by one (``executescript`` would commit)."""
    buf = ""
    for piece in script.split(";"):
        buf += piece + ";"
        if sqlite3.complete_statement(buf):
            if buf.strip(" \n\t;"):
                yield buf
            buf = ""
    if buf.strip(" \n\t;"):
        yield buf


def _busy(exc: BaseException) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


def _disk_full(path: Path | str | None) -> bool:
    """Whether the store's file system has (almost) no space left: SQLite reports a
    full disk met while growing its shared-memory file as a plain I/O error."""
    if not path:
        return False
    try:
        info = os.statvfs(Path(path).expanduser().parent)
    except OSError:
        return False
    return info.f_bavail * info.f_frsize < 1024 * 1024


def explain(exc: BaseException, path: Path | str | None = None) -> StoreError:
    """One line for a failure of SQLite, saying what the user can do about it.

    Only a store that SQLite finds damaged gets the advice to move it aside: a
    busy, read-only or full store is a good store, and saying otherwise would
    lead a user to set their campaign aside for nothing.
    """
    where = f"the store {path}" if path else "the store"
    text = str(exc)
    low = text.lower()
    code = getattr(exc, "sqlite_errorname", "") or ""
    if _busy(exc) or code.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return StoreError(f"{where} is busy (another campaign command is writing to it)",
                          "try again in a moment")
    if "readonly" in low or "read-only" in low or code.startswith("SQLITE_READONLY"):
        return StoreError(f"cannot write to {where}: it is read-only",
                          "check the permissions of the file and of its directory")
    if "disk is full" in low or code.startswith("SQLITE_FULL") or \
            (code.startswith("SQLITE_IOERR") or "disk i/o" in low) and _disk_full(path):
        return StoreError(f"cannot write to {where}: the disk is full",
                          "free some space and run the command again; nothing was changed")
    if "unable to open" in low or code.startswith(("SQLITE_CANTOPEN", "SQLITE_PERM",
                                                   "SQLITE_AUTH")):
        return StoreError(f"cannot open {where} ({text})",
                          "check the permissions of the file and of its directory")
    if code.startswith("SQLITE_IOERR") or "disk i/o" in low:
        return StoreError(f"cannot read or write {where} ({text})",
                          "check the disk, and that there is space left on it")
    if isinstance(exc, sqlite3.IntegrityError):
        return StoreError(f"the change would break a rule of {where} ({text})",
                          "nothing was changed; check the ids you gave")
    if code.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in low or \
            "not a database" in low:
        return StoreError(
            f"{path or 'the store'} is not a usable campaign store ({text})",
            "restore it from a backup (or an export), or point --db or CAMPAIGN_DB at "
            "another file and move this one aside",
        )
    return StoreError(f"{where} failed ({text})")


def default_path() -> Path:
    """``--db``, else ``CAMPAIGN_DB``, else the user data directory."""
    env = os.environ.get("CAMPAIGN_DB")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("campaign", appauthor=False)) / "campaign.db"


class Store:
    """A campaign store on disk: it stores, and nothing more.

    Opening a new store creates it empty. Loading the bundled campaign on first
    use belongs to the application that opens the store (the CLI's ``store()``
    helper); a library user calls ``campaign.pack.load_bundled(store)``.
    ``bundled`` is accepted, and ignored, for callers written before that.
    """

    def __init__(self, path: str | Path | None = None, *, bundled: bool = False) -> None:
        del bundled  # see the class docstring
        self.path = Path(path).expanduser() if path else default_path()
        self._depth = 0
        self._create_file()
        try:
            self._open(read_only=False)
        except sqlite3.OperationalError as exc:
            # A store on a read-only file system (or in a directory only others may
            # write) cannot get the shared-memory file WAL mode reads through; SQLite
            # can still read it when asked for read-only access, so reading commands
            # work and writing ones say why they cannot.
            if "unable to open" not in str(exc) or os.access(self.path.parent, os.W_OK):
                raise explain(exc, self.path) from None
            try:
                self._open(read_only=True)
            except sqlite3.Error as again:
                raise explain(again, self.path) from None

    def _open(self, *, read_only: bool) -> None:
        """Connect, and bring a writable store's schema up to date."""
        if read_only:
            from urllib.parse import quote

            uri = f"file:{quote(str(self.path.resolve()))}?mode=ro"
            if os.statvfs(self.path.parent).f_flag & os.ST_RDONLY:
                # Read-only media: no one can change the file under us, and without
                # this SQLite will not read a WAL store whose -shm it cannot create.
                uri += "&immutable=1"
            target: str | Path = uri
        else:
            target = self.path
        try:
            self.conn = sqlite3.connect(target, isolation_level=None, timeout=BUSY_SECONDS,
                                        uri=read_only)
        except sqlite3.OperationalError:
            raise
        except sqlite3.Error as exc:
            raise explain(exc, self.path) from None
        try:
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA foreign_keys = ON")
            version = self.conn.execute("PRAGMA user_version").fetchone()[0]
            if version < SCHEMA_VERSION:
                if read_only:
                    raise StoreError(
                        f"{self.path} is read-only and needs an upgrade to schema "
                        f"{SCHEMA_VERSION} before this campaign can use it",
                        "copy it somewhere writable, or make its directory writable")
                self._set_wal()
                self._migrate()
            elif version > SCHEMA_VERSION:
                self._too_new(version)
        except sqlite3.OperationalError:
            self.conn.close()
            raise
        except sqlite3.Error as exc:
            self.conn.close()
            raise explain(exc, self.path) from None
        except StoreError:
            self.conn.close()
            raise

    def _set_wal(self) -> None:
        """WAL for a new store. Changing the journal mode takes an exclusive lock
        and does not always wait for a parallel first use to finish, so wait here."""
        deadline = time.monotonic() + BUSY_SECONDS
        while True:
            try:
                self.conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if not _busy(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def _create_file(self) -> bool:
        if self.path.exists():
            if self.path.is_dir():
                raise StoreError(f"{self.path} is a directory", "give --db a file name")
            if not self.path.is_file():
                # A FIFO would hang SQLite's first read; a device (/dev/null) would
                # take the data and leave journals beside it.
                raise StoreError(f"{self.path} is not a regular file",
                                 "give --db the name of a store file")
            return False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            except FileExistsError:
                return False  # a parallel first use created it a moment ago: use it
            os.close(fd)
        except OSError as exc:
            raise StoreError(
                f"cannot create the store {self.path}: {exc.strerror}",
                "choose a writable place with --db or CAMPAIGN_DB",
            ) from None
        return True

    def _too_new(self, version: int) -> None:
        raise StoreError(
            f"{self.path} was written by a newer campaign (schema {version})",
            "upgrade campaign to use it",
        )

    def _migrate(self) -> None:
        """Bring the schema up to date in one write transaction.

        The version is read again once the write lock is held: a parallel first
        use of the same new store may have migrated it meanwhile, and running
        the migrations twice would look like a broken store.
        """
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            version = self.conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                self._too_new(version)
            for n in range(version, SCHEMA_VERSION):
                for statement in _statements(MIGRATIONS[n]):
                    self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version = {n + 1}")
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """All or nothing: nested calls join the outer transaction."""
        if self._depth:
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
            return
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise explain(exc, self.path) from None
        self._depth = 1
        try:
            yield self
        except BaseException as exc:
            # SQLite has already rolled back after some failures (a full disk):
            # a second ROLLBACK would hide the real cause behind "cannot rollback".
            if self.conn.in_transaction:
                with suppress(sqlite3.Error):
                    self.conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise explain(exc, self.path) from None
            raise
        else:
            try:
                self.conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if self.conn.in_transaction:
                    with suppress(sqlite3.Error):
                        self.conn.execute("ROLLBACK")
                raise explain(exc, self.path) from None
        finally:
            self._depth = 0

    # -- low-level helpers ------------------------------------------------

    def rows(
        self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()
    ) -> list[dict[str, Any]]:
        out = []
        for row in self.conn.execute(sql, params):
            d = dict(row)
            for key in _JSON_COLUMNS & d.keys():
                d[key] = json.loads(d[key])
            out.append(d)
        return out

    def row(
        self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()
    ) -> dict[str, Any] | None:
        found = self.rows(sql, params)
        return found[0] if found else None

    def insert(self, table: str, values: Mapping[str, Any], *, replace: bool = False) -> int:
        """Insert a row; with ``replace``, update the row with the same id instead if present."""
        data = {k: (json.dumps(v, ensure_ascii=False) if k in _JSON_COLUMNS else v)
                for k, v in values.items()}
        if replace and "id" in data:
            sets = ", ".join(f"{k} = ?" for k in data)
            cur = self.conn.execute(
                f"UPDATE {table} SET {sets} WHERE id = ?", [*data.values(), data["id"]]
            )
            if cur.rowcount:
                return 0
        cols = ", ".join(data)
        marks = ", ".join("?" for _ in data)
        cur = self.conn.execute(
            f"INSERT INTO {table} ({cols}) VALUES ({marks})", list(data.values())
        )
        return int(cur.lastrowid or 0)

    def update(self, table: str, key: str, values: Mapping[str, Any]) -> None:
        data = {k: (json.dumps(v, ensure_ascii=False) if k in _JSON_COLUMNS else v)
                for k, v in values.items()}
        sets = ", ".join(f"{k} = ?" for k in data)
        self.conn.execute(f"UPDATE {table} SET {sets} WHERE id = ?", [*data.values(), key])

    def is_empty(self) -> bool:
        return self.conn.execute("SELECT count(*) FROM sources").fetchone()[0] == 0

    def meta(self, key: str) -> str | None:
        found = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return found[0] if found else None

    def set_meta(self, key: str, value: str | None) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # -- citations ---------------------------------------------------------

    def cite(self, record_type: str, record_id: str | int, sources: Iterable[str]) -> None:
        """Attach sources to a record; an unknown source id is refused."""
        ids = list(dict.fromkeys(sources))
        if not ids:
            raise ValidationError(
                f"{record_type.replace('_', ' ')} '{record_id}' cites no source",
                "every fact needs --source ID (see `campaign sources list`)",
            )
        known = self.source_ids()
        start = self.conn.execute(
            "SELECT coalesce(max(pos) + 1, 0) FROM citations"
            " WHERE record_type = ? AND record_id = ?",
            (record_type, str(record_id)),
        ).fetchone()[0]
        for n, sid in enumerate(ids):
            if sid not in known:
                raise NotFoundError(
                    "source", sid, _near(sid, known),
                    hint=None if _near(sid, known) else "add it with `campaign sources add`",
                )
            self.conn.execute(
                "INSERT OR IGNORE INTO citations (record_type, record_id, source_id, pos)"
                " VALUES (?, ?, ?, ?)",
                (record_type, str(record_id), sid, start + n),
            )

    def citations(self, record_type: str) -> dict[str, list[str]]:
        """record id -> source ids, in citation order, for one record type."""
        out: dict[str, list[str]] = {}
        for rid, sid in self.conn.execute(
            "SELECT record_id, source_id FROM citations WHERE record_type = ? ORDER BY pos",
            (record_type,),
        ):
            out.setdefault(rid, []).append(sid)
        return out

    def uncite(self, record_type: str, record_id: str | int) -> None:
        self.conn.execute(
            "DELETE FROM citations WHERE record_type = ? AND record_id = ?",
            (record_type, str(record_id)),
        )

    # -- sources -----------------------------------------------------------

    def source_ids(self) -> set[str]:
        return {r[0] for r in self.conn.execute("SELECT id FROM sources")}

    def sources(self) -> list[dict[str, Any]]:
        return self.rows("SELECT * FROM sources ORDER BY rowid")

    def source(self, source_id: str) -> dict[str, Any]:
        found = self.row("SELECT * FROM sources WHERE id = ?", (source_id,))
        if not found:
            raise NotFoundError("source", source_id, _near(source_id, self.source_ids()))
        return found

    def add_source(self, values: Mapping[str, Any], *, replace: bool = False) -> None:
        if not replace and values["id"] in self.source_ids():
            raise ValidationError(
                f"a source with id '{values['id']}' already exists", "choose another --id"
            )
        self.insert("sources", values, replace=replace)

    # -- simple cited records: demands, events, figures --------------------

    def cited_rows(self, table: str, record_type: str, where: str = "",
                   params: Sequence[Any] = (), order: str = "rowid") -> list[dict[str, Any]]:
        cites = self.citations(record_type)
        found = self.rows(f"SELECT * FROM {table} {where} ORDER BY {order}", params)
        for r in found:
            r["sources"] = cites.get(str(r["id"]), [])
        return found

    def add_cited(self, table: str, record_type: str, values: Mapping[str, Any],
                  sources: Sequence[str], *, replace: bool = False) -> None:
        if replace:
            self.uncite(record_type, values["id"])
        elif self.row(f"SELECT id FROM {table} WHERE id = ?", (values["id"],)):
            raise ValidationError(
                f"a {record_type} with id '{values['id']}' already exists", "choose another --id"
            )
        self.insert(table, values, replace=replace)
        self.cite(record_type, values["id"], sources)

    def demands(self) -> list[dict[str, Any]]:
        return self.cited_rows("demands", "demand")

    def demand(self, demand_id: str) -> dict[str, Any]:
        found = self.cited_rows("demands", "demand", "WHERE id = ?", (demand_id,))
        if not found:
            ids = [d["id"] for d in self.rows("SELECT id FROM demands")]
            raise NotFoundError("demand", demand_id, _near(demand_id, ids),
                                hint=None if _near(demand_id, ids) else
                                "see `campaign demands list`")
        return found[0]

    def events(self, *, planned: bool | None = None) -> list[dict[str, Any]]:
        where = "" if planned is None else f"WHERE planned = {int(planned)}"
        found = self.cited_rows("events", "event", where, order="date, rowid")
        for e in found:
            e["planned"] = bool(e["planned"])
        return found

    def figures(self) -> list[dict[str, Any]]:
        return self.cited_rows("figures", "figure")

    def remove(self, table: str, record_type: str, record_id: str) -> None:
        """Remove a demand, event, figure, contact or source, with its citations.

        Refused while something still refers to it (a source that records
        cite, a contact in the outreach log), so the store stays consistent.
        """
        labels = {"demand": "demands", "event": "events", "figure": "figures",
                  "contact": "contacts", "source": "sources"}
        found = self.row(f"SELECT id FROM {table} WHERE id = ?", (record_id,))
        if not found:
            ids = [r["id"] for r in self.rows(f"SELECT id FROM {table}")]
            near = _near(record_id, ids)
            raise NotFoundError(record_type, record_id, near,
                                hint=None if near else
                                f"see `campaign {labels[record_type]} list`")
        with self.transaction():
            if record_type == "source":
                users = self.conn.execute(
                    "SELECT count(*) FROM citations WHERE source_id = ?", (record_id,)
                ).fetchone()[0]
                if users:
                    raise ValidationError(
                        f"source '{record_id}' is cited by {users:,} record(s)",
                        f"see `campaign sources show {record_id}`; remove or correct those "
                        "first")
            if record_type == "contact":
                logged = self.conn.execute(
                    "SELECT count(*) FROM outreach WHERE contact_id = ?", (record_id,)
                ).fetchone()[0]
                if logged:
                    raise ValidationError(
                        f"contact '{record_id}' has {logged:,} entr"
                        f"{'y' if logged == 1 else 'ies'} in the outreach log",
                        "the log keeps who was written to, so the contact stays")
            self.uncite(record_type, record_id)
            self.conn.execute(f"DELETE FROM {table} WHERE id = ?", (record_id,))

    # -- contacts ----------------------------------------------------------

    def contacts(self, *, kind: str | None = None, country: str | None = None,
                 group: str | None = None, include_former: bool = True) -> list[dict[str, Any]]:
        clauses, params = [], []
        if kind:
            clauses.append("kind = ?")
            params.append(kind)
        if not include_former:
            clauses.append("status = 'current'")
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        found = self.cited_rows("contacts", "contact", where, params, order="kind, name")
        if country:
            found = [c for c in found if _matches_country(c.get("country"), country)]
        if group:
            g = group.casefold()
            found = [c for c in found if g in (c.get("grp") or "").casefold()]
        for c in found:
            c["group"] = c.pop("grp")
            c["historical"] = bool(c["historical"])
        return found

    def add_contact(self, values: Mapping[str, Any], sources: Sequence[str],
                    *, replace: bool = False) -> None:
        data = dict(values)
        if "group" in data:
            data["grp"] = data.pop("group")
        self.add_cited("contacts", "contact", data, sources, replace=replace)

    # -- profile -----------------------------------------------------------

    def profile(self) -> dict[str, str]:
        return {r[0]: r[1] for r in self.conn.execute("SELECT key, value FROM profile")}

    def set_profile(self, values: Mapping[str, str | None]) -> None:
        for key, value in values.items():
            if value is None:
                continue
            self.conn.execute("INSERT OR REPLACE INTO profile (key, value) VALUES (?, ?)",
                              (key, value))


def _near(name: str, options: Iterable[str]) -> list[str]:
    from campaign.names import suggest

    return suggest(name, options)


def _matches_country(value: str | None, wanted: str) -> bool:
    if not value:
        return False
    from campaign.countries import same_country

    return same_country(value, wanted)
