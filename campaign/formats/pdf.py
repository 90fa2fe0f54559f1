"""PDF with Typst: the document's data go in as JSON, never pasted into markup.

Typst templates (``templates/*.typ``, overridable like the jinja2 ones) read
``json(bytes(sys.inputs.at("data")))``, so a name containing ``#``, ``$``,
``]`` or a quote is typeset as text and can never change the layout or run
code. The fonts named by the templates (Libertinus Serif, New Computer Modern)
are embedded in the typst package itself and cover Cyrillic and the Kazakh
letters (ң, ө, ұ, қ, ғ, ү, һ, і, ә), so a PDF looks the same on every machine.

``markdown_blocks`` turns our rendered Markdown into a flat list of blocks
(headings, paragraphs, list items with their markers, rules); the generic
``document.typ`` and the DOCX converter both typeset from it.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sized
from pathlib import Path
from typing import Any

from campaign.errors import TemplateError

Run = dict[str, Any]
Block = dict[str, Any]

SOURCES_HEADINGS = {"sources", "sources cited", "references"}


def _runs(token: Any) -> list[Run]:
    """An inline token as runs of text with bold/italic/mono flags; links as 'text (url)'."""
    runs: list[Run] = []
    bold = italic = 0
    href: str | None = None
    link_text: list[str] = []

    def add(text: str, mono: bool = False) -> None:
        if not text:
            return
        if href is not None:
            link_text.append(text)
        flags = {"bold": bold > 0, "italic": italic > 0, "mono": mono}
        if runs and all(runs[-1][k] == v for k, v in flags.items()):
            runs[-1]["text"] += text
        else:
            runs.append({"text": text, **flags})

    for child in token.children or []:
        kind = child.type
        if kind == "text":
            add(child.content)
        elif kind == "code_inline":
            add(child.content, mono=True)
        elif kind == "softbreak":
            add(" ")
        elif kind == "hardbreak":
            add("\n")
        elif kind == "strong_open":
            bold += 1
        elif kind == "strong_close":
            bold -= 1
        elif kind == "em_open":
            italic += 1
        elif kind == "em_close":
            italic -= 1
        elif kind == "link_open":
            href = str(child.attrs.get("href") or "")
            link_text = []
        elif kind == "link_close":
            target, href = href, None
            shown = "".join(link_text).strip()
            if target and target not in (shown, f"mailto:{shown}"):
                add(f" ({target})")
        elif kind == "image":
            add(child.content or str(child.attrs.get("alt") or ""))
    return runs


def plain(runs: list[Run]) -> str:
    return "".join(r["text"] for r in runs)


def markdown_blocks(markdown: str) -> list[Block]:
    """Flat blocks from Markdown: what a typesetter needs, with list numbers worked out.

    Each list gets an id (``list``) so that a converter can restart numbering
    per list; an item's number is explicit, so a list interrupted by a nested
    one keeps counting. Everything after a "Sources" heading is ``small``.
    """
    from campaign.formats.markdown import tokens

    blocks: list[Block] = []
    # Open lists: [list id, ordered?, next number]; items: is the current item's
    # first paragraph still to come?
    lists: list[list[Any]] = []
    first_para: list[bool] = []
    next_id = 0
    small = False
    heading: int | None = None
    quote = 0
    for tok in tokens(markdown):
        t = tok.type
        if t in ("bullet_list_open", "ordered_list_open"):
            start = int(tok.attrs.get("start", 1) or 1) if t == "ordered_list_open" else 0
            lists.append([next_id, t == "ordered_list_open", start])
            next_id += 1
        elif t in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif t == "list_item_open":
            first_para.append(True)
        elif t == "list_item_close":
            first_para.pop()
        elif t == "heading_open":
            heading = int(tok.tag[1])
        elif t == "heading_close":
            heading = None
        elif t == "blockquote_open":
            quote += 1
        elif t == "blockquote_close":
            quote -= 1
        elif t == "hr":
            blocks.append({"type": "rule", "small": small})
        elif t in ("fence", "code_block"):
            blocks.append({"type": "paragraph", "small": small, "quote": quote > 0,
                           "runs": [{"text": tok.content.rstrip("\n"), "bold": False,
                                     "italic": False, "mono": True}]})
        elif t == "inline":
            runs = _runs(tok)
            if heading is not None:
                small = plain(runs).strip().rstrip(":").casefold() in SOURCES_HEADINGS
                blocks.append({"type": "heading", "level": heading, "runs": runs,
                               "small": False})
            elif lists and first_para and first_para[-1]:
                list_id, ordered, number = lists[-1]
                first_para[-1] = False
                if ordered:
                    lists[-1][2] += 1
                    marker = f"{number}."
                else:
                    marker = "•" if len(lists) % 2 else "–"
                blocks.append({"type": "item", "list": list_id, "ordered": ordered,
                               "level": len(lists), "number": number if ordered else None,
                               "marker": marker, "runs": runs, "small": small})
            elif lists:
                blocks.append({"type": "item", "list": lists[-1][0], "ordered": lists[-1][1],
                               "level": len(lists), "number": None, "marker": "",
                               "runs": runs, "small": small})
            else:
                blocks.append({"type": "paragraph", "runs": runs, "small": small,
                               "quote": quote > 0})
    return blocks


def compile_typ(path: Path, data: dict[str, Any], *, tags: bool = True) -> bytes:
    """Typeset a .typ file with ``data`` as JSON in ``sys.inputs.data``.

    A built-in template names only the fonts that ship inside typst, so the
    system's fonts are not searched for it (the same PDF on every machine, and no
    font scan on a desktop with hundreds of fonts); a user's template may name any
    installed font. ``tags`` makes a tagged (accessible) PDF.
    """
    return compile_json(path, _payload(path, data), tags=tags)


def _payload(path: Path, data: dict[str, Any]) -> str:
    try:
        return json.dumps(data, ensure_ascii=False, default=str)
    except (TypeError, ValueError) as exc:  # pragma: no cover - contexts are plain data
        raise _unpassable(path, exc) from None


def _unpassable(path: Path, exc: Exception) -> TemplateError:
    return TemplateError(f"{path}: the document's data cannot be passed to Typst ({exc})")


def payload_pieces(path: Path, data: dict[str, Any]) -> Iterator[bytes]:
    """``_payload(path, data)`` as UTF-8, in pieces of about one list item each: a part of
    long letters is 5 MB of JSON, and this way it is never held whole (joined, the
    pieces are exactly ``_payload``'s text)."""
    if not all(isinstance(key, str) for key in data):
        yield _payload(path, data).encode("utf-8")
        return
    encode = json.JSONEncoder(ensure_ascii=False, default=str).encode
    try:
        yield b"{"
        for n, (key, value) in enumerate(data.items()):
            head = (", " if n else "") + encode(key) + ": "
            if not isinstance(value, list | tuple):
                yield (head + encode(value)).encode("utf-8")
                continue
            yield (head + "[").encode("utf-8")
            for k, item in enumerate(value):
                yield ((", " if k else "") + encode(item)).encode("utf-8")
            yield b"]"
        yield b"}"
    except (TypeError, ValueError) as exc:  # pragma: no cover - contexts are plain data
        raise _unpassable(path, exc) from None


def compile_json(path: Path, payload: str, *, tags: bool = True) -> bytes:
    """``compile_typ`` with the data already as JSON text (a part's process passes on
    what it was sent: decoding and encoding 1 MB again took it 60 ms)."""
    import typst

    try:
        pdf = typst.compile(str(path), root=str(path.parent), sys_inputs={"data": payload},
                            ignore_system_fonts=_builtin(path), pdf_tags=tags)
    except Exception as exc:  # typst raises its own TypstError (a RuntimeError subclass)
        message = " ".join(str(exc).split())
        raise TemplateError(f"{path}: Typst could not typeset it: {message[:300]}",
                            "fix the template, or remove your copy to use the built-in one"
                            ) from None
    if not isinstance(pdf, bytes):  # pragma: no cover - only with an output path
        raise TemplateError(f"{path}: Typst returned no PDF")
    return pdf


def _builtin(path: Path) -> bool:
    from campaign.documents.templates import builtin_dir

    return path.parent.resolve() == builtin_dir().resolve()


def context_to_pdf(template_name: str, data: dict[str, Any],
                   user_dir: str | Path | None = None) -> bytes:
    """A document-specific Typst template (a user's copy first) over the document's context."""
    from campaign.documents.templates import locate

    return compile_typ(locate(template_name, user_dir), data)


PARALLEL_PARTS = 2  # Typst processes at once: each takes ~95 MB for 180 letters

# glibc's malloc raises its mmap threshold each time a big block is given back, so
# Typst's later big blocks come from the heap and its peak wandered from 117 to 155 MB
# for the same 118 letters; a fixed threshold keeps it at ~112 MB, at the same speed.
# Other C libraries ignore the variable; one set by the user is kept.
_TYPST_ENV = {"MALLOC_MMAP_THRESHOLD_": "131072"}


def parts_to_pdf(template_name: str, parts: Iterable[dict[str, Any]],
                 user_dir: str | Path | None = None, *, title: str | None = None,
                 joined: Callable[[int], None] | None = None) -> bytes:
    """One PDF from several runs of a template, each in a child process of its own.

    Typst keeps a whole document, and its caches, in memory until the process
    ends: about 0.8 MB a page, so 705 letters took over 600 MB in one run. A
    fresh process per part (``python -m campaign.formats.typst_part``) gives that
    memory back after each part, so Typst needs the same memory for 5,000
    letters as for 180 (the joined file still grows with the letters: ~3.5 KB
    each, and qpdf holds ~4 MB for each 180-letter part until it writes). Two
    parts are typeset at once (Typst alone keeps about 1.4 cores busy; two at
    once took a quarter less time on 2 cores) while this process joins the
    finished ones in order (``joined(k)`` hears when part k is in, so a progress
    bar moves during the merge). A plain subprocess, not multiprocessing: a
    library caller's script need not guard its ``__main__``. The parts are
    typeset untagged: joining PDFs does not join their structure trees, and a
    broken tree is worse for a screen reader than none. ``parts`` may be made as they
    are taken (a generator): the first is typeset while the next are still being made,
    and a part is taken only when a worker will soon be free for it. Each part's JSON
    goes to its process a letter at a time (``payload_pieces``), never held whole.
    """
    import threading
    from collections import deque
    from concurrent.futures import Future, ThreadPoolExecutor

    from campaign.documents.templates import locate

    path = locate(template_name, user_dir)
    if not sys.executable:  # embedded Python: no interpreter to start
        return join_pdfs((compile_typ(path, part, tags=False) for part in parts), title=title,
                         joined=joined)
    env = {**_TYPST_ENV, **os.environ}

    # Set by the first part that fails, before the caller hears of it: a worker that is
    # free takes the next part at once, so cancelling from the caller's side alone
    # would still start one or more parts after the failure.
    failed = threading.Event()

    def run(part: dict[str, Any]) -> bytes:
        if failed.is_set():
            raise TemplateError(f"{path}: not typeset after an earlier part failed")
        try:
            return typeset(part)
        except BaseException:
            failed.set()
            raise

    def typeset(part: dict[str, Any]) -> bytes:
        import subprocess

        try:
            child = subprocess.Popen([sys.executable, "-m", "campaign.formats.typst_part",
                                      str(path)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        except OSError as exc:
            raise TemplateError(f"cannot start Python for Typst: {exc.strerror}") from None
        with child:
            try:
                # The part's JSON a piece at a time: made whole, its text and its bytes
                # held ~25 MB for 177 long letters, twice over with two parts at once.
                assert child.stdin is not None
                for piece in payload_pieces(path, part):
                    child.stdin.write(piece)
            except BrokenPipeError:  # the process stopped early: its stderr says why
                pass
            except BaseException:
                child.kill()
                raise
            out, err = child.communicate()
        if child.returncode != 0:
            lines = err.decode("utf-8", "replace").strip().splitlines()
            raise TemplateError(lines[-1] if lines else
                                f"{path}: the Typst process stopped (exit {child.returncode}); "
                                "out of memory?")
        return out

    many = len(parts) if isinstance(parts, Sized) else PARALLEL_PARTS  # a generator: made as taken
    workers = max(1, min(PARALLEL_PARTS, os.cpu_count() or 1, many))
    pool = ThreadPoolExecutor(max_workers=workers)

    def typeset_in_order() -> Iterator[bytes]:
        # One part more than there are workers is handed out ahead, each as the one
        # before is joined: no worker waits, and however many parts a merge has, at
        # most three parts' data are held at once (Executor.map would make them all).
        ahead: deque[Future[bytes]] = deque()
        for part in parts:
            ahead.append(pool.submit(run, part))
            if len(ahead) > workers:
                yield ahead.popleft().result()
        while ahead:
            yield ahead.popleft().result()

    try:
        return join_pdfs(typeset_in_order(), title=title, joined=joined)
    finally:  # after a failed part, start no more
        pool.shutdown(wait=True, cancel_futures=True)


def join_pdfs(pdfs: Iterable[bytes], *, title: str | None = None,
              joined: Callable[[int], None] | None = None) -> bytes:
    """The pages of several PDFs, in order, as one PDF (each joined as it comes).

    With pikepdf (qpdf): it copies each part's pages and the objects they use as
    they are, where pypdf cloned every page object by object in Python (1.2 s of
    a 705-letter merge, on a core the Typst processes needed; qpdf takes 0.1 s).
    The joined file is the same for the same parts (no dates, a file id made from
    its content), so a merge made again writes the same bytes. It keeps the parts'
    bookmarks (a user's template with headings has them), takes the document's
    language from the first part and ``title`` as its title.
    """
    import io

    import pikepdf

    out = pikepdf.new()
    parts: list[tuple[pikepdf.Pdf, int]] = []  # with the index of each part's first page
    try:
        for k, pdf in enumerate(pdfs):
            try:
                part = pikepdf.open(io.BytesIO(pdf))
            except pikepdf.PdfError:
                raise TemplateError(f"cannot join the typeset parts into one PDF: part {k + 1}"
                                    " is not a readable PDF") from None
            # qpdf copies a part's objects when the file is written: keep it open till then
            parts.append((part, len(out.pages)))
            if k == 0 and "/Lang" in part.Root:
                out.Root.Lang = part.Root.Lang
            out.pages.extend(part.pages)
            if joined:
                joined(k)
        if any("/Outlines" in part.Root for part, _ in parts):
            with out.open_outline() as outline:
                for part, first in parts:
                    outline.root.extend(_outline(part, out, first))
        if title:
            out.docinfo["/Title"] = title
        buf = io.BytesIO()
        out.save(buf, deterministic_id=True)
    except pikepdf.PdfError as exc:
        message = " ".join(str(exc).split())
        raise TemplateError(f"cannot join the typeset parts into one PDF: {message[:300]}"
                            ) from None
    finally:
        for part, _ in parts:
            part.close()
        out.close()
    return buf.getvalue()


def _outline(part: Any, out: Any, first: int) -> list[Any]:
    """A part's bookmarks as items of ``out``, each to the same place on its page there.

    A bookmark that does not name a page of its part (a named destination, an action
    other than going to a page) goes to the part's first page.
    """
    import pikepdf

    page_at = {page.obj.objgen: first + n for n, page in enumerate(part.pages)}

    def copy(items: Any) -> list[Any]:
        copies = []
        for item in items:
            dest = item.destination
            if dest is None and item.action is not None and item.action.get("/S") == "/GoTo":
                dest = item.action.get("/D")
            new = pikepdf.OutlineItem(str(item.title))
            if (isinstance(dest, pikepdf.Array) and len(dest) > 0
                    and isinstance(dest[0], pikepdf.Dictionary) and dest[0].objgen in page_at):
                new.destination = pikepdf.Array(
                    [out.pages[page_at[dest[0].objgen]].obj, *list(dest)[1:]])
            else:
                new.destination = pikepdf.Array([out.pages[first].obj, pikepdf.Name.Fit])
            new.is_closed = item.is_closed
            new.children.extend(copy(item.children))
            copies.append(new)
        return copies

    with part.open_outline() as outline:
        return copy(outline.root)


def markdown_to_pdf(markdown: str, *, title: str, user_dir: str | Path | None = None,
                    lang: str = "en") -> bytes:
    """Any rendered document as an A4 PDF, through the generic ``document.typ``."""
    return context_to_pdf("document.typ",
                          {"title": title, "lang": lang, "blocks": markdown_blocks(markdown)},
                          user_dir)
