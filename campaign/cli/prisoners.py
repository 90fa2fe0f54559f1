"""campaign prisoners: the people detained or victimised, and what happened to them."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from campaign.cli.common import (
    AsOfOpt,
    FormatOpt,
    SourceOpt,
    TemplatesOpt,
    as_of,
    store,
    to_file,
)
from campaign.output import Format, emit, emit_rows, printable, say

app = typer.Typer(help="People imprisoned, charged or sacked, and what happened.",
                  no_args_is_help=True)


class Status(StrEnum):
    detained = "detained"
    charged = "charged"
    under_investigation = "under-investigation"
    on_trial = "on-trial"
    imprisoned = "imprisoned"
    released = "released"
    died = "died"
    in_exile = "in-exile"
    dismissed = "dismissed"
    fined = "fined"
    summoned = "summoned"


class Kind(StrEnum):
    """What happened: an event kind, or the status it leads to."""

    detained = "detained"
    arrested = "arrested"
    charged = "charged"
    investigated = "investigated"
    under_investigation = "under-investigation"
    tried = "tried"
    on_trial = "on-trial"
    sentenced = "sentenced"
    imprisoned = "imprisoned"
    released = "released"
    died = "died"
    exiled = "exiled"
    in_exile = "in-exile"
    dismissed = "dismissed"
    fined = "fined"
    summoned = "summoned"


KIND_OF = {"under-investigation": "investigated", "on-trial": "tried", "in-exile": "exiled"}

NameArg = Annotated[str, typer.Argument(help="Name or alias (case and accents ignored).")]
COLUMNS = [("name", "name"), ("status_text", "status"), ("description", "who"),
           ("sources", "sources")]
EVENT_COLUMNS = [("id", "id"), ("date", "date"), ("kind", "what"), ("details", "details"),
                 ("sources", "sources")]


def _details(event: dict[str, Any]) -> str:
    parts = []
    if event.get("date_basis") == "report":
        parts.append("reported by this date")
    for key in ("charge", "sentence", "court", "place", "prison", "note"):
        if event.get(key):
            parts.append(f"{key}: {event[key]}")
    return "; ".join(parts)


@app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[
        list[Status] | None, typer.Option("--status", help="Only people with this status.")
    ] = None,
    as_of_: AsOfOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """List everyone, with their status as reported and when."""
    from campaign.people import iter_persons

    day = as_of(as_of_)
    wanted = [s.value.replace("-", " ") for s in status or []]
    title = caption = None
    if fmt in (Format.table, Format.md):
        # The heading says who is listed before the first row is read: the statuses
        # are counted from the case events first, then the rows streamed like CSV's.
        from campaign.labels import describe
        from campaign.people import status_counts

        listed = [s for s in status_counts(store(ctx), day) if not wanted or s in wanted]
        who = describe(listed)
        heading = f"People {who[:1].lower()}{who[1:]}" if listed else "No one on record"
        title = f"{heading} — as of {day.isoformat()}"
        caption = "Each status is as reported in the cited source, on the date shown."
    # a row as each person is read, in every format
    emit_rows((p for p in iter_persons(store(ctx), day) if not wanted
               or p["status"] in wanted), fmt, COLUMNS, title=title, caption=caption)


@app.command()
def show(ctx: typer.Context, name: NameArg, as_of_: AsOfOpt = None,
         fmt: FormatOpt = Format.table) -> None:
    """One person: names, status as of a date, and their history."""
    from campaign.people import person

    p = person(store(ctx), name, as_of(as_of_))
    if fmt is Format.json:
        emit(p, fmt, COLUMNS)
        return
    if fmt is not Format.table:
        emit([p], fmt, COLUMNS)
        return
    say(p["name"])
    if p["aliases"]:
        say("  also written: " + ", ".join(p["aliases"]))
    if p["description"]:
        say("  " + p["description"])
    say(f"  status: {p['status_text']}", "  sources: " + ", ".join(p["sources"]))
    _history(p, Format.table)


def _history(p: dict[str, Any], fmt: Format) -> None:
    rows = [dict(e, details=_details(e)) for e in p["events"]]
    emit(p["events"], fmt, EVENT_COLUMNS, rows=rows, title=f"History of {p['name']}")


@app.command()
def history(ctx: typer.Context, name: NameArg, fmt: FormatOpt = Format.table) -> None:
    """What happened to a person, in order, with sources."""
    from campaign.people import person

    _history(person(store(ctx), name), fmt)


@app.command()
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The person's name as most sources write it.")],
    source: SourceOpt,
    alias: Annotated[list[str] | None, typer.Option("--alias", help="Another spelling.")] = None,
    description: Annotated[
        str | None, typer.Option(help="Role or organisation, e.g. 'oil worker, Zhanaozen'.")
    ] = None,
) -> None:
    """Add a person (cite at least one --source)."""
    from campaign.people import add_person

    st = store(ctx)
    with st.transaction():
        pid = add_person(st, {"name": name, "aliases": alias or [], "description": description,
                              "sources": source, "quotes": [], "events": []})
    typer.echo(f"added {name} ({pid})")


@app.command()
def update(
    ctx: typer.Context,
    name: NameArg,
    status: Annotated[Kind, typer.Option("--status", help="What happened.")],
    date: Annotated[str, typer.Option("--date", help="When: YYYY, YYYY-MM or YYYY-MM-DD.")],
    source: SourceOpt,
    reported: Annotated[
        bool, typer.Option("--reported", help="The date is when it was reported, not when.")
    ] = False,
    place: Annotated[str | None, typer.Option(help="Where.")] = None,
    charge: Annotated[str | None, typer.Option(help="The charge, in the source's words.")] = None,
    sentence: Annotated[str | None, typer.Option(help="The sentence.")] = None,
    court: Annotated[str | None, typer.Option(help="The court.")] = None,
    prison: Annotated[str | None, typer.Option(help="The prison.")] = None,
    note: Annotated[str | None, typer.Option(help="Anything else the source says.")] = None,
) -> None:
    """Record news: a new event (arrest, sentence, release...) with its date and source."""
    from campaign import dates
    from campaign.people import add_event, find_id

    st = store(ctx)
    when = dates.parse_partial(date)
    kind = KIND_OF.get(status.value, status.value)
    with st.transaction():
        pid = find_id(st, name)
        add_event(st, pid, {"kind": kind, "date": when, "place": place, "charge": charge,
                            "sentence": sentence, "court": court, "prison": prison,
                            "note": note, "sources": source,
                            "date_basis": "report" if reported else "event"})
    typer.echo(f"recorded: {pid} {kind} {when}")


class AddressFor(StrEnum):
    prisoner = "prisoner"
    family = "family"


@app.command()
def address(
    ctx: typer.Context, name: NameArg,
    postal: Annotated[str, typer.Option(
        "--postal", help='The postal address, lines separated by "\\n" or newlines '
        "(their prison's, or their family's with --for family).")],
    source: SourceOpt,
    for_: Annotated[AddressFor, typer.Option(
        "--for", help="Whose address: the prisoner's (their prison) or their family's.")
    ] = AddressFor.prisoner,
    as_of_: Annotated[str | None, typer.Option(
        "--as-of", help="The date the source gives the address (YYYY[-MM[-DD]]).")] = None,
) -> None:
    """Record a postal address for letters to a person, with the source that gives it."""
    from campaign.documents.letters import add_postal_address
    from campaign.errors import UsageError

    if len(source) != 1:
        raise UsageError("give one --source for the address", "the source that gives it")
    found = add_postal_address(store(ctx), name, postal, source[0], purpose=for_.value,
                               as_of=as_of_)
    typer.echo(f"recorded the {for_.value} postal address: " + ", ".join(found["address"]))


@app.command()
def alias(ctx: typer.Context, name: NameArg,
          new_alias: Annotated[str, typer.Argument(help="The other spelling.")]) -> None:
    """Record another spelling of a person's name."""
    from campaign.people import add_alias, find_id

    st = store(ctx)
    with st.transaction():
        add_alias(st, find_id(st, name), new_alias)
    typer.echo(f"'{new_alias}' is now an alias")


