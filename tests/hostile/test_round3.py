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
