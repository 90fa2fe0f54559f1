"""The one module that knows the two SQL dialects: SQLite (the default) and PostgreSQL.

The rest of campaign writes SQLite-style SQL (``?`` placeholders, ``INSERT OR
IGNORE/REPLACE``, ``BEGIN IMMEDIATE``) against ``store.conn``. On SQLite that is
a plain ``sqlite3.Connection``; on PostgreSQL it is a :class:`PgConnection`,
which takes the same SQL, translates it here (and only here), and answers with
rows that behave like ``sqlite3.Row`` and errors that are ``sqlite3.Error``
subclasses, so code that catches ``sqlite3.IntegrityError`` keeps working. Seven
people add SQL in parallel; none of them needs to know which engine runs it.

What differs, and how it is bridged:

* placeholders: ``?`` becomes ``%s`` (and a literal ``%`` is doubled);
* ``INSERT OR IGNORE`` becomes ``ON CONFLICT DO NOTHING``; ``INSERT OR REPLACE``
  becomes ``ON CONFLICT (primary key) DO UPDATE`` of the other columns;
* ``INTEGER PRIMARY KEY`` ids: SQLite gives a new row max(id) + 1; so does the
  adapter, by adding the id to the insert (writers hold one lock, so two cannot
  pick the same id) and returning it as ``lastrowid``;
* ``BEGIN IMMEDIATE``: one writer at a time, as on SQLite, through a transaction
  that takes an advisory lock first;
* ``PRAGMA``: the schema version lives in a meta row; the others mean nothing;
* text compares byte by byte on both (``COLLATE "C"`` on every text column);
* booleans are stored as integers, sums come back as integers, not Decimals.

psycopg (the optional extra ``campaign[postgres]``) is imported only when a
PostgreSQL URL is opened, so SQLite users pay nothing at start-up.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from campaign.errors import StoreError

SCHEMES = ("postgresql://", "postgres://")

# The oldest server we support: identity columns, RLS, ON CONFLICT and
# the psycopg 3 protocol are all older; 12 is the oldest psycopg 3 is tested with.
MIN_SERVER = 120000
MIN_SERVER_TEXT = "12"

# Every writer takes this lock first (``BEGIN IMMEDIATE``): one writer at a time, so
# the ids and the cases chosen inside a transaction cannot clash with another's.
WRITE_LOCK = 0x63616D70  # "camp"

# How many times a transaction the server gave up (a serialization failure, a deadlock)
# is tried again before the command says so.
RETRIES = 3


def is_url(value: object) -> bool:
    return isinstance(value, str) and value.strip().lower().startswith(SCHEMES)


def has_password(url: str) -> bool:
    from urllib.parse import parse_qsl, urlsplit

    parts = urlsplit(url)
    if parts.password:
        return True
    return any(k == "password" for k, _ in parse_qsl(parts.query))


def redact(text: str, url: str | None = None) -> str:
    """``text`` with any password of ``url`` (or of a URL in it) replaced by ``***``."""
    from urllib.parse import parse_qsl, urlsplit

    secrets = []
    if url:
        parts = urlsplit(url)
        if parts.password:
            secrets.append(parts.password)
        secrets += [v for k, v in parse_qsl(parts.query) if k == "password" and v]
    for secret in secrets:
        text = text.replace(secret, "***")
    text = re.sub(r"(postgres(?:ql)?://[^:/@\s]*):[^@\s]*@", r"\1:***@", text)
    return re.sub(r"(password=)[^&\s]+", r"\1***", text)


def describe(url: str) -> str:
    """The database as a person names it: ``DBNAME on HOST`` (no user, no password)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    db = parts.path.lstrip("/") or "(default database)"
    host = parts.hostname or "the local server"
    port = f":{parts.port}" if parts.port else ""
    return f"the PostgreSQL database {db} on {host}{port}"


# -- errors -------------------------------------------------------------------


