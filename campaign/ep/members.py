"""The MEPs in the store: the list written in one transaction, details saved as they arrive.

The list, fetched completely and checked (campaign.ep.fetch), is written in
one transaction: a failure changes nothing. Each MEP's details are saved as
they arrive in their own small transaction, so that an interrupted or partly
failed run can be re-run and asks only for what is still missing. The bodies
the memberships name are then read once each (campaign.ep.bodies).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from campaign import countries
from campaign.ep.fetch import Pace, Progress, fetch_details
from campaign.ep.net import make_client, now
from campaign.errors import NetworkError

if TYPE_CHECKING:
    import httpx

    from campaign.store import Store

LIST_SOURCE = "ep-meps"
API_SOURCE = "ep-meps-api"


# -- the store --------------------------------------------------------------

def _ensure_source(store: Store, source_id: str, title: str, url: str, fetched_at: str) -> None:
    store.add_source({"id": source_id, "title": title, "publisher": "European Parliament",
                      "published": fetched_at[:10], "url": url, "document": None}, replace=True)


def _country(mep: dict[str, Any], code: str | None) -> str | None:
    """English name; from the API's ISO code when the list's language is one we cannot map."""
    if mep.get("country_code") or not code:
        return mep.get("country")
    return countries.english(code)


def upsert_meps(
    store: Store,
    meps: Sequence[dict[str, Any]],
    source_url: str,
    fetched_at: str,
    *,
    lang: str = "en",
    api: dict[str, dict[str, Any]] | None = None,
    imported_from: str | None = None,
    partial: bool = False,
) -> dict[str, int]:
    """Add or update each MEP as a contact of kind ``mep``, citing the list it came from.

    With ``partial`` (a list without some members' country or group) what the
    list does not give is kept as it was, never blanked.

    What the list gives is overwritten; what details gave (email, office,
    honorific) is kept, and so is a national party the API's list does not
    give. The group is saved the way people speak of it ("S&D", "the Left"),
    its full name in ``extra["group_full"]``. Call inside ``store.transaction()``.
    """
    from campaign.ep.parse import group_names

    from_api = "/meps/show-current" in source_url or any("api_given_name" in m for m in meps)
    source_id = API_SOURCE if from_api else LIST_SOURCE
    if from_api:
        _ensure_source(store, API_SOURCE, "European Parliament Open Data Portal: Members of "
                       "the European Parliament", source_url, fetched_at)
    else:
        _ensure_source(store, LIST_SOURCE, "European Parliament: full list of Members",
                       source_url, fetched_at)
    api = api or {}
    counts = {"added": 0, "updated": 0}
    existing = {r["ep_id"]: r for r in store.rows(
        "SELECT id, ep_id, extra, party FROM contacts WHERE ep_id IS NOT NULL")}
    for m in meps:
        seen = api.get(m["ep_id"], {})
        code = m.get("country_code") or seen.get("country_code")
        short = m.get("group_short") or seen.get("group_short")
        spoken, full = group_names(short, m.get("group"))
        extra_new: dict[str, Any] = {
            "lang": lang, "country_code": code, "source_url": source_url,
            "country_as_given": m.get("country_as_given"), "group_full": full,
        }
        if short:
            extra_new["group_short"] = short
        for key in ("api_given_name", "api_family_name"):
            if m.get(key):
                extra_new[key] = m[key]
        if imported_from:
            extra_new["imported_from"] = imported_from
        old = existing.get(m["ep_id"])
        values = {
            "name": m["name"], "kind": "mep", "given_name": m.get("given_name"),
            "family_name": m.get("family_name"),
            "country": _country(m, code),
            "grp": spoken, "party": m.get("party"), "ep_id": m["ep_id"],
            "status": "current", "historical": 0, "fetched_at": fetched_at,
        }
        if from_api and old:
            values["party"] = old["party"]  # the API's list has no national party
        if partial and old:
            values = {k: v for k, v in values.items()
                      if v is not None or k not in ("country", "grp", "party")}
            extra_new = {k: v for k, v in extra_new.items() if v is not None}
        if old:
            extra = {**old["extra"], **extra_new}
            extra.pop("no_longer_listed_on", None)
            if not imported_from:
                extra.pop("imported_from", None)
            store.update("contacts", old["id"], {**values, "extra": extra})
            cid = old["id"]
            counts["updated"] += 1
        else:
            cid = f"mep-{m['ep_id']}"
            store.insert("contacts", {"id": cid, **values, "extra": extra_new})
            counts["added"] += 1
        store.cite("contact", cid, [source_id])
    return counts


def mark_former(store: Store, current_ids: Iterable[str],
                codes: Iterable[str] = (), seen_on: str | None = None) -> int:
    """MEPs fetched before but no longer in the list become ``former`` (never deleted).

    With ``codes``, only MEPs of those countries are considered: a list
    fetched for Ireland says nothing about the MEPs of Belgium. The day the
    list first left them out is kept (``extra["no_longer_listed_on"]``);
    ``fetched_at`` stays the last day they were listed.
    """
    keep, wanted = set(current_ids), set(codes)
    day = (seen_on or now())[:10]
    n = 0
    for r in store.rows("SELECT id, ep_id, country, extra FROM contacts "
                        "WHERE kind = 'mep' AND ep_id IS NOT NULL AND status = 'current'"):
        if r["ep_id"] in keep:
            continue
        code = r["extra"].get("country_code") or countries.code_of(r["country"])
        if wanted and code not in wanted:
            continue
        extra = {**r["extra"], "no_longer_listed_on": day}
        store.update("contacts", r["id"], {"status": "former", "extra": extra})
        n += 1
    return n


def missing_details(store: Store, ids: Iterable[str], *, refresh: bool = False) -> list[str]:
    """The ids (of those given) whose details have not been saved yet."""
    wanted = list(dict.fromkeys(ids))
    if refresh:
        return wanted
    # Details count as saved when their memberships are still all there: a store
    # fetched before memberships were kept, or whose contacts were replaced by a
    # pack import, asks for them again.
    kept = dict(store.conn.execute(
        "SELECT contact_id, count(*) FROM ep_memberships GROUP BY contact_id").fetchall())
    have = {r["ep_id"] for r in store.rows(
        "SELECT id, ep_id, extra FROM contacts WHERE ep_id IS NOT NULL")
        if r["extra"].get("details_fetched_at")
        and r["extra"].get("memberships_kept") == kept.get(r["id"], 0)}
    return [i for i in wanted if i not in have]


def save_details(store: Store, detail: dict[str, Any], api_url: str, fetched_at: str) -> None:
    """Write one MEP's details and memberships in its own transaction (so a re-run resumes)."""
    with store.transaction():
        row = store.row("SELECT id, extra FROM contacts WHERE ep_id = ?", (detail["ep_id"],))
        if row is None:
            return
        _ensure_source(store, API_SOURCE, "European Parliament Open Data Portal: Members of "
                       "the European Parliament", f"{api_url.rstrip('/')}/meps", fetched_at)
        extra = dict(row["extra"])
        extra.update({
            "details_fetched_at": fetched_at,
            "details_url": f"{api_url.rstrip('/')}/meps/{detail['ep_id']}",
            # "office"/"site": the first current office's room code and EP site code, as
            # plain strings (documents.letters reads extra["office"]); all of them in "offices".
            "offices": detail["offices"],
            "office": next((o["office"] for o in detail["offices"] if o["office"]), None),
            "site": next((o["site"] for o in detail["offices"] if o["site"]), None),
            "api_given_name": detail.get("given_name"),
            "api_family_name": detail.get("family_name"),
        })
        from campaign.ep.bodies import save_memberships

        extra["memberships_kept"] = save_memberships(store, row["id"],
                                                     detail.get("memberships") or [], fetched_at)
        store.update("contacts", row["id"], {
            "email": detail["email"], "honorific": detail["honorific"],
            "postal_address": detail["postal_address"], "phone": detail["phone"],
            "extra": extra,
        })
        store.cite("contact", row["id"], [API_SOURCE])


def update_details(
    store: Store,
    api_url: str,
    ids: Sequence[str],
    *,
    refresh: bool = False,
    concurrency: int = 4,
    timeout: float = 30.0,
    retries: int = 3,
    progress: Progress | None = None,
    sleep: Callable[[float], None] | None = None,
    client: httpx.Client | None = None,
    pace: Pace | None = None,
) -> dict[str, Any]:
    """Fetch and save the details still missing for ``ids``; raise if any could not be read.

    Details that arrived are saved even when others fail, so that running the
    same command again only asks for the rest. Then the committees and
    delegations their memberships name are fetched, each once, and kept.
    """
    from campaign.ep.bodies import update_bodies

    todo = missing_details(store, ids, refresh=refresh)
    saved: list[str] = []

    def keep(ep_id: str, detail: dict[str, Any]) -> None:
        save_details(store, detail, api_url, now())
        saved.append(ep_id)

    own = client is None
    client = client or make_client(timeout, concurrency)
    try:
        _, failed = fetch_details(api_url, todo, concurrency=concurrency, timeout=timeout,
                                  retries=retries, progress=progress, on_result=keep,
                                  sleep=sleep, client=client, pace=pace)
        result: dict[str, Any] = {"requested": len(todo), "saved": len(saved),
                                  "failed": failed, "skipped": len(ids) - len(todo)}
        if failed or len(saved) < len(todo):
            first = next(iter(failed.values()), "stopped early")
            left = len(todo) - len(saved)
            raise NetworkError(
                f"details of {left} of {len(todo)} MEPs could not be read ({first})",
                f"the {len(saved)} read were saved; run the same command again to fetch "
                "the rest")
        result["bodies"] = update_bodies(store, api_url, client=client, refresh=refresh,
                                         concurrency=concurrency, retries=retries,
                                         sleep=sleep, pace=pace)
    finally:
        if own:
            client.close()
    return result


def incomplete(meps: Sequence[dict[str, Any]]) -> int:
    """How many of these MEPs the list gives without a country or without a group.

    A directory that names members by id and name only is not the list of
    today's MEPs by country and group: the caller warns, or refuses unless
    told the list is partial.
    """
    return sum(1 for m in meps
               if not (m.get("country_code") or m.get("country_as_given"))
               or not (m.get("group") or m.get("group_short")))


def import_detail(store: Store, mep: dict[str, Any], detail: dict[str, Any], fetched_at: str,
                  *, imported_from: str) -> str:
    """A member's own API record (``meps/{id}``) saved as ``meps fetch --details`` would.

    A member not in the store yet is added from the record first: current
    when their mandate is (``mep["current"]``), else former. Returns "added"
    or "updated".
    """
    from campaign.ep.fetch import DEFAULT_API_URL

    with store.transaction():
        known = store.row("SELECT id FROM contacts WHERE ep_id = ?", (mep["ep_id"],))
        if known is None:
            upsert_meps(store, [mep], f"{DEFAULT_API_URL}/meps/{mep['ep_id']}", fetched_at,
                        imported_from=imported_from)
        row = store.row("SELECT id, status FROM contacts WHERE ep_id = ?", (mep["ep_id"],))
        if row is not None and mep.get("current") is False:
            store.update("contacts", row["id"], {"status": "former"})
        save_details(store, detail, DEFAULT_API_URL, fetched_at)  # joins this transaction
    return "updated" if known else "added"
