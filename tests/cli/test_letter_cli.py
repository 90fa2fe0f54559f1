"""`campaign letter`, `campaign outreach` and `campaign profile` through the CLI."""

from __future__ import annotations

import email
import json
import re
from email import policy
from pathlib import Path

import pytest

pytestmark = pytest.mark.engines  # on SQLite and on PostgreSQL

SENDER = ["--sender", "Jane Doe", "--sender-org", "Unite Dublin Central",
          "--sender-address", "1 Main Street, Dublin 1"]


@pytest.fixture(autouse=True)
def _meps(meps_db: Path) -> Path:
    return meps_db


@pytest.fixture
def note(tmp_path: Path) -> Path:
    p = tmp_path / "note.txt"
    p.write_text("Our branch met the Zhanaozen families — солидарность.\n", encoding="utf-8")
    return p


def outreach(cli) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    r = cli("outreach", "list", "--format", "json")
    assert r.exit_code == 0, r.stderr
    return json.loads(r.stdout)


def test_letters_to_a_country_into_a_directory(cli, tmp_path: Path, note: Path) -> None:
    out = tmp_path / "letters"
    r = cli("letter", "--to", "mep", "--country", "Ireland", *SENDER, "--note", str(note),
            "-o", str(out), "--format", "md")
    assert r.exit_code == 0, r.stderr
    files = sorted(out.iterdir())
    assert [f.name for f in files] == ["001-lynn-boylan.md", "002-mairead-mcguinness.md",
                                       "003-sean-kelly.md"]
    bodies = [f.read_text("utf-8") for f in files]
    for body, name in zip(bodies, ["Lynn Boylan", "Mairead McGuinness", "Seán Kelly"],
                          strict=True):
        assert f"Dear {name}," in body and "солидарность" in body and "Sources:" in body
    assert len(set(bodies)) == 3
    log = outreach(cli)
    assert len(log) == len(files) == 3
    assert {e["contact"] for e in log} == {"Lynn BOYLAN", "Mairead McGUINNESS", "Seán KELLY"}
    assert {e["state"] for e in log} == {"drafted"} and all(e["digest"] for e in log)
    # Again (changed by issue 13): the same letters are written and not logged twice.
    r = cli("letter", "--to", "mep", "--country", "IE", *SENDER, "--note", str(note),
            "-o", str(out), "--format", "md")
    assert r.exit_code == 0 and "3 already in the log" in r.stdout, r.stderr
    assert len(outreach(cli)) == 3
    r = cli("letter", "--to", "mep", "--country", "IE", *SENDER, "--note", str(note),
            "-o", str(out), "--format", "md", "--force")
    assert r.exit_code == 0 and len(outreach(cli)) == 6
    summary = json.loads(cli("outreach", "summary", "--format", "json").stdout)
    assert {s["state"]: s["count"] for s in summary} == {"drafted": 6, "sent": 0, "replied": 0,
                                                         "sending": 0, "failed": 0}


def test_eml_drafts(cli, tmp_path: Path) -> None:
    out = tmp_path / "mails"
    r = cli("letter", "--to", "mep", "--country", "Ireland", *SENDER,
            "--sender-email", "jane@example.org", "--format", "eml", "-o", str(out))
    assert r.exit_code == 0, r.stderr
    files = sorted(out.glob("*.eml"))
    assert len(files) == 3 == len(outreach(cli))
    msgs = {f.name: email.message_from_bytes(f.read_bytes(), policy=policy.default)
            for f in files}
    kelly = msgs["003-sean-kelly.eml"]
    assert kelly["To"].addresses[0].addr_spec == "sean.kelly@europarl.europa.eu"
    assert kelly["From"].addresses[0].addr_spec == "jane@example.org"
    assert kelly["X-Unsent"] == "1" and kelly["Subject"]
    assert "Dear Seán Kelly," in kelly.get_content()
    boylan = msgs["001-lynn-boylan.eml"]
    assert boylan["To"] is None  # no email known: never guessed
    assert "Rue Wiertz" not in boylan.get_content()  # an email carries no postal block


