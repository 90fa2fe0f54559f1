"""The European Parliament directory over httpx: today's MEPs, and their details.

Two parts. The *list* (one XML document, plus with details the Open Data
API's paged list of current MEPs) is fetched completely, checked, and only
then written to the store in one transaction: a failure changes nothing.
The *details* (one JSON-LD request per MEP) are fetched concurrently, and
each one is saved as it arrives in its own small transaction, so that an
interrupted or partly failed run can be re-run and asks only for what is
still missing. httpx is imported inside the functions (start-up cost).
"""

from __future__ import annotations

import datetime as dt
import random
import re
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from campaign import __version__, countries
from campaign.ep_parse import FormatError, parse_current_page, parse_detail, parse_list
from campaign.errors import NetworkError

if TYPE_CHECKING:
    import httpx

    from campaign.store import Store

DEFAULT_BASE_URL = "https://www.europarl.europa.eu"
DEFAULT_API_URL = "https://data.europarl.europa.eu/api/v2"
USER_AGENT = f"campaign/{__version__} (solidarity campaign toolkit)"
MAX_LIST_BYTES = 20 * 1024 * 1024
MAX_JSON_BYTES = 2 * 1024 * 1024
MAX_RETRY_WAIT = 30.0
BACKOFF = 0.5
PAGE_SIZE = 50
MAX_PAGES = 200
LIST_SOURCE = "ep-meps"
API_SOURCE = "ep-meps-api"
OFFLINE_HINT = ("for offline use save {url} from a browser and run "
                "`campaign meps import FILE.xml`")

# Tests replace this (or pass ``sleep=``) so that back-off costs no time.
SLEEP: Callable[[float], None] = time.sleep

Progress = Callable[[int, int], None]


def list_url(base_url: str, lang: str) -> str:
    return f"{base_url.rstrip('/')}/meps/{lang}/full-list/xml"


def now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def check_lang(lang: str) -> str:
    if not re.fullmatch(r"[a-z]{2}", lang):
        from campaign.errors import UsageError

        raise UsageError(f"--lang: '{lang}' is not a language code", "use two letters: en, fr, de")
    return lang


def make_client(timeout: float, concurrency: int = 1) -> httpx.Client:
    """A client that names the toolkit; ``timeout`` applies to each step of each request."""
    import httpx

    return httpx.Client(
        headers={"User-Agent": USER_AGENT},
        timeout=httpx.Timeout(timeout),
        follow_redirects=True,
        limits=httpx.Limits(max_connections=max(1, concurrency),
                            max_keepalive_connections=max(1, concurrency)),
    )


# -- one GET, with retries and a size cap -----------------------------------

class _Retry(Exception):
    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def get(
    client: httpx.Client,
    url: str,
    *,
    what: str,
    params: dict[str, Any] | None = None,
    accept: str = "*/*",
    max_bytes: int = MAX_LIST_BYTES,
    retries: int = 3,
    sleep: Callable[[float], None] | None = None,
    max_wait: float = MAX_RETRY_WAIT,
    hint: str | None = None,
) -> tuple[str, bytes]:
    """(content type, body) of a 200 answer, retrying what may pass.

    Connection errors, timeouts, 429 and 5xx are retried with exponential
    back-off (a Retry-After is honoured, capped at ``max_wait``). The body is
    streamed and abandoned as soon as it passes ``max_bytes``, so a huge or
    endless answer is never held in memory.
    """
    import httpx

    pause = sleep if sleep is not None else SLEEP
    attempt = 0
    while True:
        try:
            with client.stream("GET", url, params=params, headers={"Accept": accept}) as resp:
                status = resp.status_code
                if status == 429 or status >= 500:
                    wait = retry_after(resp.headers.get("Retry-After"))
                    raise _Retry(f"HTTP {status}", wait)
                if status == 202:
                    raise NetworkError(
                        f"{what}: {url} answered 202 with no list (the EP does this to some "
                        "non-browser clients)", hint)
                if status != 200:
                    raise NetworkError(f"{what}: {url} answered HTTP {status}", hint)
                length = resp.headers.get("Content-Length", "")
                if length.isdigit() and int(length) > max_bytes:
                    raise NetworkError(
                        f"{what}: {url} sends {int(length):,} bytes, more than the "
                        f"{max_bytes:,} allowed; refused", hint)
                chunks, size = [], 0
                for chunk in resp.iter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise NetworkError(
                            f"{what}: {url} sent more than the {max_bytes:,} bytes allowed; "
                            "refused", hint)
                    chunks.append(chunk)
                return resp.headers.get("Content-Type", ""), b"".join(chunks)
        except _Retry as exc:
            reason, wait = exc.reason, exc.wait
        except httpx.TimeoutException:
            reason, wait = "no answer in time (timeout)", None
        except httpx.TransportError as exc:
            reason, wait = f"cannot connect ({_one_line(exc) or type(exc).__name__})", None
        if attempt >= retries:
            tries = f" after {attempt + 1} attempts" if attempt else ""
            raise NetworkError(f"{what}: {url}: {reason}{tries}", hint)
        delay = wait if wait is not None else BACKOFF * 2 ** attempt * (1 + random.random() / 4)
        pause(min(delay, max_wait))
        attempt += 1


