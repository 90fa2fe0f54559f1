"""The sending library: back-off and rate injected, Ctrl-C, the password's places,
which file of a letter is sent, similarity, and the --rate option."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from campaign.errors import CampaignError, UsageError
from campaign.sending import outgoing, similar
from campaign.sending.account import Account, Security, account_from, password_for
from campaign.sending.run import Outcome, Pace, Sender
from campaign.sending.smtp import Connection
from campaign.store import Store
from tests.sending.conftest import PASSWORD, USER, Handler, Server, start_server


class Clock:
    """A clock that moves only when slept on: spacing without waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def __call__(self) -> float:
        return self.now


def drafted(store: Store) -> list[outgoing.Outgoing]:
    rows, _ = outgoing.entries_to_send(store)
    return outgoing.prepare(store, rows)


def sender_for(store: Store, server: Server, clock: Clock, **pace: Any) -> Sender:
    account = Account("127.0.0.1", server.port, USER, Security.none)
    return Sender(store, lambda: Connection(account, PASSWORD), from_email=USER,
                  from_name="Jane Doe", pace=Pace(sleep=clock.sleep, clock=clock, **pace))


def test_backoff_and_rate_are_injected(fourteen_drafts: Path, db_path: Path) -> None:
    server = start_server(Handler(answers={"lynn.boylan@europarl.europa.eu": "421 4.3.2 busy"}))
    clock = Clock()
    st = Store(db_path)
    try:
        items = drafted(st)[:4]
        outcome = sender_for(st, server, clock, per_minute=6, backoff=(7.0, 11.0)).run(items)
    finally:
        st.close()
        server.stop()
    assert [i.contact for i in outcome.sent] == ["Seán KELLY", "Zoë MÜLLER", "Łukasz KOHUT"]
    (left, why), = outcome.left
    assert left.contact == "Lynn BOYLAN" and why.startswith("421 4.3.2 busy (tried 3 times)")
    # Each try waits its turn (10 s apart at 6 a minute), and each retry its back-off first:
    # after 7 s of back-off the turn is 3 s away; after 11 s it has come.
    assert clock.slept == [10.0, 10.0, 7.0, 3.0, 11.0, 10.0]



def test_the_rate_counts_from_when_the_server_had_the_last_letter(
        fourteen_drafts: Path, db_path: Path, smtp: Server) -> None:
    """A busy server takes the first letter late (3 s after it was begun, on a clock that
    moves only as the letters go); the second still arrives a whole interval after it,
    as the server sees them, not one interval after the first was begun."""
    clock = Clock()
    arrived: list[float] = []

    class Slow(Connection):
        def send(self, *args: Any, **kwargs: Any) -> str:
            clock.now += 0.5 if arrived else 3.0
            arrived.append(clock.now)  # when the server gets to it
            return super().send(*args, **kwargs)

    account = Account("127.0.0.1", smtp.port, USER, Security.none)
    st = Store(db_path)
    try:
        sender = Sender(st, lambda: Slow(account, PASSWORD), from_email=USER,
                        from_name="Jane Doe",
                        pace=Pace(sleep=clock.sleep, clock=clock, per_minute=6))
        outcome = sender.run(drafted(st)[:3])
    finally:
        st.close()
    assert len(outcome.sent) == 3
    gaps = [b - a for a, b in zip(arrived, arrived[1:], strict=False)]
    assert min(gaps) >= 10.0, gaps

def test_ctrl_c_before_the_server_takes_a_letter_leaves_it_drafted(
        fourteen_drafts: Path, db_path: Path, smtp: Server) -> None:
    clock = Clock()
    calls = 0

    def sleep(seconds: float) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:  # waiting for the third letter's turn
            raise KeyboardInterrupt
        clock.sleep(seconds)

    st = Store(db_path)
    try:
        sender = sender_for(st, smtp, clock)
        sender.pace.sleep = sleep
        with pytest.raises(KeyboardInterrupt):
            sender.run(drafted(st))
        states = [r[0] for r in st.conn.execute("SELECT state FROM outreach ORDER BY id")]
    finally:
        st.close()
    assert states == ["sent", "sent"] + ["drafted"] * 12
    assert len(smtp.handler.received) == 2


def test_two_runs_never_send_one_letter(fourteen_drafts: Path, db_path: Path,
                                        smtp: Server) -> None:
    from campaign.sending.run import claim

    st = Store(db_path)
    try:
        items = drafted(st)
        assert claim(st, items[0], "<a@x>", ("drafted",))  # another member's run took it
        outcome = sender_for(st, smtp, Clock()).run(items[:2])
    finally:
        st.close()
    assert [i.contact for i in outcome.taken] == ["Seán KELLY"]
    assert [i.contact for i in outcome.sent] == ["Zoë MÜLLER"]


