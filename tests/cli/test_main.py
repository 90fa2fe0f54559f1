"""The real entry point (`python -m campaign`), which leaves with os._exit.

CliRunner never goes through ``main()``, so these run a child process: what the
fast exit could lose (buffered output, an uncheckpointed store, an exit code)
is checked from outside, as a shell would see it.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import one_error_line, snapshot
from typer.testing import Result


def campaign(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "campaign", "--db", str(db), *args],
                          capture_output=True, text=True, timeout=120, check=False)


def test_all_of_a_long_output_reaches_the_pipe(db_path: Path, cli: Callable[..., Result]
                                               ) -> None:
    done = campaign("timeline", "--format", "json", db=db_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert json.loads(done.stdout) == json.loads(cli("timeline", "--format", "json").stdout)


def test_a_change_is_in_the_store_file_itself_after_exit(db_path: Path, tmp_path: Path) -> None:
    """The store was closed (its WAL checkpointed) before the process left, so the
    .db file alone, copied as a user would copy it, holds the change."""
    done = campaign("profile", "set", "--name", "Ana Branch-Secretary", db=db_path)
    assert done.returncode == 0, done.stderr
    copy = tmp_path / "copied.db"
    shutil.copy(db_path, copy)  # the file only, no -wal beside it
    con = sqlite3.connect(copy)
    try:
        assert "Ana Branch-Secretary" in str(con.execute("SELECT * FROM profile").fetchall())
    finally:
        con.close()


def test_written_files_are_there_after_exit(meps_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "letters"
    done = campaign("letter", "--to", "mep", "--country", "IE", "--sender", "Ana", "-o",
                    str(out), "--format", "md", db=meps_db)
    assert done.returncode == 0, done.stderr
    files = sorted(out.iterdir())
    assert len(files) > 1
    assert all(f.read_text(encoding="utf-8").startswith("Ana") for f in files)


@pytest.mark.parametrize(("args", "code"), [
    (("prisoners", "show", "nobody-at-all"), 1),
    (("no-such-command",), 2),
    (("--version",), 0),
])
def test_exit_codes(db_path: Path, args: tuple[str, ...], code: int) -> None:
    done = campaign(*args, db=db_path)
    assert done.returncode == code
    if code == 1:
        assert done.stderr.startswith("campaign: error: ")
        assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(("code", "status", "stderr"), [
    ("None", 0, ""), ("3", 3, ""), ("-1", 255, ""), ("'went wrong'", 1, "went wrong\n"),
])
def test_hard_exit_means_what_sys_exit_means(code: str, status: int, stderr: str) -> None:
    script = ("import sys\nfrom campaign.cli import hard_exit\n"
              "sys.stdout.write('unflushed')\n"
              f"hard_exit({code})\nprint('not reached')\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, check=False)
    assert (done.returncode, done.stdout, done.stderr) == (status, "unflushed", stderr)


@pytest.mark.parametrize("args,says", [
    (["prisoners", "show", "-0"], "No such option: -0; see `campaign prisoners show --help`"),
    (["nosuch"], "No such command 'nosuch'; see `campaign --help`"),
    (["events", "upcoming", "--days", "abc"], "'abc' is not a valid int"),
    (["outreach", "mark", "x", "sent"], "see `campaign outreach mark --help`"),
    (["prisoners", "update", "Roza Tuletaeva"], "Missing option '--status'"),
])
def test_wrong_usage_is_one_line(cli, args: list[str], says: str) -> None:  # type: ignore[no-untyped-def]
    """Click's usage block becomes the one line every other error is, exit 2."""
    r = cli(*args)
    assert r.exit_code == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("campaign: error: ") and says in lines[0]


def test_a_group_alone_still_shows_its_help(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("prisoners")
    assert "Commands:" in r.output and "campaign: error" not in r.output


# -- ids (and every integer) are ASCII digits --------------------------------------------

@pytest.mark.parametrize("bad", ["1_0", "٣", "１０", "+3", " 3"])
def test_outreach_mark_refuses_what_int_would_read(cli: Any, db_path: Path, bad: str) -> None:
    """`outreach mark 1_0 sent` marked entry 10 (click's int() reads 1_0 as 10, ٣ as 3)."""
    from campaign.outreach import entries, record
    from campaign.store import Store

    st = Store(db_path)
    try:
        [contact] = st.conn.execute("SELECT id FROM contacts ORDER BY id LIMIT 1").fetchone()
        with st.transaction():
            record(st, [{"contact_id": contact, "document": "letter-mep",
                         "digest": f"d{n}", "created": "2026-12-01T10:00:00"}
                        for n in range(12)])
    finally:
        st.close()
    before = snapshot(db_path)
    line = one_error_line(cli("outreach", "mark", bad, "sent"), 2)
    assert "digits 0-9" in line and "outreach mark --help" in line
    assert snapshot(db_path) == before
    st = Store(db_path)
    try:
        assert {e["state"] for e in entries(st)} == {"drafted"}
    finally:
        st.close()


@pytest.mark.parametrize("args", [("announce", "--max-people", "1_0"),
                                  ("demands", "list", "--lapse-years", "٣"),
                                  ("events", "upcoming", "--days", "１０"),
                                  ("meps", "fetch", "--retries", "1_0")])
def test_integer_options_are_ascii_digits(cli: Any, args: tuple[str, ...]) -> None:
    assert "digits 0-9" in one_error_line(cli(*args), 2)


def test_every_integer_parameter_of_every_command_reads_ascii_digits() -> None:
    """The rule is applied as commands are built: no command, today's or a new one, keeps
    click's int() for an option or argument."""
    from typer._click import types

    from campaign.cli import GROUPS, AsciiInt, CampaignGroup, lazy_group

    root = CampaignGroup(name="campaign")
    found = []
    for name in root.list_commands(None):  # type: ignore[arg-type]
        command = root.get_command(None, name)  # type: ignore[arg-type]
        subs = [command.get_command(None, n) for n in command.list_commands(None)] \
            if name in GROUPS else [command]
        assert name not in GROUPS or lazy_group(name) is not None
        for sub in subs:
            for param in sub.params:
                if isinstance(param.type, AsciiInt):
                    found.append("ok")
                elif isinstance(param.type, types.IntParamType):
                    found.append(f"{name} {sub.name} {param.name}")
    assert found and set(found) == {"ok"}, [f for f in found if f != "ok"]
