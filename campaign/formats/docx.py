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

import contextlib
import io
import re
import threading
from pathlib import Path
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


class _Styles:
    """A document's paragraph styles by name, read once.

    python-docx finds a style by name by walking every style, and then walks them
    again for the default style, on each paragraph: 36 look-ups were 73 ms of a
    motion. Here a name is a dictionary look-up; the paragraph gets the same
    w:pStyle python-docx would give it (none for the default style).
    """

    def __init__(self, doc: Any) -> None:
        from docx.enum.style import WD_STYLE_TYPE

        self.ids: dict[str, str] = {}
        self.default: str | None = None
        for el in doc.styles.element.style_lst:
            if el.type == WD_STYLE_TYPE.PARAGRAPH:
                self.ids.setdefault(el.name_val, el.styleId)
                if el.default:
                    self.default = el.styleId

    def add(self, doc: Any, name: str | None = None) -> Any:
        """A new paragraph at the end of ``doc`` in the style called ``name``."""
        from docx.styles import BabelFish

        p = doc.add_paragraph()
        if name:
            try:
                sid = self.ids[BabelFish.ui2internal(name)]
            except KeyError:
                raise KeyError(f"no style with name '{name}'") from None
            if sid != self.default:
                p._p.style = sid
        return p


_LAST_STYLES: tuple[Any, _Styles] | None = None  # (weak reference to a document, its styles)


def _styles_of(doc: Any) -> _Styles:
    """The style look-up of the document being built (one at a time: the last one's
    kept, by weak reference, so a picket sheet of 10,000 persons reads its styles once)."""
    import weakref

    global _LAST_STYLES
    last = _LAST_STYLES
    if last is not None and last[0]() is doc:
        return last[1]
    styles = _Styles(doc)
    _LAST_STYLES = (weakref.ref(doc), styles)
    return styles


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
    styles = _styles_of(doc)
    nums: dict[int, int] = {}
    for b in markdown_blocks(markdown):
        if b["type"] == "heading":
            level = min(max(int(b["level"]), 1), 3)
            p = styles.add(doc, f"Heading {level}")
            _add_runs(p, b["runs"], False)
        elif b["type"] == "item":
            depth = min(int(b["level"]), 3)
            suffix = "" if depth == 1 else f" {depth}"
            if not b["marker"]:
                p = styles.add(doc, f"List Continue{suffix}")
            elif b["ordered"]:
                style = f"List Number{suffix}"
                p = styles.add(doc, style)
                if b["list"] not in nums:
                    nums[b["list"]] = _new_num(doc, style)
                if nums[b["list"]]:
                    _number(p, nums[b["list"]])
            else:
                p = styles.add(doc, f"List Bullet{suffix}")
            _add_runs(p, b["runs"], b["small"])
        elif b["type"] == "rule":
            p = doc.add_paragraph("―" * 12)
        else:
            p = styles.add(doc, "Quote" if b.get("quote") else None)
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

    p = _styles_of(doc).add(doc, style)
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


# A mail merge writes hundreds of Word letters. Saving each through python-docx
# re-serialised and re-compressed 17 package parts per letter, 790 KB of style XML
# among them: 59% of the merge. The parts every letter shares (styles, settings,
# fonts, theme, numbering) are the same bytes in every file, so they are made once
# per language with python-docx, compressed once, and copied into each file as they
# are; a letter's own parts (its document.xml, its core properties and the header of
# its second page) are written as XML text and compressed alone.

_NS_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_HEADER_TYPE = _NS_R + "/header"
_HEADER_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"
_XML_HEAD = "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
# Parts written per file, never copied: the letter itself, what it says about
# itself, and the package's lists of parts (which name the letter's headers).
# python-docx's thumbnail, a picture of its own sample document, is left out.
_OWN_PARTS = ("[Content_Types].xml", "_rels/.rels", "word/_rels/document.xml.rels",
              "word/document.xml", "docProps/core.xml", "docProps/thumbnail.jpeg")
_PAGE_WORD = {"en": "page", "ru": "страница"}
# The page of an A4 letter, in twips: margins 25 mm left, 20 mm right, top and bottom.
_LETTER_SECT = ('<w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1134" w:right="1134" '
                'w:bottom="1134" w:left="1417" w:header="567" w:footer="567" w:gutter="0"/>'
                '<w:pgNumType w:start="1"/><w:cols w:space="720"/><w:titlePg/>'
                '<w:docGrid w:linePitch="360"/>')


