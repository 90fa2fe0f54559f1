"""Talking to the European Parliament's servers: one client, one GET, and checked options.

Every request has an overall deadline (a server sending a byte a second
cannot hold it), follows redirects only over http(s) on the same host, and
reads at most a capped number of bytes. httpx is imported inside the
functions (start-up cost). The rest of the package fetches through ``get``.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from campaign import __version__
from campaign.errors import NetworkError

if TYPE_CHECKING:
    import httpx

DEFAULT_BASE_URL = "https://www.europarl.europa.eu"
DEFAULT_API_URL = "https://data.europarl.europa.eu/api/v2"
USER_AGENT = f"campaign/{__version__} (solidarity campaign toolkit)"
MAX_LIST_BYTES = 20 * 1024 * 1024
MAX_JSON_BYTES = 2 * 1024 * 1024
MAX_RETRY_WAIT = 30.0
BACKOFF = 0.5

# Tests replace this (or pass ``sleep=``) so that back-off costs no time.
SLEEP: Callable[[float], None] = time.sleep


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
    # Another port on the same host is another server (a local service, another user's):
    # only http -> https on the default ports counts as the same place.
    try:
        port_here, port_there = _port(source), _port(parts)
    except ValueError:
        raise NetworkError(f"{what}: {url} redirects to an address with a bad port", hint) \
            from None
    if there == here and port_there != port_here and there not in allowed \
            and f"{there}:{port_there}" not in allowed \
            and not (parts.port is None and source.port is None):
        raise NetworkError(f"{what}: {url} redirects to another port ({port_there}) of "
                           f"{there[:80]}; not followed (allow it with --allow-host "
                           f"{there[:80]}:{port_there})", hint)
    if target in seen:
        raise NetworkError(f"{what}: {url} redirects in a loop", hint)
    if len(seen) > MAX_REDIRECTS:
        raise NetworkError(f"{what}: more than {MAX_REDIRECTS} redirects from {seen[0]}", hint)
    return target


def _port(parts: Any) -> int:
    """The port an address reaches: the one it names, or its scheme's default."""
    return int(parts.port or (443 if parts.scheme == "https" else 80))


def _unresolved(exc: BaseException) -> bool:
    """True when a connection failed because the host name does not resolve (DNS).

    Retrying cannot help (offline, or a mistyped name) and each attempt costs
    seconds, so such a failure is reported at once.
    """
    import socket

    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, socket.gaierror):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False


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
            if _unresolved(exc):
                from urllib.parse import urlsplit

                host = (urlsplit(url).hostname or url)[:80]
                raise NetworkError(f"{what}: {url}: the name {host} does not resolve (offline, "
                                   "or a mistyped address?); not retried", hint) from None
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

