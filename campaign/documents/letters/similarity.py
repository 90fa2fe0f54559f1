"""How alike the letters of a merge are: offices discard identical mass letters.

Each body is compared without what is bound to differ (the recipient's name,
salutation and address, the date): word 3-gram shingles within each paragraph,
Jaccard similarity (shared shingles / all shingles of the two). A shingle is a
64-bit hash (``shingle_hashes``: the same numbers in every process and on every
machine, so a letter's hashes can be kept as its sketch in the log and compared
with a later letter's). Each paragraph is read and hashed once per merge (the
letters of a merge share most paragraphs), and each letter's shingles become one
integer's bits, so a pair costs an AND and a bit count.

Every pair is compared exactly up to ``EXACT_UP_TO`` letters (400: 79,800 pairs).
Beyond that, each letter is compared with ``PER_LETTER`` others drawn by a generator
seeded with the merge's size (so a re-run reports the same): the median is then
that of the sample, within ``median_error`` percentiles of the true one 95 times in
100, and the highest is the highest seen, which the report says. Letters with the
same shingles are found among all of them, sample or not, so an identical pair is
never missed. Two letters at ``NEAR`` (0.8) or more are "nearly identical": the
merge warns, says which paragraphs they share, and advises a personal note or
`profile set --about` (sending refuses at the same figure). A letter at ``LOGGED``
(0.5) or more like one already logged to the same recipient from another sender is
what WriteToThem freezes: letters.memory warns about that.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from campaign.memo import Memo

SHINGLE = 3
NEAR = 0.8
LOGGED = 0.5
EXACT_UP_TO = 400
PER_LETTER = 40  # beyond EXACT_UP_TO: each letter against this many others
METHOD = ("word 3-gram shingles, Jaccard similarity, after removing names, salutations, "
          "addresses and the date; every pair up to 400 letters, beyond that each letter "
          "against 40 others drawn at random (seeded)")

_WORD = re.compile(r"\w+")
_MASK = (1 << 64) - 1
# Odd 64-bit multipliers (from the golden ratio and xxHash): the words of a shingle
# land in different bits, so "a b c" and "c b a" are different shingles.
_K1, _K2 = 0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F

@dataclass
class Report:
    letters: int
    pairs: int
    highest: float
    median: float
    exact: bool
    # The nearly identical pairs (indexes into the letters, similarity), most alike first.
    near: list[tuple[int, int, float]] = field(default_factory=list)

    @property
    def median_error(self) -> float:
        """How far (in percentiles) a sampled median may be from the true median, 95
        times in 100: the sample's middle rank is off by 1.96 standard deviations of
        a binomial proportion, 1.96 x 0.5 / sqrt(pairs). Nil for an exact report."""
        return 0.0 if self.exact else 100 * 1.96 * 0.5 / self.pairs ** 0.5

    def line(self) -> str:
        if self.exact:
            return (f"similarity of the {self.letters:,} letters (all pairs): highest "
                    f"{self.highest:.2f}, median {self.median:.2f}")
        return (f"similarity of the {self.letters:,} letters (a sample of {self.pairs:,} "
                f"pairs): highest seen {self.highest:.2f}, median {self.median:.2f} (within "
                f"{self.median_error:.1f} percentiles of all pairs' median, 95% of the "
                f"time); identical letters are found among all of them")


def comparable(markdown: str, lines: Sequence[str], names: Sequence[str] = ()) -> str:
    """The body without what is bound to differ between recipients: the ``lines``
    (address, salutation, date) wherever a line is exactly one of them, and the
    recipient's ``names`` (and each word of them) wherever they stand as words."""
    drop = {r.strip() for r in lines if r and r.strip()}
    words = {w for n in names if n for w in n.split() if len(w) > 1}
    rows = markdown.splitlines()
    # The few lines that name the recipient, found by searching the text for each
    # word rather than each line for every word (a merge has ~40 lines a letter).
    named: set[int] = set()
    if words:
        import bisect

        text = "\n".join(rows)
        starts = [0]
        for row in rows[:-1]:
            starts.append(starts[-1] + len(row) + 1)
        for w in words:
            at = text.find(w)
            while at != -1:
                named.add(bisect.bisect_right(starts, at) - 1)
                at = text.find(w, at + 1)
    kept = []
    for n, ln in enumerate(rows):
        if ln.strip().rstrip("\\ ") in drop:
            continue
        if n in named:
            ln = _WORD.sub(lambda m: " " if m.group(0) in words else m.group(0), ln)
        kept.append(ln)
    return "\n".join(kept)


