"""Turning a rendered document into the format asked for, on stdout or in a file.

``-o FILE`` picks the format from the extension unless ``--format`` says
otherwise; files are written atomically, so a failure leaves nothing behind.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from campaign.errors import UsageError
from campaign.files import (
    STDOUT,
    check_writable_dir,
    expand_user,
    output_kind,
    write_atomic,
    write_stdout,
)
from campaign.formats import BINARY, DocFormat


def choose_format(output: str | None, fmt: DocFormat | None,
                  allowed: Collection[DocFormat]) -> DocFormat:
    """The format from --format, else -o's extension; ``-o -`` is standard output, where
    a binary format may go too (piped to another program)."""
    if output == STDOUT:
        fmt = fmt or DocFormat.md
        if fmt not in allowed:
            raise UsageError(f"this document cannot be written as {fmt.value}",
                             "use one of: " + ", ".join(f.value for f in allowed))
        return fmt
    if fmt is None and output:
        ext = Path(output).suffix.lower().lstrip(".")
        ext = {"markdown": "md", "htm": "html", "text": "txt"}.get(ext, ext)
        try:
            fmt = DocFormat(ext)
        except ValueError:
            fmt = None
        if fmt is None:
            raise UsageError(f"cannot tell the format of '{output}' from its extension",
                             "add --format " + "|".join(f.value for f in allowed))
    fmt = fmt or DocFormat.md
    if fmt not in allowed:
        raise UsageError(f"this document cannot be written as {fmt.value}",
                         "use one of: " + ", ".join(f.value for f in allowed))
    if output is None and fmt in BINARY:
        raise UsageError(
            f"{fmt.value} is a binary format", f"give a file name: -o FILE.{fmt.value}"
        )
    if output:  # refuse a bad target before the document is built, not after
        path = Path(expand_user(output))
        if output_kind(path) not in ("stream", "descriptor"):
            check_writable_dir(path.parent if str(path.parent) else Path("."))
    return fmt


def convert(markdown: str, fmt: DocFormat, *, title: str,
            pdf: Callable[[], bytes] | None = None,
            docx: Callable[[], bytes] | None = None) -> bytes:
    """The document's bytes; ``pdf``/``docx`` override the generic Markdown converters."""
    if fmt is DocFormat.md:
        return markdown.encode("utf-8")
    if fmt is DocFormat.txt:
        from campaign.formats.text import to_text

        return to_text(markdown).encode("utf-8")
    if fmt is DocFormat.html:
        from campaign.formats.html import to_html

        return to_html(markdown, title).encode("utf-8")
    if fmt is DocFormat.docx:
        if docx:
            return docx()
        from campaign.formats.docx import markdown_to_docx

        return markdown_to_docx(markdown, title=title)
    if fmt is DocFormat.pdf:
        if pdf:
            return pdf()
        from campaign.formats.pdf import markdown_to_pdf

        return markdown_to_pdf(markdown, title=title)
    raise UsageError(f"{fmt.value} is not available for this document")


def deliver(data: bytes, output: str | None) -> None:
    """Write to the file atomically (see campaign.files), or to stdout (none, or ``-``)."""
    if output == STDOUT:
        write_stdout(data)
    elif output:
        write_atomic(expand_user(output), data)
    else:
        sys.stdout.write(data.decode("utf-8"))
        sys.stdout.flush()


def emit_document(markdown: str, fmt: DocFormat, output: str | None, *, title: str,
                  **converters: Any) -> None:
    deliver(convert(markdown, fmt, title=title, **converters), output)
