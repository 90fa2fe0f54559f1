"""How letters are laid out and encoded: where they go (a directory, one file or stdout),
file names, and the Markdown, text, eml, Word and PDF bytes."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from campaign import names
from campaign.documents.letters.compose import Letter, Sender
from campaign.errors import (
    OutputError,
    UsageError,
)
from campaign.formats import BINARY, DocFormat

FORMATS = (DocFormat.md, DocFormat.txt, DocFormat.eml, DocFormat.docx, DocFormat.pdf)
EXTENSIONS = {"md": DocFormat.md, "markdown": DocFormat.md, "txt": DocFormat.txt,
              "text": DocFormat.txt, "eml": DocFormat.eml, "docx": DocFormat.docx,
              "pdf": DocFormat.pdf}

# -- output -----------------------------------------------------------------


@dataclass
class Plan:
    """Where the letters go: a directory (a file each), one combined file, or stdout."""

    fmt: DocFormat
    directory: Path | None = None
    file: Path | None = None

    @property
    def target(self) -> str:
        if self.directory:
            return f"{self.directory}{os.sep}"
        return str(self.file) if self.file else "stdout"


def plan_output(output: str | None, fmt: DocFormat | None, count: int) -> Plan:
    if fmt is not None and fmt not in FORMATS:
        raise UsageError(f"letters cannot be written as {fmt.value}",
                         "use one of: " + ", ".join(f.value for f in FORMATS))
    if output is None:
        fmt = fmt or DocFormat.md
        if fmt in BINARY:
            raise UsageError(f"{fmt.value} is a binary format",
                             f"give a directory or a file with -o (e.g. -o letters/ or "
                             f"-o letters.{fmt.value})")
        if fmt is DocFormat.eml and count > 1:
            raise UsageError("eml writes one draft per letter", "give a directory: -o letters/")
        return Plan(fmt)
    path = Path(output).expanduser()
    ext = path.suffix.lower().lstrip(".")
    if path.is_dir():
        directory = True
    elif output.endswith(("/", os.sep)) or ext not in EXTENSIONS:
        if path.exists():
            raise OutputError(f"{path} is a file, not a directory",
                              "give -o a directory (letters/) or a file name ending in "
                              ".md, .txt, .eml, .docx or .pdf")
        directory = True
    else:
        directory = False
    if directory:
        parent = path.parent if str(path.parent) else Path(".")
        if not path.exists() and not parent.is_dir():
            raise OutputError(f"cannot create {path}: {parent} does not exist",
                              "create the parent directory first")
        return Plan(fmt or DocFormat.md, directory=path)
    implied = EXTENSIONS[ext]
    if fmt is not None and fmt is not implied:
        raise UsageError(f"-o {output} is a .{ext} file but --format is {fmt.value}",
                         "make them agree, or give a directory with -o DIR/")
    if implied is DocFormat.eml and count > 1:
        raise UsageError("eml writes one draft per letter", "give a directory: -o letters/")
    from campaign.files import check_writable_dir

    check_writable_dir(path.parent if str(path.parent) else Path("."))
    return Plan(implied, file=path)


def file_names(letters: Sequence[Letter], fmt: DocFormat) -> list[str]:
    """'001-lynn-boylan.md': numbered (so unique), readable, no path parts."""
    width = max(3, len(str(len(letters))))
    out = []
    for n, letter in enumerate(letters, start=1):
        stem = names.slug(letter.recipient)[:60].strip("-") or "letter"
        out.append(f"{n:0{width}d}-{stem}.{fmt.value}")
    return out


_ITEM = re.compile(r"^(?:([-*+])|(\d{1,3})[.)])\s+")
_RULE = re.compile(r"^(?:(?:-\s*){3,}|(?:\*\s*){3,}|(?:_\s*){3,})$")


_CITE = re.compile(r"\s\[(\d+(?:,\s*\d+)*)\]")
NBSP = "\u00a0"


def keep_markers(text: str) -> str:
    """'text [1, 2]' with no-break spaces before and inside the marker, so a citation
    never breaks across lines nor starts a line of its own."""
    return _CITE.sub(lambda m: NBSP + "[" + re.sub(r",\s*", "," + NBSP, m.group(1)) + "]",
                     text)


# A backslash escape (record text made literal by the letter templates' finaliser,
# campaign.formats.markdown): each escaped character stands in as a private-use one
# while the line is split into bold and plain runs, so an escaped '*' never pairs up.
_ESCAPED = re.compile(r"\\([\\*_`\[\]<>#|])")
_HELD = "\\*_`[]<>#|"
_HOLD = re.compile("[\ue000-\ue009]")


def _runs(text: str) -> list[dict[str, Any]]:
    held = _ESCAPED.sub(lambda m: chr(0xE000 + _HELD.index(m.group(1))), keep_markers(text))
    parts = held.split("**")
    if len(parts) % 2 == 0:  # an unmatched '**' is text
        parts[-2:] = [parts[-2] + "**" + parts[-1]]
    return [{"t": _released(t), "b": bool(i % 2)} for i, t in enumerate(parts) if t]


def _released(text: str) -> str:
    return _HOLD.sub(lambda m: _HELD[ord(m.group()) - 0xE000], text)


def _literal(row: str) -> str:
    """A line of the letter's Markdown as the text it shows (escapes undone)."""
    return _released(_ESCAPED.sub(lambda m: chr(0xE000 + _HELD.index(m.group(1))), row))


