"""Fetching what the EP publishes: the list of current MEPs, their details, the bodies.

The *list* of current MEPs comes from the Open Data API's paged
``meps/show-current`` (the XML list on the main web site is the fallback: that
site answers many scripts with a 202 challenge page); it is fetched
completely and checked; nothing here writes to the store (campaign.ep.members
does). The *details* (one JSON-LD request per MEP: email, office,
memberships of committees and delegations) and the *bodies* those memberships
name are fetched on a few threads at a steady pace, each result handed to the
caller as it arrives.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from campaign.ep import net
from campaign.ep.net import (
    DEFAULT_API_URL,
    DEFAULT_BASE_URL,
    MAX_JSON_BYTES,
    MAX_LIST_BYTES,
    _one_line,
    _xml_type,
    get,
    make_client,
)
from campaign.ep.parse import FormatError, parse_current_page, parse_detail, parse_list
from campaign.errors import NetworkError

if TYPE_CHECKING:
    import httpx

PAGE_SIZE = 50
MAX_PAGES = 200
OFFLINE_HINT = ("for offline use save {url} from a browser and run "
                "`campaign meps import FILE.xml`")

Progress = Callable[[int, int], None]


def list_url(base_url: str, lang: str) -> str:
    return f"{base_url.rstrip('/')}/meps/{lang}/full-list/xml"


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


def _read_saved(path: str) -> bytes:
    """A saved file's bytes: only a regular file (a FIFO or a device would hang or never
    end), and no more than the one limit for input files of MEPs."""
    import os
    import stat

    from campaign.errors import InputError
    from campaign.files import MEP_LIST_LIMIT as limit  # one limit, the one `check_input` uses

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise InputError("no such file", path=path, hint="check the path") from None
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror})", path=path) from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        if stat.S_ISDIR(info.st_mode):
            raise InputError("is a directory", path=path, hint="give the saved file")
        raise InputError("is not a regular file (a pipe or a device?)", path=path,
                         hint="save the list to a file first")
    with os.fdopen(fd, "rb") as fh:
        if info.st_size > limit:
            raise InputError(f"is {info.st_size:,} bytes, more than the {limit:,} "
                             "allowed", path=path)
        try:
            body = fh.read(limit + 1)
        except OSError as exc:
            raise InputError(f"cannot be read ({exc.strerror})", path=path) from None
    if len(body) > limit:
        raise InputError(f"is more than the {limit:,} bytes allowed", path=path)
    return body


def read_list_file(path: str, *, body: bytes | None = None) -> list[dict[str, Any]]:
    """The list from a file saved by a browser (``campaign meps import``).

    Either the XML full list or the API's ``show-current`` JSON-LD (``body``
    when the caller has read the file already). A list that cannot be of
    today's MEPs (more members than seats, the API's all-time list) is refused.
    """
    from campaign.ep.parse import not_current, parse_saved_api
    from campaign.errors import InputError

    hint = ("save the EP's full-list/xml page, or the API's meps/show-current JSON-LD, "
            "from a browser (File > Save Page As)")
    if body is None:
        body = _read_saved(path)
    try:
        if body.lstrip(b"\xef\xbb\xbf \t\r\n").startswith((b"{", b"[")):
            return parse_saved_api(body)
        meps = parse_list(body)
        not_current(meps, "the XML list")
        return meps
    except FormatError as exc:
        raise InputError(str(exc), path=path, hint=hint) from None


def read_saved(path: str, today: str) -> tuple[str, Any]:
    """What a saved file holds: ("list", MEPs) or ("detail", (the MEP, their details)).

    A member's own record (``meps/{id}``, JSON-LD) is told from a list by
    its content; it is imported as ``meps fetch --details`` would save it.
    """
    from campaign.ep.parse import is_detail, parse_saved_detail
    from campaign.errors import InputError

    body = _read_saved(path)
    if body.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{") and is_detail(body):
        try:
            return "detail", parse_saved_detail(body, today=today)
        except FormatError as exc:
            raise InputError(str(exc), path=path,
                             hint="save the API's meps/{id} record as JSON-LD") from None
    return "list", read_list_file(path, body=body)


def select(meps: Sequence[dict[str, Any]], codes: Iterable[str]) -> list[dict[str, Any]]:
    """The MEPs of these countries (ISO codes), or all of them when no code is given."""
    wanted = set(codes)
    if not wanted:
        return list(meps)
    return [m for m in meps if m.get("country_code") in wanted]


def current_url(api_url: str) -> str:
    return f"{api_url.rstrip('/')}/meps/show-current"


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

    Paged with offset/limit; an empty ``data`` list ends the pages. The next
    offset counts what arrived, so a server that caps ``limit`` loses no one;
    a page with nobody new (a server that ignores ``offset``) is an error, not
    an endless loop.
    """
    url = current_url(api_url)
    own = client is None
    client = client or make_client(timeout)
    out: dict[str, dict[str, Any]] = {}
    offset = 0
    try:
        for _ in range(MAX_PAGES):
            params = {"format": "application/ld+json", "offset": offset, "limit": page_size}
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
            new = [i for i in items if i["ep_id"] not in out]
            if not new:
                raise NetworkError(f"cannot read the EP's current MEPs from {url}: the page at "
                                   f"offset {offset} repeats members already read")
            for item in new:
                out[item["ep_id"]] = item
            offset += len(items)
        else:
            raise NetworkError(f"cannot read the EP's current MEPs from {url}: more than "
                               f"{MAX_PAGES} pages")
    finally:
        if own:
            client.close()
    if not out:
        raise NetworkError(f"cannot read the EP's current MEPs from {url}: the first page is "
                           "empty (zero MEPs)")
    return out


