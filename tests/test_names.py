"""Name look-up forgives case, accents and the usual transliteration variants."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from campaign import names
from campaign.errors import NotFoundError
from campaign.people import find_id, persons
from campaign.store import Store

VARIANTS = [
    ("Rosa Tuletaeva", "roza-tuletaeva"),
    ("ROZA TULETAEVA", "roza-tuletaeva"),
    ("roza tuletayeva", "roza-tuletaeva"),
    ("Maksat Dosmugambetov", "maksat-dosmagambetov"),
    ("Akhzanat Animov", "akhzhanat-aminov"),
    ("Igor Vinyavskiy", "igor-vinyavski"),
    ("Bulat Atabayev", "bolat-atabaev"),
    ("Bolat Atabáev", "bolat-atabaev"),
    ("kuramshin", "vadim-kuramshin"),
    ("Наталья Соколова", "natalia-sokolova"),
]


@pytest.mark.parametrize(("query", "expected"), VARIANTS)
def test_variants_find_one_person(store: Store, query: str, expected: str) -> None:
    assert find_id(store, query) == expected


def test_miss_suggests_nearest(store: Store) -> None:
    with pytest.raises(NotFoundError) as err:
        find_id(store, "Natalya Sokolowa-Smith")
    assert "Natalia Sokolova" in str(err.value)


def test_every_alias_finds_its_person(store: Store) -> None:
    for p in persons(store):
        for n in [p["name"], *p["aliases"]]:
            assert find_id(store, n.upper()) == p["id"]


@given(st.text(max_size=40))
@example("㏆")  # decomposes into a capital C: found by hypothesis
def test_normalise_is_idempotent(text: str) -> None:
    once = names.normalise(text)
    assert names.normalise(once) == once


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=40))
def test_the_ascii_shortcut_folds_as_the_general_way(text: str) -> None:
    """ASCII skips decomposition; the general way (shown by a non-ASCII space that
    folds to nothing of its own) must agree."""
    assert names.normalise(text) == names.normalise(text + "\u0301").strip()


@given(st.text(max_size=40))
def test_skeleton_never_crashes_and_has_no_vowels(text: str) -> None:
    sk = names.skeleton(text)
    assert not set("aeiou") & set(sk)


def test_slug_is_unique() -> None:
    assert names.unique_slug("Roza Tuletaeva", ["roza-tuletaeva"]) == "roza-tuletaeva-2"
