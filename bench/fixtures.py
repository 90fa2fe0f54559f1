"""Fixture stores for benchmarks and tests: the bundled campaign plus synthetic MEPs.

The MEPs are clearly synthetic ("Test MEMBER 001", written the EP's way with the
surname in capitals): they are not real people, and their emails use the reserved
``.invalid`` domain so that nothing can ever be sent to them.
"""

from __future__ import annotations

from pathlib import Path

from campaign.countries import COUNTRIES
from campaign.store import Store

SOURCE = {
    "id": "synthetic-meps",
    "title": "Synthetic MEP directory (benchmark and test fixture, not real people)",
    "publisher": "campaign test suite",
    "published": "2026-01",
    "url": None,
    "document": None,
}
GROUPS = (
    "Group of the European People's Party (Christian Democrats)",
    "Group of the Progressive Alliance of Socialists and Democrats in the European Parliament",
    "Renew Europe Group",
    "Group of the Greens/European Free Alliance",
    "European Conservatives and Reformists Group",
    "The Left group in the European Parliament - GUE/NGL",
    "Non-attached Members",
)
EU = [names[0] for code, names in COUNTRIES.items() if code not in ("GB", "KZ")]


def make_mep_store(path: str | Path, n: int = 705, *, bundled: bool = True) -> Store:
    """A store at ``path`` with the bundled campaign and ``n`` synthetic current MEPs."""
    store = Store(path, bundled=bundled)
    with store.transaction():
        if SOURCE["id"] not in store.source_ids():
            store.add_source(SOURCE)
        for i in range(1, n + 1):
            store.add_contact({
                "id": f"mep-{900000 + i}",
                "name": f"Test MEMBER {i:03d}",
                "given_name": "Test",
                "family_name": f"MEMBER {i:03d}",
                "kind": "mep",
                "country": EU[i % len(EU)],
                "group": GROUPS[i % len(GROUPS)],
                "party": f"Test Party {i % 11}",
                "email": f"test.member{i:03d}@example.invalid" if i % 2 == 0 else None,
                "ep_id": str(900000 + i),
                "status": "current",
                "extra": {},
            }, [SOURCE["id"]], replace=True)
    return store