def _twips_mm(mm: float) -> int:
    return int(round(int(mm * 36000) / 635))  # as python-docx rounds Mm() to twips


def _twips_pt(pt: float) -> int:
    return int(round(pt * 20))


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attr(text: str) -> str:
    return _esc(text).replace('"', "&quot;")


_BREAKS = re.compile(r"(\t|\r\n|\n|\r)")


def _run(text: str, *, bold: bool = False, size: float | None = None,
         brk: bool = False) -> str:
    """One run's XML, as python-docx's add_run writes it: a tab is a w:tab, a line
    break a w:br; text Word cannot hold is a visible '?'."""
    props = ("<w:b/>" if bold else "") + (f'<w:sz w:val="{int(round(size * 2))}"/>'
                                          if size else "")
    out = ["<w:r>", f"<w:rPr>{props}</w:rPr>" if props else ""]
    for piece in _BREAKS.split(word_text(text)):
        if piece == "\t":
            out.append("<w:tab/>")
        elif piece in ("\n", "\r", "\r\n"):
            out.append("<w:br/>")
        elif piece:
            out.append(f'<w:t xml:space="preserve">{_esc(piece)}</w:t>')
    if brk:
        out.append("<w:br/>")
    out.append("</w:r>")
    return "".join(out)


def _ppr(*, keep_next: bool = False, keep_lines: bool = False, frame: str = "",
         tab: int | None = None, before: int | None = None, after: int | None = None,
         indent: int | None = None, align: str | None = None) -> str:
    """A paragraph's properties in the schema's order (Word refuses them out of order)."""
    out = []
    if keep_next:
        out.append("<w:keepNext/>")
    if keep_lines:
        out.append("<w:keepLines/>")
    if frame:
        out.append(frame)
    if tab is not None:
        out.append(f'<w:tabs><w:tab w:val="left" w:pos="{tab}"/></w:tabs>')
    if before is not None or after is not None:
        out.append("<w:spacing" + (f' w:before="{before}"' if before is not None else "")
                   + (f' w:after="{after}"' if after is not None else "") + "/>")
    if indent is not None:
        out.append(f'<w:ind w:left="{indent}" w:hanging="{indent}"/>')
    if align:
        out.append(f'<w:jc w:val="{align}"/>')
    return "".join(out)


class _Paragraphs:
    """A letter's paragraphs as XML; the last one can still take a section break."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []  # (pPr content, runs)

    def add(self, runs: str, ppr: str = "") -> None:
        self.items.append((ppr, runs))

    def keep_last_with_next(self) -> None:
        if self.items:
            ppr, runs = self.items[-1]
            if not ppr.startswith("<w:keepNext/>"):
                self.items[-1] = ("<w:keepNext/>" + ppr, runs)

    def xml(self, sect: str = "") -> str:
        out = []
        last = len(self.items) - 1
        for n, (ppr, runs) in enumerate(self.items):
            if n == last and sect:
                ppr += sect
            out.append(f"<w:p><w:pPr>{ppr}</w:pPr>{runs}</w:p>" if ppr
                       else f"<w:p>{runs}</w:p>")
        return "".join(out)


def _lines_xml(lines: list[str], size: float | None = None) -> str:
    return "".join(_run(line, size=size, brk=i < len(lines) - 1)
                   for i, line in enumerate(lines))


_ITEM_TAB = _twips_mm(7)


# Each block's paragraph, made once: the blocks of a merge's shared paragraphs are the
# same objects in every letter (layout's chunk cache), so most of a letter is found
# here. Keyed by the block's id, the block kept alive beside its XML so no id is reused.
_BLOCK_XML: dict[tuple[int, bool], tuple[dict[str, Any], str, str]] = {}


def _blocks_xml(paras: _Paragraphs, blocks: list[dict[str, Any]], *, small: bool = False
                ) -> None:
    if len(_BLOCK_XML) > 8192:
        _BLOCK_XML.clear()
    for b in blocks:
        key = (id(b), small)
        found = _BLOCK_XML.get(key)
        if found is not None and found[0] is b:
            paras.add(found[2], found[1])
            continue
        ppr, runs = _block_xml(b, small)
        _BLOCK_XML[key] = (b, ppr, runs)
        paras.add(runs, ppr)


def _block_xml(b: dict[str, Any], small: bool) -> tuple[str, str]:
    """One block's paragraph: (its properties, its runs)."""
    if b["kind"] == "rule":
        return _ppr(before=_twips_pt(10)), _run("―" * 8)
    tiny = small or b["small"]
    after = _twips_pt(3 if tiny else 8)
    runs = []
    if b["kind"] == "item":
        ppr = _ppr(tab=_ITEM_TAB, after=after, indent=_ITEM_TAB)
        runs.append(_run(b["marker"] + "\t", size=SMALL_PT if tiny else None))
    else:
        ppr = _ppr(after=after)
    for i, line in enumerate(b["lines"]):
        for r in line:
            runs.append(_run(r["t"], bold=bool(r["b"]), size=SMALL_PT if tiny else None))
        if i < len(b["lines"]) - 1:
            runs.append("<w:r><w:br/></w:r>")
    return ppr, "".join(runs)


