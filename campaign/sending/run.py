"""Sending the letters: slowly, once, and on the record.

Each letter moves through the outreach log's states, each move committed on its own
as it happens (not one transaction for the command, as elsewhere), so the log is
true whenever the run stops:

    drafted --claim--> sending --server took it--> sent   (time UTC, Message-ID, reply)
                               --5xx-------------> failed (the server's words)
                               --4xx, dropped----> drafted (the reason; tried again later)

The claim is ``UPDATE ... WHERE state = 'drafted'``: on a shared store two members
running ``send`` at once never both send a letter. A crash between the server's
acceptance and our record leaves a letter ``sending``: its fate is unknown, so a
later run lists it (``--reconcile``, with its Message-ID to look for in the Sent
folder) and sends it again only on the user's word (``--resend-unknown``).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from campaign.errors import CampaignError
from campaign.sending.outgoing import Outgoing
from campaign.sending.smtp import Connection, Rejected, Temporary, Unknown
from campaign.store import Store

DEFAULT_RATE = 10.0  # messages a minute
BACKOFF = (15.0, 60.0, 240.0)  # seconds before each new try after a temporary failure
NOT_TRIED = "not tried: the run stopped"


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass
class Pace:
    """How fast, and how patiently: injectable so that tests need not wait."""

    per_minute: float = DEFAULT_RATE
    backoff: Sequence[float] = field(default_factory=lambda: BACKOFF)
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic

    @property
    def interval(self) -> float:
        return 60.0 / self.per_minute


@dataclass
class Outcome:
    sent: list[Outgoing] = field(default_factory=list)
    failed: list[tuple[Outgoing, str]] = field(default_factory=list)
    left: list[tuple[Outgoing, str]] = field(default_factory=list)  # still drafted, why
    taken: list[Outgoing] = field(default_factory=list)  # claimed by another run meanwhile
    unknown: list[tuple[Outgoing, str]] = field(default_factory=list)  # left ``sending``
    stopped: str | None = None  # why the run ended before its end, if it did


def build(item: Outgoing, *, from_email: str, from_name: str | None, to_name: str,
          to_email: str, message_id: str, test: bool = False) -> EmailMessage:
    """The message: plain text, UTF-8, our Message-ID, dated now."""
    msg = EmailMessage(policy=policy.SMTP)
    local, _, domain = from_email.rpartition("@")
    msg["From"] = Address(display_name=from_name or "", username=local, domain=domain)
    rlocal, _, rdomain = to_email.rpartition("@")
    msg["To"] = Address(display_name=to_name, username=rlocal, domain=rdomain)
    subject = " ".join((item.subject or "").split())
    msg["Subject"] = f"[TEST] {subject}" if test else subject
    msg["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    msg["Message-ID"] = message_id
    msg.set_content(item.body or "", charset="utf-8")
    return msg


def new_message_id(from_email: str) -> str:
    return make_msgid(idstring="letter", domain=from_email.rpartition("@")[2] or
                      "campaign.invalid")


def claim(store: Store, item: Outgoing, message_id: str, states: Sequence[str]) -> bool:
    """Mark a letter ``sending`` (committed) if it is still in one of ``states``."""
    marks = ", ".join("?" for _ in states)
    with store.transaction():
        cur = store.conn.execute(
            "UPDATE outreach SET state = 'sending', message_id = ?, updated = ?, reason = NULL"
            f" WHERE id = ? AND state IN ({marks})",
            (message_id, utc_now(), item.entry_id, *states))
        return cur.rowcount == 1


def _settle(store: Store, entry_id: int, values: dict[str, Any]) -> None:
    with store.transaction():
        store.update("outreach", str(entry_id), {**values, "updated": utc_now()})


class Sender:
    """One run: a connection opened on demand, letters sent one at a time."""

    def __init__(self, store: Store, connect: Callable[[], Connection], *, from_email: str,
                 from_name: str | None, pace: Pace | None = None, bcc_self: bool = False,
                 names: dict[str, str] | None = None,
                 fingerprints: dict[int, str] | None = None) -> None:
        self.store = store
        self._connect = connect
        self.conn: Connection | None = None
        self.from_email = from_email
        self.from_name = from_name
        self.pace = pace or Pace()
        self.bcc_self = bcc_self
        self.names = names or {}
        self.fingerprints = fingerprints or {}
        self._last: float | None = None

    def _connection(self) -> Connection:
        if self.conn is None or not self.conn.alive:
            self.conn = self._connect()
            self.conn.open()
        return self.conn

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def wait_turn(self) -> float:
        """Sleep until the next message may go; the clock time it may go at."""
        if self._last is not None:
            due = self._last + self.pace.interval
            now = self.pace.clock()
            if due > now:
                self.pace.sleep(due - now)
        return self.pace.clock()

    def next_at(self) -> float | None:
        return None if self._last is None else self._last + self.pace.interval

    def _hand_over(self, msg: EmailMessage, to_email: str) -> str:
        rcpts = [to_email, *([self.from_email] if self.bcc_self else [])]
        if self.conn is not None:
            self.conn.phase = "idle"
        self.wait_turn()
        try:
            return self._connection().send(msg, self.from_email, rcpts)
        finally:
            # The next turn counts from when the server had this message, not from when
            # it was begun: opening the connection (or a slow server) delays a message's
            # arrival, and the next then came sooner after it than the rate allows.
            self._last = self.pace.clock()

    def test(self, item: Outgoing, address: str) -> str:
        """The first letter to ``address`` only, marked [TEST]; the log is not touched."""
        msg = build(item, from_email=self.from_email, from_name=item.from_name or self.from_name,
                    to_name="", to_email=address, message_id=new_message_id(self.from_email),
                    test=True)
        try:
            return self._hand_over(msg, address)
        except (Temporary, Rejected) as exc:
            raise CampaignError(f"the test message to {address} was not accepted: "
                                f"{exc}", "nothing was marked sent") from None

    def send(self, item: Outgoing, outcome: Outcome, *,
             states: Sequence[str] = ("drafted",)) -> None:
        """Send one letter, retrying temporary failures; its state recorded at each step.

        A server that cannot be reached again after the retries ends the run
        (``outcome.stopped``): every next letter would only fail the same way."""
        assert item.email
        tries = 0
        while True:
            message_id = new_message_id(self.from_email)
            if not claim(self.store, item, message_id, states):
                outcome.taken.append(item)
                return
            states = ("sending",)  # ours now: a retry re-claims its own entry
            msg = build(item, from_email=self.from_email,
                        from_name=item.from_name or self.from_name,
                        to_name=self.names.get(item.contact_id, item.contact),
                        to_email=item.email, message_id=message_id)
            try:
                reply = self._hand_over(msg, item.email)
            except KeyboardInterrupt:
                # Ctrl-C: a letter the server had not begun to take goes back to drafted;
                # one interrupted while it was taking it stays ``sending`` (unknown).
                if self.conn is None or self.conn.phase != "data":
                    _settle(self.store, item.entry_id, {"state": "drafted", "message_id": None,
                                                        "reason": "interrupted before sending"})
                raise
            except Unknown as exc:
                _settle(self.store, item.entry_id, {"reason": exc.words})
                outcome.unknown.append((item, exc.words))
                outcome.stopped = exc.words
                self.conn = None
                return
            except Rejected as exc:
                _settle(self.store, item.entry_id, {"state": "failed", "reason": exc.words,
                                                    "server_reply": exc.words})
                outcome.failed.append((item, exc.words))
                return
            except (Temporary, CampaignError) as exc:
                # Not taken (a 4xx, or no connection before DATA ended): the letter is
                # drafted again, with the reason, whatever happens next.
                words = exc.words if isinstance(exc, Temporary) else exc.message
                if self.conn is not None and not self.conn.alive:
                    self.conn = None
                tries += 1
                _settle(self.store, item.entry_id, {"state": "drafted", "reason": words,
                                                    "message_id": None})
                if tries > len(self.pace.backoff):
                    reason = f"{words} (tried {tries} times)"
                    _settle(self.store, item.entry_id, {"reason": reason})
                    outcome.left.append((item, reason))
                    if isinstance(exc, CampaignError) or self.conn is None:
                        outcome.stopped = words
                    return
                self.pace.sleep(self.pace.backoff[tries - 1])
                states = ("drafted",)
                continue
            _settle(self.store, item.entry_id, {
                "state": "sent", "sent_at": utc_now(), "message_id": message_id,
                "server_reply": reply, "reason": None, "sent_digest": item.sent_digest,
                "sent_shingles": self.fingerprints.get(item.entry_id)})
            item.message_id = message_id
            outcome.sent.append(item)
            return

    def run(self, items: Sequence[Outgoing], *, limit: int | None = None,
            states: Sequence[str] = ("drafted",),
            progress: Callable[[int, float | None], None] | None = None) -> Outcome:
        """Send ``items`` in order (at most ``limit``); stops cleanly on Ctrl-C."""
        outcome = Outcome()
        try:
            if items:
                self._connection()  # an account that cannot be used stops the run here
            for n, item in enumerate(items):
                if limit is not None and len(outcome.sent) >= limit:
                    outcome.left += [(i, f"--max {limit} reached") for i in items[n:]]
                    break
                self.send(item, outcome, states=states)
                if progress:
                    progress(len(outcome.sent), self.next_at())
                if outcome.stopped:
                    outcome.left += [(i, NOT_TRIED) for i in items[n + 1:]]
                    break
        finally:
            self.close()
        return outcome


def unknown(store: Store) -> list[dict[str, Any]]:
    """Letters left ``sending`` by a run that stopped before it heard or recorded the
    server's answer: they may or may not have gone."""
    return store.rows(
        "SELECT o.id, c.name AS contact, c.email, o.message_id, o.updated AS since, o.path"
        " FROM outreach o LEFT JOIN contacts c ON c.id = o.contact_id"
        " WHERE o.state = 'sending' ORDER BY o.id")


def sent_fingerprints(store: Store,
                      contact_ids: Sequence[str]) -> dict[str, list[tuple[int, set[int]]]]:
    """For each contact, the letters already sent to it (by anyone) as shingle sets."""
    from campaign.sending.similar import decode

    wanted = set(contact_ids)
    found: dict[str, list[tuple[int, set[int]]]] = {}
    for entry_id, contact, shingles in store.conn.execute(
            "SELECT id, contact_id, sent_shingles FROM outreach WHERE state IN ('sent', "
            "'replied') AND sent_shingles IS NOT NULL ORDER BY id"):
        if contact in wanted:
            found.setdefault(contact, []).append((entry_id, decode(shingles)))
    return found