def _lines(raw: list[str]) -> list[list[dict[str, Any]]]:
    """Hard breaks (two trailing spaces or a backslash) start a line; soft ones are spaces."""
    out: list[str] = [""]
    for line in raw:
        hard = line.endswith(("  ", "\\"))
        text = line.rstrip().removesuffix("\\").rstrip() if hard else line.strip()
        out[-1] = f"{out[-1]} {text}".strip() if out[-1] else text.strip()
        if hard:
            out.append("")
    if len(out) > 1 and not out[-1]:
        out.pop()
    return [_runs(x) for x in out]


def letter_blocks(markdown: str, cache: dict[tuple[str, bool], list[dict[str, Any]]] | None = None
                  ) -> list[dict[str, Any]]:
    """A letter's Markdown as plain blocks for templates/letters.typ.

    Letters use a small part of Markdown (paragraphs, hard line breaks, **bold**,
    bullet and numbered lists, a rule before the sources), and a real Markdown parse
    costs ~2 ms a letter, so this reads that part line by line: 705 letters in
    milliseconds. What follows the first rule (the sources) is marked small.
    A chunk between blank lines is read on its own, so a merge can pass a
    ``cache`` and read each paragraph its letters share once; the blocks in it
    are then shared between letters, to be read, not changed.
    """
    blocks: list[dict[str, Any]] = []
    small = False
    for chunk in re.split(r"\n[ \t]*\n", markdown.strip("\n")):
        found = cache.get((chunk, small)) if cache is not None else None
        if found is None:
            found = _chunk_blocks(chunk, small)
            if cache is not None:
                cache[(chunk, small)] = found
        blocks += found
        small = small or any(b["kind"] == "rule" for b in found)
    return blocks


def _chunk_blocks(chunk: str, small: bool) -> list[dict[str, Any]]:
    rows = [r for r in chunk.split("\n") if r.strip()]
    if not rows:
        return []
    if len(rows) == 1 and _RULE.match(rows[0].strip()):
        return [{"kind": "rule", "marker": "", "small": small, "lines": []}]
    if _ITEM.match(rows[0].lstrip()):
        items: list[tuple[str, list[str]]] = []
        for row in rows:
            m = _ITEM.match(row.lstrip())
            if m:
                marker = "•" if m.group(1) else f"{m.group(2)}."
                items.append((marker, [row.lstrip()[m.end():]]))
            else:
                items[-1][1].append(row)
        return [{"kind": "item", "marker": mk, "small": small, "lines": _lines(raw)}
                for mk, raw in items]
    return [{"kind": "para", "marker": "", "small": small, "lines": _lines(rows)}]


