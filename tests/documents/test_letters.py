"""Letters as a library: selection, salutations, personal content, citations, the log."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as hs

from campaign.documents import letters as L
from campaign.errors import CampaignError, InputError, NotFoundError, OutputError, UsageError
from campaign.formats import DocFormat
from campaign.outreach import entries, summary
from campaign.store import Store

IRISH_CURRENT = {"Lynn Boylan", "Mairead McGuinness", "Seán Kelly"}


@pytest.fixture
def st(meps_db: Path) -> Store:
    s = Store(meps_db)
    yield s
    s.close()


SENDER = L.Sender("Jane Doe", "1 Main Street\nDublin 1", "Unite Dublin Central", "jane@example.org")
NOTE = "I met the Zhanaozen oil workers' families in 2013 and I write as their friend."


def test_names_are_written_properly() -> None:
    assert L.proper_name("Lynn BOYLAN") == "Lynn Boylan"
    assert L.proper_name("Mairead McGUINNESS") == "Mairead McGuinness"
    assert L.proper_name("Elio DI RUPO") == "Elio Di Rupo"
    assert L.proper_name("Nicole KIIL-NIELSEN") == "Nicole Kiil-Nielsen"
    assert L.proper_name("Seán KELLY") == "Seán Kelly"
    assert L.proper_name("Ruža TOMAŠIĆ") == "Ruža Tomašić"
    assert L.proper_name("Paul Murphy") == "Paul Murphy"


def test_salutations_and_closings() -> None:
    mep = {"name": "Lynn BOYLAN"}
    assert L.salutation(mep, "mep") == "Dear Lynn Boylan,"
    assert L.salutation({**mep, "honorific": "Dr", "family_name": "BOYLAN"}, "mep") \
        == "Dear Dr Boylan,"
    president = {"name": "A. Person", "role": "President of Kazakhstan"}
    assert L.salutation(president, "authority") == "Your Excellency,"
    assert L.closing("Your Excellency,") == "Yours faithfully,"
    envoy = {"name": "Anna SMITH", "role": "Ambassador of Kazakhstan to Belgium"}
    assert L.salutation(envoy, "embassy") == "Dear Ambassador Smith,"
    assert L.salutation({"name": "Some Embassy"}, "embassy") == "Dear Sir or Madam,"
    assert L.closing("Dear Sir or Madam,") == "Yours faithfully,"
    assert L.closing("Dear Lynn Boylan,") == "Yours sincerely,"
    own = {"name": "Nursultan Nazarbayev", "role": "President of Kazakhstan",
           "salutation": "Dear President Nazarbayev,"}
    assert L.salutation(own, "authority") == "Dear President Nazarbayev,"


def test_letters_to_one_country_are_personal(st: Store) -> None:
    letters = L.prepare(st, "mep", sender=SENDER, countries_=["IE"], note=NOTE)
    assert {ltr.recipient for ltr in letters} == IRISH_CURRENT  # no former, no historical
    for ltr in letters:
        assert f"Dear {ltr.recipient}," in ltr.markdown
        assert "Yours sincerely," in ltr.markdown
        assert NOTE in ltr.markdown
        # The reader's side of the seat, not the sender in the MEP's chair (issue 13).
        assert ("one of Ireland's MEPs and a member of the" in ltr.markdown)
        assert "I am writing to you as a Member" not in ltr.markdown
        assert "Jane Doe" in ltr.markdown and "Unite Dublin Central" in ltr.markdown
    assert len({ltr.markdown for ltr in letters}) == len(letters)
    boylan = next(ltr for ltr in letters if ltr.recipient == "Lynn Boylan")
    # Her group's earlier acts are in the store, cited; the EPP's are not, so none is claimed.
    assert "Your group has a record on Kazakhstan" in boylan.markdown
    assert "GUE/NGL" in boylan.markdown
    mcg = next(ltr for ltr in letters if ltr.recipient == "Mairead McGuinness")
    assert "Your group" not in mcg.markdown
    assert "a member of the EPP group" in mcg.markdown
    assert "European Parliament  \nRue Wiertz 60  \nB-1047 Brussels  \nBelgium" in mcg.markdown
    kelly = next(ltr for ltr in letters if ltr.recipient == "Seán Kelly")
    assert "Bât. WILLY BRANDT 02M105" in kelly.markdown
    assert "60, rue Wiertz / Wiertzstraat 60" in kelly.markdown


def test_citations_match_the_source_list(st: Store) -> None:
    for ltr in L.prepare(st, "mep", sender=SENDER, countries_=["Ireland"], note=NOTE):
        body, _, tail = ltr.markdown.partition("\nSources:\n")
        used = {int(n) for group in re.findall(r"\[([\d, ]+)\]", body)
                for n in group.split(",")}
        listed = {int(n) for n in re.findall(r"^(\d+)\. ", tail, flags=re.M)}
        assert used and used == listed == set(range(1, len(listed) + 1))
        # Figures keep their qualifier and who says so; statuses are dated.
        assert "at least 16 according to official reports" in ltr.markdown
        case = ltr.context["case"]
        assert case and f"**{case['name']}**" in ltr.markdown
        assert re.search(r"\(the latest report the campaign holds, [A-Z][a-z]+ 20\d\d\)",
                         ltr.markdown)


def test_filters_group_and_contact(st: Store) -> None:
    got = L.select_contacts(st, "mep", groups=["EPP"])
    assert {c["name"] for c in got} == {"Mairead McGUINNESS", "Seán KELLY", "Magdalena ADAMOWICZ"}
    got = L.select_contacts(st, "mep", groups=["GUE/NGL"])
    assert [c["name"] for c in got] == ["Lynn BOYLAN"]
    # A former MEP and a historical one are written to only when named.
    named = L.select_contacts(st, "mep", contacts=["Matt Carthy", "paul murphy"])
    assert [c["name"] for c in named] == ["Matt CARTHY", "Paul Murphy"]


def test_no_match_names_the_filters_and_the_fetch(st: Store) -> None:
    with pytest.raises(CampaignError) as exc:
        L.select_contacts(st, "mep", countries_=["Malta"])
    assert "--country Malta" in str(exc.value) and "campaign meps fetch" in str(exc.value)
    with pytest.raises(NotFoundError) as nf:
        L.select_contacts(st, "mep", contacts=["Lyn Boylan-X"])
    assert "Lynn BOYLAN" in str(nf.value)


def test_no_meps_at_all(store: Store) -> None:
    with pytest.raises(CampaignError, match="campaign meps fetch"):
        L.prepare(store, "mep", sender=SENDER)


def test_authority_is_never_a_past_president_by_default(st: Store) -> None:
    with pytest.raises(CampaignError) as exc:
        L.prepare(st, "authority", sender=SENDER)
    assert "Nursultan Nazarbayev" in str(exc.value)
    assert "campaign contacts add" in str(exc.value) and "--kind authority" in str(exc.value)
    from campaign.contacts import add_contact

    with st.transaction():
        add_contact(st, {"name": "Test PRESIDENT", "kind": "authority", "country": "Kazakhstan",
                         "role": "President of Kazakhstan",
                         "postal_address": "Test Address Line\nTest City"}, ["ep-meps"])
    [ltr] = L.prepare(st, "authority", sender=SENDER)
    assert "Your Excellency," in ltr.markdown and "Yours faithfully," in ltr.markdown
    assert "Test Address Line" in ltr.markdown


def test_contact_without_address(st: Store) -> None:
    with pytest.raises(CampaignError) as exc:
        L.prepare(st, "embassy", sender=SENDER)
    msg = str(exc.value)
    assert "Kazakhstan Embassy in Belgium" in msg and "no postal address" in msg
    assert "campaign contacts add" in msg and "--postal-address" in msg
    with pytest.raises(CampaignError, match="no postal address and no email"):
        L.prepare(st, "embassy", sender=SENDER, fmt=DocFormat.eml)


def _is_prisoner_letter(text: str) -> None:
    """What prisoner-support groups advise: no demands, citations or sources; short;
    nothing about the prisoner's own case status."""
    assert "[1" not in text and "Sources" not in text and "---" not in text
    assert "release" not in text.casefold() and "demand" not in text.casefold()
    assert "reported" not in text and "imprisoned" not in text
    assert len(text) <= 2400


