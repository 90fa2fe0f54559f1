"""Hostile stores: read-only, corrupt, full, busy; and every record removable by a command.

A good store (busy, read-only, on a full disk) is never called unusable; only a
damaged one gets the advice to move it aside.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

import campaign.store
from campaign.pack import dump_pack, export_pack
from campaign.store import SCHEMA_VERSION, Store

SRC = "greens-efa-2012-03-07"
MOVE_ASIDE = "move this one aside"


def export(db: Path) -> str:
    st_ = Store(db)
    try:
        return dump_pack(export_pack(st_))
    finally:
        st_.close()


def files(db: Path) -> list[str]:
    return sorted(p.name for p in db.parent.iterdir() if not p.name.endswith(("-wal", "-shm")))


def read_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Open every store read-only, as SQLite does a file the user may not write.

    CI runs as root, for whom file permissions do not stop a write, so the
    store is opened the way SQLite opens a read-only file: mode=ro.
    """
    real = sqlite3.connect

    def connect(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs.pop("uri", None)
        target = str(path) if str(path).startswith("file:") else f"file:{path}?mode=ro"
        return real(target, *args, uri=True, **kwargs)

    monkeypatch.setattr(campaign.store.sqlite3, "connect", connect)


def test_read_only_store_refuses_a_write_in_one_line(cli, error_line, db_path,
                                                     monkeypatch) -> None:
    before = db_path.read_bytes()
    read_only(monkeypatch)
    line = error_line(cli("contacts", "add", "A B", "--kind", "press", "-s", SRC))
    assert "read-only" in line and MOVE_ASIDE not in line
    monkeypatch.undo()
    assert db_path.read_bytes() == before


def test_read_only_store_import_is_one_line(cli, error_line, db_path, tmp_path,
                                            monkeypatch) -> None:
    pack = tmp_path / "p.yaml"
    pack.write_text("pack: t\ntitle: T\nsources:\n  - {id: s1, title: t, publisher: p, "
                    "published: '2012'}\n", encoding="utf-8")
    before = db_path.read_bytes()
    read_only(monkeypatch)
    line = error_line(cli("import", str(pack)))
    assert "read-only" in line
    monkeypatch.undo()
    assert db_path.read_bytes() == before


def test_read_only_store_can_still_be_read(cli, db_path, monkeypatch) -> None:
    read_only(monkeypatch)
    r = cli("prisoners", "list", "-f", "json")
    assert "Traceback" not in r.output
    if r.exit_code:
        assert len(r.stderr.strip().splitlines()) == 1 and MOVE_ASIDE not in r.stderr
    else:
        assert len(json.loads(r.stdout)) > 20


def _corrupt(db: Path, table: str) -> None:
    conn = sqlite3.connect(db)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?",
                        (table,)).fetchone()[0]
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    with open(db, "r+b") as fh:
        fh.seek((root - 1) * page_size + 8)
        fh.write(b"\xff\x13\x37" * 300)


@pytest.mark.parametrize(("table", "args"), [
    ("case_events", ["prisoners", "list"]),
    ("persons", ["prisoners", "list", "-f", "json"]),
    ("sources", ["sources", "list"]),
    ("contacts", ["contacts", "add", "A B", "--kind", "press", "-s", SRC]),
    ("case_events", ["export"]),
])
def test_corrupt_page_is_one_line(cli, error_line, db_path, table: str, args: list[str]) -> None:
    _corrupt(db_path, table)
    line = error_line(cli(*args))
    assert "internal error" not in line
    assert "not a usable campaign store" in line or "failed" in line


def test_not_a_database_is_one_line(cli, error_line, tmp_path, monkeypatch) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"not sqlite " * 500)
    monkeypatch.setenv("CAMPAIGN_DB", str(bad))
    before = bad.read_bytes()
    assert "not a usable campaign store" in error_line(cli("prisoners", "list"))
    assert bad.read_bytes() == before


