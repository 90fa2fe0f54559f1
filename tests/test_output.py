"""The one output helper: stable JSON, safe CSV, escaped Markdown, a table that fits."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import unicodedata
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from campaign import output
from campaign.output import (
    Format,
    _table_lines,
    display_width,
    emit,
    emit_rows,
    safe_csv_cell,
    to_csv,
    to_markdown,
    to_table,
)


@given(st.text())
def test_csv_cell_never_starts_a_formula(text: str) -> None:
    assert not safe_csv_cell(text).startswith(("=", "+", "-", "@", "\t", "\r"))


@given(st.lists(st.text(), min_size=1, max_size=5))
def test_csv_round_trips_through_a_reader(values: list[str]) -> None:
    rows = [{"a": v} for v in values]
    parsed = list(csv.reader(io.StringIO(to_csv(rows, [("a", "A")]))))
    assert parsed[0] == ["a"]
    assert [r[0] for r in parsed[1:]] == [safe_csv_cell(v) for v in values]


def test_markdown_escapes_pipes() -> None:
    out = to_markdown([{"a": "x | y"}], [("a", "A")])
    assert "x \\| y" in out


def test_json_is_the_full_record() -> None:
    buf = io.StringIO()
    emit([{"a": 1, "b": ["Жаңаөзен"]}], Format.json, [("a", "A")], out=buf)
    assert json.loads(buf.getvalue()) == [{"a": 1, "b": ["Жаңаөзен"]}]
    assert "Жаңаөзен" in buf.getvalue()


# --- table ------------------------------------------------------------------


def cells(text: str) -> int:
    """Terminal cells, written out independently of campaign.output: wide 2, marks 0."""
    total = 0
    for ch in text:
        if ch != "\u00ad" and (unicodedata.combining(ch)
                               or unicodedata.category(ch) in ("Mn", "Me", "Cf")):
            continue
        total += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return total


def box(out: str) -> list[str]:
    """The box's lines: from the top rule to the bottom one (title and caption left out)."""
    lines = out.splitlines()
    top = next(i for i, line in enumerate(lines) if line.startswith("┏"))
    bottom = max(i for i, line in enumerate(lines) if line.startswith("└"))
    return lines[top:bottom + 1]


def body(out: str) -> list[str]:
    """The box's lines between the header rule and the bottom rule."""
    lines = box(out)
    start = next(i for i, line in enumerate(lines) if line.startswith("┡"))
    return lines[start + 1:-1]


def bars(line: str, bar: str = "│") -> list[int]:
    """The terminal columns at which ``bar`` is drawn on this line."""
    return [cells(line[:i]) for i, ch in enumerate(line) if ch == bar]


def minimum(rows: list[list[str]], headers: list[str]) -> int:
    """What the box needs for one character per column (two where a wide one is in it)."""
    need = 3 * len(headers) + 1
    for i, h in enumerate(headers):
        texts = [h, *(r[i] for r in rows)]
        need += 2 if any(cells(ch) == 2 for t in texts for ch in t) else 1
    return need


WORDS = ["Жаңаөзен", "Қазақстан", "café", "e\u0301te\u0301", "Zhanaozen", "中国工人",
         "日本語のテキスト", "ｆｕｌｌｗｉｄｔｈ", "greens-efa-2012-03-07", "2012-03-07",
         "x" * 40, "co-president", "--", "\u200b", "\u0301", "\x1b[2J", "\x1b]0;owned\x07",
         "\r\n", "\r", "\t", "\n", "\x85", "\x9b31m", "\x7f", "\u2028", "🙂"]
cell_text = st.one_of(
    st.text(max_size=60),
    st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=8)), max_size=14).map(" ".join),
    st.lists(st.sampled_from(WORDS), max_size=10).map("".join),
)


@st.composite
def tables(draw: st.DrawFn, text: st.SearchStrategy[str] = cell_text
           ) -> tuple[list[list[str]], list[str]]:
    n = draw(st.integers(1, 5))
    headers = draw(st.lists(st.sampled_from(["name", "status", "date", "Жаңаөзен", "中国", "#"]),
                            min_size=n, max_size=n))
    rows = draw(st.lists(st.lists(text, min_size=n, max_size=n), max_size=6))
    return rows, headers