def shingles(text: str, k: int = SHINGLE) -> set[tuple[str, ...]]:
    """The word k-grams of each paragraph of a text (case-folded words; punctuation
    and markup ignored; none across a blank line). The plain reference for
    ``shingle_hashes``."""
    out: set[tuple[str, ...]] = set()
    for para in text.split("\n\n"):
        words = _WORD.findall(para.casefold())
        if len(words) < k:
            if words:
                out.add(tuple(words))
        else:
            out.update(zip(*(words[i:] for i in range(k)), strict=False))
    return out


def _word_hash(word: str) -> int:
    import hashlib

    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(),
                          "little")


def _word_parts(word: str) -> tuple[int, int, int]:
    """A word's hash h, and h·K1 and h·K2 modulo 2^64: what it adds to a shingle as its
    last, first and middle word."""
    h = _word_hash(word)
    return h, h * _K1 & _MASK, h * _K2 & _MASK


# word -> its parts, once per process (a merge's letters share most of their words), so
# a shingle costs two xors, not two 128-bit products.
_WORD_PARTS = Memo(_word_parts, 200_000)


def _paragraph_hashes(para: str) -> set[int]:
    """The shingles of one paragraph as 64-bit hashes: each case-folded word's BLAKE2b
    (8 bytes, little-endian), a 3-gram (a, b, c) as a·K1 xor b·K2 xor c modulo 2^64; a
    paragraph of one or two words is one shingle of them (a·K1, or a·K1 xor b·K2)."""
    known = _WORD_PARTS
    words = [known[w] for w in _WORD.findall(para.casefold())]
    if len(words) < SHINGLE:
        if not words:
            return set()
        return {words[0][1] ^ (words[1][2] if len(words) > 1 else 0)}
    return {a[1] ^ b[2] ^ c[0] for a, b, c in zip(words, words[1:], words[2:], strict=False)}


# paragraph -> its shingle hashes: the letters of a merge share most paragraphs, so
# each is hashed once per process, whoever asks first (the report, the log's sketch,
# the warning that names shared paragraphs).
_PARAGRAPHS: Memo[str, frozenset[int]] = Memo(
    lambda para: frozenset(_paragraph_hashes(para)), 50_000)
# ``_paragraph_hashes``, once per paragraph per process.
paragraph_hashes = _PARAGRAPHS.__getitem__


def text_hashes(text: str) -> frozenset[int]:
    """A text's shingles as 64-bit hashes (the union of its paragraphs')."""
    return frozenset().union(*map(paragraph_hashes, text.split("\n\n")))


def shingle_hashes(text: str) -> list[int]:
    """A text's shingles as sorted 64-bit integers, the same in every process, on every
    machine: what the report compares, and what the log keeps as a letter's sketch
    (give it ``letter_text``'s text). Two texts' Jaccard similarity is
    ``jaccard(set(a), set(b))`` of their hashes."""
    return sorted(text_hashes(text))


def jaccard(a: set[Any], b: set[Any]) -> float:
    """The plain reference: |a ∩ b| / |a ∪ b| (two empty bodies are identical)."""
    union = len(a | b)
    return len(a & b) / union if union else 1.0


def caches() -> list[dict[Any, Any]]:
    """What rendering a merge's letters fills (each paragraph's hashes, for the letter's
    sketch) and the report over them all reads after: a forked copy that renders half
    of them sends back what it added (campaign.parallel)."""
    return [_PARAGRAPHS]


# paragraph -> itself: a compared letter keeps its paragraphs as these, so the letters
# of a merge that share a paragraph (the case's story, a long --note) hold one copy of
# it, the forked copy's letters too once they are taken in (Letter.__setstate__).
_ONE_COPY: Memo[str, str] = Memo(lambda para: para, 50_000)


def one_copy(paragraphs: Iterable[str]) -> tuple[str, ...]:
    """The paragraphs, each as the one copy of its text this process keeps."""
    return tuple(map(_ONE_COPY.__getitem__, paragraphs))


def letter_paragraphs(letter: Any) -> Sequence[str]:
    """``letter_text``'s paragraphs (what the report reads), the letter's own if it
    carries them."""
    compared = getattr(letter, "compared", None)
    if compared is not None:  # worked out as it was rendered
        return compared
    return letter_text(letter).split("\n\n")


def letter_text(letter: Any) -> str:
    """A Letter's body as compared: its recipient's names, salutation, address lines
    and date taken out. A letter to an official carries it, worked out once as it was
    rendered, as its paragraphs (the report, the log's sketch and the echo warning
    all read it)."""
    compared = getattr(letter, "compared", None)
    if compared is not None:  # worked out as it was rendered
        return "\n\n".join(compared)
    ctx = letter.context
    recipient = ctx.get("recipient", {})
    lines = [*recipient.get("address_lines", []), ctx.get("salutation", ""),
             ctx.get("date_text", "")]
    names = [recipient.get("display_name", ""), recipient.get("name", "")]
    return comparable(letter.markdown, lines, names)


