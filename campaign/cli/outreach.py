"""campaign outreach: which drafts went to whom, and what became of them."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from campaign.cli.common import FormatOpt, store
from campaign.output import Format, emit

app = typer.Typer(help="The outreach log: drafts, sent letters and replies.",
                  no_args_is_help=True)


class State(StrEnum):
    drafted = "drafted"
    sent = "sent"
    replied = "replied"
    sending = "sending"
    failed = "failed"


class MarkState(StrEnum):
    sent = "sent"
    replied = "replied"
    failed = "failed"


COLUMNS = [("id", "id"), ("contact", "contact"), ("document", "document"),
           ("created", "created"), ("state", "state"), ("updated", "updated"),
           ("note", "note"), ("paths", "files")]
# What sending by email recorded (campaign.sending): when (UTC), our Message-ID, and why
# a letter failed or was left drafted.
COLUMNS += [("sent_at", "sent (UTC)"), ("message_id", "Message-ID"), ("reason", "reason")]


@app.command("list")
def list_(
    ctx: typer.Context,
    state: Annotated[State | None, typer.Option("--state", help="Only this state.")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """List the outreach log, oldest first."""
    from campaign.outreach import entries

    rows = entries(store(ctx), state.value if state else None)
    emit(rows, fmt, COLUMNS, title="Outreach")


@app.command()
def mark(
    ctx: typer.Context,
    entry_id: Annotated[int, typer.Argument(metavar="ID", help="Entry id (see `outreach list`).")],
    state: Annotated[MarkState, typer.Argument(help="sent or replied.")],
    note: Annotated[str | None, typer.Option("--note", help="e.g. who replied and how.")] = None,
    reason: Annotated[str | None, typer.Option(
        "--reason", help="Why it failed (with failed), e.g. the bounce's words.")] = None,
) -> None:
    """Record that a draft was sent, that the contact replied, or that it failed."""
    from campaign.errors import UsageError
    from campaign.outreach import mark as mark_
    from campaign.records import MAX_NUMBER

    if not 1 <= entry_id <= MAX_NUMBER:  # the store's ids are positive 64-bit integers
        raise UsageError(f"{entry_id} is not an outreach entry id",
                         "see `campaign outreach list` for the ids")
    st = store(ctx)
    with st.transaction():
        entry = mark_(st, entry_id, state.value, note, reason)
    typer.echo(f"outreach {entry_id} marked {entry['state']}")


@app.command()
def summary(ctx: typer.Context, fmt: FormatOpt = Format.table) -> None:
    """How many letters are in each state: drafted, sent, replied, sending, failed."""
    from campaign.outreach import summary as summary_

    rows = summary_(store(ctx))
    emit(rows, fmt, [("state", "state"), ("count", "count")], title="Outreach summary")

