"""Hostile email addresses and names: one address per field, no header tricks, and
control characters that never reach (or break) a Word document.

Each refused case: its exit code, one `campaign: error:` line naming the field (and
the file and line for a CSV or a pack), no traceback, the store unchanged.
"""

from __future__ import annotations

import io
import sqlite3
from email.headerregistry import Address
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from store_dump import dump

from campaign.records import check_email

SOURCE = "socialistworld-2014-01"
SENDER = ["--sender", "Jane Doe", "--sender-address", "1 Main Street, Dublin 1"]

BAD = [
    "victim@gov.kz,spy@evil.org",
    "victim@gov.kz, spy@evil.org",
    "victim@gov.kz;spy@evil.org",
    "Victim <victim@gov.kz>",
    "<victim@gov.kz>",
    "victim@gov.kz spy@evil.org",
    '"victim"@gov.kz',
    "victim(comment)@gov.kz",
    "victim@gov.kz\r\nBcc: spy@evil.org",
    "victim@gov.kz\nBcc: spy@evil.org",
    "victim@@gov.kz",
    "victim@gov@kz",
    "@gov.kz",
    "victim@",
    "victim",
    "vic..tim@gov.kz",
    "victim@[127.0.0.1]",
    "victim@gov.kz\\",
]
GOOD = ["sean.kelly@europarl.europa.eu", "o'brien@unite.ie", "a+campaign@example.org",
        "ALL.CAPS@Example.ORG", "x@localhost"]


@pytest.fixture
def ready(cli: Any, meps_db: Path) -> Path:
    assert cli("prisoners", "list").exit_code == 0
    return meps_db


@pytest.mark.parametrize("address", BAD)
def test_check_email_refuses(address: str) -> None:
    with pytest.raises(ValueError) as info:
        check_email(address)
    assert "\n" not in str(info.value).replace(address, "")


@pytest.mark.parametrize("address", GOOD)
def test_check_email_takes_one_plain_address(address: str) -> None:
    assert check_email(address) == address


@pytest.mark.parametrize("address", [a for a in BAD if "\r" not in a and "\n" not in a])
def test_contacts_add_refuses(cli: Any, ready: Path, error_line: Any, address: str) -> None:
    before = dump(ready)
    line = error_line(cli("contacts", "add", "John Smith", "--kind", "press", "--email", address,
                          "--source", SOURCE), 2)
    assert "email" in line
    assert dump(ready) == before


@pytest.mark.parametrize("address", [a for a in BAD if "\r" in a or "\n" in a])
def test_contacts_add_refuses_a_line_break(cli: Any, ready: Path, error_line: Any,
                                           address: str) -> None:
    before = dump(ready)
    error_line(cli("contacts", "add", "John Smith", "--kind", "press", "--email", address,
                   "--source", SOURCE), 2)
    assert dump(ready) == before


@pytest.mark.parametrize("address", BAD[:10])
def test_a_csv_row_with_a_bad_address_names_its_line(cli: Any, ready: Path, tmp_path: Path,
                                                      error_line: Any, address: str) -> None:
    import csv

    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["name", "kind", "email", "source"])
    writer.writerow(["A B", "press", "ab@example.org", SOURCE])
    writer.writerow(["John Smith", "press", address, SOURCE])
    path = tmp_path / "contacts.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    before = dump(ready)
    line = error_line(cli("contacts", "import", str(path)))
    assert "line 3" in line and "email" in line
    assert dump(ready) == before


@pytest.mark.parametrize("address", BAD[:4] + BAD[8:10])
def test_a_pack_with_a_bad_address_names_the_record(cli: Any, ready: Path, tmp_path: Path,
                                                    error_line: Any, address: str) -> None:
    pack = {"pack": "hostile", "title": "Hostile",
            "sources": [{"id": "s1", "title": "T", "publisher": "P", "published": "2020"}],
            "contacts": [{"id": "c1", "name": "John Smith", "kind": "press",
                          "email": address, "sources": ["s1"]}]}
    path = tmp_path / "hostile.yaml"
    path.write_text(yaml.safe_dump(pack), encoding="utf-8")
    before = dump(ready)
    line = error_line(cli("import", str(path)))
    assert "hostile.yaml" in line and "contacts.0.email" in line
    assert dump(ready) == before


@pytest.mark.parametrize("name", ["John\x1bSmith", "John\x00Smith", "John\x85Smith",
                                  "John\nSmith", "John\u009bSmith"])
