"""Committees, subcommittees and delegations of the European Parliament, and who sits on them.

Campaigns write to the members who can act: the Subcommittee on Human Rights,
Foreign Affairs, the delegation for relations with Central Asia. The Open Data
API gives each MEP's memberships (``hasMembership``) naming a body only as
``org/NNNN``; ``corporate-bodies/{id}`` names it ("DROI", "Subcommittee on
Human Rights"). Both are kept in the store (``ep_bodies``, ``ep_memberships``)
with their dates, because whether a membership is current depends on the day
a list or a letter is made for.

The functions at the end (``select_by_bodies``, ``member_roles``,
``why_member``) are what `campaign letter` uses to choose recipients and to
say, in the letter, why each one was written to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from campaign.errors import CampaignError, NotFoundError

if TYPE_CHECKING:
    import httpx

    from campaign.ep.fetch import Pace
    from campaign.store import Store

KIND_OF_CLASSIFICATION = {
    "COMMITTEE_PARLIAMENTARY_STANDING": "committee",
    "COMMITTEE_PARLIAMENTARY_SUB": "subcommittee",
    "DELEGATION_PARLIAMENTARY": "delegation",
}
# What each option selects: --committee takes subcommittees too (DROI is one).
COMMITTEE_KINDS = ("committee", "subcommittee")
DELEGATION_KINDS = ("delegation",)
_KIND_ORDER = {"committee": 0, "subcommittee": 1, "delegation": 2}

# Roles as a letter says them, most senior first.
ROLES = {
    "CHAIR": ("Chair", "Chair of"),
    "CO_CHAIR": ("Co-Chair", "Co-Chair of"),
    "VICE_CHAIR": ("Vice-Chair", "Vice-Chair of"),
    "MEMBER": ("member", "a member of"),
    "MEMBER_SUBSTITUTE": ("substitute member", "a substitute member of"),
}
_SENIORITY = {code: n for n, code in enumerate(ROLES)}

NO_DETAILS_HINT = "run `campaign meps fetch --details` first (it saves who sits on which body)"


class BodyError(CampaignError):
    """A committee or delegation that cannot be chosen: unknown, ambiguous, or not fetched."""


def _day(as_of: dt.date | str | None) -> str:
    if as_of is None:
        return dt.date.today().isoformat()
    return as_of.isoformat() if isinstance(as_of, dt.date) else str(as_of)[:10]


def is_current(start: str | None, end: str | None, as_of: dt.date | str | None) -> bool:
    """Current on ``as_of``: begun by then, and no end date or one not before it."""
    day = _day(as_of)
    return (not start or start <= day) and (not end or end >= day)


# -- saving ---------------------------------------------------------------------

def save_memberships(store: Store, contact_id: str, memberships: Sequence[dict[str, Any]],
                     fetched_at: str) -> int:
    """Replace a member's memberships with those just read (inside the caller's transaction).

    Returns how many were kept, which the contact records so that a later
    fetch can tell whether they are all still there.
    """
    store.conn.execute("DELETE FROM ep_memberships WHERE contact_id = ?", (contact_id,))
    seen = set()
    for m in memberships:
        key = (m["body_id"], m["role"], m.get("start"), m.get("end"))
        if key in seen:
            continue
        seen.add(key)
        store.conn.execute(
            "INSERT INTO ep_memberships (contact_id, body_id, kind, role, start_date, end_date,"
            " fetched_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (contact_id, m["body_id"], m["kind"], m["role"], m.get("start"), m.get("end"),
             fetched_at))
    return len(seen)


def save_body(store: Store, body: dict[str, Any], fetched_at: str) -> None:
    import json

    with store.transaction():  # plain DELETE + INSERT: portable SQL (DESIGN: PostgreSQL next)
        store.conn.execute("DELETE FROM ep_bodies WHERE id = ?", (body["id"],))
        store.conn.execute(
            "INSERT INTO ep_bodies (id, label, name, names, classification, url,"
            " fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (body["id"], body["label"], body.get("name"),
             json.dumps(body.get("names") or {}, ensure_ascii=False),
             body.get("classification"), body.get("url"), fetched_at))


def bodies_to_fetch(store: Store, *, refresh: bool = False) -> list[str]:
    """The bodies named in memberships (all of them with ``refresh``, else those not kept yet)."""
    named = [r[0] for r in store.conn.execute(
        "SELECT DISTINCT body_id FROM ep_memberships ORDER BY CAST(body_id AS INTEGER)")]
    if refresh:
        return named
    have = {r[0] for r in store.conn.execute("SELECT id FROM ep_bodies")}
    return [b for b in named if b not in have]


def update_bodies(
    store: Store,
    api_url: str,
    *,
    client: httpx.Client,
    refresh: bool = False,
    concurrency: int = 4,
    retries: int = 3,
    sleep: Callable[[float], None] | None = None,
    pace: Pace | None = None,
) -> dict[str, Any]:
    """Fetch each body the memberships name, once, and keep it.

    Bodies read are saved as they arrive. A body the API does not know (HTTP
    404) is recorded as unknown, once: its memberships stay unnamed, the
    result lists it under "unknown" (the caller warns), and later runs do not
    ask again (``--refresh`` does). A body the API could not give for another
    reason (a server error) raises, in one line, after the others are saved.
    """
    from campaign.ep.fetch import fetch_bodies
    from campaign.ep.net import now
    from campaign.errors import NetworkError

    todo = bodies_to_fetch(store, refresh=refresh)

    def keep(_: str, body: dict[str, Any]) -> None:
        save_body(store, body, now())

    done, failed = fetch_bodies(api_url, todo, client=client, concurrency=concurrency,
                                retries=retries, sleep=sleep, pace=pace, on_result=keep)
    unknown = {b: r for b, r in failed.items() if "HTTP 404" in r}
    for body_id, reason in unknown.items():
        save_body(store, {"id": body_id, "label": f"org/{body_id}", "name": None, "names": {},
                          "classification": UNKNOWN, "url": _url_in(reason)}, now())
    failed = {b: r for b, r in failed.items() if b not in unknown}
    if failed:
        body_id, reason = next(iter(failed.items()))
        more = f" and {len(failed) - 1} other bodies" if len(failed) > 1 else ""
        raise NetworkError(
            f"the EP API could not give body org/{body_id}{_named_in(store, body_id)}{more}: "
            f"{reason}",
            "their memberships are kept but not named; run `campaign meps fetch --details` "
            "again later")
    return {"requested": len(todo), "saved": len(done), "unknown": sorted(unknown)}


# The classification kept for a body the API answered 404 for: asked once, not again.
UNKNOWN = "UNKNOWN"


def _url_in(reason: str) -> str | None:
    import re

    found = re.search(r"https?://\S+?(?=:? |$)", reason)
    return found.group(0).rstrip(":") if found else None


def _named_in(store: Store, body_id: str) -> str:
    who = store.row(
        "SELECT c.name FROM ep_memberships m JOIN contacts c ON c.id = m.contact_id "
        "WHERE m.body_id = ? ORDER BY c.name LIMIT 1", (body_id,))
    return f" (named in the memberships of {who['name']})" if who else ""


def unknown_warning(store: Store, body_ids: Sequence[str]) -> str | None:
    """One line for the bodies just recorded as unknown (None when there are none)."""
    if not body_ids:
        return None
    first = body_ids[0]
    more = f" and {len(body_ids) - 1} other bodies" if len(body_ids) > 1 else ""
    return (f"campaign: warning: the EP API does not know body org/{first}"
            f"{_named_in(store, first)}{more} (HTTP 404); recorded as unknown, its "
            "memberships kept but not named, and not asked for again")


# -- reading --------------------------------------------------------------------

def bodies(store: Store) -> list[dict[str, Any]]:
    """Every body kept, with its kind (from its classification, else from the memberships)."""
    import json

    kinds = {r[0]: r[1] for r in store.conn.execute(
        "SELECT body_id, min(kind) FROM ep_memberships GROUP BY body_id")}
    out = []
    for r in store.rows("SELECT * FROM ep_bodies ORDER BY label"):
        r["names"] = json.loads(r["names"] or "{}")
        r["kind"] = (KIND_OF_CLASSIFICATION.get(r["classification"] or "")
                     or kinds.get(r["id"]) or "body")
        out.append(r)
    return out


def have_memberships(store: Store) -> bool:
    return store.conn.execute("SELECT 1 FROM ep_memberships LIMIT 1").fetchone() is not None \
        and store.conn.execute("SELECT 1 FROM ep_bodies LIMIT 1").fetchone() is not None


def _what(kinds: Sequence[str]) -> str:
    return "delegation" if tuple(kinds) == DELEGATION_KINDS else "committee"


def find_body(store: Store, text: str, kinds: Sequence[str] = (*COMMITTEE_KINDS,
                                                               *DELEGATION_KINDS),
              known: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The one body ``text`` names among ``kinds``.

    A short label matches exactly, ignoring case ("droi"); otherwise the text
    must be part of exactly one body's full name ("human rights"). Several
    candidates are listed and nothing is chosen (two bodies with one label
    too); a miss suggests the nearest labels and names.
    """
    what = _what(kinds)
    wanted = "".join(c for c in text if c.isprintable()).strip()[:100]
    found = find_bodies(store, text, kinds, known)
    if len(found) > 1:
        shown = "; ".join(f"{b['label']} ({b.get('name') or 'no name'}, org/{b['id']})"
                          for b in found[:8])
        raise BodyError(f"'{wanted}' is the label of {len(found)} {what}s: {shown}",
                        "give org/NUMBER, or part of the full name, to choose one")
    return found[0]


