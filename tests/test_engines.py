"""The same campaign on SQLite and on PostgreSQL: the same output, byte for byte; moving a
campaign between them; and each way opening a PostgreSQL store can fail, in one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from campaign import engine
from campaign.store import SCHEMA_VERSION, Store

SENDER = ["--sender", "Jane Doe", "--sender-org", "Unite Dublin Central",
          "--sender-address", "1 Main Street, Dublin 1"]


@pytest.fixture
def pg_url(cli: Any, pg_server: Any, _pg_meps: str) -> str:
    """A PostgreSQL copy of the bundled campaign with the test MEPs (CAMPAIGN_DB unchanged)."""
    return str(pg_server.url(pg_server.new_database(_pg_meps)))


def on(url_or_path: Any) -> None:
    os.environ["CAMPAIGN_DB"] = str(url_or_path)  # _isolated's monkeypatch restores it


@pytest.mark.parametrize("args", [
    ["prisoners", "list"],
    ["prisoners", "list", "--format", "json"],
    ["resolution", "--branch", "Dublin Central", "--union", "Unite"],
    ["letter", "--to", "mep", "--country", "Ireland", *SENDER],
    ["contacts", "list", "--format", "csv"],
    ["sources", "list", "--format", "md"],
])
def test_parity_byte_identical(cli: Any, meps_db: Path, pg_url: str, args: list[str]) -> None:
    on(meps_db)
    lite = cli(*args)
    on(pg_url)
    pg = cli(*args)
    assert lite.exit_code == 0 and pg.exit_code == 0, (lite.stderr, pg.stderr)
    assert lite.stdout_bytes == pg.stdout_bytes
    assert len(lite.stdout_bytes) > 200


def test_export_import_both_ways_identical(cli: Any, db_path: Path, pg_server: Any,
                                           _pg_bundled: str, tmp_path: Path) -> None:
    r = cli("sources", "add", "--title", "Released at last", "--publisher", "Campaign",
            "--date", "2016-08-01", "--id", "news-1")
    assert r.exit_code == 0, r.output
    assert cli("prisoners", "update", "Roza Tuletaeva", "--status", "released",
               "--date", "2016-08-01", "--source", "news-1").exit_code == 0
    first = tmp_path / "from-sqlite.yaml"
    assert cli("export", "-o", str(first)).exit_code == 0
    on(pg_server.url(pg_server.new_database()))  # an empty database: first use loads
    r = cli("import", "--replace", str(first))
    assert r.exit_code == 0, r.output
    second = tmp_path / "from-postgresql.yaml"
    assert cli("export", "-o", str(second)).exit_code == 0
    assert second.read_text() == first.read_text()
    on(tmp_path / "back.db")
    assert cli("import", "--replace", str(second)).exit_code == 0
    third = tmp_path / "back.yaml"
    assert cli("export", "-o", str(third)).exit_code == 0
    assert third.read_text() == first.read_text()


def test_replace_on_postgresql_saves_the_facts_first(cli: Any, pg_url: str,
                                                     tmp_path: Path) -> None:
    """`import --replace` on a PostgreSQL store first saves the facts as `campaign export`
    writes them, owner-only, in the user data directory (XDG_DATA_HOME, set by the
    tests), says where, and that export takes the store back to what it was."""
    on(pg_url)
    assert cli("sources", "add", "--title", "Released at last", "--publisher", "Campaign",
               "--date", "2016-08-01", "--id", "news-1").exit_code == 0
    before = cli("export").stdout
    assert "news-1" in before
    tiny = tmp_path / "tiny.yaml"
    tiny.write_text("pack: tiny\ntitle: Tiny\n", encoding="utf-8")
    r = cli("import", "--replace", str(tiny))
    assert r.exit_code == 0, r.output
    saved = list((tmp_path / "data" / "campaign").glob("*.before-replace-*.yaml"))
    assert len(saved) == 1
    db = pg_url.rsplit("/", 1)[1]
    assert saved[0].name.startswith(f"{db}-on-127.0.0.1-")
    assert str(saved[0]) in r.stderr and "facts" in r.stderr
    assert saved[0].stat().st_mode & 0o777 == 0o600
    assert saved[0].read_text(encoding="utf-8") == before
    assert "news-1" not in cli("export").stdout  # replaced
    r = cli("import", "--replace", str(saved[0]))
    assert r.exit_code == 0, r.output
    assert cli("export").stdout == before


def test_first_use_creates_the_schema_and_loads_the_campaign(cli: Any, pg_server: Any) -> None:
    on(pg_server.url(pg_server.new_database()))
    r = cli("prisoners", "show", "rosa tuletaeva")
    assert r.exit_code == 0, r.output
    assert "Roza Tuletaeva" in r.stdout
    st = Store(os.environ["CAMPAIGN_DB"])
    try:
        assert st.meta("schema_version") == str(SCHEMA_VERSION)
        assert st.engine == "postgresql"
    finally:
        st.close()


def test_a_password_in_the_url_works_warns_and_is_never_shown(
        cli: Any, pg_server: Any, pg_url: str, tmp_path: Path) -> None:
    secret = pg_server.passwords["coalition_owner"]
    user, rest = pg_url.split("://", 1)[1].split("@", 1)
    on(f"postgresql://{user}:{secret}@{rest}")
    r = cli("prisoners", "list")
    assert r.exit_code == 0, r.output
    assert "password" in r.stderr and secret not in r.output
    out = tmp_path / "pack.yaml"
    assert cli("export", "-o", str(out)).exit_code == 0
    assert secret not in out.read_text()
    on(f"postgresql://{user}:wrong-{secret}@{rest}")
    os.environ["PGPASSFILE"] = str(tmp_path / "none")
    try:
        r = cli("prisoners", "list")
    finally:
        os.environ["PGPASSFILE"] = str(pg_server.pgpass)
    assert r.exit_code == 1
    assert secret not in r.output and "wrong-" not in r.output


def _fails(cli: Any, error_line: Any, url: str) -> str:
    on(url)
    return str(error_line(cli("prisoners", "list")))


def test_unreachable_server(cli: Any, error_line: Any) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    line = _fails(cli, error_line, f"postgresql://someone@127.0.0.1:{port}/campaign")
    assert "cannot reach" in line and str(port) in line


def test_wrong_password(cli: Any, error_line: Any, pg_url: str,
                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGPASSWORD", "not-the-password")
    line = _fails(cli, error_line, pg_url)
    assert "refused the password" in line and "not-the-password" not in line


def test_missing_database(cli: Any, error_line: Any, pg_server: Any) -> None:
    line = _fails(cli, error_line, pg_server.url("no_such_campaign"))
    assert "does not exist" in line and "no_such_campaign" in line


def test_a_role_without_rights(cli: Any, error_line: Any, pg_server: Any, pg_url: str) -> None:
    pg_server.admin("CREATE ROLE stranger LOGIN PASSWORD 'stranger-pw'")
    pg_server.add_password("stranger", "stranger-pw")
    try:
        line = _fails(cli, error_line, pg_url.replace("coalition_owner@", "stranger@"))
    finally:
        pg_server.admin("DROP ROLE stranger")
    assert "stranger" in line and ("may not" in line or "owner" in line)


def test_a_schema_from_a_newer_campaign(cli: Any, error_line: Any, pg_url: str) -> None:
    st = Store(pg_url)
    st.set_meta("schema_version", str(SCHEMA_VERSION + 3))
    st.close()
    line = _fails(cli, error_line, pg_url)
    assert "newer campaign" in line
    st = Store.__new__(Store)  # the store is as it was
    import psycopg

    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'"
                            ).fetchone()[0] == str(SCHEMA_VERSION + 3)


def test_a_server_older_than_supported(cli: Any, error_line: Any, pg_server: Any,
                                       pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A server older than engine.MIN_SERVER: one line naming its version and the oldest
    supported, exit 1, nothing changed (a new database stays empty, a store as it was).
    There is one server here, so the oldest supported is raised above it: the check reads
    the version the real server reports."""
    import psycopg
    from conftest import snapshot

    with psycopg.connect(pg_url) as conn:
        major = conn.info.server_version // 10000
    assert major * 10000 >= engine.MIN_SERVER  # the real server is supported
    before = snapshot(pg_url)
    empty = pg_server.url(pg_server.new_database())  # its first use would load the campaign
    with monkeypatch.context() as m:
        m.setattr(engine, "MIN_SERVER", (major + 1) * 10000)
        m.setattr(engine, "MIN_SERVER_TEXT", str(major + 1))
        on(pg_url)
        line = error_line(cli("sources", "add", "--title", "Released", "--publisher",
                              "Campaign Kazakhstan", "--date", "2016-08-01", "--id", "news-1"))
        assert line == (f"campaign: error: {engine.describe(pg_url)} runs PostgreSQL {major}, "
                        f"older than the oldest campaign supports ({major + 1}); "
                        f"use PostgreSQL {major + 1} or newer"), line
        line = _fails(cli, error_line, empty)
        assert f"runs PostgreSQL {major}, older than" in line
    assert snapshot(pg_url) == before
    with psycopg.connect(empty) as conn:  # no schema was made (a Store would make one)
        assert conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = "
                            "current_schema()").fetchone()[0] == 0


