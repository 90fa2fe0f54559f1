"""Bringing a store up to date with the bundled pack: `campaign packs update`.

The bundled Kazakhstan pack is corrected from release to release (kinds of
demand, dates, labels, wording). A store made by an earlier release keeps the
records it was given then, and the user may have changed some and added
others since. ``update`` merges the bundled pack into the store record by
record and keeps every record the user added or changed:

* a record the store lacks is added, unless it was shipped before and the
  user removed it (then it stays removed);
* a record the store holds exactly as some release shipped it (its
  fingerprint is one the bundled pack ever had) is replaced by the bundled one;
* any other record (changed by the user, or the user's own) is kept as it is.

A record's fingerprint is a hash of its exported form (``pack.export``'s
record, keys sorted), so the store's copy and the pack's copy compare equal
exactly when they hold the same facts. Fingerprints of every earlier release
of the bundled pack are shipped beside it (``<pack>.history.json``); those of
the release that loaded or last updated a store are kept in the store's meta,
with the digest of that release's file, so a store also recognises the
release it came from.

The first command after an upgrade says once, in one line, that a newer
bundled pack exists (``notice``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from campaign.store import Store

# The store's meta: the digest of the bundled file it was loaded from or updated to,
# that release's fingerprints, and the digest the upgrade notice was last given for.
BUNDLED_META = "bundled_pack"  # campaign.pack.BUNDLED_META: the store was made from it
DIGEST_META = "bundled_digest"
HASHES_META = "bundled_hashes"
NOTICE_META = "bundled_notice"
SECTIONS = ("sources", "persons", "demands", "events", "figures", "contacts")


def _canonical(record: Mapping[str, Any]) -> str:
    return json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def fingerprint(record: Mapping[str, Any]) -> str:
    """A short hash of a record in its exported form."""
    import hashlib

    return hashlib.sha256(_canonical(record).encode("utf-8")).hexdigest()[:20]


def pack_records(pack: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(key, record) for every record of a validated pack, in the exported form the
    store gives back (``pack._clean``), key "section:id"."""
    from campaign.pack import _clean

    for section in SECTIONS:
        for r in pack.get(section, []):
            if section == "persons":
                r = {**r, "events": [_clean(e) for e in r.get("events", [])]}
            yield f"{section}:{r['id']}", _clean(dict(r))


def store_records(store: Store) -> dict[str, dict[str, Any]]:
    from campaign.pack import _sections_out

    return {f"{section}:{r['id']}": r for section, rows in _sections_out(store)
            for r in rows}


def history_path(name: str) -> Path:
    from campaign.pack import bundled_path

    return bundled_path(name).with_suffix(".history.json")


def history(name: str) -> dict[str, list[str]]:
    """Fingerprints of every earlier release of the bundled pack, by record key."""
    path = history_path(name)
    if not path.is_file():
        return {}
    data: dict[str, list[str]] = json.loads(path.read_text(encoding="utf-8"))
    return data


def digest(name: str) -> str:
    import hashlib

    return hashlib.sha256(_bundled_path(name).read_bytes()).hexdigest()[:20]


def record_loaded(store: Store, pack: Mapping[str, Any], name: str) -> None:
    """Remember which release of the bundled pack the store now holds."""
    store.set_meta(DIGEST_META, digest(name))
    store.set_meta(HASHES_META, json.dumps(
        {key: fingerprint(r) for key, r in pack_records(pack)}, separators=(",", ":")))
    store.set_meta(NOTICE_META, None)


def _bundled_path(name: str) -> Path:
    """campaign.pack.bundled_path, looked up there (tests move it) but without
    importing campaign.pack for a command that has no other use for it."""
    import sys

    pack = sys.modules.get("campaign.pack")
    if pack is not None:
        found: Path = pack.bundled_path(name)
        return found
    from campaign import data_path

    return data_path("packs", f"{name}.yaml")


def source_pack(store: Store) -> str | None:
    """The bundled pack the store was made from: its own record of it, else (a store
    from a release before that record) the pack name it carries, if one is bundled."""
    name = store.meta(BUNDLED_META)
    if name:
        return name
    carried = store.meta("pack")
    if carried and all(c.isalnum() or c in "-_" for c in carried) \
            and _bundled_path(carried).is_file():
        return carried
    return None


