"""One output helper for every list: ``--format table|json|csv|md``.

JSON is for scripts: the full records, stable keys, UTF-8. Table, CSV and
Markdown show the chosen columns. CSV cells that a spreadsheet would run as a
formula are neutralised.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Mapping, Sequence
from enum import StrEnum
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


def to_markdown(rows: Sequence[Mapping[str, Any]], columns: Columns) -> str:
    def esc(text: str) -> str:
        return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(h for _, h in columns) + " |",
             "|" + "|".join("---" for _ in columns) + "|"]
    for r in rows:
        lines.append("| " + " | ".join(esc(cell(r.get(k))) for k, _ in columns) + " |")
    return "\n".join(lines) + "\n"


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
        out.write(to_csv(rows, columns))
    elif fmt is Format.md:
        if title:
            out.write(f"## {title}\n\n")
        out.write(to_markdown(rows, columns))
        if caption:
            out.write(f"\n{caption}\n")
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title, caption=caption, show_lines=False, expand=False)
        for _, header in columns:
            table.add_column(header, overflow="fold")
        for r in rows:
            table.add_row(*(cell(r.get(k)) for k, _ in columns))
        Console(file=out).print(table)
