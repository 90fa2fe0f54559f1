"""campaign send: drafted letters out by email through the sender's own account.

Never by accident: without --yes it shows who gets what and asks on a terminal,
and refuses where there is no terminal to ask on; --dry-run talks to nobody.
Slowly (--rate), once (each letter's state committed as it changes; a re-run sends
only what was not sent), and on the record (the outreach log keeps the time, our
Message-ID and the server's reply). The library is ``campaign.sending``.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from campaign.cli.common import quiet, store
from campaign.cli.letters import To
from campaign.output import Format

if TYPE_CHECKING:
    from campaign.sending.outgoing import Outgoing
    from campaign.sending.run import Outcome
    from campaign.store import Store


class Security(StrEnum):  # the same values as campaign.sending.account.Security
    starttls = "starttls"
    ssl = "ssl"
    none = "none"


COLUMNS = [("n", "#"), ("entry", "outreach"), ("recipient", "recipient"), ("email", "email"),
           ("subject", "subject"), ("file", "file")]

SmtpHostOpt = Annotated[str | None, typer.Option(
    "--smtp-host", help="Your mail server for this run (default: the saved profile).")]
SmtpPortOpt = Annotated[int | None, typer.Option(
    "--smtp-port", help="Its port (default: 587 for starttls, 465 for ssl).")]
SmtpUserOpt = Annotated[str | None, typer.Option(
    "--smtp-user", help="The user to log in as (usually your email address).")]
SmtpSecurityOpt = Annotated[Security | None, typer.Option(
    "--smtp-security", help="starttls (default), ssl, or none (a relay on this machine).")]


def parse_rate(text: str) -> float:
    """'10/min', '300/h' or '10' (a minute) -> messages a minute."""
    from campaign.errors import UsageError

    number, _, unit = text.strip().partition("/")
    per = {"": 1.0, "m": 1.0, "min": 1.0, "minute": 1.0, "h": 1 / 60, "hour": 1 / 60}
    try:
        value = float(number)
    except ValueError:
        value = 0.0
    if unit.strip().lower() not in per or not 0 < value <= 100_000:
        raise UsageError(f"--rate '{text}' is not a rate", "write it as N/min, e.g. 10/min")
    return value * per[unit.strip().lower()]


def send(
    ctx: typer.Context,
    to: Annotated[To | None, typer.Option(
        "--to", help="Only letters of this kind (mep, embassy, authority), chosen as for "
        "`campaign letter`.")] = None,
    country: Annotated[list[str] | None, typer.Option(
        "--country", help="Only letters to contacts for this country (with --to).")] = None,
    group: Annotated[list[str] | None, typer.Option(
        "--group", help="Only letters to this political group (with --to).")] = None,
    contact: Annotated[list[str] | None, typer.Option(
        "--contact", help="Only letters to this contact (with --to; repeatable).")] = None,
    outreach: Annotated[list[int] | None, typer.Option(
        "--outreach", help="Only this outreach entry (repeatable; `campaign outreach list`).")
    ] = None,
    from_dir: Annotated[str | None, typer.Option(
        "--from-dir", help="Only letters drafted into this directory.")] = None,
    yes: Annotated[bool, typer.Option(
        "--yes", help="Send without asking (needed where there is no terminal).")] = False,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Show who would get what, and how alike the letters are; talk to "
        "no server, send nothing.")] = False,
    allow_similar: Annotated[bool, typer.Option(
        "--allow-similar", help="Send letters 0.8 or more alike (to each other, or to a "
        "letter already sent to the same person) all the same.")] = False,
    rate: Annotated[str, typer.Option(
        "--rate", help="At most this many messages a minute, e.g. 10/min (or N/h).")] = "10/min",
    max_: Annotated[int | None, typer.Option(
        "--max", min=1, help="Stop after this many messages (your provider's daily limit).")
    ] = None,
    bcc_self: Annotated[bool, typer.Option(
        "--bcc-self", help="Send yourself a copy of each message.")] = False,
    test_to: Annotated[str | None, typer.Option(
        "--test-to", help="Send the first letter to this address only, its subject marked "
        "[TEST]; nothing is marked sent.")] = None,
    subject: Annotated[str | None, typer.Option(
        "--subject", help="The subject for drafts that have none (Markdown, text).")] = None,
    check: Annotated[bool, typer.Option(
        "--check", help="Log in and out, and say what the server supports; send nothing.")
    ] = False,
    reconcile: Annotated[bool, typer.Option(
        "--reconcile", help="List letters whose sending was interrupted (their fate unknown), "
        "with the Message-ID to look for in your Sent folder.")] = False,
    resend_unknown: Annotated[bool, typer.Option(
        "--resend-unknown", help="Send those letters again too (check your Sent folder "
        "first).")] = False,
    smtp_host: SmtpHostOpt = None,
    smtp_port: SmtpPortOpt = None,
    smtp_user: SmtpUserOpt = None,
    smtp_security: SmtpSecurityOpt = None,
    smtp_insecure: Annotated[bool, typer.Option(
        "--smtp-insecure", help="Accept a server certificate that does not verify (only for "
        "a server you know; a warning is shown).")] = False,
    fmt: Annotated[Format, typer.Option(
        "--format", "-f", help="For --dry-run and --reconcile: table, json, csv or md.")
    ] = Format.table,
) -> None:
    """Send drafted letters by email through your own mail account, slowly and once.

    First draft them (`campaign letter --format eml -o letters/`), then review
    (`campaign send --dry-run`), then send. Only contacts whose email a source
    published get one; each letter is recorded as sent once the server takes it.
    """
    from campaign.errors import UsageError

    st = store(ctx)
    if reconcile:
        _reconcile(st, fmt)
        return
    per_minute = parse_rate(rate)
    account = None
    if check or not dry_run:
        from campaign.sending.account import Security as Sec
        from campaign.sending.account import account_from

        account = account_from(st.profile(), host=smtp_host, port=smtp_port, user=smtp_user,
                               security=Sec(smtp_security.value) if smtp_security else None,
                               insecure=smtp_insecure)
        if account.security.value == "none" and account.user and \
                account.host not in ("localhost", "127.0.0.1", "::1"):
            typer.echo(f"campaign: warning: --smtp-security none: your password goes to "
                       f"{account.host} unencrypted; use starttls or ssl", err=True)
        if smtp_insecure:
            typer.echo(f"campaign: warning: --smtp-insecure: the certificate of "
                       f"{account.where()} is not checked; anyone on the way could read "
                       "your password and letters", err=True)
    if check:
        _check(account)
        return
    if test_to:
        from campaign.emails import check_email

        try:
            test_to = check_email(test_to)
        except ValueError as exc:
            raise UsageError(f"--test-to: {exc}") from None
    if to in (To.prisoner, To.family):
        raise UsageError(f"letters to a {to.value} go by post, not by email",
                         "print them: `campaign letter --to " + to.value + " --format pdf`")
    if (country or group or contact) and to is None:
        raise UsageError("--country, --group and --contact choose letters of one kind",
                         "give --to mep (or embassy, authority) with them")
    items, older = _letters(st, to, country or [], group or [], contact or [],
                            outreach or [], from_dir, subject, resend_unknown)
    ready = [i for i in items if not i.held]
    from campaign.output import printable

    for item in items:
        if item.held:
            typer.echo(printable(f"campaign: not sending outreach {item.entry_id} to "
                                 f"{item.contact}: {item.held}"), err=True)
    for item, ids in older:
        typer.echo(printable(
            f"campaign: {len(ids)} older draft(s) to {item.contact} (outreach "
            f"{', '.join(map(str, ids))}) not sent: the newest, outreach {item.entry_id}, is "
            "the one"), err=True)
    report = _similar(st, ready, allow_similar)
    ready = [i for i in items if not i.held]
    if not ready:
        typer.echo("nothing to send" + (" (see the lines above)" if items else
                   ": no drafted letter with those choices (`campaign outreach list`)"))
        return
    if max_ is not None and not test_to:
        ready = ready[:max_]
    if test_to:
        ready = ready[:1]
    _preview(ready, report, test_to, dry_run, fmt)
    if dry_run:
        return
    assert account is not None
    if not yes and not test_to:
        what = f"{len(ready)} letter(s)"
        if not _interactive():
            raise UsageError(f"not sending {what} without a confirmation, and there is no "
                             "terminal to ask on", "review them with --dry-run, then give --yes")
        if not typer.confirm(f"Send {what} through {account.where()}?", default=False):
            typer.echo("nothing was sent")
            return
    _send(ctx, st, account, ready, per_minute, bcc_self=bcc_self, test_to=test_to,
          states=("drafted", "sending") if resend_unknown else ("drafted",))


def _interactive() -> bool:
    """Whether there is someone at a terminal to ask."""
    return sys.stdin.isatty()


def _letters(st: Store, to: To | None, country: list[str], group: list[str],
             contact: list[str], ids: list[int], from_dir: str | None, subject: str | None,
             resend_unknown: bool) -> tuple[list[Outgoing], list[tuple[Outgoing, list[int]]]]:
    from pathlib import Path

    from campaign.sending import outgoing

    contact_ids = None
    if to is not None:
        from campaign.documents.letters import select_contacts

        contact_ids = {c["id"] for c in select_contacts(
            st, to.value, countries_=country, groups=group, contacts=contact)}
    directory = None
    if from_dir is not None:
        from campaign.errors import UsageError
        from campaign.files import expand_user

        directory = Path(expand_user(from_dir))
        if not directory.is_dir():
            raise UsageError(f"--from-dir {from_dir} is not a directory",
                             "give the directory the letters were drafted into (-o)")
    states = ("drafted", "sending") if resend_unknown else ("drafted",)
    rows, older_ids = outgoing.entries_to_send(st, states=states, ids=ids,
                                               contact_ids=contact_ids, from_dir=directory)
    if to is not None:
        rows = [r for r in rows if r["document"] == f"letter-{to.value}"]
    items = outgoing.prepare(st, rows, subject=subject)
    by_contact = {i.contact_id: i for i in items}
    older: dict[str, list[int]] = {}
    if older_ids:
        for entry_id, contact_id in st.conn.execute(
                "SELECT id, contact_id FROM outreach ORDER BY id"):
            if entry_id in older_ids and contact_id in by_contact:
                older.setdefault(contact_id, []).append(entry_id)
    return items, [(by_contact[c], found) for c, found in older.items()]


def _similar(st: Store, ready: list[Outgoing], allow: bool) -> str | None:
    """Hold the letters too alike (unless allowed); the run's similarity line."""
    from campaign.documents.letters.similarity import report
    from campaign.output import printable
    from campaign.sending import similar
    from campaign.sending.run import sent_fingerprints

    names = _names(st, ready)
    fps = [similar.fingerprint(i.body or "", [i.contact, names.get(i.contact_id, "")])
           for i in ready]
    for item, fp in zip(ready, fps, strict=True):
        item.fingerprint = similar.encode(fp)
    alike = similar.too_alike(fps, [i.contact_id for i in ready],
                              sent_fingerprints(st, [i.contact_id for i in ready]))
    line = None
    if len(ready) > 1:
        from campaign.documents.letters.similarity import comparable

        line = report([comparable(i.body or "", (), [i.contact, names.get(i.contact_id, "")])
                       for i in ready]).line()
    if alike and not allow:
        for a in alike:
            item = ready[a.index]
            other = (f"the letter to {ready[a.other].contact} in this run" if a.other is not None
                     else f"the letter already sent to them (outreach {a.sent_entry})")
            item.held = (f"it is {a.similarity:.2f} alike to {other}; the European Parliament's "
                         "mail system quarantines large numbers of identical messages: make it "
                         "your own (edit the draft, or draft again with --note), or give "
                         "--allow-similar")
            typer.echo(printable(f"campaign: not sending outreach {item.entry_id} to "
                                 f"{item.contact}: {item.held}"), err=True)
    return line


