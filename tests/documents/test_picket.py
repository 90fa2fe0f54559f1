"""campaign prisoners print: the picket sheet in every format, and what never appears on it."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

AS_OF = ("--as-of", "2026-11-23")



def add_private_contact(cli) -> None:  # type: ignore[no-untyped-def]
    """A contact record with private details, named like a prisoner: it must never show."""
    from campaign.store import Store

    st = Store()
    with st.transaction():
        st.add_contact({"id": "roza-private", "name": "Roza Tuletaeva", "kind": "campaign",
                        "email": "roza.private@example.org", "phone": "+7 700 000 0000",
                        "postal_address": "1 Secret Street, Aktau"},
                       ["socialistworld-2014-01"])
    st.close()


def test_markdown_sheet(cli) -> None:  # type: ignore[no-untyped-def]
    add_private_contact(cli)
    r = cli("prisoners", "print", *AS_OF)
    assert r.exit_code == 0, r.stderr
    out = r.stdout
    assert out.startswith("# Imprisoned, charged and killed after Zhanaozen\n")
    assert "### Roza Tuletaeva" in out and "### Vladimir Kozlov" in out
    # the dead are on the sheet by default: a picket marks the killings
    assert "## Those who died\n\n### Bazarbai Kenzhebaev" in out
    assert "**Status: imprisoned (as reported in January 2014)** [" in out
    assert "Natalia Sokolova" not in out  # released: not on the default sheet
    assert "Sheet prepared on 23 November 2026" in out
    for private in ("example.org", "+7 700", "Secret Street", "@"):
        assert private not in out
    body, _, tail = out.partition("\n## Sources\n")
    used = {int(n) for g in re.findall(r"\[(\d+(?:, \d+)*)\]", body) for n in g.split(", ")}
    listed = {int(n) for n in re.findall(r"^(\d+)\. ", tail, re.M)}
    assert used == listed == set(range(1, len(listed) + 1))


def test_status_filter_and_history(cli) -> None:  # type: ignore[no-untyped-def]
    out = cli("prisoners", "print", "--status", "released", *AS_OF).stdout
    assert "### Natalia Sokolova" in out and "### Roza Tuletaeva" not in out
    assert "Sentenced — 8 August 2011; charge: 'inciting social discord'" in out
    assert "sentence: 6 years in prison; court: Aktau City Court" in out
    assert "released (as reported in January 2014)" in out
    # as of 2012, the same person's status is what was reported by then
    early = cli("prisoners", "print", "--status", "imprisoned", "--as-of", "2012-06-01").stdout
    assert "### Natalia Sokolova" in early
    assert "Released" not in early.split("### Natalia Sokolova")[1].split("##")[0]


def test_nobody_matches(cli) -> None:  # type: ignore[no-untyped-def]
    out = cli("prisoners", "print", "--status", "fined", *AS_OF).stdout
    assert "No one on record with fined status" in out


def test_pdf_sheet(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from pypdf import PdfReader

    from campaign.people import select
    from campaign.store import Store

    add_private_contact(cli)
    out = tmp_path / "picket.pdf"
    r = cli("prisoners", "print", "--title", "Жаңаөзен: free them all", *AS_OF, "-o", str(out))
    assert r.exit_code == 0, r.stderr
    reader = PdfReader(str(out))
    pages = [p.extract_text() for p in reader.pages]
    text = "\n".join(pages)
    assert "Жаңаөзен: free them all" in pages[0]
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    st = Store()
    people = select(st, [], None, ["detained", "charged", "under investigation", "on trial",
                                   "imprisoned"])
    st.close()
    assert len(people) > 15 and len(pages) <= 3  # many names per page
    for p in people:
        # a person is never split: the name and *their own* status sit on one page, the
        # status the first after the name (not merely some "Status:" on that page)
        on = [i for i, t in enumerate(pages) if p["name"] in t]
        assert len(on) >= 1, p["name"]
        page = " ".join(pages[on[0]].split())
        after = page[page.index(p["name"]):]
        assert "Status: " in after, p["name"]
        assert after.split("Status: ", 1)[1].startswith(p["status_text"]), (
            p["name"], p["status_text"], after[:200])
    for private in ("example.org", "+7 700", "Secret Street"):
        assert private not in text
    assert "Sources" in pages[-1]


def test_pdf_keeps_each_person_whole(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Each person's status line is on the same page as their name."""
    from pypdf import PdfReader

    out = tmp_path / "picket.pdf"
    assert cli("prisoners", "print", *AS_OF, "-o", str(out)).exit_code == 0
    pages = [" ".join(p.extract_text().split()) for p in PdfReader(str(out)).pages]
    for m in re.finditer(r"### (.+)\n\n(?:.*\n\n)*?\*\*Status: (.+?)\*\*",
                         cli("prisoners", "print", *AS_OF).stdout):
        name, status = m.group(1), m.group(2)
        page = next(t for t in pages if name in t)
        assert f"Status: {status}" in page, name