IMPORT_HINT = ("save {url}?format=application%2Fld%2Bjson&limit=1000 (or the XML list) from a "
               "browser and run `campaign meps import FILE`")


def fetch_meps(
    api_url: str,
    base_url: str,
    lang: str = "en",
    *,
    client: httpx.Client,
    retries: int = 3,
    sleep: Callable[[float], None] | None = None,
) -> tuple[list[dict[str, Any]], str]:
    """(today's MEPs, the URL they came from): the Open Data API, else the XML list.

    The main web site answers many scripts with a 202 challenge page; the API
    is the primary source and the XML list the fallback. When both fail, the
    one error says what each answered and how to import a saved copy.
    """
    from campaign.ep.parse import current_to_meps

    try:
        current = fetch_current(api_url, client=client, retries=retries, sleep=sleep)
        return current_to_meps(list(current.values())), current_url(api_url)
    except FormatError as exc:
        api_error = f"cannot read the EP's current MEPs from {current_url(api_url)}: {exc}"
    except NetworkError as exc:
        api_error = exc.message
    try:
        return (fetch_list(base_url, lang, client=client, retries=retries, sleep=sleep),
                list_url(base_url, lang))
    except NetworkError as exc:
        raise NetworkError(f"{api_error}; and the XML list: {exc.message}",
                           IMPORT_HINT.format(url=current_url(DEFAULT_API_URL))) from None


# -- details and bodies: many requests, paced ---------------------------------

# The API asks for about 500 requests in 5 minutes; the default keeps under it.
DEFAULT_PACE = 100  # requests a minute


class Pace:
    """Starts at most ``per_minute`` requests a minute, across threads."""

    def __init__(self, per_minute: float, sleep: Callable[[float], None] | None = None) -> None:
        self.interval = 60.0 / per_minute if per_minute > 0 else 0.0
        self._next = 0.0
        self._lock = threading.Lock()
        self._sleep = sleep

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now_ = time.monotonic()
            start = max(now_, self._next)
            self._next = start + self.interval
        if start > now_:
            (self._sleep if self._sleep is not None else net.SLEEP)(start - now_)


def eta(requests: int, per_minute: float, concurrency: int) -> str:
    """'about 7 minutes': the time ``requests`` take at the pace kept."""
    minutes = requests / per_minute if per_minute > 0 else requests / (60.0 * concurrency)
    if minutes < 1:
        return "under a minute"
    if minutes < 90:
        return f"about {round(minutes)} minute{'s' if round(minutes) != 1 else ''}"
    return f"about {minutes / 60:.1f} hours"


def _fetch_many(
    ids: Sequence[str],
    one: Callable[[str], dict[str, Any]],
    *,
    concurrency: int,
    progress: Progress | None,
    on_result: Callable[[str, dict[str, Any]], None] | None,
    give_up_after: int,
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Run ``one`` over ``ids`` on a bounded pool; results handled on the calling thread."""
    from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

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
    return done, failed


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
    pace: Pace | None = None,
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """(details by id, failure reason by id) for each MEP's ``meps/{id}`` record.

    Threads share one httpx.Client (its pool is bounded by ``concurrency``);
    only the calling thread runs ``on_result`` and ``progress``, so a store
    connection never crosses threads. After ``give_up_after`` failures in a
    row (the server is down) no new request is started.
    """
    base = api_url.rstrip("/")
    today = dt.date.today().isoformat()
    own = client is None
    client = client or make_client(timeout, concurrency)

    def one(ep_id: str) -> dict[str, Any]:
        if pace:
            pace.wait()
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

    try:
        return _fetch_many(ids, one, concurrency=concurrency, progress=progress,
                           on_result=on_result, give_up_after=give_up_after)
    finally:
        if own:
            client.close()


def fetch_bodies(
    api_url: str,
    ids: Sequence[str],
    *,
    client: httpx.Client,
    concurrency: int = 4,
    retries: int = 3,
    sleep: Callable[[float], None] | None = None,
    pace: Pace | None = None,
    on_result: Callable[[str, dict[str, Any]], None] | None = None,
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """(bodies by id, failure by id) from ``corporate-bodies/{id}``: what org/NNNN means."""
    from campaign.ep.parse import parse_body

    base = api_url.rstrip("/")

    def one(body_id: str) -> dict[str, Any]:
        if pace:
            pace.wait()
        url = f"{base}/corporate-bodies/{body_id}"
        try:
            _, payload = get(client, url, params={"format": "application/ld+json"},
                             what=f"cannot read body org/{body_id}",
                             accept="application/ld+json, application/json;q=0.9",
                             max_bytes=MAX_JSON_BYTES, retries=retries, sleep=sleep)
            body = parse_body(payload, body_id)
        except FormatError as exc:
            raise NetworkError(f"cannot read body org/{body_id} from {url}: {exc}") from None
        body["url"] = url
        return body

    return _fetch_many(ids, one, concurrency=concurrency, progress=None, on_result=on_result,
                       give_up_after=10)