def _names(st: Store, items: list[Outgoing]) -> dict[str, str]:
    from campaign.documents.letters import display_name

    found = {}
    for item in items:
        row = st.row("SELECT * FROM contacts WHERE id = ?", (item.contact_id,))
        if row:
            found[item.contact_id] = display_name(row)
    return found


def _preview(ready: list[Outgoing], line: str | None, test_to: str | None,
             dry_run: bool, fmt: Format = Format.table) -> None:
    from campaign.output import emit

    rows = [{"n": n, "entry": i.entry_id, "recipient": i.contact,
             "email": test_to or i.email, "subject": ("[TEST] " if test_to else "")
             + (i.subject or ""), "file": i.path} for n, i in enumerate(ready, start=1)]
    title = (f"Dry run: {len(rows)} letter(s) would be sent" if dry_run else
             f"{len(rows)} letter(s) to send")
    if dry_run and fmt is not Format.table:
        emit(rows, fmt, COLUMNS)  # for scripts: the rows alone
        return
    emit(rows, Format.table, COLUMNS, title=title, caption="Nothing was sent." if dry_run else None)
    if line:
        typer.echo(line)


def _reconcile(st: Store, fmt: Format) -> None:
    from campaign.output import emit
    from campaign.sending.run import unknown

    rows = unknown(st)
    if not rows and fmt is Format.table:
        typer.echo("no letter's fate is unknown: every send was recorded")
        return
    emit(rows, fmt, [("id", "outreach"), ("contact", "contact"), ("email", "email"),
                     ("message_id", "Message-ID"), ("since", "since (UTC)")],
         title="Letters whose sending was interrupted",
         caption="Search your Sent folder for each Message-ID; send them again with "
                 "--resend-unknown, or mark them: `campaign outreach mark ID sent`.")