def test_combined_markdown_and_stdout(cli, tmp_path: Path) -> None:
    out = tmp_path / "all.md"
    r = cli("letter", "--to", "mep", "--country", "IE", *SENDER, "-o", str(out))
    assert r.exit_code == 0, r.stderr
    text = out.read_text("utf-8")
    assert text.count("Dear ") == 3 and "\n* * *\n" in text
    assert all(e["path"] == str(out) for e in outreach(cli))
    r = cli("letter", "--to", "mep", "--contact", "McGuinness", *SENDER, "--format", "txt")
    assert r.exit_code == 0 and "Dear Mairead McGuinness," in r.stdout
    assert len(outreach(cli)) == 3  # printing is a preview, not logged


def test_dry_run_writes_nothing(cli, tmp_path: Path, db_path: Path) -> None:
    from conftest import snapshot

    before = snapshot(db_path)
    out = tmp_path / "letters"
    r = cli("letter", "--to", "mep", "--country", "IE", *SENDER, "-o", str(out), "--dry-run")
    assert r.exit_code == 0, r.stderr
    assert "Boylan" in r.stdout and "Nothing was written" in r.stdout
    assert not out.exists() and outreach(cli) == []
    assert snapshot(db_path) == before


@pytest.mark.parametrize("case", ["no-match", "note-missing", "note-latin1", "output-file",
                                  "no-address"])
def test_bad_input_one_line_nothing_written(error_line, cli, tmp_path: Path, case: str) -> None:
    out = tmp_path / "letters"
    args = ["letter", "--to", "mep", "--country", "IE", *SENDER, "-o", str(out)]
    if case == "no-match":
        args[4] = "Malta"
    elif case == "note-missing":
        args += ["--note", str(tmp_path / "missing.txt")]
    elif case == "note-latin1":
        bad = tmp_path / "latin1.txt"
        bad.write_bytes("Solidarit\xe9\n".encode("latin-1"))
        args += ["--note", str(bad)]
    elif case == "output-file":
        out.write_text("not a directory")
    elif case == "no-address":
        args = ["letter", "--to", "embassy", *SENDER, "-o", str(out)]
    line = error_line(cli(*args))
    expected = {"no-match": ["--country Malta", "campaign meps fetch"],
                "note-missing": ["missing.txt", "no such file"],
                "note-latin1": ["latin1.txt", "not UTF-8"],
                "output-file": [str(out), "is a file"],
                "no-address": ["Kazakhstan Embassy in Belgium", "campaign contacts add"]}[case]
    for word in expected:
        assert word in line
    assert outreach(cli) == []
    if case == "output-file":
        assert out.read_text() == "not a directory"
    else:
        assert not out.exists()


def test_authority_historical_president(error_line, cli) -> None:
    line = error_line(cli("letter", "--to", "authority", *SENDER))
    assert "Nazarbayev" in line and "--role" in line and "campaign contacts add" in line


def test_no_sender_then_profile(cli, tmp_path: Path) -> None:
    r = cli("letter", "--to", "mep", "--country", "IE")
    assert r.exit_code == 2 and "campaign profile set" in r.stderr
    r = cli("profile", "set", "--name", "Saved Sender", "--org", "Trades Council",
            "--email", "saved@example.org")
    assert r.exit_code == 0, r.stderr
    shown = json.loads(cli("profile", "show", "--format", "json").stdout)
    assert shown == {"name": "Saved Sender", "address": None, "org": "Trades Council",
                     "email": "saved@example.org"}
    r = cli("letter", "--to", "mep", "--contact", "Lynn Boylan")
    assert r.exit_code == 0 and "Saved Sender" in r.stdout and "Trades Council" in r.stdout
    assert cli("profile", "set", "--email", "not-an-email").exit_code == 2


def test_prisoner_letter(cli) -> None:
    r = cli("letter", "--to", "prisoner", "--prisoner", "Roza Tuletaeva", *SENDER, "--lang", "en")
    assert r.exit_code == 0, r.stderr
    # Changed by issue 13: no status, no web site for an address, a warning saying how.
    assert "Dear Roza," in r.stdout and "campaignkazakhstan.org" not in r.stdout
    assert "as reported" not in r.stdout and "[1]" not in r.stdout
    assert "campaign prisoners address" in r.stderr


