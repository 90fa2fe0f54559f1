"""RFC 5322 email drafts (.eml) that a mail client opens ready to edit and send.

Stdlib ``email`` only. ``To`` is set only from an address a source gave or a
user typed (never guessed); ``From`` only when the sender gave one. ``X-Unsent: 1``
makes Outlook and Thunderbird open the file as a draft rather than a received mail;
a ``Message-ID`` (on the sender's domain when known) lets a mail client file it and
thread a reply to it.
"""

from __future__ import annotations

import datetime as dt
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid


def _address(name: str | None, email: str) -> Address:
    local, _, domain = email.strip().rpartition("@")
    return Address(display_name=name or "", username=local, domain=domain)


def to_eml(
    body: str,
    *,
    subject: str,
    to_name: str | None = None,
    to_email: str | None = None,
    from_name: str | None = None,
    from_email: str | None = None,
    date: dt.datetime | None = None,
) -> bytes:
    """A plain-text UTF-8 draft. Headers with non-ASCII names are RFC 2047 encoded."""
    msg = EmailMessage(policy=policy.SMTP)
    if from_email:
        msg["From"] = _address(from_name, from_email)
    if to_email:
        msg["To"] = _address(to_name, to_email)
    msg["Subject"] = " ".join(subject.split())
    msg["Date"] = format_datetime((date or dt.datetime.now()).astimezone())
    domain = from_email.strip().rpartition("@")[2] if from_email else "campaign.invalid"
    msg["Message-ID"] = make_msgid(idstring="letter", domain=domain or "campaign.invalid")
    msg["X-Unsent"] = "1"
    msg.set_content(body, charset="utf-8")
    return msg.as_bytes()