def _full_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    """No page may be added to the store: SQLite answers as on a full disk (SQLITE_FULL)."""
    real = Store.__init__

    def init(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        real(self, *args, **kwargs)
        pages = self.conn.execute("PRAGMA page_count").fetchone()[0]
        self.conn.execute(f"PRAGMA max_page_count = {pages}")

    monkeypatch.setattr(Store, "__init__", init)


def test_full_disk_import_says_so(cli, error_line, db_path, tmp_path, monkeypatch) -> None:
    lines = ["pack: t", "title: T", "sources:",
             "  - {id: s1, title: t, publisher: p, published: '2012'}", "demands:"]
    lines += [f"  - {{id: d{n}, text: '{'x' * 200}', sources: [s1]}}" for n in range(2000)]
    pack = tmp_path / "big.yaml"
    pack.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = export(db_path)
    _full_disk(monkeypatch)
    line = error_line(cli("import", str(pack)))
    assert "disk is full" in line and "rollback" not in line and MOVE_ASIDE not in line
    monkeypatch.undo()
    assert export(db_path) == before


def test_full_disk_replace_keeps_the_store(cli, error_line, db_path, tmp_path,
                                           monkeypatch) -> None:
    lines = ["pack: t", "title: T", "sources:",
             "  - {id: s1, title: t, publisher: p, published: '2012'}", "contacts:"]
    lines += [f"  - {{id: c{n}, name: C {n}, kind: press, role: '{'r' * 300}', "
              "sources: [s1]}" for n in range(2000)]
    pack = tmp_path / "big.yaml"
    pack.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = export(db_path)
    _full_disk(monkeypatch)
    r = cli("import", str(pack), "--replace")
    assert r.exit_code == 1 and "Traceback" not in r.output
    line = error_line(r)
    assert "disk is full" in line
    assert not list(db_path.parent.glob(f"{db_path.name}.before-replace-*"))
    monkeypatch.undo()
    assert export(db_path) == before


def test_busy_store_is_not_called_unusable(cli, error_line, db_path, monkeypatch) -> None:
    monkeypatch.setattr(campaign.store, "BUSY_SECONDS", 0.2)
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        line = error_line(cli("contacts", "add", "A B", "--kind", "press", "-s", SRC))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert "busy" in line and MOVE_ASIDE not in line


def test_newer_schema_is_one_line(cli, error_line, tmp_path, monkeypatch) -> None:
    path = tmp_path / "new.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 3}")
    conn.close()
    monkeypatch.setenv("CAMPAIGN_DB", str(path))
    assert "newer campaign" in error_line(cli("sources", "list"))


