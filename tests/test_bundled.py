"""`campaign packs update`: the bundled pack's corrections reach a store made by an
earlier release, and every record the user added, changed or removed stays so."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from campaign import bundled
from campaign.store import Store


@pytest.fixture
def newer_pack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A later release of the bundled pack: one demand reworded, one demand new."""
    from campaign import pack

    text = pack.bundled_path().read_text(encoding="utf-8")
    text = text.replace(
        "Follow closely and monitor the trial of those accused of organising the "
        "demonstrations, and report back to the European Parliament.",
        "Follow and monitor the trial of those accused of organising the demonstrations, "
        "and report to the European Parliament.")
    text = text.replace(
        "\nevents:\n",
        "\n  - id: new-demand\n    text: \"A demand new in this release.\"\n"
        "    kind: policy\n    sources: [socialistworld-2014-01]\n\nevents:\n", 1)
    path = tmp_path / "packs" / "kazakhstan.yaml"
    path.parent.mkdir()
    path.write_text(text, encoding="utf-8")
    real = pack.bundled_path
    # The earlier releases' fingerprints stay those shipped with the package.
    monkeypatch.setattr(bundled, "history_path", lambda name: real(name).with_suffix(
        ".history.json"))
    monkeypatch.setattr(pack, "bundled_path", lambda name=pack.BUNDLED: path)
    return path


def _texts(store: Store) -> dict[str, str]:
    return {d["id"]: d["text"] for d in store.demands()}


def test_an_untouched_store_is_up_to_date(store: Store) -> None:
    outcome = bundled.update(store)
    assert outcome["added"] == outcome["updated"] == outcome["kept"] == []
    assert bundled.notice(store) is None


def test_update_merges_and_keeps_what_the_user_did(store: Store, newer_pack: Path) -> None:
    with store.transaction():
        # The user rewords one demand, removes another and adds their own.
        store.conn.execute("UPDATE demands SET text = 'Our own words.' "
                           "WHERE id = 'media-freedom'")
        store.remove("demands", "demand", "election-shortfalls")
        store.add_cited("demands", "demand", {"id": "ours", "text": "Our demand.",
                                              "quotes": []}, ["socialistworld-2014-01"])
    before = {d["id"]: d for d in store.demands()}
    outcome = bundled.update(store)
    texts = _texts(store)
    assert "demands:monitor-trials" in outcome["updated"]
    assert texts["monitor-trials"].startswith("Follow and monitor the trial")
    assert "demands:new-demand" in outcome["added"] and texts["new-demand"]
    assert "demands:media-freedom" in outcome["kept"]
    assert texts["media-freedom"] == "Our own words."
    assert "demands:election-shortfalls" in outcome["removed"]
    assert "election-shortfalls" not in texts
    assert texts["ours"] == "Our demand." and store.demand("ours") == before["ours"]
    # Run again: nothing left to do, and the user's records are still theirs.
    again = bundled.update(store)
    assert again["added"] == again["updated"] == []
    assert _texts(store)["media-freedom"] == "Our own words."


def test_a_store_from_before_kinds_gets_them(store: Store, newer_pack: Path) -> None:
    """A store as an earlier release made it: no kinds, no record of its release."""
    with store.transaction():
        store.conn.execute("UPDATE demands SET kind = NULL")
        for key in (bundled.DIGEST_META, bundled.HASHES_META, "bundled_pack"):
            store.conn.execute("DELETE FROM meta WHERE key = ?", (key,))
    assert bundled.notice(store) is not None
    assert bundled.notice(store) is None  # once
    outcome = bundled.update(store)
    assert "demands:international-inquiry" in outcome["updated"]
    assert store.demand("international-inquiry")["kind"] == "accountability"


def test_the_first_command_after_an_upgrade_says_so_once(cli, store: Store) -> None:  # type: ignore[no-untyped-def]
    with store.transaction():
        store.set_meta(bundled.DIGEST_META, "an-earlier-release")
    first = cli("demands", "list", "--format", "json")
    assert first.exit_code == 0
    [line] = first.stderr.strip().splitlines()
    assert line.startswith("campaign: note: ") and "`campaign packs update`" in line
    assert cli("demands", "list", "--format", "json").stderr == ""
    updated = cli("packs", "update")
    assert updated.exit_code == 0 and updated.stdout.startswith("bundled pack merged: ")
    json.loads(cli("demands", "list", "--format", "json").stdout)


def test_history_holds_every_earlier_release() -> None:
    shipped = bundled.history("kazakhstan")
    assert "demands:international-inquiry" in shipped
    assert all(len(h) == 20 for hs in shipped.values() for h in hs)
