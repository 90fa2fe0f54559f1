"""Hostile HTTP: what an unfriendly or broken server can send to `campaign meps fetch`.

Every case asserts one line on stderr, the exit code (1 for a failed command, 2
for a bad option value), no traceback, and the store exactly as it was (every
table, compared row by row). Servers are on loopback only: pytest-httpserver,
and a raw socket server that trickles its answer one byte a second.
"""

from __future__ import annotations

import gzip
import json
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from campaign import ep

CURRENT = "/api/v2/meps/show-current"
XML_LIST = "/meps/en/full-list/xml"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ep"
CONTEXT = [{"data": "@graph", "@base": "https://data.europarl.europa.eu/"},
           "https://data.europarl.europa.eu/api/v2/context.jsonld"]
CHALLENGE = b"<!DOCTYPE html><html><body><script>challenge()</script></body></html>"
JSONLD = "application/ld+json"


@pytest.fixture(autouse=True)
def _no_waiting(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waits: list[float] = []
    monkeypatch.setattr(ep.net, "SLEEP", waits.append)
    return waits


def dump(path: str | Path) -> list[tuple[Any, ...]]:
    """Every row of every table: "the store unchanged" means this is equal."""
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        out: list[tuple[Any, ...]] = []
        for table in tables:
            out += [(table, *row) for row in conn.execute(f"SELECT * FROM {table} ORDER BY 1")]
        return out
    finally:
        conn.close()


@pytest.fixture
def unchanged(cli: Any, db_path: Path) -> Iterator[None]:
    """Asserts, after the test, that the store is as it was before."""
    cli("prisoners", "list")  # first use done before the snapshot
    before = dump(db_path)
    yield
    assert dump(db_path) == before


def one_line(r: Any, code: int, *parts: str) -> str:
    assert r.exit_code == code, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("campaign: error: "), r.stderr
    assert "Traceback" not in r.output
    for part in parts:
        assert part in lines[0], lines[0]
    return str(lines[0])


def fetch(cli: Any, server: HTTPServer, *args: str, api: str | None = None,
          base: str | None = None) -> Any:
    return cli("meps", "fetch", "--api-url", api or server.url_for("/api/v2"),
               "--base-url", base or server.url_for("/").rstrip("/"), "--timeout", "2",
               "--retries", "1", *args)


def page(members: list[Any]) -> bytes:
    return json.dumps({"data": members, "@context": CONTEXT}).encode()


def members() -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads((FIXTURES / "api-show-current.json").read_bytes())[
        "data"]
    return data


def serve_current_ok(server: HTTPServer) -> None:
    def handler(request: Request) -> Response:
        offset = int(request.args.get("offset", 0))
        return Response(page(members()[offset:offset + 50]), content_type=JSONLD)

    server.expect_request(CURRENT).respond_with_handler(handler)


def challenge(server: HTTPServer, path: str) -> None:
    server.expect_request(path).respond_with_data(CHALLENGE, status=202,
                                                  content_type="text/html")


# -- redirects ---------------------------------------------------------------------------

def test_redirect_to_another_host_is_not_followed(cli: Any, httpserver: HTTPServer,
                                                  unchanged: None) -> None:
    other = httpserver.url_for(CURRENT).replace("localhost", "127.0.0.1")
    httpserver.expect_request(CURRENT).respond_with_data(
        "", status=302, headers={"Location": other})
    challenge(httpserver, XML_LIST)
    one_line(fetch(cli, httpserver), 1, "redirects to another host (127.0.0.1)",
             "--allow-host 127.0.0.1")
    assert all(r.host.startswith("localhost") for r, _ in httpserver.log)


def test_redirect_to_an_allowed_host_is_followed(cli: Any, httpserver: HTTPServer) -> None:
    other = httpserver.url_for("/mirror" + CURRENT).replace("localhost", "127.0.0.1")
    httpserver.expect_request(CURRENT).respond_with_data(
        "", status=302, headers={"Location": other})
    httpserver.expect_request("/mirror" + CURRENT).respond_with_data(page([]))
    # The mirror's first page is empty: refused as zero MEPs, but it was reached.
    r = fetch(cli, httpserver, "--allow-host", "127.0.0.1")
    assert any(req.path == "/mirror" + CURRENT for req, _ in httpserver.log), r.stderr


def test_redirect_on_the_same_host_is_followed(cli: Any, httpserver: HTTPServer) -> None:
    httpserver.expect_request(CURRENT).respond_with_data(
        "", status=301, headers={"Location": "/v3/show-current?offset=0&limit=50"})
    calls = [0]

    def moved(request: Request) -> Response:
        calls[0] += 1
        return Response(page(members() if calls[0] == 1 else []), content_type=JSONLD)

    httpserver.expect_request("/v3/show-current").respond_with_handler(moved)
    r = fetch(cli, httpserver)
    assert r.exit_code == 0, r.stderr
    assert "saved 8 MEPs" in r.stdout


@pytest.mark.parametrize("location", ["file:///etc/passwd", "ftp://localhost/list",
                                      "data:text/plain,hi", "gopher://localhost:70/"])
def test_redirect_to_another_scheme_is_refused(cli: Any, httpserver: HTTPServer,
                                              unchanged: None, location: str) -> None:
    httpserver.expect_request(CURRENT).respond_with_data(
        "", status=307, headers={"Location": location})
    challenge(httpserver, XML_LIST)
    scheme = location.split(":", 1)[0]
    line = one_line(fetch(cli, httpserver), 1)
    # httpx refuses some locations itself, before we see them; either way none is followed.
    assert (f"redirects to a '{scheme}:' address; only http(s) is followed" in line
            or "not a usable address" in line), line
    assert [r.path for r, _ in httpserver.log] == [CURRENT, XML_LIST]


def test_redirect_loop(cli: Any, httpserver: HTTPServer, unchanged: None) -> None:
    httpserver.expect_request(CURRENT).respond_with_data(
        "", status=302, headers={"Location": "/b"})
    httpserver.expect_request("/b").respond_with_data(
        "", status=302, headers={"Location": CURRENT + "?format=application%2Fld%2Bjson"
                                            "&offset=0&limit=50"})
    challenge(httpserver, XML_LIST)
    one_line(fetch(cli, httpserver), 1, "redirects in a loop")


def test_redirect_to_itself(cli: Any, httpserver: HTTPServer, unchanged: None) -> None:
    httpserver.expect_request(XML_LIST).respond_with_data(
        "", status=308, headers={"Location": XML_LIST})
    challenge(httpserver, CURRENT)
    one_line(fetch(cli, httpserver), 1, "redirects in a loop")


def test_endless_redirect_chain(cli: Any, httpserver: HTTPServer, unchanged: None) -> None:
    def onward(request: Request) -> Response:
        n = int(request.path.rsplit("/", 1)[-1]) if request.path[-1].isdigit() else 0
        return Response("", status=302, headers={"Location": f"/hop/{n + 1}"})

    httpserver.expect_request(CURRENT).respond_with_handler(onward)
    httpserver.expect_request("/hop/1").respond_with_handler(onward)
    for n in range(2, 12):
        httpserver.expect_request(f"/hop/{n}").respond_with_handler(onward)
    challenge(httpserver, XML_LIST)
    one_line(fetch(cli, httpserver), 1, "more than 5 redirects")


def test_redirect_without_a_location(cli: Any, httpserver: HTTPServer, unchanged: None) -> None:
    httpserver.expect_request(CURRENT).respond_with_data("", status=302)
    challenge(httpserver, XML_LIST)
    one_line(fetch(cli, httpserver), 1, "redirects without saying where")


# -- option values -----------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "ftp://data.europarl.europa.eu/api/v2", "data.europarl.europa.eu/api/v2", "http://",
    "http://localhost:99999/api", "http://user:secret@localhost/api", "javascript:alert(1)",
    "http://exa mple.org/api", "", " http://localhost/api", "http://localhost/api?x=1",
    "http://[::1/api", "file:///etc/passwd",
])
@pytest.mark.parametrize("option", ["--api-url", "--base-url"])
def test_bad_base_urls(cli: Any, httpserver: HTTPServer, unchanged: None, option: str,
                       url: str) -> None:
    args = {"--api-url": httpserver.url_for("/api/v2"),
            "--base-url": httpserver.url_for("/").rstrip("/"), option: url}
    r = cli("meps", "fetch", *[x for kv in args.items() for x in kv])
    one_line(r, 2, option)
    assert len(httpserver.log) == 0


