"""campaign resolution: the motion's facts, citations, voices, formats and failures."""

from __future__ import annotations

import io
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

SNAPSHOT = Path(__file__).parent / "snapshots" / "resolution_default.md"
DEFAULT = ("resolution", "--branch", "Dublin Central", "--union", "Unite", "--as-of", "2026-11-23")



def split_sources(markdown: str) -> tuple[str, dict[int, str]]:
    body, _, tail = markdown.partition("\n## Sources\n")
    listed = {int(m.group(1)): m.group(2) for m in re.finditer(r"^(\d+)\. (.+)$", tail, re.M)}
    return body, listed


def test_default_motion_matches_snapshot(cli) -> None:  # type: ignore[no-untyped-def]
    """Regenerate deliberately with UPDATE_SNAPSHOTS=1 after reviewing the diff."""
    r = cli(*DEFAULT)
    assert r.exit_code == 0, r.stderr
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(r.stdout, encoding="utf-8")
    assert r.stdout == SNAPSHOT.read_text(encoding="utf-8")


def test_every_citation_listed_and_only_those(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli(*DEFAULT)
    body, listed = split_sources(r.stdout)
    used = [int(n) for group in re.findall(r"\[(\d+(?:, \d+)*)\]", body)
            for n in group.split(", ")]
    assert set(used) == set(listed) == set(range(1, len(listed) + 1))
    first_use = list(dict.fromkeys(used))
    assert first_use == sorted(first_use)  # numbered in order of first use
    notes = body.split("## This branch notes:")[1].split("## This branch believes:")[0]
    for line in notes.strip().splitlines():
        if line.endswith(":"):  # introduces a cited sub-list
            continue
        assert re.search(r"\[\d", line), f"uncited fact: {line}"


def test_motion_structure_and_facts(cli) -> None:  # type: ignore[no-untyped-def]
    out = cli(*DEFAULT).stdout
    order = [out.index(h) for h in ("## This branch notes:", "## This branch believes:",
                                     "## This branch resolves:", "Proposed by:",
                                     "Seconded by:", "## Sources")]
    assert order == sorted(order)
    assert "Motion to Dublin Central branch, Unite" in out
    # each death-toll figure separately, with its qualifier and who says so
    for text in ("at least 16, according to official reports [",
                 "at least 17, according to GUE/NGL press statement (Paul Murphy MEP) [",
                 "as many as 500, according to independent sources ["):
        assert text in out
    assert "16–17 December 2011" in out and "Zhanartu" in out and "refused" in out
    assert "Partnership and Cooperation Agreement" in out and "negotiations" in out
    # statuses are worded as of their date, never as today's fact
    assert "Roza Tuletaeva" in out and "imprisoned (as reported in January 2014)" in out
    assert re.search(r"Tuletaeva[^\n]*: imprisoned \(as reported", out)
    # the actions
    assert "Embassy of the Republic of Kazakhstan and to our MEPs, demanding:" in out
    assert "Campaign Kazakhstan (https://campaignkazakhstan.org" in out
    assert "16 December 2026 (the 15th anniversary)" in out
    assert "regional and national bodies of Unite" in out
    assert "message of solidarity" in out
    assert "@" not in out  # no email address of anyone


@pytest.mark.parametrize(("as_of", "expected"), [
    ("2026-12-16", "16 December 2026 (the 15th anniversary)"),
    ("2026-12-17", "16 December 2027 (the 16th anniversary)"),
    ("2021-01-01", "16 December 2021 (the 10th anniversary)"),
])
def test_next_anniversary(cli, as_of: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    assert expected in cli("resolution", "--as-of", as_of).stdout


def test_without_options_a_complete_motion(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("resolution", "--as-of", "2026-11-23")
    assert r.exit_code == 0, r.stderr
    assert "Motion to the branch" in r.stdout and "Proposed by: ____" in r.stdout
    assert "regional and national bodies of the union" in r.stdout


def test_conference_and_trades_council_voices(cli) -> None:  # type: ignore[no-untyped-def]
    conf = cli("resolution", "--body", "conference", "--union", "Unite",
               "--branch", "Unite Policy Conference").stdout
    assert "## This conference notes:" in conf and "## This conference resolves:" in conf
    assert "instruct the National Executive" in conf and "This branch" not in conf
    tc = cli("resolution", "--body", "trades-council", "--branch", "Cork").stdout
    assert "Motion to Cork Trades Council" in tc and "## This trades council believes:" in tc
    assert "affiliated unions" in tc and "This branch" not in tc


def test_exact_demands_and_prisoners(cli) -> None:  # type: ignore[no-untyped-def]
    out = cli("resolution", "--demand", "international-inquiry", "--prisoner", "Rosa Tuletaeva",
              "--proposer", "Jane Doe", "--seconder", "Seán Ó Briain").stdout
    resolves = out.split("resolves:")[1]
    assert "independent, international inquiry" in resolves
    assert "Release all political prisoners" not in resolves
    notes = out.split("notes:")[1].split("believes:")[0]
    assert "Roza Tuletaeva" in notes and "Vladimir Kozlov" not in notes
    assert "Ainur Kurmanov" not in notes  # exactly the persons asked for
    assert "Proposed by: Jane Doe" in out and "Seconded by: Seán Ó Briain" in out


def test_unknown_demand_and_prisoner_suggest(error_line, cli) -> None:  # type: ignore[no-untyped-def]
    line = error_line(cli("resolution", "--demand", "international-inquiri"))
    assert "international-inquiry" in line and "did you mean" in line
    line = error_line(cli("resolution", "--prisoner", "Roza Tuletaevna"))
    assert "Roza Tuletaeva" in line


def test_user_text_cannot_inject_markup(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("resolution", "--branch", "Dub *lin* [x](http://evil.example) <b>", "-f", "html")
    assert r.exit_code == 0, r.stderr
    assert "<em>lin</em>" not in r.stdout and 'href="http://evil' not in r.stdout
    assert "<b>" not in r.stdout
    assert "Dub *lin* [x](http://evil.example) &lt;b&gt;" in r.stdout


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_parses(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "motion.html"
    assert cli(*DEFAULT, "-o", str(out)).exit_code == 0
    parser = _Tags()
    parser.feed(out.read_text(encoding="utf-8"))
    assert parser.tags.count("h1") == 1 and parser.tags.count("h2") == 4
    assert parser.tags.count("ol") >= 4
    assert "Roza Tuletaeva" in "".join(parser.text)


def test_txt(cli) -> None:  # type: ignore[no-untyped-def]
    out = cli(*DEFAULT, "-f", "txt").stdout
    assert "This branch notes:" in out and "1. " in out and "**" not in out


def test_docx_real_headings_and_numbering(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from docx import Document

    out = tmp_path / "motion.docx"
    r = cli(*DEFAULT, "-o", str(out))
    assert r.exit_code == 0, r.stderr
    doc = Document(str(out))
    styles = [p.style.name for p in doc.paragraphs]
    heads = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert heads[0].startswith("Solidarity with the Zhanaozen")
    assert heads[1:] == ["This branch notes:", "This branch believes:",
                         "This branch resolves:", "Sources"]
    assert "List Bullet 2" in styles

    def num_ids(after: str, before: str) -> set[int]:
        texts = [p.text for p in doc.paragraphs]
        a, b = texts.index(after), texts.index(before)
        return {p._p.pPr.numPr.numId.val for p in doc.paragraphs[a:b]
                if p.style.name == "List Number"}

    notes = num_ids("This branch notes:", "This branch believes:")
    resolves = num_ids("This branch resolves:", "Sources")
    assert len(notes) == 1 and len(resolves) == 1 and notes != resolves
    xml = doc.part.numbering_part.element.xml
    for n in (*notes, *resolves):
        assert re.search(rf'<w:num w:numId="{n}">.*?<w:startOverride w:val="1"/>', xml, re.S)


def test_pdf_text_layer(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from pypdf import PdfReader

    out = tmp_path / "motion.pdf"
    r = cli("resolution", "--branch", "Жаңаөзен", "--union", "Unite", "-o", str(out))
    assert r.exit_code == 0, r.stderr
    reader = PdfReader(str(out))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "Motion to Жаңаөзен branch, Unite" in text
    assert "Roza Tuletaeva" in text and "This branch resolves:" in text
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4


def test_bad_output_and_formats(error_line, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    missing = tmp_path / "nope" / "motion.pdf"
    assert "does not exist" in error_line(cli("resolution", "-o", str(missing)))
    assert not missing.parent.exists()
    assert "binary" in error_line(cli("resolution", "--format", "docx"), 2)
    assert "extension" in error_line(cli("resolution", "-o", str(tmp_path / "m.xyz")), 2)
    r = cli("resolution", "--format", "eml")
    assert r.exit_code == 2 and "Traceback" not in r.stderr
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith("store.db")] == []


@pytest.mark.parametrize(("text", "expect"), [
    ("{{ ''.__class__.__mro__ }}\n", "sandbox"),
    ("ok\n{% for x in %}\n", "line 2"),
    ("ok\n\n{{ no_such_variable }}\n", "line 3"),
])
def test_bad_user_templates(error_line, cli, tmp_path: Path, text: str, expect: str) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "resolution.md.j2").write_text(text, encoding="utf-8")
    out = tmp_path / "motion.md"
    line = error_line(cli("resolution", "--templates", str(tmp_path), "-o", str(out)))
    assert str(tmp_path / "resolution.md.j2") in line and expect in line
    assert not out.exists()


def test_user_template_via_environment(cli, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "resolution.md.j2").write_text("# {{ title }}\n\nMoved by {{ proposer }}.\n",
                                               encoding="utf-8")
    monkeypatch.setenv("CAMPAIGN_TEMPLATES", str(tmp_path))
    r = cli("resolution", "--proposer", "A. Member")
    assert r.exit_code == 0 and "Moved by A. Member." in r.stdout


def test_library_use_without_cli(store) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from pypdf import PdfReader

    from campaign.documents.resolution import render_resolution, resolution_context
    from campaign.formats import DocFormat

    ctx = resolution_context(store, body="conference", as_of=dt.date(2026, 11, 23))
    assert ctx["anniversary"]["years"] == 15
    assert [f["qualifier"] for f in ctx["notes"]["death_toll"]] == ["at least", "at least",
                                                                    "as many as"]
    pdf = render_resolution(store, DocFormat.pdf, as_of=dt.date(2026, 11, 23))
    assert "This branch notes:" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
