"""How each letter is written: the sender, the note, the context a template reads,
and the rendered Markdown of every letter."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from campaign import countries, dates
from campaign.documents.citations import Citations
from campaign.documents.letters.facts import (
    Facts,
    _Book,
    _Cite,
    _date_range,
    _Sources,
    gather_facts,
)
from campaign.documents.letters.recipients import (
    KINDS,
    closing,
    display_name,
    group_labels,
    missing_address,
    recipient_address,
    salutation,
    select_contacts,
    select_prisoners,
)
from campaign.errors import (
    InputError,
    UsageError,
)
from campaign.formats import DocFormat
from campaign.store import Store

# -- the sender and the note -------------------------------------------------


@dataclass
class Sender:
    name: str
    address: str | None = None
    org: str | None = None
    email: str | None = None

    def context(self) -> dict[str, Any]:
        address_lines = [ln.strip() for ln in (self.address or "").splitlines() if ln.strip()]
        lines = [self.name, *([self.org] if self.org else []), *address_lines,
                 *([self.email] if self.email else [])]
        return {"name": self.name, "org": self.org, "address_lines": address_lines,
                "email": self.email, "lines": lines}


def sender_from(store: Store, name: str | None = None, address: str | None = None,
                org: str | None = None, email: str | None = None) -> Sender:
    """--sender and its options; without --sender, the saved profile (options override it)."""
    if name and name.strip():
        found = Sender(name.strip(), address, org, email)
    else:
        profile = store.profile()
        if not profile.get("name"):
            raise UsageError("no sender: give --sender NAME",
                             "or save your details once with `campaign profile set --name ... "
                             "--address ... --org ... --email ...`")
        found = Sender(profile["name"], address or profile.get("address"),
                       org or profile.get("org"), email or profile.get("email"))
    if found.email and ("@" not in found.email or " " in found.email.strip()):
        raise UsageError(f"'{found.email}' is not an email address", "check --sender-email")
    return found


def read_note(path: str | Path | None) -> str | None:
    """The sender's own paragraph (UTF-8 text); blank means none."""
    if path is None:
        return None
    p = Path(path).expanduser()
    try:
        text = p.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise InputError("no such file", path=str(path),
                         hint="check the path given to --note") from None
    except IsADirectoryError:
        raise InputError("is a directory, not a text file", path=str(path),
                         hint="give --note a text file") from None
    except UnicodeDecodeError as exc:
        line = p.read_bytes()[: exc.start].count(b"\n") + 1
        raise InputError("is not UTF-8 text", path=str(path), line=line,
                         hint="save the note as UTF-8") from None
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror})", path=str(path)) from None
    text = text.strip()
    return text or None


# -- building each letter ----------------------------------------------------


@dataclass
class Letter:
    kind: str
    recipient: str           # the name the letter is addressed to
    contact_id: str | None   # None for a prisoner (not a contact)
    email: str | None
    subject: str
    markdown: str
    digest: str
    # What the dry run shows: recipient, salutation, closing and the sources cited.
    context: dict[str, Any] = field(repr=False)
    # The user's template directory it was rendered with: its letters.typ, if any,
    # typesets the PDF too.
    templates: str | None = None


def template_name(to: str, lang: str, user_dir: str | Path | None) -> str:
    """letter-<kind>.<lang>.md.j2 if there is one, else letter-<kind>.md.j2."""
    from campaign.documents.templates import find

    specific = f"letter-{to}.{lang}.md.j2"
    return specific if find(specific, user_dir) else f"letter-{to}.md.j2"


def _group_facts(facts: Facts, group: str | None) -> list[dict[str, Any]]:
    labels = group_labels(group)
    if not labels:
        return []
    return [e for e in facts.all_events if group_labels(e["title"]) & labels][:2]


def _shared(facts: Facts, book: _Book) -> dict[str, list[dict[str, Any]]]:
    """The facts every letter of the merge shows, built once."""
    return {
        "events": [{"title": e["title"], "place": e.get("place"), "date": e["date"],
                    "date_text": _date_range(e["date"], e.get("end_date")),
                    "cite": _Cite(book, e["sources"])} for e in facts.events],
        "figures": [{"qualifier": f["qualifier"], "number": f"{f['number']:,}",
                     "subject": f["subject"], "according_to": f["according_to"],
                     "cite": _Cite(book, f["sources"])} for f in facts.figures],
        "prisoners": [{"id": p["id"], "name": p["name"], "description": p.get("description"),
                       "status": p["status"], "status_text": p["status_text"],
                       "cite": _Cite(book, p["sources"])} for p in facts.prisoners],
        "demands": [{"id": d["id"], "text": d["text"], "addressed_to": d.get("addressed_to"),
                     "cite": _Cite(book, d["sources"])} for d in facts.demands],
    }


