"""The EP client over a real HTTP server on loopback: retries, limits, paging, concurrency."""

from __future__ import annotations

import json
import threading
import time
import tracemalloc
from collections.abc import Iterator

import pytest
from ep_server import (
    ALL_IDS,
    BILLION_LAUGHS,
    DETAIL_PATH,
    XML,
    api_url,
    base_url,
    details,
    list_xml,
    serve_api,
    serve_list,
)
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from campaign import __version__, ep
from campaign.errors import NetworkError
from campaign.store import Store

MB = 1024 * 1024


class Sleeps(list[float]):
    """An injected sleep that records the waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def test_list_in_english_and_french(httpserver: HTTPServer) -> None:
    serve_list(httpserver, "en")
    serve_list(httpserver, "fr")
    en = ep.fetch_list(base_url(httpserver), "en", timeout=5)
    fr = ep.fetch_list(base_url(httpserver), "fr", timeout=5)
    assert [m["ep_id"] for m in en] == [m["ep_id"] for m in fr]
    assert fr[0]["country_as_given"] == "Irlande" and fr[0]["country"] == "Ireland"


def test_user_agent_names_the_toolkit(httpserver: HTTPServer) -> None:
    serve_list(httpserver)
    ep.fetch_list(base_url(httpserver), "en", timeout=5)
    request, _ = httpserver.log[0]
    assert request.headers["User-Agent"] == f"campaign/{__version__} (solidarity campaign toolkit)"
    assert "xml" in request.headers["Accept"]


def test_500_then_success_is_retried(httpserver: HTTPServer, sleeps: Sleeps) -> None:
    httpserver.expect_oneshot_request("/meps/en/full-list/xml").respond_with_data(
        "oops", status=500)
    httpserver.expect_oneshot_request("/meps/en/full-list/xml").respond_with_data(
        "oops", status=503)
    serve_list(httpserver)
    meps = ep.fetch_list(base_url(httpserver), "en", timeout=5, sleep=sleeps)
    assert len(meps) == 8
    assert len(httpserver.log) == 3
    assert len(sleeps) == 2 and sleeps[1] > sleeps[0]  # exponential back-off


def test_5xx_gives_up_after_the_retries(httpserver: HTTPServer, sleeps: Sleeps) -> None:
    serve_list(httpserver, body=b"oops", status=502)
    with pytest.raises(NetworkError, match=r"HTTP 502 after 3 attempts.*meps import"):
        ep.fetch_list(base_url(httpserver), "en", timeout=5, retries=2, sleep=sleeps)
    assert len(httpserver.log) == 3


def test_429_honours_retry_after(httpserver: HTTPServer, sleeps: Sleeps) -> None:
    httpserver.expect_oneshot_request("/meps/en/full-list/xml").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "7"})
    httpserver.expect_oneshot_request("/meps/en/full-list/xml").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "86400"})
    serve_list(httpserver)
    assert len(ep.fetch_list(base_url(httpserver), "en", timeout=5, sleep=sleeps)) == 8
    assert sleeps == [7.0, ep.MAX_RETRY_WAIT]  # the second wait is capped


def test_retry_after_as_a_date() -> None:
    assert ep.retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert ep.retry_after("soon") is None
    assert ep.retry_after("12") == 12.0


def test_timeout(httpserver: HTTPServer, sleeps: Sleeps) -> None:
    def slow(request: Request) -> Response:
        time.sleep(0.4)
        return Response(list_xml("en"), content_type=XML)

    httpserver.expect_request("/meps/en/full-list/xml").respond_with_handler(slow)
    started = time.monotonic()
    with pytest.raises(NetworkError, match="timeout"):
        ep.fetch_list(base_url(httpserver), "en", timeout=0.15, retries=1, sleep=sleeps)
    assert time.monotonic() - started < 1.5
    assert len(sleeps) == 1


def test_connection_refused(sleeps: Sleeps) -> None:
    with pytest.raises(NetworkError, match="cannot connect.*meps import"):
        ep.fetch_list("http://127.0.0.1:9", "en", timeout=1, retries=1, sleep=sleeps)


def test_202_with_an_empty_body(httpserver: HTTPServer) -> None:
    serve_list(httpserver, body=b"", status=202)
    with pytest.raises(NetworkError, match="202.*meps import FILE.xml"):
        ep.fetch_list(base_url(httpserver), "en", timeout=5)


@pytest.mark.parametrize(("body", "ctype", "message"), [
    (b"", XML, "empty"),
    (b"<!DOCTYPE html><html><body>Error</body></html>", "text/html; charset=utf-8", "HTML page"),
    (b"<!DOCTYPE html><html><body>Error</body></html>", XML, "HTML page"),
    (list_xml("en"), "application/json", "sent 'application/json', not XML"),
    (list_xml("en")[:1000], XML, "truncated"),
    (BILLION_LAUGHS, XML, "unsafe XML"),
    (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><meps></meps>', XML, "zero MEPs"),
])
def test_unusable_bodies(httpserver: HTTPServer, body: bytes, ctype: str, message: str) -> None:
    serve_list(httpserver, body=body, content_type=ctype)
    with pytest.raises(NetworkError, match=message) as exc:
        ep.fetch_list(base_url(httpserver), "en", timeout=5)
    assert "\n" not in str(exc.value)


def test_missing_content_type_is_sniffed(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/meps/en/full-list/xml").respond_with_response(
        Response(list_xml("en"), headers={"Content-Type": ""}))
    assert len(ep.fetch_list(base_url(httpserver), "en", timeout=5)) == 8


def _fifty_megabytes() -> Iterator[bytes]:
    yield b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><meps>'
    chunk = b"<mep><fullName>A B</fullName></mep>" * 2000
    for _ in range(50 * MB // len(chunk)):
        yield chunk


def test_a_declared_50_mb_body_is_refused_unread(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/meps/en/full-list/xml").respond_with_response(
        Response(_fifty_megabytes(), content_type=XML,
                 headers={"Content-Length": str(50 * MB)}))
    started = time.monotonic()
    with pytest.raises(NetworkError, match="52,428,800 bytes.*refused"):
        ep.fetch_list(base_url(httpserver), "en", timeout=5)
    assert time.monotonic() - started < 2


def test_an_undeclared_50_mb_body_is_cut_off(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/meps/en/full-list/xml").respond_with_response(
        Response(_fifty_megabytes(), content_type=XML))
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(NetworkError, match="more than the 20,971,520 bytes allowed"):
            ep.fetch_list(base_url(httpserver), "en", timeout=5)
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < 10
    assert peak < 32 * MB  # the cap (20 MB) plus chunks, not the whole 50 MB


def test_paged_current_list(httpserver: HTTPServer) -> None:
    serve_api(httpserver)
    found = ep.fetch_current(api_url(httpserver), timeout=5, page_size=3)
    assert list(found) == ALL_IDS
    assert found["1294"]["group_short"] == "S&D"
    offsets = [int(r.args["offset"]) for r, _ in httpserver.log]
    # The next offset counts the members that arrived (a server may cap the page);
    # the empty fourth page ends it.
    assert offsets == [0, 3, 6, 8]
    assert all(r.args["format"] == "application/ld+json" for r, _ in httpserver.log)


def test_details_retry_5xx_and_429(httpserver: HTTPServer, sleeps: Sleeps) -> None:
    httpserver.expect_oneshot_request("/api/v2/meps/1294").respond_with_data("x", status=500)
    httpserver.expect_oneshot_request("/api/v2/meps/124984").respond_with_data(
        "x", status=429, headers={"Retry-After": "3"})
    serve_api(httpserver)
    seen: list[tuple[int, int]] = []
    done, failed = ep.fetch_details(api_url(httpserver), ["1294", "124984", "197490"],
                                    concurrency=2, timeout=5, sleep=sleeps,
                                    progress=lambda d, t: seen.append((d, t)))
    assert failed == {}
    assert done["1294"]["email"] == "elio.dirupo@ep.example"
    assert done["197490"]["email"] is None
    assert 3.0 in sleeps
    assert seen[0] == (0, 3) and seen[-1] == (3, 3)


def test_details_failures_are_reported_not_raised(httpserver: HTTPServer, sleeps: Sleeps) -> None:
    serve_api(httpserver, fail=["1294"])
    done, failed = ep.fetch_details(api_url(httpserver), ["1294", "124984", "999"],
                                    concurrency=2, timeout=5, retries=1, sleep=sleeps)
    assert set(done) == {"124984"}
    assert "HTTP 500 after 2 attempts" in failed["1294"]
    assert "HTTP 404" in failed["999"]


def test_details_stop_when_the_server_is_down(sleeps: Sleeps) -> None:
    ids = [str(n) for n in range(100)]
    done, failed = ep.fetch_details("http://127.0.0.1:9/api/v2", ids, concurrency=2, timeout=1,
                                    retries=0, sleep=sleeps, give_up_after=4)
    assert done == {}
    assert 4 <= len(failed) < 10  # no request started after four failures in a row


@pytest.fixture(scope="module")
def threaded_server() -> Iterator[HTTPServer]:
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


def test_concurrency_is_bounded(threaded_server: HTTPServer) -> None:
    lock = threading.Lock()
    active, peak = [0], [0]
    people = details()

    def slow(request: Request) -> Response:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.05)
        with lock:
            active[0] -= 1
        ep_id = request.path.rsplit("/", 1)[1]
        return Response(json.dumps({"data": [people[ep_id]]}), content_type="application/json")

    threaded_server.expect_request(DETAIL_PATH).respond_with_handler(slow)
    done, failed = ep.fetch_details(threaded_server.url_for("/api/v2"), ALL_IDS,
                                    concurrency=3, timeout=5)
    assert not failed and len(done) == 8
    assert 2 <= peak[0] <= 3


def test_upsert_and_mark_former(empty_store: Store) -> None:
    from campaign.ep.parse import parse_list

    st = empty_store
    with st.transaction():
        counts = ep.upsert_meps(st, parse_list(list_xml("en")), "http://x/list",
                                "2026-01-02T10:00:00+00:00")
    assert counts == {"added": 8, "updated": 0}
    row = st.row("SELECT * FROM contacts WHERE id = 'mep-900002'")
    assert row is not None
    assert (row["name"], row["given_name"], row["family_name"], row["party"], row["country"],
            row["status"], row["email"]) == ("María José del CAMPO RUIZ", "María José",
                                              "del CAMPO RUIZ", None, "Spain", "current", None)
    assert row["extra"]["country_code"] == "ES"
    assert st.citations("contact")["mep-900002"] == ["ep-meps"]
    source = st.source("ep-meps")
    assert (source["published"], source["url"], source["publisher"]) == (
        "2026-01-02", "http://x/list", "European Parliament")
    with st.transaction():
        counts = ep.upsert_meps(st, parse_list(list_xml("en", without=["124986"])),
                                "http://x/list", "2026-02-01T10:00:00+00:00")
        # A fetch for Belgium only says nothing about Ireland's MEPs...
        assert ep.mark_former(st, ["1294"], ["BE"]) == 0
        # ...the full list does.
        assert ep.mark_former(st, [i for i in ALL_IDS if i != "124986"]) == 1
    assert counts == {"added": 0, "updated": 7}
    carthy = st.row("SELECT status, fetched_at FROM contacts WHERE ep_id = '124986'")
    assert carthy == {"status": "former", "fetched_at": "2026-01-02T10:00:00+00:00"}


def test_pace_spaces_request_starts(sleeps: Sleeps) -> None:
    pace = ep.Pace(120, sleep=sleeps)  # one every half second
    for _ in range(4):
        pace.wait()
    # The first starts at once; the next three wait their turn (less what time passed).
    assert len(sleeps) == 3
    assert all(0.4 < s <= 0.5 * (n + 1) for n, s in enumerate(sleeps))
    assert sleeps == sorted(sleeps)


def test_eta_wording() -> None:
    assert ep.eta(30, 100, 3) == "under a minute"
    assert ep.eta(100, 100, 3) == "about 1 minute"
    assert ep.eta(705, 100, 3) == "about 7 minutes"
    assert ep.eta(20_000, 100, 3) == "about 3.3 hours"


def test_details_are_paced(httpserver: HTTPServer, sleeps: Sleeps) -> None:
    serve_api(httpserver)
    done, failed = ep.fetch_details(api_url(httpserver), ALL_IDS, concurrency=2, timeout=5,
                                    sleep=sleeps, pace=ep.Pace(60, sleep=sleeps))
    assert not failed and len(done) == 8
    assert len([s for s in sleeps if s > 0.5]) == 7  # one a second, after the first


@pytest.mark.parametrize(("start", "location", "message"), [
    ("https://data.example/api", "http://data.example/api", "from https to plain http"),
    ("https://data.example/api", "https://other.example/api", "another host"),
    ("http://data.example/api", "ftp://data.example/api", "'ftp:' address"),
    ("http://data.example/a", "/a", "in a loop"),
])
def test_redirect_rules(start: str, location: str, message: str) -> None:
    with ep.make_client(1) as client, pytest.raises(NetworkError, match=message):
        ep.net._redirect_target(client, start, location, "x", [start], None)


def test_redirects_allowed(httpserver: HTTPServer) -> None:
    with ep.make_client(1, allow_hosts=["Other.Example"]) as client:
        assert ep.net._redirect_target(client, "https://data.example/api", "https://other.example/b",
                                   "x", ["https://data.example/api"], None) == \
            "https://other.example/b"
        assert ep.net._redirect_target(client, "http://data.example/api", "https://data.example/b",
                                   "x", ["http://data.example/api"], None) == \
            "https://data.example/b"


def test_every_transport_has_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Proxies from the environment keep working, and are bounded by the deadline too."""
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "localhost")
    with ep.make_client(3) as client:
        pools = [t._pool for t in [client._transport, *client._mounts.values()]
                 if t is not None]
        assert len(pools) >= 2  # the default and the proxy's
        assert all(type(p._network_backend).__name__ == "Backend" for p in pools)