class PgError(sqlite3.DatabaseError):
    """A PostgreSQL failure, dressed as the sqlite3 error code already catches."""

    kind = "error"

    def __init__(self, message: str, sqlstate: str | None = None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate or ""
        self.reading = False


class PgIntegrityError(PgError, sqlite3.IntegrityError):
    kind = "integrity"


class PgPermissionError(PgError, sqlite3.OperationalError):
    kind = "permission"


class PgGoneError(PgError, sqlite3.OperationalError):
    kind = "gone"


class PgRetryError(PgError, sqlite3.OperationalError):
    """A serialization failure or deadlock: the transaction may be tried again."""

    kind = "retry"


def _wrap(exc: Exception, url: str) -> PgError:
    import psycopg

    state = getattr(exc, "sqlstate", None) or ""
    text = redact(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__,
                  url)
    if isinstance(exc, psycopg.errors.IntegrityError):
        return PgIntegrityError(text, state)
    if state == "42501":
        return PgPermissionError(text, state)
    if state in ("40001", "40P01"):
        return PgRetryError(text, state)
    if isinstance(exc, psycopg.OperationalError) or state.startswith(("08", "57P")):
        return PgGoneError(text, state)
    return PgError(text, state)


def explain(exc: BaseException, url: str, member: str | None = None) -> StoreError:
    """One line for a PostgreSQL failure met while a command ran."""
    where = describe(url)
    text = redact(str(exc), url)
    kind = getattr(exc, "kind", "")
    if kind == "permission":
        if getattr(exc, "reading", False):
            return StoreError(f"{member or 'this user'} may not read {where} ({text})",
                              "ask the coalition's owner to add you "
                              "(`campaign coalition add`)")
        if "row-level security" in text and 'table "outreach"' in text:
            return StoreError(f"{member or 'this member'} cannot change that outreach entry: "
                              "it belongs to another member",
                              "each branch changes only its own entries; nothing was changed")
        return StoreError(f"{member or 'this member'} may not change that in {where}: "
                          "changing the campaign's facts needs a coordinator",
                          "ask a coordinator of the coalition; nothing was changed")
    if kind == "gone":
        return StoreError(f"lost the connection to {where} ({text})",
                          "check the server and the network and run the command again; "
                          "nothing was changed")
    if kind == "retry":
        return StoreError(f"{where} was too busy to finish the command ({text})",
                          "run it again; nothing was changed")
    if kind == "integrity":
        return StoreError(f"the change would break a rule of {where} ({text})",
                          "nothing was changed; check the ids you gave")
    return StoreError(f"{where} failed ({text})")


def connect_error(exc: Exception, url: str) -> StoreError:
    """One line for a connection that could not be made, by its cause."""
    from urllib.parse import urlsplit

    where = describe(url)
    text = redact(str(exc).strip(), url)
    low = text.lower()
    user = urlsplit(url).username or "your user"
    if "password authentication failed" in low or "authentication failed" in low:
        return StoreError(f"{where} refused the password of {user}",
                          "check PGPASSWORD or your ~/.pgpass line for this server")
    if "no password supplied" in low or "fe_sendauth" in low:
        return StoreError(f"{where} needs a password for {user} and none was found",
                          "put it in ~/.pgpass (host:port:database:user:password, mode 0600) "
                          "or PGPASSWORD")
    if "does not exist" in low and "database" in low:
        return StoreError(f"{where} does not exist",
                          "create it first (createdb), or check the name in CAMPAIGN_DB")
    if "does not exist" in low and "role" in low:
        return StoreError(f"{where} has no member called {user}",
                          "ask the coalition's owner to run `campaign coalition add`")
    if "permission denied" in low or "not permitted" in low:
        return StoreError(f"{user} may not connect to {where}",
                          "ask the database's owner for access")
    if "connection refused" in low or "could not connect" in low or "timeout" in low \
            or "translate host" in low or "name or service" in low or "no route" in low:
        return StoreError(f"cannot reach {where}",
                          "check the host and port in CAMPAIGN_DB, and that the server runs")
    first = text.splitlines()[0] if text else type(exc).__name__
    return StoreError(f"cannot connect to {where} ({first})")


# -- rows and cursors ---------------------------------------------------------


class Row(tuple):
    """A result row as ``sqlite3.Row`` is: by position, by column name, ``dict(row)``."""

    _names: tuple[str, ...] = ()

    def __new__(cls, values: Iterable[Any], names: tuple[str, ...]) -> Row:
        row = super().__new__(cls, values)
        row._names = names
        return row

    def keys(self) -> list[str]:
        return list(self._names)

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            try:
                return tuple.__getitem__(self, self._names.index(key))
            except ValueError:
                raise IndexError(f"no such column: {key}") from None
        return tuple.__getitem__(self, key)


def _value(v: Any) -> Any:
    """A sum or an average comes back from PostgreSQL as a Decimal; SQLite's as a number."""
    if type(v).__name__ == "Decimal":
        return int(v) if v == v.to_integral_value() else float(v)
    return v


class Cursor:
    """The answer to one statement, fetched whole (results here are small)."""

    def __init__(self, rows: list[Row], description: Any = None, rowcount: int = -1,
                 lastrowid: int | None = None) -> None:
        self._rows = rows
        self._at = 0
        self.description = description
        self.rowcount = rowcount
        self.lastrowid = lastrowid

    def fetchone(self) -> Row | None:
        if self._at >= len(self._rows):
            return None
        self._at += 1
        return self._rows[self._at - 1]

    def fetchall(self) -> list[Row]:
        rest = self._rows[self._at:]
        self._at = len(self._rows)
        return rest

    def fetchmany(self, size: int = 1) -> list[Row]:
        rest = self._rows[self._at:self._at + size]
        self._at += len(rest)
        return rest

    def __iter__(self) -> Iterator[Row]:
        return self

    def __next__(self) -> Row:
        # An iterator as sqlite3's cursor is: ``next(cursor, None)`` walks it too.
        row = self.fetchone()
        if row is None:
            raise StopIteration
        return row


# -- SQL translation ------------------------------------------------------------

_TOKEN = re.compile(r"'(?:[^']|'')*'|\"[^\"]*\"|\?|%|:[A-Za-z_]\w*|--[^\n]*", re.S)


def _placeholders(sql: str) -> str:
    """``?`` to ``%s`` and ``:name`` to ``%(name)s`` outside string literals; every
    literal ``%`` doubled."""
    def sub(m: re.Match[str]) -> str:
        t = m.group(0)
        if t == "?":
            return "%s"
        if t == "%":
            return "%%"
        if t.startswith(":") and not t.startswith("::"):
            prev = m.string[m.start() - 1] if m.start() else " "
            if prev == ":":
                return t
            return f"%({t[1:]})s"
        return t.replace("%", "%%")  # psycopg reads % everywhere, literals too
    return _TOKEN.sub(sub, sql)


_INSERT = re.compile(
    r"^\s*INSERT\s+(?:OR\s+(IGNORE|REPLACE)\s+)?INTO\s+(\w+)\s*\(([^)]*)\)\s*VALUES\s*\((.*)\)"
    r"\s*(.*?);?\s*$", re.I | re.S)


class Schema:
    """What the adapter needs to know of the tables: primary keys, and which tables
    number their rows (``id INTEGER PRIMARY KEY``), read from the migrations."""

    def __init__(self, scripts: Iterable[str]) -> None:
        self.keys: dict[str, list[str]] = {}
        self.numbered: set[str] = set()
        for script in scripts:
            for m in re.finditer(r"CREATE TABLE (?:IF NOT EXISTS )?(\w+)\s*\((.*?)\n\);",
                                 script, re.S | re.I):
                table, body = m.group(1).lower(), m.group(2)
                one = re.search(r"(\w+)\s+(INTEGER|TEXT)\s+PRIMARY KEY", body, re.I)
                many = re.search(r"PRIMARY KEY\s*\(([^)]*)\)", body, re.I)
                if one:
                    self.keys[table] = [one.group(1).lower()]
                    if one.group(2).upper() == "INTEGER":
                        self.numbered.add(table)
                elif many:
                    self.keys[table] = [c.strip().lower() for c in many.group(1).split(",")]
            for m in re.finditer(r"ALTER TABLE (\w+) RENAME TO (\w+)", script, re.I):
                old, new = m.group(1).lower(), m.group(2).lower()
                if old in self.keys:
                    self.keys[new] = self.keys.pop(old)
                if old in self.numbered:
                    self.numbered.discard(old)
                    self.numbered.add(new)


class Statement:
    __slots__ = ("sql", "returns_id", "kind")

    def __init__(self, sql: str, kind: str = "sql", returns_id: bool = False) -> None:
        self.sql = sql
        self.kind = kind
        self.returns_id = returns_id


def translate(sql: str, schema: Schema) -> Statement:
    """SQLite-style SQL as PostgreSQL runs it (see the module docstring)."""
    head = sql.lstrip()[:24].upper()
    if head.startswith("PRAGMA"):
        return Statement("", "pragma")
    if head.startswith("BEGIN"):
        return Statement("BEGIN", "begin")
    m = _INSERT.match(sql)
    if not m:
        return Statement(_placeholders(sql))
    verb, table, cols_text, values, tail = m.groups()
    table_l = table.lower()
    cols = [c.strip() for c in cols_text.split(",") if c.strip()]
    tail = tail.strip()
    returns_id = False
    if table_l in schema.numbered and "id" not in [c.lower() for c in cols]:
        # SQLite's id for a new row: one more than the largest (writers are serialised).
        cols = ["id", *cols]
        values = f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), {values}"
        returns_id = not tail
    conflict = ""
    if verb and verb.upper() == "IGNORE":
        conflict = " ON CONFLICT DO NOTHING"
    elif verb and verb.upper() == "REPLACE":
        keys = schema.keys.get(table_l, ["id"])
        others = [c for c in cols if c.lower() not in keys]
        conflict = (f" ON CONFLICT ({', '.join(keys)}) DO " +
                    ("UPDATE SET " + ", ".join(f"{c} = EXCLUDED.{c}" for c in others)
                     if others else "NOTHING"))
    out = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({values}){conflict}"
    if tail:
        out += " " + tail
    if returns_id:
        out += " RETURNING id"
    return Statement(_placeholders(out), "insert", returns_id)