def test_without_psycopg_one_line_names_the_extra(cli: Any, error_line: Any,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)
    line = _fails(cli, error_line, "postgresql://someone@127.0.0.1:1/campaign")
    assert "campaign[postgres]" in line


def test_sqlite_start_up_does_not_import_psycopg(tmp_path: Path) -> None:
    code = ("import sys; from campaign.cli import app; from campaign.store import Store; "
            f"Store({str(tmp_path / 's.db')!r}).close(); "
            "assert 'psycopg' not in sys.modules, 'psycopg imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


# -- the dialect, without a server ----------------------------------------------------


def test_translation_of_sqlite_sql() -> None:
    from campaign.store import MIGRATIONS

    schema = engine.Schema(MIGRATIONS)
    assert "outreach" in schema.numbered and schema.keys["profile"] == ["member", "key"]
    t = engine.translate("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", schema)
    assert t.sql == ("INSERT INTO meta (key, value) VALUES (%s, %s) ON CONFLICT (key) "
                     "DO UPDATE SET value = EXCLUDED.value")
    t = engine.translate("INSERT OR IGNORE INTO citations (record_type, record_id, source_id,"
                         " pos) VALUES (?, ?, ?, ?)", schema)
    assert t.sql.endswith("ON CONFLICT DO NOTHING")
    t = engine.translate("INSERT INTO outreach (contact_id, state) VALUES (?, 'drafted')",
                         schema)
    assert t.returns_id and "(SELECT coalesce(max(id), 0) + 1 FROM outreach)" in t.sql
    t = engine.translate("SELECT '?', x % 2 FROM t WHERE a LIKE '5%' AND b = ?", schema)
    assert t.sql == "SELECT '?', x %% 2 FROM t WHERE a LIKE '5%%' AND b = %s"
    assert engine.translate("PRAGMA foreign_keys = ON", schema).kind == "pragma"


@pytest.mark.parametrize("url", [
    "postgresql://ann:s3cret@db.example.org:5432/campaign",
    "postgresql://ann@db.example.org/campaign?password=s3cret&sslmode=require",
])
def test_redact(url: str) -> None:
    assert engine.has_password(url)
    assert "s3cret" not in engine.redact(f"failed for {url}", url)
    assert "s3cret" not in engine.describe(url)


def test_the_outreach_log_moves_both_ways(cli: Any, meps_db: Path, pg_url: str,
                                          tmp_path: Path, error_line: Any) -> None:
    r = cli("letter", "--to", "mep", "--country", "Ireland", *SENDER, "-o",
            str(tmp_path / "letters"))
    assert r.exit_code == 0, r.output
    first = tmp_path / "log.json"
    assert cli("outreach", "export", "-o", str(first)).exit_code == 0
    on(pg_url)
    r = cli("outreach", "import", str(first))
    assert r.exit_code == 0, r.output
    assert "imported" in r.stdout
    r = cli("outreach", "import", str(first))  # again: nothing new
    assert r.stdout.startswith("imported 0 outreach entries")
    second = tmp_path / "log2.json"
    assert cli("outreach", "export", "-o", str(second)).exit_code == 0
    assert second.read_text() == first.read_text()
    on(tmp_path / "empty.db")
    line = error_line(cli("outreach", "import", str(tmp_path / "letters")))
    assert "outreach log" in line or "directory" in line


def test_a_server_gone_mid_command_one_line_nothing_half_written(
        pg_server: Any, pg_url: str) -> None:
    from campaign.errors import StoreError

    st = Store(pg_url)
    db = pg_url.rsplit("/", 1)[1]
    try:
        with pytest.raises(StoreError) as caught, st.transaction():
            st.set_meta("title", "Half")
            pg_server.admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            f"WHERE datname = '{db}' AND pid <> pg_backend_pid()")
            st.set_meta("description", "written")
    finally:
        st.close()
    assert "lost the connection" in str(caught.value)
    assert "\n" not in str(caught.value)
    st = Store(pg_url)
    try:
        assert st.meta("title") != "Half"
    finally:
        st.close()