# Letters per Typst run when a merge is typeset in parts: ~95 MB each (Typst's memory
# grows ~0.3 MB a letter over ~40 MB). Fewer, bigger parts start Python and Typst
# fewer times: 705 letters in four parts took 7% less CPU and 5% less time than in six
# of 118 (paired runs), for 3 MB more at the peak.
PDF_PART = 180

_SUBJECT = re.compile(r"^\*\*(Re: .+)\*\*$")


def letter_parts(letter: Letter,
                 cache: dict[tuple[str, bool], list[dict[str, Any]]] | None = None
                 ) -> dict[str, Any] | None:
    """A letter as the parts of a letter on paper: sender block, date, the address for
    the envelope window, subject, salutation, body, closing, signature, sources.

    Read from the rendered Markdown between the salutation and the closing the
    template wrote (so a user's template keeps its words), the rest from the letter's
    context. None when the template wrote no such shape: the layout then typesets the
    blocks in order, as they come.
    """
    ctx = letter.context
    rows = letter.markdown.split("\n")
    salute, close = str(ctx.get("salutation") or ""), str(ctx.get("closing") or "")
    if not salute or not close:
        return None
    try:
        # The template printed them escaped (its finaliser); a template of the user's
        # from before may print them as they are.
        first = _index(rows, salute, 0)
        last = _index(rows, close, first + 1)
    except ValueError:
        return None
    head = [r.strip() for r in rows[:first]]
    subject = next((_literal(m.group(1)) for r in head if (m := _SUBJECT.match(r))), None)
    rest = "\n".join(rows[last + 1:])
    signature_md, rule, sources_md = rest.partition("\n---\n")
    signature = [_literal(r.strip().removesuffix("\\").strip())
                 for r in signature_md.strip().splitlines() if r.strip()]
    return {
        "sender": list(ctx.get("sender_lines") or []),
        "date": ctx.get("date_text", ""),
        "address": list(ctx["recipient"].get("address_lines") or [])
        if ctx.get("medium", "letter") == "letter" else [],
        "subject": subject,
        "salutation": salute,
        "body": letter_blocks("\n".join(rows[first + 1:last]), cache),
        "closing": close,
        "signature": signature,
        "sources": letter_blocks(sources_md, cache) if rule else [],
        # For the head of a second page: whom the letter is to, and its date.
        "recipient": str(ctx["recipient"].get("display_name") or letter.recipient),
    }


def _index(rows: list[str], text: str, start: int) -> int:
    from campaign.formats.markdown import escape

    for form in (escape(text), text):
        if form in rows[start:]:
            return rows.index(form, start)
    raise ValueError(text)