def translate_ddl(statement: str, names: Mapping[str, str] | None = None) -> str:
    """A migration statement as PostgreSQL takes it: 64-bit integers, byte-order text."""
    out = re.sub(r"\bINTEGER PRIMARY KEY\b", "BIGINT PRIMARY KEY", statement)
    out = re.sub(r"\bINTEGER\b", "BIGINT", out)
    out = re.sub(r"\bTEXT\b(?!\s+COLLATE)", 'TEXT COLLATE "C"', out)
    # CAST(x AS TEXT COLLATE "C") is no syntax: the collation follows the cast.
    out = re.sub(r'AS TEXT COLLATE "C"\)', 'AS TEXT) COLLATE "C"', out)
    for key, value in (names or {}).items():
        out = out.replace("{" + key + "}", value)
    return out


def engine_parts(script: str, engine: str) -> str:
    """A migration with the blocks for the other engine left out.

    A block runs on one engine only: it starts with a line ``-- only postgresql``
    (or ``-- only sqlite``) and ends with ``-- end only``.
    """
    out, keep = [], True
    for line in script.splitlines():
        mark = line.strip().lower()
        if mark.startswith("-- only "):
            keep = mark.split()[2] == engine
            continue
        if mark == "-- end only":
            keep = True
            continue
        if keep:
            out.append(line)
    return "\n".join(out) + "\n"