def test_an_older_sqlite_store_upgrades_keeping_order_profile_and_log(tmp_path: Path) -> None:
    """_V_COALITION on a store of the schema before it: insertion order (was rowid) kept,
    the profile becomes the local member's, the log's entries the local member's."""
    import sqlite3

    from campaign.store import _V_COALITION, MIGRATIONS, _statements

    before = MIGRATIONS.index(_V_COALITION)
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    for n in range(before):
        for statement in _statements(MIGRATIONS[n]):
            conn.execute(statement)
    conn.execute(f"PRAGMA user_version = {before}")
    conn.execute("INSERT INTO profile (key, value) VALUES ('name', 'Jane Doe')")
    conn.execute("INSERT INTO sources (id, title, publisher, published) VALUES "
                 "('b', 'B', 'P', '2012'), ('a', 'A', 'P', '2012')")
    conn.execute("INSERT INTO contacts (id, name, kind) VALUES ('c', 'C', 'press')")
    conn.execute("INSERT INTO outreach (contact_id, document, created, digest) VALUES "
                 "('c', 'letter', '2026-01-01T10:00:00', 'x')")
    conn.close()
    st = Store(path)
    try:
        assert st.profile() == {"name": "Jane Doe"}
        assert [s["id"] for s in st.sources()] == ["b", "a"]
        st.add_source({"id": "0", "title": "Z", "publisher": "P", "published": "2013"})
        assert [s["id"] for s in st.sources()] == ["b", "a", "0"]
        assert st.conn.execute("SELECT member FROM outreach").fetchone()[0] == "local"
    finally:
        st.close()


