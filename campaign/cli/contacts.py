"""campaign contacts: who letters go to."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from campaign.cli.common import FormatOpt, SourceOpt, store
from campaign.output import Format, emit

app = typer.Typer(help="Contacts: MEPs, embassies, authorities, press, unions.",
                  no_args_is_help=True)


class ContactKind(StrEnum):
    mep = "mep"
    embassy = "embassy"
    authority = "authority"
    press = "press"
    union = "union"
    campaign = "campaign"
    other = "other"


COLUMNS = [("name", "name"), ("kind", "kind"), ("country", "country"), ("group", "group"),
           ("role", "role"), ("email", "email"), ("status", "status"),
           ("historical", "historical")]
# Shown only when a listed contact is marked not to be written to: most lists have none,
# and the table is narrow already.
NO_CONTACT = ("no_contact", "no contact since")


@app.command("list")
def list_(
    ctx: typer.Context,
    kind: Annotated[ContactKind | None, typer.Option(help="Only this kind.")] = None,
    country: Annotated[str | None, typer.Option(help="Country name or ISO code.")] = None,
    group: Annotated[str | None, typer.Option(help="Political group (part of its name).")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """List contacts."""
    from campaign.contacts import listing

    # A historical contact is never shown as current (issues 13 and 14).
    found = listing(store(ctx), kind=kind.value if kind else None, country=country, group=group)
    columns = COLUMNS + [NO_CONTACT] if any(c.get("no_contact") for c in found) else COLUMNS
    emit(found, fmt, columns, title="Contacts")


@app.command()
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Name as it goes on the letter.")],
    kind: Annotated[ContactKind, typer.Option(help="What kind of contact.")],
    source: SourceOpt,
    country: Annotated[str | None, typer.Option(help="Country.")] = None,
    email: Annotated[str | None, typer.Option(help="Email, as published.")] = None,
    postal_address: Annotated[str | None, typer.Option(help="Postal address.")] = None,
    salutation: Annotated[str | None, typer.Option(help="e.g. 'Dear Ambassador Smith,'")] = None,
    role: Annotated[str | None, typer.Option(help="e.g. 'Ambassador of Kazakhstan'.")] = None,
    group: Annotated[str | None, typer.Option(help="Political group.")] = None,
    party: Annotated[str | None, typer.Option(help="Party.")] = None,
    phone: Annotated[str | None, typer.Option(help="Phone, as published.")] = None,
    contact_id: Annotated[
        str | None, typer.Option("--id", help="Update this contact (see `contacts list -f json`).")
    ] = None,
) -> None:
    """Add or update a contact (cite where it came from with --source)."""
    from campaign.contacts import add_contact

    st = store(ctx)
    with st.transaction():
        cid = add_contact(st, {"name": name, "kind": kind.value, "country": country,
                               "email": email, "postal_address": postal_address,
                               "salutation": salutation, "role": role, "group": group,
                               "party": party, "phone": phone, "id": contact_id}, source)
    typer.echo(f"saved contact {cid}")


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="CSV with a header: name,kind,country,...")],
    source: Annotated[
        str | None, typer.Option("--source", "-s", help="Source id for rows without one.")
    ] = None,
) -> None:
    """Import contacts from CSV (all rows or none)."""
    from campaign.contacts import import_csv

    st = store(ctx)
    with st.transaction():
        n = import_csv(st, file, source)
    typer.echo(f"imported {n} contacts from {file}")


@app.command("set")
def set_(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The contact's name or id.")],
    no_contact: Annotated[bool | None, typer.Option(
        "--no-contact/--contact-ok", help="Do not write to this contact (`letter` and `send` "
        "leave it out), or clear that mark.")] = None,
    reason: Annotated[str | None, typer.Option(
        "--reason", help="Why (with --no-contact), e.g. 'asked us to stop'.")] = None,
) -> None:
    """Mark a contact not to be written to, or clear the mark."""
    from campaign.contacts import find_contact, set_no_contact
    from campaign.errors import UsageError

    if no_contact is None:
        raise UsageError("nothing to set", "give --no-contact or --contact-ok")
    st = store(ctx)
    with st.transaction():
        found = find_contact(st, name)
        set_no_contact(st, found["id"], no_contact, reason)
    from campaign.output import printable

    typer.echo(printable(f"{found['name']}: " + ("not to be contacted; `letter` and `send` "
                                                 "leave them out" if no_contact else
                                                 "may be contacted")))


@app.command()
def remove(
    ctx: typer.Context,
    contact_id: Annotated[str, typer.Argument(help="The contact's id (`contacts list -f json`).")],
) -> None:
    """Remove a contact, with its citations (refused if the outreach log names it)."""
    store(ctx).remove("contacts", "contact", contact_id)
    typer.echo(f"removed contact {contact_id}")
