"""Hostile and odd input to `campaign resolution`: one line, the right exit code, no
traceback, nothing written, and user text never turned into markup or template code."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st


def test_as_of_before_any_source(cli, error_line, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "m.md"
    line = error_line(cli("resolution", "--as-of", "2000-01-01", "-o", str(out)), 2)
    assert "no source was published by then" in line and "December 2011" not in line
    assert "from 15 September 2010 on" in line
    assert not out.exists()


def test_as_of_before_the_shootings_marks_no_anniversary(cli) -> None:  # type: ignore[no-untyped-def]
    out = cli("resolution", "--as-of", "2011-01-01").stdout
    assert "anniversary" not in out and "Zhanaozen and Shetpe" not in out


def test_bad_numbers(cli, error_line) -> None:  # type: ignore[no-untyped-def]
    for args in (("--max-people", "-1"), ("--lapse-years", "-1"), ("--max-people", "many")):
        r = cli("resolution", *args)  # refused by the option parser: usage, exit 2
        assert r.exit_code == 2 and "Traceback" not in r.output and r.stdout == ""
    r = cli("resolution", "--max-people", "100000", "--as-of", "2026-11-23")
    assert r.exit_code == 0 and "not the only ones" not in r.stdout
    r = cli("resolution", "--max-people", "0", "--as-of", "2026-11-23")
    assert r.exit_code == 0 and "Roza Tuletaeva" not in r.stdout.split("resolves:")[0]


def test_injected_demand_ids_change_nothing(cli, error_line, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    before = db_path.read_bytes()
    line = error_line(cli("resolution", "--demand", "x'; DROP TABLE demands; --"))
    assert "no demand called" in line
    assert cli("demands", "list").exit_code == 0
    assert db_path.read_bytes() == before


def test_template_syntax_in_user_text_is_text(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("resolution", "--branch", "{{ 7*7 }}", "--union", "{% raw %}", "--proposer",
            "{# x #}", "--country", "{{ config }}")
    assert r.exit_code == 0, r.stderr
    assert "Motion to {{ 7\\*7 }} branch, {% raw %}" in r.stdout
    assert "Proposed by: {# x #}" in r.stdout
    assert "49" not in r.stdout.split("## This branch notes")[0]


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(country=st.text(min_size=1, max_size=40))
@example(country="M\x1eL")  # a control character once split the error over two lines
@example(country="Ire\u202eland")
def test_any_country_text_is_a_motion_or_one_line(cli, country: str) -> None:  # type: ignore[no-untyped-def]
    if country.startswith("-") or "\x00" in country:
        return
    r = cli("resolution", "--country", country, "--as-of", "2026-11-23")
    assert "Traceback" not in r.output
    if r.exit_code == 0:
        assert "## This branch resolves:" in r.stdout
    else:
        assert r.exit_code == 2 and len(r.stderr.strip().splitlines()) == 1
