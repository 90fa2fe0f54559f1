"""campaign profile: the sender's details, saved once and used by `campaign letter`."""

from __future__ import annotations

from typing import Annotated

import typer

from campaign.cli.common import FormatOpt, store
from campaign.output import Format, emit

app = typer.Typer(help="Your details as a sender of letters.", no_args_is_help=True)

FIELDS = ("name", "address", "org", "email", "country")


@app.command("set")
def set_(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Option("--name", help="Your name.")] = None,
    address: Annotated[str | None, typer.Option("--address", help="Your postal address.")] = None,
    org: Annotated[str | None, typer.Option("--org", help="Your organisation.")] = None,
    email: Annotated[str | None, typer.Option("--email", help="Your email address.")] = None,
    country: Annotated[str | None, typer.Option(
        "--country", help="Your union body's country: whom a motion writes to.")] = None,
) -> None:
    """Save (or change) your sender details; options not given are kept."""
    from campaign.errors import UsageError

    given = {"name": name, "address": address, "org": org, "email": email, "country": country}
    values = {k: v.strip() for k, v in given.items() if v is not None}
    if not values:
        raise UsageError("nothing to set",
                         "give --name, --address, --org, --email or --country")
    if values.get("country") is not None:
        from campaign.documents.resolution import representatives

        found = representatives(values["country"])["country"]
        if not found:
            raise UsageError("--country is blank", "give your country, e.g. Ireland")
        values["country"] = found
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
    shown = [k for k in FIELDS if k != "country" or profile.get(k)]
    rows = [{"field": k, "value": profile.get(k) or ""} for k in shown]
    if fmt is Format.json:
        emit({k: profile.get(k) for k in shown}, fmt, [])
        return
    emit(rows, fmt, [("field", "field"), ("value", "value")], title="Profile",
         caption=None if profile.get("name") else
         "No sender saved: `campaign profile set --name ...`")

