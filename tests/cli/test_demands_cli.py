"""`campaign demands list --as-of` and `campaign demands renew`."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.engines  # on SQLite and on PostgreSQL


def _listed(cli, *args: str) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    r = cli("demands", "list", "--format", "json", *args)
    assert r.exit_code == 0, r.stderr
    return {d["id"]: d for d in json.loads(r.stdout)}


def test_list_shows_date_and_whether_current(cli) -> None:  # type: ignore[no-untyped-def]
    today = _listed(cli, "--as-of", "2026-12-01")
    assert today["suspend-eu-agreement"]["made_text"] == "14 March 2012"
    assert today["suspend-eu-agreement"]["current"] is False
    assert today["suspend-eu-agreement"]["current_text"].startswith("no: its latest source")
    # A 2012 release call is not current in 2026; the inquiry stands, and says why.
    assert today["release-named-prisoners"]["current"] is False
    assert today["release-named-prisoners"]["kind"] == "release"
    assert "ask for news" in today["release-named-prisoners"]["current_text"]
    assert today["international-inquiry"]["current_text"] == (
        "yes: an accountability demand stands until a source reports it done")
    then = _listed(cli, "--as-of", "2012-06-01")
    assert then["release-named-prisoners"]["current"] is True
    assert then["suspend-eu-agreement"]["current"] is True
    assert "socialistworld-2014-01" not in then["release-political-prisoners"]["sources"]
    r = cli("demands", "list", "--as-of", "2012-06-01", "--format", "md")
    assert "14 March 2012" in r.stdout
    assert "Demands as of 1 June 2012" in cli("demands", "list", "--as-of", "2012-06-01").stdout


def test_lapse_years_option(cli) -> None:  # type: ignore[no-untyped-def]
    assert _listed(cli, "--as-of", "2016-01-01")["suspend-eu-agreement"]["current"] is False
    longer = _listed(cli, "--as-of", "2016-01-01", "--lapse-years", "5")
    assert longer["suspend-eu-agreement"]["current"] is True
    assert "--lapse-years" in cli("demands", "list", "--help").stdout


def test_renew_makes_a_demand_current(cli, error_line) -> None:  # type: ignore[no-untyped-def]
    r = cli("sources", "add", "--help")
    assert r.exit_code == 0
    r = cli("sources", "add", "--id", "news-2026", "--title", "Talks go on",
            "--publisher", "A paper", "--date", "2026-11")
    assert r.exit_code == 0, r.stderr
    r = cli("demands", "renew", "suspend-eu-agreement", "--source", "news-2026")
    assert r.exit_code == 0, r.stderr
    assert "renewed by 'news-2026' (published November 2026)" in r.stdout
    assert _listed(cli, "--as-of", "2026-12-01")["suspend-eu-agreement"]["current"] is True
    line = error_line(cli("demands", "renew", "suspend-eu-agreement", "--source", "news-2026"))
    assert "already cites" in line


def test_renew_bad_input(cli, error_line) -> None:  # type: ignore[no-untyped-def]
    assert "did you mean" in error_line(
        cli("demands", "renew", "suspend-eu-agrement", "--source", "greens-efa-2012-03-07"))
    assert "no source called" in error_line(
        cli("demands", "renew", "suspend-eu-agreement", "--source", "nope"))
    assert error_line(cli("demands", "list", "--as-of", "2026-13-01"), 2)


def test_show_says_when_made_and_whether_current(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("demands", "show", "suspend-eu-agreement")
    assert r.exit_code == 0, r.stderr
    assert "made: 14 March 2012 by Paul Murphy MEP (GUE/NGL)" in r.stdout
    assert "current today: no (its latest source dates from March 2012" in r.stdout


def test_add_a_demand_about_people(cli, error_line) -> None:  # type: ignore[no-untyped-def]
    r = cli("demands", "add", "Free Roza Tuletaeva.", "--source", "socialistworld-2014-01",
            "--id", "free-roza", "--concerns", "Rosa Tuletaeva", "--ask", "release {persons}",
            "--made", "2014-01", "--made-by", "Campaign Kazakhstan",
            "--made-in", "socialistworld-2014-01",
            "--addressed-to", "Government of Kazakhstan")
    assert r.exit_code == 0, r.stderr
    listed = _listed(cli, "--as-of", "2016-06-01")["free-roza"]
    assert listed["current"] is True and listed["ask"] == "release Roza Tuletaeva"
    assert listed["kind"] == "release"  # inferred: it names people
    assert _listed(cli, "--as-of", "2026-12-01")["free-roza"]["current"] is False
    assert listed["concerns"] == {"persons": ["roza-tuletaeva"], "process": None}
    assert "did you mean" in error_line(cli("demands", "add", "Free X.", "--source",
                                            "socialistworld-2014-01", "--concerns",
                                            "Roza Tuletaevna"))
    assert error_line(cli("demands", "add", "Free X.", "--source", "socialistworld-2014-01",
                          "--made", "2014-13"), 2)
    assert "--made-in" in error_line(cli("demands", "add", "Free X.", "--source",
                                         "socialistworld-2014-01", "--made-in",
                                         "greens-efa-2012-03-07"), 2)
    assert "free-x" not in _listed(cli)
    assert listed["made_in"] == "socialistworld-2014-01"


def test_add_a_demand_with_a_kind(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("demands", "add", "An inquiry into the shootings.", "--source",
            "socialistworld-2014-01", "--id", "inquiry-2014", "--kind", "accountability")
    assert r.exit_code == 0, r.stderr
    listed = _listed(cli, "--as-of", "2026-12-01")["inquiry-2014"]
    assert listed["kind"] == "accountability" and listed["current"] is True
    r = cli("demands", "add", "Talks.", "--source", "socialistworld-2014-01", "--id", "talks")
    assert _listed(cli, "--as-of", "2026-12-01")["talks"]["kind"] == "process"
    assert cli("demands", "add", "X.", "--source", "socialistworld-2014-01",
               "--kind", "vengeance").exit_code == 2


def test_an_accountability_demand_stands_until_reported_done(cli, error_line) -> None:  # type: ignore[no-untyped-def]
    assert _listed(cli, "--as-of", "2026-12-01")["international-inquiry"]["current"] is True
    assert cli("sources", "add", "--id", "inquiry-report", "--title", "Inquiry reports",
               "--publisher", "A paper", "--date", "2025-05-01").exit_code == 0
    r = cli("demands", "done", "international-inquiry", "--source", "inquiry-report")
    assert r.exit_code == 0, r.stderr
    listed = _listed(cli, "--as-of", "2026-12-01")["international-inquiry"]
    assert listed["current"] is False
    assert listed["current_text"] == "no: a source reported it done in May 2025"
    assert _listed(cli, "--as-of", "2024-01-01")["international-inquiry"]["current"] is True
    assert "lapses by itself" in error_line(cli("demands", "done", "suspend-eu-agreement",
                                                "--source", "inquiry-report"))