def render(rows: list[list[str]], headers: list[str], width: int,
           title: str | None = None, caption: str | None = None) -> str:
    columns = [(f"c{i}", h) for i, h in enumerate(headers)]
    records = [{f"c{i}": v for i, v in enumerate(r)} for r in rows]
    return to_table(records, columns, title=title, caption=caption, width=width)


@settings(max_examples=300, deadline=None)
@given(tables(), st.integers(20, 160),
       st.sampled_from([None, "Political prisoners — as of 2026-11-23",
                        "Жаңаөзен 中国 " * 12, "\x1b]0;owned\x07 title\ttab\r\nnext"]))
def test_table_fits_the_width_and_the_box_is_straight(
        table: tuple[list[list[str]], list[str]], width: int, title: str | None) -> None:
    rows, headers = table
    out = render(rows, headers, title=title, caption="Each status is as reported.", width=width)
    assert out.endswith("\n")
    assert not [ch for ch in out if ch != "\n" and unicodedata.category(ch) == "Cc"]
    limit = max(width, minimum(rows, headers))
    assert all(cells(line) <= limit for line in out.splitlines()), out
    lines = box(out)
    assert len({cells(line) for line in lines}) == 1, out
    assert len(lines) >= 4 + len(rows)  # top, header, rule, a line per row at least, bottom


# Text in which nothing is rewritten (no controls) and no bar could be mistaken for the box's.
plain = st.characters(exclude_categories=("Cc", "Cs"), exclude_characters="│┃")
plain_text = st.one_of(
    st.text(plain, max_size=60),
    st.lists(st.one_of(st.sampled_from([w for w in WORDS if w.isprintable() or w == "\n"]),
                       st.text(plain, max_size=8)), max_size=14).map(" ".join),
)


def squeeze(text: str) -> str:
    return "".join(text.split())


@settings(max_examples=300, deadline=None)
@given(tables(plain_text), st.integers(20, 160))
def test_table_keeps_every_character_of_each_cell_in_order(
        table: tuple[list[list[str]], list[str]], width: int) -> None:
    """Wrapping only drops spaces at breaks: column by column, nothing is lost, added or moved."""
    rows, headers = table
    lines = body(render(rows, headers, width=width))
    n = len(headers)
    assert all(bars(line) == bars(lines[0]) for line in lines)  # every │ in its column
    pieces = [line.split("│") for line in lines]
    assert all(len(p) == n + 2 for p in pieces)
    for i in range(n):
        shown = "".join(p[i + 1] for p in pieces)
        assert squeeze(shown) == squeeze("".join(r[i] for r in rows)), (i, lines)


def test_display_width_counts_terminal_cells() -> None:
    assert display_width("Aiman") == 5
    assert display_width("Жаңаөзен") == 8
    assert display_width("e\u0301te\u0301") == 3
    assert display_width("中国") == 4
    assert display_width("ｆｕｌｌ") == 8
    assert display_width("a\u200bb") == 2


def test_a_narrow_date_column_is_not_squeezed_while_long_text_wraps() -> None:
    text = ("Detained after the Zhanaozen clashes of December 2011, tried with other oil "
            "workers and sentenced; reported by several sources over the following months")
    rows = [{"date": "2012-03-07", "status": "detained", "text": text}]
    out = to_table(rows, [("date", "date"), ("status", "status"), ("text", "details")],
                   width=60)
    lines = body(out)
    assert all(cells(line) <= 60 for line in out.splitlines())
    assert len(lines) > 2  # the text wraps...
    dates = [line.split("│")[1].strip() for line in lines]
    assert dates[0] == "2012-03-07" and not any(dates[1:])  # ...the date does not
    assert lines[0].split("│")[2].strip() == "detained"
    assert squeeze("".join(line.split("│")[3] for line in lines)) == squeeze(text)
    assert cells(lines[0]) == 60  # the long column takes all the room there is


