"""One output helper for every list: ``--format table|json|csv|md``.

JSON is for scripts: the full records, stable keys, UTF-8. Table, CSV and
Markdown show the chosen columns. CSV cells that a spreadsheet would run as a
formula are neutralised.

The table is drawn here with the standard library rather than with rich: rich
cost ~50 ms to import and ~40 ms to lay out the prisoners list, a third of the
0.25 s a `campaign prisoners list` may take. The box looks like rich's default
(heavy head), which users already know.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import shutil
import sys
import textwrap
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from enum import StrEnum
from functools import lru_cache
from typing import Any, TextIO


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    md = "md"


Columns = Sequence[tuple[str, str]]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return "; ".join(cell(v) for v in value)
    return str(value)


def safe_csv_cell(text: str) -> str:
    """Prefix a quote so that Excel/LibreOffice show '=cmd|...' as text, not run it."""
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def to_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n"


def to_csv(rows: Sequence[Mapping[str, Any]], columns: Columns) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")  # RFC 4180; also quotes cells with a CR
    writer.writerow([key for key, _ in columns])
    for r in rows:
        writer.writerow([safe_csv_cell(cell(r.get(key))) for key, _ in columns])
    return buf.getvalue()


def _md_escape(text: str) -> str:
    return printable(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _md_head(columns: Columns) -> str:
    return ("| " + " | ".join(h for _, h in columns) + " |\n"
            + "|" + "|".join("---" for _ in columns) + "|\n")


def _md_row(r: Mapping[str, Any], columns: Columns) -> str:
    return "| " + " | ".join(_md_escape(cell(r.get(k))) for k, _ in columns) + " |\n"


def to_markdown(rows: Sequence[Mapping[str, Any]], columns: Columns) -> str:
    """A Markdown table, its cells not padded to a width: each row stands on its own, so
    a long list is written a row at a time (``emit_rows``) with the same text."""
    return _md_head(columns) + "".join(_md_row(r, columns) for r in rows)


# --- table -----------------------------------------------------------------

# Line breaks as a store may hold them (Windows, old Mac, Unicode separators).
_LINE_BREAK = re.compile("\r\n?|[\u2028\u2029]")
# C0 and C1 controls and DEL, once tabs and line breaks are dealt with: ESC
# starts terminal escape sequences, CR overwrites, so none may reach the terminal.
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")
_SOFT_HYPHEN = "\u00ad"
# Rich's default box (heavy head), as users know it; and the plain-ASCII one rich
# fell back to where the output's encoding has no box-drawing characters (a
# Windows redirect in cp1252, PYTHONIOENCODING=ascii). Each: left, fill, joint, right
# of the top rule, header line, header rule, body line and bottom rule.
_BOX = ("┏━┳┓", "┃ ┃┃", "┡━╇┩", "│ ││", "└─┴┘")
_ASCII_BOX = ("+--+", "| ||", "|-+|", "| ||", "+--+")


def printable(text: str) -> str:
    """Text safe to write to a terminal: no escape sequence from a store can drive it.

    Line breaks become ``\\n`` (kept as breaks in a cell), a tab one space, any
    other control character a visible ``?`` so the reader sees something was there.
    """
    text = _LINE_BREAK.sub("\n", text).replace("\t", " ")
    return _CONTROL.sub("?", text)


def say(*lines: str, out: TextIO | None = None) -> None:
    """Print lines of record text (a source's title, a prisoner's description, a document's
    text) for a person to read: every line through ``printable``, wherever it goes, so an
    escape sequence planted in a pack never reaches a terminal. Every command that prints
    record text outside a table uses this, as tables use ``printable`` themselves."""
    out = out or sys.stdout
    for line in lines:
        out.write(printable(line) + "\n")


@lru_cache(maxsize=4096)
def _char_width(ch: str) -> int:
    """Terminal cells one character takes: 2 for East Asian wide, 0 for marks.

    Combining marks (and zero-width format characters such as ZWJ) draw on the
    previous cell; counting them as 1 would push every later ``│`` off its column.
    """
    if unicodedata.combining(ch) or (
        unicodedata.category(ch) in ("Mn", "Me", "Cf") and ch != _SOFT_HYPHEN
    ):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def display_width(text: str) -> int:
    """Terminal cells ``text`` takes (``len`` counts code points, not cells)."""
    if text.isascii():
        return len(text)
    return sum(_char_width(ch) for ch in text)


def _fit(chunk: str, room: int, hyphens: bool) -> int:
    """How many characters of ``chunk`` fit in ``room`` cells; after a hyphen if one fits."""
    used = 0
    end = len(chunk)
    for i, ch in enumerate(chunk):
        used += _char_width(ch)
        if used > room:
            end = i
            break
    if hyphens and end < len(chunk):
        hyphen = chunk.rfind("-", 0, end)
        if hyphen > 0 and chunk[:hyphen].strip("-"):
            end = hyphen + 1
    return end


class _CellWrapper(textwrap.TextWrapper):
    """textwrap's splitting into words (at spaces, and after hyphens), measured in cells.

    TextWrapper counts code points, so a line of CJK would come out twice as wide
    as the column. Only the line filling is replaced; a word longer than the
    column breaks after a hyphen if one fits, else mid-word at the start of a line.
    """

    def _wrap_chunks(self, chunks: list[str]) -> list[str]:
        width = self.width
        lines: list[str] = []
        chunks.reverse()
        while chunks:
            line: list[str] = []
            used = 0
            if lines and self.drop_whitespace and not chunks[-1].strip():
                chunks.pop()  # the spaces at a break do not start the next line
            size = 0
            while chunks:
                size = display_width(chunks[-1])
                if used + size > width:
                    break
                used += size
                line.append(chunks.pop())
            if chunks and size > width:
                chunk = chunks[-1]
                end = _fit(chunk, width - used, self.break_on_hyphens)
                at_hyphen = end > 0 and chunk[end - 1] == "-"
                if line and not at_hyphen:
                    end = 0  # start a long word on its own line rather than split it early
                elif not line and end == 0:
                    end = 1  # never stall (the column is at least one character wide)
                if end:
                    line.append(chunk[:end])
                    if end < len(chunk):
                        chunks[-1] = chunk[end:]
                    else:
                        chunks.pop()
            if self.drop_whitespace and line and not line[-1].strip():
                line.pop()
            if line:
                lines.append("".join(line))
        return lines


def _wrap(text: str, width: int) -> list[str]:
    """Lines of ``text`` at most ``width`` cells wide; its own line breaks are kept."""
    lines: list[str] = []
    wrapper: _CellWrapper | None = None
    for line in text.split("\n"):
        line = line.rstrip(" ")
        if display_width(line) <= width:
            lines.append(line)
            continue
        if wrapper is None:
            wrapper = _CellWrapper(width, break_long_words=True, break_on_hyphens=True)
        lines.extend(wrapper.wrap(line) or [""])
    return lines


def _column_widths(natural: list[int], least: list[int], room: int) -> list[int]:
    """Natural widths if they fit in ``room``; else cap the widest columns first.

    A short column (a date, a status) keeps its width while a long text column
    gives way and wraps; squeezing all of them in proportion would break dates.
    """
    if sum(natural) <= room:
        return natural

    def capped(cap: int) -> list[int]:
        return [max(min(n, cap), lo) for n, lo in zip(natural, least, strict=True)]

    low, high = 0, max(natural)  # capped(low) fits (room >= sum(least)); capped(high) does not
    while high - low > 1:
        mid = (low + high) // 2
        if sum(capped(mid)) <= room:
            low = mid
        else:
            high = mid
    widths = capped(low)
    spare = room - sum(widths)
    for i, n in enumerate(natural):  # the cells left over go to the capped columns, left first
        if spare and widths[i] < n:
            widths[i] += 1
            spare -= 1
    return widths


def _centred(text: str | None, span: int, room: int) -> list[str]:
    """``text`` wrapped to ``room`` cells, each line centred over ``span`` cells."""
    if not text:
        return []
    lines = _wrap(printable(text), room)
    span = max([span, *(display_width(line) for line in lines)])
    return [" " * ((span - display_width(line)) // 2) + line for line in lines]


def to_table(
    rows: Sequence[Mapping[str, Any]],
    columns: Columns,
    *,
    title: str | None = None,
    caption: str | None = None,
    width: int | None = None,
    ascii_only: bool = False,
) -> str:
    """The rows as a box-drawn table no wider than ``width`` (default: the terminal's).

    Never narrower than the box needs for one character per column (two where a
    column holds a wide character). With no rows the headers are still drawn,
    so the reader sees what would be listed and the caption. ``ascii_only``
    draws the box with ``+-|`` for outputs that cannot encode box drawing.
    """
    return "".join(_table_lines(rows, columns, title=title, caption=caption, width=width,
                                ascii_only=ascii_only))


# Rows a streamed table measures its columns on (``emit_rows``).
TABLE_MEASURED_ROWS = 1000


def _table_lines(
    rows: Iterable[Mapping[str, Any]],
    columns: Columns,
    *,
    title: str | None = None,
    caption: str | None = None,
    width: int | None = None,
    ascii_only: bool = False,
    measured: int | None = None,
) -> Iterator[str]:
    """``to_table``'s lines, each with its line end, as they are drawn.

    With ``measured``, the columns are sized on the first ``measured`` rows only and
    the rest are drawn as they come, so a long list is never held whole. A later cell
    wider than its column wraps inside it, as a long cell does in a narrow terminal;
    every column is then at least two cells wide, room for one wide character. A
    list no longer than ``measured`` comes out exactly as ``to_table`` draws it.
    """
    if width is None:
        width = shutil.get_terminal_size((80, 24)).columns
    headers = [printable(h) for _, h in columns]

    def cells_of(r: Mapping[str, Any]) -> list[str]:
        return [printable(cell(r.get(k))) for k, _ in columns]

    rest: Iterator[Mapping[str, Any]] = iter(())
    if measured is None:
        body = [cells_of(r) for r in rows]
        more = False
    else:
        it = iter(rows)
        body = [cells_of(r) for r in itertools.islice(it, measured)]
        following = next(it, None)
        more = following is not None
        if following is not None:
            rest = itertools.chain((following,), it)
    texts = [[h, *(b[i] for b in body)] for i, h in enumerate(headers)]
    natural = [max(1, *(display_width(line.rstrip(" ")) for t in col for line in t.split("\n")))
               for col in texts]
    least = [2 if more or any(_char_width(ch) == 2 for t in col if not t.isascii() for ch in t)
             else 1 for col in texts]
    frame = 3 * len(columns) + 1  # "│ " before each column, " │" after the last
    widths = _column_widths([max(n, lo) for n, lo in zip(natural, least, strict=True)],
                            least, max(width - frame, sum(least)))

    def row_lines(cells: list[str], side: str, inner: str) -> Iterator[str]:
        wrapped = [_wrap(text, w) for text, w in zip(cells, widths, strict=True)]
        height = max(len(lines) for lines in wrapped)
        for n in range(height):
            parts = []
            for lines, w in zip(wrapped, widths, strict=True):
                text = lines[n] if n < len(lines) else ""
                parts.append(text + " " * (w - display_width(text)))
            yield f"{side} " + f" {inner} ".join(parts) + f" {side}\n"

    def rule(chars: str) -> str:
        return chars[0] + chars[2].join(chars[1] * (w + 2) for w in widths) + chars[3] + "\n"

    span = sum(widths) + frame if columns else 0
    room = max(width, span, 1)
    for line in _centred(title, span, room):
        yield line + "\n"
    top, head, head_rule, line, bottom = _ASCII_BOX if ascii_only else _BOX
    if columns:
        yield rule(top)
        yield from row_lines(headers, head[0], head[2])
        yield rule(head_rule)
        for row in body:
            yield from row_lines(row, line[0], line[2])
        for r in rest:
            yield from row_lines(cells_of(r), line[0], line[2])
        yield rule(bottom)
    for text in _centred(caption, span, room):
        yield text + "\n"


def _isatty(out: TextIO) -> bool:
    try:
        return bool(out.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def _for_terminal(text: str) -> str:
    """CSV shown on a terminal: its CRLF row ends kept, any other control character made
    visible as ``printable`` does."""
    return "\r\n".join(printable(row) for row in text.split("\r\n"))


def _can_encode(out: TextIO, text: str) -> bool:
    encoding = getattr(out, "encoding", None) or "utf-8"  # StringIO has none: it takes anything
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def emit_rows(rows: Iterable[Mapping[str, Any]], fmt: Format, columns: Columns,
              out: TextIO | None = None, *, title: str | None = None,
              caption: str | None = None) -> None:
    """The list written a row at a time as the rows come, so a long one is never held
    whole, in any format: the same text ``emit`` writes for it, but for a long table.

    JSON holds the whole records, CSV and Markdown the columns (a Markdown table's
    cells are not padded, so each row is written as it is read). A box-drawn table
    must know its column widths before its first row: up to ``TABLE_MEASURED_ROWS``
    rows it is drawn exactly as ``emit`` draws it; a longer list is one table whose
    columns are sized on those first rows, the rest drawn as they come, a cell wider
    than its column wrapping inside it (see ``_table_lines``). A reader of a long list
    at a terminal sees its first rows at once, and memory stays flat however many
    people a campaign follows. ``title`` and ``caption`` go where ``emit`` puts them
    (not in CSV or JSON).
    """
    out = out or sys.stdout
    if fmt is Format.json:
        first = True
        for r in rows:
            item = json.dumps(r, ensure_ascii=False, indent=2, default=str)
            out.write(("[\n" if first else ",\n") + textwrap.indent(item, "  "))
            first = False
        out.write("[]\n" if first else "\n]\n")
    elif fmt is Format.csv:
        tty = _isatty(out)
        out.write(to_csv([], columns))
        for r in rows:
            line = to_csv([r], columns).split("\r\n", 1)[1]  # without the header
            out.write(_for_terminal(line) if tty else line)
    elif fmt is Format.md:
        if title:
            out.write(f"## {printable(title)}\n\n")
        out.write(_md_head(columns))
        for r in rows:
            out.write(_md_row(r, columns))
        if caption:
            out.write(f"\n{printable(caption)}\n")
    else:
        for line in _table_lines(rows, columns, title=title, caption=caption,
                                 ascii_only=not _can_encode(out, "".join(_BOX)),
                                 measured=TABLE_MEASURED_ROWS):
            out.write(line)


def emit(
    data: Any,
    fmt: Format,
    columns: Columns,
    rows: Sequence[Mapping[str, Any]] | None = None,
    *,
    title: str | None = None,
    caption: str | None = None,
    out: TextIO | None = None,
) -> None:
    """Print ``data`` (JSON) or ``rows`` (default: data) as the chosen format."""
    out = out or sys.stdout
    rows = data if rows is None else rows
    if fmt is Format.json:
        out.write(to_json(data))
    elif fmt is Format.csv:
        text = to_csv(rows, columns)  # exact for a file or a script; safe for a terminal
        out.write(_for_terminal(text) if _isatty(out) else text)
    elif fmt is Format.md:  # a Markdown table is the same written at once or streamed
        emit_rows(rows, fmt, columns, out, title=title, caption=caption)
    else:
        out.write(to_table(rows, columns, title=title, caption=caption,
                           ascii_only=not _can_encode(out, "".join(_BOX))))