@pytest.mark.parametrize("value", ["nan", "-1", "0", "inf", "-inf", "1e308"])
def test_bad_timeouts(cli: Any, httpserver: HTTPServer, unchanged: None, value: str) -> None:
    r = cli("meps", "fetch", "--api-url", httpserver.url_for("/api/v2"), "--timeout", value)
    one_line(r, 2, "--timeout")
    assert len(httpserver.log) == 0


@pytest.mark.parametrize(("option", "value"), [
    ("--concurrency", "0"), ("--concurrency", "64"), ("--retries", "-1"),
    ("--retries", "1000"), ("--pace", "nan"), ("--pace", "0"),
])
def test_bad_numbers(cli: Any, httpserver: HTTPServer, unchanged: None, option: str,
                     value: str) -> None:
    r = cli("meps", "fetch", "--api-url", httpserver.url_for("/api/v2"), option, value)
    one_line(r, 2, option)
    assert len(httpserver.log) == 0


# -- odd bodies from the API (the XML list answering 202) ---------------------------------

_DEEP = b"[" * 100_000 + b"]" * 100_000
ODD_PAGES: dict[str, tuple[bytes, str]] = {
    "a list, not an object": (b"[1, 2, 3]", "without a 'data' list"),
    "data is an object": (b'{"data": {"identifier": "1"}}', "without a 'data' list"),
    "data is null": (b'{"data": null}', "without a 'data' list"),
    "no data": (b'{"@context": []}', "without a 'data' list"),
    "JSON null": (b"null", "without a 'data' list"),
    "a member is a string": (page(["person/1294"]), "member 1 of the page is a str"),
    "identifier is an object": (page([{"identifier": {"n": 1}}]), "a dict for 'identifier'"),
    "identifier is not a number": (page([{"identifier": "12; DROP TABLE"}]), "non-numeric"),
    "identifier missing": (page([{"label": "Someone"}]), "has no 'identifier'"),
    "country code a number": (page([{"identifier": "1", "label": "A B",
                                     "api:country-of-representation": 12}]), "not two letters"),
    "huge label": (page([{"identifier": "1", "label": "A" * 100_000}]), "100,000 characters"),
    "label a list": (page([{"identifier": "1", "label": ["A", "B"]}]), "a list for 'label'"),
    "boolean identifier": (page([{"identifier": True}]), "a bool for 'identifier'"),
    "no name at all": (page([{"identifier": "1"}]), "member 1 of the page has no name"),
    "truncated": (page(members())[:300], "truncated"),
    "empty body": (b"", "empty"),
    "HTML with 200": (b"<!DOCTYPE html><html><body>Maintenance</body></html>", "HTML page"),
    "nested too deeply": (_DEEP, "nested too deeply"),
    "not UTF-8": ('{"data": [{"identifier": "1", "label": "Åsa"}]}'.encode("latin-1"),
                  "not JSON"),
    "zero members": (page([]), "zero MEPs"),
}


