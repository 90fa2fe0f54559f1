"""A real SMTP server on loopback (aiosmtpd), started by the tests, and a store with
fourteen MEPs whose emails a source published, their letters drafted as email."""

from __future__ import annotations

import shutil
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from campaign.store import Store

PASSWORD = "s3cret-Pass-word-9f2e"  # never to be seen in any output, log or store
USER = "jane@example.org"

FOURTEEN = [
    ("Seán", "Kelly", "Ireland"), ("Zoë", "Müller", "Germany"), ("Lynn", "Boylan", "Ireland"),
    ("Łukasz", "Kohut", "Poland"), ("Ana", "Gomes", "Portugal"), ("Jiří", "Pospíšil", "Czechia"),
    ("Marie", "Toussaint", "France"), ("Søren", "Gade", "Denmark"), ("Eva", "Joly", "France"),
    ("Ivan", "Štefanec", "Slovakia"), ("Niamh", "Ní Fhloinn", "Ireland"),
    ("Kati", "Piri", "Netherlands"), ("Ilhan", "Kyuchyuk", "Bulgaria"),
    ("Hannah", "Neumann", "Germany"),
]


def ascii_of(text: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", text) if c.isascii()).lower()


def email_of(given: str, family: str) -> str:
    return f"{ascii_of(given)}.{ascii_of(family).replace(' ', '')}@europarl.europa.eu"


def add_fourteen(st: Store) -> None:
    with st.transaction():
        st.add_source({"id": "ep-meps-2024", "title": "Full list of current MEPs",
                       "publisher": "European Parliament", "published": "2024-07",
                       "url": "https://www.europarl.europa.eu/meps/en/full-list/xml",
                       "document": None})
        for n, (given, family, country) in enumerate(FOURTEEN):
            st.add_contact({"id": f"mep-9{n:03}", "ep_id": f"9{n:03}", "kind": "mep",
                            "status": "current", "name": f"{given} {family.upper()}",
                            "given_name": given, "family_name": family, "country": country,
                            "email": email_of(given, family)}, ["ep-meps-2024"])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    at: float  # the server's clock when MAIL FROM came

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=policy.default)  # type: ignore[return-value]


@dataclass
class Handler:
    """Accepts everything, except: a 4xx or 5xx for chosen recipients, and after
    ``die_after`` messages it drops every connection (a server gone)."""

    received: list[Received] = field(default_factory=list)
    answers: dict[str, str] = field(default_factory=dict)
    die_after: int | None = None
    _mail_at: dict[int, float] = field(default_factory=dict)

    @property
    def dead(self) -> bool:
        return self.die_after is not None and len(self.received) >= self.die_after

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,
                          responses: list[str]) -> list[str]:
        if self.dead:
            server.transport.abort()
        session.host_name = hostname
        return responses

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str,
                          options: list[str]) -> str:
        if self.dead:
            server.transport.abort()
            return "421 4.3.0 going away"
        self._mail_at[id(session)] = time.monotonic()
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          options: list[str]) -> str:
        if address in self.answers:
            return self.answers[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                      envelope.original_content or envelope.content,
                                      self._mail_at.get(id(session), time.monotonic())))
        return f"250 2.0.0 Ok: queued as Q{len(self.received):04d}"


class Authenticator:
    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str,
                 auth_data: Any) -> Any:
        from aiosmtpd.smtp import AuthResult, LoginPassword

        ok = (isinstance(auth_data, LoginPassword) and auth_data.login == USER.encode()
              and auth_data.password == PASSWORD.encode())
        return AuthResult(success=ok, handled=False)


@dataclass
class Server:
    handler: Handler
    port: int
    controller: Any

    def stop(self) -> None:
        self.controller.stop()


def start_server(handler: Handler, *, tls: ssl.SSLContext | None = None) -> Server:
    from aiosmtpd.controller import Controller

    kwargs: dict[str, Any] = {"authenticator": Authenticator(), "auth_require_tls": tls is not None}
    if tls is not None:
        kwargs.update(tls_context=tls, require_starttls=True)
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    return Server(handler, port, controller)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[Server]:
    server = start_server(Handler())
    yield server
    server.stop()


@pytest.fixture(scope="session")
def _fourteen_template(_bundled_template: Path,
                       tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fourteen") / "fourteen.db"
    shutil.copy2(_bundled_template, path)
    st = Store(path)
    add_fourteen(st)
    st.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    st.close()
    return path


@pytest.fixture
def fourteen_db(_fourteen_template: Path, db_path: Path) -> Path:
    shutil.copy2(_fourteen_template, db_path)
    return db_path


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch) -> None:
    """The password where `send` looks first; fast back-off for the tests."""
    monkeypatch.setenv("CAMPAIGN_SMTP_PASSWORD", PASSWORD)
    monkeypatch.setattr("campaign.sending.run.BACKOFF", (0.0, 0.0, 0.0))


@pytest.fixture
def fourteen_drafts(fourteen_db: Path, cli, tmp_path: Path, account: None) -> Path:  # type: ignore[no-untyped-def]
    """Fourteen letters drafted as email into letters/, and the profile set."""
    r = cli("profile", "set", "--name", "Jane Doe", "--email", USER, "--org",
            "Unite Dublin Central")
    assert r.exit_code == 0, r.stderr
    out = tmp_path / "letters"
    everyone = [a for g, f, _ in FOURTEEN for a in ("--contact", f"{g} {f}")]
    r = cli("letter", "--to", "mep", *everyone, "--format", "eml", "-o", str(out))
    assert r.exit_code == 0, r.stderr
    assert len(list(out.glob("*.eml"))) == 14
    return out


def settings(server: Server) -> list[str]:
    return ["--smtp-host", "127.0.0.1", "--smtp-port", str(server.port), "--smtp-user", USER,
            "--smtp-security", "none"]
