"""Hostile input to `campaign letter`: names that look like links or carry control
characters, notes that are not text. One line, exit 1, nothing written; never a live
link in a Word or PDF letter."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from campaign.store import Store

SENDER = ["--sender", "Jane Doe", "--sender-org", "Unite Dublin Central"]
LINK = "[click](http://evil.example)"


@pytest.fixture(autouse=True)
def _meps(meps_db: Path) -> Path:
    return meps_db


def _add_contact(db: Path, name: str, kind: str = "mep", **extra: str) -> None:
    with Store(db) as st, st.transaction():
        st.add_contact({"id": "hostile", "name": name, "kind": kind, "country": "Ireland",
                        "status": "current", "postal_address": "1 Road\nDublin", **extra},
                       ["ep-meps"])


def _docx_links(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        rels = z.read("word/_rels/document.xml.rels").decode()
        body = z.read("word/document.xml").decode()
    assert "evil.example" in body  # the name is there, as text
    return [r for r in rels.split("<Relationship ") if "hyperlink" in r]


def _pdf_links(path: Path) -> list[object]:
    from pypdf import PdfReader

    found = []
    for page in PdfReader(path).pages:
        for annot in page.get("/Annots") or []:
            obj = annot.get_object()
            if obj.get("/Subtype") == "/Link":
                found.append(obj)
    return found


@pytest.mark.parametrize("fmt", ["docx", "pdf"])
def test_a_contact_named_like_a_link_is_text(cli, meps_db: Path, tmp_path: Path,
                                             fmt: str) -> None:
    _add_contact(meps_db, LINK)
    out = tmp_path / f"one.{fmt}"
    r = cli("letter", "--to", "mep", "--contact", "hostile", *SENDER, "-o", str(out))
    assert r.exit_code == 0, r.stderr
    if fmt == "docx":
        assert _docx_links(out) == []
    else:
        from pypdf import PdfReader

        assert _pdf_links(out) == []
        assert "evil.example" in PdfReader(out).pages[0].extract_text()


@pytest.mark.parametrize("fmt", ["docx", "pdf"])
def test_a_prisoner_and_a_note_like_links_are_text(cli, tmp_path: Path, fmt: str) -> None:
    r = cli("prisoners", "alias", "Roza Tuletaeva", LINK)
    assert r.exit_code == 0, r.stderr
    note = tmp_path / "note.txt"
    note.write_text(f"See {LINK} and <a href='http://evil.example'>this</a>.", encoding="utf-8")
    out = tmp_path / f"p.{fmt}"
    r = cli("letter", "--to", "prisoner", "--prisoner", LINK, *SENDER, "--note", str(note),
            "-o", str(out))
    assert r.exit_code == 0, r.stderr
    assert (_docx_links(out) if fmt == "docx" else _pdf_links(out)) == []


@pytest.mark.parametrize("where", ["name", "address", "sender", "sender-org"])
def test_control_characters_are_one_line(error_line, cli, meps_db: Path, tmp_path: Path,
                                         where: str) -> None:
    args = ["letter", "--to", "mep", "--contact", "hostile", *SENDER]
    if where == "name":
        _add_contact(meps_db, "Bell\x07 Ringer")
    elif where == "address":
        _add_contact(meps_db, "Ann Other", postal_address="1 Road\x00\nDublin")
    else:
        _add_contact(meps_db, "Ann Other")
        args[args.index("--" + where) + 1] = "Jane\x1b[31m Doe"
    out = tmp_path / "letters"
    r = cli(*args, "-o", str(out))
    if where in ("name", "address"):
        # A record's control character becomes a visible "?", with one line naming it.
        assert r.exit_code == 0, r.stderr
        assert "hostile" in r.stderr and "control character" in r.stderr
        from docx import Document

        [made] = out.iterdir()
        text = "\n".join(p.text for p in Document(str(made)).paragraphs)
        assert "\x07" not in text and "\x00" not in text and "?" in text
        return
    # An option typed with one is wrong usage, refused before anything runs.
    line = error_line(r, 2)
    assert "control character" in line and "Jane" in line
    assert not out.exists()
    log = json.loads(cli("outreach", "list", "--format", "json").stdout)
    assert log == []


def test_a_windows_note_is_fine(cli, tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_bytes("\ufeffOur branch\r\nsends solidarity.\r\n".encode())
    r = cli("letter", "--to", "mep", "--contact", "Kelly", *SENDER, "--note", str(note))
    assert r.exit_code == 0, r.stderr
    assert "Our branch\nsends solidarity." in r.stdout


@pytest.mark.parametrize("content", [b"\xff\xfe\x00bad", b"x" * (64 * 1024 + 1), b"ok\x00\x00"])
def test_bad_note_files(error_line, cli, tmp_path: Path, content: bytes) -> None:
    note = tmp_path / "note.txt"
    note.write_bytes(content)
    out = tmp_path / "letters"
    r = cli("letter", "--to", "mep", "--country", "IE", *SENDER, "--note", str(note), "-o",
            str(out))
    if content == b"ok\x00\x00":
        # Valid UTF-8, but a NUL has no place in a letter: refused like a name's.
        line = error_line(r)
        assert "control character" in line
    else:
        line = error_line(r)
        assert "note.txt" in line
    assert not out.exists()


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(hs.text(hs.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1,
               max_size=40).filter(lambda s: s.strip()))
def test_any_printable_name_makes_a_word_letter(meps_db: Path, name: str) -> None:
    from docx import Document

    from campaign.documents import letters as L

    with Store(meps_db) as st:
        with st.transaction():
            st.add_contact({"id": "any", "name": name, "kind": "mep", "status": "current",
                            "postal_address": "1 Road"}, ["ep-meps"], replace=True)
        [ltr] = L.prepare(st, "mep", sender=L.Sender("Jane Doe"), contacts=["any"])
        data = L.encode_one(ltr, L.FORMATS[3])
    doc = Document(io.BytesIO(data))
    assert any(p.text.startswith("Dear ") for p in doc.paragraphs)


def test_a_name_with_a_line_break_cannot_add_a_mail_header(cli, meps_db: Path,
                                                           tmp_path: Path) -> None:
    import email
    from email import policy

    _add_contact(meps_db, "Evil\r\nBcc: all@example.org", email="evil@europarl.europa.eu")
    out = tmp_path / "drafts"
    r = cli("letter", "--to", "mep", "--contact", "hostile", *SENDER, "-f", "eml", "-o", str(out))
    assert r.exit_code == 0, r.stderr
    assert "hostile" in r.stderr  # one line naming the record
    [draft] = out.iterdir()
    msg = email.message_from_bytes(draft.read_bytes(), policy=policy.default)
    assert msg["Bcc"] is None and msg["Message-ID"]
    assert msg["To"].addresses[0].addr_spec == "evil@europarl.europa.eu"