def _check(account: object) -> None:
    from campaign.sending.account import Account, password_for
    from campaign.sending.smtp import Connection

    assert isinstance(account, Account)
    conn = Connection(account, password_for(account))
    caps = conn.open()
    conn.close()
    typer.echo(f"{caps.server}: connected ({caps.security})"
               + (f", logged in as {account.user}" if caps.logged_in else ", not logged in"))
    typer.echo("login methods: " + (", ".join(caps.auth) or "none offered"))
    typer.echo("largest message: " + (f"{caps.size:,} bytes" if caps.size else "not said"))
    typer.echo("UTF-8 addresses (SMTPUTF8): " + ("yes" if caps.smtputf8 else "no"))


def _send(ctx: typer.Context, st: Store, account: object, ready: list[Outgoing],
          per_minute: float, *, bcc_self: bool, test_to: str | None,
          states: tuple[str, ...]) -> None:
    from campaign.errors import CampaignError
    from campaign.sending.account import Account, password_for
    from campaign.sending.run import Pace, Sender
    from campaign.sending.smtp import Connection

    assert isinstance(account, Account)
    profile = st.profile()
    from_email = profile.get("email")
    if not from_email:
        raise CampaignError("no sender email to send from",
                            "save yours with `campaign profile set --email you@example.org`")
    password = password_for(account)
    sender = Sender(st, lambda: Connection(account, password), from_email=from_email,
                    from_name=profile.get("name"), pace=Pace(per_minute=per_minute),
                    bcc_self=bcc_self, names=_names(st, ready),
                    fingerprints={i.entry_id: i.fingerprint for i in ready if i.fingerprint})
    if test_to:
        try:
            reply = sender.test(ready[0], test_to)
        finally:
            sender.close()
        typer.echo(f"sent a test of the letter to {ready[0].contact} to {test_to} (subject "
                   f"marked [TEST]; server: {reply}); nothing was marked sent")
        return
    show = not quiet(ctx) and sys.stderr.isatty()
    outcome = (_with_bar(sender, ready, states) if show
               else sender.run(ready, states=states))
    _summary(outcome, len(ready))


