"""The one output helper: stable JSON, safe CSV, escaped Markdown."""

from __future__ import annotations

import csv
import io
import json

from hypothesis import given
from hypothesis import strategies as st

from campaign.output import Format, emit, safe_csv_cell, to_csv, to_markdown


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