def test_prisoner_letter_as_support_groups_advise(st: Store) -> None:
    """Changed by issue 13: no citations, demands or status; no web site as an address."""
    [ltr] = L.prepare(st, "prisoner", sender=SENDER, prisoners=["Rosa Tuletaeva"], note=NOTE)
    assert ltr.recipient == "Roza Tuletaeva" and ltr.contact_id is None
    assert "Dear Roza," in ltr.markdown and NOTE in ltr.markdown
    _is_prisoner_letter(ltr.markdown)
    # No postal address recorded: no address block at all (never a web site) and a warning.
    assert "campaignkazakhstan.org" not in ltr.markdown and "c/o" not in ltr.markdown
    assert any("campaign prisoners address" in w for w in ltr.warnings)
    with pytest.raises(UsageError):
        L.prepare(st, "prisoner", sender=SENDER)


def test_prisoner_letter_addresses(st: Store) -> None:
    """The campaign's postal address (a contact with a source), care of; or the prisoner's
    own, recorded with a source, which wins."""
    from campaign.contacts import add_contact

    with st.transaction():
        add_contact(st, {"name": "Campaign Kazakhstan", "kind": "campaign",
                         "postal_address": "PO Box 1\nLondon E1 1AA"}, ["socialistworld-2014-01"])
    [ltr] = L.prepare(st, "prisoner", sender=SENDER, prisoners=["Roza Tuletaeva"])
    assert "Roza Tuletaeva  \nc/o Campaign Kazakhstan  \nPO Box 1  \nLondon E1 1AA" \
        in ltr.markdown
    assert not ltr.warnings
    L.add_postal_address(st, "Roza Tuletaeva", "Colony UG-157/11\nAktau", "socialistworld-2014-01")
    [ltr] = L.prepare(st, "prisoner", sender=SENDER, prisoners=["Roza Tuletaeva"])
    assert "Roza Tuletaeva  \nColony UG-157/11  \nAktau" in ltr.markdown
    assert "c/o" not in ltr.markdown
    with pytest.raises(UsageError, match="web address"):
        L.add_postal_address(st, "Roza Tuletaeva", "www.example.org", "socialistworld-2014-01")
    with pytest.raises(NotFoundError):
        L.add_postal_address(st, "Roza Tuletaeva", "Aktau", "no-such-source")