# -- serialization failures and deadlocks (SQLSTATE 40001, 40P01) --------------------------

_GIVE_UP = "DO $body$ BEGIN RAISE EXCEPTION 'could not serialize' USING ERRCODE = '{}'; END $body$"


@pytest.mark.parametrize("state", ["40001", "40P01"])
def test_a_transaction_the_server_gave_up_is_run_again(pg_url: str, state: str) -> None:
    """The server's own serialization failure (and deadlock) on the first try: the
    transaction runs again, and what it wrote is there once."""
    st = Store(pg_url)
    tries: list[int] = []

    def body() -> int:
        tries.append(1)
        st.conn.execute("INSERT INTO sources (id, title, publisher, published) "
                        "VALUES ('retry-src', 'T', 'P', '2020')")
        if len(tries) == 1:
            st.conn.execute(_GIVE_UP.format(state))
        return len(tries)

    try:
        assert st.retrying(body) == 2
        assert st.conn.execute("SELECT count(*) FROM sources WHERE id = 'retry-src'"
                               ).fetchone()[0] == 1
    finally:
        st.close()


def test_a_transaction_given_up_every_time_is_one_line(pg_url: str) -> None:
    """Bounded: after engine.RETRIES more tries, one line, and nothing written."""
    from campaign.errors import StoreError

    st = Store(pg_url)
    tries: list[int] = []

    def body() -> None:
        tries.append(1)
        st.conn.execute("INSERT INTO sources (id, title, publisher, published) "
                        "VALUES ('retry-src', 'T', 'P', '2020')")
        st.conn.execute(_GIVE_UP.format("40001"))

    try:
        with pytest.raises(StoreError, match="too busy") as caught:
            st.retrying(body)
        assert len(tries) == 1 + engine.RETRIES
        assert "\n" not in str(caught.value)
        assert st.conn.execute("SELECT count(*) FROM sources WHERE id = 'retry-src'"
                               ).fetchone()[0] == 0
    finally:
        st.close()
