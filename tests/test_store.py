"""The store: file safety, schema versioning, transactions, first-use loading."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from campaign.errors import StoreError, ValidationError
from campaign.store import SCHEMA_VERSION, Store


def test_new_store_is_owner_only_wal_and_versioned(tmp_path: Path) -> None:
    db_path = tmp_path / "sub" / "new.db"
    st = Store(db_path)
    mode = stat.S_IMODE(db_path.stat().st_mode)
    assert mode == 0o600
    assert st.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert st.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert st.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    st.close()


def test_first_use_loads_the_bundled_campaign(store: Store) -> None:
    assert len(store.sources()) == 5
    assert store.meta("pack") == "kazakhstan"
    assert store.conn.execute("SELECT count(*) FROM persons").fetchone()[0] >= 20


def test_reopening_does_not_load_twice(tmp_path: Path) -> None:
    Store(tmp_path / "a.db").close()
    st = Store(tmp_path / "a.db")
    assert st.conn.execute("SELECT count(*) FROM sources").fetchone()[0] == 5
    st.close()


def test_empty_store_on_request(empty_store: Store) -> None:
    assert empty_store.is_empty()


def test_corrupt_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError, match="not a usable campaign store"):
        Store(bad)


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()
    with pytest.raises(StoreError, match="newer campaign"):
        Store(path)


def test_unwritable_place_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot create the store"):
        Store(blocker / "sub" / "store.db")


def test_directory_as_store_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a directory"):
        Store(tmp_path)


def test_failed_transaction_changes_nothing(store: Store) -> None:
    before = store.conn.execute("SELECT count(*) FROM sources").fetchone()[0]
    with pytest.raises(ValidationError), store.transaction():
        store.add_source({"id": "x", "title": "t", "publisher": "p", "published": "2020"})
        store.add_source({"id": "x", "title": "t", "publisher": "p", "published": "2020"})
    assert store.conn.execute("SELECT count(*) FROM sources").fetchone()[0] == before


def test_uncited_record_is_refused(store: Store) -> None:
    with pytest.raises(ValidationError, match="cites no source"), store.transaction():
        store.add_cited("demands", "demand", {"id": "d", "text": "t", "quotes": []}, [])
