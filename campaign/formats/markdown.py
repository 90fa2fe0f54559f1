"""Markdown parsing shared by the converters (markdown-it-py, already a dependency of rich).

Raw HTML in the Markdown is not passed through: a name or quote containing
'<script>' is shown as text in every format.
"""

from __future__ import annotations

from typing import Any


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
