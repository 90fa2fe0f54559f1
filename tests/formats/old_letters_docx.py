"""The Word letters' builder as it was before the one-package builder (issue 21):
python-docx adds every paragraph and saves every part of every letter. Kept here,
verbatim but for its imports, as the reference the new builder is compared with."""

from __future__ import annotations

import io
import threading
from typing import Any

from campaign.formats.docx import SMALL_PT, WINDOW, _fonts, word_text


def _lines_para(doc: Any, lines: list[str], *, align: Any = None, size: float | None = None
                ) -> Any:
    from docx.shared import Pt

    p = doc.add_paragraph()
    for i, line in enumerate(lines):
        run = p.add_run(word_text(line))
        if size:
            run.font.size = Pt(size)
        if i < len(lines) - 1:
            run.add_break()
    if align is not None:
        p.alignment = align
    return p


def _window(paragraph: Any) -> None:
    """Place the address paragraph where a window envelope shows it (a Word frame,
    anchored to the page), whatever the sender block above it holds."""
    from docx.oxml.ns import qn

    twip = 56.7  # per mm
    ppr = paragraph._p.get_or_add_pPr()
    frame = ppr.makeelement(qn("w:framePr"), {
        qn("w:w"): str(int(WINDOW["w"] * twip)), qn("w:h"): str(int(WINDOW["h"] * twip)),
        qn("w:hRule"): "exact", qn("w:hAnchor"): "page", qn("w:vAnchor"): "page",
        qn("w:x"): str(int(WINDOW["x"] * twip)), qn("w:y"): str(int(WINDOW["y"] * twip)),
        qn("w:wrap"): "notBeside"})
    ppr.insert(0, frame)


def _letter_blocks(doc: Any, blocks: list[dict[str, Any]], *, small: bool = False,
                   gap: float = 8) -> None:
    from docx.shared import Mm, Pt

    for b in blocks:
        if b["kind"] == "rule":
            p = doc.add_paragraph("―" * 8)
            p.paragraph_format.space_before = Pt(10)
            continue
        p = doc.add_paragraph()
        fmt = p.paragraph_format
        fmt.space_after = Pt(gap if not (small or b["small"]) else 3)
        if b["kind"] == "item":
            fmt.left_indent = Mm(7)
            fmt.first_line_indent = Mm(-7)
            p.add_run(word_text(b["marker"]) + "\t")
            fmt.tab_stops.add_tab_stop(Mm(7))
        for i, line in enumerate(b["lines"]):
            for r in line:
                run = p.add_run(word_text(r["t"]))
                run.bold = r["b"] or None
                if small or b["small"]:
                    run.font.size = Pt(SMALL_PT)
            if i < len(b["lines"]) - 1:
                p.add_run().add_break()


_BASE: list[Any] = []  # one styled, empty letter document, reused by a mail merge
_BASE_LOCK = threading.Lock()  # a library caller may make letters from several threads


def _letter_base() -> Any:
    """An empty A4 document with the letters' fonts and margins.

    Opening python-docx's template and naming the fonts costs ~30 ms, two thirds of
    a letter: a merge of 705 Word letters takes it once. The document is emptied for
    each letter (letters add no parts: no images, no links, no numbering), so what
    one letter leaves behind is only the settings every letter shares.
    """
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Mm

    if not _BASE:
        doc = Document()
        _fonts(doc)
        for section in doc.sections:
            section.page_height, section.page_width = Mm(297), Mm(210)
            section.left_margin, section.right_margin = Mm(25), Mm(20)
            section.top_margin = section.bottom_margin = Mm(20)
        _BASE.append(doc)
    doc = _BASE[0]
    body = doc.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    return doc


def letters_to_docx(letters: list[dict[str, Any]], *, title: str, author: str | None,
                    lang: str = "en") -> bytes:
    """Letters as Word letters on A4: sender block top right, the address in the
    envelope window, the date, the subject, salutation, spaced paragraphs, the closing
    with four lines of space to sign, name and organisation, sources as small notes.

    Each letter is ``{"letter": parts | None, "blocks": ...}`` (see
    campaign.documents.letters.layout.letter_parts); without parts its blocks are set
    in order. Text goes in as runs, never parsed, so a name that looks like a link is
    text. The core properties say who wrote it and when (not python-docx in 2013), in
    the letter's language.
    """
    with _BASE_LOCK:
        return _letters_docx(letters, title=title, author=author, lang=lang)


def _letters_docx(letters: list[dict[str, Any]], *, title: str, author: str | None,
                  lang: str) -> bytes:
    import datetime as dt

    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    doc = _letter_base()
    tag = {"en": "en-GB", "ru": "ru-RU"}.get(lang, lang)
    props = doc.core_properties
    props.title = word_text(title)
    props.author = word_text(author or "")
    props.last_modified_by = word_text(author or "")
    props.language = tag
    now = dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)
    props.created = props.modified = now
    props.revision = 1
    props.comments = ""
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}") if defaults is not None else None
    if rpr is not None:  # the proofing language of every run
        lang_el = rpr.find(qn("w:lang"))
        if lang_el is None:
            lang_el = rpr.makeelement(qn("w:lang"), {})
            rpr.append(lang_el)
        for attr in ("val", "eastAsia", "bidi"):
            lang_el.set(qn(f"w:{attr}"), tag)
    first = True
    for item in letters:
        if not first:
            doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        first = False
        parts = item.get("letter")
        if parts is None:
            _letter_blocks(doc, item["blocks"])
            continue
        _lines_para(doc, parts["sender"], align=WD_ALIGN_PARAGRAPH.RIGHT, size=9.5)
        if parts["address"]:
            _window(_lines_para(doc, parts["address"]))
        dated = _lines_para(doc, [parts["date"]], align=WD_ALIGN_PARAGRAPH.RIGHT)
        # Below the window: the date starts about 95 mm from the top of the page.
        used = 20 + 4.2 * len(parts["sender"])
        dated.paragraph_format.space_before = Mm(max(6.0, 92 - used))
        dated.paragraph_format.space_after = Pt(12)
        if parts["subject"]:
            sub = doc.add_paragraph()
            sub.add_run(word_text(parts["subject"])).bold = True
            sub.paragraph_format.space_after = Pt(12)
        doc.add_paragraph(word_text(parts["salutation"])).paragraph_format.space_after = Pt(8)
        _letter_blocks(doc, parts["body"])
        closing = doc.add_paragraph(word_text(parts["closing"]))
        closing.paragraph_format.space_before = Pt(4)
        closing.paragraph_format.space_after = Pt(4 * 13.5)  # about four lines to sign
        closing.paragraph_format.keep_with_next = True  # the name stays with the closing
        _lines_para(doc, parts["signature"])
        if parts["sources"]:
            _letter_blocks(doc, parts["sources"], small=True)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
