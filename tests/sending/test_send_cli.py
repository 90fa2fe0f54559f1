"""`campaign send` through the CLI against a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import sqlite3
import ssl
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest

from tests.sending.conftest import (
    FOURTEEN,
    PASSWORD,
    USER,
    Handler,
    Server,
    email_of,
    settings,
    start_server,
)

FAST = ["--rate", "6000/min"]
GO = ["--yes", "--allow-similar", *FAST]


def log(cli) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    r = cli("outreach", "list", "--format", "json")
    assert r.exit_code == 0, r.stderr
    return json.loads(r.stdout)  # type: ignore[no-any-return]


def states(cli) -> dict[str, int]:  # type: ignore[no-untyped-def]
    r = cli("outreach", "summary", "--format", "json")
    return {row["state"]: row["count"] for row in json.loads(r.stdout)}


def draft_of(path: str) -> Any:
    return message_from_bytes(Path(path).read_bytes(), policy=policy.default)


def test_fourteen_letters_delivered_once_with_the_right_headers(cli, fourteen_drafts: Path,
                                                                smtp: Server) -> None:
    r = cli("send", *GO, *settings(smtp))
    assert r.exit_code == 0, r.stderr
    assert "sent 14 of 14, failed 0, left drafted 0" in r.stdout
    got = smtp.handler.received
    assert len(got) == 14
    entries = {e["message_id"]: e for e in log(cli)}
    assert len(entries) == 14 and all(e["state"] == "sent" for e in entries.values())
    by_to = {}
    for rec in got:
        msg = rec.message
        assert rec.mail_from == USER
        assert str(msg["From"]) == f"Jane Doe <{USER}>"
        entry = entries[msg["Message-ID"]]  # our Message-ID is the one recorded
        assert msg["Date"] and msg["Subject"] == draft_of(entry["path"])["Subject"]
        assert "Zhanaozen" in msg["Subject"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", entry["sent_at"])
        assert entry["server_reply"].startswith("250 2.0.0 Ok: queued as")
        assert msg.get_content_charset() == "utf-8"
        body = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
        # Exactly the draft's text, UTF-8 names and all.
        draft = draft_of(entry["path"]).get_body(("plain",)).get_content()
        assert body == draft.replace("\r\n", "\n")
        assert entry["sent_digest"] == hashlib.sha256(body.encode("utf-8")).hexdigest()
        assert rec.rcpt_tos == [msg["To"].addresses[0].addr_spec]
        by_to[msg["To"].addresses[0].addr_spec] = msg
    assert sorted(by_to) == sorted(email_of(g, f) for g, f, _ in FOURTEEN)
    kelly = by_to["sean.kelly@europarl.europa.eu"]
    assert kelly["To"].addresses[0].display_name == "Seán Kelly"
    assert "Dear Seán Kelly," in kelly.get_body(("plain",)).get_content()
    assert "Dear Zoë Müller," in by_to["zoe.muller@europarl.europa.eu"].get_content()
    # Again: nothing left to send, nothing sent twice.
    r = cli("send", *GO, *settings(smtp))
    assert r.exit_code == 0 and "nothing to send" in r.stdout
    assert len(smtp.handler.received) == 14


def test_dry_run_talks_to_nobody_and_needs_no_account(cli, fourteen_drafts: Path,
                                                      smtp: Server) -> None:
    r = cli("send", "--dry-run", "--allow-similar")
    assert r.exit_code == 0, r.stderr
    assert "Dry run: 14 letter(s) would be sent" in r.stdout and "Nothing was sent." in r.stdout
    assert re.search(r"similarity of the 14 letters \(all pairs\): highest 0\.\d\d", r.stdout)
    assert "Seán KELLY" in r.stdout
    assert smtp.handler.received == [] and states(cli)["drafted"] == 14


def test_no_terminal_no_yes_refuses(cli, fourteen_drafts: Path, smtp: Server,
                                    error_line) -> None:  # type: ignore[no-untyped-def]
    r = cli("send", "--allow-similar", *settings(smtp))
    line = error_line(r, 2)
    assert "without a confirmation" in line and "--yes" in line
    assert smtp.handler.received == [] and states(cli)["drafted"] == 14


def test_on_a_terminal_it_asks_first(cli, fourteen_drafts: Path, smtp: Server,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("campaign.cli.send._interactive", lambda: True)
    r = cli("send", "--allow-similar", "--max", "2", *FAST, *settings(smtp), input="n\n")
    assert r.exit_code == 0, r.stderr
    assert "2 letter(s) to send" in r.stdout and "Send 2 letter(s) through 127.0.0.1:" in r.stdout
    assert "nothing was sent" in r.stdout and smtp.handler.received == []
    r = cli("send", "--allow-similar", "--max", "2", *FAST, *settings(smtp), input="y\n")
    assert r.exit_code == 0 and "sent 2 of 2" in r.stdout, r.stderr
    assert len(smtp.handler.received) == 2


SAME_LETTER = """{% if medium != "letter" %}Subject: Political prisoners in Kazakhstan

