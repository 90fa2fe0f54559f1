"""Markdown to DOCX: real styles, numbering that restarts per list, fonts for Kazakh."""

from __future__ import annotations

import io
import re

from docx import Document
from docx.oxml.ns import qn

from campaign.formats.docx import markdown_to_docx

MD = """# Жаңаөзен

Intro with **bold**, *italic* and [a link](https://example.org/x).

## Notes

1. first
   - sub one
   - sub two
2. second
3. third

## Resolves

1. act one
2. act two

- a bullet

## Sources

1. A source. Publisher, 2012.
"""


def open_doc(md: str = MD):  # type: ignore[no-untyped-def]
    return Document(io.BytesIO(markdown_to_docx(md, title="Жаңаөзен")))


def test_headings_and_styles() -> None:
    doc = open_doc()
    rows = [(p.style.name, p.text) for p in doc.paragraphs]
    assert rows[0] == ("Heading 1", "Жаңаөзен")
    assert ("Heading 2", "Notes") in rows and ("Heading 2", "Sources") in rows
    assert ("List Bullet 2", "sub one") in rows and ("List Bullet", "a bullet") in rows
    assert ("List Number", "A source. Publisher, 2012.") in rows
    assert doc.core_properties.title == "Жаңаөзен"


def test_runs_keep_emphasis_and_links_as_text() -> None:
    intro = open_doc().paragraphs[1]
    assert intro.text == "Intro with bold, italic and a link (https://example.org/x)."
    assert [r.text for r in intro.runs if r.bold] == ["bold"]
    assert [r.text for r in intro.runs if r.italic] == ["italic"]


def test_each_list_restarts_at_one() -> None:
    doc = open_doc()
    by_text = {p.text: p for p in doc.paragraphs}

    def num_id(text: str) -> int:
        return int(by_text[text]._p.pPr.numPr.numId.val)

    assert num_id("first") == num_id("second") == num_id("third")  # one list across the sub-list
    assert num_id("act one") == num_id("act two") != num_id("first")
    assert num_id("A source. Publisher, 2012.") not in (num_id("first"), num_id("act one"))
    numbering = doc.part.numbering_part.element
    style_num = doc.styles["List Number"].element.pPr.numPr.numId.val
    abstract = {n.numId: n.abstractNumId.val for n in numbering.num_lst}
    for n in (num_id("first"), num_id("act one")):
        assert abstract[n] == abstract[style_num]
        assert re.search(rf'<w:num w:numId="{n}">.*?<w:startOverride w:val="1"/>',
                         numbering.xml, re.S)


def test_fonts_named_for_every_script() -> None:
    doc = open_doc()
    fonts = doc.styles.element.find(qn("w:docDefaults")).find(
        f"{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:rFonts')}")
    assert fonts.get(qn("w:ascii")) == fonts.get(qn("w:cs")) == "Arial"
    assert fonts.get(qn("w:asciiTheme")) is None
    heading = doc.styles["Heading 1"].element.rPr.find(qn("w:rFonts"))
    assert heading.get(qn("w:hAnsi")) == "Arial" and heading.get(qn("w:asciiTheme")) is None


def test_a4_and_small_sources() -> None:
    doc = open_doc()
    section = doc.sections[0]
    assert round(section.page_width.cm, 1) == 21.0 and round(section.page_height.cm, 1) == 29.7
    source = next(p for p in doc.paragraphs if p.text.startswith("A source"))
    assert source.runs[0].font.size.pt == 9


def test_cached_style_lookups_give_what_python_docx_gives() -> None:
    import pytest

    from campaign.formats.docx import _fonts, _styles_of

    doc = Document()
    _fonts(doc)
    styles = _styles_of(doc)
    assert _styles_of(doc) is styles  # read once per document
    names = ["Heading 1", "Heading 2", "Heading 3", "List Number", "List Number 2",
             "List Bullet", "List Bullet 3", "List Continue", "Quote", "Normal", None]
    for name in names:
        mine, theirs = styles.add(doc, name), doc.add_paragraph(style=name)
        assert mine.style.name == theirs.style.name
        assert mine._p.style == theirs._p.style  # the w:pStyle id, or none for Normal
    with pytest.raises(KeyError, match="no style with name 'Nonesuch'"):
        styles.add(doc, "Nonesuch")
    other = Document()
    assert _styles_of(other) is not styles
