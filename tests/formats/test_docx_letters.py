"""Word letters from the one-package builder: the same letters as python-docx made them
(tests/formats/old_letters_docx.py, the builder it replaced), in a package Word,
LibreOffice and python-docx read; the closing kept with the last body paragraph."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import old_letters_docx as old  # tests/formats: the builder this one replaced
import pytest
from defusedxml import ElementTree
from docx import Document
from docx.oxml.ns import qn

from campaign.documents import letters as L
from campaign.documents.letters.layout import letter_blocks, letter_parts
from campaign.formats import DocFormat
from campaign.formats.docx import letters_to_docx
from campaign.store import Store

SENDER = L.Sender("Jane Doe", "1 Main Street\nDublin 1", "Unite Dublin Central", "jane@example.org")
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@pytest.fixture
def st(meps_db: Path) -> Iterator[Store]:
    s = Store(meps_db)
    yield s
    s.close()


def items(letters: list[Any]) -> list[dict[str, Any]]:
    return [{"title": ltr.subject, "letter": letter_parts(ltr), "recipient": ltr.recipient,
             "blocks": letter_blocks(ltr.markdown)} for ltr in letters]


def fixture_letters(st: Store) -> list[tuple[list[dict[str, Any]], str, str | None]]:
    """(items, lang, author): the Irish MEPs' letters one by one, all three together,
    a letter to a prisoner in Russian, and a letter with no salutation (set as blocks)."""
    meps = L.prepare(st, "mep", sender=SENDER, countries_=["IE"], fmt=DocFormat.docx)
    L.add_postal_address(st, "Roza Tuletaeva", "Aktau", "socialistworld-2014-01")
    ru, _english = L.prepare(st, "prisoner", sender=SENDER, prisoners=["Roza Tuletaeva"], lang="ru",
                     fmt=DocFormat.docx)
    shapeless = {"title": "Notes", "letter": None, "recipient": "Someone",
                 "blocks": letter_blocks("A line\\\nand another.\n\n- one\n- two\n\n---\n\n"
                                         "1. A source, 2012.\n")}
    cases = [(items([m]), "en", "Jane Doe") for m in meps]
    cases += [(items(meps), "en", "Jane Doe"), (items([ru]), "ru", "Jane Doe"),
              ([shapeless], "en", None)]
    return cases


def both(case: tuple[list[dict[str, Any]], str, str | None]) -> tuple[Any, Any, bytes]:
    its, lang, author = case
    title = its[0]["title"]
    new = letters_to_docx(its, title=title, author=author, lang=lang)
    before = old.letters_to_docx(its, title=title, author=author, lang=lang)
    return Document(io.BytesIO(before)), Document(io.BytesIO(new)), new


MARKER = re.compile(r"^(•|\d+\.)\t$")


def shape(doc: Any) -> list[tuple[Any, ...]]:
    """Each paragraph as a reader sees it: text, style, alignment, spacing, indents, and
    its runs' bold and size. Empty paragraphs (the old builder's page breaks) left out,
    and the size of a list marker's run (the one change: a source's number is now as
    small as its text; test_a_source_note_number_is_as_small_as_its_text)."""
    out = []
    for p in doc.paragraphs:
        if not p.text.strip():
            continue
        f = p.paragraph_format
        out.append((p.text, p.style.name, p.alignment, f.space_before, f.space_after,
                    f.left_indent, f.first_line_indent,
                    tuple((r.bold, r.font.size) for r in p.runs
                          if r.text.strip() and not MARKER.match(r.text))))
    return out


def test_a_source_note_number_is_as_small_as_its_text(st: Store) -> None:
    meps = L.prepare(st, "mep", sender=SENDER, countries_=["IE"], fmt=DocFormat.docx)
    doc = Document(io.BytesIO(L.encode_one(meps[0], DocFormat.docx)))
    notes = [p for p in doc.paragraphs if MARKER.match(p.runs[0].text)
             and p.runs[-1].font.size is not None]
    assert notes
    for p in notes:
        assert {r.font.size for r in p.runs} == {p.runs[-1].font.size}


def test_every_fixture_letter_reads_as_the_old_builder_made_it(st: Store) -> None:
    for case in fixture_letters(st):
        before, after, _ = both(case)
        assert shape(after) == shape(before)
        for attr in ("title", "author", "last_modified_by", "language", "revision",
                     "comments", "subject", "keywords"):
            assert getattr(after.core_properties, attr) == getattr(before.core_properties,
                                                                   attr), attr
        assert after.core_properties.created is not None
        lang = after.styles.element.find(f"{qn('w:docDefaults')}//{qn('w:lang')}")
        assert lang.get(qn("w:val")) == {"en": "en-GB", "ru": "ru-RU"}[case[1]]
        assert (after.sections[0].page_width, after.sections[0].page_height,
                after.sections[0].left_margin, after.sections[0].right_margin) == (
            before.sections[0].page_width, before.sections[0].page_height,
            before.sections[0].left_margin, before.sections[0].right_margin)
        normal = after.styles["Normal"]
        assert normal.font.size == before.styles["Normal"].font.size
        assert normal.element.rPr.find(qn("w:rFonts")).get(qn("w:ascii")) == "Arial"
        # The window address is a frame on the page, as before.
        frames = [p for p in after.paragraphs if p._p.pPr is not None
                  and p._p.pPr.find(qn("w:framePr")) is not None]
        assert len(frames) == sum(1 for it in case[0] if it["letter"] and
                                  it["letter"]["address"])


def test_the_closing_keeps_with_the_last_body_paragraph(st: Store) -> None:
    meps = L.prepare(st, "mep", sender=SENDER, countries_=["IE"], fmt=DocFormat.docx)
    doc = Document(io.BytesIO(L.encode_one(meps[0], DocFormat.docx)))
    texts = [p.text for p in doc.paragraphs]
    closing = texts.index("Yours sincerely,")
    last_body, close = doc.paragraphs[closing - 1], doc.paragraphs[closing]
    assert last_body.text.strip() and last_body.paragraph_format.keep_with_next
    assert close.paragraph_format.keep_with_next
    assert doc.paragraphs[closing + 1].text.startswith("Jane Doe")
    # ... and nothing else of the body is held to it: the letter may still break.
    assert not doc.paragraphs[closing - 2].paragraph_format.keep_with_next


def parts_of(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.testzip() is None  # every part's CRC and size are right
        return {name: z.read(name) for name in z.namelist()}


def test_the_package_is_whole(st: Store) -> None:
    """Every part is XML that parses, every part has a content type, every relationship
    points at a part, and no part is there that nothing names (not python-docx's
    thumbnail of its own sample document)."""
    for case in fixture_letters(st):
        data = both(case)[2]
        parts = parts_of(data)
        assert next(iter(parts)) == "[Content_Types].xml"
        assert "docProps/thumbnail.jpeg" not in parts
        for name, body in parts.items():
            if name.endswith((".xml", ".rels")):
                ElementTree.fromstring(body)
        types = ElementTree.fromstring(parts["[Content_Types].xml"])
        overrides = {e.get("PartName") for e in types if e.tag.endswith("Override")}
        defaults = {e.get("Extension") for e in types if e.tag.endswith("Default")}
        for name in parts:
            assert f"/{name}" in overrides or name.rsplit(".", 1)[-1] in defaults, name
        assert all(o.lstrip("/") in parts for o in overrides)
        named = set()
        for rels_name in [n for n in parts if n.endswith(".rels")]:
            base = rels_name.replace("_rels/", "").removesuffix(".rels").rsplit("/", 1)[0]
            base = "" if "/" not in rels_name.replace("_rels/", "", 1) else base + "/"
            for rel in ElementTree.fromstring(parts[rels_name]):
                target = rel.get("Target")
                path = re.sub(r"[^/]+/\.\./", "", base + target)
                assert path in parts, (rels_name, target)
                named.add(path)
        assert {n for n in parts if not n.endswith(".rels")} - named == {"[Content_Types].xml"}


def test_each_letter_is_a_section_with_a_second_page_header(st: Store) -> None:
    meps = L.prepare(st, "mep", sender=SENDER, countries_=["IE"], fmt=DocFormat.docx)
    data = L.encode_combined(meps, DocFormat.docx)
    parts = parts_of(data)
    document = ElementTree.fromstring(parts["word/document.xml"])
    sections = document.findall(f".//{W}sectPr")
    assert len(sections) == len(meps)
    doc = Document(io.BytesIO(data))
    assert len(doc.sections) == len(meps)
    for ltr, section in zip(meps, doc.sections, strict=True):
        assert section.different_first_page_header_footer  # w:titlePg: page 1 has none
        assert section.first_page_header.paragraphs[0].text == ""
        assert section._sectPr.find(qn("w:pgNumType")).get(qn("w:start")) == "1"
        head = section.header.paragraphs[0]
        assert ltr.recipient in head.text and ltr.context["date_text"] in head.text
        assert "page" in head.text
        assert head._p.find(qn("w:fldSimple")).get(qn("w:instr")).strip() == "PAGE"
        assert (section.page_width.mm, section.page_height.mm) == pytest.approx((210, 297),
                                                                             abs=0.1)
    # A section break ends every letter but the last, in its last paragraph.
    breaks = [p for p in doc.paragraphs if p._p.pPr is not None
              and p._p.pPr.find(qn("w:sectPr")) is not None]
    assert len(breaks) == len(meps) - 1 and all(p.text.strip() for p in breaks)


def test_a_russian_letter_says_page_in_russian(st: Store) -> None:
    L.add_postal_address(st, "Roza Tuletaeva", "Aktau", "socialistworld-2014-01")
    ru, _english = L.prepare(st, "prisoner", sender=SENDER, prisoners=["Roza Tuletaeva"], lang="ru",
                     fmt=DocFormat.docx)
    doc = Document(io.BytesIO(L.encode_one(ru, DocFormat.docx)))
    assert "страница" in doc.sections[0].header.paragraphs[0].text
    assert doc.core_properties.language == "ru-RU"


def test_text_word_cannot_hold_is_a_question_mark_and_markup_is_text() -> None:
    parts = {"sender": ["A <b>&amp; B\x01"], "date": "1 May 2026", "address": ["X & Y"],
             "subject": None, "salutation": "Dear X,", "closing": "Yours,",
             "signature": ["A"], "sources": [],
             "body": letter_blocks("Tab\there & <w:t>not markup</w:t> **bold**")}
    data = letters_to_docx([{"letter": parts, "recipient": "X & Y <z>", "blocks": []}],
                           title="T & <t>", author="A \"q\" & <b>")
    doc = Document(io.BytesIO(data))
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "A <b>&amp; B?" and texts[1] == "X & Y"
    assert "Tab\there & <w:t>not markup</w:t> bold" in texts
    assert doc.core_properties.title == "T & <t>"
    assert doc.core_properties.author == "A \"q\" & <b>"
    assert "X & Y <z>" in doc.sections[0].header.paragraphs[0].text


# -- LibreOffice: the letters as pages (opt in: -m libreoffice) -------------------------


def to_pdf_pages(docx: bytes, tmp_path: Path) -> list[str]:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed")
    from pypdf import PdfReader

    src = tmp_path / "letter.docx"
    src.write_bytes(docx)
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(src)],
                   check=True, capture_output=True, timeout=300)
    return [page.extract_text() for page in PdfReader(tmp_path / "letter.pdf").pages]


def short_letter(body: str) -> dict[str, Any]:
    return {"recipient": "Seán Kelly MEP", "blocks": [], "letter": {
        "sender": ["Jane Doe", "Unite Dublin Central", "1 Main Street", "Dublin 1"],
        "date": "2 December 2026", "address": ["Seán Kelly MEP", "European Parliament",
                                               "Rue Wiertz 60", "B-1047 Brussels", "Belgium"],
        "subject": "Re: Political prisoners in Kazakhstan", "salutation": "Dear Seán Kelly,",
        "body": letter_blocks(body), "closing": "Yours sincerely,",
        "signature": ["Jane Doe", "Unite Dublin Central"],
        "sources": letter_blocks("1. A source, 2012.")}}


@pytest.mark.libreoffice
def test_a_short_letter_is_one_page_in_libreoffice(tmp_path: Path) -> None:
    body = "\n\n".join(["I write about the political prisoners of Kazakhstan. " * 4] * 4)
    pages = to_pdf_pages(letters_to_docx([short_letter(body)], title="T", author="Jane Doe"),
                         tmp_path)
    assert len(pages) == 1
    assert "Yours sincerely" in pages[0] and "Seán Kelly MEP · 2 December" not in pages[0]


@pytest.mark.libreoffice
def test_a_long_letter_names_the_recipient_on_page_two_and_never_strands_the_closing(
        tmp_path: Path) -> None:
    # Long enough that the closing falls at the foot of page 1 unless kept with the body.
    for paragraphs in range(7, 11):
        body = "\n\n".join([f"Paragraph {n}: I write about the political prisoners of "
                            "Kazakhstan and the Zhanaozen shootings. " * 3
                            for n in range(paragraphs)])
        pages = to_pdf_pages(letters_to_docx([short_letter(body)], title="T",
                                             author="Jane Doe"), tmp_path)
        assert len(pages) == 2
        assert "Seán Kelly MEP · 2 December 2026 · page 2" in pages[1]
        assert "Seán Kelly MEP · 2 December" not in pages[0]
        closing_page = next(p for p in pages if "Yours sincerely" in p)
        before = closing_page.split("Yours sincerely")[0]
        assert "Paragraph" in before  # the last body paragraph came with it
        assert "Jane Doe" in closing_page.split("Yours sincerely")[1]


# -- the kept package: a later process writes Word letters without python-docx ---------

MAKE = """
import sys
from campaign.formats.docx import letters_to_docx
from campaign.documents.letters.layout import letter_blocks
parts = {"sender": ["Jane Doe"], "date": "1 May 2026", "address": ["X"], "subject": None,
         "salutation": "Dear X,", "closing": "Yours sincerely,", "signature": ["Jane Doe"],
         "sources": [], "body": letter_blocks("Free the oil workers of Zhanaozen.")}
