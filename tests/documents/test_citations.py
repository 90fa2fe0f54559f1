"""Citations: numbered in order of first use, per document, whatever a merge shares."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from campaign.documents.citations import Citations
from campaign.store import Store

KNOWN = {sid: {"title": f"Title {sid}", "publisher": f"Publisher {sid}",
               "published": "2012-03-07", "url": None, "document": None}
         for sid in ("a", "b", "c", "d", "e")}


class Reference:
    """The numbering spelled out the plain way, to check the memoised one against."""

    def __init__(self) -> None:
        self.order: dict[str, int] = {}

    def cite(self, ids: list[str]) -> str:
        numbers = sorted({self.order.setdefault(s, len(self.order) + 1)
                          for s in ids if s in KNOWN})
        return "[" + ", ".join(map(str, numbers)) + "]" if numbers else ""

    def sources(self) -> list[tuple[int, str]]:
        return [(n, sid) for sid, n in self.order.items()]


CITES = st.lists(st.lists(st.sampled_from(["a", "b", "c", "d", "e", "unknown"]), max_size=3),
                 max_size=8)


@given(st.lists(CITES, min_size=1, max_size=6))
def test_every_document_of_a_merge_numbers_as_if_alone(documents: list[list[list[str]]]
                                                       ) -> None:
    """Documents share a memo of markers; each still gets exactly its own numbering."""
    cites = Citations(known=KNOWN)
    for calls in documents:
        cites = cites.restart()
        ref = Reference()
        for ids in calls:
            assert cites.cite(ids) == ref.cite(ids), (calls, ids)
            assert cites.count() == len(ref.order)
        listed: list[dict[str, Any]] = cites.sources()
        assert [(s["number"], s["id"]) for s in listed] == ref.sources()
        assert all(s["title"] == f"Title {s['id']}" for s in listed)


def test_markers_and_the_source_list() -> None:
    cites = Citations(known=KNOWN)
    assert cites.cite(["c"]) == "[1]"
    assert cites.cite(["a", "c"]) == "[1, 2]"
    assert cites.cite(["unknown"]) == ""
    assert cites.cite(("c", "a", "c")) == "[1, 2]"
    assert [s["id"] for s in cites.sources()] == ["c", "a"]
    assert cites.sources()[0]["published_text"] == "7 March 2012"
    cites.sources().clear()  # a caller's list is its own, and its dicts
    cites.sources()[0]["title"] = "changed by a caller"
    assert cites.count() == 2 and len(cites.sources()) == 2
    assert cites.sources()[0]["title"] == "Title c"
    other = cites.restart()
    assert other.count() == 0 and other.sources() == []
    assert other.cite(["a"]) == "[1]"


def test_from_a_store(store: Store) -> None:
    first = store.sources()[0]["id"]
    cites = Citations(store)
    assert cites.cite([first]) == "[1]"
    assert cites.sources()[0]["id"] == first
