"""Converters from a rendered Markdown document (or its context) to other formats."""

from __future__ import annotations

from enum import StrEnum


class DocFormat(StrEnum):
    md = "md"
    txt = "txt"
    html = "html"
    docx = "docx"
    pdf = "pdf"
    eml = "eml"
    ics = "ics"


BINARY = {DocFormat.docx, DocFormat.pdf}