def _xml_type(content_type: str) -> bool | None:
    """True for XML, False for something else, None when the server did not say."""
    mime = content_type.split(";", 1)[0].strip().lower()
    if not mime or mime in ("application/octet-stream", "binary/octet-stream"):
        return None
    return mime in ("application/xml", "text/xml") or mime.endswith("+xml")


# -- the list ---------------------------------------------------------------

def fetch_list(
    base_url: str,
    lang: str = "en",
    *,
    timeout: float = 30.0,
    client: httpx.Client | None = None,
    retries: int = 3,
    sleep: Callable[[float], None] | None = None,
    max_bytes: int = MAX_LIST_BYTES,
) -> list[dict[str, Any]]:
    """The EP's full list of current MEPs, checked; nothing is written anywhere."""
    url = list_url(base_url, lang)
    hint = OFFLINE_HINT.format(url=list_url(DEFAULT_BASE_URL, lang))
    own = client is None
    client = client or make_client(timeout)
    try:
        ctype, body = get(client, url, what="cannot read the EP list of MEPs",
                          accept="application/xml, text/xml;q=0.9", max_bytes=max_bytes,
                          retries=retries, sleep=sleep, hint=hint)
    finally:
        if own:
            client.close()
    kind = _xml_type(ctype)
    if kind is False and "html" in ctype.lower():
        raise NetworkError(f"cannot read the EP list of MEPs: {url} sent an HTML page "
                           "(an error or consent page?), not XML", hint)
    if kind is False:
        raise NetworkError(f"cannot read the EP list of MEPs: {url} sent '{_one_line(ctype)}', "
                           "not XML", hint)
    try:
        return parse_list(body)
    except FormatError as exc:
        raise NetworkError(f"cannot read the EP list of MEPs from {url}: {exc}", hint) from None


def read_list_file(path: str) -> list[dict[str, Any]]:
    """The list from a file saved by a browser (``campaign meps import``)."""
    from pathlib import Path

    from campaign.errors import InputError

    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_LIST_BYTES:
            raise InputError(f"is {size:,} bytes, more than the {MAX_LIST_BYTES:,} allowed",
                             path=path)
        body = p.read_bytes()
    except FileNotFoundError:
        raise InputError("no such file", path=path, hint="check the path") from None
    except IsADirectoryError:
        raise InputError("is a directory", path=path, hint="give the saved XML file") from None
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror})", path=path) from None
    try:
        return parse_list(body)
    except FormatError as exc:
        raise InputError(str(exc), path=path, hint="save the EP's full-list/xml page as XML "
                         "(File > Save Page As)") from None


def select(meps: Sequence[dict[str, Any]], codes: Iterable[str]) -> list[dict[str, Any]]:
    """The MEPs of these countries (ISO codes), or all of them when no code is given."""
    wanted = set(codes)
    if not wanted:
        return list(meps)
    return [m for m in meps if m.get("country_code") in wanted]


