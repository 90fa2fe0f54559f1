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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar

from campaign.errors import NotFoundError, StoreError, ValidationError

T = TypeVar("T")

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
# MEPs' memberships of them, as the Open Data API gives them (campaign.ep.bodies).
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

# Demands in time: a kind per demand (release, accountability, process, policy; NULL in
# stores made before kinds, read as inferred), and when a source reported one done.
_V_TIME = """
ALTER TABLE demands ADD COLUMN kind TEXT;
ALTER TABLE demands ADD COLUMN done TEXT;
ALTER TABLE demands ADD COLUMN done_in TEXT;
"""

def _repair(conn: sqlite3.Connection) -> None:
    """Columns a migration gained after some stores had already run it: _V_DEMAND_DATES
    was edited to add ``demands.made_in``, so a store migrated before that edit lacks
    it and no pack could be imported into it. Run once with the migrations."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(demands)")}
    if "made_in" not in columns:
        conn.execute("ALTER TABLE demands ADD COLUMN made_in TEXT")


# Letters to prisoners and their families are logged too: an outreach row names a
# person instead of a contact, so a letter knows whether one was sent before. SQLite
# cannot drop NOT NULL from contact_id in place: the table is rebuilt with every column
# it has at this point (a later migration adding one to outreach comes after this).
# person_id has no foreign key: `import --replace` deletes and re-adds the persons
# under the same ids; removing a person is refused while the log names them.
_V_LABELS = """
CREATE TABLE outreach_rebuilt (
    id INTEGER PRIMARY KEY,
    contact_id TEXT REFERENCES contacts(id) ON UPDATE CASCADE,
    document TEXT NOT NULL, created TEXT NOT NULL, digest TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'drafted', note TEXT, path TEXT, updated TEXT,
    sender TEXT, paths TEXT NOT NULL DEFAULT '[]', person_id TEXT
);
INSERT INTO outreach_rebuilt (id, contact_id, document, created, digest, state, note, path,
                              updated, sender, paths)
    SELECT id, contact_id, document, created, digest, state, note, path, updated, sender, paths
    FROM outreach;
DROP TABLE outreach;
ALTER TABLE outreach_rebuilt RENAME TO outreach;
CREATE INDEX outreach_contact_digest ON outreach(contact_id, digest);
CREATE INDEX outreach_person ON outreach(person_id, document);
"""

# A coalition shares one store (PostgreSQL): explicit insertion order instead of SQLite's
# rowid (``seq``, kept by a trigger on SQLite and an identity column on PostgreSQL); the
# members and their kind; profiles per member; the member on each outreach entry; and on
# PostgreSQL, row-level security (branches change only their own outreach entries, read
# only their own profile, and of the meta rows write only the calendar UIDs of
# announcements). Blocks between ``-- only ENGINE`` and ``-- end only`` run on that
# engine alone (campaign.engine.engine_parts).
_SEQ_TABLES = ("sources", "persons", "names", "demands", "events", "figures", "contacts",
               "citations")
_V_COALITION = "".join(
    f"""
-- only sqlite
ALTER TABLE {t} ADD COLUMN seq INTEGER;
UPDATE {t} SET seq = rowid;
CREATE TRIGGER {t}_seq AFTER INSERT ON {t} WHEN NEW.seq IS NULL
BEGIN UPDATE {t} SET seq = NEW.rowid WHERE rowid = NEW.rowid; END;
-- end only
-- only postgresql
ALTER TABLE {t} ADD COLUMN seq BIGINT GENERATED BY DEFAULT AS IDENTITY;
-- end only
CREATE INDEX {t}_seq ON {t}(seq);
""" for t in _SEQ_TABLES) + """
CREATE TABLE members (
    name TEXT PRIMARY KEY, kind TEXT NOT NULL, added TEXT NOT NULL
);
CREATE TABLE profile_by_member (
    member TEXT NOT NULL DEFAULT 'local', key TEXT NOT NULL, value TEXT,
    PRIMARY KEY (member, key)
);
INSERT INTO profile_by_member (member, key, value) SELECT 'local', key, value FROM profile;
DROP TABLE profile;
ALTER TABLE profile_by_member RENAME TO profile;
ALTER TABLE outreach ADD COLUMN member TEXT NOT NULL DEFAULT 'local';
CREATE INDEX outreach_member ON outreach(member);
-- only postgresql
ALTER TABLE profile ALTER COLUMN member SET DEFAULT current_user;
ALTER TABLE outreach ALTER COLUMN member SET DEFAULT current_user;
ALTER TABLE profile ENABLE ROW LEVEL SECURITY;
CREATE POLICY profile_own ON profile USING (member = current_user)
    WITH CHECK (member = current_user);