{% endif %}{{ salutation }}

I write about the political prisoners of Kazakhstan and the oil workers of Zhanaozen,
fifteen years after the police shootings there. Please raise their cases with the
authorities of Kazakhstan and in the Parliament, and tell me what you will do.

{{ closing }}

{{ sender.name }}
"""


def test_letters_in_many_voices_are_not_held(cli, fourteen_drafts: Path,
                                             smtp: Server) -> None:
    r = cli("send", "--yes", *FAST, *settings(smtp))
    assert r.exit_code == 0, r.stderr
    assert not [ln for ln in r.stderr.splitlines() if "alike" in ln]
    assert len(smtp.handler.received) == 14 and states(cli)["sent"] == 14


def test_nearly_identical_letters_are_held_unless_allowed(cli, fourteen_db: Path, tmp_path: Path,
                                                          smtp: Server, account: None) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "letter-mep.md.j2").write_text(SAME_LETTER, "utf-8")
    r = cli("profile", "set", "--name", "Jane Doe", "--email", USER, "--org",
            "Unite Dublin Central")
    assert r.exit_code == 0, r.stderr
    drafts = tmp_path / "letters"
    everyone = [a for g, f, _ in FOURTEEN for a in ("--contact", f"{g} {f}")]
    r = cli("letter", "--to", "mep", *everyone, "--format", "eml", "-o", str(drafts),
            "--templates", str(mine))
    assert r.exit_code == 0, r.stderr
    r = cli("send", "--yes", *FAST, *settings(smtp))
    assert r.exit_code == 0, r.stderr
    held = [ln for ln in r.stderr.splitlines() if "alike" in ln]
    assert held and all("quarantines large numbers of identical messages" in ln for ln in held)
    assert len(smtp.handler.received) == 14 - len(held)
    assert states(cli)["drafted"] == len(held)
    # A letter drafted again for someone already written to is refused as a near copy.
    r = cli("letter", "--to", "mep", *everyone, "--format", "eml", "-o",
            str(tmp_path / "again"), "--force", "--templates", str(mine))
    assert r.exit_code == 0, r.stderr
    r = cli("send", "--yes", *FAST, "--to", "mep", "--contact", "Seán Kelly", *settings(smtp))
    assert re.search(r"0\.[89]\d alike to the letter already sent to them|1\.00 alike to the "
                     "letter already sent", r.stderr)
    assert "nothing to send" in r.stdout
    assert len(smtp.handler.received) == 14 - len(held)


def test_wrong_password_is_one_line_and_nothing_is_sent(cli, fourteen_drafts: Path, smtp: Server,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        error_line) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CAMPAIGN_SMTP_PASSWORD", "not-the-password")
    r = cli("send", *GO, *settings(smtp))
    line = error_line(r)
    assert "refused the login of jane@example.org" in line and "not-the-password" not in line
    assert smtp.handler.received == [] and states(cli)["drafted"] == 14
    assert states(cli)["sending"] == 0


def test_451_is_retried_then_left_drafted_and_550_fails_while_the_rest_go(
        cli, fourteen_drafts: Path, smtp: Server) -> None:
    smtp.handler.answers = {"lynn.boylan@europarl.europa.eu": "451 4.7.1 Greylisted, try later",
                            "eva.joly@europarl.europa.eu": "550 5.1.1 No such mailbox here"}
    r = cli("send", *GO, *settings(smtp))
    assert r.exit_code == 0, r.stderr
    assert "sent 12 of 14, failed 1, left drafted 1" in r.stdout
    by_contact = {e["contact"]: e for e in log(cli)}
    assert by_contact["Lynn BOYLAN"]["state"] == "drafted"
    assert "451 4.7.1 Greylisted" in by_contact["Lynn BOYLAN"]["reason"]
    assert "tried 4 times" in by_contact["Lynn BOYLAN"]["reason"]
    assert by_contact["Eva JOLY"]["state"] == "failed"
    assert by_contact["Eva JOLY"]["reason"] == "550 5.1.1 No such mailbox here"
    assert "550 5.1.1 No such mailbox here" in r.stderr
    # The next run tries only the one left drafted (the server takes it now).
    smtp.handler.answers = {}
    r = cli("send", *GO, *settings(smtp))
    assert r.exit_code == 0 and "sent 1 of 1" in r.stdout, r.stderr
    assert len(smtp.handler.received) == 13


def test_a_server_dying_after_five_then_the_rerun_sends_the_other_nine(
        cli, fourteen_drafts: Path) -> None:  # type: ignore[no-untyped-def]
    first = start_server(Handler(die_after=5))
    try:
        r = cli("send", *GO, *settings(first))
        assert r.exit_code == 1 and "Traceback" not in r.output
        left, line = r.stderr.strip().splitlines()
        assert left.startswith("campaign: left drafted: outreach 6 to Jiří POSPÍŠIL: ")
        assert "(tried 4 times)" in left
        assert line.startswith("campaign: error: the run stopped")
        assert "run the same command again" in line
        assert "sent 5 of 14, failed 0, left drafted 9 (8 not tried)" in r.stdout
        assert len(first.handler.received) == 5
        assert states(cli)["sent"] == 5 and states(cli)["drafted"] == 9
        assert states(cli)["sending"] == 0
    finally:
        first.stop()
    second = start_server(Handler())
    try:
        r = cli("send", *GO, *settings(second))
        assert r.exit_code == 0 and "sent 9 of 9" in r.stdout, r.stderr
    finally:
        second.stop()
    to = [rec.rcpt_tos[0] for rec in [*first.handler.received, *second.handler.received]]
    assert len(to) == 14 and len(set(to)) == 14  # each letter exactly once
    assert states(cli)["sent"] == 14


def test_the_rate_spaces_messages_as_the_server_sees_them(cli, fourteen_drafts: Path,
                                                          smtp: Server) -> None:
    r = cli("send", "--yes", "--allow-similar", "--rate", "120/min", "--max", "4",
            *settings(smtp))
    assert r.exit_code == 0, r.stderr
    times = [rec.at for rec in smtp.handler.received]
    assert len(times) == 4
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert min(gaps) >= 0.45, gaps  # 120 a minute: one every half second
    assert states(cli)["sent"] == 4 and states(cli)["drafted"] == 10


def test_starttls_with_a_test_certificate(cli, fourteen_drafts: Path, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch,
                                          error_line) -> None:  # type: ignore[no-untyped-def]
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(tls)
    server = start_server(Handler(), tls=tls)
    secure = ["--smtp-host", "127.0.0.1", "--smtp-port", str(server.port), "--smtp-user", USER,
              "--smtp-security", "starttls", "--max", "1"]
    try:
        # Not trusted: refused, nothing sent.
        r = cli("send", *GO, *secure)
        line = error_line(r)
        assert "does not verify" in line and "--smtp-insecure" in line
        assert server.handler.received == [] and states(cli)["drafted"] == 14
        # Trusted (the test CA): sent over TLS.
        pem = tmp_path / "ca.pem"
        ca.cert_pem.write_to_path(str(pem))
        monkeypatch.setenv("SSL_CERT_FILE", str(pem))
        r = cli("send", *GO, *secure)
        assert r.exit_code == 0 and "sent 1 of 1" in r.stdout, r.stderr
        assert len(server.handler.received) == 1
        r = cli("send", "--check", *secure[:-2])
        assert r.exit_code == 0, r.stderr
        assert "connected (starttls), logged in as jane@example.org" in r.stdout
        assert "login methods:" in r.stdout and "PLAIN" in r.stdout
        # Not trusted again, but the user says so: sent, with a warning.
        monkeypatch.delenv("SSL_CERT_FILE")
        r = cli("send", *GO, *secure, "--smtp-insecure")
        assert r.exit_code == 0 and "sent 1 of 1" in r.stdout, r.stderr
        assert "--smtp-insecure" in r.stderr and "not checked" in r.stderr
    finally:
        server.stop()


def test_no_password_in_any_output_log_or_store(cli, fourteen_drafts: Path, smtp: Server,
                                                db_path: Path, tmp_path: Path,
                                                caplog: pytest.LogCaptureFixture) -> None:
    outputs = []
    for args in (["profile", "set", "--smtp-host", "127.0.0.1", "--smtp-port", str(smtp.port),
                  "--smtp-user", USER, "--smtp-security", "none"],
                 ["profile", "show", "--format", "json"],
                 ["send", "--check"], ["send", "--dry-run"], ["send", *GO, "--max", "3"],
                 ["send", "--reconcile"], ["outreach", "list", "--format", "json"],
                 ["export", "-o", str(tmp_path / "pack.yaml")]):
        r = cli(*args)
        assert r.exit_code == 0, (args, r.stderr)
        outputs.append(r.output)
    assert states(cli)["sent"] == 3
    assert "smtp_host" in outputs[1] and "127.0.0.1" in outputs[1]
    every = "\n".join(outputs) + caplog.text + (tmp_path / "pack.yaml").read_text("utf-8")
    assert PASSWORD not in every
    for f in db_path.parent.glob(db_path.name + "*"):
        assert PASSWORD.encode() not in f.read_bytes(), f


def test_test_to_sends_the_first_only_marked_test(cli, fourteen_drafts: Path,
                                                  smtp: Server) -> None:
    r = cli("send", "--test-to", "me@example.org", "--allow-similar", *settings(smtp))
    assert r.exit_code == 0, r.stderr
    assert "nothing was marked sent" in r.stdout
    (rec,) = smtp.handler.received
    assert rec.rcpt_tos == ["me@example.org"]
    first = draft_of(str(next(fourteen_drafts.glob("001-*.eml"))))
    assert rec.message["Subject"] == "[TEST] " + first["Subject"]
    assert "Dear Seán Kelly," in rec.message.get_content()
    assert states(cli)["drafted"] == 14 and states(cli)["sent"] == 0


def test_bcc_self_and_max(cli, fourteen_drafts: Path, smtp: Server) -> None:
    r = cli("send", *GO, "--bcc-self", "--max", "2", *settings(smtp))
    assert r.exit_code == 0, r.stderr
    assert "sent 2 of 2" in r.stdout
    assert [rec.rcpt_tos[1] for rec in smtp.handler.received] == [USER, USER]
    assert all("Bcc" not in rec.message for rec in smtp.handler.received)
    assert states(cli)["sent"] == 2 and states(cli)["drafted"] == 12


def test_crash_leaves_unknown_listed_by_reconcile_and_resent_only_on_request(
        cli, fourteen_drafts: Path, smtp: Server, db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE outreach SET state = 'sending', message_id = '<x1@example.org>',"
                 " updated = '2026-12-02T10:00:00Z' WHERE id = 1")
    conn.commit()
    conn.close()
    r = cli("send", "--reconcile", "--format", "json")
    assert r.exit_code == 0, r.stderr
    (row,) = json.loads(r.stdout)
    assert row["message_id"] == "<x1@example.org>" and row["contact"] == "Seán KELLY"
    r = cli("send", *GO, *settings(smtp))
    assert r.exit_code == 0 and "sent 13 of 13" in r.stdout, r.stderr
    assert "sean.kelly@europarl.europa.eu" not in [x.rcpt_tos[0] for x in smtp.handler.received]
    r = cli("send", *GO, "--resend-unknown", *settings(smtp))
    assert r.exit_code == 0 and "sent 1 of 1" in r.stdout, r.stderr
    assert smtp.handler.received[-1].rcpt_tos == ["sean.kelly@europarl.europa.eu"]
    r = cli("send", "--reconcile")
    assert "no letter's fate is unknown" in r.stdout


def test_an_edited_draft_is_sent_as_edited(cli, fourteen_drafts: Path, smtp: Server) -> None:
    path = next(fourteen_drafts.glob("001-*.eml"))
    msg = draft_of(str(path))
    body = msg.get_body(("plain",)).get_content()
    edited = body.replace("Dear Seán Kelly,", "Dear Seán Kelly,\n\nWe met in Brussels — спасибо.")
    msg.set_content(edited, charset="utf-8")
    path.write_bytes(msg.as_bytes())
    r = cli("send", *GO, "--outreach", "1", *settings(smtp))
    assert r.exit_code == 0, r.stderr
    (rec,) = smtp.handler.received
    assert "We met in Brussels — спасибо." in rec.message.get_content()
    entry = next(e for e in log(cli) if e["id"] == 1)
    sent = rec.message.get_content().replace("\r\n", "\n")
    assert entry["sent_digest"] == hashlib.sha256(sent.encode("utf-8")).hexdigest()
    assert entry["digest"] != entry["sent_digest"]


def _case_of_first_letter(cli) -> str:  # type: ignore[no-untyped-def]
    """The name of the case the first logged letter took up (its outreach row's case_id)."""
    from campaign.store import Store

    st = Store(os.environ["CAMPAIGN_DB"])
    try:
        row = st.row("SELECT p.name FROM outreach o JOIN persons p ON p.id = o.case_id "
                     "WHERE o.id = 1")
    finally:
        st.close()
    assert row, "the first letter took up no case"
    return str(row["name"])


def test_a_case_released_since_drafting_stops_that_letter(cli, fourteen_drafts: Path,
                                                          smtp: Server) -> None:
    body = draft_of(str(next(fourteen_drafts.glob("001-*.eml")))).get_content()
    case = _case_of_first_letter(cli)  # the person the letter asks Seán Kelly to take up
    assert case in body
    today = dt.date.today().isoformat()
    r = cli("prisoners", "update", case, "--status", "released", "--date", today,
            "--source", "ep-meps-2024")
    assert r.exit_code == 0, r.stderr
    r = cli("send", *GO, *settings(smtp))
    assert r.exit_code == 0, r.stderr
    held = [ln for ln in r.stderr.splitlines() if f"{case} was reported released" in ln]
    assert held and "outreach 1 " in held[0]
    assert "sean.kelly@europarl.europa.eu" not in [x.rcpt_tos[0] for x in smtp.handler.received]


def test_no_contact_is_honoured_by_letter_and_send(cli, fourteen_drafts: Path, smtp: Server,
                                                   tmp_path: Path) -> None:
    r = cli("contacts", "set", "Seán Kelly", "--no-contact", "--reason", "asked us to stop")
    assert r.exit_code == 0 and "not to be contacted" in r.stdout, r.stderr
    r = cli("send", *GO, *settings(smtp))
    assert r.exit_code == 0, r.stderr
    assert "Seán KELLY is marked not to be contacted" in r.stderr
    assert "sent 13 of 13" in r.stdout
    r = cli("letter", "--to", "mep", "--contact", "Seán Kelly", "--contact", "Zoë Müller",
            "--format", "eml", "-o", str(tmp_path / "more"), "--force")
    assert r.exit_code == 0, r.stderr
    assert "marked not to be contacted: Seán KELLY" in r.stderr
    assert [p.name for p in (tmp_path / "more").iterdir()] == ["001-zoe-muller.eml"]
    r = cli("contacts", "set", "Seán Kelly", "--contact-ok")
    assert r.exit_code == 0 and "may be contacted" in r.stdout


def test_mark_failed_with_reason_and_summary(cli, fourteen_drafts: Path,
                                             error_line) -> None:  # type: ignore[no-untyped-def]
    error_line(cli("outreach", "mark", "2", "failed"), 2)
    r = cli("outreach", "mark", "2", "failed", "--reason", "bounced: mailbox full")
    assert r.exit_code == 0, r.stderr
    entry = next(e for e in log(cli) if e["id"] == 2)
    assert entry["state"] == "failed" and entry["reason"] == "bounced: mailbox full"
    r = cli("outreach", "list", "--state", "failed", "--format", "md")
    assert "bounced: mailbox full" in r.stdout and "Message-ID" in r.stdout
    assert states(cli) == {"drafted": 13, "sent": 0, "replied": 0, "sending": 0, "failed": 1}


@pytest.mark.parametrize("case", ["no-settings", "unreachable", "bad-rate", "no-sender"])
def test_bad_input_is_one_line_and_nothing_is_marked(cli, fourteen_drafts: Path, case: str,
                                                     error_line) -> None:  # type: ignore[no-untyped-def]
    from tests.sending.conftest import free_port

    if case == "no-settings":
        line = error_line(cli("send", *GO))
        assert "no mail server is set" in line and "profile set --smtp-host" in line
    elif case == "unreachable":
        line = error_line(cli("send", *GO, "--smtp-host", "127.0.0.1", "--smtp-port",
                              str(free_port()), "--smtp-user", USER, "--smtp-security", "none"))
        assert "cannot reach the mail server 127.0.0.1" in line
    elif case == "bad-rate":
        line = error_line(cli("send", "--dry-run", "--rate", "fast"), 2)
        assert "N/min" in line
    else:
        from campaign.store import Store

        st = Store()
        with st.transaction():
            st.conn.execute("DELETE FROM profile WHERE key = 'email'")
        st.close()
        line = error_line(cli("send", *GO, "--smtp-host", "127.0.0.1", "--smtp-port",
                              str(free_port()), "--smtp-security", "none"))
        assert "no sender email" in line
    assert states(cli)["drafted"] == 14 and states(cli)["sent"] == 0


def test_from_dir_and_the_newest_of_several_drafts(cli, fourteen_drafts: Path, tmp_path: Path,
                                                   error_line) -> None:  # type: ignore[no-untyped-def]
    r = cli("letter", "--to", "mep", "--contact", "Seán Kelly", "--contact", "Zoë Müller",
            "--format", "eml", "-o", str(tmp_path / "again"), "--force", "--note",
            str(_note(tmp_path)))
    assert r.exit_code == 0, r.stderr
    r = cli("send", "--dry-run", "--allow-similar")
    assert r.exit_code == 0, r.stderr
    assert "Dry run: 14 letter(s) would be sent" in r.stdout
    assert "1 older draft(s) to Seán KELLY (outreach 1) not sent: the newest, outreach 15" \
        in r.stderr
    r = cli("send", "--dry-run", "--from-dir", str(tmp_path / "again"), "--format", "json")
    assert r.exit_code == 0, r.stderr
    rows = json.loads(r.stdout)
    assert [x["recipient"] for x in rows] == ["Seán KELLY", "Zoë MÜLLER"]
    assert all("/again/" in x["file"] and x["entry"] > 14 for x in rows)
    (tmp_path / "empty").mkdir()
    r = cli("send", "--dry-run", "--from-dir", str(tmp_path / "empty"))
    assert r.exit_code == 0 and "nothing to send" in r.stdout
    line = error_line(cli("send", "--dry-run", "--from-dir", str(tmp_path / "nowhere")), 2)
    assert "is not a directory" in line
    line = error_line(cli("send", "--dry-run", "--to", "prisoner"), 2)
    assert "go by post" in line
    line = error_line(cli("send", "--dry-run", "--country", "Ireland"), 2)
    assert "--to mep" in line


def _note(tmp_path: Path) -> Path:
    p = tmp_path / "note.txt"
    p.write_text("Our branch met the Zhanaozen families last week.\n", encoding="utf-8")
    return p