def test_the_password_comes_from_env_then_keyring_then_a_prompt(
        monkeypatch: pytest.MonkeyPatch) -> None:
    acc = Account("smtp.example.org", 587, "jane@example.org", Security.starttls)
    assert password_for(acc, environ={"CAMPAIGN_SMTP_PASSWORD": "x1"}) == "x1"
    monkeypatch.setattr("campaign.sending.account._from_keyring", lambda a: "from-keyring")
    assert password_for(acc, environ={}) == "from-keyring"
    monkeypatch.setattr("campaign.sending.account._from_keyring", lambda a: None)
    asked = []
    assert password_for(acc, environ={}, interactive=True,
                        prompt=lambda q: asked.append(q) or "typed") == "typed"
    assert asked == ["Password for jane@example.org on smtp.example.org: "]
    with pytest.raises(CampaignError, match="CAMPAIGN_SMTP_PASSWORD"):
        password_for(acc, environ={}, interactive=False)
    assert password_for(Account("localhost", 25, None, Security.none), environ={}) is None


def test_account_settings_and_overrides() -> None:
    saved = {"smtp_host": "smtp.example.org", "smtp_user": "jane@example.org",
             "smtp_security": "ssl"}
    acc = account_from(saved)
    assert (acc.host, acc.port, acc.security) == ("smtp.example.org", 465, Security.ssl)
    acc = account_from(saved, host="mail.example.net", port=2525, security=Security.starttls)
    assert (acc.host, acc.port, acc.user) == ("mail.example.net", 2525, "jane@example.org")
    with pytest.raises(CampaignError, match="no mail server is set"):
        account_from({})
    with pytest.raises(UsageError):
        account_from({"smtp_host": "user@smtp.example.org"})


def test_which_file_is_sent(tmp_path: Path) -> None:
    (tmp_path / "a.eml").write_bytes(b"Subject: Hi\r\n\r\nBody\r\n")
    (tmp_path / "a.md").write_text("**Body**\n", encoding="utf-8")
    (tmp_path / "a.pdf").write_bytes(b"%PDF-1.7")
    eml, md, pdf = (str(tmp_path / n) for n in ("a.eml", "a.md", "a.pdf"))
    assert outgoing.choose_file([pdf, md, eml], set()) == (Path(eml), None)
    assert outgoing.choose_file([pdf, md], set()) == (Path(md), None)
    path, why = outgoing.choose_file([pdf], set())
    assert path is None and "only a PDF" in str(why)
    path, why = outgoing.choose_file([md], {md})
    assert path is None and "combined file" in str(why)
    path, why = outgoing.choose_file([str(tmp_path / "gone.eml")], set())
    assert path is None and "no longer at" in str(why)
    assert outgoing.read_draft(Path(eml)) == ("Hi", "Body\n", None)
    assert outgoing.read_draft(Path(md)) == (None, "Body\n", None)


def test_a_word_draft_is_read_as_text(tmp_path: Path) -> None:
    import docx

    doc = docx.Document()
    doc.core_properties.title = "Political prisoners in Kazakhstan"
    doc.add_paragraph("Dear Seán Kelly,")
    doc.add_paragraph("Please raise the case — спасибо.")
    doc.save(str(tmp_path / "a.docx"))
    subject, body, _ = outgoing.read_draft(tmp_path / "a.docx")
    assert subject == "Political prisoners in Kazakhstan"
    assert body == "Dear Seán Kelly,\n\nPlease raise the case — спасибо."


def test_similar_letters_and_letters_already_sent() -> None:
    base = " ".join(f"word{i}" for i in range(200))
    a = similar.fingerprint(f"Dear Ana Gomes,\n\n{base}", ["Ana Gomes"])
    b = similar.fingerprint(f"Dear Eva Joly,\n\n{base}", ["Eva Joly"])
    c = similar.fingerprint(" ".join(f"other{i}" for i in range(200)))
    assert similar.decode(similar.encode(a)) == a
    found = similar.too_alike([a, b, c], ["m1", "m2", "m3"], {"m3": [(9, c)]})
    assert [(x.index, x.other, x.sent_entry) for x in found] == [(1, 0, None), (2, None, 9)]
    assert found[0].similarity == 1.0


@pytest.mark.parametrize(("text", "per_minute"), [("10/min", 10.0), ("300/h", 5.0),
                                                  ("2", 2.0), ("0.5/minute", 0.5)])
def test_rate(text: str, per_minute: float) -> None:
    from campaign.cli.send import parse_rate

    assert parse_rate(text) == per_minute


@pytest.mark.parametrize("text", ["fast", "0/min", "-1/min", "10/day", ""])
def test_bad_rate(text: str) -> None:
    from campaign.cli.send import parse_rate

    with pytest.raises(UsageError, match="N/min"):
        parse_rate(text)


def test_the_progress_bar_runs_the_same_send(fourteen_drafts: Path, db_path: Path,
                                             smtp: Server) -> None:
    from campaign.cli.send import _with_bar

    st = Store(db_path)
    try:
        outcome = _with_bar(sender_for(st, smtp, Clock()), drafted(st)[:3], ("drafted",))
    finally:
        st.close()
    assert isinstance(outcome, Outcome) and len(outcome.sent) == 3
    assert len(smtp.handler.received) == 3
