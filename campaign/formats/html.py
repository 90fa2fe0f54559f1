"""Markdown to a standalone, printable HTML page."""

from __future__ import annotations

from html import escape

from campaign.formats.markdown import parser

STYLE = """
body { font-family: 'Noto Serif', Georgia, serif; max-width: 42em; margin: 2em auto;
       padding: 0 1em; line-height: 1.45; color: #111; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 1.4em; }
ol li, ul li { margin-bottom: .4em; }
.sources, .sources li { font-size: .85em; }
@media print { body { margin: 0; max-width: none; } }
"""


def to_html(markdown: str, title: str, lang: str = "en") -> str:
    body = parser().render(markdown)
    return (
        f'<!DOCTYPE html>\n<html lang="{escape(lang)}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"{body}</body>\n</html>\n"
    )
