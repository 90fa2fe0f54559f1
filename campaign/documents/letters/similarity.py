"""How alike the letters of a merge are: offices discard identical mass letters.

Each body is compared without what is bound to differ (the recipient's name,
salutation and address, the date): word 3-gram shingles, Jaccard similarity
(shared shingles / all shingles of the two). Every pair is compared exactly up
to ``EXACT_UP_TO`` letters (400: 79,800 pairs): each letter's shingles are one
integer's bits, so a pair costs an AND and a bit count. Beyond that, a fixed
random sample of ``SAMPLE_PAIRS`` pairs (seeded, so a re-run reports the same)
estimates the median and the highest, and the report says so; letters whose
compared text is exactly the same are found among all of them, sample or not,
so an identical pair is never missed. Two letters at ``NEAR`` (0.8) or more are "nearly
identical": the merge warns, says which paragraphs they share, and advises a personal
note or `profile set --about` (sending refuses at the same figure). A letter at
``LOGGED`` (0.5) or more like one already logged to the same recipient from another
sender is what WriteToThem freezes: letters.memory warns about that.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

SHINGLE = 3
NEAR = 0.8
LOGGED = 0.5
EXACT_UP_TO = 400
SAMPLE_PAIRS = 60_000
METHOD = ("word 3-gram shingles, Jaccard similarity, after removing names, salutations, "
          "addresses and the date; every pair up to 400 letters, a seeded sample of "
          "60,000 pairs beyond")

_WORD = re.compile(r"\w+")


@dataclass
class Report:
    letters: int
    pairs: int
    highest: float
    median: float
    exact: bool
    # The nearly identical pairs (indexes into the letters, similarity), most alike first.
    near: list[tuple[int, int, float]] = field(default_factory=list)

    def line(self) -> str:
        how = "all pairs" if self.exact else f"a sample of {self.pairs:,} pairs"
        return (f"similarity of the {self.letters:,} letters ({how}): highest "
                f"{self.highest:.2f}, median {self.median:.2f}")


def comparable(markdown: str, lines: Sequence[str], names: Sequence[str] = ()) -> str:
    """The body without what is bound to differ between recipients: the ``lines``
    (address, salutation, date) wherever a line is exactly one of them, and the
    recipient's ``names`` (and each word of them) wherever they stand as words."""
    drop = {r.strip() for r in lines if r and r.strip()}
    words = {w for n in names if n for w in n.split() if len(w) > 1}
    kept = []
    for ln in markdown.splitlines():
        if ln.strip().rstrip("\\ ") in drop:
            continue
        if words and any(w in ln for w in words):  # few lines name the recipient
            ln = _WORD.sub(lambda m: " " if m.group(0) in words else m.group(0), ln)
        kept.append(ln)
    return "\n".join(kept)


def shingles(text: str, k: int = SHINGLE) -> set[tuple[str, ...]]:
    """The word k-grams of a text (case-folded words; punctuation and markup ignored)."""
    words = _WORD.findall(text.casefold())
    if len(words) < k:
        return {tuple(words)} if words else set()
    return set(zip(*(words[i:] for i in range(k)), strict=False))


def jaccard(a: set[Any], b: set[Any]) -> float:
    """The plain reference: |a ∩ b| / |a ∪ b| (two empty bodies are identical)."""
    union = len(a | b)
    return len(a & b) / union if union else 1.0


def letter_text(letter: Any) -> str:
    """A Letter's body as compared: its recipient's names, salutation, address lines
    and date taken out."""
    ctx = letter.context
    recipient = ctx.get("recipient", {})
    lines = [*recipient.get("address_lines", []), ctx.get("salutation", ""),
             ctx.get("date_text", "")]
    names = [recipient.get("display_name", ""), recipient.get("name", "")]
    return comparable(letter.markdown, lines, names)


def report(texts: Sequence[str], *, exact_up_to: int = EXACT_UP_TO,
           sample: int = SAMPLE_PAIRS) -> Report:
    """The highest and the median similarity between any two of ``texts``."""
    import random
    import statistics

    n = len(texts)
    if n < 2:
        return Report(n, 0, 0.0, 0.0, True)
    # Each paragraph's shingles as one integer's bits, read once: the letters of a
    # merge share most paragraphs, so a letter is the OR of a few cached integers.
    index: dict[tuple[str, ...], int] = {}
    paragraphs: dict[str, int] = {}

    def paragraph(text: str) -> int:
        found = paragraphs.get(text)
        if found is None:
            found = 0
            for s in shingles(text):
                found |= 1 << index.setdefault(s, len(index))
            paragraphs[text] = found
        return found

    bits = []
    for text in texts:
        value = 0
        for para in text.split("\n\n"):
            value |= paragraph(para)
        bits.append(value)
    sizes = [b.bit_count() for b in bits]
    total = n * (n - 1) // 2
    exact = n <= exact_up_to or total <= sample
    if exact:
        pairs: Any = ((i, j) for i in range(n) for j in range(i + 1, n))
        count = total
    else:
        rng = random.Random(n)  # the same merge gives the same report
        firsts = rng.choices(range(n), k=sample)
        seconds = rng.choices(range(n - 1), k=sample)
        pairs = [(i, j + 1) if j >= i else (j, i) for i, j in zip(firsts, seconds, strict=True)]
        count = sample
    sims: list[float] = []
    near: list[tuple[int, int, float]] = []
    for i, j in pairs:
        shared = (bits[i] & bits[j]).bit_count()
        union = sizes[i] + sizes[j] - shared
        sim = shared / union if union else 1.0
        sims.append(sim)
        if sim >= NEAR:
            near.append((i, j, sim))
    if not exact:  # identical texts are found whatever the sample
        first: dict[str, int] = {}
        for k, text in enumerate(texts):
            if text in first:
                near.append((first[text], k, 1.0))
                sims.append(1.0)
            else:
                first[text] = k
        near = list({(i, j): (i, j, s) for i, j, s in near}.values())
    near.sort(key=lambda t: -t[2])
    return Report(n, count, max(sims), statistics.median(sims), exact, near)