def test_typst_markup_in_a_name_is_text(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from pypdf import PdfReader

    odd = "Test #set page(width: 1cm) $x$ ] [*"
    assert cli("prisoners", "add", odd, "--source", "socialistworld-2014-01").exit_code == 0
    assert cli("prisoners", "update", odd, "--status", "imprisoned", "--date", "2014-01",
               "--source", "socialistworld-2014-01").exit_code == 0
    out = tmp_path / "picket.pdf"
    assert cli("prisoners", "print", *AS_OF, "-o", str(out)).exit_code == 0
    text = " ".join("".join(p.extract_text() for p in PdfReader(str(out)).pages).split())
    assert odd in text
    md = cli("prisoners", "print", *AS_OF, "-f", "html").stdout
    assert "Test #set page(width: 1cm) $x$ ] [*" in md


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.h2: list[str] = []
        self.h3: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self._in = tag if tag in ("h2", "h3") else None

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in:
            getattr(self, self._in).append(data)


def test_html_and_docx(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from docx import Document

    html = tmp_path / "picket.html"
    assert cli("prisoners", "print", *AS_OF, "-o", str(html)).exit_code == 0
    parser = _Collect()
    parser.feed(html.read_text(encoding="utf-8"))
    assert "Roza Tuletaeva" in parser.h3 and parser.h2[-1] == "Sources"
    assert parser.h2[0] == "Strike leaders and oil workers"
    docx = tmp_path / "picket.docx"
    assert cli("prisoners", "print", *AS_OF, "-o", str(docx)).exit_code == 0
    doc = Document(str(docx))
    heads = [p.text for p in doc.paragraphs if p.style.name == "Heading 2"]
    assert heads[0] == "Strike leaders and oil workers" and heads[-1] == "Sources"
    assert "Roza Tuletaeva" in [p.text for p in doc.paragraphs if p.style.name == "Heading 3"]


def test_failures(error_line, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert "binary" in error_line(cli("prisoners", "print", "-f", "pdf"), 2)
    r = cli("prisoners", "print", "-f", "txt")
    assert r.exit_code == 2
    missing = tmp_path / "no" / "sheet.pdf"
    assert "does not exist" in error_line(cli("prisoners", "print", "-o", str(missing)))
    (tmp_path / "picket.typ").write_text("#let x = (\n", encoding="utf-8")
    out = tmp_path / "sheet.pdf"
    line = error_line(cli("prisoners", "print", "--templates", str(tmp_path), "-o", str(out)))
    assert str(tmp_path / "picket.typ") in line and not out.exists()
    assert "Ruslan" in error_line(cli("prisoners", "print", "--name", "Ruslan Simbinof"))


# -- Word laid out like the PDF, and placards ------------------------------------------

HELD = ["detained", "charged", "under investigation", "on trial", "imprisoned", "died"]


def _held_people(status: list[str] | None = None) -> list[dict]:  # type: ignore[type-arg]
    import datetime as dt

    from campaign.people import select
    from campaign.store import Store

    st = Store()
    try:
        return select(st, [], dt.date(2026, 11, 23), status or HELD)
    finally:
        st.close()


def test_docx_sheet_has_the_pdfs_large_type_and_keeps_people_whole(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from docx import Document
    from docx.oxml.ns import qn

    add_private_contact(cli)
    out = tmp_path / "picket.docx"
    assert cli("prisoners", "print", *AS_OF, "-o", str(out)).exit_code == 0
    doc = Document(str(out))
    from campaign.documents.picket import grouped

    people = [p for _, _, ps in grouped(_held_people()) for p in ps]
    paras = doc.paragraphs
    names = [p for p in paras if p.style.name == "Heading 3"]
    assert [p.text for p in names] == [p["name"] for p in people]
    groups = [p.text for p in paras if p.style.name == "Heading 2"]
    assert groups[0] == "Strike leaders and oil workers" and "Those who died" in groups
    for p in names:
        assert all(r.font.size is not None and r.font.size.pt >= 20 for r in p.runs), p.text
        assert p.paragraph_format.keep_with_next, p.text
    # each person's block: every paragraph kept together, and with the next but the last
    starts = [paras.index(p) for p in names] + [next(i for i, p in enumerate(paras)
                                                    if p.text == "Sources")]
    for a, b in zip(starts, starts[1:], strict=False):
        block = [p for p in paras[a:b] if p.text and p.style.name != "Heading 2"]
        assert all(p.paragraph_format.keep_together for p in block)
        assert all(p.paragraph_format.keep_with_next for p in block[:-1])
        assert block[-1].paragraph_format.keep_with_next is False
    status = [p for p in paras if p.text.startswith("Status: ")]
    assert len(status) == len(people) and all(r.font.size.pt >= 14 for p in status
                                             for r in p.runs)
    sources = paras[starts[-1] + 1:]
    assert sources and all(r.font.size.pt <= 8 for p in sources for r in p.runs)
    assert doc.paragraphs[0].runs[0].font.size.pt >= 28  # the title
    cols = [s._sectPr.find(qn("w:cols")) for s in doc.sections]
    assert any(c is not None and c.get(qn("w:num")) == "2" for c in cols)
    text = "\n".join(p.text for p in paras)
    for private in ("example.org", "+7 700", "Secret Street", "@"):
        assert private not in text


def test_placards_pdf_one_page_a_person(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from pypdf import PdfReader

    add_private_contact(cli)
    out = tmp_path / "placards.pdf"
    r = cli("prisoners", "print", "--placard", *AS_OF, "-o", str(out))
    assert r.exit_code == 0, r.stderr
    reader = PdfReader(str(out))
    people = _held_people()
    assert len(reader.pages) == len(people) > 15
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (842, 595)  # A4 sideways
    from campaign.labels import call_for

    for page, person in zip(reader.pages, people, strict=True):
        text = " ".join(page.extract_text().split())
        assert text.startswith(call_for(person["status"]) + " ")
        # FREE only for someone reported held
        assert text.startswith("FREE ") == (person["status"] in ("detained", "imprisoned",
                                                                "on trial")), text
        for word in person["name"].upper().split():
            assert word in text
        assert "as reported in" in text or "as of" in text
        for private in ("example.org", "+7 700", "Secret Street"):
            assert private not in text
    roza = next(" ".join(p.extract_text().split()) for p in reader.pages
                if "TULETAEVA" in p.extract_text())
    assert "imprisoned, as reported in January 2014" in roza


def test_placards_word_the_dead_and_the_released_fittingly(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from pypdf import PdfReader

    out = tmp_path / "placards.pdf"
    r = cli("prisoners", "print", "--placard", "--status", "died", "--status", "released",
            *AS_OF, "-o", str(out))
    assert r.exit_code == 0, r.stderr
    pages = [" ".join(p.extract_text().split()) for p in PdfReader(str(out)).pages]
    assert len(pages) == len(_held_people(["died", "released"]))
    dead = next(t for t in pages if "KENZHEBAEV" in t)
    assert dead.startswith("JUSTICE FOR BAZARBAI") and "died, as reported in March 2012" in dead
    freed = next(t for t in pages if "SOKOLOVA" in t)
    assert freed.startswith("SOLIDARITY WITH NATALIA") and "released" in freed
    assert not any(t.startswith("FREE") for t in pages)


def test_placards_docx(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from docx import Document
    from docx.enum.section import WD_ORIENT

    out = tmp_path / "placards.docx"
    r = cli("prisoners", "print", "--placard", "--name", "Roza Tuletaeva", "--name",
            "Bazarbai Kenzhebaev", *AS_OF, "-o", str(out))
    assert r.exit_code == 0, r.stderr
    doc = Document(str(out))
    assert doc.sections[0].orientation == WD_ORIENT.LANDSCAPE
    texts = [p.text for p in doc.paragraphs]
    assert texts[:3] == ["FREE", "ROZA", "TULETAEVA"]
    assert "JUSTICE FOR" in texts and "KENZHEBAEV" in texts
    starts = [p for p in doc.paragraphs if p.paragraph_format.page_break_before]
    assert [p.text for p in starts] == ["JUSTICE FOR"]  # one page a person
    for p in doc.paragraphs:
        if p.text in ("ROZA", "TULETAEVA", "BAZARBAI", "KENZHEBAEV"):
            assert p.runs[0].font.size.pt >= 90, p.text
    assert "imprisoned, as reported in January 2014" in texts


def test_placard_bad_input(error_line, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert "give a file name" in error_line(cli("prisoners", "print", "--placard"), 2)
    assert "cannot be written as md" in error_line(
        cli("prisoners", "print", "--placard", "-f", "md"), 2)
    assert "cannot be written as html" in error_line(
        cli("prisoners", "print", "--placard", "-o", str(tmp_path / "p.html")), 2)
    assert not (tmp_path / "p.html").exists()


def test_typst_markup_in_a_name_is_text_on_a_placard(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from pypdf import PdfReader

    odd = "Test #set page(width: 1cm) $x$ ] [*"
    assert cli("prisoners", "add", odd, "--source", "socialistworld-2014-01").exit_code == 0
    assert cli("prisoners", "update", odd, "--status", "imprisoned", "--date", "2014-01",
               "--source", "socialistworld-2014-01").exit_code == 0
    out = tmp_path / "placard.pdf"
    assert cli("prisoners", "print", "--placard", "--name", odd, *AS_OF,
               "-o", str(out)).exit_code == 0
    reader = PdfReader(str(out))
    assert len(reader.pages) == 1
    text = " ".join(reader.pages[0].extract_text().split())
    for word in odd.upper().split():
        assert word in text


def test_placards_with_control_characters_in_a_name(cli, db_path: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Characters Word cannot hold (planted in an old store) become '?', never a crash."""
    import sqlite3

    from docx import Document

    assert cli("prisoners", "list").exit_code == 0
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("UPDATE persons SET name = 'Roza\x0b\x9bTuletaeva' "
                     "WHERE name = 'Roza Tuletaeva'")
    conn.close()
    for ext in ("docx", "pdf"):
        out = tmp_path / f"placard.{ext}"
        r = cli("prisoners", "print", "--placard", "--name", "Rosa Tuletaeva", *AS_OF,
                "-o", str(out))
        assert r.exit_code == 0, r.stderr
    texts = [p.text for p in Document(str(tmp_path / "placard.docx")).paragraphs]
    assert texts[:3] == ["FREE", "ROZA", "?TULETAEVA"]  # \x0b splits words; \x9b is '?'
    assert not any(c in t for t in texts for c in "\x0b\x9b")


# -- a big sheet typeset in parts, split at group boundaries --------------------------------

def test_sheet_parts_keep_groups_whole_and_sources_last(store) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from campaign.documents.picket import picket_context, sheet_parts

    data = picket_context(store, as_of=dt.date(2026, 11, 23), escape=False)
    sizes = {g["key"]: len(g["persons"]) for g in data["groups"]}
    assert max(sizes.values()) > 6 > min(sizes.values())
    parts = sheet_parts(data, size=6)
    assert len(parts) > 2
    # every person once, in the sheet's order
    assert [p["name"] for part in parts for p in part["persons"]] == \
        [p["name"] for p in data["persons"]]
    for part in parts:
        for g in part["groups"]:
            # a group is cut only when it alone holds more than a part
            if len(g["persons"]) < sizes[g["key"]]:
                assert sizes[g["key"]] > 6
        keys = [g["key"] for g in part["groups"]]
        assert len(keys) == len(set(keys))
    pieces = [(g["key"], g["continued"]) for part in parts for g in part["groups"]]
    for key, size in sizes.items():
        mine = [c for k, c in pieces if k == key]
        assert mine[0] is False and all(mine[1:]) and len(mine) == -(-size // 6)
    assert parts[0]["header"] and not any(p["header"] for p in parts[1:])
    assert parts[-1]["sources"] == data["sources"] and not any(p["sources"] for p in parts[:-1])
    assert [p["part"]["first"] for p in parts] == [True] + [False] * (len(parts) - 1)


def test_a_big_sheet_is_typeset_in_parts(cli, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from pypdf import PdfReader

    from campaign.documents import picket

    monkeypatch.setattr(picket, "PART_PERSONS", 6)
    out = tmp_path / "picket.pdf"
    r = cli("prisoners", "print", *AS_OF, "-o", str(out))
    assert r.exit_code == 0, r.stderr
    reader = PdfReader(str(out))
    pages = [" ".join(p.extract_text().split()) for p in reader.pages]
    assert reader.metadata is not None
    assert reader.metadata.title == "Imprisoned, charged and killed after Zhanaozen"
    assert pages[0].startswith("Imprisoned, charged and killed after Zhanaozen")
    assert "16–17 December 2011" in pages[0]
    assert all("16–17 December 2011" not in t for t in pages[1:])
    assert "Sources" in pages[-1] and all("Sources" not in t for t in pages[:-1])
    assert "part 1 of" in pages[0]
    text = " ".join(pages)
    for p in _held_people():
        assert p["name"] in text
    assert "(CONTINUED)" in text  # the strike leaders' group runs over a part
