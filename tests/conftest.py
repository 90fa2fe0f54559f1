"""Shared fixtures: every test gets its own store; none touches the user's real one."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from typer.testing import CliRunner

from campaign.store import Store

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"

# Hypothesis: in CI (env CI set) the examples are derived from each test, not drawn at
# random, so a run that passed passes again and a failure reproduces on any machine;
# no example database is written there either. HYPOTHESIS_PROFILE picks another.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("dev")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE")
                      or ("ci" if os.environ.get("CI") else "dev"))


def need_seeds(seeds: Path = SEEDS) -> Path:
    """The seed documents; without them a test skips, and under CI (env CI set) fails.

    CI must prove the bundled pack against its sources: a checkout without
    ../shared/seeds there would otherwise pass by skipping.
    """
    if not seeds.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"seed documents not found at {seeds}, and CI is set", pytrace=False)
        pytest.skip(f"seed documents not found at {seeds}")
    return seeds


@pytest.fixture
def seeds() -> Path:
    return need_seeds()


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point CAMPAIGN_DB and the template cache at temporary paths; clear overrides."""
    monkeypatch.setenv("CAMPAIGN_DB", str(tmp_path / "store.db"))
    monkeypatch.setenv("CAMPAIGN_CACHE", str(tmp_path / "cache"))
    # The user data directory (a PostgreSQL store's backups go there): never the real one.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("CAMPAIGN_TEMPLATES", raising=False)
    monkeypatch.delenv("CAMPAIGN_DEBUG", raising=False)


@pytest.fixture(scope="session")
def _bundled_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Load the bundled pack once per run; each test gets a copy (loading costs ~0.3 s)."""
    from campaign.pack import load_bundled

    path = tmp_path_factory.mktemp("template") / "bundled.db"
    st = Store(path)
    load_bundled(st)
    st.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    st.close()
    return path


# -- PostgreSQL: a private server for the run, and tests on both engines -------------


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Any]:
    """A private PostgreSQL cluster (tests/pg_server.py), started once, stopped at the end.

    Skipped when PostgreSQL or psycopg is missing, except under CI, where it fails.
    """
    from pg_server import Server, binaries

    bindir = binaries()
    missing = None
    if bindir is None:
        missing = "PostgreSQL is not installed (apt-get install postgresql)"
    else:
        try:
            import psycopg  # noqa: F401
        except ImportError:
            missing = 'psycopg is not installed (pip install -e ".[test]")'
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{missing}, and CI is set", pytrace=False)
        pytest.skip(missing)
    assert bindir is not None
    server = Server(bindir)
    server.start()
    old = os.environ.get("PGPASSFILE")
    os.environ["PGPASSFILE"] = str(server.pgpass)
    try:
        yield server
    finally:
        if old is None:
            os.environ.pop("PGPASSFILE", None)
        else:
            os.environ["PGPASSFILE"] = old
        server.stop()


@pytest.fixture(scope="session")
def _pg_bundled(pg_server: Any) -> str:
    """A PostgreSQL database holding the bundled campaign: the template of each test's."""
    from campaign.pack import load_bundled

    name = pg_server.new_database()
    st = Store(pg_server.url(name))
    load_bundled(st)
    st.close()
    return str(name)


@pytest.fixture(scope="session")
def _pg_meps(pg_server: Any, _pg_bundled: str) -> str:
    name = pg_server.new_database(_pg_bundled)
    st = Store(pg_server.url(name))
    add_meps(st)
    st.close()
    return str(name)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests marked ``engines`` run once on SQLite and once on PostgreSQL."""
    if metafunc.definition.get_closest_marker("engines") and \
            "engine" in metafunc.fixturenames:
        metafunc.parametrize("engine", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def engine(request: pytest.FixtureRequest) -> str:
    """The store's engine for this test: SQLite unless the test is marked ``engines``."""
    return str(getattr(request, "param", "sqlite"))


def _pg_copy(request: pytest.FixtureRequest, template: str) -> str:
    server = request.getfixturevalue("pg_server")
    url = server.url(server.new_database(template))
    os.environ["CAMPAIGN_DB"] = url  # _isolated's monkeypatch restores it
    return str(url)


@pytest.fixture
def db_path(request: pytest.FixtureRequest, engine: str) -> Any:
    """CAMPAIGN_DB's path, holding a copy of a freshly loaded bundled store (on
    PostgreSQL: the URL of a fresh copy of the bundled database)."""
    if engine == "postgresql":
        return _pg_copy(request, request.getfixturevalue("_pg_bundled"))
    path = Path(os.environ["CAMPAIGN_DB"])
    shutil.copy2(request.getfixturevalue("_bundled_template"), path)
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


