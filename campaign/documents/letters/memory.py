"""What the outreach log remembers of each letter: the case it took up and a sketch of
its text, so a re-run keeps its case and a new letter can be compared with those
already drafted to the same recipient by other senders.

WriteToThem freezes a letter more than half like an earlier one to the same
representative, and Parliament offices discard look-alike mail: a branch whose
letter is 0.5 or more like another branch's, already logged to the same MEP, is
warned, with the earlier sender and date, the paragraphs the two share, and what to
do about it (``--note``, ``campaign profile set --about``).

The sketch is the letter's word 3-gram shingles as the similarity report reads them
(names, salutation, address and date left out): the report's own 64-bit hashes
(similarity.paragraph_hashes, worked out once per paragraph), each kept to its low 32
bits and packed behind a "2:" mark: about 2 KB for a page, and an exact Jaccard
similarity, not an estimate. A sketch without the mark was written before the report
and the log shared their hashes (each shingle's own 32-bit BLAKE2b); a new letter is
compared with one of those by that older rule.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from campaign.memo import Memo
from campaign.store import Store

# A paragraph counts as shared when this share of its shingles is in the other letter.
PARAGRAPH_SHARED = 0.5
# Paragraphs shorter than this many shingles (a salutation, "Yours sincerely") are
# alike in every letter and say nothing about a copy.
PARAGRAPH_MIN = 6


_LOW = 0xFFFFFFFF
_VERSION = "2:"


def _legacy_hash(shingle: tuple[str, ...]) -> int:
    return int.from_bytes(hashlib.blake2b(" ".join(shingle).encode("utf-8"),
                                          digest_size=4).digest(), "big")


def _legacy_paragraph(para: str) -> frozenset[int]:
    from campaign.documents.letters.similarity import shingles

    return frozenset(map(_legacy_hash, shingles(para)))


def _low_paragraph(para: str) -> frozenset[int]:
    """A paragraph's hashes as its packed sketch holds them (``_packed_paragraph`` is
    the one rule for what a sketch keeps)."""
    return frozenset(_unpack(_PACKED[para]))


def _unpack(raw: bytes) -> set[int]:
    """Packed 32-bit big-endian hashes as a set (a trailing part of one is ignored)."""
    return {int.from_bytes(raw[i:i + 4], "big") for i in range(0, len(raw) - 3, 4)}


def _paragraphs(text: str | Sequence[str]) -> Sequence[str]:
    """A compared text's paragraphs (given as the text, or as its paragraphs)."""
    return text.split("\n\n") if isinstance(text, str) else text


# paragraph -> its shingles' hashes by the older rule, for comparing with sketches
# logged before the report's hashes were kept; and as a sketch keeps them now. Each
# worked out once per paragraph, as the report's own are (the letters of a merge
# share most paragraphs).
_LEGACY = Memo(_legacy_paragraph, 20_000)
_LOW_PARAGRAPHS = Memo(_low_paragraph, 50_000)


def legacy_hashes(text: str) -> frozenset[int]:
    """A compared text's shingle hashes by the rule of the first sketches (each
    shingle's 32-bit BLAKE2b), to compare with a sketch logged then."""
    return frozenset().union(*map(_LEGACY.__getitem__, text.split("\n\n")))


def hashes(text: str | Sequence[str]) -> frozenset[int]:
    """A compared text's shingle hashes as a sketch keeps them (the text, or its
    paragraphs)."""
    return frozenset().union(*map(_LOW_PARAGRAPHS.__getitem__, _paragraphs(text)))


def _packed_paragraph(para: str) -> bytes:
    """A paragraph's shingle hashes as a sketch keeps them: the low 32 bits of each of
    the report's, as 32-bit big-endian integers (the wide array's halves taken whole,
    not one integer at a time)."""
    import array
    import sys

    from campaign.documents.letters.similarity import paragraph_hashes

    found = paragraph_hashes(para)
    wide = array.array("Q", found)
    narrow = array.array("I")
    if wide.itemsize != 8 or narrow.itemsize != 4:  # C types of other sizes
        return struct.pack(f">{len(found)}I", *(h & _LOW for h in found))
    narrow.frombytes(wide.tobytes())
    if sys.byteorder == "little":  # the low half of each comes first
        narrow = narrow[::2]
        narrow.byteswap()
    else:
        narrow = narrow[1::2]
    return narrow.tobytes()


# paragraph -> its hashes packed as a sketch keeps them, once per paragraph per process.
_PACKED = Memo(_packed_paragraph, 50_000)


def sketch(text: str | Sequence[str]) -> str:
    """A compact, exact record of a compared text: its shingle hashes (the low 32 bits
    of the report's), packed (the text, or its paragraphs). Each paragraph's are
    packed once per process and a letter's sketch is its paragraphs' in turn, so a
    shingle in two of its paragraphs is there twice (one in twenty): a sketch is read
    as a set (``unsketch``), the same set as ``hashes``."""
    raw = b"".join(map(_PACKED.__getitem__, _paragraphs(text)))
    return _VERSION + base64.b64encode(raw).decode("ascii")


@dataclass(frozen=True)
class Sketch:
    """A stored sketch: its hashes, and whether they are by the older rule."""

    hashes: set[int]
    legacy: bool = False

    def of(self, text: str) -> frozenset[int]:
        """``text``'s hashes by the same rule as this sketch's."""
        return legacy_hashes(text) if self.legacy else hashes(text)


def unsketch(value: str | None) -> Sketch:
    """A stored sketch (empty for a row logged before sketches existed)."""
    if not value:
        return Sketch(set())
    legacy = not value.startswith(_VERSION)
    try:
        raw = base64.b64decode(value.removeprefix(_VERSION).encode("ascii"), validate=True)
    except ValueError:
        return Sketch(set())
    return Sketch(_unpack(raw), legacy)


def similarity(a: set[int] | frozenset[int], b: set[int] | frozenset[int]) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 1.0


def shared_paragraphs(text: str, other: set[int] | frozenset[int],
                      rule: Callable[[str], set[int] | frozenset[int]] | None = None
                      ) -> list[str]:
    """The paragraphs of ``text`` that are mostly in ``other`` (a set of hashes by
    ``rule``: the report's 64-bit ones unless said), the longest first (what makes two
    letters one), each named by its opening words, as a warning can quote them."""
    from campaign.documents.letters.similarity import paragraph_hashes

    rule = rule or paragraph_hashes
    found = []
    for para in text.split("\n\n"):
        own = rule(para)
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
    logged: dict[str, list[tuple[str, str, Sketch]]] = {}
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
        sim, who, created, theirs = max(((similarity(k.of(text), k.hashes), w, c, k)
                                         for w, c, k in earlier), key=lambda t: t[0])
        if sim >= LOGGED:
            found.append(Echo(ltr.recipient, who, created[:10], sim,
                              shared_paragraphs(text, theirs.hashes, theirs.of)))
    return found


def remember(store: Store, letters: Sequence[Any]) -> None:
    """On each logged letter's outreach row (inside the commit's transaction): the case
    it took up and the sketch of its text."""
    from campaign.documents.letters.similarity import letter_text

    rows = [((ltr.context.get("case") or {}).get("id"),
             getattr(ltr, "sketch", None) or sketch(letter_text(ltr)), ltr.contact_id,
             ltr.digest) for ltr in letters if ltr.contact_id]
    if rows:  # one statement for them all: one round trip a batch on PostgreSQL
        store.conn.executemany(
            "UPDATE outreach SET case_id = coalesce(?, case_id), sketch = ? WHERE id = "
            "(SELECT max(id) FROM outreach WHERE contact_id = ? AND digest = ?)", rows)
