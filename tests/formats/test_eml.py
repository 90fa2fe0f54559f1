"""Email drafts parsed back with the stdlib `email` package, as a mail client would."""

from __future__ import annotations

import datetime as dt
import email
from email import policy

from campaign.formats.eml import to_eml

BODY = "Dear Seán Kelly,\n\nСолидарность с рабочими Жанаозена — 16 December 2011.\n"


def parse(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=policy.default)  # type: ignore[return-value]


def test_headers_and_utf8_body() -> None:
    data = to_eml(BODY, subject="Political prisoners in Kazakhstan — Zhanaozen",
                  to_name="Seán Kelly", to_email="sean.kelly@europarl.europa.eu",
                  from_name="Jane Doe", from_email="jane@example.org",
                  date=dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC))
    assert b"\r\n" in data  # SMTP line endings
    msg = parse(data)
    assert msg["To"].addresses[0].addr_spec == "sean.kelly@europarl.europa.eu"
    assert msg["To"].addresses[0].display_name == "Seán Kelly"
    assert msg["From"].addresses[0].addr_spec == "jane@example.org"
    assert msg["Subject"] == "Political prisoners in Kazakhstan — Zhanaozen"
    assert msg["X-Unsent"] == "1"
    assert msg["Date"].datetime.year == 2026
    assert msg.get_content_type() == "text/plain"
    assert msg.get_content_charset() == "utf-8"
    assert msg.get_content().replace("\r\n", "\n") == BODY


def test_no_to_and_no_from_when_unknown() -> None:
    msg = parse(to_eml("Hello\n", subject="S"))
    assert msg["To"] is None and msg["From"] is None
    assert msg["Subject"] == "S" and msg["Date"] is not None and msg["X-Unsent"] == "1"
    assert msg.get_content().replace("\r\n", "\n") == "Hello\n"


def test_subject_is_one_line() -> None:
    msg = parse(to_eml("x\n", subject="Line one\nInjected: header"))
    assert msg["Subject"] == "Line one Injected: header"
    assert msg["Injected"] is None
