"""campaign demands | events | figures | timeline."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from campaign.cli.common import LAPSE_MAX, AsOfOpt, FormatOpt, SourceOpt, as_of, store
from campaign.output import Format, emit, say


class DemandKind(StrEnum):
    """How a demand lapses (campaign.selection)."""

    release = "release"
    accountability = "accountability"
    process = "process"
    policy = "policy"

demands_app = typer.Typer(help="The campaign's demands.", no_args_is_help=True)
events_app = typer.Typer(help="Dated events: shootings, days of action, debates...",
                         no_args_is_help=True)
figures_app = typer.Typer(help="Figures, each with its qualifier and its source.",
                          no_args_is_help=True)

DEMAND_COLUMNS = [("id", "id"), ("text", "demand"), ("addressed_to", "addressed to"),
                  ("sources", "sources")]
DEMAND_LIST_COLUMNS = [("id", "id"), ("kind", "kind"), ("made_text", "made"),
                       ("current_text", "current"),
                       ("text", "demand"), ("addressed_to", "addressed to"),
                       ("sources", "sources")]
LapseOpt = Annotated[int, typer.Option(
    "--lapse-years", min=0, max=LAPSE_MAX,
    help="A release or process demand lapses when its newest source is this many years "
         "older than the date.")]
EVENT_COLUMNS = [("date", "date"), ("kind", "kind"), ("title", "title"), ("place", "place"),
                 ("sources", "sources")]
FIGURE_COLUMNS = [("subject", "what"), ("qualifier", "qualifier"), ("number", "number"),
                  ("according_to", "according to"), ("date", "as of"), ("sources", "sources")]
TIMELINE_COLUMNS = [("date", "date"), ("type", "type"), ("what", "what"), ("where", "where"),
                    ("sources", "sources")]


@demands_app.command("list")
def demands_list(ctx: typer.Context, as_of_: AsOfOpt = None, lapse_years: LapseOpt = 3,
                 fmt: FormatOpt = Format.table) -> None:
    """List the demands: their kind, when each was made, and whether (and why) it is
    current as of a date.

    A release demand lapses when everyone it names is reported released or dead,
    or when its newest source is --lapse-years old (documents then ask for news of
    those last reported held); a process demand when no source less than
    --lapse-years old supports it; an accountability or policy demand stands until
    a source reports it done.
    """
    from campaign import dates
    from campaign.selection import all_demands

    day = as_of(as_of_)
    rows = all_demands(store(ctx), as_of=day, lapse_years=lapse_years)
    for d in rows:
        d["made_text"] = dates.human(d["made"]) if d["made"] else ""
        d["current_text"] = ("yes: " if d["current"] else "no: ") + d["why"]
    emit(rows, fmt, DEMAND_LIST_COLUMNS,
         title=f"Demands as of {dates.human(day.isoformat())}")


@demands_app.command("renew")
def demands_renew(
    ctx: typer.Context,
    demand_id: Annotated[str, typer.Argument(help="Demand id.")],
    source: Annotated[str, typer.Option("--source", "-s",
                                        help="A source that shows the demand still stands.")],
) -> None:
    """Record that a demand still stands, citing a newer source."""
    from campaign.selection import renew_demand, renewal_source

    st = store(ctx)
    with st.transaction():
        src = renew_demand(st, demand_id, source)
    typer.echo(renewal_source({"id": demand_id}, src))


@demands_app.command("done")
def demands_done(
    ctx: typer.Context,
    demand_id: Annotated[str, typer.Argument(help="Demand id.")],
    source: Annotated[str, typer.Option("--source", "-s",
                                        help="The source that reports it done.")],
    date: Annotated[str | None, typer.Option(
        "--date", help="When it was done (default: the source's date).")] = None,
) -> None:
    """Record that a source reports an accountability or policy demand done (an inquiry
    held, a union registered): documents dated after it no longer make it."""
    from campaign import dates
    from campaign.selection import mark_done

    st = store(ctx)
    with st.transaction():
        src = mark_done(st, demand_id, source, date)
    typer.echo(f"demand '{demand_id}' reported done by '{src['id']}' "
               f"(published {dates.human(src['published'])})")


@demands_app.command("show")
def demands_show(ctx: typer.Context, demand_id: Annotated[str, typer.Argument(help="Demand id.")],
                 fmt: FormatOpt = Format.table) -> None:
    """Show one demand with its sources and evidence."""
    from campaign import dates
    from campaign.selection import all_demands

    st = store(ctx)
    st.demand(demand_id)  # an unknown id fails here, with suggestions
    d = next(x for x in all_demands(st, as_of=dates.today()) if x["id"] == demand_id)
    if fmt is Format.table:
        say(f"{d['id']}: {d['record_text']}")
        if d["addressed_to"]:
            say(f"  addressed to: {d['addressed_to']}")
        if d["made"]:
            say(f"  made: {dates.human(d['made'])}" +
                (f" by {d['made_by']}" if d["made_by"] else ""))
        say(f"  kind: {d['kind']}")
        say("  current today: " + ("yes" if d["current"] else "no") + f" ({d['why']})")
        say("  sources: " + ", ".join(st.demand(demand_id)["sources"]),
            *(f"  “{q}”" for q in d["quotes"]))
        return
    emit(d if fmt is Format.json else [d], fmt, DEMAND_COLUMNS)


@demands_app.command("add")
def demands_add(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="The demand, in the campaign's words.")],
    source: SourceOpt,
    addressed_to: Annotated[str | None, typer.Option(help="Who it is addressed to.")] = None,
    demand_id: Annotated[str | None, typer.Option("--id", help="Id (default: from text).")] = None,
    made: Annotated[str | None, typer.Option(
        "--made", help="When it was first made (default: its source's date).")] = None,
    made_by: Annotated[str | None, typer.Option(
        "--made-by", help="Who made it, e.g. 'the Greens/EFA group in the European "
                          "Parliament'.")] = None,
    made_in: Annotated[str | None, typer.Option(
        "--made-in", help="The source (one of --source) in which it was made.")] = None,
    concerns: Annotated[list[str] | None, typer.Option(
        "--concerns", help="A person it is about (repeatable): it lapses when all are "
                           "reported released or dead.")] = None,
    process: Annotated[str | None, typer.Option(
        "--process", help="The trial, talks or law it is about: it lapses when no recent "
                          "source supports it.")] = None,
    ask: Annotated[str | None, typer.Option(
        "--ask", help="The demand as a phrase without 'to', e.g. 'release {persons}'.")] = None,
    kind: Annotated[DemandKind | None, typer.Option(
        "--kind", help="release (of named people: lapses with its sources), accountability "
                       "or policy (stand until reported done), process (lapses with its "
                       "sources). Default: release with --concerns, else process.")] = None,
) -> None:
    """Add a demand (cite at least one --source)."""
    from campaign.facts import add_demand

    st = store(ctx)
    with st.transaction():
        did = add_demand(st, text=text, addressed_to=addressed_to, sources=source,
                         demand_id=demand_id, made=made, made_by=made_by, made_in=made_in,
                         persons=concerns or [], process=process, ask=ask,
                         kind=kind.value if kind else None)
    typer.echo(f"added demand {did}")


@events_app.command("list")
def events_list(
    ctx: typer.Context,
    planned: Annotated[bool, typer.Option("--planned", help="Only planned events.")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """List the campaign's dated events."""
    emit(store(ctx).events(planned=True if planned else None), fmt, EVENT_COLUMNS,
         title="Events")


