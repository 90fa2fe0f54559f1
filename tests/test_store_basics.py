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


def test_store_only_stores(tmp_path: Path) -> None:
    """Opening a new store creates it empty: first use belongs to the CLI (and load_bundled)."""
    st = Store(tmp_path / "a.db")
    assert st.is_empty() and st.meta("bundled_pack") is None
    st.close()


def test_store_does_not_import_the_pack_module() -> None:
    """No store <-> pack cycle: importing the store alone leaves campaign.pack unloaded."""
    import subprocess
    import sys

    code = "import sys, campaign.store; print('campaign.pack' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_load_bundled_records_it(tmp_path: Path) -> None:
    from campaign.pack import first_use, load_bundled

    st = Store(tmp_path / "a.db")
    load_bundled(st)
    assert st.meta("bundled_pack") == "kazakhstan"
    assert st.conn.execute("SELECT count(*) FROM sources").fetchone()[0] == 5
    assert first_use(st) is False
    st.close()


def test_cli_first_use_loads_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from campaign.cli import app

    monkeypatch.setenv("CAMPAIGN_DB", str(tmp_path / "a.db"))
    runner = CliRunner()
    for _ in range(2):
        assert runner.invoke(app, ["sources", "list", "-f", "json"]).exit_code == 0
    st = Store(tmp_path / "a.db")
    assert st.conn.execute("SELECT count(*) FROM sources").fetchone()[0] == 5
    assert st.meta("bundled_pack") == "kazakhstan"
    st.close()


def test_replace_with_a_small_pack_does_not_bring_the_bundled_one_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from campaign.cli import app

    monkeypatch.setenv("CAMPAIGN_DB", str(tmp_path / "a.db"))
    pack = tmp_path / "tiny.yaml"
    pack.write_text("pack: tiny\ntitle: Tiny\n", encoding="utf-8")
    runner = CliRunner()
    r = runner.invoke(app, ["import", str(pack), "--replace"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["sources", "list", "-f", "json"])
    assert r.exit_code == 0 and r.stdout.strip() == "[]"
    r = runner.invoke(app, ["prisoners", "list", "-f", "json"])
    assert r.stdout.strip() == "[]"


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


def test_contacts_can_be_only_the_historical_ones(store: Store) -> None:
    """A merge reads its recipients' predecessors alone, not the whole directory again."""
    with store.transaction():
        store.add_contact({"id": "mep-now", "name": "Current MEMBER", "kind": "mep",
                           "country": "IE", "status": "current"}, [sorted(store.source_ids())[0]])
    meps = store.contacts(kind="mep")
    past = store.contacts(kind="mep", historical_only=True)
    assert past == [c for c in meps if c["historical"]]
    assert past and "mep-now" in {c["id"] for c in meps} - {c["id"] for c in past}
