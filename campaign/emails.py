"""Email addresses: exactly one plain address per field.

A contact's email, a profile's and ``--sender-email`` become the To and From of
.eml drafts. A list (``victim@gov.kz,spy@evil.org``), a display name, a line break
or a quote there would send a letter to someone the campaign never chose, so only
a single bare address is accepted, wherever it comes from. Kept free of pydantic so
that the commands that check an option need not import it.
"""

from __future__ import annotations

import re

# One address, as the address part of an email header: no display name, no list, no
# spaces, commas, semicolons, angle brackets, quotes or line breaks.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_EMAIL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")


def check_email(value: str) -> str:
    """``value`` if it is exactly one plain address, else ValueError saying what is wrong."""
    text = value.strip()
    if _CONTROL.search(text) or any(c in text for c in ",;<> \t\"()[]\\"):
        raise ValueError(f"{text!r} is not one email address: write a single address such "
                         "as name@example.org (no names, spaces, commas, angle brackets or "
                         "line breaks)")
    if not _EMAIL.fullmatch(text) or ".." in text:
        raise ValueError(f"'{text}' is not an email address (write name@example.org)")
    return text