def test_control_characters_in_a_contacts_name_name_the_record(
        cli: Any, ready: Path, tmp_path: Path, error_line: Any, name: str) -> None:
    pack = {"pack": "hostile", "title": "Hostile",
            "sources": [{"id": "s1", "title": "T", "publisher": "P", "published": "2020"}],
            "contacts": [{"id": "c1", "name": name, "kind": "press", "sources": ["s1"]}]}
    path = tmp_path / "hostile.yaml"
    path.write_text(yaml.safe_dump(pack), encoding="utf-8")
    before = dump(ready)
    line = error_line(cli("import", str(path)))
    assert "contacts.0.name" in line and "control character" in line
    assert dump(ready) == before


@settings(max_examples=300)
@given(st.text(min_size=1, max_size=40))
def test_whatever_passes_is_exactly_one_address(text: str) -> None:
    try:
        address = check_email(text)
    except ValueError:
        return
    assert not any(c in address for c in ",;<> \t\r\n\"()")
    assert all(ord(c) >= 0x20 and not 0x7f <= ord(c) <= 0x9f for c in address)
    local, domain = address.split("@")
    parsed = Address(username=local, domain=domain)
    assert parsed.addr_spec == address


@settings(max_examples=100)
@given(st.emails())
def test_ordinary_addresses_pass(address: str) -> None:
    if address.count("@") == 1 and "[" not in address and ".." not in address \
            and not any(c in address for c in "\"(),;<>\\ "):
        assert check_email(address) == address


# --- control characters and Word ---------------------------------------------------------

def _plant(db: Path, evil: str) -> None:
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE persons SET name = 'Roza' || ? || 'Tuletaeva' "
                     "WHERE name = 'Roza Tuletaeva'", (evil,))
        conn.execute("UPDATE contacts SET name = 'Lynn' || ? || 'BOYLAN' "
                     "WHERE name = 'Lynn BOYLAN'", (evil,))
        conn.execute("UPDATE case_events SET note = 'note' || ?", (evil,))
    conn.close()


def _docx_text(path: Path) -> str:
    import docx

    document = docx.Document(str(path))
    return "\n".join(p.text for p in document.paragraphs)


@pytest.mark.parametrize("evil", ["\x0b", "\x1b[2J", "\x00", "\x08", "\x9b", "\ufffe"])
@pytest.mark.parametrize("command", [
    ["resolution", "--prisoner", "Roza Tuletaeva"],
    ["prisoners", "print"],
    ["letter", "--to", "mep", "--country", "Ireland", *SENDER],
], ids=["resolution", "picket", "letters"])
def test_control_characters_going_to_word(cli: Any, ready: Path, tmp_path: Path, evil: str,
                                          command: list[str]) -> None:
    _plant(ready, evil)
    target = tmp_path / "out.docx"
    args = [a if a != "Roza Tuletaeva" else "Roza" for a in command]
    r = cli(*args, "-o", str(target))
    assert r.exit_code == 0, r.stderr
    assert "internal error" not in r.stderr
    text = _docx_text(target)
    assert evil not in text


def test_word_text_keeps_ordinary_text() -> None:
    from campaign.formats.docx import word_text

    assert word_text("Жаңаөзен\tline\n“quoted” — 16 December") == \
        "Жаңаөзен\tline\n“quoted” — 16 December"
    assert word_text("a\x0bb\x1bc\x7fd\x9fe\ufffff") == "a?b?c?d?e?f"


# --- the sender's address ------------------------------------------------------------------

@pytest.mark.parametrize("address", BAD[:8])
def test_a_sender_email_is_one_address(cli: Any, ready: Path, tmp_path: Path,
                                       error_line: Any, address: str) -> None:
    before = dump(ready)
    line = error_line(cli("letter", "--to", "mep", "--country", "Ireland", *SENDER,
                          "--sender-email", address, "-f", "eml",
                          "-o", str(tmp_path / "drafts") + "/"), 2)
    assert "--sender-email" in line
    assert dump(ready) == before and not (tmp_path / "drafts").exists()


@pytest.mark.parametrize("address", BAD[:4])
def test_a_profile_email_is_one_address(cli: Any, ready: Path, error_line: Any,
                                        address: str) -> None:
    before = dump(ready)
    assert "--email" in error_line(cli("profile", "set", "--name", "Jane Doe", "--email",
                                       address), 2)
    assert dump(ready) == before
