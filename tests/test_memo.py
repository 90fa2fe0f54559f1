"""campaign.memo: each key worked out once, and a bounded number kept."""

from __future__ import annotations

from campaign.memo import Memo


def test_a_key_is_worked_out_once_and_a_full_memo_starts_afresh() -> None:
    calls: list[str] = []

    def make(key: str) -> str:
        calls.append(key)
        return key.upper()

    memo = Memo(make, limit=3)
    assert memo["a"] == "A" and memo["a"] == "A" and calls == ["a"]
    for key in "bcd":
        assert memo[key] == key.upper()
    assert len(memo) == 4  # up to the limit and one more, then afresh
    assert memo["e"] == "E" and len(memo) == 1 and "a" not in memo
    assert memo.get("zz") is None and calls == ["a", "b", "c", "d", "e"]  # get() makes nothing