def fetch_current(
    api_url: str,
    *,
    timeout: float = 30.0,
    client: httpx.Client | None = None,
    retries: int = 3,
    sleep: Callable[[float], None] | None = None,
    page_size: int = PAGE_SIZE,
) -> dict[str, dict[str, Any]]:
    """ep_id -> the Open Data API's view (ISO country code, short group, cased names).

    Paged with offset/limit; an empty ``data`` list ends the pages.
    """
    url = f"{api_url.rstrip('/')}/meps/show-current"
    own = client is None
    client = client or make_client(timeout)
    out: dict[str, dict[str, Any]] = {}
    try:
        for page in range(MAX_PAGES):
            params = {"format": "application/ld+json", "offset": page * page_size,
                      "limit": page_size}
            _, body = get(client, url, params=params, what="cannot read the EP's current MEPs",
                          accept="application/ld+json, application/json;q=0.9",
                          max_bytes=MAX_JSON_BYTES, retries=retries, sleep=sleep)
            try:
                items = parse_current_page(body)
            except FormatError as exc:
                raise NetworkError(f"cannot read the EP's current MEPs from {url}: {exc}") \
                    from None
            if not items:
                break
            for item in items:
                out.setdefault(item["ep_id"], item)
    finally:
        if own:
            client.close()
    return out


# -- details ----------------------------------------------------------------

def fetch_details(
    api_url: str,
    ids: Sequence[str],
    *,
    concurrency: int = 4,
    timeout: float = 30.0,
    retries: int = 3,
    progress: Progress | None = None,
    on_result: Callable[[str, dict[str, Any]], None] | None = None,
    sleep: Callable[[float], None] | None = None,
    client: httpx.Client | None = None,
    give_up_after: int = 10,
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """(details by id, failure reason by id) for each MEP's ``meps/{id}`` record.

    Threads share one httpx.Client (its pool is bounded by ``concurrency``);
    only the calling thread runs ``on_result`` and ``progress``, so a store
    connection never crosses threads. After ``give_up_after`` failures in a
    row (the server is down) no new request is started.
    """
    from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

    base = api_url.rstrip("/")
    today = dt.date.today().isoformat()
    own = client is None
    client = client or make_client(timeout, concurrency)

    def one(ep_id: str) -> dict[str, Any]:
        url = f"{base}/meps/{ep_id}"
        _, body = get(client, url, params={"format": "application/ld+json"},
                      what=f"cannot read the details of MEP {ep_id}",
                      accept="application/ld+json, application/json;q=0.9",
                      max_bytes=MAX_JSON_BYTES, retries=retries, sleep=sleep)
        try:
            detail = parse_detail(body, today=today)
        except FormatError as exc:
            raise NetworkError(f"cannot read the details of MEP {ep_id} from {url}: {exc}") \
                from None
        if detail["ep_id"] != ep_id:
            raise NetworkError(f"{url} describes MEP {detail['ep_id']}, not {ep_id}")
        return detail

    done: dict[str, dict[str, Any]] = {}
    failed: dict[str, str] = {}
    todo = list(dict.fromkeys(ids))
    total, streak = len(todo), 0
    pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="ep")
    running: dict[Future[dict[str, Any]], str] = {}
    try:
        queue = iter(todo)
        for ep_id in queue:
            running[pool.submit(one, ep_id)] = ep_id
            if len(running) >= concurrency:
                break
        if progress:
            progress(0, total)
        while running:
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in finished:
                ep_id = running.pop(fut)
                try:
                    detail = fut.result()
                except NetworkError as exc:
                    failed[ep_id] = str(exc)
                    streak += 1
                else:
                    streak = 0
                    done[ep_id] = detail
                    if on_result:
                        on_result(ep_id, detail)
                if progress:
                    progress(len(done) + len(failed), total)
                if streak < give_up_after:
                    nxt = next(queue, None)
                    if nxt is not None:
                        running[pool.submit(one, nxt)] = nxt
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        if own:
            client.close()
    return done, failed


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
) -> dict[str, int]:
    """Add or update each MEP as a contact of kind ``mep``, citing the EP list.

    What the list gives is overwritten; what details gave (email, office,
    honorific) is kept. Call inside ``store.transaction()``.
    """
    _ensure_source(store, LIST_SOURCE, "European Parliament: full list of Members",
                   source_url, fetched_at)
    api = api or {}
    counts = {"added": 0, "updated": 0}
    existing = {r["ep_id"]: r for r in store.rows(
        "SELECT id, ep_id, extra FROM contacts WHERE ep_id IS NOT NULL")}
    for m in meps:
        seen = api.get(m["ep_id"], {})
        code = m.get("country_code") or seen.get("country_code")
        extra_new: dict[str, Any] = {
            "lang": lang, "country_code": code, "source_url": source_url,
            "country_as_given": m.get("country_as_given"),
        }
        if seen.get("group_short"):
            extra_new["group_short"] = seen["group_short"]
        if imported_from:
            extra_new["imported_from"] = imported_from
        values = {
            "name": m["name"], "kind": "mep", "given_name": m.get("given_name"),
            "family_name": m.get("family_name"),
            "country": _country(m, code),
            "grp": m.get("group"), "party": m.get("party"), "ep_id": m["ep_id"],
            "status": "current", "historical": 0, "fetched_at": fetched_at,
        }
        old = existing.get(m["ep_id"])
        if old:
            extra = {**old["extra"], **extra_new}
            if not imported_from:
                extra.pop("imported_from", None)
            store.update("contacts", old["id"], {**values, "extra": extra})
            cid = old["id"]
            counts["updated"] += 1
        else:
            cid = f"mep-{m['ep_id']}"
            store.insert("contacts", {"id": cid, **values, "extra": extra_new})
            counts["added"] += 1
        store.cite("contact", cid, [LIST_SOURCE])
    return counts


