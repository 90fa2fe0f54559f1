"""The European Parliament directory over httpx: today's MEPs, their details and bodies.

Three parts. The *list* of current MEPs comes from the Open Data API's paged
``meps/show-current`` (the XML list on the main web site is the fallback: that
site answers many scripts with a 202 challenge page); it is fetched
completely, checked, and only then written to the store in one transaction:
a failure changes nothing. The *details* (one JSON-LD request per MEP: email,
office, memberships of committees and delegations) are fetched on a few
threads at a steady pace, and each one is saved as it arrives in its own small
transaction, so that an interrupted or partly failed run can be re-run and
asks only for what is still missing. The *bodies* the memberships name are
then read once each (campaign.ep_bodies).

Every request has an overall deadline (a server sending a byte a second
cannot hold it), follows redirects only over http(s) on the same host, and
reads at most a capped number of bytes. httpx is imported inside the
functions (start-up cost).
"""

from __future__ import annotations

import datetime as dt
import random
import re
import threading
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


def check_url(url: str, option: str) -> str:
    """A base URL the client may use: http(s), a host, nothing else (a usage error otherwise)."""
    from urllib.parse import urlsplit

    from campaign.errors import UsageError

    shown = _one_line(url)[:80]
    hint = f"give {option} as http(s)://HOST[:PORT]/PATH"
    if not url or url != url.strip() or any(c.isspace() or ord(c) < 32 for c in url):
        raise UsageError(f"{option}: '{shown}' is not a web address", hint)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UsageError(f"{option}: '{shown}' is not a web address ({exc})", hint) from None
    if parts.scheme not in ("http", "https"):
        raise UsageError(f"{option}: '{shown}' is not an http(s) address", hint)
    if not parts.hostname or parts.username is not None or parts.password is not None:
        raise UsageError(f"{option}: '{shown}' has no host (or carries a user name)", hint)
    if parts.query or parts.fragment or (port is not None and not 0 < port < 65536):
        raise UsageError(f"{option}: '{shown}' has a query, fragment or bad port", hint)
    return url


def check_timeout(seconds: float, option: str = "--timeout") -> float:
    """A finite, positive number of seconds, at most a day."""
    import math

    from campaign.errors import UsageError

    if not math.isfinite(seconds) or not 0 < seconds <= 86400:
        raise UsageError(f"{option}: {seconds} is not a number of seconds",
                         "give a positive number up to 86400, e.g. --timeout 30")
    return seconds


def check_fetch_options(*, base_url: str, api_url: str, timeout: float, concurrency: int,
                        retries: int, pace: float) -> None:
    """Usage errors (exit 2) for option values a fetch cannot run with, before any request."""
    import math

    from campaign.errors import UsageError

    check_url(base_url, "--base-url")
    check_url(api_url, "--api-url")
    check_timeout(timeout)
    if not 1 <= concurrency <= 4:
        raise UsageError(f"--concurrency: {concurrency} is not between 1 and 4",
                         "the EP asks clients to keep their requests few")
    if not 0 <= retries <= 10:
        raise UsageError(f"--retries: {retries} is not between 0 and 10")
    if not math.isfinite(pace) or not 0 < pace <= 6000:
        raise UsageError(f"--pace: {pace} is not a number of requests a minute",
                         "give a positive number up to 6000, e.g. --pace 100")


# -- an overall deadline per request ------------------------------------------
#
# httpx's timeouts apply to each step (connect, each read): a server that sends
# one byte a second never trips them. The client's network streams below cut
# every socket operation short at the request's deadline, set per request and
# per thread by ``get``.

_DEADLINE = threading.local()