_FRAME = ('<w:framePr w:w="{w}" w:h="{h}" w:hRule="exact" w:hAnchor="page" '
          'w:vAnchor="page" w:x="{x}" w:y="{y}" w:wrap="notBeside"/>').format(
    **{k: int(v * 56.7) for k, v in WINDOW.items()})


def _letter_xml(item: dict[str, Any]) -> _Paragraphs:
    """One letter's paragraphs: the layout of the letters' PDF in Word's terms."""
    paras = _Paragraphs()
    parts = item.get("letter")
    if parts is None:
        _blocks_xml(paras, item["blocks"])
        return paras
    paras.add(_lines_xml(parts["sender"], size=9.5), _ppr(align="right"))
    if parts["address"]:
        paras.add(_lines_xml(parts["address"]), _ppr(frame=_FRAME))
    # Below the window: the date starts about 95 mm from the top of the page.
    used = 20 + 4.2 * len(parts["sender"])
    paras.add(_run(parts["date"]), _ppr(before=_twips_mm(max(6.0, 92 - used)),
                                        after=_twips_pt(12), align="right"))
    if parts["subject"]:
        paras.add(_run(parts["subject"], bold=True), _ppr(after=_twips_pt(12)))
    paras.add(_run(parts["salutation"]), _ppr(after=_twips_pt(8)))
    _blocks_xml(paras, parts["body"])
    # The last paragraph of the body goes with the closing, and the closing with the
    # name: "Yours sincerely" and the signature never stand alone on a page.
    paras.keep_last_with_next()
    paras.add(_run(parts["closing"]), _ppr(keep_next=True, before=_twips_pt(4),
                                           after=_twips_pt(4 * 13.5)))  # four lines to sign
    paras.add(_lines_xml(parts["signature"]))
    if parts["sources"]:
        _blocks_xml(paras, parts["sources"], small=True)
    return paras


def _header_xml(text: str) -> str:
    """A second page's header: who the letter is to, its date, and the page number
    (a field the word processor fills in); the first page has none (w:titlePg)."""
    runs = ""
    if text:
        runs = (_run(text, size=SMALL_PT)
                + f'<w:fldSimple w:instr=" PAGE "><w:r><w:rPr><w:sz w:val="{SMALL_PT * 2}"/>'
                  '</w:rPr><w:t>2</w:t></w:r></w:fldSimple>')
    return (f'{_XML_HEAD}<w:hdr xmlns:w="{_NS_W}" xmlns:r="{_NS_R}"><w:p><w:pPr>'
            f'<w:spacing w:after="{_twips_pt(12)}"/></w:pPr>{runs}</w:p></w:hdr>')


def _core_xml(*, title: str, author: str, lang: str, when: str) -> str:
    author = _esc(word_text(author))
    return (
        f'{_XML_HEAD}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/'
        '2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/'
        'dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{_esc(word_text(title))}</dc:title><dc:subject/>"
        f"<dc:creator>{author}</dc:creator><cp:keywords/><dc:description></dc:description>"
        f"<cp:lastModifiedBy>{author}</cp:lastModifiedBy><cp:revision>1</cp:revision>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{when}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{when}</dcterms:modified>'
        f"<cp:category/><dc:language>{_esc(lang)}</dc:language></cp:coreProperties>")


