"""campaign announce: pickets, vigils, meetings and days of action, with calendar files."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from campaign.cli.common import AsOfOpt, TemplatesOpt, store, to_file


class Kind(StrEnum):
    picket = "picket"
    vigil = "vigil"
    meeting = "meeting"
    day_of_action = "day-of-action"


class Length(StrEnum):
    short = "short"
    medium = "medium"
    long = "long"


class AnnounceFormat(StrEnum):
    md = "md"
    txt = "txt"
    html = "html"
    ics = "ics"
    pdf = "pdf"


def announce(
    ctx: typer.Context,
    kind: Annotated[Kind, typer.Option("--kind", help="What is called.")],
    date: Annotated[str, typer.Option("--date", help="The day, YYYY-MM-DD.")],
    time: Annotated[str | None, typer.Option(
        "--time", help="Start, HH:MM (none: all day).")] = None,
    end: Annotated[str | None, typer.Option("--end", help="End, HH:MM, same day.")] = None,
    timezone: Annotated[str | None, typer.Option(
        "--timezone", help="IANA zone, e.g. Europe/London (none: local time).")] = None,
    place: Annotated[str | None, typer.Option("--place", help="Where, e.g. the embassy.")] = None,
    city: Annotated[str | None, typer.Option("--city", help="Town or city.")] = None,
    organiser: Annotated[str | None, typer.Option("--organiser", help="Who calls it.")] = None,
    contact: Annotated[str | None, typer.Option(
        "--contact", help="The organiser's public contact line, printed as given.")] = None,
    demand: Annotated[list[str] | None, typer.Option(
        "--demand", help="Demand id (repeatable; default: the first three).")] = None,
    prisoner: Annotated[list[str] | None, typer.Option(
        "--prisoner",
        help="Name to list (repeatable; default: those reported imprisoned).")] = None,
    length: Annotated[Length, typer.Option(
        "--length", help="short (a 280-character post), medium (email, leaflet), long "
                         "(press release).")] = Length.medium,
    fmt: Annotated[AnnounceFormat | None, typer.Option(
        "--format", "-f", help="md, txt, html, ics or pdf (default: from -o, else md).")] = None,
    output: Annotated[str | None, typer.Option(
        "--output", "-o", help="Write to this file.")] = None,
    save: Annotated[bool, typer.Option(
        "--save", help="Record the event in the store as planned.")] = False,
    templates: TemplatesOpt = None,
    as_of: AsOfOpt = None,
) -> None:
    """Announce an event: what, when, where, who calls it and why, with sources."""
    from campaign import dates
    from campaign.documents import announcement as doc
    from campaign.documents.output import choose_format, convert, deliver
    from campaign.formats import DocFormat

    st = store(ctx)
    allowed = [DocFormat(f.value) for f in AnnounceFormat]
    chosen = choose_format(output, DocFormat(fmt.value) if fmt else None, allowed)
    status_date = dates.parse_day(as_of, "--as-of") if as_of else None
    ann = doc.announce(
        st, user_dir=templates, kind=kind.value, date=date, time=time, end=end,
        timezone=timezone, place=place, city=city, organiser=organiser, contact=contact,
        demands=demand or [], prisoners=prisoner or [], length=length.value, as_of=status_date,
    )
    saved = None
    with st.transaction():
        if save:
            saved = doc.save(st, ann, organiser=ann.context["organiser"],
                             city=ann.context["city"], today=dates.today())
        if chosen is DocFormat.ics:
            from campaign.formats.ics import calendar
            from campaign.formats.text import to_text

            data = calendar(st, kind=ann.kind, date=ann.date, start=ann.start, end=ann.end,
                            summary=ann.title, location=ann.location,
                            description=to_text(ann.markdown).strip(),
                            city=ann.context["city"], place=ann.context["place"])
        else:
            data = convert(ann.markdown, chosen, title=ann.title)
        deliver(data, output)
    if saved:
        typer.echo(f"saved planned event {saved}", err=True)
    if to_file(output):
        typer.echo(f"wrote {output}", err=True)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""
    app.command("announce")(announce)
