"""What each letter to send is: its entry, its recipient, its file, its text.

A letter is sent from the file it was drafted to, so that what the user reviewed
(and perhaps edited) is what goes: the ``.eml`` draft if there is one, else its
Markdown or text, else the text of its Word file. A combined file (one PDF or
document for many letters) is never sent: it holds other people's letters. The
recipient's address is always the store's, as the source published it, never the
draft's ``To`` (which anyone may have typed over).

Letters that cannot go are not errors of the run: each gets one line (``held``)
saying why, and stays as it is in the log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from campaign import dates
from campaign.store import Store

# Which file of a letter is sent, best first; PDF never (it is for print).
PREFERENCE = (".eml", ".md", ".txt", ".docx")
DEAD_OR_FREE = ("released", "died")


@dataclass
class Outgoing:
    """One letter ready to go (or held, with the reason in ``held``)."""

    entry_id: int
    contact_id: str
    contact: str
    email: str | None
    drafted: str
    state: str
    path: str | None = None
    subject: str | None = None
    body: str | None = None
    from_name: str | None = None
    held: str | None = None
    message_id: str | None = None
    fingerprint: str | None = None  # its shingles, hashed (campaign.sending.similar)

    @property
    def sent_digest(self) -> str:
        return hashlib.sha256((self.body or "").encode("utf-8")).hexdigest()


def _paths(entry: dict[str, Any]) -> list[str]:
    from campaign.outreach import _paths as paths_of

    return paths_of(entry.get("path"), entry.get("paths"))


def entries_to_send(store: Store, *, states: Sequence[str] = ("drafted",),
                    ids: Sequence[int] = (), contact_ids: set[str] | None = None,
                    from_dir: Path | None = None) -> tuple[list[dict[str, Any]], list[int]]:
    """The log's letters in ``states`` chosen by ``ids``, contacts and directory: the
    newest entry for each contact, and the ids of the older ones left aside."""
    marks = ", ".join("?" for _ in states)
    rows = store.rows(
        "SELECT o.*, c.name AS contact, c.email AS email FROM outreach o"
        " JOIN contacts c ON c.id = o.contact_id"
        f" WHERE o.state IN ({marks}) AND o.document LIKE 'letter-%' ORDER BY o.id",
        tuple(states))
    if ids:
        wanted = set(ids)
        rows = [r for r in rows if r["id"] in wanted]
    if contact_ids is not None:
        rows = [r for r in rows if r["contact_id"] in contact_ids]
    if from_dir is not None:
        root = from_dir.resolve()
        rows = [r for r in rows if any(_under(p, root) for p in _paths(r))]
    newest: dict[str, dict[str, Any]] = {}
    older: list[int] = []
    for r in rows:  # oldest first: a later entry for the same contact replaces it
        before = newest.get(r["contact_id"])
        if before is not None:
            older.append(before["id"])
        newest[r["contact_id"]] = r
    return sorted(newest.values(), key=lambda r: r["id"]), sorted(older)


def _under(path: str, root: Path) -> bool:
    try:
        return Path(path).resolve().is_relative_to(root)
    except (OSError, ValueError):
        return False


def combined_paths(store: Store, paths: Sequence[str]) -> set[str]:
    """Of ``paths``, those the log says hold more than one letter."""
    from campaign.outreach import drafts_at

    return {p for p, held in drafts_at(store, list(paths)).items() if len(held) > 1}


def read_draft(path: Path) -> tuple[str | None, str, str | None]:
    """(subject, plain-text body with \n line ends, sender's display name) of a draft.

    OSError or ValueError when it cannot be read as a letter."""
    subject, body, name = _read_draft(path)
    return subject, body.replace("\r\n", "\n").replace("\r", "\n"), name


def _read_draft(path: Path) -> tuple[str | None, str, str | None]:
    suffix = path.suffix.lower()
    if suffix == ".eml":
        from email import policy
        from email.parser import BytesParser

        msg = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        part = msg.get_body(preferencelist=("plain",))
        if part is None:
            raise ValueError("it has no plain-text part")
        body = part.get_content()
        subject = str(msg.get("Subject") or "").strip() or None
        sender = msg.get("From")
        name = sender.addresses[0].display_name if sender and sender.addresses else None
        return subject, body, name or None
    if suffix == ".md":
        from campaign.formats.text import to_text

        return None, to_text(path.read_text("utf-8")), None
    if suffix == ".txt":
        return None, path.read_text("utf-8"), None
    if suffix == ".docx":
        import docx

        doc = docx.Document(str(path))
        text = "\n\n".join(p.text for p in doc.paragraphs if p.text.strip())
        title = (doc.core_properties.title or "").strip() or None
        return title, text, (doc.core_properties.author or "").strip() or None
    raise ValueError(f"a {suffix or 'file without an ending'} is not a draft that can be sent")


def choose_file(paths: Sequence[str], combined: set[str]) -> tuple[Path | None, str | None]:
    """The file to send, or why there is none."""
    usable = [p for p in paths if p not in combined]
    found = [Path(p) for p in usable if Path(p).is_file()]
    for suffix in PREFERENCE:
        for p in found:
            if p.suffix.lower() == suffix:
                return p, None
    if not paths:
        return None, "the log knows no file for it"
    if not usable:
        return None, "it was drafted only into a combined file (one file for many letters)"
    if not found:
        return None, "its draft is no longer at " + ", ".join(usable)
    return None, "its draft is only a PDF (for print); draft it as email with --format eml"


def cases_since(store: Store, entry: dict[str, Any], text: str,
                persons: list[dict[str, Any]]) -> str | None:
    """Why a letter's case no longer stands: a person it names (or its recorded ``case_id``)
    reported released or dead on or after the day it was drafted; None if none."""
    drafted = dates.start(str(entry["created"])[:10])
    wanted = entry.get("case_id")
    for p in persons:
        if p["status"] not in DEAD_OR_FREE or not p["status_date"]:
            continue
        named = p["id"] == wanted or any(
            n and n in text for n in [p["name"], *p.get("aliases", [])])
        if named and dates.start(p["status_date"]) >= drafted:
            word = "reported dead" if p["status"] == "died" else "reported released"
            return (f"{p['name']} was {word} on {dates.human(p['status_date'])}, after this "
                    "letter was drafted; draft it again (`campaign letter`)")
    return None


def prepare(store: Store, rows: Sequence[dict[str, Any]], *, subject: str | None = None,
            today: dt.date | None = None) -> list[Outgoing]:
    """Each entry's letter read from its file and checked; held ones say why."""
    from campaign.contacts import not_to_contact
    from campaign.emails import check_email
    from campaign.people import persons as persons_of

    everyone = persons_of(store, today or dates.today())
    combined = combined_paths(store, [p for r in rows for p in _paths(r)])
    no_contact = not_to_contact(store)
    out = []
    for r in rows:
        item = Outgoing(entry_id=r["id"], contact_id=r["contact_id"], contact=r["contact"],
                        email=r.get("email"), drafted=r["created"], state=r["state"],
                        message_id=r.get("message_id"))
        out.append(item)
        if r["contact_id"] in no_contact:
            item.held = (f"{r['contact']} is marked not to be contacted (since "
                         f"{no_contact[r['contact_id']][:10]})")
            continue
        if not item.email:
            item.held = f"the sources publish no email for {r['contact']}; post this letter"
            continue
        try:
            item.email = check_email(item.email)
        except ValueError as exc:
            item.held = f"the email recorded for {r['contact']} cannot be used ({exc})"
            continue
        path, why = choose_file(_paths(r), combined)
        if path is None:
            item.held = str(why)
            continue
        item.path = str(path)
        try:
            subj, body, name = read_draft(path)
        except (OSError, ValueError, KeyError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            item.held = f"its draft {path} cannot be read ({reason})"
            continue
        item.subject, item.body, item.from_name = subj or subject, body, name
        if not item.subject:
            item.held = (f"its draft {path} has no subject; give --subject, or draft it as "
                         "email (--format eml)")
            continue
        if not body.strip():
            item.held = f"its draft {path} is empty"
            continue
        stopped = cases_since(store, r, body, everyone)
        if stopped:
            item.held = stopped
    return out
