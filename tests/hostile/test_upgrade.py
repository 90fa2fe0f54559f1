"""A store made by the previous release (schema version 3, the bundled campaign loaded and
never touched), upgraded by this one: nothing lost, and `check` finds nothing to report.

The fixture is that release's store as SQL (tests/fixtures/store-previous-release.sql.gz,
made with `campaign prisoners list` on a new store, release 0848bd4).
"""

from __future__ import annotations

import gzip
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "store-previous-release.sql.gz"


@pytest.fixture
def upgraded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = tmp_path / "old.db"
    with gzip.open(FIXTURE, "rt", encoding="utf-8") as fh:
        script = fh.read()
    conn = sqlite3.connect(db)
    conn.executescript(script)
    conn.close()
    db.chmod(0o600)
    monkeypatch.setenv("CAMPAIGN_DB", str(db))
    return db


def _version(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def test_check_after_an_upgrade_finds_nothing(upgraded: Path) -> None:
    from typer.testing import CliRunner

    from campaign.cli import app
    from campaign.store import SCHEMA_VERSION

    assert _version(upgraded) == 3
    runner = CliRunner()
    r = runner.invoke(app, ["check"], catch_exceptions=False)
    assert r.exit_code == 0, (r.stdout, r.stderr)
    assert "no problems found" in r.stdout
    assert _version(upgraded) == SCHEMA_VERSION


def test_an_upgraded_store_keeps_everything(upgraded: Path) -> None:
    from typer.testing import CliRunner

    from campaign.cli import app

    conn = sqlite3.connect(upgraded)
    before = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("sources", "persons", "case_events", "demands", "events", "figures",
                        "citations")}
    conn.close()
    runner = CliRunner()
    r = runner.invoke(app, ["prisoners", "list", "-f", "json"], catch_exceptions=False)
    assert r.exit_code == 0, r.stderr
    assert "Roza Tuletaeva" in {p["name"] for p in json.loads(r.stdout)}
    conn = sqlite3.connect(upgraded)
    after = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in before}
    conn.close()
    assert after == before


def test_importing_the_bundled_pack_into_an_upgraded_store_doubles_nothing(
        upgraded: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from campaign.cli import app
    from campaign.pack import bundled_path

    runner = CliRunner()

    def run(*args: str) -> Any:
        r = runner.invoke(app, list(args), catch_exceptions=False)
        assert r.exit_code == 0, r.stderr
        return r

    events = len(json.loads(run("prisoners", "history", "Roza Tuletaeva", "-f",
                                "json").stdout))
    run("import", str(bundled_path()))
    assert len(json.loads(run("prisoners", "history", "Roza Tuletaeva", "-f",
                              "json").stdout)) == events
    assert "no problems found" in run("check").stdout