def find_bodies(store: Store, text: str, kinds: Sequence[str] = (*COMMITTEE_KINDS,
                                                                 *DELEGATION_KINDS),
                known: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Every body ``text`` names among ``kinds``: all those with that short label (the EP
    has given one label to two bodies), else the one whose full name holds it, else the
    one numbered org/NUMBER.

    Several bodies by name, or none, raise as ``find_body`` says.
    """
    from campaign.names import normalise, suggest

    what = _what(kinds)
    pool = [b for b in (known if known is not None else bodies(store)) if b["kind"] in kinds]
    wanted = "".join(c for c in text if c.isprintable()).strip()[:100]
    if not normalise(wanted):
        raise BodyError(f"an empty {what} name", f"give a short label such as "
                        f"{'DCAS' if what == 'delegation' else 'AFET'}, or part of the name")
    by_label = [b for b in pool if b["label"].casefold() == wanted.casefold()]
    if by_label:
        return sorted(by_label, key=lambda b: int(b["id"]) if b["id"].isdigit() else 0)
    number = wanted.casefold().removeprefix("org/")
    by_id = [b for b in pool if b["id"] == number]
    if by_id:
        return by_id
    key = normalise(wanted)
    by_name = [b for b in pool if any(key in normalise(n) for n in
                                      [b.get("name") or "", *b["names"].values()])]
    if len(by_name) == 1:
        return by_name
    if by_name:
        shown = "; ".join(f"{b['label']} ({b.get('name') or b['label']})" for b in by_name[:8])
        more = f" and {len(by_name) - 8} more" if len(by_name) > 8 else ""
        raise BodyError(f"'{wanted}' matches {len(by_name)} {what}s: {shown}{more}",
                        f"give one short label with --{what}")
    names = [b["label"] for b in pool] + [b.get("name") or "" for b in pool]
    close = suggest(wanted, [n for n in names if n])
    hint = None if close else f"see `campaign meps bodies` for the {what}s known"
    raise NotFoundError(what, wanted, close, hint=hint)


def resolve_bodies(store: Store, texts: Iterable[str], kinds: Sequence[str]) -> list[str]:
    """Body ids for the texts given to one option (``--committee`` or ``--delegation``)."""
    texts = list(texts)
    if not texts:
        return []
    if not have_memberships(store):
        raise BodyError(f"no {_what(kinds)} memberships are known yet", NO_DETAILS_HINT)
    known = bodies(store)
    # A label two bodies share selects both: never one picked silently.
    return list(dict.fromkeys(b["id"] for t in texts for b in find_bodies(store, t, kinds,
                                                                          known)))


def _members_of(store: Store, body_ids: Sequence[str], as_of: dt.date | str | None) -> set[str]:
    marks = ", ".join("?" for _ in body_ids)
    rows = store.conn.execute(
        "SELECT m.contact_id, m.start_date, m.end_date FROM ep_memberships m "
        "JOIN contacts c ON c.id = m.contact_id "
        f"WHERE m.body_id IN ({marks}) AND c.status = 'current' AND c.historical = 0",
        list(body_ids))
    return {cid for cid, start, end in rows if is_current(start, end, as_of)}


def select_by_bodies(store: Store, committees: Sequence[str], delegations: Sequence[str],
                     as_of: dt.date | str | None = None) -> set[str]:
    """Contact ids of the current MEPs on these bodies as of ``as_of``.

    Repeating one option widens the choice (a member of AFET or of DROI);
    giving both narrows it (on AFET or DROI, and on DCAS). Raises BodyError
    or NotFoundError (one line each) for a label that names no body or
    several, or when no details were fetched yet. With neither option the
    result is empty: callers call it when an option was given.
    """
    chosen: set[str] | None = None
    for texts, kinds in ((committees, COMMITTEE_KINDS), (delegations, DELEGATION_KINDS)):
        ids = resolve_bodies(store, texts, kinds)
        if not ids:
            continue
        members = _members_of(store, ids, as_of)
        chosen = members if chosen is None else chosen & members
    return chosen if chosen is not None else set()


def _with_article(name: str) -> str:
    return name if name.casefold().startswith("the ") else f"the {name}"


def member_roles(store: Store, contact_id: str,
                 as_of: dt.date | str | None = None) -> list[dict[str, Any]]:
    """A member's current roles on committees, subcommittees and delegations, as of a day.

    Each: kind, label ("DROI"), name ("Subcommittee on Human Rights"), role
    ("Vice-Chair", "member"), role_code, start, end. A body not fetched yet
    has its number as label and no name.
    """
    rows = store.rows(
        "SELECT m.body_id, m.kind, m.role, m.start_date AS start, m.end_date AS end_, "
        "b.label, b.name "
        "FROM ep_memberships m LEFT JOIN ep_bodies b ON b.id = m.body_id "
        "WHERE m.contact_id = ?", (contact_id,))
    out = []
    for r in rows:
        if not is_current(r["start"], r["end_"], as_of):
            continue
        out.append({
            "kind": r["kind"], "label": r["label"] or f"org/{r['body_id']}",
            "name": r["name"], "role": ROLES.get(r["role"], ("member", ""))[0],
            "role_code": r["role"], "start": r["start"], "end": r["end_"],
            "body_id": r["body_id"],
        })
    out.sort(key=lambda r: (_KIND_ORDER.get(r["kind"], 9), _SENIORITY.get(r["role_code"], 9),
                            r["label"]))
    return out


def listed_on(store: Store, contact_id: str) -> dt.date | None:
    """The day the member's memberships were read from the EP (their details' fetch)."""
    found = store.conn.execute(
        "SELECT max(fetched_at) FROM ep_memberships WHERE contact_id = ?", (contact_id,)
    ).fetchone()[0]
    if not found:
        row = store.row("SELECT extra FROM contacts WHERE id = ?", (contact_id,))
        found = row["extra"].get("details_fetched_at") if row else None
    try:
        return dt.date.fromisoformat(str(found)[:10]) if found else None
    except ValueError:
        return None


def why_member(store: Store, contact_id: str, wanted_bodies: Sequence[str],
               as_of: dt.date | str | None = None, *, with_date: bool = False) -> str | None:
    """Why this member is written to: "As Vice-Chair of the Subcommittee on Human Rights".

    ``wanted_bodies`` are the texts given to --committee/--delegation (labels
    or parts of names) or body ids. None when the member holds none of them
    on ``as_of``. With ``with_date`` the phrase ends "(as listed by the
    European Parliament on 1 December 2026)": a role is true as of a date.
    """
    from campaign import dates

    texts = list(dict.fromkeys(wanted_bodies))
    marks = ", ".join("?" for _ in texts)
    # Ids (as ``resolve_bodies`` gives them, resolved once for a whole merge) are
    # looked up directly; only labels and names need the list of bodies.
    ids = {r[0] for r in store.conn.execute(
        f"SELECT id FROM ep_bodies WHERE id IN ({marks})", texts)} if texts else set()
    rest = [t for t in texts if t not in ids]
    if rest:
        known = bodies(store)
        ids |= {b["id"] for text in rest for b in find_bodies(store, text, known=known)}
    roles = [r for r in member_roles(store, contact_id, as_of) if r["body_id"] in ids]
    if not roles:
        return None
    roles.sort(key=lambda r: (_SENIORITY.get(r["role_code"], 9), _KIND_ORDER.get(r["kind"], 9)))
    parts = []
    for r in roles:
        phrase = ROLES.get(r["role_code"], ROLES["MEMBER"])[1]
        name = _with_article(r["name"]) if r["name"] else r["label"]
        parts.append(f"{phrase} {name}")
    text = "As " + (parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1])
    if with_date:
        day = listed_on(store, contact_id)
        if day:
            text += f" (as listed by the European Parliament on {dates.human(day.isoformat())})"
    return text


def body_summary(store: Store, as_of: dt.date | str | None = None) -> list[dict[str, Any]]:
    """Each body kept, with how many current MEPs sit on it and who chairs it, as of a day."""
    rows = store.rows(
        "SELECT m.body_id, m.contact_id, m.role, m.start_date, m.end_date, c.name "
        "FROM ep_memberships m "
        "JOIN contacts c ON c.id = m.contact_id "
        "WHERE c.status = 'current' AND c.historical = 0")
    members: dict[str, set[str]] = {}
    chairs: dict[str, list[str]] = {}
    for r in rows:
        if not is_current(r["start_date"], r["end_date"], as_of):
            continue
        members.setdefault(r["body_id"], set()).add(r["contact_id"])
        if r["role"] == "CHAIR":
            chairs.setdefault(r["body_id"], []).append(r["name"])
    out = []
    for b in bodies(store):
        out.append({"label": b["label"], "name": b.get("name"), "kind": b["kind"],
                    "members": len(members.get(b["id"], ())),
                    "chair": ", ".join(sorted(chairs.get(b["id"], []))) or None,
                    "id": b["id"], "names": b["names"], "fetched_at": b["fetched_at"]})
    out.sort(key=lambda b: (_KIND_ORDER.get(b["kind"], 9), b["label"]))
    return out


def roles_on(store: Store, contact_ids: Iterable[str], committees: Sequence[str],
             delegations: Sequence[str], as_of: dt.date | str | None = None
             ) -> dict[str, list[dict[str, Any]]]:
    """contact id -> their current roles on the bodies these options name (for a list)."""
    wanted = {*resolve_bodies(store, committees, COMMITTEE_KINDS),
              *resolve_bodies(store, delegations, DELEGATION_KINDS)}
    return {cid: [r for r in member_roles(store, cid, as_of) if r["body_id"] in wanted]
            for cid in contact_ids}


def reasons(store: Store, contact_ids: Iterable[str], committees: Sequence[str],
            delegations: Sequence[str], as_of: dt.date | str | None = None,
            *, with_date: bool = True) -> dict[str, str]:
    """contact id -> why this member is written to, for a whole merge (bodies resolved once).

    What `campaign letter --to mep --committee ... --delegation ...` puts in
    each letter: "As Vice-Chair of the Subcommittee on Human Rights (as
    listed by the European Parliament on 1 December 2026)". Members holding
    none of the bodies on ``as_of`` are left out.
    """
    wanted = [*resolve_bodies(store, committees, COMMITTEE_KINDS),
              *resolve_bodies(store, delegations, DELEGATION_KINDS)]
    if not wanted:
        return {}
    out = {}
    for cid in contact_ids:
        why = why_member(store, cid, wanted, as_of, with_date=with_date)
        if why:
            out[cid] = why
    return out
