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
    assert out.startswith("# Political prisoners")
    assert "## Roza Tuletaeva" in out and "## Vladimir Kozlov" in out
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
    assert "## Natalia Sokolova" in out and "## Roza Tuletaeva" not in out
    assert "Sentenced — 8 August 2011; charge: 'inciting social discord'" in out
    assert "sentence: 6 years in prison; court: Aktau City Court" in out
    assert "released (as reported in January 2014)" in out
    # as of 2012, the same person's status is what was reported by then
    early = cli("prisoners", "print", "--status", "imprisoned", "--as-of", "2012-06-01").stdout
    assert "## Natalia Sokolova" in early
    assert "Released" not in early.split("## Natalia Sokolova")[1].split("##")[0]


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
        # a person is never split: the name and their status sit on one page
        on = [i for i, t in enumerate(pages) if p["name"] in t]
        assert len(on) >= 1, p["name"]
        page = " ".join(pages[on[0]].split())
        assert f"{p['name']}" in page and "Status: " in page
    for private in ("example.org", "+7 700", "Secret Street"):
        assert private not in text
    assert "Sources" in pages[-1]


def test_pdf_keeps_each_person_whole(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Each person's status line is on the same page as their name."""
    from pypdf import PdfReader

    out = tmp_path / "picket.pdf"
    assert cli("prisoners", "print", *AS_OF, "-o", str(out)).exit_code == 0
    pages = [" ".join(p.extract_text().split()) for p in PdfReader(str(out)).pages]
    for m in re.finditer(r"## (.+)\n\n(?:.*\n\n)*?\*\*Status: (.+?)\*\*",
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
        self._in = False

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self._in = tag == "h2"

    def handle_endtag(self, tag: str) -> None:
        self._in = False

    def handle_data(self, data: str) -> None:
        if self._in:
            self.h2.append(data)


def test_html_and_docx(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from docx import Document

    html = tmp_path / "picket.html"
    assert cli("prisoners", "print", *AS_OF, "-o", str(html)).exit_code == 0
    parser = _Collect()
    parser.feed(html.read_text(encoding="utf-8"))
    assert "Roza Tuletaeva" in parser.h2 and parser.h2[-1] == "Sources"
    docx = tmp_path / "picket.docx"
    assert cli("prisoners", "print", *AS_OF, "-o", str(docx)).exit_code == 0
    doc = Document(str(docx))
    heads = [p.text for p in doc.paragraphs if p.style.name == "Heading 2"]
    assert "Roza Tuletaeva" in heads and heads[-1] == "Sources"


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