def _remaining(timeout: float | None) -> float | None:
    deadline = getattr(_DEADLINE, "at", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        import httpcore

        raise httpcore.ReadTimeout("the request's overall deadline passed")
    return left if timeout is None else min(timeout, left)


def _deadline_backend() -> Any:
    """httpcore's sync backend, with every connect, read and write bounded by the deadline."""
    import httpcore
    from httpcore._backends.sync import SyncBackend

    class Stream(httpcore.NetworkStream):
        def __init__(self, inner: Any) -> None:
            self._inner = inner

        def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
            return bytes(self._inner.read(max_bytes, _remaining(timeout)))

        def write(self, buffer: bytes, timeout: float | None = None) -> None:
            self._inner.write(buffer, _remaining(timeout))

        def close(self) -> None:
            self._inner.close()

        def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                      timeout: float | None = None) -> Any:
            return Stream(self._inner.start_tls(ssl_context, server_hostname,
                                                _remaining(timeout)))

        def get_extra_info(self, info: str) -> Any:
            return self._inner.get_extra_info(info)

    class Backend(SyncBackend):
        def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                        local_address: str | None = None,
                        socket_options: Any = None) -> Any:
            return Stream(super().connect_tcp(host, port, _remaining(timeout), local_address,
                                              socket_options))

    return Backend()


def make_client(timeout: float, concurrency: int = 1,
                allow_hosts: Iterable[str] = ()) -> httpx.Client:
    """A client that names the toolkit and keeps each request within ``timeout`` overall.

    Redirects are not followed by httpx: ``get`` follows them itself, only to
    http(s) and only on the same host (or one of ``allow_hosts``).
    """
    import httpx

    limits = httpx.Limits(max_connections=max(1, concurrency),
                          max_keepalive_connections=max(1, concurrency))
    client = httpx.Client(headers={"User-Agent": USER_AGENT}, timeout=httpx.Timeout(timeout),
                          follow_redirects=False, limits=limits)
    # The pools' network backend is not a public option of httpx; without it there
    # is no overall deadline, so a missing attribute fails here, loudly, in the
    # tests. Proxies from the environment have transports of their own: bound
    # those too.
    transports = [client._transport, *client._mounts.values()]
    for transport in transports:
        if transport is None:  # NO_PROXY: such hosts use the default transport
            continue
        pool = getattr(transport, "_pool", None)
        if pool is None or not hasattr(pool, "_network_backend"):
            raise RuntimeError("httpx changed: no network backend to bound requests with")
        pool._network_backend = _deadline_backend()
    client.campaign_deadline = timeout  # type: ignore[attr-defined]
    client.campaign_allow_hosts = frozenset(h.lower() for h in allow_hosts)  # type: ignore[attr-defined]
    return client


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
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


MAX_REDIRECTS = 5