def test_outreach_mark(error_line, cli, tmp_path: Path) -> None:
    r = cli("letter", "--to", "mep", "--contact", "Seán Kelly", *SENDER, "-o",
            str(tmp_path / "one"))
    assert r.exit_code == 0, r.stderr
    [entry] = outreach(cli)
    r = cli("outreach", "mark", str(entry["id"]), "sent")
    assert r.exit_code == 0, r.stderr
    r = cli("outreach", "mark", str(entry["id"]), "replied", "--note", "kind reply, will ask")
    assert r.exit_code == 0
    [entry] = outreach(cli)
    assert entry["state"] == "replied" and entry["note"] == "kind reply, will ask"
    assert outreach_states(cli) == {"drafted": 0, "sent": 0, "replied": 1, "sending": 0,
                                   "failed": 0}
    error_line(cli("outreach", "mark", "999", "sent"))


def outreach_states(cli) -> dict[str, int]:  # type: ignore[no-untyped-def]
    rows = json.loads(cli("outreach", "summary", "--format", "json").stdout)
    return {r["state"]: r["count"] for r in rows}


def test_combined_pdf(cli, tmp_path: Path) -> None:
    pytest.importorskip("campaign.formats.pdf")
    from pypdf import PdfReader

    out = tmp_path / "all.pdf"
    r = cli("letter", "--to", "mep", "--country", "IE", *SENDER, "-o", str(out))
    assert r.exit_code == 0, r.stderr
    reader = PdfReader(str(out))
    texts = [p.extract_text() for p in reader.pages]
    assert len(texts) >= 3
    joined = "\n".join(texts)
    for name in ("Lynn Boylan", "Mairead McGuinness", "Seán Kelly"):
        assert f"Dear {name}," in joined
    starts = [i for i, t in enumerate(texts) if "Dear " in t]
    assert len(starts) == 3  # a page (at least) per letter
    assert len(outreach(cli)) == 3


# -- issue 13 ----------------------------------------------------------------------


def test_eml_has_message_id_and_warns_about_missing_addresses(cli, tmp_path: Path) -> None:
    out = tmp_path / "mails"
    r = cli("letter", "--to", "mep", "--country", "IE", *SENDER, "--sender-email",
            "jane@example.org", "--format", "eml", "-o", str(out))
    assert r.exit_code == 0, r.stderr
    assert "2 of 3 email draft(s) have no To address" in r.stderr
    for f in out.glob("*.eml"):
        msg = email.message_from_bytes(f.read_bytes(), policy=policy.default)
        assert msg["Message-ID"].endswith("@example.org>") and msg["Date"]
        body = msg.get_content()
        assert "Rue Wiertz" not in body and "1 Main Street" not in body
        assert not body.lstrip().startswith("Jane Doe")  # no postal header in an email


def test_a_directory_without_format_gets_word_letters(cli, tmp_path: Path) -> None:
    from docx import Document

    out = tmp_path / "letters"
    r = cli("letter", "--to", "mep", "--country", "IE", *SENDER, "-o", str(out))
    assert r.exit_code == 0, r.stderr
    files = sorted(out.iterdir())
    assert [f.suffix for f in files] == [".docx"] * 3
    doc = Document(str(files[0]))
    assert doc.core_properties.author == "Jane Doe"
    assert doc.core_properties.language == "en-GB"
    assert doc.core_properties.created.year >= 2024
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Dear Lynn Boylan," in text and "Yours sincerely," in text
    closing = next(p for p in doc.paragraphs if p.text == "Yours sincerely,")
    assert closing.paragraph_format.space_after.pt >= 4 * 11  # room to sign