def test_store_is_a_directory(cli, error_line, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CAMPAIGN_DB", str(tmp_path))
    assert "is a directory" in error_line(cli("sources", "list"))


def test_store_under_a_file(cli, error_line, tmp_path, monkeypatch) -> None:
    blocker = tmp_path / "f"
    blocker.write_text("x")
    monkeypatch.setenv("CAMPAIGN_DB", str(blocker / "s.db"))
    assert "cannot create the store" in error_line(cli("sources", "list"))


def test_explain_integrity_error_is_one_line() -> None:
    err = campaign.store.explain(sqlite3.IntegrityError("UNIQUE constraint failed: x"), "s.db")
    assert "\n" not in str(err) and "rule" in str(err)


# -- every record removable ------------------------------------------------------


def _history(cli, name: str = "Roza Tuletaeva") -> list[dict]:  # type: ignore[no-untyped-def]
    return json.loads(cli("prisoners", "history", name, "-f", "json").stdout)


def test_history_shows_event_ids(cli) -> None:
    r = cli("prisoners", "history", "Roza Tuletaeva")
    first = _history(cli)[0]
    assert r.exit_code == 0 and f"│ {first['id']} " in r.stdout


def test_unrecord_a_bad_event_mends_the_store(cli, db_path) -> None:
    st_ = Store(db_path)
    with st_.transaction():
        eid = st_.insert("case_events", {"person_id": "roza-tuletaeva", "kind": "released",
                                         "date": "0000", "quotes": []})
        st_.cite("case_event", eid, [SRC])
    st_.close()
    r = cli("prisoners", "unrecord", str(eid), "--yes")
    assert r.exit_code == 0, r.stderr
    assert all(e["id"] != eid for e in _history(cli))
    st_ = Store(db_path)
    assert str(eid) not in st_.citations("case_event")
    st_.close()
    assert cli("export").exit_code == 0 and cli("prisoners", "list").exit_code == 0


@pytest.mark.parametrize(("arg", "words", "code"), [
    ("99999999999999999999999", "no case event", 1),
    ("123456", "no case event", 1),
    ("abc", "not an event id", 2),
    ("", "not an event id", 2),
])
def test_unrecord_bad_ids(cli, error_line, db_path, arg: str, words: str, code: int) -> None:
    before = export(db_path)
    assert words in error_line(cli("prisoners", "unrecord", arg), code)
    assert export(db_path) == before


def test_remove_person_takes_names_events_and_citations(cli, db_path) -> None:
    # A demand names her: it goes first (removing her under it is refused, issue 20).
    assert cli("prisoners", "remove", "Roza Tuletaeva").exit_code == 1
    assert cli("demands", "remove", "release-political-prisoners").exit_code == 0
    assert cli("prisoners", "remove", "Roza Tuletaeva").exit_code == 0
    st_ = Store(db_path)
    for sql in ("SELECT count(*) FROM persons WHERE id = 'roza-tuletaeva'",
                "SELECT count(*) FROM names WHERE person_id = 'roza-tuletaeva'",
                "SELECT count(*) FROM case_events WHERE person_id = 'roza-tuletaeva'",
                "SELECT count(*) FROM citations WHERE record_type = 'case_event' AND "
                "record_id NOT IN (SELECT CAST(id AS TEXT) FROM case_events)",
                "SELECT count(*) FROM citations WHERE record_type = 'person' AND "
                "record_id = 'roza-tuletaeva'"):
        assert st_.conn.execute(sql).fetchone()[0] == 0, sql
    st_.close()


@pytest.mark.parametrize(("group", "table", "rtype"), [
    ("demands", "demands", "demand"), ("events", "events", "event"),
    ("figures", "figures", "figure"), ("contacts", "contacts", "contact"),
])
def test_remove_takes_the_record_and_its_citations(cli, db_path, group: str, table: str,
                                                   rtype: str) -> None:
    rid = json.loads(cli(group, "list", "-f", "json").stdout)[0]["id"]
    r = cli(group, "remove", rid)
    assert r.exit_code == 0, r.stderr
    st_ = Store(db_path)
    assert st_.conn.execute(f"SELECT count(*) FROM {table} WHERE id = ?", (rid,)).fetchone()[0] == 0
    assert rid not in st_.citations(rtype)
    st_.close()


@pytest.mark.parametrize("group", ["demands", "events", "figures", "contacts", "sources"])
def test_remove_unknown_is_one_line(cli, error_line, db_path, group: str) -> None:
    before = export(db_path)
    assert "no " in error_line(cli(group, "remove", "no-such-record-at-all"))
    assert export(db_path) == before


def test_source_still_cited_is_not_removed(cli, error_line, db_path) -> None:
    before = export(db_path)
    assert "cited by" in error_line(cli("sources", "remove", SRC))
    assert export(db_path) == before


def test_contact_in_the_outreach_log_is_not_removed(cli, error_line, meps_db) -> None:
    st_ = Store(meps_db)
    with st_.transaction():
        st_.conn.execute("INSERT INTO outreach (contact_id, document, created, digest) "
                         "VALUES ('mep-124984', 'letter', '2020-01-01', 'x')")
    st_.close()
    before = export(meps_db)
    assert "outreach log" in error_line(cli("contacts", "remove", "mep-124984"))
    assert export(meps_db) == before
    assert files(meps_db) == files(meps_db)


def test_uncited_source_can_be_removed(cli, db_path) -> None:
    assert cli("sources", "add", "--title", "T", "--publisher", "P", "--date", "2020",
               "--id", "lonely").exit_code == 0
    assert cli("sources", "remove", "lonely").exit_code == 0
    assert "lonely" not in cli("sources", "list").stdout


@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd",
                                 "[x](http://evil.example)", "data:,x"])
def test_sources_add_refuses_other_schemes(cli, error_line, db_path, url: str) -> None:
    before = export(db_path)
    line = error_line(cli("sources", "add", "--title", "T", "--publisher", "P", "--date",
                          "2020", "--url", url), 2)
    assert "--url" in line
    assert export(db_path) == before