@app.command()
def merge(ctx: typer.Context, name: NameArg,
          other: Annotated[str, typer.Argument(help="The duplicate record to fold in.")]) -> None:
    """Two records that are one person: keep NAME, fold OTHER into it."""
    from campaign.people import find_id
    from campaign.people import merge as merge_people

    st = store(ctx)
    with st.transaction():
        keep, dup = find_id(st, name), find_id(st, other)
        merge_people(st, keep, dup)
    typer.echo(f"merged {dup} into {keep}")


YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before removing.")]


@app.command()
def unrecord(
    ctx: typer.Context,
    event_id: Annotated[str, typer.Argument(
        help="The event's id, as `campaign prisoners history NAME` shows it.")],
    yes: YesOpt = False,
) -> None:
    """Remove one recorded event (a wrong date, a wrong status), with its citations.

    Shows the event and asks first: ids are short numbers, and a mistyped one names
    another person's event."""
    from campaign import dates
    from campaign.people import case_event
    from campaign.people import unrecord as remove_event

    st = store(ctx)
    found = case_event(st, event_id)
    what = (f"event {found['id']} of {found['person_name']}: {found['kind']}, "
            f"{dates.human(found['date']) if _is_date(found['date']) else found['date']}")
    if not yes:
        _confirm(f"remove {what}?")
    gone = remove_event(st, found["id"])
    typer.echo(f"removed event {gone['id']}: {gone['person_id']} {gone['kind']} {gone['date']}")


