"""What the outreach log remembers of each letter: the case it took up and a sketch of
its text, so a re-run keeps its case and a new letter can be compared with those
already drafted to the same recipient by other senders.

WriteToThem freezes a letter more than half like an earlier one to the same
representative, and Parliament offices discard look-alike mail: a branch whose
letter is 0.5 or more like another branch's, already logged to the same MEP, is
warned, with the earlier sender and date, the paragraphs the two share, and what to
do about it (``--note``, ``campaign profile set --about``).

The sketch is the letter's word 3-gram shingles (as the similarity report reads
them: names, salutation, address and date left out), each hashed to 32 bits, sorted
and packed: about 2 KB for a page, and an exact Jaccard similarity, not an estimate.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from campaign.store import Store

# A paragraph counts as shared when this share of its shingles is in the other letter.
PARAGRAPH_SHARED = 0.5
# Paragraphs shorter than this many shingles (a salutation, "Yours sincerely") are
# alike in every letter and say nothing about a copy.
PARAGRAPH_MIN = 6


def _hash(shingle: tuple[str, ...]) -> int:
    return int.from_bytes(hashlib.blake2b(" ".join(shingle).encode("utf-8"),
                                          digest_size=4).digest(), "big")


# paragraph -> its shingles' hashes: a merge's letters share most of their paragraphs,
# so each is hashed once per process, not once per letter (the values, which stored
# sketches hold, are unchanged: a text's shingles are its paragraphs' together).
_PARAGRAPH_HASHES: dict[str, frozenset[int]] = {}
# shingle -> _hash(shingle): the paragraphs that differ still share most shingles.
_SHINGLE_HASHES: dict[tuple[str, ...], int] = {}


def _hashed(shingle: tuple[str, ...]) -> int:
    found = _SHINGLE_HASHES.get(shingle)
    if found is None:
        found = _SHINGLE_HASHES[shingle] = _hash(shingle)
    return found


def hashes(text: str) -> set[int]:
    """The 32-bit hashes of a compared text's word 3-grams."""
    from campaign.documents.letters.similarity import shingles

    known = _PARAGRAPH_HASHES
    if len(known) > 20_000 or len(_SHINGLE_HASHES) > 200_000:  # not a leak
        known.clear()
        _SHINGLE_HASHES.clear()
    out: set[int] = set()
    for para in text.split("\n\n"):
        found = known.get(para)
        if found is None:
            found = known[para] = frozenset(map(_hashed, shingles(para)))
        out |= found
    return out


def sketch(text: str) -> str:
    """A compact, exact record of a compared text: its shingle hashes, packed (32-bit
    big-endian, ascending)."""
    found = sorted(hashes(text))
    packed = struct.pack(f">{len(found)}I", *found)
    return base64.b64encode(packed).decode("ascii")


def unsketch(value: str | None) -> set[int]:
    """The hashes of a stored sketch (none for a row logged before sketches existed)."""
    if not value:
        return set()
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
    except ValueError:
        return set()
    return {int.from_bytes(raw[i:i + 4], "big") for i in range(0, len(raw) - 3, 4)}


def similarity(a: set[int], b: set[int]) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 1.0


def shared_paragraphs(text: str, other: set[int]) -> list[str]:
    """The paragraphs of ``text`` that are mostly in ``other`` (a set of hashes), the
    longest first (what makes two letters one), each named by its opening words, as a
    warning can quote them."""
    found = []
    for para in text.split("\n\n"):
        own = hashes(para)
        if len(own) < PARAGRAPH_MIN:
            continue
        if len(own & other) / len(own) >= PARAGRAPH_SHARED:
            found.append((len(own), opening_words(para)))
    return [words for _, words in sorted(found, key=lambda t: -t[0])]


def opening_words(paragraph: str, words: int = 6) -> str:
    """'“I am writing to you on behalf of …”': a paragraph as a reader finds it."""
    plain = " ".join(paragraph.replace("**", "").split())
    head = plain.split(" ")
    return "“" + " ".join(head[:words]) + (" …”" if len(head) > words else "”")


def advice(paragraphs: Sequence[str]) -> str:
    shared = (f"they share the paragraphs beginning {', '.join(paragraphs[:3])}"
              + (f" and {len(paragraphs) - 3} more" if len(paragraphs) > 3 else "")
              if paragraphs else "they share most of their wording")
    return (f"{shared}; add your own paragraph with --note, or say who you are with "
            "`campaign profile set --about`")


@dataclass
class Echo:
    """A new letter too like one already logged to the same recipient by another sender."""

    recipient: str
    earlier_sender: str
    earlier_date: str
    similarity: float
    paragraphs: list[str]

    def line(self) -> str:
        from campaign import dates

        return (f"the letter to {self.recipient} is {self.similarity:.2f} like the one "
                f"{self.earlier_sender} drafted to them on {dates.human(self.earlier_date)} "
                "(WriteToThem freezes a letter more than half like an earlier one); "
                + advice(self.paragraphs))


def echoes(store: Store, letters: Sequence[Any], sender: str | None) -> list[Echo]:
    """For each letter, the most similar letter already logged to the same recipient
    by another sender, where the two are ``similarity.LOGGED`` or more alike."""
    from campaign.documents.letters.similarity import LOGGED, letter_text

    ids = sorted({ltr.contact_id for ltr in letters if ltr.contact_id})
    if not ids:
        return []
    marks = ", ".join("?" for _ in ids)
    logged: dict[str, list[tuple[str, str, set[int]]]] = {}
    for contact, who, created, value in store.conn.execute(
            "SELECT contact_id, coalesce(sender, ''), created, sketch FROM outreach "
            f"WHERE sketch IS NOT NULL AND contact_id IN ({marks}) ORDER BY id", ids):
        if who and who != sender:
            logged.setdefault(contact, []).append((who, created, unsketch(value)))
    found = []
    for ltr in letters:
        earlier = logged.get(ltr.contact_id or "")
        if not earlier:
            continue
        text = letter_text(ltr)
        mine = hashes(text)
        sim, who, created, theirs = max(((similarity(mine, h), w, c, h)
                                         for w, c, h in earlier), key=lambda t: t[0])
        if sim >= LOGGED:
            found.append(Echo(ltr.recipient, who, created[:10], sim,
                              shared_paragraphs(text, theirs)))
    return found


def remember(store: Store, letters: Sequence[Any]) -> None:
    """On each logged letter's outreach row (inside the commit's transaction): the case
    it took up and the sketch of its text."""
    from campaign.documents.letters.similarity import letter_text

    for ltr in letters:
        if not ltr.contact_id:
            continue
        case = (ltr.context.get("case") or {}).get("id")
        store.conn.execute(
            "UPDATE outreach SET case_id = coalesce(?, case_id), sketch = ? WHERE id = "
            "(SELECT max(id) FROM outreach WHERE contact_id = ? AND digest = ?)",
            (case, sketch(letter_text(ltr)), ltr.contact_id, ltr.digest))
