"""Markdown to plain text: for emails and anything that is pasted somewhere."""

from __future__ import annotations

import textwrap

from campaign.formats.markdown import inline_text, tokens


def to_text(markdown: str, width: int = 78) -> str:
    lines: list[str] = []
    lists: list[list[int]] = []  # stack of [ordered?, counter]
    prefix = ""
    for tok in tokens(markdown):
        if tok.type == "bullet_list_open":
            lists.append([0, 0])
        elif tok.type == "ordered_list_open":
            lists.append([1, int(tok.attrs.get("start", 1) or 1) - 1])
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
            if not lists:
                lines.append("")
        elif tok.type == "list_item_open":
            lists[-1][1] += 1
            prefix = f"{lists[-1][1]}. " if lists[-1][0] else "- "
        elif tok.type == "hr":
            lines += ["-" * 20, ""]
        elif tok.type == "inline":
            text = inline_text(tok)
            indent = "   " * max(len(lists) - 1, 0)
            if prefix:
                for para in text.split("\n"):
                    lines += textwrap.wrap(para, width, initial_indent=indent + prefix,
                                           subsequent_indent=indent + " " * len(prefix)) or [""]
                prefix = ""
            else:
                for para in text.split("\n"):
                    lines += textwrap.wrap(para, width, initial_indent=indent,
                                           subsequent_indent=indent) or [""]
        elif tok.type == "heading_close":
            level = int(tok.tag[1])
            if level <= 2 and lines:
                lines.append(("=" if level == 1 else "-") * min(len(lines[-1]), width))
            lines.append("")
        elif tok.type == "paragraph_close" and not lists:
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
