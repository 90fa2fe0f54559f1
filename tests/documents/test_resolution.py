"""campaign resolution: the motion's facts, citations, voices, formats and failures."""

from __future__ import annotations

import io
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

SNAPSHOTS = Path(__file__).parent / "snapshots"
SNAPSHOT = SNAPSHOTS / "resolution_default.md"
DEFAULT = ("resolution", "--branch", "Dublin Central", "--union", "Unite", "--as-of", "2026-11-23",
           "--country", "Ireland")
BODY_RUNS = {
    "branch": DEFAULT,
    "conference": ("resolution", "--body", "conference", "--branch", "Unite Policy Conference",
                   "--union", "Unite", "--as-of", "2026-11-23", "--country", "United Kingdom"),
    "trades-council": ("resolution", "--body", "trades-council", "--branch", "Cork",
                       "--as-of", "2026-11-23"),
}



def split_sources(markdown: str) -> tuple[str, dict[int, str]]:
    body, _, tail = markdown.partition("\n## Sources\n")
    listed = {int(m.group(1)): m.group(2) for m in re.finditer(r"^(\d+)\. (.+)$", tail, re.M)}
    return body, listed


@pytest.mark.parametrize("body", list(BODY_RUNS))
def test_default_motion_matches_snapshot(cli, body: str) -> None:  # type: ignore[no-untyped-def]
    """Regenerate deliberately with UPDATE_SNAPSHOTS=1 after reading the motion as a
    branch secretary would."""
    r = cli(*BODY_RUNS[body])
    assert r.exit_code == 0, r.stderr
    path = SNAPSHOT if body == "branch" else SNAPSHOTS / f"resolution_{body}.md"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        path.write_text(r.stdout, encoding="utf-8")
    assert r.stdout == path.read_text(encoding="utf-8")


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
    out = cli(*DEFAULT, "--max-words", "5000").stdout
    order = [out.index(h) for h in ("## This branch notes:", "## This branch believes:",
                                     "## This branch resolves:", "Proposed by:",
                                     "Seconded by:", "## Sources")]
    assert order == sorted(order)
    assert "Motion to Dublin Central branch, Unite" in out
    notes = out.split("## This branch notes:")[1].split("## This branch believes:")[0]
    # every note a "That ..." clause in the past tense
    assert all(line.startswith("1. That") for line in notes.strip().splitlines())
    # each death-toll figure separately, with its qualifier and who says so
    assert re.search(r"That on 16–17 December 2011 police opened fire on striking oil workers "
                     r"and their supporters in Zhanaozen and Shetpe \[\d\], killing at least 16 "
                     r"people according to official reports \[\d\], at least 17 according to the "
                     r"GUE/NGL press statement \(Paul Murphy MEP\) \[\d\] and as many as 500 "
                     r"according to independent sources \[\d\]\.", notes)
    assert "more than 3,000 people rallied on the main square of Zhanaozen" in notes
    # grouped, not one line per person
    assert re.search(r"That the strike leaders [^\n]*Roza Tuletaeva[^\n]* were imprisoned as a "
                     r"result of the strike \(as reported in January 2014\)", notes)
    assert notes.count("Tuletaeva") == 1
    # central facts: Kenzhebaev's death, Sokolova's sentence and release, the arrested oil workers
    assert "Bazarbai Kenzhebaev" in notes and "died of a ruptured intestine" in notes
    assert re.search(r"That on 8 August 2011 Natalia Sokolova[^\n]*Aktau City Court[^\n]*six "
                     r"years in prison \[\d\], and later released \(as reported in January 2014\)",
                     notes)
    for name in ("Talgat Saktaganov", "Natalia Azhigalieva", "Aiman Ungarbaeva",
                 "Zhanar Saktaganova", "Akhzhanat Aminov"):
        assert name in notes
    assert "Zhanartu" in notes and "refused legal registration" in notes
    # the actions
    assert "1. To call on the Embassy of the Republic of Kazakhstan to convey to its government " \
        "that this branch asks it to:" in out
    assert out.count("Embassy") == 1  # one call on the embassy
    assert "1. To ask our MEPs to raise these demands" in out
    assert "campaignkazakhstan.org, the address given in March 2012" in out
    assert "To mark the 15th anniversary of the Zhanaozen shootings on 16 December 2026" in out
    assert "day of action" not in out.split("resolves:")[1]  # no source says one was called
    assert "regional and national bodies of Unite" in out
    assert "message of solidarity" in out
    assert "@" not in out  # no email address of anyone