data = letters_to_docx([{"letter": parts, "recipient": "X", "blocks": []}], title="T",
                       author="Jane Doe")
open(sys.argv[1], "wb").write(data)
print("python-docx imported" if "docx" in sys.modules else "python-docx not imported")
"""


def make_in_a_process(out: Path, cache: Path) -> str:
    import os
    import sys

    done = subprocess.run([sys.executable, "-c", MAKE, str(out)], capture_output=True,
                          text=True, timeout=120, check=True,
                          env={**os.environ, "CAMPAIGN_CACHE": str(cache)})
    return done.stdout.strip()


def body_of(path: Path) -> dict[str, bytes]:
    return {k: v for k, v in parts_of(path.read_bytes()).items() if k != "docProps/core.xml"}


def test_a_later_process_uses_the_kept_package(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert make_in_a_process(tmp_path / "a.docx", cache) == "python-docx imported"
    kept = list(cache.glob("word-letter-en-GB-*.json"))
    assert len(kept) == 1 and kept[0].stat().st_mode & 0o077 == 0
    assert make_in_a_process(tmp_path / "b.docx", cache) == "python-docx not imported"
    assert body_of(tmp_path / "b.docx") == body_of(tmp_path / "a.docx")
    assert Document(str(tmp_path / "b.docx")).paragraphs[2].text == "1 May 2026"


def test_a_kept_package_others_can_write_or_that_is_broken_is_made_afresh(
        tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    make_in_a_process(tmp_path / "a.docx", cache)
    [kept] = cache.glob("word-letter-*.json")
    good = kept.read_text()
    kept.write_text(good.replace("Arial", "Comic Sans MS"))
    kept.chmod(0o666)  # anyone could have written it: not used
    assert make_in_a_process(tmp_path / "b.docx", cache) == "python-docx imported"
    assert "Comic Sans" not in kept.read_text()  # replaced by a good one, owner-only
    assert kept.stat().st_mode & 0o077 == 0
    kept.write_text(good[: len(good) // 2])  # cut short
    assert make_in_a_process(tmp_path / "c.docx", cache) == "python-docx imported"
    assert body_of(tmp_path / "c.docx") == body_of(tmp_path / "a.docx")
    kept.write_text(good.replace("</Types>", "</Typos>"))  # not what it should be
    assert make_in_a_process(tmp_path / "d.docx", cache) == "python-docx imported"
    assert body_of(tmp_path / "d.docx") == body_of(tmp_path / "a.docx")


def test_the_kept_package_is_made_again_for_another_python_docx(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The kept package is named by the python-docx installed: another one (a new
    version, installed again) gives another name, so a stale package is never used."""
    import importlib.machinery
    import importlib.util
    import os

    from campaign.formats import docx as word

    monkeypatch.setenv("CAMPAIGN_CACHE", str(tmp_path / "cache"))
    fake = tmp_path / "docx" / "__init__.py"
    fake.parent.mkdir()
    fake.write_text("# python-docx 1.0\n")
    spec = importlib.machinery.ModuleSpec("docx", None, origin=str(fake))
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: spec if name == "docx" else real(name, *a))
    first = word._package_file("en-GB")
    assert first is not None and first == word._package_file("en-GB")  # stable
    fake.write_text("# python-docx 1.1, a new release\n")
    os.utime(fake, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    second = word._package_file("en-GB")
    assert second is not None and second != first
    assert word._package_file("ru-RU") != second  # and one for each language
