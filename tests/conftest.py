"""Shared fixtures: every test gets its own store; none touches the user's real one."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from campaign.store import Store

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point CAMPAIGN_DB at a temporary file and clear template overrides."""
    monkeypatch.setenv("CAMPAIGN_DB", str(tmp_path / "store.db"))
    monkeypatch.delenv("CAMPAIGN_TEMPLATES", raising=False)
    monkeypatch.delenv("CAMPAIGN_DEBUG", raising=False)


@pytest.fixture(scope="session")
def _bundled_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Load the bundled pack once per run; each test gets a copy (loading costs ~0.3 s)."""
    path = tmp_path_factory.mktemp("template") / "bundled.db"
    st = Store(path)
    st.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    st.close()
    return path


@pytest.fixture
def db_path(_bundled_template: Path) -> Path:
    """CAMPAIGN_DB's path, holding a copy of a freshly loaded bundled store."""
    path = Path(os.environ["CAMPAIGN_DB"])
    shutil.copy2(_bundled_template, path)
    return path


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    """A store holding the bundled Kazakhstan campaign."""
    st = Store(db_path)
    yield st
    st.close()


@pytest.fixture
def empty_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    path = tmp_path / "empty.db"
    monkeypatch.setenv("CAMPAIGN_DB", str(path))
    st = Store(path, bundled=False)
    yield st
    st.close()


class Cli:
    """Runs `campaign ...` through typer's CliRunner, stdout and stderr kept apart."""

    def __init__(self) -> None:
        from campaign.cli import app

        self.app = app
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None):  # type: ignore[no-untyped-def]
        return self.runner.invoke(self.app, list(args), input=input, catch_exceptions=False)


@pytest.fixture
def cli(db_path: Path) -> Cli:
    return Cli()
