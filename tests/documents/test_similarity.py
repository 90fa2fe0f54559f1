"""The similarity report: exact against a plain all-pairs computation, a sample with
its stated error beyond, identical letters always found, and stable shingle hashes."""

from __future__ import annotations

import sys
from itertools import combinations
from pathlib import Path
from statistics import median

import pytest
from hypothesis import given
from hypothesis import strategies as hs

from campaign.documents import letters as L
from campaign.documents.letters.similarity import (
    NEAR,
    jaccard,
    letter_paragraphs,
    letter_text,
    report,
    report_paragraphs,
    report_sketches,
    shingle_hashes,
    shingles,
)

SENDER = L.Sender("Jane Doe", "1 Main Street\nDublin 1", "Unite Dublin Central", "jane@example.org")


@pytest.fixture(scope="module")
def letters_300(tmp_path_factory: pytest.TempPathFactory) -> list[L.Letter]:
    """A real merge: 300 letters to synthetic MEPs."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from bench.fixtures import make_mep_store

    store = make_mep_store(tmp_path_factory.mktemp("sim") / "meps.db", 300)
    try:
        letters = L.prepare(store, "mep", sender=SENDER)
    finally:
        store.close()
    assert len(letters) >= 300
    return letters[:300]


@pytest.fixture(scope="module")
def bodies_300(letters_300: list[L.Letter]) -> list[str]:
    """The compared bodies of a real merge."""
    return [letter_text(ltr) for ltr in letters_300]


def test_a_letter_keeps_its_compared_text_as_paragraphs_held_once(
        letters_300: list[L.Letter]) -> None:
    """Each letter carries its compared text as paragraphs, the one copy of each that
    the process holds: the letters sharing a paragraph (the case's story, a note) keep
    it once, the forked copy's letters too once taken in (pickled and back). The
    paragraphs are the text, and the report from them is the report from the texts."""
    import pickle
    from dataclasses import replace

    first, other = letters_300[0], letters_300[1]
    assert first.compared is not None and other.compared is not None
    assert letter_text(first) == letter_text(replace(first, compared=None))
    assert "\n\n".join(first.compared) == letter_text(first)
    shared = set(first.compared) & set(other.compared)
    assert shared
    mine = {p: p for p in first.compared}
    for para in other.compared:
        if para in shared:
            assert para is mine[para]
    back = pickle.loads(pickle.dumps(other))
    assert back.compared == other.compared
    assert all(a is b for a, b in zip(back.compared, other.compared, strict=True))
    texts = [letter_text(ltr) for ltr in letters_300]
    assert report_paragraphs([letter_paragraphs(ltr) for ltr in letters_300]) == report(texts)


def plain(bodies: list[str]) -> list[tuple[int, int, float]]:
    sets = [shingles(b) for b in bodies]
    return [(i, j, jaccard(sets[i], sets[j])) for i, j in combinations(range(len(bodies)), 2)]


def test_the_report_equals_a_plain_all_pairs_computation_on_300_letters(
        bodies_300: list[str]) -> None:
    ref = plain(bodies_300)
    sims = [s for _, _, s in ref]
    found = report(bodies_300)
    assert found.exact and found.pairs == len(ref) == 300 * 299 // 2
    assert found.highest == max(sims) and found.median == median(sims)
    assert sorted(found.near) == sorted(t for t in ref if t[2] >= NEAR)
    assert "all pairs" in found.line()
    # The same from the letters' sketches (what the log keeps).
    again = report_sketches([shingle_hashes(b) for b in bodies_300])
    assert (again.highest, again.median, again.pairs, sorted(again.near)) == (
        found.highest, found.median, found.pairs, sorted(found.near))


def test_beyond_the_exact_limit_a_seeded_sample_within_its_stated_error(
        bodies_300: list[str]) -> None:
    texts = [*bodies_300, bodies_300[7]]  # one letter twice: never missed
    sims = sorted(s for _, _, s in plain(texts))
    found = report(texts, exact_up_to=100, per_letter=20)
    assert not found.exact and found.pairs >= 20 * len(texts)
    assert found == report(texts, exact_up_to=100, per_letter=20)  # seeded: a re-run agrees
    assert (7, 300, 1.0) in found.near and found.highest == 1.0
    # The sampled median's rank among all pairs, within the error the report states.
    below = sum(s < found.median for s in sims) / len(sims)
    at_or_below = sum(s <= found.median for s in sims) / len(sims)
    err = found.median_error / 100
    assert 0 < err < 0.05
    assert below - err <= 0.5 <= at_or_below + err
    assert found.highest <= sims[-1]
    assert all(s >= NEAR for _, _, s in found.near)
    assert "sample of" in found.line() and "percentiles" in found.line()


def test_identical_letters_are_found_in_a_sample_of_thousands() -> None:
    texts = [f"Letter number {n} about the prisoners of Zhanaozen, case {n * 7}."
             for n in range(2000)]
    texts[1999] = texts[3]
    found = report(texts)
    assert not found.exact and found.near[0] == (3, 1999, 1.0)


def test_shingle_hashes_are_stable_across_processes_and_machines() -> None:
    assert shingle_hashes("Release the oil workers of Zhanaozen.\n\nNow") == [
        5446798408545259466, 6238013965287485147, 7947177042809460365,
        13950611310170094312, 14482167498388606870]
    assert shingle_hashes("") == [] and len(shingle_hashes("Two words")) == 1
    assert shingle_hashes("A b C d") == shingle_hashes("a, B; c — D!")  # words, case-folded


WORDS = hs.sampled_from(["oil", "workers", "zhanaozen", "release", "the", "of", "strike",
                         "Жаңаөзен", "prisoners", "now"])
TEXT = hs.lists(hs.lists(WORDS, max_size=12).map(" ".join), max_size=4).map("\n\n".join)


@given(TEXT, TEXT)
def test_jaccard_of_the_hashes_is_jaccard_of_the_shingles(a: str, b: str) -> None:
    assert len(shingle_hashes(a)) == len(shingles(a))
    assert jaccard(set(shingle_hashes(a)), set(shingle_hashes(b))) == jaccard(shingles(a),
                                                                              shingles(b))


def _comparable_plainly(markdown: str, lines: list[str], names: list[str]) -> str:
    """The plain rule ``comparable`` keeps: every line tested against every dropped line,
    the recipient's name words blanked where they stand as words."""
    import re

    drop = {r.strip() for r in lines if r and r.strip()}
    words = {w for n in names if n for w in n.split() if len(w) > 1}
    kept = []
    for ln in markdown.splitlines():
        if ln.strip().rstrip("\\ ") in drop:
            continue
        if any(w in ln for w in words):
            ln = re.sub(r"\w+", lambda m: " " if m.group(0) in words else m.group(0), ln)
        kept.append(ln)
    return "\n".join(kept)


PIECES = hs.sampled_from(["Dear Ms Kelly,", "Seán Kelly", "Kelly", "European Parliament",
                          "2 December 2026", "the oil workers", "\\", "  ", "Rue Wiertz",
                          " of ", "Kellyville", "Ó", "\r"])
LINE = hs.lists(PIECES, max_size=4).map("".join)


@given(hs.lists(LINE, max_size=12).map("\n".join), hs.lists(LINE, max_size=4),
       hs.lists(LINE, max_size=2))
def test_comparable_drops_and_blanks_as_the_plain_rule(markdown: str, lines: list[str],
                                                       names: list[str]) -> None:
    from campaign.documents.letters.similarity import comparable

    assert comparable(markdown, lines, names) == _comparable_plainly(markdown, lines, names)


@given(hs.lists(WORDS, max_size=8).map(" ".join))
def test_paragraph_hashes_follow_their_definition(para: str) -> None:
    """Each shingle (a, b, c) is a·K1 xor b·K2 xor c modulo 2^64 of its words' BLAKE2b
    hashes, one or two words a·K1 (xor b·K2): the hashes logged as sketches, so they
    must never change however they are worked out."""
    import hashlib
    import re

    from campaign.documents.letters.similarity import _K1, _K2, _paragraph_hashes

    mask = (1 << 64) - 1
    words = [int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8).digest(), "little")
             for w in re.findall(r"\w+", para.casefold())]
    if len(words) >= 3:
        plain = {(a * _K1 ^ b * _K2 ^ c) & mask
                 for a, b, c in zip(words, words[1:], words[2:], strict=False)}
    elif words:
        plain = {(words[0] * _K1 ^ (words[1] * _K2 if len(words) > 1 else 0)) & mask}
    else:
        plain = set()
    assert _paragraph_hashes(para) == plain


@given(TEXT)
def test_a_sketch_is_the_low_half_of_each_shingle_hash(text: str) -> None:
    """A letter's sketch (what the log keeps) reads back as the set of the low 32 bits
    of its shingles' 64-bit hashes, whether it is made from the text or from its
    paragraphs; and it is exactly each paragraph's hashes in turn, big-endian."""
    import base64
    import struct

    from campaign.documents.letters.memory import hashes, sketch, unsketch
    from campaign.documents.letters.similarity import paragraph_hashes

    low = {h & 0xFFFFFFFF for h in shingle_hashes(text)}
    made = sketch(text)
    assert made == sketch(text.split("\n\n")) and made.startswith("2:")
    read = unsketch(made)
    assert read.hashes == low == set(hashes(text)) and not read.legacy
    paras = [list(paragraph_hashes(p)) for p in text.split("\n\n")]  # each set's own order
    raw = base64.b64decode(made[2:])
    assert raw == b"".join(struct.pack(f">{len(p)}I", *(h & 0xFFFFFFFF for h in p))
                           for p in paras)
