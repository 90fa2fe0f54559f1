"""The third hostile round (issue 20, part B): wrong answers and internal errors.

Each test is a repro from the issue: it failed before its fix and asserts the effect
(what the store holds after, what the output says), not only an exit code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from store_dump import dump

SOURCE = "socialistworld-2014-01"
ROZA = "Roza Tuletaeva"


@pytest.fixture
def refused(cli: Any, db_path: Path, tmp_path: Path, error_line: Any) -> Any:
    """A command that must fail in one line and leave the store and the folder as they were."""
    def run(*args: str, code: int = 2) -> str:
        assert cli("prisoners", "list").exit_code == 0
        before = (dump(db_path), sorted(p.name for p in tmp_path.iterdir()))
        line = error_line(cli(*args), code)
        assert (dump(db_path), sorted(p.name for p in tmp_path.iterdir())) == before
        return str(line)

    return run


def _history(cli: Any, name: str = ROZA) -> list[dict[str, Any]]:
    r = cli("prisoners", "history", name, "-f", "json")
    assert r.exit_code == 0, r.stderr
    return list(json.loads(r.stdout))


# -- dates: ASCII digits only, everywhere ------------------------------------------------

NON_ASCII = ["٢٠١٢-٠١-٠١", "２０２６", "２０１２-01-01", "۲۰۱۲"]


@pytest.mark.parametrize("bad", NON_ASCII)
def test_a_date_in_other_digits_is_refused_by_record_options(refused: Any, bad: str) -> None:
    line = refused("prisoners", "update", ROZA, "--status", "released", "--date", bad,
                   "--source", SOURCE)
    assert "--date" in line and "YYYY" in line


@pytest.mark.parametrize("bad", NON_ASCII)
def test_a_date_in_other_digits_is_refused_by_as_of(refused: Any, bad: str) -> None:
    assert "--as-of" in refused("prisoners", "list", "--as-of", bad)


@pytest.mark.parametrize("bad", NON_ASCII)
def test_a_date_in_other_digits_is_refused_in_a_pack(refused: Any, tmp_path: Path,
                                                     bad: str) -> None:
    data = {"pack": "hostile", "title": "Hostile",
            "sources": [{"id": "s1", "title": "T", "publisher": "P", "published": "2020"}],
            "persons": [{"id": "p1", "name": "A B", "sources": ["s1"],
                         "events": [{"kind": "released", "date": bad, "sources": ["s1"]}]}]}
    path = tmp_path / "hostile.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert "hostile.yaml" in refused("import", str(path), code=1)


def test_the_date_rule_is_ascii_digits() -> None:
    from campaign import dates

    assert dates.check_partial("2012-01-01") == "2012-01-01"
    for bad in NON_ASCII:
        with pytest.raises(ValueError):
            dates.check_partial(bad)


# -- ids are ASCII digits ----------------------------------------------------------------

@pytest.mark.parametrize("bad", ["1_0", "٣", "１", "+3", "3.0", "0x3"])
def test_unrecord_refuses_an_id_that_int_would_read(cli: Any, db_path: Path, refused: Any,
                                                    bad: str) -> None:
    events_before = {e["id"] for e in _history(cli)}
    assert "not an event id" in refused("prisoners", "unrecord", bad, "--yes")
    assert {e["id"] for e in _history(cli)} == events_before


# -- prisoners address --as-of ------------------------------------------------------------

@pytest.mark.parametrize("bad", ["0000", "1799", "2200-01-01", "2026-02-30", "2026-13", "abc",
                                 "٢٠١٢"])
def test_address_as_of_a_bad_date(refused: Any, bad: str) -> None:
    line = refused("prisoners", "address", ROZA, "--postal", "Box 1\nAktau", "--source",
                   SOURCE, "--as-of", bad)
    assert "--as-of" in line and "internal error" not in line


# -- --lapse-years bounded ---------------------------------------------------------------

@pytest.mark.parametrize("command", [["resolution"], ["demands", "list"]])
@pytest.mark.parametrize("years", ["2026", "101", "9999"])
def test_lapse_years_is_bounded(refused: Any, command: list[str], years: str) -> None:
    assert "--lapse-years" in refused(*command, "--lapse-years", years)


def test_lapse_years_at_its_bound_works(cli: Any) -> None:
    r = cli("demands", "list", "--lapse-years", "100", "--as-of", "1850-01-01", "-f", "json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout) is not None


def test_years_before_past_the_calendar() -> None:
    import datetime as dt

    from campaign.selection import _years_before

    assert _years_before(dt.date(2026, 1, 1), 2026) == dt.date.min
    assert _years_before(dt.date(2024, 2, 29), 1) == dt.date(2023, 2, 28)


# -- CSV with a repeated column ----------------------------------------------------------

@pytest.mark.parametrize("header", ["name,name,kind", "name,kind,kind,source",
                                    "name,kind,,"])
def test_a_csv_with_a_repeated_column_is_refused(refused: Any, tmp_path: Path,
                                                 header: str) -> None:
    cells = header.count(",") + 1
    row = ",".join(["Embassy of X", "embassy", "embassy", SOURCE][:cells])
    path = tmp_path / "c.csv"
    path.write_text(f"{header}\n{row}\n", encoding="utf-8")
    line = refused("contacts", "import", str(path), "--source", SOURCE, code=1)
    assert "more than once" in line and "c.csv" in line


# -- unrecord shows what it removes and asks -----------------------------------------------

def test_unrecord_asks_and_a_no_removes_nothing(cli: Any, db_path: Path) -> None:
    event = _history(cli)[0]
    before = dump(db_path)
    r = cli("prisoners", "unrecord", str(event["id"]), input="n\n")
    assert r.exit_code == 1
    assert ROZA in r.stderr and event["kind"] in r.stderr  # what would have gone, shown
    assert "nothing was removed" in r.stderr
    assert dump(db_path) == before


def test_unrecord_without_an_answer_removes_nothing(cli: Any, db_path: Path) -> None:
    event = _history(cli)[0]
    before = dump(db_path)
    assert cli("prisoners", "unrecord", str(event["id"])).exit_code == 1
    assert dump(db_path) == before


@pytest.mark.parametrize("how", [["--yes"], ["-y"], []])
def test_unrecord_yes_or_a_y_removes_the_event(cli: Any, how: list[str]) -> None:
    event = _history(cli)[0]
    r = cli("prisoners", "unrecord", str(event["id"]), *how, input=None if how else "y\n")
    assert r.exit_code == 0, r.stderr
    assert event["id"] not in {e["id"] for e in _history(cli)}


# -- the compiled-template cache: a bad file is compiled afresh ------------------------------

def _cache_files(cache: Path) -> list[Path]:
    """Where the cache keeps every built-in template (made by rendering them once)."""
    from campaign.documents import templates as tpl

    env = tpl._environment(None)
    keeper = tpl._compiled_cache()(cache, tpl._fingerprint(env))
    paths = []
    for name in sorted(p.name for p in tpl.builtin_dir().iterdir() if p.is_file()):
        source, filename, _ = env.loader.get_source(env, name)
        paths.append(Path(keeper._get_cache_filename(keeper.get_bucket(env, name, filename,
                                                                      source))))
    return paths


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cache"
    path.mkdir(mode=0o700)
    monkeypatch.setenv("CAMPAIGN_CACHE", str(path))
    return path


def _sheet(cli: Any) -> str:
    r = cli("prisoners", "print", "-f", "md")
    assert r.exit_code == 0, r.stderr
    assert "internal error" not in r.stderr
    return str(r.stdout)


@pytest.mark.parametrize("content", [b"", b"garbage", b"j2\x00\x01\x02" + b"\x80" * 50],
                         ids=["empty", "garbage", "bad-pickle"])
def test_a_truncated_or_garbage_cache_file_is_compiled_again(cli: Any, db_path: Path,
                                                             cache: Path, content: bytes,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    monkeypatch.setenv("CAMPAIGN_CACHE", "off")
    expected = _sheet(cli)
    monkeypatch.setenv("CAMPAIGN_CACHE", str(cache))
    good = _cache_files(cache)
    assert _sheet(cli) == expected  # fills the cache
    real = [p for p in good if p.exists()]
    assert real
    for path in real:
        # the cache's own header (jinja2's magic), then what is not a pickle
        path.write_bytes(tpl_magic() + content if content.startswith(b"j2") else content)
    assert _sheet(cli) == expected


def tpl_magic() -> bytes:
    from jinja2.bccache import bc_magic

    return bytes(bc_magic)


def test_a_cache_file_cut_short_is_compiled_again(cli: Any, db_path: Path, cache: Path
                                                  ) -> None:
    first = _sheet(cli)
    real = [p for p in _cache_files(cache) if p.exists()]
    assert real
    for path in real:
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    assert _sheet(cli) == first


def test_a_fifo_named_like_a_cache_file_is_not_opened(db_path: Path, cache: Path,
                                                      tmp_path: Path) -> None:
    """Run in a child with a deadline: before the fix, the open blocked for good."""
    import os
    import subprocess
    import sys

    for path in _cache_files(cache):
        path.unlink(missing_ok=True)
        os.mkfifo(path)
    env = {**os.environ, "CAMPAIGN_DB": str(db_path), "CAMPAIGN_CACHE": str(cache)}
    done = subprocess.run([sys.executable, "-m", "campaign", "prisoners", "print", "-f", "md"],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "internal error" not in done.stderr and "# " in done.stdout


# -- a ~ that names no user: no directory of that name ----------------------------------------

def test_db_under_a_tilde_of_no_user(cli: Any, db_path: Path, tmp_path: Path, error_line: Any,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    line = error_line(cli("--db", "~nobody-here-0/x.db", "prisoners", "list"), 2)
    assert "no user called 'nobody-here-0'" in line
    assert not (tmp_path / "~nobody-here-0").exists()


def test_cache_under_a_tilde_of_no_user(cli: Any, db_path: Path, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from campaign.documents import templates as tpl

    monkeypatch.setattr(tpl, "_warned", set())
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CAMPAIGN_CACHE", "~nobody-here-0/c")
    r = cli("resolution", "-f", "md")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith("# ")
    assert "~nobody-here-0" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "~nobody-here-0").exists()


# -- names too long for the file system --------------------------------------------------

LONG = "a" * 5000


@pytest.mark.parametrize("args", [
    ["resolution", "-f", "md", "-o", "x" * 300 + ".md"],
    ["resolution", "--templates", LONG],
    ["templates", "show", LONG],
    ["templates", "copy", LONG, "out"],
    ["templates", "copy", "resolution.md.j2", LONG],
    ["letter", "--to", "prisoner", "--prisoner", ROZA, "--lang", LONG, "--sender", "Jane Doe",
     "--sender-address", "1 Main Street, Dublin"],
], ids=["o-300", "templates", "show", "copy-name", "copy-dir", "lang"])
def test_a_name_too_long_is_one_line(cli: Any, db_path: Path, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch, args: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli("prisoners", "list").exit_code == 0
    before = sorted(p.name for p in tmp_path.iterdir())
    r = cli(*args)
    assert r.exit_code in (1, 2), r.stdout
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("campaign: error: "), r.stderr
    assert "internal error" not in r.stderr and len(lines[0]) < 400
    assert sorted(p.name for p in tmp_path.iterdir()) == before


# -- a malformed date written into the store ------------------------------------------------

@pytest.fixture
def spoiled(cli: Any, db_path: Path) -> Path:
    """The bundled store with a case event dated 2012-13-45 (written around the CLI)."""
    import sqlite3

    assert cli("prisoners", "list").exit_code == 0
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("UPDATE case_events SET date = '2012-13-45' WHERE id = "
                     "(SELECT min(id) FROM case_events WHERE person_id = 'roza-tuletaeva')")
    conn.close()
    return db_path


def test_export_works_on_a_store_with_a_malformed_date(cli: Any, spoiled: Path) -> None:
    r = cli("export")
    assert r.exit_code == 0, r.stderr
    assert "2012-13-45" in r.stdout and "Roza Tuletaeva" in r.stdout


def test_check_names_the_malformed_date(cli: Any, spoiled: Path) -> None:
    r = cli("check", "-f", "json")
    assert r.exit_code == 1
    found = [f for f in json.loads(r.stdout) if "2012-13-45" in f["message"]]
    assert len(found) == 1 and "roza-tuletaeva" in found[0]["record"]
    assert "unrecord" in found[0]["message"]


@pytest.mark.parametrize("command", [
    ["prisoners", "list"], ["prisoners", "show", ROZA], ["timeline"], ["resolution"],
    ["demands", "list"], ["prisoners", "print", "-f", "md"],
    ["announce", "--kind", "picket", "--date", "2026-12-16", "--place", "x", "--city", "y"],
], ids=lambda c: "-".join(c[:2]))
def test_other_commands_name_the_record(cli: Any, spoiled: Path, error_line: Any,
                                        command: list[str]) -> None:
    before = dump(spoiled)
    line = error_line(cli(*command))
    assert "malformed date" in line and "roza-tuletaeva" in line and "2012-13-45" in line
    assert "export" in line
    assert dump(spoiled) == before


def test_unrecord_mends_a_malformed_date(cli: Any, spoiled: Path) -> None:
    import sqlite3

    conn = sqlite3.connect(spoiled)
    eid = conn.execute("SELECT id FROM case_events WHERE date = '2012-13-45'").fetchone()[0]
    conn.close()
    r = cli("prisoners", "unrecord", str(eid), "--yes")
    assert r.exit_code == 0, r.stderr
    assert cli("prisoners", "list").exit_code == 0