@events_app.command("add")
def events_add(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(help="What happened, e.g. 'Picket of the embassy'.")],
    date: Annotated[str, typer.Option("--date", help="YYYY, YYYY-MM or YYYY-MM-DD.")],
    source: SourceOpt,
    kind: Annotated[str, typer.Option(help="e.g. protest, hearing, debate.")] = "other",
    place: Annotated[str | None, typer.Option(help="Where.")] = None,
    end_date: Annotated[str | None, typer.Option("--end-date", help="Last day.")] = None,
) -> None:
    """Add a dated event (cite at least one --source)."""
    from campaign.facts import add_event

    st = store(ctx)
    with st.transaction():
        eid = add_event(st, date=date, kind=kind, title=title, place=place, sources=source,
                        end_date=end_date)
    typer.echo(f"added event {eid}")


IdArg = Annotated[str, typer.Argument(help="The record's id (see the list command with -f json).")]


@demands_app.command("remove")
def demands_remove(ctx: typer.Context, demand_id: IdArg) -> None:
    """Remove a demand, with its citations."""
    store(ctx).remove("demands", "demand", demand_id)
    typer.echo(f"removed demand {demand_id}")


@events_app.command("remove")
def events_remove(ctx: typer.Context, event_id: IdArg) -> None:
    """Remove an event, with its citations."""
    store(ctx).remove("events", "event", event_id)
    typer.echo(f"removed event {event_id}")


@figures_app.command("remove")
def figures_remove(ctx: typer.Context, figure_id: IdArg) -> None:
    """Remove a figure, with its citations."""
    store(ctx).remove("figures", "figure", figure_id)
    typer.echo(f"removed figure {figure_id}")


@figures_app.command("list")
def figures_list(ctx: typer.Context, fmt: FormatOpt = Format.table) -> None:
    """List the figures: never merged, each with who says so."""
    emit(store(ctx).figures(), fmt, FIGURE_COLUMNS, title="Figures")


def timeline(ctx: typer.Context, fmt: FormatOpt = Format.table) -> None:
    """Every dated fact in order, with its sources."""
    from campaign.facts import timeline as build

    emit(build(store(ctx)), fmt, TIMELINE_COLUMNS, title="Timeline")


UPCOMING_COLUMNS = [("date", "date"), ("type", "type"), ("what", "what"), ("place", "place"),
                    ("sources", "sources")]


@events_app.command("upcoming")
def events_upcoming(
    ctx: typer.Context,
    days: Annotated[int, typer.Option("--days", help="How many days ahead.")] = 30,
    start: Annotated[str | None, typer.Option(
        "--from", help="First day, YYYY-MM-DD (default today).")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Coming anniversaries of the campaign's events, and planned events."""
    from campaign import dates
    from campaign.anniversaries import upcoming

    first = dates.parse_day(start, "--from") if start else dates.today()
    emit(upcoming(store(ctx), first, days), fmt, UPCOMING_COLUMNS, title="Coming up")
