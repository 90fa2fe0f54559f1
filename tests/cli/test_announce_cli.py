"""`campaign announce` and `campaign events upcoming` through the CLI."""

from __future__ import annotations

import json
import sqlite3
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import vobject

SAMPLE = ["announce", "--kind", "picket", "--date", "2026-12-16", "--time", "12:00",
          "--place", "Embassy of Kazakhstan", "--city", "London"]


def snapshot(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


@pytest.fixture
def ready(cli: Any, db_path: Path) -> Path:
    """A store created (bundled pack loaded) before the command under test runs."""
    assert cli("events", "list").exit_code == 0
    return db_path


def test_sample_short_and_medium(cli: Any) -> None:
    r = cli(*SAMPLE, "--length", "short")
    assert r.exit_code == 0, r.stderr
    post = r.stdout.strip()
    assert len(post) <= 280
    assert post.startswith("Picket on the 15th anniversary of the Zhanaozen massacre of "
                           "16 December 2011. Wednesday 16 December 2026, 12:00, "
                           "Embassy of Kazakhstan, London.")
    assert "[1]" not in post and "\n" not in post
    r = cli(*SAMPLE)
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith("# Picket: the 15th anniversary of the Zhanaozen massacre")
    assert "## Sources" in r.stdout and "## What we demand" in r.stdout
    assert "## What to do" in r.stdout


def test_short_post_with_organiser_and_contact(cli: Any) -> None:
    r = cli(*SAMPLE, "--length", "short", "--organiser", "Unite London Region",
            "--contact", "https://example.org/zhanaozen-15", "--as-of", "2026-12-01")
    assert r.exit_code == 0, r.stderr
    assert r.stderr == ""
    post = r.stdout.strip()
    assert "Called by Unite London Region." in post
    assert post.endswith("https://example.org/zhanaozen-15")


def test_warnings_are_one_line_each_and_the_document_is_still_made(cli: Any) -> None:
    r = cli(*SAMPLE, "--length", "short", "--quote", "Never again", "--as-of", "2026-12-01")
    assert r.exit_code == 0
    assert r.stderr == "campaign: warning: --quote is not used in a short post; it goes in " \
                       "the press release (--length long)\n"
    r = cli(*SAMPLE, "--length", "long", "--as-of", "2026-12-01")
    assert r.exit_code == 0 and "[QUOTE FROM ORGANISER]" in r.stdout
    assert r.stderr.splitlines() == [
        "campaign: warning: no --quote: the press release has the placeholder "
        "[QUOTE FROM ORGANISER]",
        "campaign: warning: no --contact: the press release has a placeholder for the press "
        "contact"]
    r = cli("announce", "--kind", "vigil", "--date", "2026-11-30", "--as-of", "2026-12-01")
    assert r.exit_code == 0 and r.stdout.startswith("# Vigil")
    assert r.stderr == "campaign: warning: 30 November 2026 is in the past (the announcement " \
                       "is dated 1 December 2026)\n"
    r = cli("announce", "--kind", "vigil", "--date", "2026-12-16", "--demand",
            "drop-charges-strikers", "--as-of", "2026-12-01")
    assert r.exit_code == 0
    assert r.stderr.startswith("campaign: warning: demand 'drop-charges-strikers' is no longer "
                               "current (") and r.stderr.count("\n") == 1
    assert "- In March 2012 Paul Murphy MEP (GUE/NGL) called on" in r.stdout


def test_max_people(cli: Any) -> None:
    r = cli(*SAMPLE, "--max-people", "1", "--as-of", "2026-12-01")
    assert r.exit_code == 0, r.stderr
    assert "and at least " in r.stdout
    r = cli(*SAMPLE, "--max-people", "-1")
    assert r.exit_code == 2


def test_tenth_and_seventeenth(cli: Any) -> None:
    r = cli("announce", "--kind", "vigil", "--date", "2021-12-16")
    assert "the 10th anniversary of the Zhanaozen massacre" in r.stdout
    r = cli("announce", "--kind", "vigil", "--date", "2027-12-17", "--length", "long")
    assert "16th anniversary of the Zhanaozen massacre of 16–17 December 2011" in r.stdout


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


@pytest.mark.parametrize("ext", ["md", "txt", "html"])
def test_text_formats_to_file(cli: Any, tmp_path: Path, ext: str) -> None:
    out = tmp_path / f"picket.{ext}"
    r = cli(*SAMPLE, "-o", str(out))
    assert r.exit_code == 0, r.stderr
    content = out.read_text(encoding="utf-8")
    if ext == "html":
        p = _Text()
        p.feed(content)
        assert "h1" in p.tags and "li" in p.tags
        content = "".join(p.parts)
    assert "15th anniversary of the Zhanaozen massacre" in content
    assert r.stdout == ""


def test_pdf(cli: Any, tmp_path: Path) -> None:
    from pypdf import PdfReader

    out = tmp_path / "picket.pdf"
    r = cli(*SAMPLE, "--place", "Жаңаөзен қаласының орталық алаңы", "-o", str(out))
    assert r.exit_code == 0, r.stderr
    text = " ".join(page.extract_text() for page in PdfReader(out).pages)
    assert "15th anniversary" in " ".join(text.split())
    assert "Жаңаөзен" in text


def test_pdf_needs_a_file(cli: Any) -> None:
    r = cli(*SAMPLE, "--format", "pdf")
    assert r.exit_code == 2 and "give a file name" in r.stderr


def test_ics_file(cli: Any, tmp_path: Path, db_path: Path) -> None:
    out = tmp_path / "picket.ics"
    args = [*SAMPLE, "--end", "14:00", "--timezone", "Europe/London", "-o", str(out)]
    assert cli(*args).exit_code == 0
    first = vobject.readOne(out.read_text(encoding="utf-8")).vevent
    assert int(first.sequence.value) == 0
    assert first.location.value == "Embassy of Kazakhstan, London"
    assert "15th anniversary" in first.description.value
    assert cli(*args).exit_code == 0
    assert int(vobject.readOne(out.read_text(encoding="utf-8")).vevent.sequence.value) == 0
    args[args.index("Embassy of Kazakhstan")] = "Kazakhstan House"
    assert cli(*args).exit_code == 0
    moved = vobject.readOne(out.read_text(encoding="utf-8")).vevent
    assert moved.uid.value == first.uid.value
    assert int(moved.sequence.value) == 1


def test_ics_on_stdout_all_day(cli: Any) -> None:
    r = cli("announce", "--kind", "day-of-action", "--date", "2026-12-16", "--format", "ics")
    assert r.exit_code == 0, r.stderr
    assert "DTSTART;VALUE=DATE:20261216" in r.stdout


def test_save_records_a_planned_event(cli: Any) -> None:
    r = cli(*SAMPLE, "--organiser", "Unite London", "--save", "--length", "short")
    assert r.exit_code == 0, r.stderr
    assert "saved planned event announcement-2026-12-16-picket-london" in r.stderr
    events = json.loads(cli("events", "list", "--planned", "--format", "json").stdout)
    saved = [e for e in events if e["id"] == "announcement-2026-12-16-picket-london"]
    assert len(saved) == 1
    e = saved[0]
    assert (e["date"], e["kind"], e["place"]) == ("2026-12-16", "picket",
                                                  "Embassy of Kazakhstan, London")
    assert e["title"].startswith("Picket: 15th anniversary")
    assert e["sources"] == ["announcement-2026-12-16-picket-london"]
    src = [s for s in json.loads(cli("sources", "list", "--format", "json").stdout)
           if s["id"] == e["sources"][0]][0]
    assert src["title"].startswith("Announcement: Picket")
    assert src["publisher"] == "Unite London"
    assert not src.get("document")
    timeline = json.loads(cli("timeline", "--format", "json").stdout)
    assert any(i.get("id") == e["id"] for i in timeline)
    # announcing again updates, never duplicates
    assert cli(*SAMPLE, "--save", "--place", "Kazakhstan House").exit_code == 0
    events = json.loads(cli("events", "list", "--planned", "--format", "json").stdout)
    again = [x for x in events if x["id"] == e["id"]]
    assert len(again) == 1 and again[0]["place"] == "Kazakhstan House, London"
    # a saved planned event is not an anniversary, and shows in upcoming
    up = json.loads(cli("events", "upcoming", "--from", "2026-12-01", "--days", "20",
                        "--format", "json").stdout)
    assert {"date": "2026-12-16", "type": "planned"}.items() <= next(
        i for i in up if i["event_id"] == e["id"]).items()


def test_upcoming(cli: Any) -> None:
    r = cli("events", "upcoming", "--from", "2026-12-14", "--days", "3", "--format", "json")
    assert r.exit_code == 0, r.stderr
    items = json.loads(r.stdout)
    assert items[0]["date"] == "2026-12-15"
    shootings = [i for i in items if i["event_id"] == "zhanaozen-shootings"]
    assert [i["date"] for i in shootings] == ["2026-12-16", "2026-12-17"]
    assert shootings[0]["what"].startswith("15th anniversary: Police open fire")
    r = cli("events", "upcoming", "--from", "2026-12-14", "--days", "3")
    assert r.exit_code == 0 and "anniversary" in r.stdout
    r = cli("events", "upcoming", "--from", "2026-13-01")
    assert r.exit_code == 2 and r.stderr.startswith("campaign: error: --from")
    r = cli("events", "upcoming", "--days", "-5")
    assert r.exit_code == 2 and "--days -5 is out of range" in r.stderr


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--date", "2026-02-30"], 2, "'2026-02-30' is not a day of the calendar"),
    (["--date", "2026-12-16", "--time", "12:00", "--end", "11:00"], 2,
     "--end 11:00 is not after --time 12:00"),
    (["--date", "2026-12-16", "--timezone", "Mars/Base"], 2, "unknown time zone 'Mars/Base'"),
    (["--date", "2026-12-16", "--demand", "free-all"], 1, "no demand called 'free-all'"),
    (["--date", "2026-12-16", "--demand", "international-inquirey"], 1,
     "did you mean 'international-inquiry'"),
    (["--date", "2026-03-29", "--time", "01:30", "--timezone", "Europe/London"], 2,
     "--time 01:30 does not exist on 29 March 2026 in Europe/London"),
    (["--date", "2026-12-16", "--length", "short", "--place", "x" * 300], 2,
     "shorten --place"),
    (["--date", "2026-12-16", "--prisoner", "Nobody Atall"], 1, "no person called"),
    (["--date", "2026-12-16", "--as-of", "yesterday"], 2, "--as-of"),
])
@pytest.mark.parametrize("ext", ["md", "ics"])
def test_bad_input_changes_nothing(cli: Any, ready: Path, tmp_path: Path, args: list[str],
                                   code: int, message: str, ext: str) -> None:
    before = snapshot(ready)
    outdir = tmp_path / "out"
    outdir.mkdir()
    out = outdir / f"out.{ext}"
    r = cli("announce", "--kind", "picket", *args, "--save", "-o", str(out))
    assert r.exit_code == code
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("campaign: error: ")
    assert message in r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    assert list(outdir.iterdir()) == []
    assert snapshot(ready) == before


