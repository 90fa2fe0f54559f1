"""campaign profile: the sender's details, saved once and used by `campaign letter`."""

from __future__ import annotations

from typing import Annotated

import typer

from campaign.cli.common import FormatOpt, store
from campaign.cli.send import Security, SmtpHostOpt, SmtpPortOpt, SmtpSecurityOpt, SmtpUserOpt
from campaign.output import Format, emit

app = typer.Typer(help="Your details as a sender of letters.", no_args_is_help=True)

FIELDS = ("name", "address", "org", "email", "country", "about")
ABOUT_LIMIT = 600  # characters: one or two sentences, not a biography
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
    about: Annotated[str | None, typer.Option(
        "--about", help="One or two sentences about you or your branch (how many members, "
        "what you do), at most 600 characters: the 'who I am' of every letter.")] = None,
) -> None:
    """Save (or change) your sender details; options not given are kept."""
    from campaign.errors import UsageError

    given = {"name": name, "address": address, "org": org, "email": email, "country": country,
             "about": about}
    values = {k: v.strip() for k, v in given.items() if v is not None}
    values.update(_smtp_values(smtp_host, smtp_port, smtp_user, smtp_security))
    if not values:
        raise UsageError("nothing to set",
                         "give --name, --address, --org, --email, --country, --about or "
                         "--smtp-host")
    if values.get("about") is not None:
        _check_about(values["about"])
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


def _check_about(text: str) -> None:
    """A letter prints --about as its sender's own words: refused when too long for one
    or two sentences, or when it holds a control character (a line break included)."""
    import re

    from campaign.errors import UsageError

    if len(text) > ABOUT_LIMIT:
        raise UsageError(f"--about is {len(text):,} characters; at most {ABOUT_LIMIT} are "
                         "allowed", "say who you are in one or two sentences")
    found = re.search(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", text)
    if found:
        raise UsageError(f"--about holds a control character (U+{ord(found.group()):04X})",
                         "give one or two plain sentences on one line")


@app.command()
def show(ctx: typer.Context, fmt: FormatOpt = Format.table) -> None:
    """Show your saved sender details."""
    profile = store(ctx).profile()
    shown = [k for k in FIELDS if k not in ("country", "about") or profile.get(k)]
    shown += [k for k in SMTP_FIELDS if profile.get(k)]
    rows = [{"field": k, "value": profile.get(k) or ""} for k in shown]
    if fmt is Format.json:
        emit({k: profile.get(k) for k in shown}, fmt, [])
        return
    emit(rows, fmt, [("field", "field"), ("value", "value")], title="Profile",
         caption=None if profile.get("name") else
         "No sender saved: `campaign profile set --name ...`")

