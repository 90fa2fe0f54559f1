"""sources, demands, events, figures, timeline through the CLI."""

from __future__ import annotations

import json

import pytest

from campaign import dates

pytestmark = pytest.mark.engines  # on SQLite and on PostgreSQL


def test_sources_list_json_gives_id_and_document(cli) -> None:  # type: ignore[no-untyped-def]
    sources = json.loads(cli("sources", "list", "--format", "json").stdout)
    assert len(sources) == 5
    assert {s["document"] for s in sources} == {
        "000_4aa3008eed4ae18e.txt", "001_6d382013a8ab2e91.txt", "002_f1a3507754d604dd.txt",
        "003_f082f51d8dcccb2a.txt", "004_db3735a7e559543f.txt"}
    assert all(s["id"] for s in sources)


def test_sources_show_with_text(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("sources", "show", "greens-efa-2012-03-07", "--text")
    assert r.exit_code == 0
    assert "Natalia Sokolova" in r.stdout
    assert "cited by" in r.stdout


def test_sources_show_unknown(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("sources", "show", "greens-2012")
    assert r.exit_code == 1
    assert "no source called 'greens-2012'" in r.stderr


def test_sources_add_validates_the_date(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("sources", "add", "--title", "T", "--publisher", "P", "--date", "2016-13")
    assert r.exit_code == 2
    assert "no month 13" in r.stderr
    r = cli("sources", "add", "--title", "T", "--publisher", "P", "--date", "2016-05",
            "--url", "https://example.org/a")
    assert r.exit_code == 0
    assert "p-2016-05" in cli("sources", "list", "--format", "csv").stdout


def test_demands_list_show_add(cli) -> None:  # type: ignore[no-untyped-def]
    demands = json.loads(cli("demands", "list", "--format", "json").stdout)
    ids = {d["id"] for d in demands}
    assert {"release-political-prisoners", "international-inquiry"} <= ids
    assert all(d["sources"] for d in demands)
    r = cli("demands", "show", "international-inquiry")
    assert r.exit_code == 0 and "inquiry" in r.stdout.lower()
    r = cli("demands", "add", "Free the journalists", "--source", "greens-efa-2012-03-07",
            "--id", "free-journalists")
    assert r.exit_code == 0
    assert cli("demands", "show", "free-journalists").exit_code == 0
    r = cli("demands", "show", "internatonal-inquiry")
    assert r.exit_code == 1 and "international-inquiry" in r.stderr


def test_events_list_and_add(cli) -> None:  # type: ignore[no-untyped-def]
    events = json.loads(cli("events", "list", "--format", "json").stdout)
    shooting = [e for e in events if e["date"] == "2011-12-16" and e["kind"] == "shooting"]
    assert shooting and "Zhanaozen" in shooting[0]["title"] + (shooting[0]["place"] or "")
    r = cli("events", "add", "Vigil in Dublin", "--date", "2016-12-16", "--kind", "protest",
            "--source", "socialistworld-2014-01")
    assert r.exit_code == 0
    r = cli("events", "add", "Bad", "--date", "2016-12-16", "--end-date", "2016-12-01",
            "--source", "socialistworld-2014-01")
    assert r.exit_code == 2 and "before" in r.stderr


def test_figures_are_never_merged(cli) -> None:  # type: ignore[no-untyped-def]
    figures = json.loads(cli("figures", "list", "--format", "json").stdout)
    deaths = {(f["qualifier"], f["number"], f["according_to"], tuple(f["sources"]))
              for f in figures if f["number"] in (16, 17, 500)}
    assert len(deaths) == 3
    assert len({d[3] for d in deaths}) >= 2


def test_timeline_is_in_date_order_with_sources(cli) -> None:  # type: ignore[no-untyped-def]
    items = json.loads(cli("timeline", "--format", "json").stdout)
    assert [dates.start(i["date"]) for i in items] == sorted(dates.start(i["date"]) for i in items)
    assert all(i["sources"] for i in items)
    assert any(i["type"] == "case" for i in items) and any(i["type"] == "event" for i in items)
