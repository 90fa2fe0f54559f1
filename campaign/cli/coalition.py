"""campaign coalition: the members who share one PostgreSQL store, and their rights.

Thin: campaign.coalition does the work (roles, grants; PostgreSQL enforces them).
"""

from __future__ import annotations

import os
from enum import StrEnum
from typing import Annotated

import typer

from campaign.cli.common import FormatOpt, store
from campaign.output import Format, emit

app = typer.Typer(help="The coalition sharing this PostgreSQL store: members and rights.",
                  no_args_is_help=True)


class Kind(StrEnum):
    coordinator = "coordinator"
    branch = "branch"


@app.command()
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The member's login (e.g. unite_dublin).")],
    kind: Annotated[Kind, typer.Option(
        "--as", help="coordinator (changes the facts) or branch (writes letters).")],
) -> None:
    """Add a member (the database's owner only); the password comes from
    CAMPAIGN_NEW_PASSWORD, or is asked for without echo."""
    from campaign import coalition

    coalition.check_name(name)
    st = store(ctx)
    coalition.need_postgresql(st)
    password = os.environ.get("CAMPAIGN_NEW_PASSWORD")
    if password is None:
        password = typer.prompt(f"password for {name}", hide_input=True,
                                confirmation_prompt=True)
    with st.transaction():
        coalition.add(st, name, kind.value, password)
    typer.echo(f"added {name} as a {kind.value}; they set CAMPAIGN_DB to "
               f"postgresql://{name}@HOST:PORT/DBNAME and keep the password in ~/.pgpass")


@app.command("list")
def list_(ctx: typer.Context, fmt: FormatOpt = Format.table) -> None:
    """The members, their kind, when they were added, and how many letters they logged."""
    from campaign import coalition

    rows = coalition.members(store(ctx))
    emit(rows, fmt, [("name", "member"), ("kind", "kind"), ("added", "added"),
                     ("letters", "letters")], title="Coalition")


@app.command()
def remove(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The member to remove.")],
) -> None:
    """Remove a member (the owner only): their login goes, the letters they logged stay."""
    from campaign import coalition

    st = store(ctx)
    with st.transaction():
        coalition.remove(st, name)
    typer.echo(f"removed {name}; the entries they logged stay in the outreach log")
