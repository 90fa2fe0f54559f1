"""Three ways to lose data (issue 20): addresses left out of an export, people removed while
demands still name them, and a merge import that dropped the user's own case events.

Each test asserts what the store holds afterwards.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from store_dump import dump

from campaign.store import Store

SOURCE = "socialistworld-2014-01"
ROZA = "Roza Tuletaeva"
ADDRESS = "Uchr. LA-155/4\nGranitny, Akmola Region\nKazakhstan"


def _addresses(db: Path) -> list[tuple[str, str, str, str | None, str]]:
    conn = sqlite3.connect(db)
    try:
        return list(conn.execute("SELECT person_id, purpose, address, as_of, source_id FROM "
                                 "person_addresses ORDER BY person_id, purpose, address"))
    finally:
        conn.close()


def _record_address(cli: Any, name: str = ROZA, **options: str) -> None:
    extra = [x for k, v in options.items() for x in (f"--{k.replace('_', '-')}", v)]
    r = cli("prisoners", "address", name, "--postal", ADDRESS, "--source", SOURCE, *extra)
    assert r.exit_code == 0, r.stderr


# -- 1. postal addresses in export, and back through import --replace -------------------

def test_export_holds_postal_addresses(cli: Any, db_path: Path) -> None:
    _record_address(cli, as_of="2013-05")
    _record_address(cli, "Natalia Azhigalieva", **{"for": "family"})
    r = cli("export")
    assert r.exit_code == 0, r.stderr
    assert "Granitny, Akmola Region" in r.stdout and "family" in r.stdout


def test_export_then_import_replace_keeps_addresses(cli: Any, db_path: Path,
                                                    tmp_path: Path) -> None:
    _record_address(cli, as_of="2013-05")
    _record_address(cli, "Natalia Azhigalieva", **{"for": "family"})
    before = _addresses(db_path)
    assert len(before) == 2
    out = tmp_path / "all.yaml"
    assert cli("export", "-o", str(out)).exit_code == 0
    r = cli("import", str(out), "--replace")
    assert r.exit_code == 0, r.stderr
    assert _addresses(db_path) == before
    # and the letter to her is addressed from it, as before
    r = cli("export")
    assert r.stdout == out.read_text(encoding="utf-8")


def test_a_pack_address_citing_an_unknown_source_is_refused(cli: Any, db_path: Path,
                                                            tmp_path: Path,
                                                            error_line: Any) -> None:
    pack = tmp_path / "p.yaml"
    pack.write_text(
        "pack: p\ntitle: P\nsources:\n  - {id: s1, title: T, publisher: P, published: '2020'}\n"
        "persons:\n  - id: ann\n    name: Ann Example\n    sources: [s1]\n    addresses:\n"
        "      - {address: 'Box 1', source: nowhere}\n", encoding="utf-8")
    before = dump(db_path)
    line = error_line(cli("import", str(pack)))
    assert "nowhere" in line and "p.yaml" in line
    assert dump(db_path) == before


# -- 2. removing or merging a person that demands name -------------------------------------

def _concerns(db: Path, demand: str) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        raw = conn.execute("SELECT concerns FROM demands WHERE id = ?", (demand,)).fetchone()[0]
    finally:
        conn.close()
    return list((json.loads(raw) or {}).get("persons") or [])


def test_remove_is_refused_while_a_demand_names_the_person(cli: Any, db_path: Path,
                                                           error_line: Any) -> None:
    before = dump(db_path)
    line = error_line(cli("prisoners", "remove", "Natalia Sokolova"))
    assert "release-named-prisoners" in line and "demands remove" in line
    assert dump(db_path) == before


def test_remove_once_no_demand_names_the_person(cli: Any, db_path: Path) -> None:
    assert cli("demands", "remove", "release-named-prisoners").exit_code == 0
    r = cli("prisoners", "remove", "Natalia Sokolova")
    assert r.exit_code == 0, r.stderr
    assert cli("prisoners", "show", "Natalia Sokolova").exit_code == 1
    assert "no problems found" in cli("check").stdout


def test_merge_moves_the_demands_references_and_addresses(cli: Any, db_path: Path) -> None:
    r = cli("prisoners", "add", "Natalya Sokolova-Double", "--source", SOURCE)
    assert r.exit_code == 0, r.stderr
    _record_address(cli, "Natalia Sokolova")
    r = cli("prisoners", "merge", "Natalya Sokolova-Double", "Natalia Sokolova")
    assert r.exit_code == 0, r.stderr
    kept = json.loads(cli("prisoners", "show", "Natalya Sokolova-Double", "-f",
                          "json").stdout)["id"]
    assert "natalia-sokolova" not in _concerns(db_path, "release-named-prisoners")
    assert kept in _concerns(db_path, "release-named-prisoners")
    assert [a[0] for a in _addresses(db_path)] == [kept]
    r = cli("check")
    assert "concerns" not in r.stdout
    # the store's own export imports again
    assert cli("export", "-o", str(db_path.parent / "x.yaml")).exit_code == 0
    assert cli("import", str(db_path.parent / "x.yaml"), "--replace").exit_code == 0


def test_check_reports_a_demand_naming_nobody(cli: Any, db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute("DELETE FROM names WHERE person_id = 'natalia-sokolova'")
        conn.execute("DELETE FROM persons WHERE id = 'natalia-sokolova'")
    conn.close()
    r = cli("check")
    assert r.exit_code == 1
    assert "release-named-prisoners" in r.stdout and "natalia-sokolova" in r.stdout


# -- a merge import keeps the user's own case events ----------------------------------------

def test_import_of_the_bundled_pack_keeps_the_users_own_event(cli: Any, db_path: Path) -> None:
    from campaign.pack import bundled_path

    r = cli("prisoners", "update", ROZA, "--status", "released", "--date", "2016-11",
            "--source", SOURCE, "--note", "recorded by the user")
    assert r.exit_code == 0, r.stderr
    _record_address(cli)
    r = cli("prisoners", "alias", ROZA, "Roza T.")
    assert r.exit_code == 0, r.stderr
    before = json.loads(cli("prisoners", "history", ROZA, "-f", "json").stdout)
    r = cli("import", str(bundled_path()))
    assert r.exit_code == 0, r.stderr
    after = json.loads(cli("prisoners", "history", ROZA, "-f", "json").stdout)
    strip = [{k: v for k, v in e.items() if k != "id"} for e in before]
    assert [{k: v for k, v in e.items() if k != "id"} for e in after] == strip
    assert any(e.get("note") == "recorded by the user" for e in after)
    assert len(_addresses(db_path)) == 1
    assert cli("prisoners", "show", "Roza T.").exit_code == 0


def test_import_of_the_bundled_pack_twice_changes_nothing(cli: Any, db_path: Path) -> None:
    from campaign.pack import bundled_path

    first = cli("export").stdout
    assert cli("import", str(bundled_path())).exit_code == 0
    assert cli("export").stdout == first


def test_an_event_of_a_store_made_before_events_knew_their_pack(cli: Any,
                                                               db_path: Path) -> None:
    """A store upgraded from the previous release: every event's pack unknown (NULL).
    Importing the bundled pack again must not double its events."""
    from campaign.pack import bundled_path

    first = cli("export").stdout
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("UPDATE case_events SET pack = NULL")
    conn.close()
    assert cli("import", str(bundled_path())).exit_code == 0
    assert cli("export").stdout == first


# -- sources used only by an address ---------------------------------------------------------

def test_removing_a_source_used_only_by_an_address(cli: Any, db_path: Path,
                                                   error_line: Any) -> None:
    r = cli("sources", "add", "--title", "Letter from the colony", "--publisher",
            "Family of the prisoner", "--date", "2013-05", "--id", "family-2013")
    assert r.exit_code == 0, r.stderr
    r = cli("prisoners", "address", ROZA, "--postal", ADDRESS, "--source", "family-2013")
    assert r.exit_code == 0, r.stderr
    assert "family-2013" not in cli("check").stdout  # an address cites it
    before = dump(db_path)
    line = error_line(cli("sources", "remove", "family-2013"))
    assert "postal address" in line and "FOREIGN KEY" not in line
    assert dump(db_path) == before
    shown = cli("sources", "show", "family-2013", "-f", "json")
    assert "postal address of roza-tuletaeva" in shown.stdout


@pytest.mark.parametrize("title", ["…", "...", "<title>", "TITLE"])
def test_sources_add_refuses_a_placeholder(cli: Any, db_path: Path, error_line: Any,
                                           title: str) -> None:
    before = dump(db_path)
    line = error_line(cli("sources", "add", "--title", title, "--publisher", "BBC",
                          "--date", "2026-11"), 2)
    assert "placeholder" in line
    assert dump(db_path) == before


def test_sources_add_takes_a_short_real_publisher(cli: Any, db_path: Path) -> None:
    r = cli("sources", "add", "--title", "Oil workers jailed", "--publisher", "BBC",
            "--date", "2026-11")
    assert r.exit_code == 0, r.stderr


# -- a postal address is bounded ---------------------------------------------------------------

@pytest.mark.parametrize("postal", ["\n".join(f"line {i}" for i in range(5000)),
                                    "Box 1\n" + "x" * 5000])
def test_a_huge_postal_address_is_refused(cli: Any, db_path: Path, error_line: Any,
                                          postal: str) -> None:
    before = dump(db_path)
    line = error_line(cli("prisoners", "address", ROZA, "--postal", postal, "--source",
                          SOURCE), 2)
    assert "--postal" in line and "address" in line
    assert dump(db_path) == before


def test_migrated_store_has_the_pack_column(db_path: Path) -> None:
    st = Store(db_path)
    try:
        cols = [r[1] for r in st.conn.execute("PRAGMA table_info(case_events)")]
    finally:
        st.close()
    assert "pack" in cols


# -- 3. killed during a merge: files and log never disagree ----------------------------------

KILLED = """
import os, sys
import campaign.files as files
real = files.write_directory
def killed(*args, **kwargs):
    real(*args, **kwargs)   # the files are renamed into place ...
    os._exit(137)           # ... and the process dies at once, as with kill -9