def test_write_failure_rolls_back_save_and_sequence(cli: Any, ready: Path,
                                                    tmp_path: Path) -> None:
    before = snapshot(ready)
    outdir = tmp_path / "out"
    target = outdir / "taken.ics"
    target.mkdir(parents=True)
    r = cli(*SAMPLE, "--save", "-o", str(target))
    assert r.exit_code == 1 and "is a directory" in r.stderr
    assert snapshot(ready) == before
    assert [p.name for p in outdir.iterdir()] == ["taken.ics"]


def test_unknown_kind_and_format(cli: Any) -> None:
    r = cli("announce", "--kind", "riot", "--date", "2026-12-16")
    assert r.exit_code == 2
    r = cli(*SAMPLE, "-o", "x.docx")
    assert r.exit_code == 2 and "cannot be written as docx" in r.stderr


def test_readme_short_post_is_what_the_command_prints(cli: Any) -> None:
    """The README shows the short post as it now comes out: keep the two together."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    shown = next(line for line in readme.splitlines()
                 if line.startswith("Picket on the 15th anniversary"))
    r = cli("announce", "--kind", "picket", "--date", "2026-12-16", "--time", "12:00",
            "--end", "14:00", "--timezone", "Europe/London", "--place", "Embassy of Kazakhstan",
            "--city", "London", "--organiser", "Unite London Region",
            "--contact", "https://example.org/zhanaozen-15", "--length", "short",
            "--as-of", "2026-12-01")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.strip() == shown
