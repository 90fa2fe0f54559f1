"""Markdown to a Word document a branch secretary can edit in Word or LibreOffice.

Real styles, not look-alikes: headings are Heading 1/2/3, numbered lists are
"List Number" paragraphs carrying Word numbering (so renumbering survives an
edit), bullets are "List Bullet". Word continues a numbering across every
paragraph that shares a numbering instance, so each list gets its own
``w:num`` (pointing at the style's abstract numbering, restarting at 1):
"This branch notes" and "This branch resolves" each count from 1.

Fonts are named explicitly (the template's theme fonts would win otherwise):
Arial is on every Windows and Mac and covers Cyrillic and the Kazakh letters,
and LibreOffice substitutes the metric-compatible Liberation Sans, which does too.
"""

from __future__ import annotations

import io
import re
from typing import Any

from campaign.formats.pdf import markdown_blocks

FONT = "Arial"
BODY_PT = 11
SMALL_PT = 9


def _set_font(rpr: Any, name: str) -> None:
    """Name the font for every script slot and drop theme fonts, which take precedence."""
    from docx.oxml.ns import qn

    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, fonts)
    for attr in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        fonts.attrib.pop(qn(f"w:{attr}"), None)
    for attr in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(qn(f"w:{attr}"), name)


def _fonts(doc: Any) -> None:
    from docx.enum.style import WD_STYLE_TYPE
    from docx.oxml.ns import qn
    from docx.shared import Pt

    defaults = doc.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        rpr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
        if rpr is not None:
            _set_font(rpr, FONT)
    for style in doc.styles:
        if style.type in (WD_STYLE_TYPE.PARAGRAPH, WD_STYLE_TYPE.CHARACTER):
            _set_font(style.element.get_or_add_rPr(), FONT)
    doc.styles["Normal"].font.size = Pt(BODY_PT)


def _new_num(doc: Any, style_name: str) -> int:
    """A fresh numbering instance of a list style's abstract numbering, starting at 1."""
    numbering = doc.part.numbering_part.element
    style = doc.styles[style_name]
    num_pr = style.element.pPr.numPr if style.element.pPr is not None else None
    if num_pr is None or num_pr.numId is None:  # pragma: no cover - the default template has it
        return 0
    style_num = num_pr.numId.val
    abstract = next(n.abstractNumId.val for n in numbering.num_lst if n.numId == style_num)
    num = numbering.add_num(abstract)
    num.add_lvlOverride(ilvl=0).add_startOverride(1)
    return int(num.numId)


def _number(paragraph: Any, num_id: int) -> None:
    num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
    num_pr.get_or_add_ilvl().val = 0
    num_pr.get_or_add_numId().val = num_id


# What XML 1.0 (and so Word) cannot hold: C0 controls but tab and line breaks, DEL and the
# C1 controls (allowed by XML, refused by Word), lone surrogates, U+FFFE and U+FFFF.
# python-docx raises on the first and Word reports the second as a corrupt file.
_NOT_FOR_WORD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def word_text(text: str) -> str:
    """``text`` as Word can hold it: each character it cannot, a visible ``?``."""
    return _NOT_FOR_WORD.sub("?", text)


def _add_runs(paragraph: Any, runs: list[dict[str, Any]], small: bool) -> None:
    from docx.shared import Pt

    for r in runs:
        parts = r["text"].split("\n")
        for i, part in enumerate(parts):
            run = paragraph.add_run(word_text(part))
            run.bold = r["bold"] or None
            run.italic = r["italic"] or None
            if r.get("mono"):
                run.font.name = "Courier New"
            if small:
                run.font.size = Pt(SMALL_PT)
            if i < len(parts) - 1:
                run.add_break()


def markdown_to_docx(markdown: str, *, title: str, lang: str = "en") -> bytes:
    """A .docx of the rendered document; its title goes in the document properties."""
    from docx import Document
    from docx.shared import Cm, Pt

    doc = Document()
    _fonts(doc)
    for section in doc.sections:
        section.page_height, section.page_width = Cm(29.7), Cm(21.0)
        section.left_margin = section.right_margin = Cm(2.3)
        section.top_margin = section.bottom_margin = Cm(2.0)
    doc.core_properties.title = word_text(title)
    doc.core_properties.language = lang
    nums: dict[int, int] = {}
    for b in markdown_blocks(markdown):
        if b["type"] == "heading":
            level = min(max(int(b["level"]), 1), 3)
            p = doc.add_paragraph(style=f"Heading {level}")
            _add_runs(p, b["runs"], False)
        elif b["type"] == "item":
            depth = min(int(b["level"]), 3)
            suffix = "" if depth == 1 else f" {depth}"
            if not b["marker"]:
                p = doc.add_paragraph(style=f"List Continue{suffix}")
            elif b["ordered"]:
                style = f"List Number{suffix}"
                p = doc.add_paragraph(style=style)
                if b["list"] not in nums:
                    nums[b["list"]] = _new_num(doc, style)
                if nums[b["list"]]:
                    _number(p, nums[b["list"]])
            else:
                p = doc.add_paragraph(style=f"List Bullet{suffix}")
            _add_runs(p, b["runs"], b["small"])
        elif b["type"] == "rule":
            p = doc.add_paragraph("―" * 12)
        else:
            p = doc.add_paragraph(style="Quote" if b.get("quote") else None)
            _add_runs(p, b["runs"], b["small"])
            if b["small"]:
                p.paragraph_format.space_after = Pt(4)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
