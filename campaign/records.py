"""The record types, shared by the store, the pack and the documents.

Pydantic validates what comes in (a pack file, a CSV row, a command's
options); the store hands out plain dicts so that list commands need not
import pydantic at start-up. Every record must cite at least one source.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from campaign.dates import check_partial
from campaign.emails import check_email

CASE_KINDS = (
    "detained",
    "arrested",
    "charged",
    "investigated",
    "tried",
    "sentenced",
    "imprisoned",
    "released",
    "died",
    "exiled",
    "dismissed",
    "fined",
    "summoned",
)
CONTACT_KINDS = ("mep", "embassy", "authority", "press", "union", "campaign", "other")

PartialDate = Annotated[str, Field(description="YYYY, YYYY-MM or YYYY-MM-DD")]
Text = Annotated[str, Field(min_length=1)]
SourceIds = Annotated[list[str], Field(min_length=1)]


# The largest whole number the store (SQLite INTEGER) holds.
MAX_NUMBER = 2**63 - 1
# C0 and C1 control characters and DEL: an escape sequence in a name would drive the
# terminal that lists it, and Word refuses the document that holds it. Free text may
# keep its tabs and line breaks; a name, an id or an address line may not.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_ONE_LINE = frozenset({"id", "name", "title", "publisher", "kind", "aliases", "email",
                       "salutation", "given_name", "family_name", "honorific", "country",
                       "group", "party", "phone", "role", "url", "ep_id", "according_to",
                       "qualifier", "subject", "addressed_to", "sources", "document", "pack"})
def check_text(field: str, value: str) -> str:
    """``value`` if it holds no control character that ``field`` may not (a name none, free
    text only tabs and line breaks); else ValueError. For code that stores record text
    without going through these models (the CLI's add commands)."""
    code = _control_character(field, value)
    if code:
        raise ValueError(f"{field} holds a control character ({code}); remove it")
    return value


def _control_character(field: str, value: str) -> str | None:
    found = (_CONTROL if field in _ONE_LINE else _CONTROL_IN_TEXT).search(value)
    if found is None:
        return None
    return f"U+{ord(found.group()):04X}"


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*")
    @classmethod
    def _no_control_characters(cls, value: Any, info: ValidationInfo) -> Any:
        """No record text carries a control character (free text may keep tabs and line
        breaks); the error names the field, and the caller the record."""
        field = info.field_name or ""
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and (code := _control_character(field, item)):
                raise ValueError(f"holds a control character ({code}); remove it")
        return value


class Cited(Record):
    sources: SourceIds
    quotes: list[str] = Field(default_factory=list)

    @field_validator("sources")
    @classmethod
    def _no_blank_source(cls, value: list[str]) -> list[str]:
        if any(not s.strip() for s in value):
            raise ValueError("a source id is blank")
        return value


def _date(value: str | None) -> str | None:
    return None if value is None else check_partial(str(value))


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_BARE_DOMAIN = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?:[/?#]\S*)?$")
# Whitespace, quotes, angle and square brackets, backslashes and braces never
# belong in an address a source gives; they are how a Markdown or HTML link
# would be smuggled in. Parentheses may stay (Wikipedia's addresses have them).
_NOT_IN_URL = re.compile(r"[\s<>\"'`\[\]\\{}|^]")


def web_address(value: str | None) -> str | None:
    """An http(s) address, or None; a bare domain gets ``https://`` in front.

    Anything else (javascript:, file:, data:, a Markdown link) would become a
    live link in a document, so it is refused with the reason.
    """
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    if _NOT_IN_URL.search(text):
        raise ValueError(f"'{text[:80]}' is not a web address (it has spaces, brackets or "
                         "quotes); give a plain https:// address")
    if _SCHEME.match(text) and not text.lower().startswith(("http://", "https://")):
        raise ValueError(f"'{text[:80]}' is not a web address; only http:// and https:// "
                         "addresses are accepted")
    if not _SCHEME.match(text):
        if not _BARE_DOMAIN.match(text):
            raise ValueError(f"'{text[:80]}' is not a web address; write it as https://...")
        text = "https://" + text
    from urllib.parse import urlsplit

    try:
        host = urlsplit(text).hostname
    except ValueError:
        host = None
    if not host:
        raise ValueError(f"'{text[:80]}' is not a web address (no host name)")
    return text


# Beyond this a figure is a typing error (and SQLite cannot store it).
MAX_FIGURE = 10**15


class Source(Record):
    id: Text
    title: Text
    publisher: Text
    published: PartialDate
    url: str | None = None
    document: str | None = None

    _check = field_validator("published", mode="before")(lambda v: _date(v))
    _url = field_validator("url", mode="before")(lambda v: web_address(v))


class CaseEvent(Cited):
    kind: Literal[CASE_KINDS]  # type: ignore[valid-type]
    date: PartialDate
    # What happened, as a past-tense clause a document can use after the name:
    # "was sentenced to six years in prison by Aktau City Court".
    summary: str | None = None
    date_basis: Literal["event", "report"] = "event"
    place: str | None = None
    charge: str | None = None
    sentence: str | None = None
    court: str | None = None
    prison: str | None = None
    note: str | None = None

    _check = field_validator("date", mode="before")(lambda v: _date(v))


PERSON_ROLES = (
    "strike leader",
    "oil worker",
    "lawyer",
    "journalist",
    "opposition politician",
    "trade unionist",
    "human-rights defender",
    "activist",
    "other",
)


# A postal address is a few lines (a prison, a box number, a town); more than this is
# not an address, and on a letter it would run over the text.
MAX_ADDRESS_LINES = 8
MAX_ADDRESS_LINE = 120


def address_lines(value: str) -> list[str]:
    """The lines of a postal address ("\\n" or line breaks between them), blank ones left
    out; ValueError if there are too many or one is too long to print on a letter."""
    lines = [ln.strip() for ln in str(value).replace("\\n", "\n").splitlines() if ln.strip()]
    if len(lines) > MAX_ADDRESS_LINES:
        raise ValueError(f"the postal address has {len(lines):,} lines; an address has at most "
                         f"{MAX_ADDRESS_LINES}")
    long = next((ln for ln in lines if len(ln) > MAX_ADDRESS_LINE), None)
    if long is not None:
        raise ValueError(f"a line of the postal address has {len(long):,} characters; at most "
                         f"{MAX_ADDRESS_LINE} fit on a letter")
    return lines


class PostalAddress(Record):
    """A person's postal address for letters (their prison's, or their family's), with the
    one source that gives it (``campaign prisoners address``)."""

    purpose: Literal["prisoner", "family"] = "prisoner"
    address: Text
    as_of: PartialDate | None = None
    source: Text
    added: PartialDate | None = None

    _check = field_validator("as_of", "added", mode="before")(lambda v: _date(v))

    @field_validator("address")
    @classmethod
    def _lines(cls, value: str) -> str:
        lines = address_lines(value)
        if not lines:
            raise ValueError("the postal address is empty")
        return "\n".join(lines)


class Person(Cited):
    id: Text
    name: Text
    aliases: list[str] = Field(default_factory=list)
    description: str | None = None
    # The part the person played, from PERSON_ROLES: documents choose whom to name by it.
    role: Literal[PERSON_ROLES] | None = None  # type: ignore[valid-type]
    events: list[CaseEvent] = Field(default_factory=list)
    addresses: list[PostalAddress] = Field(default_factory=list)


class Concerns(Record):
    """What a demand is about: people (it lapses when all are released or dead) or a
    process such as a trial, negotiations or a law (it lapses when no recent source backs it)."""

    persons: list[str] = Field(default_factory=list)
    process: str | None = None


# What a demand is about, and so how it lapses (campaign.selection says how; its KINDS).
DEMAND_KINDS = ("release", "accountability", "process", "policy")


class Demand(Cited):
    id: Text
    text: Text
    addressed_to: str | None = None
    # release, accountability, process or policy; absent in older packs (inferred on import).
    kind: Literal[DEMAND_KINDS] | None = None  # type: ignore[valid-type]
    # When and by whom the demand was first made (default: its earliest source).
    made: str | None = None
    made_by: str | None = None
    made_in: str | None = None  # the source (id) in which the demand was made
    concerns: Concerns | None = None
    # The demand as an infinitive phrase without "to"; "{persons}" stands for the
    # people concerned who are still held as of the document's date.
    ask: str | None = None
    # For an accountability or policy demand: when a source (``done_in``, one of its
    # sources) reported it done; it stands until then.
    done: str | None = None
    done_in: str | None = None

    _check = field_validator("made", "done", mode="before")(lambda v: _date(v))


class Event(Cited):
    id: Text
    date: PartialDate
    end_date: str | None = None
    kind: Text
    title: Text
    place: str | None = None
    planned: bool = False
    # What happened, as a past-tense clause: "police opened fire on striking oil workers".
    summary: str | None = None
    # Whom or what the event concerns: person ids, or "subject" (the campaign's own
    # subject). Letters tell only events on the subject (letters.facts.on_subject).
    concerns: list[str] = Field(default_factory=list)

    _check = field_validator("date", "end_date", mode="before")(lambda v: _date(v))


class Figure(Cited):
    id: Text
    subject: Text
    number: int
    qualifier: str = ""

    @field_validator("number")
    @classmethod
    def _number_in_range(cls, value: int) -> int:
        if abs(value) > MAX_NUMBER:
            raise ValueError(f"the number {value} is too large (at most {MAX_NUMBER:,})")
        return value

    according_to: Text
    date: str | None = None

    _check = field_validator("date", mode="before")(lambda v: _date(v))

    @field_validator("number")
    @classmethod
    def _number(cls, value: int) -> int:
        if abs(value) >= MAX_FIGURE:
            raise ValueError(f"{value} is too large for a figure (at most {MAX_FIGURE - 1:,})")
        return value


class Contact(Cited):
    id: Text
    name: Text
    kind: Literal[CONTACT_KINDS]  # type: ignore[valid-type]
    aliases: list[str] = Field(default_factory=list)
    country: str | None = None
    group: str | None = None
    party: str | None = None
    email: str | None = None
    postal_address: str | None = None
    phone: str | None = None
    salutation: str | None = None
    role: str | None = None
    url: str | None = None
    historical: bool = False
    as_of: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    honorific: str | None = None
    ep_id: str | None = None
    status: Literal["current", "former"] = "current"
    fetched_at: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict)

    _check = field_validator("as_of", mode="before")(lambda v: _date(v))
    _url = field_validator("url", mode="before")(lambda v: web_address(v))

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return check_email(value) if value else None


class Pack(Record):
    pack: Text
    title: Text
    description: str | None = None
    campaign_url: str | None = None
    sources: list[Source] = Field(default_factory=list)
    persons: list[Person] = Field(default_factory=list)
    demands: list[Demand] = Field(default_factory=list)
    events: list[Event] = Field(default_factory=list)
    figures: list[Figure] = Field(default_factory=list)
    contacts: list[Contact] = Field(default_factory=list)

    _url = field_validator("campaign_url", mode="before")(lambda v: web_address(v))

    @model_validator(mode="after")
    def _demands_concern_known_people(self) -> Pack:
        """A demand about people names them by id: an unknown id would keep it 'current'
        for ever, since no release of theirs could ever be reported."""
        ids = {p.id for p in self.persons}
        for d in self.demands:
            if d.done_in is not None and d.done_in not in d.sources:
                raise ValueError(f"demand '{d.id}' is done_in '{d.done_in}', which it does "
                                 "not cite in its sources")
            if d.made_in is not None and d.made_in not in d.sources:
                raise ValueError(f"demand '{d.id}' is made_in '{d.made_in}', which it does "
                                 "not cite; add it to its sources")
            for pid in (d.concerns.persons if d.concerns else []):
                if pid not in ids:
                    raise ValueError(f"demand '{d.id}' concerns '{pid}', who is not one of "
                                     "the pack's persons")
        return self
