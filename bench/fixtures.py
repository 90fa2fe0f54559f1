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
    store = Store(path)
    if bundled:
        from campaign.pack import load_bundled

        load_bundled(store)
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


KINDS = ("detained", "arrested", "charged", "tried", "sentenced", "imprisoned", "released")


def write_big_pack(path: str | Path, persons: int = 10_000, contacts: int = 20_000) -> int:
    """A synthetic pack of ``persons`` persons (each with three case events) and
    ``contacts`` contacts, written as an export would write it; returns its size.

    Clearly synthetic: "Test Person 00001", reserved ``.invalid`` addresses.
    """
    out = [
        "pack: bench",
        "title: Synthetic campaign (benchmark fixture, not real people)",
        "campaign_url: https://campaign.example.invalid",
        "sources:",
        "- id: synthetic-report",
        "  title: Synthetic report (benchmark fixture)",
        "  publisher: campaign test suite",
        "  published: 2026-01",
        "  url: https://example.invalid/report",
        "persons:",
    ]
    for i in range(1, persons + 1):
        out += [
            f"- id: test-person-{i:05d}",
            f"  name: Test Person {i:05d}",
            f"  aliases:\n  - Test Persona {i:05d}",
            f"  description: synthetic case number {i}, oil worker",
            "  sources:\n  - synthetic-report",
            "  events:",
        ]
        for n in range(3):
            out += [
                f"  - kind: {KINDS[(i + n) % len(KINDS)]}",
                f"    date: '{2011 + n}-{(i % 12) + 1:02d}-{(i % 28) + 1:02d}'",
                f"    place: Town {i % 97}",
                f"    note: event {n} of synthetic case {i}",
                "    sources:\n    - synthetic-report",
            ]
    out += ["demands: []", "events: []", "figures: []", "contacts:"]
    for i in range(1, contacts + 1):
        out += [
            f"- id: test-contact-{i:05d}",
            f"  name: Test Contact {i:05d}",
            f"  kind: {('press', 'union', 'authority', 'other')[i % 4]}",
            f"  country: {EU[i % len(EU)]}",
            f"  email: test.contact{i:05d}@example.invalid",
            f"  postal_address: {i} Test Street, Testville",
            f"  phone: +000 {i:08d}",
            f"  role: synthetic contact number {i}",
            "  sources:\n  - synthetic-report",
        ]
    text = "\n".join(out) + "\n"
    Path(path).write_text(text, encoding="utf-8")
    return len(text.encode("utf-8"))