@pytest.mark.parametrize("case", list(ODD_PAGES))
def test_odd_json_from_the_api(cli: Any, httpserver: HTTPServer, unchanged: None,
                               case: str) -> None:
    body, message = ODD_PAGES[case]
    httpserver.expect_request(CURRENT).respond_with_data(body, content_type=JSONLD)
    challenge(httpserver, XML_LIST)
    one_line(fetch(cli, httpserver), 1, "current MEPs", message, "the XML list",
             "campaign meps import FILE")


def test_a_server_that_ignores_offset(cli: Any, httpserver: HTTPServer, unchanged: None) -> None:
    httpserver.expect_request(CURRENT).respond_with_data(page(members()[:3]),
                                                         content_type=JSONLD)
    challenge(httpserver, XML_LIST)
    one_line(fetch(cli, httpserver), 1, "repeats members already read")
    assert len([r for r, _ in httpserver.log if r.path == CURRENT]) == 2


def test_a_challenge_from_both(cli: Any, httpserver: HTTPServer, unchanged: None) -> None:
    challenge(httpserver, CURRENT)
    challenge(httpserver, XML_LIST)
    line = one_line(fetch(cli, httpserver), 1, "answered 202 with a challenge page",
                    "save https://data.europarl.europa.eu/api/v2/meps/show-current")
    assert line.count("answered 202") == 2