class _Zip:
    """A zip archive written by hand, so that parts compressed once can be copied in
    as they are (zipfile compresses every part it is given). Deflate, no extras,
    names in UTF-8; what Word, LibreOffice and python-docx read."""

    _STAMP = (0, (2026 - 1980) << 9 | 1 << 5 | 1)  # DOS time and date: 2026-01-01

    def __init__(self, start: _Zip | None = None) -> None:
        """An archive, empty or starting with what ``start`` holds (copied, not shared)."""
        self.chunks: list[bytes] = [b"".join(start.chunks)] if start else []
        self.central: list[bytes] = [b"".join(start.central)] if start else []
        self.count: int = start.count if start else 0
        self.offset: int = start.offset if start else 0

    @staticmethod
    def deflate(name: str, data: bytes, *, quick: bool = False
                ) -> tuple[str, bytes, int, int, int]:
        """A part, compressed: (name, raw deflate stream, CRC-32, size, method 8).

        A part shared by every letter is compressed once, as well as zlib can. A
        letter's own part is compressed quickly: most of zlib's time on a few
        kilobytes goes on setting up its 256 KB of state, so a small window (8 KB,
        a letter's document.xml) and little memory halve it, and level 1 halves it
        again, for about a tenth more bytes."""
        import zlib

        if quick:
            packer = zlib.compressobj(1, zlib.DEFLATED, -13, 5)
            packed = packer.compress(data) + packer.flush()
        else:
            packed = zlib.compress(data, 9, wbits=-15)
        return name, packed, zlib.crc32(data), len(data), 8

    @staticmethod
    def stored(name: str, data: bytes) -> tuple[str, bytes, int, int, int]:
        """A small part kept as it is (method 0): a few hundred bytes are not worth
        compressing."""
        import zlib

        return name, data, zlib.crc32(data), len(data), 0

    def add(self, part: tuple[str, bytes, int, int, int]) -> None:
        import struct

        name, packed, crc, size, method = part
        raw = name.encode("utf-8")
        flags = 0x800  # names in UTF-8
        time, date = self._STAMP
        local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, method, time, date, crc,
                            len(packed), size, len(raw), 0)
        self.central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flags, method,
                                        time, date, crc, len(packed), size, len(raw), 0, 0,
                                        0, 0, 0, self.offset) + raw)
        self.chunks += (local, raw, packed)
        self.offset += len(local) + len(raw) + len(packed)
        self.count += 1

    def bytes(self) -> bytes:
        import struct

        directory = b"".join(self.central)
        end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, self.count, self.count,
                          len(directory), self.offset, 0)
        return b"".join(self.chunks) + directory + end