# -- the connection -------------------------------------------------------------


def _params(params: Sequence[Any] | Mapping[str, Any]) -> Any:
    if isinstance(params, Mapping):
        return {k: int(v) if isinstance(v, bool) else v for k, v in params.items()}
    return [int(v) if isinstance(v, bool) else v for v in params]


class PgConnection:
    """A PostgreSQL connection that takes the SQLite-style SQL the codebase writes."""

    def __init__(self, raw: Any, url: str, schema: Schema) -> None:
        self.raw = raw
        self.url = url
        self.schema = schema
        self.user = str(raw.info.user)
        self._cache: dict[str, Statement] = {}

    def _translate(self, sql: str) -> Statement:
        st = self._cache.get(sql)
        if st is None:
            st = self._cache[sql] = translate(sql, self.schema)
        return st

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        return bool(self.raw.info.transaction_status != TransactionStatus.IDLE)

    def _error(self, exc: Exception) -> PgError:
        return _wrap(exc, self.url)

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> Cursor:
        import psycopg

        st = self._translate(sql)
        if st.kind == "pragma":
            return Cursor([])
        try:
            if st.kind == "begin":
                self.raw.execute("BEGIN")
                if "IMMEDIATE" in sql.upper() or "EXCLUSIVE" in sql.upper():
                    self.raw.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
                return Cursor([])
            # Always with parameters (if none, an empty list): psycopg then reads every
            # query the same way, %% as %.
            cur = self.raw.execute(st.sql, _params(params), prepare=False)
            rows: list[Row] = []
            if cur.description is not None:
                names = tuple(d.name for d in cur.description)
                rows = [Row((_value(v) for v in r), names) for r in cur.fetchall()]
            lastrowid = rows[0][0] if st.returns_id and rows else None
            if st.returns_id:
                return Cursor([], None, cur.rowcount, lastrowid)
            return Cursor(rows, cur.description, cur.rowcount, lastrowid)
        except psycopg.Error as exc:
            error = self._error(exc)
            error.reading = sql.lstrip()[:6].upper() in ("SELECT", "WITH")
            raise error from None

    def executemany(self, sql: str, seq: Iterable[Sequence[Any] | Mapping[str, Any]]) -> Cursor:
        """Many rows in one round trip per batch; inside a transaction, under a savepoint,
        so a caller that catches an IntegrityError can go on (as on SQLite)."""
        import psycopg

        st = self._translate(sql)
        text = st.sql[:-len(" RETURNING id")] if st.returns_id else st.sql
        data = [_params(p) for p in seq]
        if not data:
            return Cursor([], None, 0)
        saved = self.in_transaction
        try:
            with self.raw.cursor() as cur:
                if saved:
                    cur.execute("SAVEPOINT campaign_many")
                try:
                    cur.executemany(text, data)
                except psycopg.Error:
                    if saved:
                        cur.execute("ROLLBACK TO SAVEPOINT campaign_many")
                    raise
                count = cur.rowcount  # the rows all of them changed, as on SQLite
                if saved:  # (read first: releasing the savepoint is a statement too)
                    cur.execute("RELEASE SAVEPOINT campaign_many")
                return Cursor([], None, count)
        except psycopg.Error as exc:
            raise self._error(exc) from None

    def commit(self) -> None:
        self.execute("COMMIT")

    def rollback(self) -> None:
        self.execute("ROLLBACK")

    def close(self) -> None:
        self.raw.close()

    def backup(self, *_: Any, **__: Any) -> None:
        raise StoreError("a PostgreSQL store is backed up by its server (pg_dump), "
                         "not by campaign")


def connect(url: str, schema: Schema) -> PgConnection:
    """Open ``url`` with psycopg (libpq finds the password: PGPASSWORD, ~/.pgpass, a
    service file); one line for each way that fails."""
    try:
        import psycopg
    except ImportError:
        raise StoreError("a PostgreSQL store needs the psycopg driver",
                         'install it with: pip install "campaign[postgres]"') from None
    target = "postgresql://" + url.split("://", 1)[1]
    try:
        raw = psycopg.connect(target, autocommit=True, connect_timeout=10,
                              application_name="campaign")
    except psycopg.Error as exc:
        raise connect_error(exc, url) from None
    if raw.info.server_version < MIN_SERVER:
        version = raw.info.server_version
        raw.close()
        raise StoreError(
            f"{describe(url)} runs PostgreSQL {version // 10000}, older than the oldest "
            f"campaign supports ({MIN_SERVER_TEXT})", f"use PostgreSQL {MIN_SERVER_TEXT} or newer")
    return PgConnection(raw, url, schema)