def report(texts: Sequence[str], *, exact_up_to: int = EXACT_UP_TO,
           per_letter: int = PER_LETTER) -> Report:
    """The highest and the median similarity between any two of ``texts``."""
    return report_paragraphs([text.split("\n\n") for text in texts],
                             exact_up_to=exact_up_to, per_letter=per_letter)


def report_paragraphs(letters: Sequence[Sequence[str]], *, exact_up_to: int = EXACT_UP_TO,
                      per_letter: int = PER_LETTER) -> Report:
    """``report`` of texts given as their paragraphs (``letter_paragraphs``)."""
    # Each paragraph's shingles as one integer's bits, hashed once: the letters of a
    # merge share most paragraphs, so a letter is the OR of a few cached integers.
    index: dict[int, int] = {}
    paragraphs: dict[str, int] = {}
    bits = []
    for paras in letters:
        value = 0
        for para in paras:
            found = paragraphs.get(para)
            if found is None:
                found = paragraphs[para] = _bits(
                    [index.setdefault(h, len(index)) for h in paragraph_hashes(para)])
            value |= found
        bits.append(value)
    return _report(bits, exact_up_to, per_letter)


def report_sketches(sketches: Sequence[Iterable[int]], *, exact_up_to: int = EXACT_UP_TO,
                    per_letter: int = PER_LETTER) -> Report:
    """``report`` of letters given by their shingle hashes (``shingle_hashes``)."""
    return _report(as_bits(sketches), exact_up_to, per_letter)


def as_bits(sketches: Iterable[Iterable[int]]) -> list[int]:
    """Each letter's shingle hashes as the bits of one integer (one bit per distinct
    hash among them all), so a pair costs an AND and a bit count."""
    index: dict[int, int] = {}
    return [_bits([index.setdefault(h, len(index)) for h in sketch]) for sketch in sketches]


def _bits(positions: Sequence[int]) -> int:
    """An integer with these bits set. Set in a byte buffer and converted once: each
    ``value |= 1 << k`` would make a new integer as wide as the highest bit (thousands
    of bits in a merge), once for every shingle."""
    if not positions:
        return 0
    buf = bytearray((max(positions) >> 3) + 1)
    for k in positions:
        buf[k >> 3] |= 1 << (k & 7)
    return int.from_bytes(buf, "little")


def _report(bits: list[int], exact_up_to: int, per_letter: int) -> Report:
    n = len(bits)
    if n < 2:
        return Report(n, 0, 0.0, 0.0, True)
    sizes = [b.bit_count() for b in bits]
    exact = n <= exact_up_to or n - 1 <= per_letter
    sims: list[float] = []
    near: list[tuple[int, int, float]] = []
    if exact:
        for i in range(n - 1):
            bi, si = bits[i], sizes[i]
            shared = [(bi & b).bit_count() for b in bits[i + 1:]]
            row = [sh / u if (u := si + sz - sh) else 1.0
                   for sh, sz in zip(shared, sizes[i + 1:], strict=True)]
            sims += row
            if max(row) >= NEAR:
                near += [(i, i + 1 + k, s) for k, s in enumerate(row) if s >= NEAR]
    else:
        import random

        # Each letter against per_letter others drawn without replacement, seeded (the
        # same merge gives the same report). Drawn with random() rather than sample():
        # the same uniform draw (to 2^-53), at a fifth of the cost, which was a third
        # of the report's.
        draw = random.Random(n).random
        m = n - 1
        for i in range(n):
            bi, si = bits[i], sizes[i]
            chosen: dict[int, None] = {}
            while len(chosen) < per_letter:
                chosen[int(draw() * m)] = None
            others = [j + (j >= i) for j in chosen]  # anyone but i
            row = [sh / u if (u := si + sizes[j] - sh) else 1.0
                   for j in others for sh in ((bi & bits[j]).bit_count(),)]
            sims += row
            if max(row) >= NEAR:
                near += [(min(i, j), max(i, j), s) for j, s in zip(others, row, strict=True)
                         if s >= NEAR]
        # Letters with the same shingles (similarity 1) are found whatever the sample.
        first: dict[int, int] = {}
        for k, b in enumerate(bits):
            if b in first:
                near.append((first[b], k, 1.0))
                sims.append(1.0)
            else:
                first[b] = k
        near = list({(i, j): (i, j, s) for i, j, s in near}.values())
    near.sort(key=lambda t: (-t[2], t[0], t[1]))
    sims.sort()
    mid = len(sims) // 2
    median = sims[mid] if len(sims) % 2 else (sims[mid - 1] + sims[mid]) / 2
    return Report(n, len(sims), sims[-1], median, exact, near)