def _pdf(letters: Sequence[Letter], progress: Callable[[int], None] | None = None) -> bytes:
    """The letters as one PDF, a page (at least) each.

    Up to PDF_PART letters take one Typst run in this process; a bigger merge is
    typeset in parts, each in a child process that gives its memory back
    (``parts_to_pdf``), so memory stays flat however many letters there are.
    """
    from campaign.formats.pdf import context_to_pdf, parts_to_pdf

    shared: dict[tuple[str, bool], list[dict[str, Any]]] = {}

    def data(some: Sequence[Letter]) -> list[dict[str, Any]]:
        return [{"title": ltr.subject, "lang": ltr.context.get("lang", "en"),
                 "blocks": letter_blocks(ltr.markdown, shared),
                 "letter": letter_parts(ltr, shared)} for ltr in some]

    user_dir = letters[0].templates
    n = len(letters)
    if n <= PDF_PART:
        pdf = bytes(context_to_pdf("letters.typ", {"letters": data(letters)}, user_dir))
        if progress:
            progress(n)
        return pdf
    # As many parts as PDF_PART needs, evenly filled: 705 letters make 4 parts of
    # 176 or 177, not 3 of 180 and one of 165 (or, by 100, a last part of 5 that
    # kept a core idle at the end).
    count = -(-n // PDF_PART)
    bounds = [(i * n // count, (i + 1) * n // count) for i in range(count)]
    done = 0

    def joined(k: int) -> None:  # a part typeset and joined: its letters are done
        nonlocal done
        done += bounds[k][1] - bounds[k][0]
        if progress:
            progress(done)

    # Each part's data made as it is handed out: the first part is being typeset
    # while the rest are still being made.
    return parts_to_pdf("letters.typ", ({"letters": data(letters[a:b])} for a, b in bounds),
                        user_dir, title=letters[0].subject, joined=joined)


def encode_one(letter: Letter, fmt: DocFormat, sender: Sender | None = None) -> bytes:
    from campaign.documents.output import convert

    if fmt is DocFormat.eml:
        from campaign.formats.eml import to_eml
        from campaign.formats.text import to_text

        return to_eml(to_text(letter.markdown), subject=letter.subject,
                      to_name=letter.recipient, to_email=letter.email,
                      from_name=sender.name if sender else None,
                      from_email=sender.email if sender else None)
    if fmt is DocFormat.pdf:
        return _pdf([letter])
    if fmt is DocFormat.docx:
        return _docx([letter])
    return convert(letter.markdown, fmt, title=letter.subject)


def _docx(letters: Sequence[Letter]) -> bytes:
    """The letters as one Word document, laid out as letters (a page, at least, each)."""
    from campaign.formats.docx import letters_to_docx

    items = []
    for ltr in letters:
        parts = letter_parts(ltr, _WORD_CHUNKS)
        items.append({"title": ltr.subject, "letter": parts, "recipient": ltr.recipient,
                      "blocks": letter_blocks(ltr.markdown, _WORD_CHUNKS) if parts is None
                      else []})
    if len(_WORD_CHUNKS) > 4096:  # a merge's letters share a few hundred paragraphs
        _WORD_CHUNKS.clear()
    first = letters[0].context
    return letters_to_docx(items, title=letters[0].subject, author=first.get("sender"),
                           lang=first.get("lang", "en"))


# The paragraphs Word letters share, read once: a directory of letters encodes them
# one at a time, and most of their paragraphs are the same text. Read-only blocks.
_WORD_CHUNKS: dict[tuple[str, bool], list[dict[str, Any]]] = {}


def encode_combined(letters: Sequence[Letter], fmt: DocFormat,
                    sender: Sender | None = None,
                    progress: Callable[[int], None] | None = None) -> bytes:
    """All letters in one document: a page each in PDF, rules between them in text.
    ``progress`` hears how many letters are done (for a PDF: as each part is typeset
    and joined)."""
    if fmt is DocFormat.pdf:
        return _pdf(letters, progress)
    if len(letters) == 1 or fmt is DocFormat.eml:
        data = encode_one(letters[0], fmt, sender)
    elif fmt is DocFormat.docx:
        data = _docx(letters)
    elif fmt is DocFormat.txt:
        from campaign.formats.text import to_text

        rule = "\n" + "=" * 72 + "\n\n"
        data = rule.join(to_text(ltr.markdown) for ltr in letters).encode("utf-8")
    else:
        data = _combined_doc(letters, fmt)
    if progress:
        progress(len(letters))
    return data


def _combined_doc(letters: Sequence[Letter], fmt: DocFormat) -> bytes:
    from campaign.documents.output import convert

    joined = "\n\n* * *\n\n".join(ltr.markdown.rstrip() for ltr in letters) + "\n"
    return convert(joined, fmt, title=letters[0].subject)

