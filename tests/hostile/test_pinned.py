"""Behaviours a deliberate bug once changed without a failing test (issue 20, "tests that
let bugs through"): each test here pins one, by its effect."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

SENDER = ["--sender", "Jane Doe", "--sender-address", "1 Main Street, Dublin 1"]
SOURCE = "socialistworld-2014-01"


def test_the_same_contact_twice_in_a_merge_is_one_letter(cli: Any, db_path: Path,
                                                          tmp_path: Path) -> None:
    r = cli("contacts", "add", "Embassy of Kazakhstan in Ireland", "--kind", "embassy",
            "--postal-address", "1 Example Street\\nDublin", "--source", SOURCE)
    assert r.exit_code == 0, r.stderr
    out = tmp_path / "letters"
    r = cli("letter", "--to", "embassy", "--contact", "Embassy of Kazakhstan in Ireland",
            "--contact", "embassy of kazakhstan in ireland", *SENDER, "-f", "md",
            "-o", str(out) + "/")
    assert r.exit_code == 0, r.stderr
    assert len(list(out.glob("*.md"))) == 1
    assert len(json.loads(cli("outreach", "list", "-f", "json").stdout)) == 1


def test_family_letters_for_two_people_are_two_letters(cli: Any, db_path: Path) -> None:
    r = cli("letter", "--to", "family", "--prisoner", "Bazarbai Kenzhebaev", "--prisoner",
            "Roza Tuletaeva", *SENDER, "--lang", "en", "-f", "md")
    assert r.exit_code == 0, r.stderr
    letters = r.stdout.split("\n* * *\n")
    assert len(letters) == 2
    assert "Kenzhebaev" in letters[0] and "Tuletaeva" in letters[1]
    assert "Tuletaeva" not in letters[0].split("Sources:")[0]


def test_an_announcement_for_today_is_not_in_the_past(cli: Any, db_path: Path) -> None:
    today = dt.date.today()
    r = cli("announce", "--kind", "picket", "--date", today.isoformat(), "--place", "x",
            "--city", "y")
    assert r.exit_code == 0, r.stderr
    assert "past" not in r.stderr
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    r = cli("announce", "--kind", "picket", "--date", yesterday, "--place", "x", "--city", "y")
    assert r.exit_code == 0 and "in the past" in r.stderr


def test_committee_with_letters_to_prisoners_is_a_usage_error(cli: Any, db_path: Path,
                                                               error_line: Any) -> None:
    for to in ("prisoner", "family"):
        for option in ("--committee", "--delegation"):
            line = error_line(cli("letter", "--to", to, "--prisoner", "Roza Tuletaeva",
                                  option, "DROI", *SENDER), 2)
            assert "--to mep" in line
