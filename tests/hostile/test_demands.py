"""Hostile input to `campaign demands list/renew/add`: one line, nothing changed."""

from __future__ import annotations

from pathlib import Path


def test_renew_hostile_ids_change_nothing(cli, error_line, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    before = db_path.read_bytes()
    error_line(cli("demands", "renew", "x' OR 1=1 --", "--source", "greens-efa-2012-03-07"))
    error_line(cli("demands", "renew", "suspend-eu-agreement", "--source", "x' OR 1=1 --"))
    error_line(cli("demands", "renew", "suspend-eu-agreement", "--source",
                   "greens-efa-2012-03-07"))  # already cites it
    assert db_path.read_bytes() == before


def test_renew_needs_a_source(cli, error_line) -> None:  # type: ignore[no-untyped-def]
    r = cli("demands", "renew", "suspend-eu-agreement")
    assert r.exit_code == 2 and "--source" in r.stderr and "Traceback" not in r.output


def test_list_bad_dates_and_years(cli, error_line) -> None:  # type: ignore[no-untyped-def]
    for bad in ("2026-02-30", "yesterday", "2026-1-1"):
        error_line(cli("demands", "list", "--as-of", bad), 2)
    r = cli("demands", "list", "--lapse-years", "-3")
    assert r.exit_code == 2 and "Traceback" not in r.output and r.stdout == ""


def test_add_blank_ask_and_unknown_person(cli, error_line) -> None:  # type: ignore[no-untyped-def]
    error_line(cli("demands", "add", "Free them.", "--source", "greens-efa-2012-03-07",
                   "--ask", "  "), 2)
    error_line(cli("demands", "add", "Free them.", "--source", "greens-efa-2012-03-07",
                   "--concerns", "Nobody Atall Zzz"))
    assert "free-them" not in cli("demands", "list", "-f", "csv").stdout