def _is_date(text: object) -> bool:
    from campaign import dates

    try:
        dates.check_partial(str(text))
    except ValueError:
        return False
    return True


def _confirm(question: str) -> None:
    """Ask on the terminal; no (or no answer: end of input) removes nothing."""
    from campaign.errors import CampaignError

    try:
        agreed = typer.confirm(question, default=False, err=True)
    except typer.Abort:
        agreed = False
    if not agreed:
        raise CampaignError("nothing was removed", "answer y, or add --yes to remove "
                            "without asking")


@app.command()
def remove(ctx: typer.Context, name: NameArg) -> None:
    """Remove a person, with every name, event and citation of theirs."""
    from campaign.people import remove_person

    typer.echo(f"removed {remove_person(store(ctx), name)}")


class SheetFormat(StrEnum):
    pdf = "pdf"
    html = "html"
    md = "md"
    docx = "docx"


@app.command("print")
def print_(
    ctx: typer.Context,
    status: Annotated[
        list[Status] | None,
        typer.Option("--status", help="Only people with this status (repeatable; default: "
                                      "detained, charged, under investigation, on trial, "
                                      "imprisoned, died)."),
    ] = None,
    name: Annotated[
        list[str] | None, typer.Option("--name", help="Only this person (repeatable).")
    ] = None,
    as_of_: AsOfOpt = None,
    title: Annotated[str | None, typer.Option("--title", help="Heading of the sheet.")] = None,
    fmt: Annotated[SheetFormat | None, typer.Option(
        "--format", "-f", help="pdf, html, md (default on stdout) or docx.")] = None,
    output: Annotated[str | None, typer.Option(
        "--output", "-o", help="Write to FILE (atomically); the extension sets the format.")
    ] = None,
    placard: Annotated[bool, typer.Option(
        "--placard", help="Placards instead: one person per A4 page, the name huge "
                          "(FREE ... for those held), pdf or docx.")] = False,
    templates: TemplatesOpt = None,
) -> None:
    """The picket sheet: names in large type, what happened and as of when (A4 PDF)."""
    from campaign.documents.output import choose_format, deliver
    from campaign.documents.picket import (
        DEFAULT_STATUSES,
        FORMATS,
        PLACARD_FORMATS,
        render_picket,
        render_placards,
    )
    from campaign.formats import DocFormat

    day = as_of(as_of_)
    allowed = PLACARD_FORMATS if placard else FORMATS
    given = DocFormat(fmt.value) if fmt else DocFormat.pdf if placard and not output else None
    chosen = choose_format(output, given, allowed)
    wanted = [s.value.replace("-", " ") for s in status] if status else list(DEFAULT_STATUSES)
    warnings: list[str] = []
    if placard:
        data = render_placards(store(ctx), chosen, user_dir=templates, statuses=wanted,
                               names=name or [], as_of=day, title=title, warnings=warnings)
    else:
        data = render_picket(store(ctx), chosen, user_dir=templates, statuses=wanted,
                             names=name or [], as_of=day, title=title)
    for warning in warnings:
        typer.echo(printable(f"campaign: warning: {warning}"), err=True)
    deliver(data, output)
    if to_file(output):
        typer.echo(f"wrote {output}", err=True)