files.write_directory = killed
from campaign.cli import main
sys.argv = ["campaign", *sys.argv[1:]]
main()
"""

SENDER = ["--sender", "Jane Doe", "--sender-address", "1 Main Street, Dublin 1"]


def _log(cli: Any) -> list[dict[str, Any]]:
    r = cli("outreach", "list", "-f", "json")
    assert r.exit_code == 0, r.stderr
    return list(json.loads(r.stdout))


def test_kill_9_after_the_files_leaves_them_logged_and_a_rerun_completes(
        cli: Any, meps_db: Path, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    out = tmp_path / "letters"
    args = ["letter", "--to", "mep", "--country", "Ireland", *SENDER, "-f", "md",
            "-o", str(out) + "/"]
    env = {**os.environ, "CAMPAIGN_DB": str(meps_db)}
    done = subprocess.run([sys.executable, "-c", KILLED, *args], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 137, done.stderr
    files = sorted(out.glob("*.md"))
    log = _log(cli)
    assert len(files) == 3 and len(log) == 3  # never files the log does not know
    assert {e["state"] for e in log} == {"drafting"}
    assert {p for e in log for p in e["paths"]} == {str(f) for f in files}
    r = cli(*args)  # the same merge again: it completes them
    assert r.exit_code == 0, r.stderr
    log = _log(cli)
    assert len(log) == 3 and {e["state"] for e in log} == {"drafted"}
    assert sorted(out.glob("*.md")) == files


def test_a_failed_write_leaves_no_entry(cli: Any, meps_db: Path, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import campaign.files as files_module

    def broken(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(files_module, "write_directory", broken)
    r = cli("letter", "--to", "mep", "--country", "Ireland", *SENDER, "-f", "md",
            "-o", str(tmp_path / "letters") + "/")
    assert r.exit_code == 130
    assert _log(cli) == []


def test_a_huge_address_already_stored_is_bounded_on_the_letter(cli: Any, db_path: Path,
                                                                tmp_path: Path) -> None:
    """An address stored before addresses were bounded (5,000 lines): the letter uses the
    first lines, and the warning names the address, not the note."""
    from pypdf import PdfReader

    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("INSERT INTO person_addresses (person_id, purpose, address, source_id, "
                     "added) VALUES ('roza-tuletaeva', 'prisoner', ?, ?, '2026-01-01')",
                     ("\n".join(f"Line {i:04d}" for i in range(5000)), SOURCE))
    conn.close()
    out = tmp_path / "roza.pdf"
    r = cli("letter", "--to", "prisoner", "--prisoner", ROZA, *SENDER, "--lang", "en",
            "-o", str(out))
    assert r.exit_code == 0, r.stderr
    assert "postal address recorded for Roza Tuletaeva" in r.stderr
    assert "shorten the note" not in r.stderr
    first = " ".join(PdfReader(str(out)).pages[0].extract_text().split())
    assert "Line 0007" in first and "Line 0008" not in first
    assert "Dear Roza" in first  # the letter's text starts on the first page