ALTER TABLE outreach ENABLE ROW LEVEL SECURITY;
CREATE POLICY outreach_read ON outreach FOR SELECT USING (true);
CREATE POLICY outreach_add ON outreach FOR INSERT WITH CHECK (member = current_user);
CREATE POLICY outreach_change ON outreach FOR UPDATE USING (member = current_user OR EXISTS
    (SELECT 1 FROM members m WHERE m.name = current_user AND m.kind = 'coordinator'))
    WITH CHECK (true);
CREATE POLICY outreach_remove ON outreach FOR DELETE USING (member = current_user OR EXISTS
    (SELECT 1 FROM members m WHERE m.name = current_user AND m.kind = 'coordinator'));
ALTER TABLE meta ENABLE ROW LEVEL SECURITY;
CREATE POLICY meta_read ON meta FOR SELECT USING (true);
CREATE POLICY meta_coordinators ON meta USING (EXISTS
    (SELECT 1 FROM members m WHERE m.name = current_user AND m.kind = 'coordinator'));
CREATE POLICY meta_calendar ON meta USING (key LIKE 'ics:%') WITH CHECK (key LIKE 'ics:%');
-- end only
"""

# Sending letters by email (campaign.sending): on the outreach log, when a letter was
# sent (UTC), our Message-ID, the server's reply line, why it failed or was left, the
# digest of the text actually sent (an edited draft is sent as edited), and the word
# shingles of that text (hashed, so a later run can refuse a near copy to the same
# recipient without keeping the letter's words); and the contacts not to write to, a
# table of its own so that packs and exports of contacts are unchanged.
_V_SENDING = """
ALTER TABLE outreach ADD COLUMN sent_at TEXT;
ALTER TABLE outreach ADD COLUMN message_id TEXT;
ALTER TABLE outreach ADD COLUMN server_reply TEXT;
ALTER TABLE outreach ADD COLUMN reason TEXT;
ALTER TABLE outreach ADD COLUMN sent_digest TEXT;
ALTER TABLE outreach ADD COLUMN sent_shingles TEXT;
CREATE INDEX outreach_state ON outreach(state);
CREATE TABLE no_contact (
    contact_id TEXT PRIMARY KEY REFERENCES contacts(id) ON DELETE CASCADE ON UPDATE CASCADE,
    since TEXT NOT NULL, reason TEXT
);
"""

# harden: which pack a case event came from (NULL: recorded by the user with `prisoners
# update`), so that importing a pack again replaces its own events and keeps the user's.
_V_HARDEN = """
ALTER TABLE case_events ADD COLUMN pack TEXT;
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
MIGRATIONS: list[str] = [
    _V1,
    _V_DEMAND_DATES,
    _V_EP_BODIES,
    _V_LETTER_ADDRESSES,
    _V_TIME,
    _V_LABELS,
    _V_COALITION,
    _V_SENDING,
    _V_HARDEN,
    _V_LETTERS,
]
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