def test_sources_add_bare_domain_becomes_https(cli, db_path) -> None:
    assert cli("sources", "add", "--title", "T", "--publisher", "P", "--date", "2020",
               "--url", "example.org/a", "--id", "s-x").exit_code == 0
    assert json.loads(cli("sources", "show", "s-x", "-f", "json").stdout)["url"] == \
        "https://example.org/a"


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 2 MB tmpfs (root only, where mounting is allowed), unmounted after."""
    import os
    import subprocess

    where = tmp_path / "tiny"
    where.mkdir()
    if os.geteuid() != 0 or subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(where)],
        capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here; the monkeypatched full-disk tests cover it")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _fill(disk: Path, leave: int) -> Path:
    import os

    filler = disk / "filler"
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    filler.write_bytes(b"\0" * max(0, free - leave))
    return filler


def _big_pack(tmp_path: Path) -> Path:
    lines = ["pack: t", "title: T", "sources:",
             "  - {id: s1, title: t, publisher: p, published: '2012'}", "contacts:"]
    lines += [f"  - {{id: c{n}, name: C {n}, kind: press, role: '{'r' * 300}', "
              "sources: [s1]}" for n in range(3000)]
    pack = tmp_path / "big.yaml"
    pack.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return pack


def test_real_full_disk_import(cli, error_line, db_path, tmp_path, tiny_disk,
                               monkeypatch) -> None:
    import shutil

    db = tiny_disk / "store.db"
    shutil.copyfile(db_path, db)
    monkeypatch.setenv("CAMPAIGN_DB", str(db))
    before = export(db)
    filler = _fill(tiny_disk, 64 * 1024)
    line = error_line(cli("import", str(_big_pack(tmp_path))))
    assert "disk is full" in line and "rollback" not in line and MOVE_ASIDE not in line
    filler.unlink()
    assert export(db) == before


def test_real_full_disk_replace_makes_no_backup_and_replaces_nothing(
    cli, error_line, db_path, tmp_path, tiny_disk, monkeypatch
) -> None:
    import shutil

    db = tiny_disk / "store.db"
    shutil.copyfile(db_path, db)
    monkeypatch.setenv("CAMPAIGN_DB", str(db))
    before = export(db)
    filler = _fill(tiny_disk, 16 * 1024)
    line = error_line(cli("import", str(_big_pack(tmp_path)), "--replace"))
    assert "nothing was replaced" in line or "disk is full" in line
    assert not list(tiny_disk.glob("store.db.before-replace-*"))
    filler.unlink()
    assert export(db) == before


def test_store_that_is_a_fifo_is_refused_without_hanging(cli, error_line, tmp_path,
                                                          monkeypatch) -> None:
    import os

    fifo = tmp_path / "fifo.db"
    os.mkfifo(fifo)
    monkeypatch.setenv("CAMPAIGN_DB", str(fifo))
    assert "not a regular file" in error_line(cli("prisoners", "list"))
    assert not list(tmp_path.glob("fifo.db?*"))  # no journal beside it


def test_store_through_a_symlink_to_a_fifo(cli, error_line, tmp_path, monkeypatch) -> None:
    import os

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (tmp_path / "link.db").symlink_to(fifo)
    monkeypatch.setenv("CAMPAIGN_DB", str(tmp_path / "link.db"))
    assert "not a regular file" in error_line(cli("sources", "list"))


@pytest.fixture
def read_only_disk(tmp_path: Path, db_path: Path) -> Iterator[Path]:
    """A copy of the store on a real read-only file system (a tmpfs remounted ro)."""
    import os
    import shutil
    import subprocess

    where = tmp_path / "ro"
    where.mkdir()
    if os.geteuid() != 0 or subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(where)],
        capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here; the mode=ro tests cover it")
    try:
        shutil.copyfile(db_path, where / "store.db")
        subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True)
        yield where / "store.db"
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def test_store_on_read_only_media_reads_and_refuses_writes(cli, error_line, read_only_disk,
                                                           monkeypatch) -> None:
    monkeypatch.setenv("CAMPAIGN_DB", str(read_only_disk))
    before = read_only_disk.read_bytes()
    r = cli("prisoners", "list", "-f", "json")
    assert r.exit_code == 0, r.stderr
    assert len(json.loads(r.stdout)) > 20
    line = error_line(cli("contacts", "add", "A B", "--kind", "press", "-s", SRC))
    assert "read-only" in line and MOVE_ASIDE not in line
    assert read_only_disk.read_bytes() == before


def test_new_store_on_read_only_media(cli, error_line, read_only_disk, monkeypatch) -> None:
    monkeypatch.setenv("CAMPAIGN_DB", str(read_only_disk.with_name("new.db")))
    assert "cannot create the store" in error_line(cli("sources", "list"))