def _with_bar(sender: object, ready: list[Outgoing], states: tuple[str, ...]) -> Outcome:
    import datetime as dt
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from campaign.sending.run import Sender

    assert isinstance(sender, Sender)
    with Progress(TextColumn("sending"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[next]}"), transient=True) as bar:
        task = bar.add_task("sending", total=len(ready), next="")

        def progress(done: int, next_at: float | None) -> None:
            when = ""
            if next_at is not None and done < len(ready):
                wall = dt.datetime.now() + dt.timedelta(seconds=next_at - time.monotonic())
                when = f"next at {wall:%H:%M:%S}"
            bar.update(task, completed=done, next=when)

        return sender.run(ready, states=states, progress=progress)


def _summary(outcome: Outcome, total: int) -> None:
    from campaign.errors import CampaignError
    from campaign.output import printable
    from campaign.sending.run import NOT_TRIED

    for item, why in outcome.failed:
        typer.echo(printable(f"campaign: failed: outreach {item.entry_id} to {item.contact} "
                             f"<{item.email}>: {why}"), err=True)
    untried = [item for item, why in outcome.left if why == NOT_TRIED]
    for item, why in outcome.left:
        if why != NOT_TRIED:
            typer.echo(printable(f"campaign: left drafted: outreach {item.entry_id} to "
                                 f"{item.contact}: {why}"), err=True)
    for item, why in outcome.unknown:
        typer.echo(printable(f"campaign: unknown: outreach {item.entry_id} to {item.contact}: "
                             f"{why}; see `campaign send --reconcile`"), err=True)
    for item in outcome.taken:
        typer.echo(printable(f"campaign: outreach {item.entry_id} to {item.contact} was being "
                             "sent by another run; left to it"), err=True)
    parts = [f"sent {len(outcome.sent)} of {total}", f"failed {len(outcome.failed)}",
             f"left drafted {len(outcome.left)}"
             + (f" ({len(untried)} not tried)" if untried else "")]
    if outcome.unknown:
        parts.append(f"unknown {len(outcome.unknown)}")
    typer.echo(", ".join(parts) + " (`campaign outreach list`)")
    if outcome.stopped:
        raise CampaignError(f"the run stopped: {outcome.stopped}",
                            "run the same command again to send the letters left; those "
                            "sent are not sent again")


def register(app: typer.Typer) -> None:
    """Add this module's command to the main app."""
    app.command("send")(send)
