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
import threading
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


# -- the picket sheet and its placards: laid out like their PDFs, not as a report --------

PICKET_NAME_PT = 21
PICKET_GROUP_PT = 13
PICKET_STATUS_PT = 14
PICKET_EVENT_PT = 11
PICKET_SOURCE_PT = 7.5
PLACARD_WIDTH_CM = 25.7  # A4 landscape less 2 cm margins
PLACARD_HEIGHT_CM = 18.0  # and less 1.5 cm at the top and bottom
PLACARD_OTHER_PT = 110  # the status, the sources and the space between them
LINE_EM = 1.2  # the height of a line of capitals, in em, as Word and LibreOffice set it
PLACARD_MAX_PT = 160
PLACARD_STATUS_PT = 32
# Arial Bold capitals average about 0.72 em; a little more keeps the widest word on its line.
CAPITAL_EM = 0.78
_EVENT_SAID = {"investigated": "placed under investigation", "exiled": "went into exile"}


def _paragraph(doc: Any, text: str = "", *, size: float, bold: bool = False,
               italic: bool = False, align: str | None = None, keep_next: bool = False,
               before: float = 0, after: float = 2, style: str | None = None) -> Any:
    """A paragraph with its look set on the run (a heading style keeps the structure for
    Word's navigation pane, but not its theme's colour or size)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt, RGBColor

    p = doc.add_paragraph(style=style)
    if text:
        run = p.add_run(word_text(text))
        run.font.size = Pt(size)
        run.bold = bold
        run.italic = italic or None
        if style:
            run.font.color.rgb = RGBColor(0, 0, 0)
    fmt = p.paragraph_format
    fmt.keep_together = True
    fmt.keep_with_next = keep_next
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)
    fmt.line_spacing = 1.0
    if align == "center":
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    return p


def _rule_above(paragraph: Any) -> None:
    """A thin line above the paragraph, as the PDF draws above each person."""
    from docx.oxml.ns import qn

    ppr = paragraph._p.get_or_add_pPr()
    borders = ppr.makeelement(qn("w:pBdr"), {})
    top = borders.makeelement(qn("w:top"), {qn("w:val"): "single", qn("w:sz"): "4",
                                            qn("w:space"): "4", qn("w:color"): "000000"})
    borders.append(top)
    ppr.insert_element_before(  # the schema's order: Word refuses a pBdr out of place
        borders, "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap",
        "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi",
        "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing",
        "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
        "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr",
        "w:pPrChange")


def _field(paragraph: Any, code: str) -> None:
    """A Word field (PAGE, NUMPAGES) that the reader's word processor fills in."""
    from docx.oxml.ns import qn

    simple = paragraph._p.makeelement(qn("w:fldSimple"), {qn("w:instr"): code})
    run = simple.makeelement(qn("w:r"), {})
    props = run.makeelement(qn("w:rPr"), {})
    props.append(props.makeelement(qn("w:sz"), {qn("w:val"): "18"}))  # 9 pt, as the footer
    run.append(props)
    text = run.makeelement(qn("w:t"), {})
    text.text = "1"
    run.append(text)
    simple.append(run)
    paragraph._p.append(simple)


def _columns(section: Any, count: int, space_twips: int) -> None:
    from docx.oxml.ns import qn

    cols = section._sectPr.find(qn("w:cols"))
    if cols is None:
        cols = section._sectPr.makeelement(qn("w:cols"), {})
        section._sectPr.append(cols)
    cols.set(qn("w:num"), str(count))
    cols.set(qn("w:space"), str(space_twips))


def _event_text(e: dict[str, Any]) -> str:
    kind = _EVENT_SAID.get(e["kind"], e["kind"])
    parts = [kind[:1].upper() + kind[1:] + " — " + ("reported " if e.get("reported") else "")
             + e["date_text"]]
    for key in ("charge", "sentence", "court", "place", "prison"):
        if e.get(key):
            parts.append(f"{key}: {e[key]}")
    return "; ".join(parts) + (" " + e["cite"] if e.get("cite") else "")