def test_columns_take_their_natural_width_when_the_table_fits() -> None:
    out = to_table([{"a": "Roza", "b": "imprisoned"}], [("a", "name"), ("b", "status")],
                   width=120)
    assert out == (
        "┏━━━━━━┳━━━━━━━━━━━━┓\n"
        "┃ name ┃ status     ┃\n"
        "┡━━━━━━╇━━━━━━━━━━━━┩\n"
        "│ Roza │ imprisoned │\n"
        "└──────┴────────────┘\n"
    )


def test_the_box_users_know() -> None:
    rows = [{"name": "Aiman Ungarbaeva", "status": "detained (as reported in March 2012)",
             "who": "oil worker"}]
    out = to_table(rows, [("name", "name"), ("status", "status"), ("who", "who")],
                   title="Political prisoners", caption="As reported.", width=46)
    assert out == (
        "             Political prisoners\n"
        "┏━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┓\n"
        "┃ name          ┃ status        ┃ who        ┃\n"
        "┡━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━╇━━━━━━━━━━━━┩\n"
        "│ Aiman         │ detained (as  │ oil worker │\n"
        "│ Ungarbaeva    │ reported in   │            │\n"
        "│               │ March 2012)   │            │\n"
        "└───────────────┴───────────────┴────────────┘\n"
        "                 As reported.\n"
    )


BOX = "┏┳┓┃┡╇┩│└┴┘"


def test_cyrillic_lines_up() -> None:
    """Cyrillic and Kazakh letters take one cell each: every bar at the same offset."""
    rows = [{"name": "Жаңаөзен", "who": "мұнайшылар ереуілі", "place": "Маңғыстау облысы"},
            {"name": "Roza Tuletaeva", "who": "oil worker", "place": "Ақтау"}]
    out = to_table(rows, [("name", "Аты"), ("who", "кім"), ("place", "орны")], width=40)
    lines = box(out)
    positions = {tuple(i for i, ch in enumerate(line) if ch in BOX) for line in lines}
    assert len(positions) == 1, out
    assert len(next(iter(positions))) == 4
    assert max(cells(line) for line in out.splitlines()) <= 40


def test_accents_and_wide_characters_line_up() -> None:
    """Combining accents take no cell and CJK two: the bars agree on screen, not in code points."""
    rows = [{"name": "Жаңаөзен", "who": "мұнайшылар", "note": "oil workers"},
            {"name": "Roza Tuletaeva", "who": "café e\u0301te\u0301", "note": "中国 工人"},
            {"name": "Қазақстан", "who": "ｆｕｌｌ", "note": "日本語のテキストです、長い"}]
    out = to_table(rows, [("name", "Аты"), ("who", "кім"), ("note", "note")], width=36)
    lines = box(out)
    positions = {tuple(cells(line[:i]) for i, ch in enumerate(line) if ch in BOX)
                 for line in lines}
    assert len(positions) == 1, out
    assert len(next(iter(positions))) == 4
    assert {cells(line) for line in lines} == {36}
    assert "│ café e\u0301te\u0301  │" in out and "│ 中国     │" in out


def test_empty_rows_still_show_the_headers_and_caption() -> None:
    out = to_table([], [("date", "date"), ("name", "name")], title="T", caption="Nothing here.")
    assert out == (
        "       T\n"
        "┏━━━━━━┳━━━━━━┓\n"
        "┃ date ┃ name ┃\n"
        "┡━━━━━━╇━━━━━━┩\n"
        "└──────┴──────┘\n"
        " Nothing here.\n"
    )


def test_title_and_caption_are_centred_and_wrapped() -> None:
    rows = [{"a": "x" * 30}]
    out = to_table(rows, [("a", "A")], title="Prisoners", caption="word " * 20, width=34)
    lines = out.splitlines()
    assert lines[0] == " " * 12 + "Prisoners"
    assert lines[1].startswith("┏") and cells(lines[1]) == 34
    caption = lines[lines.index(box(out)[-1]) + 1:]
    assert len(caption) > 1 and all(cells(line) <= 34 for line in caption)
    assert squeeze("".join(caption)) == "word" * 20


