"""Many voices, not one copy: which version of each paragraph a letter uses, which
case it takes up, and what it asks.

Parliament mail systems quarantine large numbers of identical messages, and
WriteToThem freezes a letter more than half like an earlier one: a coalition of
branches sending the same text is discarded as one mass mailing. So every paragraph
of a letter is written in several genuinely different ways (in the templates), and a
letter uses the version chosen by a stable hash of the sender (name and
organisation) and the recipient: never random at run time, so the same sender
re-running gets the same letters, and tests can pin them.

Cases are dealt the way adopt-a-prisoner campaigns work: by a permutation of the
cases seeded by the sender, so different senders start from different people; a case
already logged for (sender, recipient) is kept. Asks fit the recipient's powers: a
member of the human-rights subcommittee can press for an urgency resolution, a member
of the Central Asia delegation can raise a case at its next meeting with Kazakh
parliamentarians, and any MEP can table a written question, speak on the
anniversary, adopt the prisoner and ask the EEAS for news of them.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from typing import Any

# How many versions each paragraph of a letter has in the built-in templates. A
# user's template reads the same numbers (``v.<part>``) and may ignore them.
PARTS = {"order": 3, "open": 4, "now": 4, "happened": 4, "why": 3, "case": 4, "asks": 4,
         "reply": 4}


def sender_key(sender: dict[str, Any] | Any) -> str:
    """Who is writing, as the hash sees it: name and organisation."""
    name = sender["name"] if isinstance(sender, dict) else sender.name
    org = sender.get("org") if isinstance(sender, dict) else sender.org
    return f"{(name or '').strip().casefold()}|{(org or '').strip().casefold()}"


def pick(*keys: str, n: int) -> int:
    """A stable choice in range(n) from the keys (SHA-256: the same on every machine and
    every run, unlike Python's salted hash())."""
    digest = hashlib.sha256("\x1f".join(keys).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % n if n > 0 else 0


def versions(sender: str, recipient: str, parts: dict[str, int] | None = None
             ) -> dict[str, int]:
    """The version of each paragraph for one letter: {part: index}."""
    return {part: pick(sender, recipient, part, n=n) for part, n in (parts or PARTS).items()}


def deal(sender: str, recipients: Sequence[str], cases: Sequence[dict[str, Any]], *,
         kept: dict[str, str] | None = None, shuffle: bool = True,
         avoid: dict[str, set[str]] | None = None) -> list[dict[str, Any] | None]:
    """One case for each recipient (ids, in the merge's stable order): a case logged
    for (sender, recipient) before is kept (``kept``: recipient -> person id); the
    rest are dealt from a permutation of ``cases`` seeded by the sender (``shuffle``
    False keeps the user's own order, as --prisoner gives it), skipping cases already
    taken while there are others left, so n recipients get n different cases while
    there are enough. ``avoid`` (recipient -> case ids) holds the cases other members
    of a coalition raised with that recipient lately: a case none of them raised is
    taken first, while there is one."""
    if not cases:
        return [None] * len(recipients)
    by_id = {c["id"]: c for c in cases}
    order = list(cases)
    if shuffle:
        rng = random.Random(int.from_bytes(hashlib.sha256(sender.encode()).digest()[:8], "big"))
        rng.shuffle(order)
    kept = kept or {}
    out: list[dict[str, Any] | None] = [by_id.get(kept.get(r, "")) for r in recipients]
    taken = {c["id"] for c in out if c}
    for n, found in enumerate(out):
        if found is not None:
            continue
        free = [c for c in order if c["id"] not in taken]
        if not free:  # more recipients than cases: start the round again
            taken = set()
            free = order
        raised = (avoid or {}).get(recipients[n], set())
        fresh = [c for c in free if c["id"] not in raised] or \
            [c for c in order if c["id"] not in raised]
        if fresh:
            free = fresh
        out[n] = free[0]
        taken.add(free[0]["id"])
    return out


# -- the asks ----------------------------------------------------------------

def mep_asks(roles: Sequence[dict[str, Any]], case: dict[str, Any] | None,
             occasion: dict[str, Any] | None, key: str) -> list[dict[str, str]]:
    """Two or three actions this MEP can take, as {"id", "text"} infinitive phrases
    ("table a written question to …"): the ones only their role allows first, then
    those any MEP can take, chosen by ``key`` so letters differ."""
    who = case["name"] if case else "those still held"
    asks: list[dict[str, str]] = []
    droi = next((r for r in roles if r.get("droi")), None)
    dcas = next((r for r in roles if r.get("dcas")), None)
    if droi:
        asks.append({"id": "urgency", "text": "press in the Subcommittee on Human Rights for "
                     f"an urgency resolution on Kazakhstan that names {who}"})
    if dcas:
        asks.append({"id": "delegation", "text": f"raise the case of {who} at the "
                     "delegation's next meeting with Kazakh parliamentarians"})
    general = [
        {"id": "question", "text": "table a written question to the High Representative / "
         f"Vice-President asking what the EU has done about {who}"},
        {"id": "eeas", "text": "seek, through the European External Action Service, "
         f"information on the whereabouts, health and legal status of {who}"},
        {"id": "adopt", "text": f"adopt {who} as a prisoner you speak for (as MEPs do for "
         "Belarus's political prisoners)"} if case else None,
        {"id": "statement", "text": "make a public statement on the "
         f"{occasion['ordinal']} anniversary of {occasion.get('what') or 'the shootings'}"
         if occasion else ""}
        if occasion and occasion.get("type") == "anniversary" else None,
    ]
    pool = [a for a in general if a]
    start = pick(key, "asks", n=len(pool))
    pool = pool[start:] + pool[:start]
    # Three when the role gives some (the role's first, at most two); else two or three.
    total = 3 if asks else 2 + pick(key, "how-many", n=2)
    mine = asks[:2]
    return mine + pool[:total - len(mine)]


def envoy_asks(case: dict[str, Any] | None, excellency: bool,
               to: str = "embassy") -> list[dict[str, str]]:
    """What an embassy can do: transmit the concern to the government, and give
    information on the prisoner; an authority (the government itself) is asked for the
    information."""
    del excellency  # the templates address the reader; the asks are the same
    who = case["name"] if case else "those still held"
    if to == "authority":
        return [{"id": "information", "text": f"make known where {who} is held, in what "
                 "health and with what legal status, or whether they have been released"}]
    return [
        {"id": "transmit", "text": "transmit this letter and its concern to the Government "
         "of Kazakhstan"},
        {"id": "information", "text": f"let me know where {who} is held, in what health and "
         "with what legal status, or whether they have been released"},
    ]