def picket_to_docx(data: dict[str, Any]) -> bytes:
    """The picket sheet in Word with the PDF's layout (``picket.typ``): A4, two columns,
    names in 21 pt, each person one block that never splits across a column or page
    (keep-with-next and keep-together), the sources in small print, nothing private."""
    from docx import Document
    from docx.enum.section import WD_SECTION
    from docx.shared import Cm, Pt

    doc = Document()
    _fonts(doc)
    title = word_text(data.get("title") or data.get("heading") or "Political prisoners")
    doc.core_properties.title = title
    doc.core_properties.language = "en"
    first = doc.sections[0]
    first.page_height, first.page_width = Cm(29.7), Cm(21.0)
    first.left_margin = first.right_margin = Cm(1.5)
    first.top_margin, first.bottom_margin = Cm(1.4), Cm(1.6)
    footer = first.footer.paragraphs[0]
    footer.text = word_text(f"As last reported, on the dates given · sheet prepared on "
                            f"{data['as_of_text']} · page ")
    _field(footer, "PAGE")
    footer.add_run(" / ")
    _field(footer, "NUMPAGES")
    footer.alignment = 1
    for run in footer.runs:
        run.font.size = Pt(9)
    _paragraph(doc, title, size=30, bold=True, align="center", after=2, style="Heading 1")
    if data.get("campaign"):
        _paragraph(doc, data["campaign"], size=13, italic=True, align="center", after=8)
    for line in data.get("header", []):  # what happened: the shootings, the disputed toll
        _paragraph(doc, line, size=11, after=2)
    _paragraph(doc, "Each status is as last reported, on the date given.", size=11,
               bold=True, after=6)
    body = doc.add_section(WD_SECTION.CONTINUOUS)
    _columns(body, 2, 680)
    groups = data.get("groups") or [{"heading": None, "persons": data["persons"]}]
    for p, heading in ((p, g["heading"] if n == 0 else None)
                       for g in groups for n, p in enumerate(g["persons"])):
        if heading:
            _paragraph(doc, heading, size=PICKET_GROUP_PT, bold=True, before=10,
                       keep_next=True, after=2, style="Heading 2")
        lines: list[tuple[str, dict[str, Any]]] = [
            (p["name"], {"size": PICKET_NAME_PT, "bold": True, "before": 6, "rule": True,
                         "style": "Heading 3"})]
        if p["aliases"]:
            lines.append(("also written: " + ", ".join(p["aliases"]), {"size": 10}))
        if p.get("description"):
            lines.append((p["description"], {"size": 11, "italic": True}))
        lines.append(("Status: " + p["status_text"] + (" " + p["cite"] if p["cite"] else ""),
                      {"size": PICKET_STATUS_PT, "bold": True}))
        lines += [(_event_text(e), {"size": PICKET_EVENT_PT}) for e in p["events"]]
        for n, (text, style) in enumerate(lines):
            rule = style.pop("rule", False)
            para = _paragraph(doc, text, keep_next=n < len(lines) - 1, after=1, **style)
            if rule:
                _rule_above(para)
    if not data["persons"]:
        _paragraph(doc, "No one on record with " + " or ".join(data["statuses"])
                   + " status as of " + data["as_of_text"] + ".", size=15)
    if data["sources"]:
        _columns(doc.add_section(WD_SECTION.CONTINUOUS), 1, 0)
        _paragraph(doc, "Sources", size=8, bold=True, before=10, keep_next=True,
                   style="Heading 2")
        for s in data["sources"]:
            end = "" if s["title"][-1:] in ".!?" else "."
            _paragraph(doc, f"{s['number']}. {s['title']}{end} {s['publisher']}, "
                            f"{s['published_text']}." + (f" {s['url']}" if s.get("url") else ""),
                       size=PICKET_SOURCE_PT, after=0)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _centre_vertically(section: Any) -> None:
    from docx.oxml.ns import qn

    valign = section._sectPr.makeelement(qn("w:vAlign"), {qn("w:val"): "center"})
    section._sectPr.insert_element_before(
        valign, "w:noEndnote", "w:titlePg", "w:textDirection", "w:bidi", "w:rtlGutter",
        "w:docGrid", "w:printerSettings", "w:sectPrChange")


def placard_size(lines: list[str]) -> float:
    """The point size at which the longest line of capitals fills the placard's width."""
    widest = max((len(line) for line in lines), default=1) or 1
    width_pt = PLACARD_WIDTH_CM / 2.54 * 72
    return float(min(PLACARD_MAX_PT, int(width_pt / (CAPITAL_EM * widest))))


def placards_to_docx(data: dict[str, Any]) -> bytes:
    """One A4 landscape page per person: the call and the name in capitals as large as
    the page allows (read from five metres), the status and its date beneath, the
    sources in small print at the foot."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm

    doc = Document()
    _fonts(doc)
    doc.core_properties.title = word_text(data.get("title") or "Placards")
    doc.core_properties.language = "en"
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_height, section.page_width = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.0)
    section.top_margin = section.bottom_margin = Cm(1.5)
    _centre_vertically(section)
    height_pt = PLACARD_HEIGHT_CM / 2.54 * 72 - PLACARD_OTHER_PT
    for n, placard in enumerate(data["placards"]):
        call_size = placard_size([placard["call"]] + placard["name_lines"])
        size = min(placard_size(placard["name_lines"]),
                   int(height_pt / (LINE_EM * (len(placard["name_lines"]) + 0.7))))
        call_size = max(min(placard_size([placard["call"]]), 40.0), min(call_size, size * 0.7))
        first = _paragraph(doc, placard["call"], size=call_size, bold=True,
                           align="center", keep_next=True, after=0)
        if n:
            first.paragraph_format.page_break_before = True
        for line in placard["name_lines"]:
            p = _paragraph(doc, line, size=size, bold=True, align="center", keep_next=True,
                           after=0)
            p.paragraph_format.line_spacing = 0.95
        _paragraph(doc, placard["status_line"], size=PLACARD_STATUS_PT, align="center",
                   keep_next=True, before=12)
        if placard["sources_line"]:
            _paragraph(doc, placard["sources_line"], size=10, italic=True, align="center",
                       before=18)
    if not data["placards"]:
        _paragraph(doc, "No one on record with " + " or ".join(data["statuses"])
                   + " status as of " + data["as_of_text"] + ".", size=24)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# -- letters -----------------------------------------------------------------------

MM = 36000  # EMU per millimetre
WINDOW = {"x": 20, "y": 50, "w": 85, "h": 40}  # mm: where a DL window envelope shows


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
