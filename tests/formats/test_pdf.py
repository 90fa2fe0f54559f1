"""PDF with Typst: blocks from Markdown, JSON-only data, fonts with Kazakh letters, errors."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from campaign.errors import TemplateError
from campaign.formats.pdf import context_to_pdf, markdown_blocks, markdown_to_pdf

MD = """# Жаңаөзен #set page(width: 1cm) $x$

Text with **bold** and [link](https://example.org).

1. one
   - sub
2. two

## Sources

1. A source.
"""


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return markdown_to_pdf(MD, title="Жаңаөзен")


def test_blocks() -> None:
    blocks = markdown_blocks(MD)
    assert [b["type"] for b in blocks] == ["heading", "paragraph", "item", "item", "item",
                                           "heading", "item"]
    items = [b for b in blocks if b["type"] == "item"]
    assert [b["marker"] for b in items] == ["1.", "–", "2.", "1."]
    assert items[0]["list"] == items[2]["list"] != items[3]["list"]
    assert items[1]["level"] == 2
    assert blocks[1]["runs"][1] == {"text": "bold", "bold": True, "italic": False, "mono": False}
    assert blocks[1]["runs"][-1]["text"].endswith("link (https://example.org).")
    assert blocks[-1]["small"] and not blocks[2]["small"]


def test_text_layer_kazakh_and_markup_as_text(pdf: bytes) -> None:
    reader = PdfReader(io.BytesIO(pdf))
    text = reader.pages[0].extract_text()
    assert "Жаңаөзен #set page(width: 1cm) $x$" in text
    assert "1. one" in text.replace("\n", " ") or "1.one" in text.replace(" ", "")
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    assert reader.metadata.title == "Жаңаөзен"


def test_fonts_embedded_cover_kazakh(pdf: bytes) -> None:
    """The bundled Libertinus Serif has its own glyphs for ң, ө (no fallback font needed)."""
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    fonts = {str(f.get_object()["/BaseFont"]) for f in page["/Resources"]["/Font"].values()}
    assert any("LibertinusSerif" in f for f in fonts)
    import typst

    only_libertinus = typst.compile(
        b'#set text(font: "Libertinus Serif", fallback: false)\n\xd0\x96\xd0\xb0\xd2\xa3\xd0'
        b'\xb0\xd3\xa9\xd0\xb7\xd0\xb5\xd0\xbd')
    assert "Жаңаөзен" in PdfReader(io.BytesIO(only_libertinus)).pages[0].extract_text()


def test_user_override_and_errors(tmp_path: Path) -> None:
    (tmp_path / "document.typ").write_text(
        '#let data = json(bytes(sys.inputs.at("data")))\nCustom: #data.title\n', encoding="utf-8")
    pdf = markdown_to_pdf("x", title="Mine", user_dir=tmp_path)
    assert "Custom: Mine" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    (tmp_path / "broken.typ").write_text("#let x = (\n", encoding="utf-8")
    with pytest.raises(TemplateError, match=str(tmp_path / "broken.typ")):
        context_to_pdf("broken.typ", {}, tmp_path)


def _letters_data(names: list[str]) -> list[dict[str, object]]:
    return [{"title": "Letter", "blocks": [
        {"kind": "para", "marker": "", "small": False, "lines": [[{"t": f"Dear {n},", "b": False}]]}
    ]} for n in names]


def test_parts_are_typeset_apart_and_joined_in_order() -> None:
    from campaign.formats.pdf import parts_to_pdf

    names = ["Жанар Ахметова", "Roza Tuletaeva", "Aiman Ungarbaeva", "Vadim Kuramshin", "X"]
    parts = [{"letters": _letters_data(names[i:i + 2])} for i in range(0, len(names), 2)]
    pdf = parts_to_pdf("letters.typ", parts, title="Political prisoners")
    reader = PdfReader(io.BytesIO(pdf))
    assert [p.extract_text().strip() for p in reader.pages] == [f"Dear {n}," for n in names]
    assert reader.metadata is not None and reader.metadata.title == "Political prisoners"


def test_parts_made_as_they_are_taken_start_before_the_last_is_made(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A generator of parts: the first is handed to Typst before the rest are made (a
    merge's first part is typeset while it makes the others), and all are joined in
    order."""
    import subprocess
    import threading

    from campaign.formats.pdf import parts_to_pdf

    names = [f"Member {n}" for n in range(6)]
    made: list[int] = []
    first_started = threading.Event()
    real_popen = subprocess.Popen

    def popen(*args: Any, **kwargs: Any) -> Any:
        first_started.set()
        return real_popen(*args, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", popen)

    def parts() -> Any:
        for k in range(0, len(names), 2):
            if k == len(names) - 2:  # the last part is made only once the first has begun
                assert first_started.wait(30)
            made.append(k)
            yield {"letters": _letters_data(names[k:k + 2])}

    reader = PdfReader(io.BytesIO(parts_to_pdf("letters.typ", parts())))
    assert [p.extract_text().strip() for p in reader.pages] == [f"Dear {n}," for n in names]
    assert made == [0, 2, 4]


def test_parts_are_handed_out_one_ahead_of_the_workers() -> None:
    """A merge of many parts holds only a few parts' data at once: part k is made only
    once part k - PARALLEL_PARTS - 1 is joined (an executor's map would make them all
    before the first was back)."""
    from campaign.formats.pdf import PARALLEL_PARTS, parts_to_pdf

    names = [f"Member {n}" for n in range(10)]
    joined: list[int] = []
    behind: list[int] = []  # at each part made, how many made parts were not yet joined

    def parts() -> Any:
        for k, name in enumerate(names):
            behind.append(k - len(joined))
            yield {"letters": _letters_data([name])}

    reader = PdfReader(io.BytesIO(parts_to_pdf("letters.typ", parts(), joined=joined.append)))
    assert [p.extract_text().strip() for p in reader.pages] == [f"Dear {n}," for n in names]
    assert joined == list(range(len(names)))
    assert max(behind) == PARALLEL_PARTS


def test_a_part_process_that_stops_before_reading_its_data_fails_in_one_line(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The part's data are written to the process as they are made: one that has
    stopped (here, an interpreter that exits at once) is a TemplateError, not a broken
    pipe."""
    import sys

    from campaign.formats.pdf import parts_to_pdf

    monkeypatch.setattr(sys, "executable", "/bin/false")
    big = [{"letters": _letters_data([f"Member {n:04d}" * 20 for n in range(2000)])}] * 2
    with pytest.raises(TemplateError, match=r"stopped \(exit 1\)") as caught:
        parts_to_pdf("letters.typ", big)
    assert "\n" not in str(caught.value)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20)


@given(st.dictionaries(st.text() | st.integers(), _JSON | st.lists(_JSON) | st.tuples(_JSON),
                       max_size=4))
@settings(max_examples=200, deadline=None)
def test_a_parts_data_in_pieces_are_its_json(data: dict[Any, Any]) -> None:
    """Joined, the pieces a part's process is sent are exactly the JSON of its data."""
    from campaign.formats.pdf import _payload, payload_pieces

    pieces = list(payload_pieces(Path("letters.typ"), data))
    assert b"".join(pieces) == _payload(Path("letters.typ"), data).encode("utf-8")
    lists = [v for v in data.values() if isinstance(v, list | tuple) and len(v) > 1]
    if lists and all(isinstance(k, str) for k in data):  # a list is sent an item at a time
        assert len(pieces) > len(data) + 2


def test_a_part_that_fails_names_the_template(tmp_path: Path) -> None:
    from campaign.formats.pdf import parts_to_pdf

    (tmp_path / "letters.typ").write_text("#let x = (\n", encoding="utf-8")
    with pytest.raises(TemplateError, match="Typst could not typeset") as caught:
        parts_to_pdf("letters.typ", [{"letters": []}] * 2, tmp_path)
    assert str(tmp_path / "letters.typ") in str(caught.value)
    assert "\n" not in str(caught.value)


def test_parts_typeset_at_once_are_joined_in_the_order_given() -> None:
    """The first part is the longest, so the second finishes first; pages keep order."""
    from campaign.formats.pdf import parts_to_pdf

    first = [f"Member {n:03d}" for n in range(40)]
    parts = [{"letters": _letters_data(first)}, {"letters": _letters_data(["Last one"])}]
    reader = PdfReader(io.BytesIO(parts_to_pdf("letters.typ", parts)))
    assert [p.extract_text().strip() for p in reader.pages] == \
        [f"Dear {n}," for n in [*first, "Last one"]]


def test_after_a_failed_part_no_more_are_started(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess

    from campaign.formats.pdf import PARALLEL_PARTS, parts_to_pdf

    started = []
    real_popen = subprocess.Popen

    def counting_popen(*args: Any, **kwargs: Any) -> Any:
        started.append(1)
        return real_popen(*args, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", counting_popen)
    (tmp_path / "letters.typ").write_text("#let x = (\n", encoding="utf-8")
    with pytest.raises(TemplateError, match="Typst could not typeset"):
        parts_to_pdf("letters.typ", [{"letters": []}] * 10, tmp_path)
    # Only the parts already running when the first failed were started: the failing
    # part stops the others before a free worker can take the next one.
    assert 1 <= len(started) <= PARALLEL_PARTS


def test_the_part_process_rejects_a_bad_request() -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "campaign.formats.typst_part"],
                          input=b"{not json", capture_output=True, check=False)
    assert done.returncode == 1 and done.stdout == b""
    assert done.stderr.decode().count("\n") == 1 and "bad request" in done.stderr.decode()


def test_the_part_process_passes_the_json_on_and_says_what_is_wrong_in_one_line() -> None:
    """The part's data go to Typst as they came (the template reads them); data that
    are not UTF-8, or not JSON, stop the process with one line and no PDF."""
    import subprocess
    import sys

    from campaign.documents.templates import locate

    template = str(locate("letters.typ"))

    def part(data: bytes) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([sys.executable, "-m", "campaign.formats.typst_part", template],
                              input=data, capture_output=True, check=False)

    done = part(json.dumps({"letters": _letters_data(["Жанар"])}).encode())
    assert done.returncode == 0, done.stderr
    assert PdfReader(io.BytesIO(done.stdout)).pages[0].extract_text().strip() == "Dear Жанар,"
    for bad, says in ((b"\xff{", "bad request"), (b"{not json", "Typst could not typeset")):
        done = part(bad)
        assert done.returncode == 1 and done.stdout == b""
        assert done.stderr.decode().count("\n") == 1 and says in done.stderr.decode()


def test_a_list_item_hangs_its_wrapped_lines_under_its_text() -> None:
    """letters.typ indents an item's wrapped lines to where its text starts, with the
    marker out in the margin's line, as a hanging indent does."""
    long = "word " * 60
    data = {"letters": [{"title": "T", "blocks": [
        {"kind": "para", "marker": "", "small": False, "lines": [[{"t": "Dear Ana,", "b": False}]]},
        {"kind": "item", "marker": "•", "small": False,
         "lines": [[{"t": "Alpha " + long + "Omega", "b": False}]]},
    ]}]}
    shown: list[tuple[float, float, str]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: Any) -> None:
        if text.strip():
            shown.append((cm[4] + tm[4] * cm[0], cm[5] + tm[5] * cm[3], text.strip()))

    pdf = context_to_pdf("letters.typ", data)
    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    (margin, _, dear), (marker_x, marker_y, marker), (text_x, text_y, first), *rest = shown
    assert (dear, marker, first.split()[0]) == ("Dear Ana,", "•", "Alpha")
    assert marker_x == pytest.approx(margin) and text_y == pytest.approx(marker_y)
    assert text_x == pytest.approx(margin + 14.0, abs=0.5)  # 1.4em of 10 pt (issue 18)
    assert len(rest) >= 2 and rest[-1][2].endswith("Omega")
    assert all(x == pytest.approx(text_x) for x, _, _ in rest)


def _lines_of(pdf: bytes, page: int = 0) -> list[tuple[float, str]]:
    """The page's lines of text, top first: (y, text), from the text positions."""
    shown: list[tuple[float, float, str]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: Any) -> None:
        if text.strip():
            shown.append((cm[5] + tm[5] * cm[3], cm[4] + tm[4] * cm[0], text))

    PdfReader(io.BytesIO(pdf)).pages[page].extract_text(visitor_text=visit)
    rows: dict[float, list[tuple[float, str]]] = {}
    for y, x, text in shown:
        key = next((k for k in rows if abs(k - y) < 2), round(y, 1))
        rows.setdefault(key, []).append((x, text))
    return [(y, "".join(t for _, t in sorted(rows[y]))) for y in sorted(rows, reverse=True)]


def test_a_letter_has_room_to_sign_and_unbroken_citation_markers() -> None:
    """letters.typ (issue 13): about four lines between the closing and the name, and a
    citation marker "[1, 2]" never split across lines nor starting a line."""
    from campaign.documents.letters.layout import letter_blocks

    words = " ".join(f"word{n} [{n % 9 + 1}, {n % 7 + 10}]" for n in range(90))
    letter = {"sender": ["Jane Doe", "Unite"], "date": "1 December 2026",
              "address": ["Seán Kelly MEP", "European Parliament", "Brussels"],
              "subject": "Re: Zhanaozen", "salutation": "Dear Seán Kelly,",
              "body": letter_blocks(words + "\n\nAnother paragraph."),
              "closing": "Yours sincerely,", "signature": ["Jane Doe", "Unite"],
              "sources": []}
    pdf = context_to_pdf("letters.typ", {"letters": [{"title": "T", "lang": "en",
                                                      "letter": letter, "blocks": []}]})
    lines = [t for p in range(len(PdfReader(io.BytesIO(pdf)).pages)) for t in _lines_of(pdf, p)]
    texts = [t for _, t in lines]
    body = [t for t in texts if "word" in t]
    assert len(body) > 5  # the paragraph wraps, many times
    for text in body:
        assert not text.lstrip().startswith("[")
        assert text.count("[") == text.count("]")
    ys = {t.strip(): y for y, t in _lines_of(pdf, len(PdfReader(io.BytesIO(pdf)).pages) - 1)}
    gap = ys["Yours sincerely,"] - ys["Jane Doe"]
    assert gap > 4 * 10.5  # four lines of 10.5 pt, at least
    # The window address sits where a DL window shows it: 50 mm from the top of A4.
    first = dict((t.strip(), y) for y, t in _lines_of(pdf, 0))
    from_top_mm = (841.89 - first["Seán Kelly MEP"]) / 72 * 25.4
    assert 50 <= from_top_mm <= 60


def test_the_window_address_is_evenly_spaced_whatever_its_accents() -> None:
    """Lines with accents on capitals ("Ó", "Ř") are set at the same spacing as the
    others, from the same first line as a plain address: room for the accents is made
    above the first line, not line by line."""
    def address_lines(address: list[str]) -> list[float]:
        letter = {"sender": ["Jane Doe"], "date": "1 December 2026", "address": address,
                  "subject": None, "salutation": "Dear Member,", "body": [],
                  "closing": "Yours sincerely,", "signature": ["Jane Doe"], "sources": []}
        pdf = context_to_pdf("letters.typ", {"letters": [{"title": "T", "lang": "en",
                                                          "letter": letter, "blocks": []}]})
        ys = dict((t.strip(), y) for y, t in _lines_of(pdf, 0))
        return [ys[line] for line in address]

    accented = address_lines(["Aodhán Ó RÍORDÁIN MEP", "Řehoř ŠÍMA", "European Parliament",
                              "B-1047 Brussels"])
    plain = address_lines(["Sean Kelly MEP", "Rehor Sima", "European Parliament",
                           "B-1047 Brussels"])
    gaps = [a - b for a, b in zip(accented, accented[1:], strict=False)]
    assert max(gaps) - min(gaps) < 0.3, accented
    assert accented == pytest.approx(plain, abs=0.1)


def test_join_keeps_pages_bookmarks_and_language_and_writes_the_same_bytes() -> None:
    """The join copies each part's pages in order, the bookmarks a user's template makes
    (each to its page in the joined file), the first part's language and the title; no
    date or random id goes in, so the same parts make the same file."""
    import typst

    from campaign.formats.pdf import join_pdfs

    one = typst.compile(b'#set text(lang: "ru")\n= One\n\nfirst\n#pagebreak()\n== Sub\n\nsecond',
                        pdf_tags=False)
    two = typst.compile(b"= Two\n\nthird", pdf_tags=False)
    joined = join_pdfs([one, two, one], title="Жаңаөзен")
    reader = PdfReader(io.BytesIO(joined))
    assert [p.extract_text().split()[-1] for p in reader.pages] == \
        ["first", "second", "third", "first", "second"]
    assert reader.metadata is not None and reader.metadata.title == "Жаңаөзен"
    assert reader.trailer["/Root"]["/Lang"] == "ru"

    def marks(items: list[Any]) -> list[Any]:
        return [marks(i) if isinstance(i, list) else
                (i.title, reader.get_destination_page_number(i)) for i in items]

    assert marks(reader.outline) == [("One", 0), [("Sub", 1)], ("Two", 2), ("One", 3),
                                     [("Sub", 4)]]
    assert join_pdfs([one, two, one], title="Жаңаөзен") == joined


def test_a_part_that_is_not_a_pdf_stops_the_join_with_one_line() -> None:
    import typst

    from campaign.formats.pdf import join_pdfs

    with pytest.raises(TemplateError, match="part 2 is not a readable PDF") as caught:
        join_pdfs([typst.compile(b"x", pdf_tags=False), b"%PDF-1.7 nonsense"])
    assert "\n" not in str(caught.value)


def test_typst_parts_run_with_a_fixed_malloc_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each part's process gets glibc's fixed mmap threshold (a steady peak, not one that
    wanders by 40 MB), and a value the user set is passed on as it is."""
    import subprocess

    from campaign.formats.pdf import parts_to_pdf

    seen: list[str | None] = []
    real_popen = subprocess.Popen

    def recording_popen(*args: Any, **kwargs: Any) -> Any:
        seen.append((kwargs.get("env") or {}).get("MALLOC_MMAP_THRESHOLD_"))
        return real_popen(*args, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", recording_popen)
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    parts = [{"letters": _letters_data(["A"])}, {"letters": _letters_data(["B"])}]
    parts_to_pdf("letters.typ", parts)
    assert seen == ["131072", "131072"]
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "65536")
    seen.clear()
    parts_to_pdf("letters.typ", parts)
    assert seen == ["65536", "65536"]
