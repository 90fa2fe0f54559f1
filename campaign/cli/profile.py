"""campaign profile: the sender's details, saved once and used by `campaign letter`."""

from __future__ import annotations

from typing import Annotated

import typer

from campaign.cli.common import FormatOpt, store
from campaign.output import Format, emit

app = typer.Typer(help="Your details as a sender of letters.", no_args_is_help=True)

FIELDS = ("name", "address", "org", "email")


@app.command("set")
def set_(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Option("--name", help="Your name.")] = None,
    address: Annotated[str | None, typer.Option("--address", help="Your postal address.")] = None,
    org: Annotated[str | None, typer.Option("--org", help="Your organisation.")] = None,
    email: Annotated[str | None, typer.Option("--email", help="Your email address.")] = None,
) -> None:
    """Save (or change) your sender details; options not given are kept."""
    from campaign.errors import UsageError

    given = {"name": name, "address": address, "org": org, "email": email}
    values = {k: v.strip() for k, v in given.items() if v is not None}
    if not values:
        raise UsageError("nothing to set", "give --name, --address, --org or --email")
    if "name" in values and not values["name"]:
        raise UsageError("--name is blank", "give your name")
    mail = values.get("email")
    if mail:  # the From of every .eml draft: one plain address, never a list
        from campaign.emails import check_email

        try:
            check_email(mail)
        except ValueError as exc:
            raise UsageError(f"--email: {exc}") from None
    st = store(ctx)
    with st.transaction():
        st.set_profile(values)
    typer.echo("saved profile: " + ", ".join(sorted(values)))


@app.command()
def show(ctx: typer.Context, fmt: FormatOpt = Format.table) -> None:
    """Show your saved sender details."""
    profile = store(ctx).profile()
    rows = [{"field": k, "value": profile.get(k) or ""} for k in FIELDS]
    if fmt is Format.json:
        emit({k: profile.get(k) for k in FIELDS}, fmt, [])
        return
    emit(rows, fmt, [("field", "field"), ("value", "value")], title="Profile",
         caption=None if profile.get("name") else
         "No sender saved: `campaign profile set --name ...`")

