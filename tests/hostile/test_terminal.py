"""Terminal escapes: record text never drives the terminal it is printed on.

Escape sequences are planted straight into a store (as a store from an older version,
or one edited by hand, could hold them); every command that prints record text must
show them neutralised. At the entry points (arguments, packs, CSV) they are refused
with one line.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from store_dump import dump

ESCAPES = {
    "osc-title": "\x1b]0;pwned\x07",
    "clear-screen": "\x1b[2J",
    "c1-csi": "\x9b31m",
    "carriage-return": "safe\roverwritten",
    "backspace": "ab\x08\x08XY",
    "nul": "a\x00b",
    "del": "a\x7fb",
}
FORBIDDEN = ("\x1b", "\x07", "\x9b", "\r", "\x08", "\x00", "\x7f")
SOURCE = "socialistworld-2014-01"


@pytest.fixture
def ready(cli: Any, db_path: Path) -> Path:
    assert cli("prisoners", "list").exit_code == 0
    return db_path


def plant(db: Path, evil: str) -> dict[str, str]:
    """The evil text in a person, a case event, a source and a demand; their ids."""
    conn = sqlite3.connect(db)
    with conn:
        pid, name = conn.execute("SELECT id, name FROM persons WHERE name LIKE 'Roza%'"
                                 ).fetchone()
        conn.execute("UPDATE persons SET description = ? WHERE id = ?",
                     (f"oil worker {evil}", pid))
        conn.execute("UPDATE case_events SET note = ?, place = ? WHERE person_id = ?",
                     (f"note {evil}", f"Aktau {evil}", pid))
        conn.execute("UPDATE sources SET title = ?, publisher = ? WHERE id = ?",
                     (f"Title {evil}", f"Publisher {evil}", SOURCE))
        did = conn.execute("SELECT id FROM demands LIMIT 1").fetchone()[0]
        conn.execute("UPDATE demands SET text = ?, addressed_to = ? WHERE id = ?",
                     (f"Free them {evil}", f"the government {evil}", did))
        conn.execute("UPDATE events SET title = ? WHERE id = (SELECT id FROM events LIMIT 1)",
                     (f"Event {evil}",))
    conn.close()
    return {"person": name, "demand": did}


def clean(text: str) -> bool:
    return not any(c in text for c in FORBIDDEN)


COMMANDS = [
    lambda ids: ["sources", "show", SOURCE],
    lambda ids: ["sources", "show", SOURCE, "--text"],
    lambda ids: ["sources", "list"],
    lambda ids: ["sources", "list", "-f", "md"],
    lambda ids: ["prisoners", "show", ids["person"]],
    lambda ids: ["prisoners", "history", ids["person"]],
    lambda ids: ["prisoners", "show", ids["person"], "-f", "md"],
    lambda ids: ["prisoners", "list"],
    lambda ids: ["demands", "show", ids["demand"]],
    lambda ids: ["demands", "list", "-f", "md"],
    lambda ids: ["events", "list"],
    lambda ids: ["timeline"],
    lambda ids: ["timeline", "-f", "md"],
]
COMMAND_IDS = ["sources-show", "sources-show-text", "sources-list", "sources-list-md",
               "prisoners-show", "prisoners-history", "prisoners-show-md", "prisoners-list",
               "demands-show", "demands-list-md", "events-list", "timeline", "timeline-md"]


@pytest.mark.parametrize("command", COMMANDS, ids=COMMAND_IDS)
@pytest.mark.parametrize("evil", list(ESCAPES.values())[:3], ids=list(ESCAPES)[:3])
def test_planted_escapes_never_reach_the_terminal(cli: Any, ready: Path, command: Any,
                                                  evil: str) -> None:
    ids = plant(ready, evil)
    r = cli(*command(ids))
    assert r.exit_code == 0, r.stderr
    assert clean(r.stdout), repr(r.stdout[:400])


@pytest.mark.parametrize("evil", list(ESCAPES.values())[3:], ids=list(ESCAPES)[3:])
def test_other_control_characters_are_made_visible(cli: Any, ready: Path, evil: str) -> None:
    ids = plant(ready, evil)
    for args in (["prisoners", "show", ids["person"]], ["sources", "show", SOURCE],
                 ["demands", "show", ids["demand"]]):
        r = cli(*args)
        assert r.exit_code == 0 and clean(r.stdout), repr(r.stdout)


def test_json_escapes_them(cli: Any, ready: Path) -> None:
    import json

    plant(ready, ESCAPES["osc-title"])
    r = cli("sources", "show", SOURCE, "-f", "json")
    assert clean(r.stdout) and "\x1b" in json.loads(r.stdout)["title"]  # the data, kept exact


def test_an_error_naming_planted_text_is_one_clean_line(cli: Any, ready: Path,
                                                        error_line: Any) -> None:
    conn = sqlite3.connect(ready)
    with conn:
        conn.execute("UPDATE persons SET name = 'Roza Tuletaeva\x1b]0;x\x07' "
                     "WHERE name = 'Roza Tuletaeva'")
        conn.execute("UPDATE names SET name = 'Roza Tuletaeva\x1b]0;x\x07' "
                     "WHERE name = 'Roza Tuletaeva'")
    conn.close()
    line = error_line(cli("prisoners", "show", "Roza Tuletaevx"))
    assert clean(line)


# --- refused where they would come in -----------------------------------------------------

ARGUMENT_CASES = [
    ["prisoners", "add", "Evil\x1b]0;x\x07", "--source", SOURCE],
    ["prisoners", "add", "Someone", "--description", "a\x1b[2J", "--source", SOURCE],
    ["prisoners", "alias", "Roza Tuletaeva", "R\x1b[2Joza"],
    ["prisoners", "update", "Roza Tuletaeva", "--status", "released", "--date", "2016",
     "--note", "x\x9b2J", "--source", SOURCE],
    ["sources", "add", "--title", "T\x1b[2J", "--publisher", "P", "--date", "2020"],
    ["events", "add", "Picket\x07", "--date", "2026-12-16", "--source", SOURCE],
    ["demands", "add", "Free\x1b them", "--source", SOURCE],
    ["contacts", "add", "Ambassador\x1b]0;x\x07", "--kind", "embassy", "--source", SOURCE],
    ["profile", "set", "--name", "Jane\x00Doe"],
    ["resolution", "--branch", "Dublin\x1b[2J"],
]


@pytest.mark.parametrize("args", ARGUMENT_CASES, ids=lambda a: "-".join(a[:2]))
def test_control_characters_in_arguments_are_refused(cli: Any, ready: Path, tmp_path: Path,
                                                     error_line: Any, args: list[str]) -> None:
    before = dump(ready)
    line = error_line(cli(*args), 2)
    assert "control character" in line and clean(line)
    assert dump(ready) == before


def test_a_pack_with_escapes_is_refused_naming_the_record(cli: Any, ready: Path,
                                                          tmp_path: Path,
                                                          error_line: Any) -> None:
    pack = {"pack": "hostile", "title": "Hostile",
            "sources": [{"id": "s1", "title": "T", "publisher": "P", "published": "2020"}],
            "persons": [{"id": "p1", "name": "Evil\x1b]0;pwned\x07", "sources": ["s1"]}]}
    path = tmp_path / "hostile.yaml"
    path.write_text(yaml.safe_dump(pack), encoding="utf-8")
    before = dump(ready)
    line = error_line(cli("import", str(path)))
    assert "hostile.yaml" in line and "persons.0" in line and "control character" in line
    assert clean(line) and dump(ready) == before


def test_a_csv_with_escapes_is_refused_naming_the_line(cli: Any, ready: Path, tmp_path: Path,
                                                       error_line: Any) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text(f"name,kind,source\nA B,press,{SOURCE}\nEvil\x1b[2J,press,{SOURCE}\n",
                    encoding="utf-8")
    before = dump(ready)
    line = error_line(cli("contacts", "import", str(path)))
    assert "line 3" in line and "name" in line and clean(line)
    assert dump(ready) == before


# --- an output that cannot encode the text ----------------------------------------------

@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
@pytest.mark.parametrize("args", [
    ["prisoners", "list"], ["prisoners", "show", "Roza Tuletaeva"], ["resolution"],
    ["sources", "show", SOURCE, "--text"], ["timeline", "-f", "md"], ["export"],
    ["prisoners", "list", "-f", "csv"], ["events", "upcoming", "--days", "3660"],
], ids=lambda a: "-".join(a[:2]))
def test_an_output_encoding_without_the_letters_degrades(ready: Path, args: list[str],
                                                         encoding: str) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONIOENCODING": encoding, "LC_ALL": "C"}
    env.pop("CAMPAIGN_DEBUG", None)
    done = subprocess.run([sys.executable, "-m", "campaign", *args], env=env,
                          capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert b"Traceback" not in done.stderr and done.stderr == b""
    # In the encoding asked for (escaped where it has no letter), or in UTF-8 where click
    # judges an ASCII stream misconfigured and writes UTF-8 itself: never a failure.
    try:
        assert done.stdout.decode(encoding)
    except UnicodeDecodeError:
        assert done.stdout.decode("utf-8")


def test_an_error_naming_cyrillic_in_ascii_is_one_line(ready: Path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    done = subprocess.run([sys.executable, "-m", "campaign", "prisoners", "show", "Жаңаөзен"],
                          env=env, capture_output=True, timeout=60)
    assert done.returncode == 1
    lines = done.stderr.decode("utf-8").strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("campaign: error: ")


# --- any text at all, where a name or a value goes ------------------------------------------

ANY_TEXT_COMMANDS = [
    lambda s: ["prisoners", "show", s],
    lambda s: ["prisoners", "update", s, "--status", "released", "--date", "2016",
               "--source", SOURCE],
    lambda s: ["sources", "show", s],
    lambda s: ["demands", "show", s],
    lambda s: ["resolution", "--branch", s, "--prisoner", s],
    lambda s: ["resolution", "--as-of", s],
    lambda s: ["announce", "--kind", "picket", "--date", s, "--place", "x", "--city", "y"],
    lambda s: ["announce", "--kind", "picket", "--date", "2026-12-16", "--time", s,
               "--timezone", s, "--place", "x", "--city", "y"],
    lambda s: ["events", "upcoming", "--from", s],
    lambda s: ["contacts", "add", s, "--kind", "press", "--email", s, "--source", SOURCE],
    lambda s: ["profile", "set", "--name", s, "--email", s],
    # Output paths kept inside the test's directory (the command runs there): "/x" as
    # root would write to /.
    lambda s: ["export", "-o", "./" + s],
    lambda s: ["resolution", "-o", "./" + s],
    lambda s: ["import", s],
    lambda s: ["contacts", "import", s],
    lambda s: ["letter", "--to", "prisoner", "--prisoner", s, "--sender", "J",
               "--note", "./" + s],
    lambda s: ["letter", "--to", "mep", "--country", s, "--sender", "J", "-o", "./" + s],
    lambda s: ["demands", "add", s, "--source", SOURCE, "--made", s],
    lambda s: ["prisoners", "list", "--as-of", s, "-f", "csv"],
]
SPECIAL_TEXT = ["-", "~", "~0", ".", "..", "x.pdf", "x.docx", "x/", "2199-12-31",
                "1800-01-01", "2026-02-29", "x.eml", "x.ics"]


@settings(max_examples=250, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(which=st.integers(0, len(ANY_TEXT_COMMANDS) - 1),
       text=st.one_of(st.text(max_size=30), st.sampled_from(SPECIAL_TEXT)))
def test_any_text_ends_in_a_result_or_one_line(cli: Any, ready: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch, which: int,
                                               text: str) -> None:
    monkeypatch.chdir(tmp_path)  # any file a command writes lands in the test's directory
    args = ANY_TEXT_COMMANDS[which](text)
    r = cli(*args)
    assert "internal error" not in r.stderr and "Traceback" not in r.output, (args, r.stderr)
    if r.exit_code != 0:
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("campaign: error: "), (args, r.stderr)
    assert clean(r.stderr)


@pytest.mark.parametrize("field,value,ok", [
    ("name", "Roza Tuletaeva", True), ("name", "Roza\nTuletaeva", False),
    ("note", "two\nlines\tand a tab", True), ("note", "bell\x07", False),
    ("title", "a\x9bb", False), ("description", "a\rb", True),
])
def test_check_text_for_callers_outside_the_models(field: str, value: str, ok: bool) -> None:
    from campaign.records import check_text

    if ok:
        assert check_text(field, value) == value
    else:
        with pytest.raises(ValueError, match="control character"):
            check_text(field, value)


@pytest.mark.parametrize("args", [
    ["prisoners", "add", "Evil\nName", "--source", SOURCE],
    ["prisoners", "add", "Evil\tName", "--source", SOURCE],
    ["prisoners", "add", "Someone New", "--alias", "Other\nName", "--source", SOURCE],
    ["prisoners", "alias", "Roza Tuletaeva", "Roza\r\nT"],
], ids=["newline", "tab", "alias-newline", "alias-crlf"])
def test_a_name_on_two_lines_is_refused(cli: Any, ready: Path, error_line: Any,
                                        args: list[str]) -> None:
    before = dump(ready)
    line = error_line(cli(*args))
    assert "control character" in line and clean(line)
    assert dump(ready) == before
