"""`campaign letter`, `campaign outreach` and `campaign profile` through the CLI."""

from __future__ import annotations

import email
import json
from email import policy
from pathlib import Path

import pytest

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
    assert {s["state"]: s["count"] for s in summary} == {"drafted": 6, "sent": 0, "replied": 0}


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
    before = db_path.read_bytes()
    out = tmp_path / "letters"
    r = cli("letter", "--to", "mep", "--country", "IE", *SENDER, "-o", str(out), "--dry-run")
    assert r.exit_code == 0, r.stderr
    assert "Boylan" in r.stdout and "Nothing was written" in r.stdout
    assert not out.exists() and outreach(cli) == []
    assert db_path.read_bytes() == before


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
    r = cli("letter", "--to", "prisoner", "--prisoner", "Roza Tuletaeva", *SENDER)
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
    assert outreach_states(cli) == {"drafted": 0, "sent": 0, "replied": 1}
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
