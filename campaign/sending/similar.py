"""How alike the letters to send are, to each other and to letters already sent.

The European Parliament's mail system quarantines large numbers of identical
messages, and an office that gets the same letter twice reads neither. Letters are
compared as the letters' own report compares them (word 3-gram shingles, Jaccard:
``campaign.documents.letters.similarity``), with the recipient's names taken out.
What is kept of a sent letter is only its shingles, each hashed to 32 bits, so a
later run (or another member of a shared store) can compare against it without the
store keeping the letter's words.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from campaign.documents.letters.similarity import as_bits, comparable, shingles

# Letters this alike (or more) are not sent without --allow-similar.
REFUSE_FROM = 0.8


def fingerprint(text: str, names: Sequence[str] = ()) -> set[int]:
    body = comparable(text, (), [n for n in names if n])
    return {int.from_bytes(hashlib.blake2b(" ".join(s).encode("utf-8"), digest_size=4)
                           .digest(), "big") for s in shingles(body)}


def encode(fp: set[int]) -> str:
    return " ".join(f"{h:08x}" for h in sorted(fp))


def decode(text: str | None) -> set[int]:
    if not text:
        return set()
    try:
        return {int(h, 16) for h in text.split()}
    except ValueError:
        return set()


def jaccard(a: set[int], b: set[int]) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 1.0


@dataclass
class Alike:
    """One letter too close to another: indexes into the run, or a sent entry's id."""

    index: int
    other: int | None  # another letter of this run
    sent_entry: int | None  # or a letter already sent to the same recipient
    similarity: float


def too_alike(fps: Sequence[set[int]], contacts: Sequence[str],
              sent: dict[str, list[tuple[int, set[int]]]],
              threshold: float = REFUSE_FROM) -> list[Alike]:
    """Each letter of the run at ``threshold`` or more to an earlier one of the run, or
    to a letter already sent to its recipient. Shingles as bits of one integer, so a
    pair costs an AND and a bit count (705 letters: about 250,000 pairs)."""
    bits = as_bits(fps)
    sizes = [b.bit_count() for b in bits]
    found: list[Alike] = []
    for i in range(len(fps)):
        best: Alike | None = None
        for j in range(i):
            shared = (bits[i] & bits[j]).bit_count()
            union = sizes[i] + sizes[j] - shared
            sim = shared / union if union else 1.0
            if sim >= threshold and (best is None or sim > best.similarity):
                best = Alike(i, j, None, sim)
        for entry_id, old in sent.get(contacts[i], []):
            sim = jaccard(fps[i], old)
            if sim >= threshold and (best is None or sim > best.similarity):
                best = Alike(i, None, entry_id, sim)
        if best is not None:
            found.append(best)
    return found