def test_long_words_break_at_hyphens_first_then_anywhere() -> None:
    rows = [{"s": "greens-efa-2012-03-07"}, {"s": "x" * 25}]

    def pieces(width: int) -> list[str]:
        return [line.split("│")[1].strip()
                for line in body(to_table(rows, [("s", "src")], width=width))]

    assert pieces(16) == ["greens-efa-", "2012-03-07", "x" * 12, "x" * 12, "x"]
    assert pieces(12) == ["greens-", "efa-", "2012-03-", "07", "x" * 8, "x" * 8, "x" * 8, "x"]


def test_cells_keep_their_line_breaks() -> None:
    lines = body(to_table([{"a": "a longer first line\nb\r\nc\n\nd"}], [("a", "A")], width=80))
    assert [line.split("│")[1].strip() for line in lines] == ["a longer first line", "b", "c",
                                                             "", "d"]


def test_control_characters_never_reach_the_terminal() -> None:
    rows = [{"a": "\x1b[2Jred\tx\x07\x9b1m\x00"}]
    out = to_table(rows, [("a", "A\x1b[31m")], title="\x1b]0;t\x07", width=80)
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out and "\t" not in out
    assert "?[2Jred x??1m?" in out and "A?[31m" in out


def test_width_defaults_to_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "30")
    out = to_table([{"a": "word " * 40, "b": "2012-03-07"}], [("a", "A"), ("b", "B")])
    assert max(cells(line) for line in out.splitlines()) == 30


def test_emit_table_writes_to_out() -> None:
    buf = io.StringIO()
    rows = [{"a": "Жаңаөзен"}]
    emit(rows, Format.table, [("a", "A")], title="T", caption="C", out=buf)
    assert buf.getvalue() == to_table(rows, [("a", "A")], title="T", caption="C")
    assert "│ Жаңаөзен │" in buf.getvalue()


def test_an_output_without_box_drawing_gets_an_ascii_box() -> None:
    """As rich did: a cp1252 redirect on Windows cannot encode ┏━┃, but can show +-|."""
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="cp1252", newline="\n")
    emit([{"a": "Roza", "b": "café"}], Format.table, [("a", "name"), ("b", "place")],
         title="T", out=out)
    out.flush()
    assert raw.getvalue().decode("cp1252") == (
        "       T\n"
        "+--------------+\n"
        "| name | place |\n"
        "|------+-------|\n"
        "| Roza | café  |\n"
        "+--------------+\n"
    )


