"""Shared fixtures: every test gets its own store; none touches the user's real one."""

from __future__ import annotations

import os
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


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return Path(os.environ["CAMPAIGN_DB"])


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    """A store holding the bundled Kazakhstan campaign."""
    st = Store(db_path)
    yield st
    st.close()


@pytest.fixture
def empty_store(db_path: Path) -> Iterator[Store]:
    st = Store(db_path, bundled=False)
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
def cli() -> Cli:
    return Cli()
