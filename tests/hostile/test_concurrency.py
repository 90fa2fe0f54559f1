"""Parallel commands on one store, as real processes: all succeed, nothing is lost,
and no one is ever told to move a good store aside."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from campaign.store import Store

SRC = "greens-efa-2012-03-07"
N = 10


def run_parallel(commands: list[list[str]], db: Path,
                 home: Path) -> list[subprocess.CompletedProcess]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAMPAIGN_")}
    env.update(CAMPAIGN_DB=str(db), HOME=str(home), CAMPAIGN_CACHE=str(home / "cache"))
    procs = [subprocess.Popen([sys.executable, "-m", "campaign", *args], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for args in commands]
    out = []
    for p, args in zip(procs, commands, strict=True):
        stdout, stderr = p.communicate(timeout=120)
        out.append(subprocess.CompletedProcess(args, p.returncode, stdout, stderr))
    return out


def all_ok(results: list[subprocess.CompletedProcess]) -> None:
    for r in results:
        assert "move this one aside" not in r.stderr, r.stderr
        assert "Traceback" not in r.stderr
        assert r.returncode == 0, (r.args, r.stderr)


def counts(db: Path) -> dict[str, int]:
    st_ = Store(db)
    try:
        return {t: st_.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("sources", "persons", "case_events", "contacts", "citations")}
    finally:
        st_.close()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    h = tmp_path / "home"
    h.mkdir()
    return h


@pytest.fixture(scope="module")
def loaded_counts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, int]:
    from campaign.pack import load_bundled

    path = tmp_path_factory.mktemp("c") / "one.db"
    st_ = Store(path)
    load_bundled(st_)
    st_.close()
    return counts(path)


def test_ten_parallel_first_uses_of_a_new_store(tmp_path, home, loaded_counts) -> None:
    db = tmp_path / "new" / "store.db"
    results = run_parallel([["prisoners", "list", "-f", "json"]] * N, db, home)
    all_ok(results)
    for r in results:
        assert len(json.loads(r.stdout)) > 20
    assert counts(db) == loaded_counts  # loaded once, not twice


def test_parallel_first_uses_of_mixed_commands(tmp_path, home, loaded_counts) -> None:
    db = tmp_path / "store.db"
    commands = [["sources", "list"], ["contacts", "list"], ["demands", "list"],
                ["prisoners", "list"], ["timeline"], ["figures", "list"],
                ["events", "list"], ["check"], ["export"], ["prisoners", "show", "Roza"]]
    results = run_parallel(commands, db, home)
    for r in results:
        assert "move this one aside" not in r.stderr and "Traceback" not in r.stderr
        assert r.returncode in (0, 1) and "error" not in r.stderr, r.stderr
    assert counts(db) == loaded_counts
    # each saw the whole campaign, not an empty or half-loaded store
    by = {tuple(r.args): r.stdout for r in results}
    assert by[("export",)].startswith("pack:") and "roza-tuletaeva" in by[("export",)]
    assert "Roza Tuletaeva" in by[("prisoners", "show", "Roza")]
    # (tables wrap their cells: count their rows, not words)
    assert by[("timeline",)].count("\n") > 40 and by[("sources", "list")].count("\n") > 20


def test_parallel_writers_all_land(db_path, home) -> None:
    commands = [["contacts", "add", f"Parallel Person {n}", "--kind", "press", "-s", SRC]
                for n in range(N)]
    all_ok(run_parallel(commands, db_path, home))
    st_ = Store(db_path)
    names = {c["name"] for c in st_.contacts()}
    st_.close()
    assert {f"Parallel Person {n}" for n in range(N)} <= names


def test_parallel_writers_and_readers(db_path, home) -> None:
    commands = []
    for n in range(N):
        commands.append(["prisoners", "update", "Roza Tuletaeva", "--status", "imprisoned",
                         "--date", f"2013-0{n % 9 + 1}", "--source", SRC]
                        if n % 2 else ["prisoners", "list", "-f", "json"])
    before = counts(db_path)["case_events"]
    results = run_parallel(commands, db_path, home)
    all_ok(results)
    # every update landed, once, with its date; every reader read the whole list
    written = {f"2013-0{n % 9 + 1}" for n in range(N) if n % 2}
    st_ = Store(db_path)
    try:
        dated = [d for (d,) in st_.conn.execute(
            "SELECT date FROM case_events WHERE person_id = 'roza-tuletaeva'")]
    finally:
        st_.close()
    assert counts(db_path)["case_events"] == before + len(written)
    assert all(dated.count(d) == 1 for d in written)
    for r in results[::2]:
        assert "Roza Tuletaeva" in {p["name"] for p in json.loads(r.stdout)}


def test_parallel_imports_into_a_new_store(tmp_path, home) -> None:
    pack = tmp_path / "p.yaml"
    pack.write_text("pack: t\ntitle: T\nsources:\n  - {id: s1, title: t, publisher: p, "
                    "published: '2012'}\ndemands:\n  - {id: d1, text: t, sources: [s1]}\n",
                    encoding="utf-8")
    db = tmp_path / "fresh.db"
    all_ok(run_parallel([["import", str(pack)]] * N, db, home))
    st_ = Store(db)
    assert [d["id"] for d in st_.demands()].count("d1") == 1
    st_.close()