def _redirect_target(client: httpx.Client, url: Any, location: str | None, what: str,
                     seen: list[str], hint: str | None) -> str:
    """Where a redirect may lead: http(s), the same host (or an allowed one), no loop."""
    from urllib.parse import urljoin, urlsplit

    if not location:
        raise NetworkError(f"{what}: {url} redirects without saying where", hint)
    target = urljoin(str(url), location.strip())
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https"):
        raise NetworkError(f"{what}: {url} redirects to a '{parts.scheme}:' address; "
                           "only http(s) is followed", hint)
    source = urlsplit(str(url))
    if source.scheme == "https" and parts.scheme == "http":
        raise NetworkError(f"{what}: {url} redirects from https to plain http; not followed",
                           hint)
    here = (source.hostname or "").lower()
    there = (parts.hostname or "").lower()
    allowed: frozenset[str] = getattr(client, "campaign_allow_hosts", frozenset())
    if there != here and there not in allowed:
        raise NetworkError(f"{what}: {url} redirects to another host ({there[:80]}); not "
                           f"followed (allow it with --allow-host {there[:80]})", hint)
    if target in seen:
        raise NetworkError(f"{what}: {url} redirects in a loop", hint)
    if len(seen) > MAX_REDIRECTS:
        raise NetworkError(f"{what}: more than {MAX_REDIRECTS} redirects from {seen[0]}", hint)
    return target


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
    endless answer is never held in memory; each attempt as a whole (redirects
    included) ends by the client's deadline, however slowly the server sends.
    """
    import httpx

    pause = sleep if sleep is not None else SLEEP
    budget = float(getattr(client, "campaign_deadline", 0) or 0)
    attempt = 0
    while True:
        if budget:
            _DEADLINE.at = time.monotonic() + budget
        try:
            return _get_once(client, url, what=what, params=params, accept=accept,
                             max_bytes=max_bytes, hint=hint)
        except _Retry as exc:
            reason, wait = exc.reason, exc.wait
        except httpx.TimeoutException:
            within = f"within {budget:g} s" if budget else "in time"
            reason, wait = f"no complete answer {within} (timeout)", None
        except httpx.TransportError as exc:
            reason, wait = f"cannot connect ({_one_line(exc)[:200] or type(exc).__name__})", None
        except httpx.InvalidURL as exc:
            raise NetworkError(f"{what}: {url}: not a usable address, or it redirects to one "
                               f"({_one_line(exc)[:200]})", hint) from None
        finally:
            _DEADLINE.at = None
        if attempt >= retries:
            tries = f" after {attempt + 1} attempts" if attempt else ""
            raise NetworkError(f"{what}: {url}: {reason}{tries}", hint)
        delay = wait if wait is not None else BACKOFF * 2 ** attempt * (1 + random.random() / 4)
        pause(min(delay, max_wait))
        attempt += 1


def _get_once(client: httpx.Client, url: str, *, what: str, params: dict[str, Any] | None,
              accept: str, max_bytes: int, hint: str | None) -> tuple[str, bytes]:
    seen: list[str] = []
    target, query = url, params
    while True:
        with client.stream("GET", target, params=query, headers={"Accept": accept}) as resp:
            status = resp.status_code
            if status in (301, 302, 303, 307, 308):
                seen.append(str(resp.url))
                target = _redirect_target(client, resp.url, resp.headers.get("Location"), what,
                                          seen, hint)
                query = None
                continue
            if status == 429 or status >= 500:
                wait = retry_after(resp.headers.get("Retry-After"))
                raise _Retry(f"HTTP {status}", wait)
            if status == 202:
                raise NetworkError(
                    f"{what}: {url} answered 202 with a challenge page instead of the data "
                    "(the EP does this to some non-browser clients)", hint)
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
    """The list from a file saved by a browser (``campaign meps import``).

    Either the XML full list or the API's ``show-current`` JSON-LD. Only a
    regular file is read (a FIFO or a device would hang or never end), and no
    more than the cap.
    """
    import os
    import stat

    from campaign.ep_parse import parse_saved_api
    from campaign.errors import InputError

    hint = ("save the EP's full-list/xml page, or the API's meps/show-current JSON-LD, "
            "from a browser (File > Save Page As)")
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
        if info.st_size > MAX_LIST_BYTES:
            raise InputError(f"is {info.st_size:,} bytes, more than the {MAX_LIST_BYTES:,} "
                             "allowed", path=path)
        try:
            body = fh.read(MAX_LIST_BYTES + 1)
        except OSError as exc:
            raise InputError(f"cannot be read ({exc.strerror})", path=path) from None
    if len(body) > MAX_LIST_BYTES:
        raise InputError(f"is more than the {MAX_LIST_BYTES:,} bytes allowed", path=path)
    try:
        if body.lstrip(b"\xef\xbb\xbf \t\r\n").startswith((b"{", b"[")):
            return parse_saved_api(body)
        return parse_list(body)
    except FormatError as exc:
        raise InputError(str(exc), path=path, hint=hint) from None


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
    from campaign.ep_parse import current_to_meps

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
            (self._sleep if self._sleep is not None else SLEEP)(start - now_)


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
    from campaign.ep_parse import parse_body

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
    """Add or update each MEP as a contact of kind ``mep``, citing the list it came from.

    What the list gives is overwritten; what details gave (email, office,
    honorific) is kept, and so is a national party the API's list does not
    give. The group is saved the way people speak of it ("S&D", "the Left"),
    its full name in ``extra["group_full"]``. Call inside ``store.transaction()``.
    """
    from campaign.ep_parse import group_names

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
        from campaign.ep_bodies import save_memberships

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
    from campaign.ep_bodies import update_bodies

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
