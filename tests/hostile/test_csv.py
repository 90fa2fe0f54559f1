"""Hostile CSV imports and same-name contacts: nothing merges silently, nothing half-done.

Rule (README, Packs): two rows of one file that come to the same id are refused
with the line of each; a row named like a contact of another kind or country
is refused; with their own ids, same-name contacts both survive.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from store_dump import state

from campaign.store import Store

SRC = "greens-efa-2012-03-07"
# Names as a user could type them; control characters in arguments are refused
# for every command by the CLI itself (tests/hostile/test_terminal.py's surface).
NAMES = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=16)


def csv_file(tmp_path: Path, text: str, name: str = "c.csv") -> Path:
    d = tmp_path / "in"
    d.mkdir(exist_ok=True)
    path = d / name
    path.write_text(text, encoding="utf-8")
    return path


def refused(cli, error_line, db: Path, args: list[str], *words: str,  # type: ignore[no-untyped-def]
            code: int = 1) -> str:
    before = state(db)
    line = error_line(cli(*args), code)
    for w in words:
        assert w in line, line
    assert state(db) == before
    return line


def contacts(cli) -> list[dict]:  # type: ignore[no-untyped-def]
    return json.loads(cli("contacts", "list", "-f", "json").stdout)


def test_two_rows_with_one_name_are_refused(cli, error_line, db_path, tmp_path) -> None:
    path = csv_file(tmp_path, f"name,kind,country,email,source\n"
                              f"John Smith,press,Ireland,a@example.org,{SRC}\n"
                              f"John Smith,union,France,b@example.org,{SRC}\n")
    refused(cli, error_line, db_path, ["contacts", "import", str(path)],
            "line 3", "line 2", "'id'")


def test_two_rows_with_one_name_and_own_ids_both_survive(cli, db_path, tmp_path) -> None:
    path = csv_file(tmp_path, f"id,name,kind,country,source\n"
                              f"js-press,John Smith,press,Ireland,{SRC}\n"
                              f"js-union,John Smith,union,France,{SRC}\n")
    r = cli("contacts", "import", str(path))
    assert r.exit_code == 0, r.stderr
    assert "imported 2 contacts" in r.stdout
    found = {c["id"] for c in contacts(cli) if c["name"] == "John Smith"}
    assert found == {"js-press", "js-union"}


def test_punctuation_only_name_in_csv(cli, error_line, db_path, tmp_path) -> None:
    path = csv_file(tmp_path, f"name,kind,source\n!!!,press,{SRC}\n")
    refused(cli, error_line, db_path, ["contacts", "import", str(path)], "line 2", "'name'")


def test_row_named_like_a_contact_of_another_kind(cli, error_line, db_path, tmp_path) -> None:
    assert cli("contacts", "add", "Ann Other", "--kind", "union", "-s", SRC).exit_code == 0
    path = csv_file(tmp_path, f"name,kind,source\nAnn Other,press,{SRC}\n")
    refused(cli, error_line, db_path, ["contacts", "import", str(path)], "line 2", "ann-other")


@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd",
                                 "[x](http://evil.example)"])
def test_bad_url_in_csv(cli, error_line, db_path, tmp_path, url: str) -> None:
    path = csv_file(tmp_path, f'name,kind,url,source\nA,press,"{url}",{SRC}\n')
    refused(cli, error_line, db_path, ["contacts", "import", str(path)], "line 2", "url")


def test_bare_domain_in_csv_becomes_https(cli, db_path, tmp_path) -> None:
    path = csv_file(tmp_path, f"name,kind,url,source\nA Paper,press,example.org,{SRC}\n")
    assert cli("contacts", "import", str(path)).exit_code == 0
    assert next(c for c in contacts(cli) if c["name"] == "A Paper")["url"] == \
        "https://example.org"


def test_fifo_is_refused(cli, error_line, db_path, tmp_path) -> None:
    fifo = tmp_path / "c.csv"
    os.mkfifo(fifo)
    refused(cli, error_line, db_path, ["contacts", "import", str(fifo), "-s", SRC],
            "not a regular file")


def test_dev_null_is_refused(cli, error_line, db_path) -> None:
    refused(cli, error_line, db_path, ["contacts", "import", "/dev/null", "-s", SRC],
            "not a regular file")


def test_directory_is_refused(cli, error_line, db_path, tmp_path) -> None:
    refused(cli, error_line, db_path, ["contacts", "import", str(tmp_path), "-s", SRC],
            "directory")


def test_too_large_csv(cli, error_line, db_path, tmp_path, monkeypatch) -> None:
    import campaign.files

    monkeypatch.setattr(campaign.files, "CSV_LIMIT", 1024 * 1024)
    path = csv_file(tmp_path, "name,kind\n" + "A,press\n" * 140_000)
    refused(cli, error_line, db_path, ["contacts", "import", str(path), "-s", SRC],
            "too large")


def test_not_utf8(cli, error_line, db_path, tmp_path) -> None:
    path = tmp_path / "l.csv"
    path.write_bytes("name,kind\nSociété,press\n".encode("latin-1"))
    refused(cli, error_line, db_path, ["contacts", "import", str(path), "-s", SRC], "UTF-8")


def test_more_cells_than_header(cli, error_line, db_path, tmp_path) -> None:
    path = csv_file(tmp_path, "name,kind\nA,press,extra\n")
    refused(cli, error_line, db_path, ["contacts", "import", str(path), "-s", SRC], "line 2")


def test_blank_header_column(cli, error_line, db_path, tmp_path) -> None:
    path = csv_file(tmp_path, "name,kind,\nA,press,x\n")
    refused(cli, error_line, db_path, ["contacts", "import", str(path), "-s", SRC],
            "unknown column", "(blank)")


def test_header_only(cli, error_line, db_path, tmp_path) -> None:
    path = csv_file(tmp_path, "name,kind\n")
    refused(cli, error_line, db_path, ["contacts", "import", str(path), "-s", SRC], "no rows")


def test_unknown_source_in_a_row(cli, error_line, db_path, tmp_path) -> None:
    path = csv_file(tmp_path, f"name,kind,source\nA,press,{SRC}\nB,press,nope\n")
    refused(cli, error_line, db_path, ["contacts", "import", str(path)], "line 3", "nope")


def test_nul_byte_in_csv(cli, error_line, db_path, tmp_path) -> None:
    path = tmp_path / "n.csv"
    path.write_bytes(b"name,kind\nA\x00B,press\n")
    before = state(db_path)
    r = cli("contacts", "import", str(path), "-s", SRC)
    if r.exit_code:
        error_line(r)
    assert "Traceback" not in r.output
    if r.exit_code:
        assert state(db_path) == before


# -- contacts add: same names ---------------------------------------------------


def test_add_same_name_other_kind_is_refused(cli, error_line, db_path) -> None:
    assert cli("contacts", "add", "John Smith", "--kind", "press", "--country", "Ireland",
               "--email", "first@example.org", "-s", SRC).exit_code == 0
    refused(cli, error_line, db_path, ["contacts", "add", "John Smith", "--kind", "union",
                                       "--country", "France", "--email", "second@example.org",
                                       "-s", SRC], "--id john-smith", code=2)


def test_add_same_name_other_country_is_refused(cli, error_line, db_path) -> None:
    assert cli("contacts", "add", "John Smith", "--kind", "press", "--country", "Ireland",
               "-s", SRC).exit_code == 0
    refused(cli, error_line, db_path, ["contacts", "add", "John Smith", "--kind", "press",
                                       "--country", "France", "-s", SRC], "--id", code=2)


def test_add_same_contact_again_updates_it(cli, db_path) -> None:
    assert cli("contacts", "add", "John Smith", "--kind", "press", "--country", "Ireland",
               "-s", SRC).exit_code == 0
    assert cli("contacts", "add", "John Smith", "--kind", "press", "--country", "IE",
               "--email", "js@example.org", "-s", SRC).exit_code == 0
    found = [c for c in contacts(cli) if c["name"] == "John Smith"]
    assert len(found) == 1 and found[0]["email"] == "js@example.org"


def test_add_same_name_with_own_id_gives_two(cli, db_path) -> None:
    assert cli("contacts", "add", "John Smith", "--kind", "press", "-s", SRC).exit_code == 0
    assert cli("contacts", "add", "John Smith", "--kind", "union", "--id", "js-2",
               "-s", SRC).exit_code == 0
    assert len([c for c in contacts(cli) if c["name"] == "John Smith"]) == 2


def test_add_punctuation_only_name_is_refused(cli, error_line, db_path) -> None:
    refused(cli, error_line, db_path, ["contacts", "add", "!!!", "--kind", "press", "-s", SRC],
            "no letter or digit", code=2)


def test_add_cannot_turn_an_mep_into_another_kind(cli, error_line, meps_db) -> None:
    refused(cli, error_line, meps_db, ["contacts", "add", "Someone", "--kind", "press",
                                       "--id", "mep-124984", "-s", SRC], "EP id", code=2)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=NAMES, b=NAMES)
def test_two_different_contacts_never_become_one(cli, db_path, a: str, b: str) -> None:
    """Two adds of different contacts: two records, or a refusal; never one record."""
    import shutil

    fresh = db_path.with_name("h.db")
    shutil.copy2(db_path, fresh)
    os.environ["CAMPAIGN_DB"] = str(fresh)
    try:
        r1 = cli("contacts", "add", "--kind", "press", "--country", "Ireland", "-s", SRC, "--", a)
        r2 = cli("contacts", "add", "--kind", "union", "--country", "France", "-s", SRC, "--", b)
        for r in (r1, r2):
            assert "Traceback" not in r.output
            if r.exit_code:
                assert len(r.stderr.strip().splitlines()) == 1
        if r1.exit_code == 0 and r2.exit_code == 0:
            ids = {r1.stdout.split()[-1], r2.stdout.split()[-1]}
            assert len(ids) == 2
    finally:
        os.environ["CAMPAIGN_DB"] = str(db_path)
        for p in fresh.parent.glob("h.db*"):
            p.unlink()


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=NAMES, b=NAMES)
def test_two_people_added_get_two_records_or_one_line(cli, db_path, a: str, b: str) -> None:
    """`prisoners add` with any two names: two people with distinct ids, or one-line refusals."""
    import shutil

    fresh = db_path.with_name("p.db")
    shutil.copy2(db_path, fresh)
    os.environ["CAMPAIGN_DB"] = str(fresh)
    try:
        results = [cli("prisoners", "add", "-s", SRC, "--", name) for name in (a, b)]
        for r in results:
            assert "Traceback" not in r.output and "internal error" not in r.stderr
            if r.exit_code:
                assert len(r.stderr.strip().splitlines()) == 1, r.stderr
        st_ = Store(fresh)
        n = st_.conn.execute("SELECT count(*) FROM persons").fetchone()[0]
        ids = {x[0] for x in st_.conn.execute("SELECT id FROM persons")}
        st_.close()
        assert len(ids) == n
    finally:
        os.environ["CAMPAIGN_DB"] = str(db_path)
        for p in fresh.parent.glob("p.db*"):
            p.unlink()


def test_csv_row_with_an_meps_id_is_refused(cli, error_line, meps_db, tmp_path) -> None:
    path = csv_file(tmp_path, f"id,name,kind,source\nmep-124984,Someone,press,{SRC}\n")
    refused(cli, error_line, meps_db, ["contacts", "import", str(path)], "line 2", "EP id")


def test_importing_the_store_as_csv(cli, error_line, db_path) -> None:
    before = state(db_path)
    line = error_line(cli("contacts", "import", str(db_path), "-s", SRC))
    assert "UTF-8" in line or "CSV" in line or "column" in line
    assert state(db_path) == before