def test_non_utf8_xml_list(cli: Any, httpserver: HTTPServer, unchanged: None) -> None:
    challenge(httpserver, CURRENT)
    body = ('<?xml version="1.0" encoding="UTF-8"?><meps><mep><fullName>Seán KELLY</fullName>'
            '<country>Ireland</country><politicalGroup>X</politicalGroup><id>1</id>'
            '<nationalPoliticalGroup>-</nationalPoliticalGroup></mep></meps>').encode("latin-1")
    httpserver.expect_request(XML_LIST).respond_with_data(body, content_type="application/xml")
    one_line(fetch(cli, httpserver), 1, "not well-formed XML")


# -- sizes -----------------------------------------------------------------------------------

def test_declared_oversized_json(cli: Any, httpserver: HTTPServer, unchanged: None) -> None:
    def big() -> Iterator[bytes]:
        for _ in range(800):
            yield b" " * 65536

    httpserver.expect_request(CURRENT).respond_with_response(Response(
        big(), headers={"Content-Length": str(800 * 65536)}, content_type=JSONLD))
    challenge(httpserver, XML_LIST)
    one_line(fetch(cli, httpserver), 1, "sends 52,428,800 bytes, more than the 2,097,152 allowed")


def test_endless_json(cli: Any, httpserver: HTTPServer, unchanged: None) -> None:
    def endless() -> Iterator[bytes]:
        yield b'{"data": ["'
        for _ in range(1000):
            yield b"x" * 65536

    httpserver.expect_request(CURRENT).respond_with_response(
        Response(endless(), content_type=JSONLD))
    challenge(httpserver, XML_LIST)
    one_line(fetch(cli, httpserver), 1, "sent more than the 2,097,152 bytes allowed")