def _context(to: str, who: dict[str, Any], facts: Facts, shared: dict[str, Any], book: _Book,
             *, sender: dict[str, Any], note: str | None, medium: str, today: dt.date,
             address: list[str], by_group: dict[str | None, list[dict[str, Any]]]
             ) -> dict[str, Any]:
    cites = book.current.restart()  # each letter numbers its own sources from [1]
    book.current = cites
    salute = salutation(who, to)
    recipient: dict[str, Any] = {
        "name": who["name"], "display_name": address[0] if to != "mep"
        else address[0].removesuffix(" MEP"), "address_lines": address, "kind": to,
        "country": countries.english(who.get("country")), "group": who.get("group"),
        "group_labels": sorted(group_labels(who.get("group"))), "party": who.get("party"),
        "role": who.get("role"), "email": who.get("email"),
    }
    group = who.get("group") if to == "mep" else None
    group_facts = by_group.get(group)
    if group_facts is None:  # once per group: the MEPs of a group share theirs
        group_facts = by_group[group] = [
            {"title": e["title"], "date": e["date"],
             "date_text": _date_range(e["date"], e.get("end_date")),
             "cite": _Cite(book, e["sources"])}
            for e in (_group_facts(facts, group) if to == "mep" else [])]
    case = None
    prisoners = shared["prisoners"]
    if to == "prisoner":
        case = {"name": who["name"], "description": who.get("description"),
                "status": who["status"], "status_text": who["status_text"],
                "cite": _Cite(book, who["sources"])}
        prisoners = [p for p in prisoners if p["id"] != who["id"]]
    today_iso = today.isoformat()
    return {
        "kind": to, "medium": medium, "date": today_iso, "date_text": dates.human(today_iso),
        "as_of": facts.as_of.isoformat(), "as_of_text": dates.human(facts.as_of.isoformat()),
        "recipient": recipient, "salutation": salute, "closing": closing(salute),
        "sender": sender, "note": note, "group_facts": group_facts, "case": case,
        "events": shared["events"], "figures": shared["figures"], "prisoners": prisoners,
        "demands": shared["demands"], "campaign": facts.campaign, "sources": _Sources(cites),
    }


def _split_subject(text: str) -> tuple[str, str]:
    """A template's first line 'Subject: …' is the email subject and the document title."""
    first, _, rest = text.lstrip("\n").partition("\n")
    if first.startswith("Subject:"):
        return first.removeprefix("Subject:").strip(), rest.lstrip("\n")
    return "Letter", text


def prepare(store: Store, to: str, *, sender: Sender, countries_: Sequence[str] = (),
            groups: Sequence[str] = (), contacts: Sequence[str] = (),
            prisoners: Sequence[str] = (), demand_ids: Sequence[str] = (),
            note: str | None = None, lang: str = "en", fmt: DocFormat = DocFormat.md,
            user_dir: str | Path | None = None, as_of: dt.date | None = None,
            today: dt.date | None = None,
            progress: Callable[[int], None] | None = None) -> list[Letter]:
    """Every letter's Markdown, checked and rendered; nothing is written."""
    from campaign.documents.templates import renderer
    from campaign.outreach import digest

    if to not in KINDS:
        raise UsageError(f"cannot write letters to '{to}'", "use --to " + "|".join(KINDS))
    today = today or dates.today()
    if to == "prisoner":
        if not prisoners:
            raise UsageError("--to prisoner needs --prisoner NAME",
                             "see `campaign prisoners list` for the names")
        if countries_ or groups or contacts:
            raise UsageError("--country, --group and --contact select contacts, not prisoners",
                             "name the prisoner with --prisoner NAME")
        recipients = select_prisoners(store, prisoners, as_of)
    else:
        recipients = select_contacts(store, to, countries_=countries_, groups=groups,
                                     contacts=contacts)
    facts = gather_facts(store, to, prisoners=prisoners, demand_ids=demand_ids, as_of=as_of)
    addresses: list[list[str]] = []
    for who in recipients:
        if to == "prisoner":
            care_of = facts.campaign.get("name") or sender.org or sender.name
            url = facts.campaign.get("url")
            addresses.append([who["name"], f"c/o {care_of}" + (f" ({url})" if url else "")])
            continue
        address = recipient_address(who, to)
        if address is None and not (fmt is DocFormat.eml and who.get("email")):
            raise missing_address(who, to, fmt)
        addresses.append(address or [display_name(who)])
    render = renderer(template_name(to, lang, user_dir), user_dir)
    medium = "email" if fmt is DocFormat.eml else "letter"
    book = _Book(Citations(known=facts.known_sources))
    shared = _shared(facts, book)
    sender_ctx = sender.context()
    letters = []
    by_group: dict[str | None, list[dict[str, Any]]] = {}
    for n, (who, address) in enumerate(zip(recipients, addresses, strict=True), start=1):
        ctx = _context(to, who, facts, shared, book, sender=sender_ctx, note=note,
                       medium=medium, today=today, address=address, by_group=by_group)
        subject, body = _split_subject(render(ctx))
        letters.append(Letter(
            kind=to, recipient=ctx["recipient"]["display_name"],
            contact_id=None if to == "prisoner" else who["id"],
            email=who.get("email") if to != "prisoner" else None, subject=subject,
            markdown=body, digest=digest(body.replace(ctx["date_text"], "", 1)),
            context={"recipient": ctx["recipient"], "salutation": ctx["salutation"],
                     "closing": ctx["closing"], "sources": list(ctx["sources"])},
            templates=str(user_dir) if user_dir else None))
        if progress:
            progress(n)
    return letters