@pytest.fixture(scope="session")
def mep_store() -> Any:
    """The benchmark's own store maker (bench/fixtures.py ``make_mep_store(path, n,
    bundled=True)``): the bundled campaign and ``n`` synthetic current MEPs, for the
    tests of merges big enough to be shared with a forked copy."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "bench_fixtures", Path(__file__).resolve().parents[1] / "bench" / "fixtures.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_mep_store


@pytest.fixture
def forkable(monkeypatch: pytest.MonkeyPatch) -> None:
    """campaign.parallel may fork in this test, though the session's HTTP test server
    (pytest-httpserver) runs a thread of its own: only threads started since the test
    began count."""
    from campaign import parallel

    baseline = parallel.threads()
    monkeypatch.setattr(parallel, "_alone", lambda: parallel.threads() <= baseline)
    monkeypatch.delenv(parallel.WORKERS_VAR, raising=False)


@pytest.fixture
def cli(db_path: Path) -> Cli:
    return Cli()


def snapshot(db: Any) -> Any:
    """What a command that writes nothing must leave as it was: a store file's bytes, or
    every row of every table of a PostgreSQL store."""
    if isinstance(db, Path):
        return db.read_bytes()
    st = Store(db)
    try:
        tables = [r[0] for r in st.conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")]
        return {t: sorted(map(repr, st.conn.execute(f"SELECT * FROM {t}").fetchall()))
                for t in sorted(tables)}
    finally:
        st.close()


def one_error_line(result, code: int = 1) -> str:  # type: ignore[no-untyped-def]
    """A failed command: the exit code, exactly one `campaign: error:` line, no traceback."""
    assert result.exit_code == code, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("campaign: error: "), result.stderr
    assert "Traceback" not in result.output
    return str(lines[0])


@pytest.fixture
def error_line():  # type: ignore[no-untyped-def]
    return one_error_line


# MEPs as the EP writes them (ep-formats.md): surnames in capitals, not always wholly.
LEFT = "Confederal Group of the European United Left - Nordic Green Left"
EPP = "Group of the European People's Party (Christian Democrats)"
MEPS = [
    {"id": "mep-124984", "ep_id": "124984", "name": "Lynn BOYLAN", "given_name": "Lynn",
     "family_name": "Boylan", "country": "Ireland", "group": LEFT, "party": "Sinn Féin"},
    {"id": "mep-124986", "ep_id": "124986", "name": "Matt CARTHY", "country": "Ireland",
     "group": LEFT, "party": "Sinn Féin", "status": "former"},
    {"id": "mep-28115", "ep_id": "28115", "name": "Mairead McGUINNESS", "country": "Ireland",
     "group": EPP, "party": "Fine Gael"},
    {"id": "mep-96668", "ep_id": "96668", "name": "Seán KELLY", "country": "Ireland",
     "group": EPP, "party": "Fine Gael", "email": "sean.kelly@europarl.europa.eu",
     "extra": {"building": "WILLY BRANDT", "office": "02M105"}},
    {"id": "mep-197490", "ep_id": "197490", "name": "Magdalena ADAMOWICZ", "country": "Poland",
     "group": EPP, "party": "Independent"},
    {"id": "mep-1294", "ep_id": "1294", "name": "Elio DI RUPO", "given_name": "Elio",
     "family_name": "Di Rupo", "country": "Belgium",
     "group": "Group of the Progressive Alliance of Socialists and Democrats in the "
              "European Parliament", "party": "Parti socialiste"},
]


def add_meps(st: Store) -> None:
    with st.transaction():
        st.add_source({"id": "ep-meps", "title": "Full list of current MEPs",
                       "publisher": "European Parliament", "published": "2019-07",
                       "url": "https://www.europarl.europa.eu/meps/en/full-list/xml",
                       "document": None})
        for m in MEPS:
            st.add_contact({"kind": "mep", "status": "current", **m}, ["ep-meps"])


@pytest.fixture(scope="session")
def _meps_template(_bundled_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("meps") / "meps.db"
    shutil.copy2(_bundled_template, path)
    st = Store(path)
    add_meps(st)
    st.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    st.close()
    return path


@pytest.fixture
def meps_db(request: pytest.FixtureRequest, engine: str, db_path: Any) -> Any:
    """CAMPAIGN_DB holding the bundled campaign plus the MEPs above."""
    if engine == "postgresql":
        return _pg_copy(request, request.getfixturevalue("_pg_meps"))
    shutil.copy2(request.getfixturevalue("_meps_template"), db_path)
    return db_path