def test_dry_run_reports_similarity_and_warns(cli, tmp_path: Path) -> None:
    r = cli("letter", "--to", "mep", "--country", "IE", *SENDER, "--dry-run")
    assert r.exit_code == 0, r.stderr
    assert re.search(r"similarity of the 3 letters \(all pairs\): highest 0\.\d\d, "
                     r"median 0\.\d\d", r.stdout)
    # A template of one's own that says the same to everyone: nearly identical, and told so.
    mine = tmp_path / "tpl"
    mine.mkdir()
    (mine / "letter-mep.md.j2").write_text(
        "Subject: x\n\n{{ salutation }}\n\nPlease help the prisoners of Kazakhstan, the oil "
        "workers of Zhanaozen and their families, today.\n\n{{ closing }}\n", encoding="utf-8")
    r = cli("letter", "--to", "mep", "--country", "IE", *SENDER, "--templates", str(mine),
            "--dry-run")
    assert r.exit_code == 0, r.stderr
    assert "nearly identical" in r.stderr and "--note" in r.stderr
    r = cli("letter", "--to", "mep", "--country", "IE", *SENDER, "--help")
    assert "3-gram" in r.stdout and "Jaccard" in r.stdout


def test_another_format_after_a_merge(cli, tmp_path: Path) -> None:
    r = cli("letter", "--to", "mep", "--country", "IE", *SENDER, "-o", str(tmp_path / "d"))
    assert r.exit_code == 0, r.stderr
    combined = tmp_path / "letters.docx"
    r = cli("letter", "--to", "mep", "--country", "IE", *SENDER, "-o", str(combined))
    assert r.exit_code == 0, r.stderr
    assert combined.is_file() and "0 logged" in r.stdout and "3 already in the log" in r.stdout
    log = outreach(cli)
    assert len(log) == 3 and all(len(e["paths"]) == 2 for e in log)


def test_a_second_run_with_another_note_refuses_to_overwrite(error_line, cli, tmp_path: Path,
                                                             note: Path) -> None:
    out = tmp_path / "letters"
    assert cli("letter", "--to", "mep", "--country", "IE", *SENDER, "-o", str(out)
               ).exit_code == 0
    before = {f.name: f.read_bytes() for f in out.iterdir()}
    line = error_line(cli("letter", "--to", "mep", "--country", "IE", *SENDER, "--note",
                          str(note), "-o", str(out)))
    assert "already holds a different draft" in line and "-o" in line
    assert {f.name: f.read_bytes() for f in out.iterdir()} == before
    assert len(outreach(cli)) == 3


