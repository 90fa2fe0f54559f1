"""campaign letter: a mail merge to MEPs, embassies, authorities and prisoners.

Output: ``-o DIR`` (created if its parent exists) writes one file per recipient;
``-o FILE.md|.txt|.pdf|.docx`` one combined file (a page per letter in PDF);
no ``-o`` prints Markdown or text. Files written are logged as outreach in the
same transaction. A letter already drafted with the same text for the same
contact is skipped with a one-line warning on stderr, and the command still
succeeds (exit 0); ``--force`` writes it again. Printing to stdout is a preview:
it is not logged.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from campaign.cli.common import AsOfOpt, TemplatesOpt, as_of, quiet, store

if TYPE_CHECKING:
    from campaign.documents.letters import Letter, Plan
    from campaign.store import Store


class To(StrEnum):
    mep = "mep"
    embassy = "embassy"
    authority = "authority"
    prisoner = "prisoner"


class LetterFormat(StrEnum):
    md = "md"
    txt = "txt"
    eml = "eml"
    docx = "docx"
    pdf = "pdf"


PROGRESS_FROM = 20  # letters; fewer finish before a bar could be seen


def letter(
    ctx: typer.Context,
    to: Annotated[To, typer.Option("--to", help="Who the letters go to.")],
    country: Annotated[list[str] | None, typer.Option(
        "--country", help="Only contacts for this country (name or ISO code; repeatable).")] = None,
    group: Annotated[list[str] | None, typer.Option(
        "--group", help="Only this political group (short label or part of its name).")] = None,
    contact: Annotated[list[str] | None, typer.Option(
        "--contact", help="A named contact (repeatable; includes historical ones).")] = None,
    sender: Annotated[str | None, typer.Option(
        "--sender", help="Your name (default: the saved profile).")] = None,
    sender_address: Annotated[str | None, typer.Option(
        "--sender-address", help="Your postal address.")] = None,
    sender_org: Annotated[str | None, typer.Option(
        "--sender-org", help="Your organisation, e.g. a union branch.")] = None,
    sender_email: Annotated[str | None, typer.Option(
        "--sender-email", help="Your email (the From of .eml drafts).")] = None,
    note: Annotated[str | None, typer.Option(
        "--note", help="A UTF-8 file with your own paragraph.")] = None,
    demand: Annotated[list[str] | None, typer.Option(
        "--demand", help="Demand id to include (repeatable; see `campaign demands list`).")] = None,
    prisoner: Annotated[list[str] | None, typer.Option(
        "--prisoner", help="A prisoner: the addressee with --to prisoner, else a case to "
        "mention (repeatable).")] = None,
    lang: Annotated[str, typer.Option("--lang", help="Template language.")] = "en",
    fmt: Annotated[LetterFormat | None, typer.Option(
        "--format", "-f", help="md, txt, eml, docx or pdf (default: from -o, else md).")] = None,
    output: Annotated[str | None, typer.Option(
        "--output", "-o", help="A directory (a file per letter) or one combined file.")] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Show who would get what; write nothing.")] = False,
    force: Annotated[bool, typer.Option(
        "--force", help="Write letters already drafted with the same text again.")] = False,
    templates: TemplatesOpt = None,
    as_of_: AsOfOpt = None,
) -> None:
    """Draft a letter to each recipient: personal, addressed, cited, and logged."""
    from campaign.documents import letters as lib
    from campaign.files import expand_user
    from campaign.formats import DocFormat

    # `-o -` is standard output, as with every command's -o; `~nobody` is a name.
    output = None if output == "-" else (expand_user(output) if output else output)
    note = expand_user(note) if note else note
    if sender_email:  # the From of every draft: one plain address, never a list
        from campaign.emails import check_email
        from campaign.errors import UsageError

        try:
            check_email(sender_email)
        except ValueError as exc:
            raise UsageError(f"--sender-email: {exc}") from None
    st = store(ctx)
    sender_ = lib.sender_from(st, sender, sender_address, sender_org, sender_email)
    note_text = lib.read_note(note)
    chosen = DocFormat(fmt.value) if fmt else None
    implied = chosen
    if implied is None and output:
        from pathlib import Path

        implied = lib.EXTENSIONS.get(Path(output).suffix.lower().lstrip("."))
    letters = lib.prepare(
        st, to.value, sender=sender_, countries_=country or [], groups=group or [],
        contacts=contact or [], prisoners=prisoner or [], demand_ids=demand or [],
        note=note_text, lang=lang, fmt=implied or DocFormat.md, user_dir=templates,
        as_of=as_of(as_of_))
    plan = lib.plan_output(output, chosen, len(letters))
    if dry_run:
        _dry_run(st, letters, plan)
        return
    if plan.directory is None and plan.file is None:
        sys.stdout.write(lib.encode_combined(letters, plan.fmt, sender_).decode("utf-8"))
        return
    show = (len(letters) > PROGRESS_FROM and not quiet(ctx) and sys.stderr.isatty())
    if show:
        from rich.progress import Progress

        with Progress(transient=True) as bar:
            task = bar.add_task("writing letters", total=len(letters))
            result = lib.commit(st, letters, plan, sender=sender_, force=force,
                                progress=lambda n: bar.update(task, completed=n))
    else:
        result = lib.commit(st, letters, plan, sender=sender_, force=force)
    if result.skipped:
        from campaign.output import printable

        who = printable(", ".join(ltr.recipient for ltr in result.skipped[:3]))
        more = f" and {len(result.skipped) - 3} more" if len(result.skipped) > 3 else ""
        typer.echo(f"campaign: warning: skipped {len(result.skipped)} letter(s) already drafted "
                   f"with the same text ({who}{more}); use --force to write them again",
                   err=True)
    if result.written:
        where = plan.target
        typer.echo(f"wrote {len(result.written)} letter(s) to {where}; "
                   f"{result.logged} logged as drafted (`campaign outreach list`)")


def _dry_run(st: Store, letters: list[Letter], plan: Plan) -> None:
    from campaign.documents.letters import who_gets_what
    from campaign.output import Format, emit

    rows = who_gets_what(st, letters, plan)
    emit(rows, Format.table, [("n", "#"), ("recipient", "recipient"),
                              ("salutation", "salutation"), ("address", "address"),
                              ("email", "email"), ("file", "file"), ("state", "state")],
         title=f"Dry run: {len(rows)} letter(s) as {plan.fmt.value} to {plan.target}",
         caption="Nothing was written.")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""
    app.command("letter")(letter)