def test_prisoners_list_fits_80_columns(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    r = cli("prisoners", "list")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert max(cells(line) for line in lines) <= 80
    assert len({cells(line) for line in box(r.stdout)}) == 1
    assert "Aiman Ungarbaeva" in r.stdout
    # the heading says whom it lists: not "Political prisoners" for the sacked or summoned
    assert lines[0].strip().startswith("People imprisoned, charged, killed, released,")
    assert lines[-1].strip() == "Each status is as reported in the cited source, on the date shown."


def test_the_table_path_does_not_import_rich() -> None:
    code = ("import sys; from campaign.output import emit, Format; import io; "
            "emit([{'a':'x'}], Format.table, [('a','A')], out=io.StringIO()); "
            "print('rich' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == "False"


# A fixed example for each prefix a spreadsheet reads as a formula (issue 15): the
# property test above can miss one, these cannot.
@pytest.mark.parametrize("text", [
    "=HYPERLINK(\"http://evil.example\",\"click\")",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
], ids=["equals", "plus", "minus", "at", "tab", "carriage-return"])
def test_each_formula_prefix_is_neutralised(text: str) -> None:
    assert safe_csv_cell(text) == "'" + text
    parsed = list(csv.reader(io.StringIO(to_csv([{"a": text}], [("a", "A")]))))
    assert parsed[1] == ["'" + text]


@pytest.mark.parametrize("text", ["Roza Tuletaeva", "16 December 2011", "'quoted", " =x"])
def test_ordinary_cells_are_left_alone(text: str) -> None:
    assert safe_csv_cell(text) == text


def measured_table(rows: list[list[str]], headers: list[str], width: int, measured: int,
                   caption: str | None = None) -> str:
    columns = [(f"c{i}", h) for i, h in enumerate(headers)]
    records = [{f"c{i}": v for i, v in enumerate(r)} for r in rows]
    return "".join(_table_lines(records, columns, caption=caption, width=width,
                                measured=measured))


@settings(max_examples=300, deadline=None)
@given(tables(), st.integers(20, 160), st.integers(0, 7))
def test_a_table_sized_on_its_first_rows_is_straight_and_fits(
        table: tuple[list[list[str]], list[str]], width: int, measured: int) -> None:
    """A streamed table sizes its columns on the first rows; later, wider cells (wide
    characters too) wrap inside them and the box stays straight. While the list is no
    longer than that, it is the table ``to_table`` draws."""
    rows, headers = table
    out = measured_table(rows, headers, width, measured, caption="Each status is as reported.")
    if len(rows) <= measured:
        assert out == render(rows, headers, width=width, caption="Each status is as reported.")
    assert not [ch for ch in out if ch != "\n" and unicodedata.category(ch) == "Cc"]
    limit = max(width, 5 * len(headers) + 1)  # two cells a column at least, and the box
    assert all(cells(line) <= limit for line in out.splitlines()), out
    lines = box(out)
    assert len({cells(line) for line in lines}) == 1, out
    assert len(lines) >= 4 + len(rows)


@settings(max_examples=300, deadline=None)
@given(tables(plain_text), st.integers(20, 160), st.integers(0, 7))
def test_a_table_sized_on_its_first_rows_keeps_every_character_in_order(
        table: tuple[list[list[str]], list[str]], width: int, measured: int) -> None:
    rows, headers = table
    lines = body(measured_table(rows, headers, width, measured))
    n = len(headers)
    assert all(bars(line) == bars(lines[0]) for line in lines)
    pieces = [line.split("│") for line in lines]
    assert all(len(p) == n + 2 for p in pieces)
    for i in range(n):
        shown = "".join(p[i + 1] for p in pieces)
        assert squeeze(shown) == squeeze("".join(r[i] for r in rows)), (i, lines)


def test_a_long_list_is_written_as_its_rows_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """Table and Markdown, like CSV and JSON: the first row is out before the last is read
    (a table once it has read the rows it sizes its columns on, and one more)."""
    monkeypatch.setattr(output, "TABLE_MEASURED_ROWS", 3)
    read = 0

    def rows() -> Any:
        nonlocal read
        for n in range(10):
            read += 1
            yield {"a": f"row {n}" + " wide" * n}

    written: list[tuple[int, str]] = []

    class Out(io.StringIO):
        def write(self, s: str) -> int:
            written.append((read, s))
            return super().write(s)

    for fmt, first_row_after in ((Format.table, 4), (Format.md, 1), (Format.csv, 1),
                                 (Format.json, 1)):
        read, written = 0, []
        out = Out()
        emit_rows(rows(), fmt, [("a", "A")], out=out, title="T", caption="C")
        assert next(n for n, s in written if "row 0" in s) == first_row_after, fmt
        assert "row 9" in out.getvalue()
        if fmt is Format.table:
            assert len({cells(line) for line in box(out.getvalue())}) == 1
            assert out.getvalue().splitlines()[0].strip() == "T"
            assert out.getvalue().splitlines()[-1].strip() == "C"


def test_a_streamed_list_that_fits_its_measure_is_the_whole_list_s_text() -> None:
    rows = [{"a": "Жаңаөзен", "b": "中国 " * 30}, {"a": "x|y\\z", "b": None}]
    columns = [("a", "A"), ("b", "B")]
    for fmt in Format:
        whole, streamed = io.StringIO(), io.StringIO()
        emit(rows, fmt, columns, title="T", caption="C", out=whole)
        emit_rows(iter(rows), fmt, columns, title="T", caption="C", out=streamed)
        assert streamed.getvalue() == whole.getvalue(), fmt
