"""Helpers for the EP tests: serve the fixtures of tests/fixtures/ep from pytest-httpserver."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ep"
XML = "application/xml;charset=UTF-8"
CONTEXT = [{"data": "@graph", "@base": "https://data.europarl.europa.eu/"},
           "https://data.europarl.europa.eu/api/v2/context.jsonld"]
DETAIL_PATH = re.compile(r"^/api/v2/meps/(\d+)$")
BODY_PATH = re.compile(r"^/api/v2/corporate-bodies/(\d+)$")
CURRENT_PATH = "/api/v2/meps/show-current"
# The fixture's members with a current membership (as of any day from 2025 to 2099).
AFET_IDS = ["124984", "1294", "900001", "900003"]  # 1294 chairs, 900001 substitutes
DROI_IDS = ["124984", "900001"]  # 197490's membership ended on 31 December 2024
DCAS_IDS = ["1294", "900001"]
ALL_IDS = ["124984", "124986", "197490", "1294", "900001", "900002", "900003", "900004"]
IRISH_IDS = ["124984", "124986", "900001"]

BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">'
    b'<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">'
    b'<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">'
    b'<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">'
    b'<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">'
    b'<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">'
    b'<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">'
    b']><meps><mep><fullName>&lol9;</fullName><country>Ireland</country>'
    b'<politicalGroup>X</politicalGroup><id>1</id><nationalPoliticalGroup>-'
    b'</nationalPoliticalGroup></mep></meps>'
)


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def list_xml(lang: str = "en", *, without: Iterable[str] = ()) -> bytes:
    """The fixture list, optionally without some members (by id)."""
    body = fixture_bytes(f"full-list-{lang}.xml").decode("utf-8")
    for ep_id in without:
        body = re.sub(rf"<mep>(?:(?!</mep>).)*<id>{ep_id}</id>(?:(?!</mep>).)*</mep>", "", body)
    return body.encode("utf-8")


def details() -> dict[str, Any]:
    return json.loads(fixture_bytes("api-details.json"))


def base_url(server: HTTPServer) -> str:
    return server.url_for("/").rstrip("/")


def api_url(server: HTTPServer) -> str:
    return server.url_for("/api/v2")


def serve_list(server: HTTPServer, lang: str = "en", body: bytes | None = None,
               content_type: str = XML, status: int = 200) -> None:
    server.expect_request(f"/meps/{lang}/full-list/xml").respond_with_data(
        list_xml(lang) if body is None else body, status=status, content_type=content_type)


def bodies() -> dict[str, Any]:
    return json.loads(fixture_bytes("api-corporate-bodies.json"))


def current_page(offset: int, limit: int, *, without: Iterable[str] = ()) -> bytes:
    everything = [m for m in json.loads(fixture_bytes("api-show-current.json"))["data"]
                  if m["identifier"] not in set(without)]
    return json.dumps({"data": everything[offset:offset + limit], "@context": CONTEXT}).encode()


def serve_current(server: HTTPServer, *, page_cap: int = 3, without: Iterable[str] = ()) -> None:
    """show-current, paged as the API pages it; at most ``page_cap`` members a page (a server
    may give fewer than ``limit``), and an empty ``data`` list after the last."""
    gone = list(without)

    def handler(request: Request) -> Response:
        offset = int(request.args.get("offset", 0))
        limit = min(int(request.args.get("limit", 50)), page_cap)
        return Response(current_page(offset, limit, without=gone),
                        content_type="application/ld+json")

    server.expect_request(CURRENT_PATH).respond_with_handler(handler)


def serve_bodies(server: HTTPServer, *, extra: dict[str, Any] | None = None) -> None:
    """corporate-bodies/{id}: the fixture's bodies; any other id answers 404."""
    known = {**bodies(), **(extra or {})}

    def handler(request: Request) -> Response:
        match = BODY_PATH.match(request.path)
        body_id = match.group(1) if match else ""
        if body_id not in known:
            return Response('{"data": []}', status=404, content_type="application/ld+json")
        return Response(json.dumps({"data": [known[body_id]], "@context": CONTEXT}),
                        content_type="application/ld+json")

    server.expect_request(BODY_PATH).respond_with_handler(handler)


def serve_api(server: HTTPServer, *, fail: Iterable[str] = (), status: int = 500,
              people: dict[str, Any] | None = None, without: Iterable[str] = ()) -> None:
    """show-current (paged), meps/{id} and corporate-bodies/{id}; ids in ``fail`` answer
    ``status``."""
    failing = set(fail)
    people = people if people is not None else details()

    def detail(request: Request) -> Response:
        match = DETAIL_PATH.match(request.path)
        ep_id = match.group(1) if match else ""
        if ep_id in failing:
            return Response("server error", status=status)
        if ep_id not in people:
            return Response("not found", status=404)
        body = {"data": [people[ep_id]], "@context": CONTEXT}
        return Response(json.dumps(body), content_type="application/ld+json")

    serve_current(server, without=without)
    server.expect_request(DETAIL_PATH).respond_with_handler(detail)
    serve_bodies(server)


def detail_requests(server: HTTPServer) -> list[str]:
    """The ids whose details were requested, in order."""
    out = []
    for request, _ in server.log:
        match = DETAIL_PATH.match(request.path)
        if match:
            out.append(match.group(1))
    return out


def body_requests(server: HTTPServer) -> list[str]:
    return [m.group(1) for request, _ in server.log if (m := BODY_PATH.match(request.path))]


def list_requests(server: HTTPServer) -> int:
    return sum(1 for request, _ in server.log if request.path.endswith("/full-list/xml"))