def default_location() -> str | Path:
    """Where the store is: a PostgreSQL URL in ``CAMPAIGN_DB``, else a file."""
    env = os.environ.get("CAMPAIGN_DB")
    from campaign.engine import is_url

    if env and is_url(env):
        return env.strip()
    return default_path()


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

    # sqlite3's interface is the one the code writes to, on both engines: on PostgreSQL
    # ``conn`` is a campaign.engine.PgConnection, which takes the same calls.
    conn: sqlite3.Connection
    engine = "sqlite"
    url: str | None = None
    # On SQLite the store has one user; on PostgreSQL a member is a database role.
    member = "local"

    def __init__(self, path: str | Path | None = None, *, bundled: bool = False) -> None:
        del bundled  # see the class docstring
        from campaign.engine import is_url

        self._depth = 0
        location = path or default_location()
        if is_url(location):
            self._open_pg(str(location).strip())
            return
        self.path: Path | None = Path(location).expanduser()
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

    def _open_pg(self, url: str) -> None:
        """Connect to PostgreSQL, and bring the schema up to date (its owner's first use
        creates it)."""
        from campaign import engine

        self.engine = "postgresql"
        self.url = url
        self.path = None
        if engine.has_password(url):
            import sys

            print("campaign: warning: CAMPAIGN_DB holds a password; keep it in ~/.pgpass "
                  "or PGPASSWORD instead (it is not shown)", file=sys.stderr)
        conn = engine.connect(url, engine.Schema(MIGRATIONS))
        self.conn = conn  # type: ignore[assignment]
        self.member = conn.user
        try:
            version = self._pg_version()
            if version > SCHEMA_VERSION:
                self._too_new(version)
            if version < SCHEMA_VERSION:
                self._migrate()
        except BaseException as exc:
            with suppress(Exception):
                conn.close()
            if isinstance(exc, sqlite3.Error):
                raise engine.explain(exc, url, self.member) from None
            raise

    def _pg_version(self) -> int:
        if self.conn.execute("SELECT to_regclass('meta') IS NOT NULL").fetchone()[0]:
            found = self.conn.execute(
                "SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            if found:
                return int(found[0])
            return 1  # the meta table is V1's
        return 0

    def _version(self) -> int:
        if self.engine == "postgresql":
            return self._pg_version()
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def _set_version(self, n: int) -> None:
        if self.engine == "postgresql":
            self.set_meta("schema_version", str(n))
        else:
            self.conn.execute(f"PRAGMA user_version = {n}")

    @property
    def where(self) -> str:
        """The store as messages name it (a file, or a database without its password)."""
        if self.url:
            from campaign.engine import describe

            return describe(self.url)
        return str(self.path)

    def _open(self, *, read_only: bool) -> None:
        """Connect, and bring a writable store's schema up to date."""
        assert self.path is not None  # a file: PostgreSQL opens in _open_pg
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
        assert self.path is not None
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
            f"{self.where} was written by a newer campaign (schema {version})",
            "upgrade campaign to use it",
        )

    def _migrate(self) -> None:
        """Bring the schema up to date in one write transaction.

        The version is read again once the write lock is held: a parallel first
        use of the same new store may have migrated it meanwhile, and running
        the migrations twice would look like a broken store.
        """
        from campaign.engine import engine_parts, translate_ddl

        self.conn.execute("BEGIN IMMEDIATE")
        try:
            version = self._version()
            if version > SCHEMA_VERSION:
                self._too_new(version)
            if version < SCHEMA_VERSION and self.engine == "postgresql":
                self._may_create_schema()
            for n in range(version, SCHEMA_VERSION):
                for statement in _statements(engine_parts(MIGRATIONS[n], self.engine)):
                    if self.engine == "postgresql":
                        statement = translate_ddl(statement)
                        self.conn.raw.execute(statement)  # type: ignore[attr-defined]
                    else:
                        self.conn.execute(statement)
                self._set_version(n + 1)
            if self.engine == "postgresql":
                from campaign import coalition

                coalition.grant_all(self)
            if self.engine == "sqlite":
                _repair(self.conn)
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    def _may_create_schema(self) -> None:
        """Only the database's owner creates or upgrades the schema: say so to a member."""
        owner = self.conn.execute(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"
        ).fetchone()[0]
        if owner != self.member and not self.conn.execute(
                "SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0]:
            raise StoreError(
                f"{self.where} has no campaign schema (or an older one), and only its owner "
                f"{owner} may create or upgrade it",
                f"ask {owner} to run any campaign command against it first")

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
            raise self._explained(exc) from None
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
                raise self._explained(exc) from None
            raise
        else:
            try:
                self.conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if self.conn.in_transaction:
                    with suppress(sqlite3.Error):
                        self.conn.execute("ROLLBACK")
                raise self._explained(exc) from None
        finally:
            self._depth = 0

    def _explained(self, exc: BaseException) -> StoreError:
        """``explain``, marking what may pass if the transaction is run again (PostgreSQL's
        serialization failures and deadlocks, SQLSTATE 40001 and 40P01)."""
        error = self.explain(exc)
        error.retryable = getattr(exc, "kind", None) == "retry"  # type: ignore[attr-defined]
        return error

    def retrying(self, body: Callable[[], T]) -> T:
        """``body()`` in one transaction, run again (up to engine.RETRIES more times, after a
        short pause) when the server gave the transaction up as a serialization failure
        or a deadlock, which another try may pass; after that, the one line saying so.
        ``body`` must have no effect outside the store (it may run more than once).
        Inside an outer transaction it runs once: only the outermost can be run again.

        Every write transaction takes the one writers' lock first (``BEGIN IMMEDIATE``;
        engine.WRITE_LOCK on PostgreSQL), at READ COMMITTED, so campaign's own writers
        neither deadlock one another nor meet serialization failures; this guards the
        letters' check-and-log (commit.py), the one write that is run again safely,
        against what the server may still do (a deadlock with another client)."""
        import random
        import time

        from campaign.engine import RETRIES

        if self._depth:
            with self.transaction():
                return body()
        attempt = 0
        while True:
            try:
                with self.transaction():
                    return body()
            except StoreError as exc:
                if not getattr(exc, "retryable", False) or attempt >= RETRIES:
                    raise
            attempt += 1
            time.sleep(0.05 * 2 ** attempt * random.random())  # noqa: S311 - jitter only

    def explain(self, exc: BaseException) -> StoreError:
        """One line for a failure of this store's engine."""
        if self.url:
            from campaign.engine import explain as pg_explain

            return pg_explain(exc, self.url, self.member)
        return explain(exc, self.path)

    # -- low-level helpers ------------------------------------------------

    def rows(
        self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()
    ) -> list[dict[str, Any]]:
        out = []
        for row in self.conn.execute(sql, params):
            d = dict(row)
            d.pop("seq", None)  # the store's insertion order, not part of a record
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

    def update(self, table: str, key: str, values: Mapping[str, Any]) -> int:
        """Change the row with id ``key``; how many rows changed (0: none, or, on
        PostgreSQL, a row this member may read but not change)."""
        data = {k: (json.dumps(v, ensure_ascii=False) if k in _JSON_COLUMNS else v)
                for k, v in values.items()}
        sets = ", ".join(f"{k} = ?" for k in data)
        cur = self.conn.execute(f"UPDATE {table} SET {sets} WHERE id = ?",
                                [*data.values(), key])
        return int(cur.rowcount)

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

    def _citations_of(self, record_type: str, record_ids: Sequence[str]
                      ) -> dict[str, list[str]]:
        """``citations`` of a few records only (ids as the citations table keeps them)."""
        out: dict[str, list[str]] = {}
        if not record_ids:
            return out
        marks = ", ".join("?" * len(record_ids))
        for rid, sid in self.conn.execute(
            "SELECT record_id, source_id FROM citations WHERE record_type = ?"
            f" AND record_id IN ({marks}) ORDER BY pos",
            (record_type, *record_ids),
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
        return self.rows("SELECT * FROM sources ORDER BY seq")

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
                   params: Sequence[Any] = (), order: str = "seq") -> list[dict[str, Any]]:
        found = self.rows(f"SELECT * FROM {table} {where} ORDER BY {order}", params)
        if where and len(found) <= 200:
            # A few rows of a big table (the campaign's own contacts among 20,000): read
            # their citations only, by the primary key, not every record's.
            cites = self._citations_of(record_type, [str(r["id"]) for r in found])
        else:
            cites = self.citations(record_type)
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
        found = self.cited_rows("events", "event", where, order="date, seq")
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
                # A postal address cites its source in its own column (person_addresses).
                addresses = self.conn.execute(
                    "SELECT count(*) FROM person_addresses WHERE source_id = ?", (record_id,)
                ).fetchone()[0]
                if users or addresses:
                    what = " and ".join(part for part in (
                        f"cited by {users:,} record(s)" if users else "",
                        f"gives {addresses:,} postal address(es)" if addresses else "") if part)
                    raise ValidationError(
                        f"source '{record_id}' is {what}" if users else
                        f"source '{record_id}' {what}",
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
                 group: str | None = None, include_former: bool = True,
                 historical_only: bool = False) -> list[dict[str, Any]]:
        clauses, params = [], []
        if kind:
            clauses.append("kind = ?")
            params.append(kind)
        if not include_former:
            clauses.append("status = 'current'")
        if historical_only:  # a merge's predecessors: a few rows, not the whole directory
            clauses.append("historical = 1")
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
        """This member's sender details (each member has their own)."""
        return {r[0]: r[1] for r in self.conn.execute(
            "SELECT key, value FROM profile WHERE member = ? ORDER BY key", (self.member,))}

    def set_profile(self, values: Mapping[str, str | None]) -> None:
        for key, value in values.items():
            if value is None:
                continue
            self.conn.execute(
                "INSERT OR REPLACE INTO profile (member, key, value) VALUES (?, ?, ?)",
                (self.member, key, value))


def _near(name: str, options: Iterable[str]) -> list[str]:
    from campaign.names import suggest

    return suggest(name, options)


def _matches_country(value: str | None, wanted: str) -> bool:
    if not value:
        return False
    from campaign.countries import same_country

    return same_country(value, wanted)