def mark_former(store: Store, current_ids: Iterable[str],
                codes: Iterable[str] = ()) -> int:
    """MEPs fetched before but no longer in the list become ``former`` (never deleted).

    With ``codes``, only MEPs of those countries are considered: a list
    fetched for Ireland says nothing about the MEPs of Belgium.
    """
    keep, wanted = set(current_ids), set(codes)
    n = 0
    for r in store.rows("SELECT id, ep_id, country, extra FROM contacts "
                        "WHERE kind = 'mep' AND ep_id IS NOT NULL AND status = 'current'"):
        if r["ep_id"] in keep:
            continue
        code = r["extra"].get("country_code") or countries.code_of(r["country"])
        if wanted and code not in wanted:
            continue
        store.update("contacts", r["id"], {"status": "former"})
        n += 1
    return n


def missing_details(store: Store, ids: Iterable[str], *, refresh: bool = False) -> list[str]:
    """The ids (of those given) whose details have not been saved yet."""
    wanted = list(dict.fromkeys(ids))
    if refresh:
        return wanted
    have = {r["ep_id"] for r in store.rows(
        "SELECT ep_id, extra FROM contacts WHERE ep_id IS NOT NULL")
        if r["extra"].get("details_fetched_at")}
    return [i for i in wanted if i not in have]


def save_details(store: Store, detail: dict[str, Any], api_url: str, fetched_at: str) -> None:
    """Write one MEP's details in its own transaction (so a re-run resumes)."""
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
) -> dict[str, Any]:
    """Fetch and save the details still missing for ``ids``; raise if any could not be read.

    Details that arrived are saved even when others fail, so that running the
    same command again only asks for the rest.
    """
    todo = missing_details(store, ids, refresh=refresh)
    saved: list[str] = []

    def keep(ep_id: str, detail: dict[str, Any]) -> None:
        save_details(store, detail, api_url, now())
        saved.append(ep_id)

    _, failed = fetch_details(api_url, todo, concurrency=concurrency, timeout=timeout,
                              retries=retries, progress=progress, on_result=keep,
                              sleep=sleep, client=client)
    result = {"requested": len(todo), "saved": len(saved), "failed": failed,
              "skipped": len(ids) - len(todo)}
    if failed or len(saved) < len(todo):
        first = next(iter(failed.values()), "stopped early")
        left = len(todo) - len(saved)
        raise NetworkError(
            f"details of {left} of {len(todo)} MEPs could not be read ({first})",
            f"the {len(saved)} read were saved; run the same command again to fetch the rest")
    return result
