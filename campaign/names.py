"""Name look-up that forgives spelling.

The same person is written several ways across sources (Roza/Rosa,
Dosmagambetov/Dosmugambetov, Atabayev/Atabaev). A look-up first tries the
exact name or alias ignoring case, accents and punctuation; then a lossy
"skeleton" that drops vowels and folds the usual transliteration pairs; then
the words of the query as part of a name ("kuramshin"). On a miss it offers
the nearest names.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Sequence

_NON_WORD = re.compile(r"[^\w\s]+", re.UNICODE)
_SPACES = re.compile(r"\s+")

# Cyrillic to Latin, so that a name typed in Russian or Kazakh finds its record.
_CYRILLIC = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі",
        [
            "a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "i", "k", "l", "m", "n", "o",
            "p", "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e",
            "yu", "ya", "a", "g", "k", "n", "o", "u", "u", "h", "i",
        ],
        strict=True,
    )
)


def normalise(name: str) -> str:
    """Case, accents, punctuation and spacing folded: the key for exact matches."""
    if name.isascii():
        # Nothing to decompose, no accents, no Cyrillic: the common case (every
        # file name of a mail merge), without a step per character.
        text = name.lower()
    else:
        # Decompose before folding case too: a compatibility character can
        # decompose into capitals ('㏆' -> 'C/kg'), which must then be folded.
        text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", name).casefold())
        text = "".join(_CYRILLIC.get(c, c) for c in text if not unicodedata.combining(c))
    text = _NON_WORD.sub(" ", text.replace("_", " "))
    return _SPACES.sub(" ", text).strip()


def skeleton(name: str) -> str:
    """A lossy key: transliteration pairs folded, vowels dropped, doubles collapsed."""
    text = normalise(name)
    for a, b in (("dzh", "j"), ("zh", "j"), ("kh", "h"), ("ts", "c"), ("ph", "f"), ("w", "v")):
        text = text.replace(a, b)
    text = text.replace("s", "z")
    text = re.sub(r"[aeiouy]", "", text)
    text = re.sub(r"(.)\1+", r"\1", text)
    return _SPACES.sub(" ", text).strip()


def slug(name: str) -> str:
    return normalise(name).replace(" ", "-") or "record"


def unique_slug(name: str, taken: Iterable[str]) -> str:
    base = slug(name)
    used = set(taken)
    if base not in used:
        return base
    n = 2
    while f"{base}-{n}" in used:
        n += 1
    return f"{base}-{n}"


def match(query: str, candidates: Sequence[tuple[str, Sequence[str]]]) -> list[str]:
    """Ids of the records whose name or alias matches ``query``, best rule first.

    ``candidates`` is (id, [name, alias, ...]). Returns [] on a miss, one id on a
    match, several when the query is ambiguous at the first rule that matched.
    """
    key = normalise(query)
    if not key:
        return []
    rules = (
        lambda n: normalise(n) == key,
        lambda n: skeleton(n) == skeleton(query),
        lambda n: set(key.split()) <= set(normalise(n).split()),
        lambda n: set(skeleton(query).split()) <= set(skeleton(n).split()),
    )
    for rule in rules:
        found = [cid for cid, names in candidates if any(rule(n) for n in names)]
        if found:
            return list(dict.fromkeys(found))
    return []


def suggest(query: str, names: Iterable[str], n: int = 3) -> list[str]:
    """The nearest names to a query that matched nothing."""
    by_key: dict[str, str] = {}
    for name in names:
        by_key.setdefault(normalise(name), name)
    close = difflib.get_close_matches(normalise(query), list(by_key), n=n, cutoff=0.5)
    if not close:
        # Compare word by word, so a surname alone still finds its owner.
        words = normalise(query).split()
        scored = []
        for key in by_key:
            best = max(
                (difflib.SequenceMatcher(None, w, k).ratio() for w in words for k in key.split()),
                default=0.0,
            )
            scored.append((best, key))
        close = [k for score, k in sorted(scored, reverse=True)[:n] if score >= 0.6]
    return [by_key[k] for k in close]