def update(store: Store, name: str | None = None) -> dict[str, list[str]]:
    """Merge the bundled pack into ``store`` (see the module docstring), in one
    transaction. Returns the record keys "section:id" by what became of them:
    ``added``, ``updated``, ``kept`` (changed by the user: left as they are),
    ``removed`` (shipped before and removed by the user: left out), ``same``."""
    from campaign.pack import BUNDLED, bundled_path, import_pack, read_pack

    made_from = source_pack(store)
    name = name or made_from or BUNDLED
    pack = read_pack(bundled_path(name))
    shipped: dict[str, set[str]] = {k: set(v) for k, v in history(name).items()}
    mine = json.loads(store.meta(HASHES_META) or "{}")
    for key, h in mine.items():
        shipped.setdefault(key, set()).add(h)
    outcome: dict[str, list[str]] = {k: [] for k in ("added", "updated", "kept", "removed",
                                                     "same")}
    with store.transaction():
        have = store_records(store)
        take: dict[str, list[dict[str, Any]]] = {s: [] for s in SECTIONS}
        originals = {f"{s}:{r['id']}": (s, r) for s in SECTIONS for r in pack[s]}
        for key, record in pack_records(pack):
            section, original = originals[key]
            ours = have.get(key)
            if ours is None:
                if key in shipped and made_from:
                    outcome["removed"].append(key)
                    continue
                outcome["added"].append(key)
            elif fingerprint(ours) == fingerprint(record):
                outcome["same"].append(key)
                continue
            elif fingerprint(ours) in shipped.get(key, set()):
                outcome["updated"].append(key)
            else:
                outcome["kept"].append(key)
                continue
            take[section].append(original)
        _with_cited_sources(store, pack, take)
        sub = {**{k: v for k, v in pack.items() if k not in SECTIONS}, **take}
        if any(take.values()):
            import_pack(store, sub, replace=False)
        record_loaded(store, pack, name)
        if not store.meta(BUNDLED_META):
            store.set_meta(BUNDLED_META, name)
    return outcome


def _with_cited_sources(store: Store, pack: Mapping[str, Any],
                        take: dict[str, list[dict[str, Any]]]) -> None:
    """Sources the records taken cite but the store lacks (the user removed one the
    pack still cites) come along, so no citation points nowhere."""
    present = store.source_ids() | {s["id"] for s in take["sources"]}
    needed = set(_cited(take))
    for s in pack["sources"]:
        if s["id"] in needed and s["id"] not in present:
            take["sources"].append(s)


def _cited(take: Mapping[str, Iterable[Mapping[str, Any]]]) -> Iterator[str]:
    for section, records in take.items():
        if section == "sources":
            continue
        for r in records:
            yield from r.get("sources", [])
            for e in r.get("events", []) or []:
                yield from e.get("sources", [])


def notice(store: Store) -> str | None:
    """One line, once per release, for a store made from an earlier bundled pack:
    that `campaign packs update` would bring it the corrections. None otherwise
    (a store not made from the bundled pack, one already up to date, or one told)."""
    name = source_pack(store)
    if not name:
        return None
    try:
        now = digest(name)
    except OSError:
        return None
    if store.meta(DIGEST_META) == now or store.meta(NOTICE_META) == now:
        return None
    try:
        with store.transaction():
            store.set_meta(NOTICE_META, now)
    except Exception:  # a read-only store: say it anyway, it cannot remember  # noqa: BLE001
        pass
    return ("this campaign's bundled pack has corrections your store does not have yet; "
            "`campaign packs update` merges them and keeps every record you added or "
            "changed")


def summary(outcome: Mapping[str, list[str]]) -> str:
    """One line for `packs update`."""
    parts = [f"{len(outcome['added']):,} added", f"{len(outcome['updated']):,} updated"]
    if outcome["kept"]:
        parts.append(f"{len(outcome['kept']):,} you changed kept as they are")
    if outcome["removed"]:
        parts.append(f"{len(outcome['removed']):,} you removed left out")
    return "bundled pack merged: " + ", ".join(parts)
