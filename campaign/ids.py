"""Record ids typed by a user: ASCII digits, nothing else.

``int()`` accepts far more than an id: ``1_0`` is 10, ``٣`` (Arabic-Indic three) is 3,
``  7 `` is 7. A command that removes record ``1_0`` must not remove record 10, so an id
from the command line is read here, by one rule, and anything else is refused.
"""

from __future__ import annotations

import re

from campaign.errors import NotFoundError, UsageError

_ID = re.compile(r"[0-9]{1,19}")
# The largest id the store (SQLite INTEGER) holds.
_MAX = 2**63 - 1


def parse_id(text: str | int, what: str, hint: str, called: str | None = None) -> int:
    """``text`` as a record id: ASCII digits (a leading ``#`` allowed, as lists show it),
    else a UsageError naming ``what`` (``called``, e.g. "an event id", says it shorter);
    an id past what the store holds is not found."""
    if isinstance(text, int) and not isinstance(text, bool):
        text = str(text)
    raw = str(text).strip()
    digits = raw[1:] if raw.startswith("#") else raw
    if not digits.isascii() or not digits.isdigit():
        raise UsageError(f"'{text}' is not {called or 'an id of a ' + what}",
                         f"ids are written in the digits 0-9; {hint}")
    if _ID.fullmatch(digits) is None or int(digits) > _MAX:
        raise NotFoundError(what, raw, hint=hint)
    return int(digits)
