"""Markdown parsing shared by the converters (markdown-it-py, already a dependency of rich).

Raw HTML in the Markdown is not passed through: a name or quote containing
'<script>' is shown as text in every format.
"""

from __future__ import annotations

import re
from typing import Any

from campaign.memo import Memo

# What record or user text must not be read as, escaped with a backslash by ``inert``:
# emphasis, code, links and raw HTML anywhere; with ``lines=True`` also a heading or a
# table cell, for text that may stand at the start of a line of its own.
INLINE = "\\*_`[]<>"
LINES = INLINE + "#|"
_ESCAPE = {chars: str.maketrans({c: "\\" + c for c in chars}) for chars in (INLINE, LINES)}


def inert(text: str, *, lines: bool = False) -> str:
    """Record or user text as plain Markdown on one line: a '*' in a name stays a '*',
    '[x](http://…)' stays text, never a link."""
    return " ".join(str(text).split()).translate(_ESCAPE[LINES if lines else INLINE])


class Markdown(str):
    """Text that is Markdown already, written by the toolkit itself: the letter templates'
    finaliser (``finalize``) prints it as it is, and escapes every other string."""


# A citation marker the toolkit writes after a fact, "[1]" or "[1, 3]": kept as it is
# where the finaliser escapes a composed sentence (a bracket alone is escaped).
_CITATION = re.compile(r"\\\[(\d{1,4}(?:,[ \u00a0]?\d{1,4})*)\\\]")


def escape(text: str) -> str:
    """Record text as literal Markdown, its line breaks kept (an address block, the
    sender's lines): every character in ``LINES`` escaped, citation markers kept."""
    escaped = str(text).translate(_ESCAPE[LINES])
    if "[" not in escaped:  # no citation marker to keep (most text)
        return escaped
    return _CITATION.sub(r"[\1]", escaped)


# The same strings come back in every letter of a merge (the campaign's facts, the
# sender's lines): escaped once each (the finaliser runs for every ``{{ … }}`` of every
# letter, ~85 times a letter, and a hit is a plain dict look-up).
_ESCAPED: Memo[str, str] = Memo(escape, 8192)


def finalize(value: Any) -> Any:
    """jinja2's ``finalize`` for Markdown templates that print record text (the letters):
    what ``{{ … }}`` prints is escaped unless it is ``Markdown`` or a number; an object
    with ``__markdown__`` (a sentence of text and citations) says its own Markdown.
    Being the template's own rule, it covers every field and every paragraph a
    template adds later, with nothing to remember in each."""
    if type(value) is str:  # the common case first
        return _ESCAPED[value]
    if value is None or isinstance(value, (Markdown, int, float)):
        return value
    if hasattr(value, "__markdown__"):  # an object that knows which of its parts are text
        return Markdown(value.__markdown__())
    if isinstance(value, str):
        return _ESCAPED[str(value)]
    return escape(str(value))  # text, or an object printed as its text (a citation: kept)


def unescape(text: str) -> str:
    """``escape`` undone, for text that leaves Markdown (an email's subject line)."""
    return re.sub(r"\\([\\" + re.escape(LINES) + r"])", r"\1", text)


def parser() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table")


def tokens(markdown: str) -> list[Any]:
    return list(parser().parse(markdown))


def inline_text(token: Any) -> str:
    """The plain text of an inline token (emphasis dropped, links as 'text <url>')."""
    out: list[str] = []
    href: str | None = None
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append("\n" if child.type == "hardbreak" else " ")
        elif child.type == "link_open":
            href = child.attrs.get("href")
        elif child.type == "link_close" and href:
            text_so_far = out[-1] if out else ""
            if href not in text_so_far:
                out.append(f" <{href}>")
            href = None
    return "".join(out)
