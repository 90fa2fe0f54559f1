"""The outreach log as a library: record, list, mark, summary; and what it refuses."""

from __future__ import annotations

import pytest

from campaign import outreach
from campaign.errors import NotFoundError, UsageError
from campaign.store import Store

pytestmark = pytest.mark.engines  # on SQLite and on PostgreSQL


def test_log_mark_and_summary(store: Store) -> None:
    with store.transaction():
        outreach.record(store, [
            {"contact_id": "kazakhstan-embassy-belgium", "document": "letter-embassy",
             "digest": outreach.digest("a"), "path": "letters/001.md"},
            {"contact_id": "paul-murphy", "document": "letter-mep",
             "digest": outreach.digest("b"), "path": "letters/002.md"},
        ])
    rows = outreach.entries(store)
    assert [r["contact"] for r in rows] == ["Kazakhstan Embassy in Belgium", "Paul Murphy"]
    assert outreach.already_drafted(store, [("paul-murphy", outreach.digest("b")),
                                            ("paul-murphy", outreach.digest("c"))]) \
        == {("paul-murphy", outreach.digest("b"))}
    with store.transaction():
        outreach.mark(store, rows[0]["id"], "sent")
        outreach.mark(store, rows[1]["id"], "replied", "phoned back")
    assert [r["state"] for r in outreach.entries(store)] == ["sent", "replied"]
    assert outreach.entries(store, "replied")[0]["note"] == "phoned back"
    assert outreach.summary(store) == [{"state": "drafted", "count": 0},
                                       {"state": "sent", "count": 1},
                                       {"state": "replied", "count": 1},
                                       {"state": "sending", "count": 0},
                                       {"state": "failed", "count": 0}]


def test_refusals(store: Store) -> None:
    with pytest.raises(NotFoundError, match="outreach log is empty"):
        outreach.mark(store, 1, "sent")
    with pytest.raises(UsageError):
        outreach.mark(store, 1, "drafted")
    with pytest.raises(UsageError):
        outreach.entries(store, "lost")
    with pytest.raises(Exception), store.transaction():  # noqa: B017 - FK: no such contact
        outreach.record(store, [{"contact_id": "nobody", "document": "letter-mep",
                                 "digest": "x", "path": None}])
    assert outreach.entries(store) == []


def test_finish_drafting_completes_this_runs_and_a_killed_runs_entries(store: Store) -> None:
    """The letters' entries still "drafting" are made "drafted", those of a run killed
    before (the same letter to the same contact) with them; a pair named twice is one,
    other entries and states are left alone, and the count is of the entries changed."""
    a, b, c = (outreach.digest(x) for x in "abc")
    with store.transaction():
        outreach.record(store, [  # a killed run's, then this run's
            {"contact_id": "paul-murphy", "document": "letter-mep", "digest": a,
             "path": "old/001.md"}], state=outreach.DRAFTING)
        outreach.record(store, [
            {"contact_id": "paul-murphy", "document": "letter-mep", "digest": a,
             "path": "letters/001.md"},
            {"contact_id": "kazakhstan-embassy-belgium", "document": "letter-embassy",
             "digest": b, "path": "letters/002.md"},
            {"contact_id": "kazakhstan-embassy-belgium", "document": "letter-embassy",
             "digest": c, "path": "letters/003.md"}], state=outreach.DRAFTING)
        outreach.record(store, [{"contact_id": "paul-murphy", "document": "letter-mep",
                                 "digest": b, "path": "letters/004.md"}])
    with store.transaction():
        done = outreach.finish_drafting(store, [
            ("paul-murphy", a), ("kazakhstan-embassy-belgium", b), ("paul-murphy", a),
            ("paul-murphy", b), ("nobody", c)])
        assert outreach.finish_drafting(store, []) == 0
    assert done == 3
    states = {(r["path"], r["state"]) for r in outreach.entries(store)}
    assert states == {("old/001.md", "drafted"), ("letters/001.md", "drafted"),
                      ("letters/002.md", "drafted"), ("letters/003.md", "drafting"),
                      ("letters/004.md", "drafted")}