def test_parallel_runs_log_each_draft_once(meps_db: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    procs = [subprocess.Popen(
        [sys.executable, "-m", "campaign", "--db", str(meps_db), "letter", "--to", "mep",
         "--country", "IE", "--sender", "Jane Doe", "--format", "md", "-o",
         str(tmp_path / f"run{n}")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for n in range(20)]
    for p in procs:
        _, err = p.communicate(timeout=180)
        assert p.returncode == 0, err
    from campaign.outreach import entries
    from campaign.store import Store

    with Store(meps_db) as st:
        log = entries(st)
    assert len(log) == 3
    assert sorted(len(e["paths"]) for e in log) == [20, 20, 20]


def test_a_typo_in_a_users_template_is_one_line(error_line, cli, tmp_path: Path) -> None:
    mine = tmp_path / "tpl"
    mine.mkdir()
    typo = "Subject: x\n\n{{ salutation }}\n\n{{ recipient.nmae }}\n"
    (mine / "letter-mep.md.j2").write_text(typo, encoding="utf-8")
    out = tmp_path / "letters"
    line = error_line(cli("letter", "--to", "mep", "--country", "IE", *SENDER, "--templates",
                          str(mine), "-o", str(out)))
    assert "letter-mep.md.j2" in line and "line 5" in line
    assert not out.exists() and outreach(cli) == []
    (mine / "letter-mep.md.j2").write_text("{# nothing #}\n", encoding="utf-8")
    line = error_line(cli("letter", "--to", "mep", "--country", "IE", *SENDER, "--templates",
                          str(mine), "-o", str(out)))
    assert "empty" in line and not out.exists()


@pytest.mark.parametrize("case", ["not-found", "dead", "released", "lang", "note-big",
                                  "note-fifo", "no-address-contact"])
def test_prisoner_and_note_errors(error_line, cli, tmp_path: Path, case: str) -> None:
    import os

    out = tmp_path / "letters"
    base = ["letter", "--to", "prisoner", *SENDER, "-o", str(out)]
    args, words = {
        "not-found": (base + ["--prisoner", "Roza Tuletayeva Smith"], ["no person", "Roza"]),
        "dead": (base + ["--prisoner", "Kenzhebaev"], ["reported dead", "--to family"]),
        "released": (base + ["--prisoner", "Natalia Sokolova"], ["released", "--released-ok"]),
        "lang": (base + ["--prisoner", "Roza Tuletaeva", "--lang", "kk"],
                 ["'kk'", "en (English)", "ru (Russian)"]),
        "note-big": (base + ["--prisoner", "Roza Tuletaeva", "--note", str(tmp_path / "big")],
                     ["big", "65,536"]),
        "note-fifo": (base + ["--prisoner", "Roza Tuletaeva", "--note", str(tmp_path / "fifo")],
                      ["fifo", "not a regular file"]),
        "no-address-contact": (["letter", "--to", "mep", "--contact", "Paul Murphy", *SENDER,
                                "-o", str(out)], ["Paul Murphy", "no postal address"]),
    }[case]
    (tmp_path / "big").write_bytes(b"x" * (65 * 1024))
    os.mkfifo(tmp_path / "fifo")
    line = error_line(cli(*args))
    for word in words:
        assert word in line
    assert not out.exists() and outreach(cli) == []


def test_family_and_released_ok(cli, tmp_path: Path) -> None:
    r = cli("letter", "--to", "family", "--prisoner", "Kenzhebaev", *SENDER, "--lang", "en",
            "--as-of", "2012-04-10")
    assert r.exit_code == 0, r.stderr
    assert "deepest sympathy" in r.stdout and "Bazarbai Kenzhebaev" in r.stdout
    r = cli("letter", "--to", "prisoner", "--prisoner", "Natalia Sokolova", *SENDER,
            "--released-ok", "--lang", "en")
    assert r.exit_code == 0 and "warning:" in r.stderr and "released" in r.stderr


def test_prisoner_address_command_and_russian_letter(error_line, cli) -> None:
    r = cli("prisoners", "address", "Roza Tuletaeva", "--postal", "Colony UG-157/11\\nAktau",
            "--source", "socialistworld-2014-01")
    assert r.exit_code == 0, r.stderr
    r = cli("letter", "--to", "prisoner", "--prisoner", "Roza Tuletaeva", *SENDER, "--lang", "ru")
    assert r.exit_code == 0, r.stderr
    assert "Кому: Роза Тулетаева  \nКуда: Colony UG-157/11  \nAktau" in r.stdout
    assert "Здравствуйте, Роза!" in r.stdout and r.stderr == ""
    error_line(cli("prisoners", "address", "Roza Tuletaeva", "--postal", "Aktau",
                   "--source", "nope"))


def test_contacts_list_shows_historical(cli) -> None:
    r = cli("contacts", "list", "--kind", "mep", "--format", "json")
    murphy = next(c for c in json.loads(r.stdout) if c["name"] == "Paul Murphy")
    assert murphy["status"] == "historical" and murphy["historical"] is True
    r = cli("letter", "--to", "mep", "--contact", "Paul Murphy", *SENDER)
    assert r.exit_code == 1  # no address on record for a former MEP


@pytest.mark.parametrize("saved", ["victim@gov.kz,spy@evil.org", "a@b.eu\nBcc: c@d.eu",
                                   "Jane <jane@example.org>"])
def test_a_saved_sender_email_that_is_not_one_address(cli, meps_db: Path, error_line,  # type: ignore[no-untyped-def]
                                                      saved: str) -> None:
    """A profile saved by an older version (or by hand) is held to the rule every other
    entry point keeps: one plain address, or no draft at all."""
    from campaign.store import Store

    st = Store(meps_db)
    with st.transaction():  # by hand, past the checks of `profile set`
        for key, value in (("name", "Jane Doe"), ("email", saved)):
            st.conn.execute("INSERT OR REPLACE INTO profile (member, key, value)"
                            " VALUES (?, ?, ?)", (st.member, key, value))
    st.close()
    r = cli("letter", "--to", "mep", "--country", "Ireland", "--format", "eml")
    line = error_line(r, 2)
    assert "not" in line and "email address" in line


# -- issue 18: the occasion, who I am, the dry run, and the log warning ---------------

def test_occasion_errors_are_one_line(error_line, cli, db_path: Path) -> None:
    from conftest import snapshot

    before = snapshot(db_path)
    r = cli("letter", "--to", "mep", "--country", "IE", *SENDER, "--occasion", "no-such-event")
    line = error_line(r, 1)
    assert "no-such-event" in line
    r = cli("letter", "--to", "mep", "--country", "IE", *SENDER, "--as-of", "2011-01-01",
            "--occasion", "zhanaozen-shootings")
    assert "after the letter's date" in error_line(r, 2)
    assert snapshot(db_path) == before


def test_profile_about_is_checked_and_used(error_line, cli) -> None:
    r = cli("profile", "set", "--about", "x" * 601)
    assert "600" in error_line(r, 2)
    r = cli("profile", "set", "--about", "We are a branch.\x07")
    assert "control character" in error_line(r, 2)
    r = cli("profile", "show", "--format", "json")
    assert "about" not in json.loads(r.stdout)
    # No organisation and no --about: the letter says name and country, and the command
    # suggests --about.
    r = cli("profile", "set", "--name", "Tom Walsh", "--country", "Ireland")
    assert r.exit_code == 0, r.stderr
    r = cli("letter", "--to", "mep", "--contact", "Seán Kelly", "--as-of", "2026-12-02")
    assert r.exit_code == 0, r.stderr
    assert "profile set --about" in r.stderr
    assert "Tom Walsh" in r.stdout and "Ireland" in r.stdout.split("Dear Seán Kelly,")[1]
    r = cli("profile", "set", "--about", "I am a nurse in Dublin and a member of INMO.")
    assert r.exit_code == 0, r.stderr
    assert json.loads(cli("profile", "show", "--format", "json").stdout)["about"] == \
        "I am a nurse in Dublin and a member of INMO."
    r = cli("letter", "--to", "mep", "--contact", "Seán Kelly", "--as-of", "2026-12-02")
    assert "I am a nurse in Dublin and a member of INMO." in r.stdout
    assert "profile set --about" not in r.stderr


def test_dry_run_shows_case_requests_and_occasion(cli) -> None:
    r = cli("letter", "--to", "mep", "--country", "IE", *SENDER, "--as-of", "2026-12-02",
            "--dry-run")
    assert r.exit_code == 0, r.stderr
    out = " ".join(r.stdout.split())
    assert "case" in out and "requests" in out and "occasion" in out
    assert "15th anniversary" in out
    r = cli("letter", "--to", "mep", "--country", "IE", *SENDER, "--as-of", "2026-12-02",
            "--occasion", "none", "--dry-run")
    assert "15th anniversary" not in " ".join(r.stdout.split())


def test_two_branches_sending_one_text_are_warned(cli, tmp_path: Path) -> None:
    shared = tmp_path / "shared.txt"
    # A long common statement, pasted by two branches as their "own" paragraph.
    shared.write_text("Our coalition of unions in Ireland agreed this statement. " + " ".join(
        f"Clause {n} names motion{n} and branch{n} with delegate{n} voting{n}."
        for n in range(120)), encoding="utf-8")
    r = cli("letter", "--to", "mep", "--contact", "Seán Kelly", "--sender", "Branch One",
            "--sender-org", "Unite Cork", "--note", str(shared), "-o", str(tmp_path / "a"))
    assert r.exit_code == 0, r.stderr
    assert "drafted to them" not in r.stderr
    r = cli("letter", "--to", "mep", "--contact", "Seán Kelly", "--sender", "Branch Two",
            "--sender-org", "SIPTU Galway", "--note", str(shared), "--dry-run")
    assert r.exit_code == 0, r.stderr
    err = " ".join(r.stderr.split())
    assert "Branch One drafted to them on" in err
    assert "paragraphs beginning “Our coalition of unions" in err
    assert "--note" in err and "profile set --about" in err