@pytest.mark.parametrize(("as_of", "expected"), [
    ("2026-12-16", "15th anniversary of the Zhanaozen shootings on 16 December 2026"),
    ("2026-12-17", "16th anniversary of the Zhanaozen shootings on 16 December 2027"),
    ("2021-01-01", "10th anniversary of the Zhanaozen shootings on 16 December 2021"),
])
def test_next_anniversary(cli, as_of: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    assert expected in cli("resolution", "--as-of", as_of).stdout


def test_without_options_a_complete_motion(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("resolution", "--as-of", "2026-11-23")
    assert r.exit_code == 0, r.stderr
    assert "Motion to the branch" in r.stdout and "Proposed by: ____" in r.stdout
    assert "regional and national bodies of the union" in r.stdout


def test_conference_and_trades_council_voices(cli) -> None:  # type: ignore[no-untyped-def]
    conf = cli(*BODY_RUNS["conference"]).stdout
    assert "## This conference notes:" in conf and "## This conference resolves:" in conf
    assert "instruct the National Executive" in conf and "This branch" not in conf
    tc = cli("resolution", "--body", "trades-council", "--branch", "Cork").stdout
    assert "Motion to Cork Trades Council" in tc and "## This trades council believes:" in tc
    assert "affiliated unions" in tc and "This branch" not in tc


def test_exact_demands_and_prisoners(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("resolution", "--demand", "release-named-prisoners", "--prisoner", "Rosa Tuletaeva",
            "--max-people", "1", "--proposer", "Jane Doe", "--seconder", "Seán Ó Briain",
            "--as-of", "2014-06-01")
    out = r.stdout
    resolves = out.split("resolves:")[1]
    assert "immediately release Akhzhanat Aminov and 5 others" in resolves
    assert "Release all political prisoners" not in resolves
    notes = out.split("notes:")[1].split("believes:")[0]
    assert "Roza Tuletaeva" in notes and "Vladimir Kozlov" not in notes
    assert "Kanat Zhusilbaev" not in notes  # only the one person asked for
    assert "at least " in notes and " others who were imprisoned" in notes
    assert "Proposed by: Jane Doe" in out and "Seconded by: Seán Ó Briain" in out
    assert r.stderr == ""


def test_chosen_lapsed_demand_is_history_with_a_warning(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("resolution", "--demand", "suspend-eu-agreement", "--as-of", "2026-11-23")
    assert r.exit_code == 0
    warning = r.stderr.strip().splitlines()
    assert len(warning) == 1
    assert warning[0].startswith("campaign: warning: demand 'suspend-eu-agreement' is no longer "
                                 "current")
    notes = r.stdout.split("notes:")[1].split("believes:")[0]
    assert "That in March 2012 Paul Murphy MEP (GUE/NGL) called on the EU High Representative" \
        in notes
    cited = re.search(r"all political prisoners are released \[(\d+)\]\.\n", notes)
    assert cited, notes  # cited to the one statement the demand was made in
    _, listed = split_sources(r.stdout)
    assert listed[int(cited.group(1))].startswith("Kazakhstan: European Parliament forced")
    resolves = r.stdout.split("resolves:")[1]
    assert "Partnership and Cooperation Agreement" not in resolves
    assert "supporting these demands" not in resolves


def test_no_demand_for_the_release_of_someone_released_or_dead(cli, store) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from campaign.people import persons

    for as_of in ("2012-06-01", "2014-02-01", "2026-11-23"):
        day = dt.date.fromisoformat(as_of)
        gone = [p["name"] for p in persons(store, day) if p["status"] in ("released", "died")]
        assert gone
        resolves = cli("resolution", "--as-of", as_of).stdout.split("resolves:")[1]
        demands = resolves.split("asks it to:")[1].split("\n1. ")[0]
        demands = demands.split("provide information on")[0]  # news is not a demand
        for name in gone:
            assert name not in demands, (as_of, name)


def test_no_process_demand_older_than_the_lapse_rule(cli) -> None:  # type: ignore[no-untyped-def]
    today = cli("resolution", "--as-of", "2026-11-23").stdout.split("resolves:")[1]
    for old in ("drop all trumped-up charges", "suspend the talks on a new Partnership"):
        assert old not in today
    # Accountability and policy stand until a source reports them done.
    assert "international investigation" in today and "Zhanartu" in today
    then = cli("resolution", "--as-of", "2012-06-01").stdout.split("resolves:")[1]
    assert "drop all trumped-up charges" in then
    assert "suspend the talks on a new Partnership" in then
    longer = cli("resolution", "--as-of", "2016-01-01", "--lapse-years", "5").stdout
    assert "suspend the talks on a new Partnership" in longer.split("resolves:")[1]


def test_as_of_uses_only_sources_published_by_then(cli) -> None:  # type: ignore[no-untyped-def]
    out = cli("resolution", "--as-of", "2012-06-01").stdout
    body, listed = split_sources(out)
    assert listed and all("2014" not in s for s in listed.values())
    assert "prepared on 1 June 2012" in out
    # facts as known then: nothing reported in 2014
    assert "as reported in January 2014" not in body and "second anniversary" not in body
    assert "Shetpe" not in body  # only the January 2014 report gives it
    assert "at least 16 people according to official reports" in body


@pytest.mark.parametrize(("country", "expected", "absent"), [
    ("Ireland", "ask our MEPs", "MPs"),
    ("Irlande", "ask our MEPs", "MPs"),
    ("United Kingdom", "our MPs and the Foreign Secretary", "MEP"),
    ("Norway", "our members of the national parliament and the government of Norway", "MEP"),
    ("", "ask our elected representatives", "MEP"),
])
def test_resolves_fit_the_country(cli, country: str, expected: str, absent: str) -> None:  # type: ignore[no-untyped-def]
    args = ("--country", country) if country else ()
    resolves = cli("resolution", *args).stdout.split("resolves:")[1].split("Proposed by")[0]
    assert expected in resolves and absent not in resolves


def test_country_from_profile_and_option_wins(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("profile", "set", "--country", "UK")
    assert r.exit_code == 0, r.stderr
    assert "our MPs" in cli("resolution").stdout
    assert "our MEPs" in cli("resolution", "--country", "Ireland").stdout
    shown = cli("profile", "show", "--format", "json").stdout
    assert '"country": "United Kingdom"' in shown


def test_bad_country(error_line, cli) -> None:  # type: ignore[no-untyped-def]
    assert "did you mean 'Ireland'" in error_line(cli("resolution", "--country", "Irelnd"), 2)
    assert "did you mean" in error_line(cli("profile", "set", "--country", "Irelnd"), 2)


NUMBER_STYLE = re.compile(r"\b\d{1,3} \d{3}\b|\b(?!19\d\d|20\d\d)\d{4,}\b")


@pytest.mark.parametrize("body", list(BODY_RUNS))
def test_one_number_style_no_file_names(cli, body: str) -> None:  # type: ignore[no-untyped-def]
    for fmt in ("md", "txt", "html"):
        out = cli(*BODY_RUNS[body], "--max-words", "5000", "-f", fmt).stdout
        assert not re.search(r"\d{3}_[0-9a-f]{16}\.txt|\.txt\b", out)
        assert not NUMBER_STYLE.search(out), NUMBER_STYLE.search(out)
        assert "3,000" in out


def test_every_citation_has_a_supporting_quote(store) -> None:  # type: ignore[no-untyped-def]
    """Each marker in the motion points at sources whose text holds a quote of the record
    behind it: proved for the pack by tests/test_pack_content.py; here, that the motion's
    campaign address is cited only to the statement that gives it."""
    import datetime as dt

    from campaign.documents.resolution import resolution_context

    ctx = resolution_context(store, as_of=dt.date(2026, 11, 23))
    listed = {s["number"]: s["id"] for s in ctx["sources"]}
    numbers = [int(n) for n in ctx["campaign"]["cite"].strip("[]").split(", ")]
    assert [listed[n] for n in numbers] == ["socialistworld-2012-03"]
    shots = [int(n) for n in ctx["notes"]["shootings"]["cite"].strip("[]").split(", ")]
    assert [listed[n] for n in shots] == ["socialistworld-2014-01"]


def test_two_thousand_prisoners_keep_the_motion_short(tmp_path: Path) -> None:
    import datetime as dt

    from campaign.documents.resolution import render_markdown, resolution_context
    from campaign.pack import load_bundled
    from campaign.people import add_person
    from campaign.store import Store

    st = Store(tmp_path / "big.db")  # a store only stores: the bundled campaign is loaded
    load_bundled(st)
    with st.transaction():
        for n in range(2000):
            add_person(st, {"id": f"p{n}", "name": f"Prisoner Number{n:04d}",
                            "role": "oil worker" if n % 2 else "activist",
                            "sources": ["socialistworld-2014-01"],
                            "events": [{"kind": "imprisoned", "date": "2014-01",
                                        "date_basis": "report",
                                        "summary": "was imprisoned as a result of the strike",
                                        "sources": ["socialistworld-2014-01"]}]})
        st.add_cited("demands", "demand", {
            "id": "free-all-2000", "text": "Free them all.", "quotes": [],
            "addressed_to": "Government of Kazakhstan", "ask": "release {persons}",
            "concerns": {"persons": [f"p{n}" for n in range(2000)], "process": None}},
            ["socialistworld-2014-01"])
    ctx = resolution_context(st, as_of=dt.date(2026, 11, 23))
    text = render_markdown(ctx)
    words = len(text.split())
    assert words < 1300, words  # one to two pages
    named = len(re.findall(r"Prisoner Number\d{4}", text))
    assert named <= 24  # the prisoner list, the arrests note and the demand: eight each at most
    assert "and 1,992 others" in text  # the demand for their release
    assert "at least 2,0" in text or "at least 1,9" in text
    st.close()


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
    assert "Tuletaeva" in text and "This branch resolves:" in text
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
    assert [f["amount"] for f in ctx["notes"]["death_toll"]] == ["at least 16", "at least 17",
                                                                 "as many as 500"]
    pdf = render_resolution(store, DocFormat.pdf, as_of=dt.date(2026, 11, 23))
    assert "This branch notes:" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_readme_sample_is_what_comes_out(cli) -> None:  # type: ignore[no-untyped-def]
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### A resolution for")[1].split("### ")[0]
    sample = [line for line in section.splitlines()
              if line.startswith(("1. ", "   - ", "## This branch"))]
    assert len(sample) >= 8
    out = cli(*DEFAULT).stdout
    for line in sample:
        assert line in out, line


def test_a_few_demands_that_a_government_can_act_on(cli) -> None:  # type: ignore[no-untyped-def]
    resolves = cli("resolution", "--as-of", "2014-02-01").stdout.split("resolves:")[1]
    demands = resolves.split("asks it to:")[1].split("\n1. ")[0]
    items = [line for line in demands.splitlines() if line.startswith("   - ")]
    assert 2 <= len(items) <= 5
    assert items[0].startswith("   - release all political prisoners")
    assert "McCartney" not in demands and "Trade unions and MEPs" not in demands


def test_pdf_is_one_to_two_pages(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from pypdf import PdfReader

    for body, args in BODY_RUNS.items():
        out = tmp_path / f"{body}.pdf"
        assert cli(*args, "-o", str(out)).exit_code == 0
        assert 1 <= len(PdfReader(str(out)).pages) <= 2, body


def test_campaign_address_with_a_scheme_is_still_found_in_its_source(store) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from campaign.documents.resolution import resolution_context

    with store.transaction():
        store.conn.execute("UPDATE contacts SET url = 'https://www.campaignkazakhstan.org/' "
                           "WHERE id = 'campaign-kazakhstan'")
        store.set_meta("campaign_url", "https://www.campaignkazakhstan.org/")
    ctx = resolution_context(store, as_of=dt.date(2026, 11, 23))
    assert ctx["campaign"] and ctx["campaign"]["given"] == "March 2012"


def test_a_day_of_action_only_when_a_source_says_one_is_called(cli) -> None:  # type: ignore[no-untyped-def]
    before = cli("resolution", "--as-of", "2026-11-23").stdout.split("resolves:")[1]
    assert "day of action" not in before and "To mark the 15th anniversary" in before
    assert cli("sources", "add", "--id", "call-2026", "--title", "Call for a day of action",
               "--publisher", "Campaign Kazakhstan", "--date", "2026-11-01").exit_code == 0
    r = cli("events", "add", "International day of action for the Zhanaozen prisoners",
            "--date", "2026-12-16", "--kind", "day-of-action", "--source", "call-2026")
    assert r.exit_code == 0, r.stderr
    from campaign.store import Store

    with Store() as st, st.transaction():
        st.conn.execute("UPDATE events SET planned = 1 WHERE kind = 'day-of-action' "
                        "AND date = '2026-12-16'")
    after = cli("resolution", "--as-of", "2026-11-23").stdout
    resolves = after.split("resolves:")[1]
    assert re.search(r"To support the International day of action for the Zhanaozen prisoners "
                     r"on 16 December 2026 \[\d\]\.", resolves)
    assert "Call for a day of action. Campaign Kazakhstan, 1 November 2026." in after


# -- demands in time, word limits, headings ----------------------------------------


def test_2012_release_call_is_history_in_2026_and_its_people_are_in_the_notes(cli) -> None:  # type: ignore[no-untyped-def]
    out = cli(*DEFAULT, "--max-words", "5000").stdout
    notes = out.split("notes:")[1].split("believes:")[0]
    resolves = out.split("resolves:")[1]
    assert "Immediately release" not in out and "immediately release" not in resolves
    assert "That in March 2012 the Greens/EFA group in the European Parliament called on " \
        "the government of Kazakhstan to immediately release" in notes
    news = resolves.split("provide information on the whereabouts, health and present "
                          "status of ")[1].split("\n")[0]
    names = re.findall(r"[A-Z][a-z]+ [A-Z][a-z]+", news)
    assert "Vladimir Kozlov" in names and len(names) >= 8
    for name in names:
        assert name in notes, name  # everyone the resolves name is in the notes
    assert "last reported imprisoned in January 2014" in news
    assert "international investigation" in resolves  # the inquiry stands


def test_one_spelling_per_person(cli) -> None:  # type: ignore[no-untyped-def]
    for as_of in ("2012-06-01", "2026-11-23"):
        out = cli("resolution", "--as-of", as_of, "--max-words", "5000").stdout
        assert "Vinyavskiy" not in out, as_of


def test_release_call_current_in_2013(cli) -> None:  # type: ignore[no-untyped-def]
    out = cli("resolution", "--as-of", "2013-06-01", "--max-words", "5000").stdout
    assert "immediately release" in out.split("resolves:")[1]
    assert "provide information on the whereabouts" not in out


@pytest.mark.parametrize("limit", [350, 250, 200])
def test_max_words_fits_by_the_conferences_count(cli, limit: int) -> None:  # type: ignore[no-untyped-def]
    from campaign.documents.resolution import motion_words

    out = cli(*DEFAULT, "--max-words", str(limit)).stdout
    body = out.split("notes:", 1)[1].split("Proposed by:")[0]
    counted = [w for w in body.split() if w not in ("1.", "-", "##")]
    heading_words = sum(len(h.split()) - 1 for h in re.findall(r"## This branch \w+:", body))
    assert motion_words(out) <= limit
    assert len(counted) - heading_words - 2 <= limit  # by hand: "This branch" of the headings
    notes = out.split("notes:")[1].split("believes:")[0]
    assert "police opened fire" in notes and "Bazarbai Kenzhebaev" in notes  # kept first


@pytest.mark.parametrize("limit", [350, 250, 200])
@pytest.mark.parametrize("body", list(BODY_RUNS))
def test_a_fitted_motion_lists_only_the_sources_it_cites(cli, body: str, limit: int) -> None:  # type: ignore[no-untyped-def]
    """Notes dropped to fit take the only citation of some sources with them: the list
    keeps only the sources still cited, numbered 1, 2, 3… in order of first use."""
    out = cli(*BODY_RUNS[body], "--max-words", str(limit)).stdout
    text, listed = split_sources(out)
    used = [int(n) for group in re.findall(r"\[(\d+(?:, \d+)*)\]", text)
            for n in group.split(", ")]
    assert set(used) == set(listed) == set(range(1, len(listed) + 1))
    first_use = list(dict.fromkeys(used))
    assert first_use == sorted(first_use)
    full = split_sources(cli(*BODY_RUNS[body], "--max-words", "5000").stdout)[1]
    assert set(listed.values()) <= set(full.values())  # the same sources, fewer of them


def test_cite_only_what_is_used_renumbers_markers_and_entries() -> None:
    from campaign.documents.resolution import cite_only_what_is_used

    nbsp = "\u00a0"
    motion = ("1. That it happened [1].\n1. That it went on [4, 1] and \\[2\\] is text.\n"
              f"1. And [4,{nbsp}1].\n\n## Sources\n\n1. First.\n\n2. Second.\n\n"
              "3. Third.\n\n4. Fourth. <https://example.org/4>\n\nPrepared in 2026.\n")
    assert cite_only_what_is_used(motion) == (
        "1. That it happened [1].\n1. That it went on [1, 2] and \\[2\\] is text.\n"
        f"1. And [1,{nbsp}2].\n\n## Sources\n\n1. First.\n\n"
        "2. Fourth. <https://example.org/4>\n\nPrepared in 2026.\n")
    every = motion.replace("it happened [1]", "it happened [1, 2, 3]")
    assert cite_only_what_is_used(every) == every  # all cited, in order: as it was
    # The first use of [1] dropped: [2] comes first now, and is numbered 1.
    later = "A [2].\nB [1, 2].\n\n## Sources\n\n1. One.\n\n2. Two.\n"
    assert cite_only_what_is_used(later) == (
        "A [1].\nB [1, 2].\n\n## Sources\n\n1. Two.\n\n2. One.\n")
    assert cite_only_what_is_used("No sources [1].\n") == "No sources [1].\n"


def test_dropping_people_from_the_notes_drops_them_from_the_resolves(cli) -> None:  # type: ignore[no-untyped-def]
    out = cli(*DEFAULT, "--max-words", "200").stdout
    notes = out.split("notes:")[1].split("believes:")[0]
    resolves = out.split("resolves:")[1].split("Proposed by")[0]
    for name in ("Aizhangul Amirova", "Ruslan Simbinov", "Vladimir Kozlov", "Igor Vinyavski"):
        assert (name in resolves) <= (name in notes), name


def test_conference_defaults_to_350_words(cli) -> None:  # type: ignore[no-untyped-def]
    from campaign.documents.resolution import motion_words

    out = cli(*BODY_RUNS["conference"]).stdout
    assert motion_words(out) <= 350
    assert "our MPs" not in out and "their MPs" in out  # a conference has no MPs of its own


def test_max_words_below_the_skeleton_names_the_minimum(cli, error_line) -> None:  # type: ignore[no-untyped-def]
    line = error_line(cli(*DEFAULT, "--max-words", "60"), 2)
    found = re.search(r"give --max-words (\d+) or more", line)
    assert found, line
    assert cli(*DEFAULT, "--max-words", found.group(1)).exit_code == 0


@pytest.mark.parametrize(("args", "heading"), [
    (("--branch", "Dublin Central"), "**Motion to Dublin Central branch**"),
    (("--body", "conference"), "**Motion to the conference**"),
    (("--body", "conference", "--union", "NEU"), "**Motion to the NEU conference**"),
    (("--branch", "Berlin", "--country", "Germany"), "**Motion to Berlin branch**"),
])
def test_heading_names_the_body(cli, args: tuple[str, ...], heading: str) -> None:  # type: ignore[no-untyped-def]
    assert heading in cli("resolution", *args).stdout


def test_ep_record_in_the_notes_when_lobbying_meps(cli) -> None:  # type: ignore[no-untyped-def]
    record = "two resolutions passed by the European Parliament"
    assert record in cli(*DEFAULT, "--max-words", "5000").stdout.split("believes:")[0]
    uk = cli("resolution", "--country", "United Kingdom", "--as-of", "2026-11-23").stdout
    assert record not in uk


def test_persons_are_read_once(store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    import campaign.people as people
    from campaign.documents.resolution import resolution_context

    calls = []
    real = people.persons
    monkeypatch.setattr(people, "persons", lambda *a, **k: calls.append(1) or real(*a, **k))
    resolution_context(store, as_of=dt.date(2026, 11, 23))
    assert len(calls) == 1


def test_roles_as_known_on_the_motions_date(cli) -> None:  # type: ignore[no-untyped-def]
    """Only the January 2014 source calls Tuletaeva and Dosmagambetov strike leaders; the
    2012 sources know them as oil workers."""
    then = cli("resolution", "--as-of", "2012-06-01", "--max-words", "5000").stdout
    notes = then.split("notes:")[1].split("believes:")[0]
    assert "strike leader" not in notes
    assert "the oil workers Roza Tuletaeva and Maksat Dosmagambetov" in notes
    now = cli(*DEFAULT).stdout
    assert "the strike leaders Roza Tuletaeva, Maksat Dosmagambetov" in now