class _Package:
    """What every Word letter in one language shares, made and compressed once.

    Making it takes python-docx (and lxml) and ~0.1 s; importing them another 0.14 s:
    more than writing 705 letters. So it is kept in the cache directory of compiled
    templates (``CAMPAIGN_CACHE``) as JSON, under a name that carries a digest of
    this module and python-docx's version, and a merge in a later process reads it
    without importing python-docx at all. Like a compiled template, a kept package
    is read only from a regular file of the user's that nobody else can write (its
    parts go into every letter), and one that cannot be read is made afresh.
    """

    def __init__(self, tag: str) -> None:
        kept = _kept_package(tag)
        if kept is not None:
            try:
                self._load(kept)
                self.starts: dict[int, _Zip] = {}
                return
            except (KeyError, TypeError, ValueError):
                pass
        self._make(tag)
        self.starts = {}
        _keep_package(tag, self._dump())

    def _dump(self) -> dict[str, Any]:
        import base64

        def part(p: tuple[str, bytes, int, int, int]) -> list[Any]:
            return [p[0], base64.b64encode(p[1]).decode("ascii"), p[2], p[3], p[4]]

        return {"shared": [part(p) for p in self.shared], "types": self.types,
                "doc_rels": self.doc_rels, "root_rels": part(self.root_rels),
                "document_open": self.document_open, "blank_header": part(self.blank_header)}

    def _load(self, kept: dict[str, Any]) -> None:
        import base64

        def part(p: list[Any]) -> tuple[str, bytes, int, int, int]:
            name, data, crc, size, method = p
            if not (isinstance(name, str) and all(isinstance(x, int)
                                                   for x in (crc, size, method))):
                raise TypeError(name)
            return name, base64.b64decode(data, validate=True), crc, size, method

        self.shared = [part(p) for p in kept["shared"]]
        self.types, self.doc_rels = str(kept["types"]), str(kept["doc_rels"])
        self.root_rels = part(kept["root_rels"])
        self.document_open = str(kept["document_open"])
        self.blank_header = part(kept["blank_header"])
        if not (self.types.endswith("</Types>") and self.doc_rels.endswith("</Relationships>")
                and self.document_open.endswith("<w:body>")):
            raise ValueError("not a kept Word package")

    def _make(self, tag: str) -> None:
        import zipfile

        from docx import Document
        from docx.oxml.ns import qn
        from docx.shared import Mm

        doc = Document()
        _fonts(doc)
        for section in doc.sections:
            section.page_height, section.page_width = Mm(297), Mm(210)
            section.left_margin, section.right_margin = Mm(25), Mm(20)
            section.top_margin = section.bottom_margin = Mm(20)
        defaults = doc.styles.element.find(qn("w:docDefaults"))
        rpr = (defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}") if defaults is not None
               else None)
        if rpr is not None:  # the proofing language of every run
            lang_el = rpr.find(qn("w:lang"))
            if lang_el is None:
                lang_el = rpr.makeelement(qn("w:lang"), {})
                rpr.append(lang_el)
            for attr in ("val", "eastAsia", "bidi"):
                lang_el.set(qn(f"w:{attr}"), tag)
        buf = io.BytesIO()
        doc.save(buf)
        with zipfile.ZipFile(buf) as z:
            parts = {name: z.read(name) for name in z.namelist()}
        self.shared = [_Zip.deflate(name, data) for name, data in parts.items()
                       if name not in _OWN_PARTS]
        self.types = parts["[Content_Types].xml"].decode("utf-8")
        self.doc_rels = parts["word/_rels/document.xml.rels"].decode("utf-8")
        self.root_rels = _Zip.deflate("_rels/.rels", re.sub(
            r"<Relationship [^>]*thumbnail[^>]*/>", "",
            parts["_rels/.rels"].decode("utf-8")).encode("utf-8"))
        head = parts["word/document.xml"].decode("utf-8")
        self.document_open = head[:head.index("<w:body>") + len("<w:body>")]
        self.blank_header = _Zip.deflate("word/header0.xml", _header_xml("").encode("utf-8"))

    def start(self, count: int) -> _Zip:
        """An archive holding every part but the letters' own, for ``count`` letters:
        the content types and the document's relationships name a header for each
        (and the blank one every first page shares). Cached for one letter, which a
        directory of letters asks for every time; its bytes are then copied as
        they are, offsets and all."""
        found = self.starts.get(count)
        if found is None:
            types = self.types.replace("</Types>", "".join(
                f'<Override PartName="/word/header{n}.xml" ContentType="{_HEADER_CT}"/>'
                for n in range(count + 1)) + "</Types>")
            rels = self.doc_rels.replace("</Relationships>", "".join(
                f'<Relationship Id="rIdH{n}" Type="{_HEADER_TYPE}" Target="header{n}.xml"/>'
                for n in range(count + 1)) + "</Relationships>")
            found = _Zip()
            found.add(_Zip.deflate("[Content_Types].xml", types.encode("utf-8")))
            found.add(self.root_rels)
            found.add(_Zip.deflate("word/_rels/document.xml.rels", rels.encode("utf-8")))
            for part in self.shared:
                found.add(part)
            found.add(self.blank_header)
            found = _Zip(found)  # one chunk each, quick to copy
            if count == 1:
                self.starts[count] = found
        return found


