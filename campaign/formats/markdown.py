"""Markdown parsing shared by the converters (markdown-it-py, already a dependency of rich).

Raw HTML in the Markdown is not passed through: a name or quote containing
'<script>' is shown as text in every format.
"""

from __future__ import annotations

from typing import Any

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