def test_gzip_bomb(cli: Any, httpserver: HTTPServer, unchanged: None) -> None:
    bomb = gzip.compress(b'{"data": ["' + b"0" * (64 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 200_000
    httpserver.expect_request(CURRENT).respond_with_response(Response(
        bomb, headers={"Content-Encoding": "gzip"}, content_type=JSONLD))
    challenge(httpserver, XML_LIST)
    one_line(fetch(cli, httpserver), 1, "more than the 2,097,152 bytes allowed")


# -- slow, failing and rate-limiting servers -------------------------------------------------

class Trickle:
    """A raw HTTP server on 127.0.0.1 that sends its answer one byte a second.

    ``headers``: trickle from the status line on; otherwise the headers come at
    once and the body trickles. Each connection stops after ``limit`` seconds,
    and the server after ``limit`` seconds more, by itself.
    """

    def __init__(self, *, headers: bool, every: float = 1.0, limit: float = 20.0) -> None:
        self.headers, self.every, self.limit = headers, every, limit
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.connections = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        ends = time.monotonic() + 2 * self.limit
        while not self.stop.is_set() and time.monotonic() < ends:
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.connections += 1
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()
        self.sock.close()

    def _answer(self, conn: socket.socket) -> None:
        body = b'{"data": [' + b" " * 10_000 + b"]}"
        head = (b"HTTP/1.1 200 OK\r\nContent-Type: application/ld+json\r\n"
                b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n")
        ends = time.monotonic() + self.limit
        with conn:
            try:
                conn.recv(65536)
                slow = head + body
                if not self.headers:
                    conn.sendall(head)
                    slow = body
                for byte in slow:
                    if self.stop.is_set() or time.monotonic() > ends:
                        return
                    conn.sendall(bytes([byte]))
                    time.sleep(self.every)
            except OSError:
                return

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=2)


@pytest.fixture
def trickle_factory() -> Iterator[Callable[..., Trickle]]:
    made: list[Trickle] = []

    def make(**kwargs: Any) -> Trickle:
        made.append(Trickle(**kwargs))
        return made[-1]

    yield make
    for server in made:
        server.close()


@pytest.mark.parametrize("headers", [True, False], ids=["headers trickle", "body trickles"])
def test_trickle_ends_at_the_deadline(cli: Any, unchanged: None, headers: bool,
                                      trickle_factory: Callable[..., Trickle]) -> None:
    server = trickle_factory(headers=headers)
    started = time.monotonic()
    r = cli("meps", "fetch", "--api-url", server.url + "/api/v2", "--base-url", server.url,
            "--timeout", "1", "--retries", "0")
    elapsed = time.monotonic() - started
    one_line(r, 1, "no complete answer within 1 s (timeout)", "the XML list")
    assert server.connections == 2  # the API, then the XML list
    assert elapsed < 2 * 1 + 2.5, elapsed  # each request within its second, plus slack


def test_trickle_with_a_three_second_timeout(cli: Any, unchanged: None,
                                             trickle_factory: Callable[..., Trickle]) -> None:
    """The issue's case: `--timeout 3` against a server sending a byte a second."""
    server = trickle_factory(headers=False)
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there: the XML list fails at once
    started = time.monotonic()
    r = cli("meps", "fetch", "--api-url", server.url + "/api/v2",
            "--base-url", f"http://127.0.0.1:{port}", "--timeout", "3", "--retries", "0")
    elapsed = time.monotonic() - started
    one_line(r, 1, "timeout", "cannot connect")
    assert 2.5 < elapsed < 5.5, elapsed


def test_retries_of_a_trickle_are_bounded(cli: Any, unchanged: None,
                                          trickle_factory: Callable[..., Trickle]) -> None:
    server = trickle_factory(headers=True)
    started = time.monotonic()
    r = cli("meps", "fetch", "--api-url", server.url + "/api/v2", "--base-url", server.url,
            "--timeout", "0.3", "--retries", "2")
    one_line(r, 1, "after 3 attempts")
    assert server.connections == 6
    assert time.monotonic() - started < 6 * 0.3 + 2.5


def test_5xx_exhaustion(cli: Any, httpserver: HTTPServer, unchanged: None,
                        _no_waiting: list[float]) -> None:
    httpserver.expect_request(CURRENT).respond_with_data("busy", status=503)
    httpserver.expect_request(XML_LIST).respond_with_data("oops", status=500)
    one_line(fetch(cli, httpserver, "--retries", "3"), 1, "HTTP 503 after 4 attempts",
             "HTTP 500 after 4 attempts")
    assert len(_no_waiting) == 6  # three back-offs for each


@pytest.mark.parametrize(("header", "longest"), [("99999", 30.0), ("soon", 30.0),
                                                 ("Wed, 21 Oct 2099 07:28:00 GMT", 30.0),
                                                 ("-5", 30.0)])
def test_429_with_odd_retry_after(cli: Any, httpserver: HTTPServer, unchanged: None,
                                  _no_waiting: list[float], header: str,
                                  longest: float) -> None:
    httpserver.expect_request(CURRENT).respond_with_data(
        "", status=429, headers={"Retry-After": header})
    challenge(httpserver, XML_LIST)
    # A generous timeout: the answers are immediate, and what is under test is the
    # wait a Retry-After asks for (never slept: _no_waiting), not the clock.
    one_line(fetch(cli, httpserver, "--retries", "2", "--timeout", "10"), 1,
             "HTTP 429 after 3 attempts")
    assert len(_no_waiting) == 2 and max(_no_waiting) <= longest


def test_429_then_success(cli: Any, httpserver: HTTPServer, _no_waiting: list[float]) -> None:
    httpserver.expect_oneshot_request(CURRENT).respond_with_data(
        "", status=429, headers={"Retry-After": "7"})
    serve_current_ok(httpserver)
    r = fetch(cli, httpserver)
    assert r.exit_code == 0, r.stderr
    assert _no_waiting == [7.0]


def test_connection_refused_everywhere(cli: Any, unchanged: None) -> None:
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    r = cli("meps", "fetch", "--api-url", f"http://127.0.0.1:{port}/api/v2",
            "--base-url", f"http://127.0.0.1:{port}", "--retries", "0", "--timeout", "2")
    one_line(r, 1, "cannot connect", "the XML list")


def test_a_body_shorter_than_declared(cli: Any, unchanged: None) -> None:
    srv = socket.create_server(("127.0.0.1", 0))
    port = srv.getsockname()[1]

    def liar() -> None:
        srv.settimeout(5)
        for _ in range(2):
            try:
                conn, _ = srv.accept()
            except OSError:
                break
            with conn:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/ld+json\r\n"
                             b"Content-Length: 5000\r\n\r\n{\"data\": [")
        srv.close()

    thread = threading.Thread(target=liar, daemon=True)
    thread.start()
    r = cli("meps", "fetch", "--api-url", f"http://127.0.0.1:{port}/api/v2",
            "--base-url", f"http://127.0.0.1:{port}", "--retries", "0", "--timeout", "2")
    thread.join(timeout=5)
    one_line(r, 1, "current MEPs", "the XML list")


# -- details and bodies ---------------------------------------------------------------------

def _details_server(server: HTTPServer, person: Any, body: Any = None) -> None:
    serve_current_ok(server)
    detail = json.dumps({"data": [person]}).encode() if not isinstance(person, bytes) else person
    server.expect_request("/api/v2/meps/1294").respond_with_data(detail, content_type=JSONLD)
    if body is not None:
        server.expect_request("/api/v2/corporate-bodies/6562").respond_with_data(
            body, content_type=JSONLD)


def _person(**changes: Any) -> dict[str, Any]:
    people = json.loads((FIXTURES / "api-details.json").read_bytes())
    return {**people["1294"], **changes}


ODD_DETAILS: dict[str, tuple[Any, str]] = {
    "hasMembership a string": (_person(hasMembership="org/6562"), "'hasMembership' is a str"),
    "another person": (_person(identifier="1295"), "describes MEP 1295, not 1294"),
    "identifier an object": (_person(identifier={"x": 1}), "is not a number"),
    "end date not a date": (_person(hasMembership=[{
        "organization": "org/6562", "role": "def/ep-roles/MEMBER",
        "membershipClassification": "def/ep-entities/COMMITTEE_PARLIAMENTARY_STANDING",
        "memberDuring": {"startDate": "2024-07-19", "endDate": "soon"}}]), "not a date"),
    "year 0": (_person(hasMembership=[{
        "organization": "org/6562", "role": "def/ep-roles/MEMBER",
        "membershipClassification": "def/ep-entities/COMMITTEE_PARLIAMENTARY_SUB",
        "memberDuring": {"startDate": "0000-01-01"}}]), "outside the years 1800-2199"),
    "body not a number": (_person(hasMembership=[{
        "organization": "org/../../etc", "role": "def/ep-roles/MEMBER",
        "membershipClassification": "def/ep-entities/DELEGATION_PARLIAMENTARY"}]),
        "not org/NUMBER"),
    "truncated": (json.dumps({"data": [_person()]}).encode()[:500], "truncated"),
}


@pytest.mark.parametrize("case", list(ODD_DETAILS))
def test_odd_details(cli: Any, httpserver: HTTPServer, case: str) -> None:
    """The list is saved (one transaction); the odd record's details are not."""
    person, message = ODD_DETAILS[case]
    _details_server(httpserver, person)
    r = fetch(cli, httpserver, "--details", "--country", "BE")
    one_line(r, 1, "details of 1 of 1 MEPs could not be read", message)
    row = json.loads(cli("meps", "list", "-c", "BE", "-f", "json").stdout)[0]
    assert row["email"] is None and "details_fetched_at" not in row["extra"]


@pytest.mark.parametrize(("body", "message"), [
    (b'{"data": [{"identifier": "9", "label": "X"}]}', "describes body '9', not 6562"),
    (b'{"data": [{"identifier": "6562"}]}', "no usable 'label'"),
    (b'{"data": [{"identifier": "6562", "label": ["AFET"]}]}', "no usable 'label'"),
    (b"<html>challenge</html>", "HTML page"),
])
def test_odd_bodies(cli: Any, httpserver: HTTPServer, body: bytes, message: str) -> None:
    person = _person(hasMembership=[{
        "organization": "org/6562", "role": "def/ep-roles/MEMBER",
        "membershipClassification": "def/ep-entities/COMMITTEE_PARLIAMENTARY_STANDING",
        "memberDuring": {"startDate": "2024-07-19"}}])
    _details_server(httpserver, person, body)
    one_line(fetch(cli, httpserver, "--details", "--country", "BE"), 1, "body org/6562", message)
    assert cli("meps", "bodies").exit_code == 1  # nothing named, nothing kept


# -- saved files -----------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["fifo", "symlink to a fifo", "/dev/null", "directory"])
def test_import_a_special_file_does_not_hang(cli: Any, tmp_path: Path, unchanged: None,
                                             kind: str) -> None:
    import os

    path = tmp_path / "list.xml"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "symlink to a fifo":
        os.mkfifo(tmp_path / "pipe")
        path.symlink_to(tmp_path / "pipe")
    elif kind == "directory":
        path.mkdir()
    else:
        path = Path("/dev/null")  # read only: never written
    expected = "is a directory" if kind == "directory" else "not a regular file"
    one_line(cli("meps", "import", str(path)), 1, expected)


@pytest.mark.parametrize(("body", "message"), [
    (b'{"data": [{"identifier": {"x": 1}}]}', "a dict for 'identifier'"),
    (b'{"data": [', "truncated"),
    (b"[]", "without a 'data' list"),
    (b'{"data": []}', "zero MEPs"),
])
def test_import_odd_jsonld(cli: Any, tmp_path: Path, unchanged: None, body: bytes,
                           message: str) -> None:
    saved = tmp_path / "show-current.json"
    saved.write_bytes(body)
    one_line(cli("meps", "import", str(saved)), 1, str(saved), message)


def test_import_saved_jsonld(cli: Any, tmp_path: Path) -> None:
    saved = tmp_path / "show-current.json"
    saved.write_bytes(page(members()))
    r = cli("meps", "import", str(saved))
    assert r.exit_code == 0, r.stderr
    assert "imported 8 MEPs" in r.stdout
    found = json.loads(cli("meps", "list", "-f", "json", "-c", "BE").stdout)
    assert found[0]["group"] == "S&D" and found[0]["extra"]["imported_from"] == saved.name


def test_trickling_details_on_every_thread(trickle_factory: Callable[..., Trickle]) -> None:
    """The deadline is per request and per thread: three at once each end in their second."""
    server = trickle_factory(headers=False)
    started = time.monotonic()
    done, failed = ep.fetch_details(server.url + "/api/v2", ["1", "2", "3"], concurrency=3,
                                    timeout=1, retries=0)
    assert done == {} and set(failed) == {"1", "2", "3"}
    assert all("within 1 s (timeout)" in reason for reason in failed.values())
    assert time.monotonic() - started < 3
