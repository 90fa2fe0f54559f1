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


COLUMNS = [("id", "id"), ("member", "member"), ("contact", "contact"), ("document", "document"),
           ("created", "created"), ("state", "state"), ("updated", "updated"),
           ("note", "note"), ("paths", "files")]
# What sending by email recorded (campaign.sending): when (UTC), our Message-ID, and why
# a letter failed or was left drafted.
COLUMNS += [("sent_at", "sent (UTC)"), ("message_id", "Message-ID"), ("reason", "reason")]


@app.command("list")
def list_(
    ctx: typer.Context,
    state: Annotated[State | None, typer.Option("--state", help="Only this state.")] = None,
    by: Annotated[str | None, typer.Option(
        "--by", help="Only the letters this member (of a coalition) logged.")] = None,
    to: Annotated[str | None, typer.Option(
        "--to", help="Only the letters to this recipient (a contact's id or name).")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """List the outreach log, oldest first, with the member who logged each letter."""
    from campaign.outreach import entries

    rows = entries(store(ctx), state.value if state else None, by=by)
    if to is not None:
        wanted = to.strip().casefold()
        rows = [r for r in rows if r["contact_id"] == to.strip()
                or wanted in (r.get("contact") or "").casefold()]
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


class SummaryBy(StrEnum):
    state = "state"
    member = "member"


@app.command()
def summary(
    ctx: typer.Context,
    by: Annotated[SummaryBy, typer.Option(
        "--by", help="state (the default), or member: each member's letters by state.")]
    = SummaryBy.state,
    fmt: FormatOpt = Format.table,
) -> None:
    """How many letters are in each state: drafted, sent, replied, sending, failed
    (per member with --by member)."""
    from campaign.outreach import STATES, summary_by_member
    from campaign.outreach import summary as summary_

    if by is SummaryBy.member:
        rows = summary_by_member(store(ctx))
        emit(rows, fmt, [("member", "member"), *[(s, s) for s in STATES], ("total", "total")],
             title="Outreach by member")
        return
    rows = summary_(store(ctx))
    emit(rows, fmt, [("state", "state"), ("count", "count")], title="Outreach summary")



@app.command("export")
def export_(
    ctx: typer.Context,
    output: Annotated[str | None, typer.Option(
        "--output", "-o", help="Write to this file (default: stdout).")] = None,
) -> None:
    """Export the outreach log as JSON (it is the coalition's own, never part of a pack)."""
    import json

    from campaign.cli.common import to_file
    from campaign.files import expand_user, write_atomic
    from campaign.outreach import export_log

    text = json.dumps(export_log(store(ctx)), ensure_ascii=False, indent=2) + "\n"
    if output:
        write_atomic(expand_user(output), text.encode("utf-8"))
    if to_file(output):
        typer.echo(f"wrote {output}", err=True)
    elif not output:
        typer.echo(text, nl=False)


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="A file written by `outreach export`.")],
) -> None:
    """Add the entries of an exported outreach log that this store lacks."""
    import json

    from campaign.errors import InputError
    from campaign.files import PACK_LIMIT, read_input
    from campaign.outreach import import_log

    text = read_input(file, limit_bytes=PACK_LIMIT, what="outreach log")
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InputError(f"not JSON ({exc})", path=file,
                         hint="give a file written by `campaign outreach export`") from None
    st = store(ctx)
    with st.transaction():
        added, known = import_log(st, data, path=file)
    typer.echo(f"imported {added} outreach entr{'y' if added == 1 else 'ies'}"
               + (f" ({known} already in the log)" if known else ""))
