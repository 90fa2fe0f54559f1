"""campaign.ep.net: what is not retried, and where a redirect may not lead."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from campaign import ep
from campaign.errors import NetworkError


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Back-off is recorded, not slept: each wait is one retry."""
    found: list[float] = []
    monkeypatch.setattr(ep.net, "SLEEP", found.append)
    return found


@pytest.fixture
def other_server() -> Iterator[HTTPServer]:
    """A second loopback server: the same host, another port."""
    server = HTTPServer(host="localhost", port=0)
    server.start()
    try:
        yield server
    finally:
        server.clear()
        server.stop()


def test_a_name_that_does_not_resolve_is_not_retried(waits: list[float]) -> None:
    """Offline, `meps fetch --details` spent 8.3 s retrying a failed DNS look-up 4 times."""
    with ep.make_client(5) as client, pytest.raises(NetworkError) as caught:
        ep.get(client, "http://nowhere.invalid/meps/1", what="cannot read", retries=3)
    assert waits == []
    assert "nowhere.invalid does not resolve" in caught.value.message
    assert "not retried" in caught.value.message


def test_a_refused_connection_is_still_retried(waits: list[float]) -> None:
    """Only DNS failures skip the retries: a server that is down may come back."""
    with ep.make_client(5) as client, pytest.raises(NetworkError, match="after 3 attempts"):
        ep.get(client, "http://127.0.0.1:9/x", what="cannot read", retries=2)
    assert len(waits) == 2


def test_details_offline_stop_without_retrying(cli: Any, waits: list[float]) -> None:
    r = cli("meps", "fetch", "--details", "--api-url", "http://nowhere.invalid/api/v2",
            "--base-url", "http://nowhere.invalid", "--retries", "4")
    assert r.exit_code == 1
    assert len(r.stderr.splitlines()) == 1 and "does not resolve" in r.stderr
    assert waits == []


def test_a_redirect_to_another_port_is_refused(httpserver: HTTPServer,
                                               other_server: HTTPServer) -> None:
    other_server.expect_request("/x").respond_with_data("secret")
    elsewhere = other_server.url_for("/x")
    httpserver.expect_request("/a").respond_with_data("", status=302,
                                                      headers={"Location": elsewhere})
    with ep.make_client(5) as client, pytest.raises(NetworkError) as caught:
        ep.get(client, httpserver.url_for("/a"), what="cannot read", retries=0)
    assert f"another port ({other_server.port})" in caught.value.message
    assert f"--allow-host localhost:{other_server.port}" in caught.value.message
    assert other_server.log == []


def test_allow_host_lets_the_other_port_through(httpserver: HTTPServer,
                                                other_server: HTTPServer) -> None:
    other_server.expect_request("/x").respond_with_data("public")
    httpserver.expect_request("/a").respond_with_data(
        "", status=302, headers={"Location": other_server.url_for("/x")})
    with ep.make_client(5, allow_hosts=[f"localhost:{other_server.port}"]) as client:
        _, body = ep.get(client, httpserver.url_for("/a"), what="cannot read", retries=0)
    assert body == b"public"


def test_http_to_https_on_the_default_ports_is_the_same_place() -> None:
    with ep.make_client(1) as client:
        assert ep.net._redirect_target(client, "http://data.example/api",
                                       "https://data.example/b", "x",
                                       ["http://data.example/api"], None) == \
            "https://data.example/b"
        with pytest.raises(NetworkError, match="another port"):
            ep.net._redirect_target(client, "https://data.example/api",
                                    "https://data.example:8443/b", "x",
                                    ["https://data.example/api"], None)


def test_a_socket_step_never_waits_past_the_request_deadline(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Each connect, read and write waits the shorter of its own timeout and what is left of
    the request's overall deadline (a `max` there lets a slow server run past it)."""
    now = [1000.0]
    monkeypatch.setattr(ep.net.time, "monotonic", lambda: now[0])
    ep.net._DEADLINE.at = 1002.5
    try:
        assert ep.net._remaining(30.0) == 2.5  # the deadline is nearer than the step's own
        assert ep.net._remaining(1.0) == 1.0  # the step's own timeout is nearer
        assert ep.net._remaining(None) == 2.5
        now[0] = 1003.0
        with pytest.raises(Exception, match="overall deadline passed"):
            ep.net._remaining(30.0)
    finally:
        ep.net._DEADLINE.at = None
    assert ep.net._remaining(30.0) == 30.0  # outside a request: the step's own timeout


def test_a_long_retry_after_is_capped(httpserver: HTTPServer, waits: list[float]) -> None:
    """A server asking for an hour's pause is waited on for MAX_RETRY_WAIT at most."""
    httpserver.expect_request("/busy").respond_with_data(
        "busy", status=503, headers={"Retry-After": "3600"})
    with ep.make_client(5) as client, pytest.raises(NetworkError, match="after 3 attempts"):
        ep.get(client, httpserver.url_for("/busy"), what="cannot read", retries=2)
    assert waits == [ep.net.MAX_RETRY_WAIT] * 2
