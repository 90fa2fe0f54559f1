"""contacts list/add/import, and CSV exports that spreadsheets cannot run."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.engines  # on SQLite and on PostgreSQL


def test_bundled_contacts_are_historical(cli) -> None:  # type: ignore[no-untyped-def]
    contacts = json.loads(cli("contacts", "list", "--kind", "mep", "--format", "json").stdout)
    murphy = [c for c in contacts if c["name"] == "Paul Murphy"]
    assert murphy and murphy[0]["historical"] is True
    assert all(c["email"] is None for c in contacts)  # the sources give none


def test_add_and_filter_by_country_in_any_language(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("contacts", "add", "Ann Example", "--kind", "union", "--country", "Irlande",
            "--email", "ann@example.org", "--source", "socialistworld-2014-01")
    assert r.exit_code == 0, r.output
    for name in ("Ireland", "IE", "irland"):
        found = json.loads(cli("contacts", "list", "--country", name, "--format", "json").stdout)
        assert "Ann Example" in [c["name"] for c in found]
        assert all(c["country"] == "Ireland" or c["name"] == "Ann Example" for c in found)


def test_bad_email_is_refused(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("contacts", "add", "Ann", "--kind", "union", "--email", "not-an-email",
            "--source", "socialistworld-2014-01")
    assert r.exit_code == 2 and "not an email address" in r.stderr


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "contacts.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_import_csv(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = _csv(tmp_path, "name,kind,country,email,source\n"
                          "Dublin Trades Council,union,Ireland,,socialistworld-2014-01\n"
                          "=HYPERLINK(\"http://x\"),press,France,,socialistworld-2014-01\n")
    r = cli("contacts", "import", str(path))
    assert r.exit_code == 0, r.output
    out = cli("contacts", "list", "--format", "csv").stdout
    rows = list(csv.reader(io.StringIO(out)))
    cells = [c for row in rows for c in row]
    assert "'=HYPERLINK(\"http://x\")" in cells
    assert not any(c.startswith("=") for c in cells)


def test_import_csv_errors_name_file_and_line(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    before = cli("export").stdout
    cases = [
        ("name,kind,colour,source\nA,union,red,socialistworld-2014-01\n", "unknown column"),
        ("name,kind,source\nA,union,socialistworld-2014-01\nB,spy,socialistworld-2014-01\n",
         "line 3"),
        ("name,kind,source\nA,union,no-such-source\n", "unknown source"),
        ("name,kind,email,source\nA,union,a at b,socialistworld-2014-01\n", "line 2"),
        ("name,kind\nA,union\n", "no 'source' column"),
    ]
    for text, words in cases:
        r = cli("contacts", "import", str(_csv(tmp_path, text)))
        assert r.exit_code == 1, text
        assert words in r.stderr and "contacts.csv" in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1
    assert cli("export").stdout == before
    r = cli("contacts", "import", str(tmp_path / "missing.csv"))
    assert r.exit_code == 1 and "no such file" in r.stderr


def test_add_with_id_updates_and_keeps_the_rest(cli) -> None:  # type: ignore[no-untyped-def]
    before = json.loads(cli("contacts", "list", "--kind", "embassy", "--format", "json").stdout)
    assert before, "the bundled pack names the Kazakhstan Embassy in Belgium"
    embassy = before[0]
    r = cli("contacts", "add", embassy["name"], "--kind", "embassy", "--id", embassy["id"],
            "--postal-address", "Street 1\nCity", "--source", "socialistworld-2014-01")
    assert r.exit_code == 0, r.output
    after = json.loads(cli("contacts", "list", "--kind", "embassy", "--format", "json").stdout)
    assert len(after) == len(before)
    updated = next(c for c in after if c["id"] == embassy["id"])
    assert updated["postal_address"] == "Street 1\nCity"
    assert updated["role"] == embassy["role"]
    assert set(embassy["sources"]) <= set(updated["sources"])


def test_the_list_shows_who_is_not_to_be_contacted(cli) -> None:  # type: ignore[no-untyped-def]
    """A contact marked not to be written to is shown so in the list a user reads before
    a merge (JSON: ``no_contact``, the date; the column appears only when someone is)."""
    table = cli("contacts", "list", "--kind", "mep", "-f", "md").stdout
    assert "no contact since" not in table
    listed = json.loads(cli("contacts", "list", "--kind", "mep", "-f", "json").stdout)
    assert listed and all(c["no_contact"] is None for c in listed)
    r = cli("contacts", "set", "Paul Murphy", "--no-contact", "--reason", "asked us to stop")
    assert r.exit_code == 0, r.output
    listed = json.loads(cli("contacts", "list", "--kind", "mep", "-f", "json").stdout)
    marked = {c["name"]: c["no_contact"] for c in listed if c["no_contact"]}
    assert list(marked) == ["Paul Murphy"]
    assert len(marked["Paul Murphy"]) == 10 and marked["Paul Murphy"][4] == "-"  # a date
    table = cli("contacts", "list", "--kind", "mep", "-f", "md").stdout
    assert "no contact since" in table
    row = next(line for line in table.splitlines() if line.startswith("| Paul Murphy |"))
    assert row.rstrip(" |").endswith(marked["Paul Murphy"])
    assert cli("contacts", "set", "Paul Murphy", "--contact-ok").exit_code == 0
    assert "no contact since" not in cli("contacts", "list", "--kind", "mep", "-f", "md").stdout