def test_note_file_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        L.read_note(tmp_path / "missing.txt")
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("caf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError, match="latin1.txt.*not UTF-8"):
        L.read_note(bad)
    good = tmp_path / "note.txt"
    good.write_text("  Солидарность!\n", encoding="utf-8")
    assert L.read_note(good) == "Солидарность!"


def test_sender_from_profile(st: Store) -> None:
    with pytest.raises(UsageError, match="campaign profile set"):
        L.sender_from(st)
    with st.transaction():
        st.set_profile({"name": "Saved Sender", "org": "Saved Org"})
    s = L.sender_from(st)
    assert (s.name, s.org) == ("Saved Sender", "Saved Org")
    assert L.sender_from(st, "Other").org is None


def test_commit_logs_each_letter_once(st: Store, tmp_path: Path) -> None:
    out = tmp_path / "letters"
    letters = L.prepare(st, "mep", sender=SENDER, countries_=["IE"], note=NOTE)
    result = L.commit(st, letters, L.plan_output(str(out) + "/", None, len(letters)))
    files = sorted(p.name for p in out.iterdir())
    assert len(files) == len(result.written) == result.logged == 3
    assert all(re.fullmatch(r"\d{3}-[a-z0-9-]+\.md", f) for f in files)
    assert len(entries(st)) == 3
    # Changed by issue 13: the same letters again are written, not logged a second time.
    again = L.commit(st, letters, L.plan_output(str(out), None, len(letters)))
    assert len(again.written) == 3 and again.logged == 0 and len(again.skipped) == 3
    assert len(entries(st)) == 3
    forced = L.commit(st, letters, L.plan_output(str(out), None, len(letters)), force=True)
    assert len(forced.written) == 3
    assert {r["state"]: r["count"] for r in summary(st)}["drafted"] == 6


def test_failed_write_logs_nothing(st: Store, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import campaign.files

    def boom(directory: object, files: object) -> None:
        raise OutputError("cannot write the files: disk full")

    monkeypatch.setattr(campaign.files, "write_directory", boom)
    letters = L.prepare(st, "mep", sender=SENDER, countries_=["IE"])
    out = tmp_path / "new-dir"
    with pytest.raises(OutputError):
        L.commit(st, letters, L.plan_output(str(out), None, len(letters)))
    assert entries(st) == [] and not out.exists()


def test_output_plans(tmp_path: Path) -> None:
    afile = tmp_path / "letters"
    afile.write_text("x")
    with pytest.raises(OutputError, match="is a file, not a directory"):
        L.plan_output(str(afile), None, 3)
    with pytest.raises(OutputError, match="does not exist"):
        L.plan_output(str(tmp_path / "no" / "such" / "dir"), None, 3)
    assert L.plan_output(str(tmp_path / "all.pdf"), None, 3).fmt is DocFormat.pdf
    assert L.plan_output(str(tmp_path / "d"), DocFormat.eml, 3).directory == tmp_path / "d"
    with pytest.raises(UsageError):
        L.plan_output(None, DocFormat.pdf, 1)
    with pytest.raises(UsageError):
        L.plan_output(str(tmp_path / "all.eml"), None, 2)
    with pytest.raises(UsageError):
        L.plan_output(str(tmp_path / "all.md"), DocFormat.txt, 2)


def test_file_names_are_safe() -> None:
    ltr = L.Letter(kind="mep", recipient="../../etc/passwd Ελένη", contact_id="x", email=None,
                   subject="s", markdown="m", digest="d", context={})
    [name] = L.file_names([ltr], DocFormat.md)
    assert "/" not in name and ".." not in name and name.startswith("001-")


def _bench_store(make: Any, path: Path, n: int) -> Store:
    st: Store = make(path, n=n, bundled=False)
    with st.transaction():
        from campaign.pack import load_bundled

        load_bundled(st)
    return st


def test_bench_fixture_store(tmp_path: Path, mep_store: Any) -> None:
    st = _bench_store(mep_store, tmp_path / "bench.db", 40)
    letters = L.prepare(st, "mep", sender=SENDER, note=NOTE)
    assert len(letters) == 40
    assert len({ltr.markdown for ltr in letters}) == 40
    assert all(ltr.recipient.startswith("Test Member ") for ltr in letters)
    st.close()


def test_pdf_blocks_and_typst_template(st: Store) -> None:
    """letters.typ typesets the blocks, a page per letter (checked with pypdf)."""
    import io
    import json

    import typst
    from pypdf import PdfReader

    from campaign.documents.templates import builtin_dir

    letters = L.prepare(st, "mep", sender=SENDER, countries_=["IE"], note="Note with #hash $x")
    blocks = L.letter_blocks(letters[0].markdown)
    kinds = [b["kind"] for b in blocks]
    assert "item" in kinds and "rule" in kinds
    assert all(b["small"] for b in blocks[kinds.index("rule") + 1:])
    assert {"t": f"Re: {letters[0].subject}",
            "b": True} in blocks[kinds.index("para") + 3]["lines"][0]
    data = {"letters": [{"title": ltr.subject, "blocks": L.letter_blocks(ltr.markdown)}
                        for ltr in letters]}
    pdf = typst.compile(str(builtin_dir() / "letters.typ"), root=str(builtin_dir()),
                        sys_inputs={"data": json.dumps(data)})
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]
    assert len(pages) == 3
    for text, ltr in zip(pages, letters, strict=True):
        assert f"Dear {ltr.recipient}," in text and "Note with #hash $x" in text


def test_mep_address_forms() -> None:
    """Building form only with a building name; a bare room code keeps the general address."""
    from campaign.documents.letters import mep_address

    assert mep_address({"extra": {}}) == [
        "European Parliament", "Rue Wiertz 60", "B-1047 Brussels", "Belgium"]
    room = mep_address({"extra": {"office": "13G115", "site": "ASP"}})
    assert room[:2] == ["European Parliament", "Office ASP 13G115"]
    assert not any("Bât." in line for line in room)
    building = mep_address({"extra": {"building": "WILLY BRANDT", "office": "02M105"}})
    assert building[1] == "Bât. WILLY BRANDT 02M105"
    assert "B-1047 Bruxelles/Brussel" in building


def test_a_big_merge_to_pdf_is_typeset_in_parts(st: Store, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Beyond PDF_PART letters the PDF is made in parts; every letter, in order, one page."""
    from pypdf import PdfReader

    import campaign.formats.pdf as pdf

    sizes: list[int] = []
    real = pdf.parts_to_pdf

    def parts_to_pdf(name: str, parts: Iterable[dict[str, Any]], *args: Any,
                     **kw: Any) -> bytes:
        parts = list(parts)  # made as they are taken (a generator)
        sizes.extend(len(part["letters"]) for part in parts)
        return real(name, parts, *args, **kw)

    monkeypatch.setattr(pdf, "parts_to_pdf", parts_to_pdf)
    letters = L.prepare(st, "mep", sender=SENDER, fmt=DocFormat.pdf)
    # A part size that leaves a stub with plain slicing (e.g. 7 letters: 3, 3, 1).
    part = next(k for k in range(2, len(letters)) if 1 <= len(letters) % k < k - 1)
    import campaign.documents.letters.layout as layout

    monkeypatch.setattr(layout, "PDF_PART", part)
    assert len(letters) > layout.PDF_PART
    out = tmp_path / "all.pdf"
    result = L.commit(st, letters, L.plan_output(str(out), None, len(letters)))
    assert result.logged == len(letters)
    pages = [p.extract_text() for p in PdfReader(out).pages]
    # Evenly filled parts, none over PDF_PART: the last one is no stub.
    assert sum(sizes) == len(letters) and max(sizes) <= layout.PDF_PART
    assert max(sizes) - min(sizes) <= 1
    # Every letter, in order, starting on a page of its own (changed by issue 13: a
    # letter laid out as a letter, with its endnotes, may run to a second page).
    firsts = [n for n, page in enumerate(pages) if "Re: " in page]
    assert len(firsts) == len(letters)
    for n, letter in zip(firsts, letters, strict=True):
        assert letter.recipient in pages[n]


def test_a_users_letters_typ_typesets_the_pdf(st: Store, tmp_path: Path) -> None:
    from pypdf import PdfReader

    (tmp_path / "letters.typ").write_text(
        '#let data = json(bytes(sys.inputs.at("data")))\n'
        '#for l in data.letters [Our branch layout: #l.title #pagebreak(weak: true)]\n',
        encoding="utf-8")
    letters = L.prepare(st, "mep", sender=SENDER, countries_=["IE"], fmt=DocFormat.pdf,
                        user_dir=tmp_path)
    out = tmp_path / "all.pdf"
    L.commit(st, letters, L.plan_output(str(out), None, len(letters)))
    pages = [p.extract_text() for p in PdfReader(out).pages]
    assert len(pages) == len(letters) and all("Our branch layout" in p for p in pages)


CHUNKS = hs.sampled_from([
    "Dear Ana,", "**Re: Zhanaozen**", "A line  \nand a hard break", "A soft\nbreak",
    "- one\n- two **bold**\n  continued", "1. first\n2) second", "---", "* * *",
    "Sources:", "1. Greens/EFA, 7 March 2012.", "Yours sincerely,\nJane", "   ", "a **b",
])


@given(hs.lists(hs.lists(CHUNKS, max_size=10), min_size=1, max_size=5),
       hs.sampled_from(["\n\n", "\n \n", "\n\t\n\n"]))
def test_letter_blocks_with_a_shared_cache_read_as_without(docs: list[list[str]],
                                                           gap: str) -> None:
    """A merge reads the paragraphs its letters share once; every letter still gets
    exactly the blocks it would alone (small after its own first rule, not another's)."""
    shared: dict[tuple[str, bool], list[dict[str, Any]]] = {}
    for chunks in docs:
        markdown = gap.join(chunks)
        assert L.letter_blocks(markdown, shared) == L.letter_blocks(markdown)


# -- issue 13: voice, relevance, prisoners, re-runs ------------------------------------

RENEW = "Renew Europe Group"
LEFT_TODAY = "The Left group in the European Parliament - GUE/NGL"
EPP_GROUP = "Group of the European People's Party (Christian Democrats)"
NON_ATTACHED = "Non-attached Members"
# The fourteen Irish MEPs of the fixture: six Renew, four EPP, three Left, one
# non-attached; nothing in the store sets the members of one group apart.
IRISH_14 = ([(f"Renew Member{n}", RENEW) for n in range(1, 7)]
            + [(f"EPP Member{n}", EPP_GROUP) for n in range(1, 5)]
            + [(f"Left Member{n}", LEFT_TODAY) for n in range(1, 4)]
            + [("Loner Independent", NON_ATTACHED)])


@pytest.fixture
def irish(store: Store) -> Store:
    with store.transaction():
        store.add_source({"id": "ep-ie", "title": "Irish MEPs", "publisher": "European Parliament",
                          "published": "2024-07", "url": None, "document": None})
        for n, (name, group) in enumerate(IRISH_14):
            store.add_contact({"id": f"ie-{n}", "name": name, "kind": "mep", "country": "Ireland",
                               "group": group, "status": "current"}, ["ep-ie"])
    return store


def _bodies(letters: list[L.Letter]) -> list[str]:
    from campaign.documents.letters.similarity import letter_text

    return [letter_text(ltr) for ltr in letters]


@pytest.mark.parametrize("note", [None, NOTE])
def test_no_two_irish_letters_are_the_same(irish: Store, note: str | None) -> None:
    letters = L.prepare(irish, "mep", sender=SENDER, countries_=["IE"], note=note)
    assert len(letters) == 14
    bodies = _bodies(letters)
    for body, ltr in zip(bodies, letters, strict=True):
        assert ltr.recipient not in body  # names and addresses are out of the comparison
        assert "Rue Wiertz" not in body
    assert len(set(bodies)) == 14
    # Each takes up a different prisoner's case (adopt-a-prisoner), deterministically.
    cases = [ltr.context["case"]["name"] for ltr in letters]
    assert all(f"**{name}**" in ltr.markdown for name, ltr in zip(cases, letters, strict=True))
    assert len(set(cases)) == 14
    again = L.prepare(irish, "mep", sender=SENDER, countries_=["IE"], note=note)
    assert [ltr.markdown for ltr in again] == [ltr.markdown for ltr in letters]


def test_similarity_report_matches_a_plain_computation(irish: Store) -> None:
    from itertools import combinations
    from statistics import median

    from campaign.documents.letters.similarity import jaccard, report, shingles

    bodies = _bodies(L.prepare(irish, "mep", sender=SENDER, countries_=["IE"], note=NOTE))
    # The reference: whole-text shingles, every pair, plain sets.
    sims = [jaccard(shingles(a), shingles(b)) for a, b in combinations(bodies, 2)]
    found = report(bodies)
    assert found.exact and found.pairs == len(sims) == 91
    # The report reads each paragraph on its own, so k-grams across a paragraph break
    # are left out: within a hair of the plain computation, never above nearly-identical
    # when the reference is below.
    assert abs(found.highest - max(sims)) < 0.03 and abs(found.median - median(sims)) < 0.03
    one_para = [b.replace("\n\n", " ") for b in bodies]
    flat = report(one_para)
    ref = [jaccard(shingles(a), shingles(b)) for a, b in combinations(one_para, 2)]
    assert flat.highest == pytest.approx(max(ref)) and flat.median == pytest.approx(median(ref))
    same = report(["one two three four", "one two three four", "five six seven eight"])
    assert same.highest == 1.0 and same.near == [(0, 1, 1.0)]


def test_similarity_of_705_letters_is_sampled() -> None:
    from campaign.documents.letters.similarity import PER_LETTER, report

    base = ("Dear member, I write about the oil workers of Zhanaozen and the prisoners. "
            "I ask you to take up the case of {}.\n\nYours sincerely")
    texts = [base.format(f"prisoner number {n % 40} of the campaign") for n in range(705)]
    found = report(texts)  # its time is measured in bench/run.py, not here
    assert not found.exact and found.pairs >= PER_LETTER * 705
    assert found.highest == 1.0  # identical texts are caught whatever the sample


def test_voice_of_a_constituent(irish: Store) -> None:
    letters = {ltr.recipient: ltr for ltr in
               L.prepare(irish, "mep", sender=SENDER, countries_=["IE"])}
    renew = letters["Renew Member1"].markdown
    assert "one of Ireland's MEPs and a member of the Renew Europe group" in renew
    loner = letters["Loner Independent"].markdown
    assert "one of Ireland's MEPs" in loner
    assert "member of the" not in loner.split("one of Ireland's MEPs")[1][:20]
    # Today's Left group, named as it was called then when its 2012 record is used.
    said = [ltr.markdown for name, ltr in letters.items() if name.startswith("Left")
            and "Your group" in ltr.markdown]
    assert said and all("Your group, then called GUE/NGL, has a record on Kazakhstan" in text
                        for text in said)
    # Requests in prose, not a one-item numbered list.
    for ltr in letters.values():
        assert "I ask you:" not in ltr.markdown and "\n1. to " not in ltr.markdown
        assert 2 <= len(ltr.context["asks"]) <= 3


def test_authority_and_ambassador_addressed_as_such(store: Store) -> None:
    from campaign.contacts import add_contact

    with store.transaction():
        add_contact(store, {"name": "Kassym-Jomart Tokayev", "kind": "authority",
                            "role": "President of Kazakhstan", "country": "Kazakhstan",
                            "postal_address": "Akorda\nAstana"}, ["socialistworld-2014-01"])
        add_contact(store, {"name": "Anna SMITH", "kind": "embassy",
                            "role": "Ambassador of Kazakhstan to Ireland",
                            "postal_address": "Dublin"}, ["socialistworld-2014-01"])
    [president] = L.prepare(store, "authority", sender=SENDER)
    text = president.markdown
    assert "Your Excellency," in text and "I have the honour to write to Your Excellency" in text
    assert "as President of Kazakhstan" not in text and "Yours faithfully," in text
    assert "I respectfully urge Your Excellency" in text
    envoy = next(ltr for ltr in L.prepare(store, "embassy", sender=SENDER,
                                          contacts=["Anna Smith"]))
    assert "I am writing to ask Your Excellency to convey" in envoy.markdown


def test_historical_contact_is_named_and_warned(store: Store) -> None:
    with pytest.raises(CampaignError, match="no postal address"):
        L.prepare(store, "mep", sender=SENDER, contacts=["Paul Murphy"])
    store.conn.execute("UPDATE contacts SET postal_address = 'Dublin 8' WHERE id = 'paul-murphy'")
    [ltr] = L.prepare(store, "mep", sender=SENDER, contacts=["Paul Murphy"])
    assert any("historical" in w and "2011–2014" in w for w in ltr.warnings)
    assert "You served as one of Ireland's MEPs (2011–2014)" in ltr.markdown
    assert "Paul Murphy MEP  \nEuropean Parliament" not in ltr.markdown
    # Never his own acts in the third person.
    assert "organised by Paul Murphy" not in ltr.markdown
    assert "(Paul Murphy MEP)" not in ltr.markdown and "your own" in ltr.markdown


def test_unanswered_letter_marked_sent_is_mentioned(st: Store) -> None:
    from campaign.outreach import mark, record

    with st.transaction():
        record(st, [{"contact_id": "mep-96668", "document": "letter-mep", "digest": "x",
                     "created": "2026-03-03T10:00:00"}])
    [draft_only] = L.prepare(st, "mep", sender=SENDER, contacts=["Seán Kelly"])
    assert "I wrote to you" not in draft_only.markdown  # a draft is not a letter sent
    entry = entries(st)[0]
    with st.transaction():
        mark(st, entry["id"], "sent")
        st.conn.execute("UPDATE outreach SET updated = '2026-03-03T10:00:00'")
    [ltr] = L.prepare(st, "mep", sender=SENDER, contacts=["Seán Kelly"])
    assert "I wrote to you on 3 March 2026 and have not yet had a reply" in ltr.markdown
    with st.transaction():
        mark(st, entry["id"], "replied")
    [ltr] = L.prepare(st, "mep", sender=SENDER, contacts=["Seán Kelly"])
    assert "I wrote to you" not in ltr.markdown


def test_country_ties_only_where_a_source_says_so(st: Store) -> None:
    with st.transaction():
        st.add_contact({"id": "de-1", "name": "Hans MEYER", "kind": "mep", "country": "Germany",
                        "group": EPP_GROUP, "status": "current"}, ["ep-meps"])
    [german] = L.prepare(st, "mep", sender=SENDER, contacts=["Hans Meyer"])
    assert "Germany's own ties with Kazakhstan are on record" in german.markdown
    assert "rare earths" in german.markdown
    for ltr in L.prepare(st, "mep", sender=SENDER, countries_=["IE"]):
        assert "rare earths" not in ltr.markdown and "own ties" not in ltr.markdown


def test_relevance_hooks_add_a_fact(st: Store) -> None:
    def committees(who: dict[str, Any]) -> list[str]:
        return ["You sit on the Subcommittee on Human Rights."] if who["id"] == "mep-28115" \
            else []

    letters = L.prepare(st, "mep", sender=SENDER, countries_=["IE"],
                        relevance_hooks=[committees])
    mcg = next(ltr for ltr in letters if ltr.recipient == "Mairead McGuinness")
    assert "You sit on the Subcommittee on Human Rights." in mcg.markdown
    assert sum("Subcommittee" in ltr.markdown for ltr in letters) == 1


def test_dead_released_and_family(st: Store) -> None:
    from campaign.errors import PersonDiedError, PersonReleasedError

    with pytest.raises(PersonDiedError, match="reported dead.*--to family"):
        L.prepare(st, "prisoner", sender=SENDER, prisoners=["Bazarbai Kenzhebaev"])
    import datetime as dt

    # a month after the death was reported: condolence, with the date
    [family] = L.prepare(st, "family", sender=SENDER, prisoners=["Bazarbai Kenzhebaev"],
                         as_of=dt.date(2012, 4, 10))
    assert "deepest sympathy on the death of Bazarbai Kenzhebaev, reported on 7 March 2012" \
        in family.markdown
    assert "Dear family of Bazarbai Kenzhebaev," in family.markdown
    assert "[1" not in family.markdown and "release" not in family.markdown
    with pytest.raises(PersonReleasedError, match="--released-ok"):
        L.prepare(st, "prisoner", sender=SENDER, prisoners=["Natalia Sokolova"])
    [ltr] = L.prepare(st, "prisoner", sender=SENDER, prisoners=["Natalia Sokolova"],
                      released_ok=True)
    assert any("reported released" in w for w in ltr.warnings)


def test_russian_prisoner_letter(st: Store) -> None:
    from campaign.errors import LanguageError

    L.add_postal_address(st, "Roza Tuletaeva", "Aktau", "socialistworld-2014-01")
    [ltr, english] = L.prepare(st, "prisoner", sender=SENDER, prisoners=["Roza Tuletaeva"],
                               lang="ru")
    assert english.record_only
    assert english.markdown.startswith("**For your records — do not send.**")
    assert "Здравствуйте, Роза!" in ltr.markdown
    assert "Кому: Роза Тулетаева  \nКуда: Aktau" in ltr.markdown
    assert "декабря" in ltr.markdown or re.search(r"\d+ [а-я]+ \d{4} г\.", ltr.markdown)
    body = ltr.markdown.split("Здравствуйте", 1)[1]
    assert sum("\u0400" <= ch <= "\u04ff" for ch in body) > 200
    _is_prisoner_letter(ltr.markdown)
    with pytest.raises(LanguageError, match=r"available: en \(English\), ru \(Russian\)"):
        L.prepare(st, "prisoner", sender=SENDER, prisoners=["Roza Tuletaeva"], lang="kk")
    with pytest.raises(LanguageError, match=r"available: en \(English\)$"):
        L.prepare(st, "mep", sender=SENDER, countries_=["IE"], lang="ru")


def test_the_date_is_not_part_of_the_letter(st: Store, tmp_path: Path) -> None:
    import datetime as dt

    one = L.prepare(st, "mep", sender=SENDER, countries_=["IE"], today=dt.date(2026, 3, 3))
    two = L.prepare(st, "mep", sender=SENDER, countries_=["IE"], today=dt.date(2026, 5, 9))
    assert "3 March 2026" in one[0].markdown and "9 May 2026" in two[0].markdown
    assert [ltr.digest for ltr in one] == [ltr.digest for ltr in two]
    L.commit(st, one, L.plan_output(str(tmp_path / "a"), DocFormat.md, 3))
    again = L.commit(st, two, L.plan_output(str(tmp_path / "b"), DocFormat.md, 3))
    assert again.logged == 0 and len(entries(st)) == 3


def test_another_format_is_written_and_logged_once(st: Store, tmp_path: Path) -> None:
    letters = L.prepare(st, "mep", sender=SENDER, countries_=["IE"], note=NOTE)
    L.commit(st, letters, L.plan_output(str(tmp_path / "docx"), DocFormat.docx, 3))
    combined = tmp_path / "letters.docx"
    result = L.commit(st, letters, L.plan_output(str(combined), None, 3))
    assert combined.is_file() and result.logged == 0 and len(result.skipped) == 3
    log = entries(st)
    assert len(log) == 3
    for e in log:
        assert len(e["paths"]) == 2 and str(combined) in e["paths"]
    # A new note is a new letter: a new entry each.
    other = L.prepare(st, "mep", sender=SENDER, countries_=["IE"], note="Another note.")
    assert L.commit(st, other, L.plan_output(str(tmp_path / "new"), DocFormat.md, 3)).logged == 3


def test_a_different_draft_is_never_overwritten(st: Store, tmp_path: Path) -> None:
    from campaign.errors import DraftExistsError

    out = tmp_path / "letters"
    first = L.prepare(st, "mep", sender=SENDER, countries_=["IE"], note=NOTE)
    L.commit(st, first, L.plan_output(str(out), DocFormat.md, 3))
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    second = L.prepare(st, "mep", sender=SENDER, countries_=["IE"], note="A different note.")
    with pytest.raises(DraftExistsError, match="already holds a different draft"):
        L.commit(st, second, L.plan_output(str(out), DocFormat.md, 3))
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert len(entries(st)) == 3
    # The same letters into the same place: fine, nothing new logged.
    assert L.commit(st, first, L.plan_output(str(out), DocFormat.md, 3)).logged == 0
    # A file the log knows nothing about is not a draft to replace either.
    stranger = tmp_path / "mine.md"
    stranger.write_text("my own notes")
    with pytest.raises(DraftExistsError):
        L.commit(st, first[:1], L.plan_output(str(stranger), None, 1))
    assert stranger.read_text() == "my own notes"


def test_progress_moves_during_a_combined_pdf(st: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    import campaign.documents.letters.layout as layout

    monkeypatch.setattr(layout, "PDF_PART", 1)
    letters = L.prepare(st, "mep", sender=SENDER, countries_=["IE"], fmt=DocFormat.pdf)
    seen: list[int] = []
    L.encode_combined(letters, DocFormat.pdf, progress=seen.append)
    assert seen == [1, 2, 3]  # each part typeset and joined counts


def test_word_letter_properties_and_no_links(st: Store) -> None:
    import datetime as dt
    import io

    from docx import Document

    [ltr] = L.prepare(st, "mep", sender=SENDER, contacts=["Seán Kelly"], fmt=DocFormat.docx)
    doc = Document(io.BytesIO(L.encode_one(ltr, DocFormat.docx)))
    props = doc.core_properties
    assert props.author == "Jane Doe" and props.language == "en-GB"
    assert props.created is not None
    created = props.created.replace(tzinfo=None)
    assert abs((created - dt.datetime.now(dt.UTC).replace(tzinfo=None)).total_seconds()) < 300
    texts = [p.text for p in doc.paragraphs]
    # In order: sender block, window address (a frame on the page), date, subject, salutation.
    assert texts[0].startswith("Jane Doe") and texts[1].startswith("Seán Kelly MEP")
    assert doc.paragraphs[1]._p.pPr.find(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}framePr") is not None
    assert texts[2] == dt.date.today().strftime("%-d %B %Y")
    assert texts[3].startswith("Re: ") and texts[4] == "Dear Seán Kelly,"
    assert "Sources:" in texts and "Yours sincerely," in texts
    # Citation markers are held together by no-break spaces.
    assert any("\u00a0[" in t for t in texts)


def test_a_prisoner_letter_made_again_gets_a_new_name(st: Store, tmp_path: Path) -> None:
    """A letter to a prisoner whose file is already there with other bytes: the file is
    kept, and the new letter written beside it, under a name the result gives."""
    out = tmp_path / "p"
    [ltr] = L.prepare(st, "prisoner", sender=SENDER, prisoners=["Roza Tuletaeva"])
    first = L.commit(st, [ltr], L.plan_output(str(out), DocFormat.docx, 1))
    kept = first.paths[0].read_bytes()
    [other] = L.prepare(st, "prisoner", sender=SENDER, prisoners=["Roza Tuletaeva"], note=NOTE)
    again = L.commit(st, [other], L.plan_output(str(out), DocFormat.docx, 1))
    assert first.paths[0].read_bytes() == kept
    assert again.renamed == [(first.paths[0], out / "001-roza-tuletaeva-2.docx")]
    assert again.paths == [out / "001-roza-tuletaeva-2.docx"] and again.paths[0].is_file()
    # The same Markdown again is the same file: written over, not renamed.
    L.commit(st, [ltr], L.plan_output(str(tmp_path / "m"), DocFormat.md, 1))
    assert L.commit(st, [ltr], L.plan_output(str(tmp_path / "m"), DocFormat.md, 1)).renamed == []


def test_a_long_prisoner_letter_is_warned_about(st: Store) -> None:
    [ltr] = L.prepare(st, "prisoner", sender=SENDER, prisoners=["Roza Tuletaeva"],
                      note="We think of you. " * 200)
    assert any("prisoner-support groups advise at most about 2,400" in w for w in ltr.warnings)


def test_greens_record_says_the_group_kept_its_name(st: Store) -> None:
    with st.transaction():
        st.add_contact({"id": "gr-1", "name": "Grace O'GREEN", "kind": "mep", "country": "Ireland",
                        "group": "Group of the Greens/European Free Alliance",
                        "status": "current"}, ["ep-meps"])
    [ltr] = L.prepare(st, "mep", sender=SENDER, contacts=["Grace O'Green"])
    assert "a member of the Greens/EFA group" in ltr.markdown
    assert "Your group, the Greens/EFA then as now, has a record on Kazakhstan: on 7 March " \
           "2012 the Greens/EFA group tabled a motion" in ltr.markdown


def test_a_role_hook_opens_the_letter(st: Store) -> None:
    """Where the lead wires --committee: ep.bodies.why_member's "As …" phrase."""
    def why(who: dict[str, Any]) -> str | None:
        return ("As Vice-Chair of the Subcommittee on Human Rights" if who["id"] == "mep-96668"
                else None)

    letters = {ltr.recipient: ltr for ltr in
               L.prepare(st, "mep", sender=SENDER, countries_=["IE"],
                         relevance_hooks=[L.role_hook(why)])}
    assert "Vice-Chair of the Subcommittee on Human Rights" in letters["Seán Kelly"].markdown
    assert "Vice-Chair" not in letters["Lynn Boylan"].markdown


def test_an_address_added_by_hand_does_not_make_a_past_mep_current(st: Store) -> None:
    from campaign.contacts import add_contact

    with st.transaction():  # `contacts add` of an existing record makes it current again
        add_contact(st, {"id": "paul-murphy", "name": "Paul Murphy", "kind": "mep",
                         "postal_address": "Dublin 8"}, ["socialistworld-2014-01"])
    [ltr] = L.prepare(st, "mep", sender=SENDER, contacts=["Paul Murphy"])
    assert "You served as one of Ireland's MEPs (2011–2014)" in ltr.markdown
    assert "Paul Murphy  \nDublin 8" in ltr.markdown and "European Parliament  \n" \
        not in ltr.markdown
    assert any("2011–2014" in w for w in ltr.warnings)
    # A default merge still leaves him out.
    assert "Paul Murphy" not in {x.recipient for x in L.prepare(st, "mep", sender=SENDER,
                                                                 countries_=["IE"])}


def test_news_from_outside_is_recent_news(st: Store) -> None:
    import datetime as dt

    [then] = L.prepare(st, "prisoner", sender=SENDER, prisoners=["Roza Tuletaeva"],
                       as_of=dt.date(2014, 1, 10))
    assert "A little news from outside: In December 2013 the second anniversary" in \
        then.markdown or "A little news from outside: On 16 December 2013" in then.markdown
    assert "10 January 2014" in then.markdown  # the letter's date is the document's date
    _is_prisoner_letter(then.markdown)
    [now] = L.prepare(st, "prisoner", sender=SENDER, prisoners=["Roza Tuletaeva"],
                      as_of=dt.date(2026, 12, 1))
    assert "news from outside" not in now.markdown  # twelve years on, it is not news


def _readme_block(after: str) -> str:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")
    start = readme.index(after)
    body = readme[readme.index("```text\n", start) + 8:]
    return body[:body.index("```")]


def _words(text: str) -> str:
    return " ".join(text.replace("**", "").replace("  \n", "\n").split())


def test_the_readme_letters_are_as_they_come_out(st: Store) -> None:
    import datetime as dt

    sender = L.Sender("Jane Doe", "1 Main Street\nDublin 1", "Unite Dublin Central",
                      "jane@example.org", about="Our branch has 300 members in Dublin's "
                      "hospitals and transport.", country="Ireland")
    [mep] = L.prepare(st, "mep", sender=sender, contacts=["Mairead McGuinness"],
                      as_of=dt.date(2026, 12, 2))
    shown = _readme_block("A letter to an MEP, in full, as it comes out")
    assert _words(shown) == _words(mep.markdown)
    sender = L.Sender("Jane Doe", None, "Unite Dublin Central")
    [prisoner] = L.prepare(st, "prisoner", sender=sender, prisoners=["Roza Tuletaeva"])
    shown = _readme_block("**Letters to prisoners** follow")
    assert _words(shown) == _words(prisoner.markdown[prisoner.markdown.index("Dear Roza"):])


def _docx_parts(path: Path) -> dict[str, bytes]:
    """A Word file's parts, but for the second its core properties were written at."""
    import zipfile

    with zipfile.ZipFile(path) as z:
        return {name: re.sub(rb"<dcterms:(created|modified)[^<]*</dcterms:\1>", b"",
                             z.read(name)) for name in z.namelist()}


@pytest.mark.skipif(not __import__("campaign.parallel").parallel.machine_allows(),
                    reason="no fork, or one core, here")
def test_a_merge_shared_with_a_forked_copy_is_the_merge_of_one_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forkable: None,
        mep_store: Any) -> None:
    """Half the letters rendered, and half the Word files encoded, in a forked copy
    (campaign.parallel): the same letters, sketches, files and log as in one process."""
    from campaign import parallel
    from campaign.documents.letters import memory
    from campaign.documents.letters.similarity import caches

    made: dict[str, Any] = {}
    for mode in ("shared", "one"):
        if mode == "one":
            monkeypatch.setenv(parallel.WORKERS_VAR, "1")
        else:
            monkeypatch.delenv(parallel.WORKERS_VAR, raising=False)
        for cache in (*caches(), memory._LOW_PARAGRAPHS, memory._PACKED):
            cache.clear()  # what the report reads must come back from the copy
        st = _bench_store(mep_store, tmp_path / f"{mode}.db", 90)
        assert parallel.can_share(90) is (mode == "shared")
        letters = L.prepare(st, "mep", sender=SENDER)
        assert len(letters) == 90 and all(ltr.dealing is not None for ltr in letters)
        paragraphs = {p for ltr in letters for p in (ltr.compared or ())}
        assert paragraphs <= set(caches()[0])  # the copy's paragraphs came back hashed
        result = L.commit(st, letters, L.plan_output(str(tmp_path / mode), DocFormat.docx,
                                                     len(letters)), sender=SENDER)
        files = {p.name: _docx_parts(p) for p in sorted((tmp_path / mode).iterdir())}
        log = st.conn.execute("SELECT contact_id, digest, case_id, sketch FROM outreach "
                              "ORDER BY contact_id").fetchall()
        # (a context's case and occasion hold citation objects, equal only to themselves)
        made[mode] = ([(ltr.markdown, ltr.digest, ltr.compared, ltr.sketch,
                        {k: v for k, v in ltr.context.items() if k not in ("case", "occasion")},
                        ltr.context["case"]["id"], ltr.context["occasion"]["title"])
                       for ltr in letters], files, [tuple(r) for r in log], result.logged)
        st.close()
    assert made["shared"] == made["one"]
    assert made["one"][3] == 90 and all(row[3] for row in made["one"][2])


# The real entry point, each fork counted (a line in FORKS), as a user runs it.
COUNTING_FORKS = """
import os, sys
import campaign.parallel as parallel
real_fork = os.fork
def fork():
    pid = real_fork()
    if pid:
        with open(os.environ["FORKS"], "a") as f:
            f.write("fork\\n")
    return pid
parallel.os.fork = fork
from campaign.cli import main
sys.argv = ["campaign", *sys.argv[1:]]
main()
"""


def _pdf_pages(path: Path) -> list[str]:
    """A PDF as its reader sees it: each page's text (its bytes differ by the second it
    was made at: dates, the file id, the XMP metadata)."""
    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(path).pages]


def test_a_big_merge_into_a_directory_of_pdfs_is_shared_and_finishes(
        tmp_path: Path, mep_store: Any) -> None:
    """Each letter's own PDF is typeset by Typst, whose pool of threads a forked copy
    would not have: the fork comes before any is typeset, and each process starts
    its own. It hung when the first letter was typeset before the fork. In processes
    of their own, as a user runs them: the files are those of one process."""
    import os
    import subprocess
    import sys

    from campaign import parallel

    n = parallel.LEAST + 6
    runs = {}
    for mode in ("shared", "one"):
        _bench_store(mep_store, tmp_path / f"{mode}.db", n).close()
        env = {**os.environ, "CAMPAIGN_DB": str(tmp_path / f"{mode}.db"),
               "FORKS": str(tmp_path / f"{mode}.forks")}
        env.pop(parallel.WORKERS_VAR, None)
        if mode == "one":
            env[parallel.WORKERS_VAR] = "1"
        done = subprocess.run(
            [sys.executable, "-c", COUNTING_FORKS, "letter", "--to", "mep", "--sender",
             "Jane Doe", "--format", "pdf", "-o", str(tmp_path / mode)],
            env=env, capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stderr
        forks = tmp_path / f"{mode}.forks"
        runs[mode] = (forks.read_text().count("fork") if forks.exists() else 0,
                      {p.name: _pdf_pages(p) for p in sorted((tmp_path / mode).iterdir())})
    assert len(runs["one"][1]) == n and runs["one"][0] == 0
    if parallel.machine_allows():  # the letters, then the PDFs
        assert runs["shared"][0] == 2
    assert runs["shared"][1] == runs["one"][1]