def _package_file(tag: str) -> Path | None:
    """Where the package of ``tag`` is kept: named by a digest of this module's code and
    the python-docx installed (where its code is, its size and time), so a change to
    either makes a new one. Not python-docx's version by importlib.metadata: importing
    that took ~45 ms, a sixth of what a Word merge adds to the Markdown one."""
    import hashlib
    import importlib.util
    import os

    from campaign.documents.templates import cache_dir

    directory = cache_dir()
    if directory is None:
        return None
    try:
        spec = importlib.util.find_spec("docx")
        origin = spec.origin if spec is not None else None
        if not origin:
            return None
        found = os.stat(origin)
        key = hashlib.sha256(Path(__file__).read_bytes())
        key.update(f"{origin}\0{found.st_size}\0{found.st_mtime_ns}".encode("utf-8",
                                                                          "surrogateescape"))
    except (OSError, ImportError, ValueError):
        return None
    return directory / f"word-letter-{re.sub(r'[^A-Za-z-]', '', tag)}-{key.hexdigest()[:20]}.json"


def _kept_package(tag: str) -> dict[str, Any] | None:
    import json
    import os

    from campaign.documents.templates import _unsafe

    path = _package_file(tag)
    if path is None:
        return None
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
                     | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as fh:
            if _unsafe(os.fstat(fh.fileno()), "file") or _unsafe(os.stat(path.parent),
                                                                    "directory"):
                return None
            kept = json.loads(fh.read())
    except (OSError, ValueError):
        return None
    return kept if isinstance(kept, dict) else None


def _keep_package(tag: str, kept: dict[str, Any]) -> None:
    """Keep the package for the next process: written owner-only under a temporary name
    and renamed into place, so a reader sees all of it or none. A cache is a
    shortcut: failing to keep it is not an error."""
    import json
    import os
    import tempfile

    path = _package_file(tag)
    if path is None:
        return
    try:
        os.makedirs(path.parent, mode=0o700, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".word-", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(kept, fh)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError:
        pass


_PACKAGES: dict[str, _Package] = {}
_PACKAGES_LOCK = threading.Lock()  # a library caller may make letters from several threads


def _package(tag: str) -> _Package:
    with _PACKAGES_LOCK:
        found = _PACKAGES.get(tag)
        if found is None:
            found = _PACKAGES[tag] = _Package(tag)
        return found


def letters_to_docx(letters: list[dict[str, Any]], *, title: str, author: str | None,
                    lang: str = "en") -> bytes:
    """Letters as Word letters on A4: sender block top right, the address in the
    envelope window, the date, the subject, salutation, spaced paragraphs, the closing
    with four lines of space to sign, name and organisation, sources as small notes.

    Each letter is ``{"letter": parts | None, "blocks": ..., "recipient": name}`` (see
    campaign.documents.letters.layout.letter_parts); without parts its blocks are set
    in order. Text goes in as runs, never parsed, so a name that looks like a link is
    text. Each letter is a section of its own, starting on a new page: from its
    second page on, a header names the recipient, the date and the page (the first
    page has none). The core properties say who wrote it and when (not python-docx
    in 2013), in the letter's language, which is also the proofing language.
    """
    import datetime as dt

    tag = {"en": "en-GB", "ru": "ru-RU"}.get(lang, lang)
    package = _package(tag)
    page = _PAGE_WORD.get(lang, _PAGE_WORD["en"])
    body = []
    headers = []
    for n, item in enumerate(letters, start=1):
        paras = _letter_xml(item)
        parts = item.get("letter") or {}
        said = [x for x in (item.get("recipient") or "", parts.get("date") or "") if x]
        headers.append(_header_xml(" · ".join([*said, page]) + " "))
        sect = (f'<w:sectPr><w:headerReference w:type="default" r:id="rIdH{n}"/>'
                f'<w:headerReference w:type="first" r:id="rIdH0"/>{_LETTER_SECT}</w:sectPr>')
        if n < len(letters):  # a section break in the letter's last paragraph
            body.append(paras.xml(sect))
        else:
            body.append(paras.xml() + sect)
    document = package.document_open + "".join(body) + "</w:body></w:document>"
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    out = _Zip(package.start(len(letters)))
    out.add(_Zip.deflate("word/document.xml", document.encode("utf-8"), quick=True))
    out.add(_Zip.stored("docProps/core.xml", _core_xml(
        title=title, author=author or "", lang=tag, when=now).encode("utf-8")))
    for n, header in enumerate(headers, start=1):
        out.add(_Zip.stored(f"word/header{n}.xml", header.encode("utf-8")))
    return out.bytes()
