"""Record text in letters' Markdown stays text (issue 20, item 4).

Every field a letter prints (contact name, salutation, address; sender fields; prisoner
name and description; demand text; source title and publisher) goes through the letter
templates' finaliser (campaign.formats.markdown.finalize): a contact named
``Emb [x](javascript:alert(1))`` must not become a link, an address ``<script>…`` must
not become HTML, in the stdout preview, ``-o x.md`` and ``-o DIR -f md`` alike; and the
other formats still show the text as it was typed.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt

SRC = "evil-2026"
EVIL = {
    "contact": "Emb [x](javascript:alert(1))",
    "address": "<script>alert(1)</script>\nStreet_1 *x*",
    "salutation": "Dear [s](javascript:alert(2)),",
    "sender": "S [s](javascript:alert(6)) **b**",
    "sender_address": "<i>a</i> `c`",
    "person": "Ann [p](javascript:alert(4))",
    "description": "<img src=x onerror=alert(5)> _u_",
    "demand": "Free [d](javascript:alert(7)) *now*",
    "title": "T [t](javascript:alert(3)) <b>x</b>",
    "publisher": "P_ub *x*",
}


@pytest.fixture
def hostile(cli: Any, db_path: Path) -> dict[str, str]:
    steps = [
        ["sources", "add", "--title", EVIL["title"], "--publisher", EVIL["publisher"],
         "--date", "2026-11", "--id", SRC],
        ["contacts", "add", EVIL["contact"], "--kind", "embassy", "--postal-address",
         EVIL["address"], "--salutation", EVIL["salutation"], "--source", SRC],
        ["prisoners", "add", EVIL["person"], "--source", SRC, "--description",
         EVIL["description"]],
        ["prisoners", "update", EVIL["person"], "--status", "imprisoned", "--date", "2026-10",
         "--source", SRC],
        ["demands", "add", EVIL["demand"], "--source", SRC, "--id", "evil-demand",
         "--concerns", EVIL["person"], "--addressed-to", "Government of Kazakhstan"],
    ]
    for args in steps:
        r = cli(*args)
        assert r.exit_code == 0, (args, r.stderr)
    return EVIL


LETTER = ["letter", "--to", "embassy", "--sender", EVIL["sender"], "--sender-address",
          EVIL["sender_address"], "--prisoner", EVIL["person"], "--demand", "evil-demand"]


def _live(markdown: str) -> list[str]:
    """Links, images and raw HTML a Markdown reader (HTML allowed) would make of the text."""
    found = []
    for tok in MarkdownIt("commonmark", {"html": True}).parse(markdown):
        if tok.type in ("html_block", "html_inline"):
            found.append(tok.content)
        for child in tok.children or []:
            if child.type in ("link_open", "image", "html_inline"):
                found.append(child.attrs.get("href") or child.attrs.get("src") or child.content)
            if child.type in ("em_open", "strong_open", "code_inline"):
                found.append(child.type)
    return found


def _text(markdown: str) -> str:
    from campaign.formats.text import to_text

    return " ".join(to_text(markdown, width=10_000).split())


def _check(markdown: str) -> None:
    # the template's own bold ("**Re: …**", a prisoner's name) is the only markup
    live = [x for x in _live(markdown) if x != "strong_open"]
    assert live == [], live
    shown = _text(markdown)
    for key in ("contact", "salutation", "person", "title", "publisher"):
        assert " ".join(EVIL[key].split()) in shown, key
    assert "<script>alert(1)</script>" in shown and "Street_1 *x*" in shown
    assert "<img src=x onerror=alert(5)> _u_" in shown
    assert "S [s](javascript:alert(6)) **b**" in shown


def test_the_stdout_preview(cli: Any, hostile: dict[str, str]) -> None:
    r = cli(*LETTER)
    assert r.exit_code == 0, r.stderr
    _check(r.stdout)


def test_a_markdown_file(cli: Any, hostile: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "x.md"
    r = cli(*LETTER, "-o", str(out))
    assert r.exit_code == 0, r.stderr
    _check(out.read_text(encoding="utf-8"))


def test_a_directory_of_markdown(cli: Any, hostile: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "letters"
    r = cli(*LETTER, "-o", str(out) + "/", "-f", "md")
    assert r.exit_code == 0, r.stderr
    files = list(out.glob("*.md"))
    assert len(files) == 1
    _check(files[0].read_text(encoding="utf-8"))


def test_word_shows_the_text_as_typed(cli: Any, hostile: dict[str, str],
                                      tmp_path: Path) -> None:
    import docx

    out = tmp_path / "x.docx"
    r = cli(*LETTER, "-o", str(out))
    assert r.exit_code == 0, r.stderr
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(out.read_bytes())).paragraphs)
    assert EVIL["person"] in text and "Street_1 *x*" in text and "\\" not in text
    assert EVIL["salutation"] in text


def test_a_plain_text_email_subject_has_no_escapes() -> None:
    from campaign.documents.letters.compose import _split_subject

    subject, _ = _split_subject("Subject: For Ann\\_B \\[x\\]\n\nbody")
    assert subject == "For Ann_B [x]"


def test_the_finaliser_keeps_citations_and_markdown_of_its_own() -> None:
    from campaign.formats.markdown import Markdown, finalize

    assert finalize("a fact [1, 2]") == "a fact [1, 2]"
    assert finalize("[x](y)") == "\\[x\\](y)"
    assert finalize(Markdown("**b**")) == "**b**"
    assert finalize(3) == 3


# -- one letter, one log entry, whatever the format (issue 20) -------------------------------

@pytest.mark.parametrize("formats", [["md", "eml"], ["eml", "docx"], ["pdf", "eml", "md"]])
def test_the_same_letters_in_another_format_are_not_logged_again(cli: Any, meps_db: Path,
                                                                 tmp_path: Path,
                                                                 formats: list[str]) -> None:
    import json

    sender = ["--sender", "Jane Doe", "--sender-address", "1 Main Street, Dublin 1",
              "--sender-email", "jane@example.org"]
    for n, fmt in enumerate(formats):
        r = cli("letter", "--to", "mep", "--country", "Ireland", *sender, "-f", fmt,
                "-o", str(tmp_path / f"out{n}") + "/")
        assert r.exit_code == 0, r.stderr
    log = json.loads(cli("outreach", "list", "-f", "json").stdout)
    assert len(log) == 3, [(e["contact"], e["digest"][:8]) for e in log]
    assert len({e["digest"] for e in log}) == 3


def test_a_new_note_is_a_new_letter_in_any_format(cli: Any, meps_db: Path,
                                                  tmp_path: Path) -> None:
    import json

    note = tmp_path / "note.txt"
    note.write_text("Our branch met the families.\n", encoding="utf-8")
    sender = ["--sender", "Jane Doe", "--sender-address", "1 Main Street, Dublin 1"]
    assert cli("letter", "--to", "mep", "--contact", "McGuinness", *sender, "-f", "eml",
               "-o", str(tmp_path / "a") + "/").exit_code == 0
    assert cli("letter", "--to", "mep", "--contact", "McGuinness", *sender, "-f", "md",
               "--note", str(note), "-o", str(tmp_path / "b") + "/").exit_code == 0
    assert len(json.loads(cli("outreach", "list", "-f", "json").stdout)) == 2
