"""campaign prisoners ...: through the CLI, on a temporary store."""

from __future__ import annotations

import json

import pytest

from campaign.store import Store

pytestmark = pytest.mark.engines  # on SQLite and on PostgreSQL


def test_list_json_has_the_documented_fields(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("prisoners", "list", "--format", "json")
    assert r.exit_code == 0
    people = json.loads(r.stdout)
    assert len(people) >= 20
    for p in people:
        assert {"id", "name", "aliases", "status", "status_date", "sources", "events"} <= p.keys()
        assert p["sources"], p["name"]
    roza = next(p for p in people if p["name"] == "Roza Tuletaeva")
    assert roza["status"] == "imprisoned"
    assert roza["status_date"] == "2014-01"
    assert "as reported in January 2014" in roza["status_text"]


def test_list_table_shows_names_statuses_and_dates(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("prisoners", "list", "--format", "md")
    assert "| Roza Tuletaeva |" in r.stdout
    assert "as reported in" in r.stdout


def test_show_finds_a_spelling_variant(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("prisoners", "show", "rosa tuletaeva")
    assert r.exit_code == 0
    assert r.stdout.startswith("Roza Tuletaeva")


def test_show_miss_suggests_and_exits_1(error_line, cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("prisoners", "show", "Roza Tuletova-Smirnova")
    assert r.exit_code == 1
    line = error_line(r)
    assert "no person called" in line and "Roza Tuletaeva" in line


def test_as_of_answers_for_any_date(cli) -> None:  # type: ignore[no-untyped-def]
    def status(day: str) -> str | None:
        r = cli("prisoners", "show", "Vadim Kuramshin", "--as-of", day, "--format", "json")
        return json.loads(r.stdout)["status"]

    assert status("2010-01-01") is None
    assert status("2011-06-01") == "released"
    assert status("2014-06-01") == "imprisoned"


def test_status_filter(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("prisoners", "list", "--status", "released", "--format", "json")
    assert {p["name"] for p in json.loads(r.stdout)} >= {"Natalia Sokolova"}
    assert all(p["status"] == "released" for p in json.loads(r.stdout))


def test_bad_as_of_is_usage_error(error_line, cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("prisoners", "list", "--as-of", "2026-02-30")
    assert r.exit_code == 2
    assert "--as-of" in error_line(r, 2)


def test_update_records_news_with_a_new_source(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("sources", "add", "--title", "Released", "--publisher", "Campaign Kazakhstan",
            "--date", "2016-08-01", "--id", "news-1")
    assert r.exit_code == 0, r.output
    r = cli("prisoners", "update", "Rosa Tuletaeva", "--status", "released",
            "--date", "2016-08-01", "--source", "news-1")
    assert r.exit_code == 0, r.output
    p = json.loads(cli("prisoners", "show", "roza", "--format", "json").stdout)
    assert p["status"] == "released" and p["status_date"] == "2016-08-01"
    history = cli("prisoners", "history", "Roza Tuletaeva", "--format", "json")
    assert [e["kind"] for e in json.loads(history.stdout)][-1] == "released"


def test_update_with_unknown_source_changes_nothing(error_line, cli, db_path) -> None:  # type: ignore[no-untyped-def]
    before = cli("export").stdout
    r = cli("prisoners", "update", "Roza Tuletaeva", "--status", "released",
            "--date", "2016-08-01", "--source", "greens-efa-2012")
    assert r.exit_code == 1
    assert "greens-efa-2012-03-07" in error_line(r)
    assert cli("export").stdout == before


def test_update_needs_a_source(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("prisoners", "update", "Roza Tuletaeva", "--status", "released", "--date", "2016")
    assert r.exit_code == 2


def test_add_alias_merge(error_line, cli, db_path) -> None:  # type: ignore[no-untyped-def]
    assert cli("prisoners", "add", "Ann Example", "--source", "socialistworld-2014-01",
               "--alias", "Anne Exemple").exit_code == 0
    assert cli("prisoners", "add", "A. Example", "--source", "greens-efa-2012-03-07").exit_code == 0
    r = cli("prisoners", "alias", "Ann Example", "Rosa Tuletaeva")
    assert r.exit_code == 1 and "already used by Roza Tuletaeva" in error_line(r)
    assert cli("prisoners", "merge", "Ann Example", "A. Example").exit_code == 0
    p = json.loads(cli("prisoners", "show", "a example", "--format", "json").stdout)
    assert p["name"] == "Ann Example"
    assert set(p["aliases"]) == {"Anne Exemple", "A. Example"}
    assert set(p["sources"]) == {"socialistworld-2014-01", "greens-efa-2012-03-07"}
    st = Store(db_path)
    sql = "SELECT count(*) FROM persons WHERE name = 'A. Example'"
    assert st.conn.execute(sql).fetchone()[0] == 0


def test_duplicate_name_is_refused(error_line, cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("prisoners", "add", "ROZA TULETAEVA", "--source", "socialistworld-2014-01")
    assert r.exit_code == 1
    assert "already used by Roza Tuletaeva" in error_line(r)


def test_list_heading_says_whom_it_lists(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("prisoners", "list", "--status", "dismissed", "--status", "summoned",
            "--as-of", "2026-12-02", "-f", "md")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith("## People sacked and summoned — as of 2026-12-02\n")
    assert "Political prisoners" not in r.stdout
    held = cli("prisoners", "list", "--status", "imprisoned", "-f", "md").stdout
    assert held.startswith("## People imprisoned — as of ")
    none = cli("prisoners", "list", "--status", "fined", "-f", "md").stdout
    assert none.startswith("## No one on record — as of ")


def test_list_streams_the_same_rows_as_the_whole_list(cli) -> None:  # type: ignore[no-untyped-def]
    """csv and json are written a person at a time (people.iter_persons, output.emit_rows):
    the same text as the whole list through emit, the status filter included."""
    import datetime as dt
    import io

    from campaign.cli.prisoners import COLUMNS
    from campaign.output import Format, emit
    from campaign.people import iter_persons, persons
    from campaign.store import Store

    day = dt.date(2026, 12, 2)
    st = Store()
    try:
        everyone = persons(st, day)
        assert [p["id"] for p in iter_persons(st, day)] == [p["id"] for p in everyone]
        held = [p for p in everyone if p["status"] in ("imprisoned", "died")]
    finally:
        st.close()
    for fmt, rows in ((Format.json, everyone), (Format.csv, everyone), (Format.csv, held)):
        whole = io.StringIO()
        emit(rows, fmt, COLUMNS, out=whole)
        args = ["prisoners", "list", "--as-of", "2026-12-02", "-f", fmt.value]
        if rows is held:
            args += ["--status", "imprisoned", "--status", "died"]
        r = cli(*args)
        assert r.exit_code == 0, r.stderr
        # (the test runner's stdout reads CSV's CRLF as newlines, for both paths alike)
        assert r.stdout == whole.getvalue().replace("\r\n", "\n")
    empty = cli("prisoners", "list", "--status", "fined", "-f", "json")
    assert empty.stdout == "[]\n"


def test_list_as_table_and_md_streams_the_text_of_the_whole_list(cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Table and Markdown are written as the persons are read too (the heading from
    people.status_counts first): for a list this size, byte for byte what emit writes
    for the whole list, heading and caption included, with or without a status filter."""
    import datetime as dt
    import io

    from campaign.cli.prisoners import COLUMNS
    from campaign.labels import describe
    from campaign.output import Format, emit
    from campaign.people import persons
    from campaign.store import Store

    monkeypatch.setenv("COLUMNS", "100")
    day = dt.date(2026, 12, 2)
    st = Store()
    try:
        everyone = persons(st, day)
    finally:
        st.close()
    for wanted in ([], ["imprisoned", "died"], ["fined"]):
        people = [p for p in everyone if not wanted or p["status"] in wanted]
        who = describe(p["status"] for p in people)
        heading = f"People {who[:1].lower()}{who[1:]}" if people else "No one on record"
        for fmt in (Format.table, Format.md):
            whole = io.StringIO()
            emit(people, fmt, COLUMNS, title=f"{heading} — as of 2026-12-02",
                 caption="Each status is as reported in the cited source, on the date shown.",
                 out=whole)
            args = ["prisoners", "list", "--as-of", "2026-12-02", "-f", fmt.value]
            for s in wanted:
                args += ["--status", s]
            r = cli(*args)
            assert r.exit_code == 0, r.stderr
            assert r.stdout == whole.getvalue(), (wanted, fmt)
    assert len(everyone) > 20  # the bundled campaign: a list with every kind of row


def test_status_counts_are_the_statuses_the_listed_persons_have() -> None:
    """The heading's count, from the case events alone, agrees with the persons as built,
    on dates before, during and after the events (no report yet counts as None)."""
    import datetime as dt
    from collections import Counter

    from campaign.people import iter_persons, status_counts
    from campaign.store import Store

    st = Store()
    try:
        st.conn.execute("INSERT INTO persons (id, name) VALUES ('p-none', 'No Events Yet')")
        for day in (dt.date(2000, 1, 1), dt.date(2012, 3, 1), dt.date(2014, 6, 1),
                    dt.date(2026, 12, 2)):
            counts = status_counts(st, day)
            assert counts == Counter(p["status"] for p in iter_persons(st, day)), day
            assert None in counts
    finally:
        st.close()
