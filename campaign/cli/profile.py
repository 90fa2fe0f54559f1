"""campaign profile: the sender's details, saved once and used by `campaign letter`."""

from __future__ import annotations

from typing import Annotated

import typer

from campaign.cli.common import FormatOpt, store
from campaign.cli.send import Security, SmtpHostOpt, SmtpPortOpt, SmtpSecurityOpt, SmtpUserOpt
from campaign.output import Format, emit

app = typer.Typer(help="Your details as a sender of letters.", no_args_is_help=True)

FIELDS = ("name", "address", "org", "email", "country")
SMTP_FIELDS = ("smtp_host", "smtp_port", "smtp_user", "smtp_security")


def _smtp_values(host: str | None, port: int | None, user: str | None,
                 security: Security | None) -> dict[str, str]:
    """The mail account's settings, checked; never a password (see campaign.sending)."""
    from campaign.sending.account import check_host, check_port

    values: dict[str, str] = {}
    if host is not None:
        values["smtp_host"] = check_host(host)
    if port is not None:
        values["smtp_port"] = str(check_port(port))
    if user is not None:
        values["smtp_user"] = user.strip()
    if security is not None:
        values["smtp_security"] = security.value
    return values


@app.command("set")
def set_(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Option("--name", help="Your name.")] = None,
    address: Annotated[str | None, typer.Option("--address", help="Your postal address.")] = None,
    org: Annotated[str | None, typer.Option("--org", help="Your organisation.")] = None,
    email: Annotated[str | None, typer.Option("--email", help="Your email address.")] = None,
    country: Annotated[str | None, typer.Option(
        "--country", help="Your union body's country: whom a motion writes to.")] = None,
    smtp_host: SmtpHostOpt = None,
    smtp_port: SmtpPortOpt = None,
    smtp_user: SmtpUserOpt = None,
    smtp_security: SmtpSecurityOpt = None,
) -> None:
    """Save (or change) your sender details; options not given are kept."""
    from campaign.errors import UsageError

    given = {"name": name, "address": address, "org": org, "email": email, "country": country}
    values = {k: v.strip() for k, v in given.items() if v is not None}
    values.update(_smtp_values(smtp_host, smtp_port, smtp_user, smtp_security))
    if not values:
        raise UsageError("nothing to set",
                         "give --name, --address, --org, --email, --country or --smtp-host")
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
    shown += [k for k in SMTP_FIELDS if profile.get(k)]
    rows = [{"field": k, "value": profile.get(k) or ""} for k in shown]
    if fmt is Format.json:
        emit({k: profile.get(k) for k in shown}, fmt, [])
        return
    emit(rows, fmt, [("field", "field"), ("value", "value")], title="Profile",
         caption=None if profile.get("name") else
         "No sender saved: `campaign profile set --name ...`")

