"""campaign letter: a mail merge to MEPs, embassies, authorities, prisoners and families.

Output: ``-o DIR`` (created if its parent exists) writes one file per recipient,
as Word (.docx) unless ``--format`` says otherwise: a letter to print, sign and
post; ``-o FILE.md|.txt|.pdf|.docx`` one combined file (a page per letter in
PDF); no ``-o`` prints Markdown or text. Files written are logged as outreach in
the same transaction: one entry per letter (same recipient, same text), however
many formats or paths it is written to. Printing to stdout is a preview: it is
not logged. Every merge reports how alike its letters are.
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
    family = "family"


class LetterFormat(StrEnum):
    md = "md"
    txt = "txt"
    eml = "eml"
    docx = "docx"
    pdf = "pdf"


PROGRESS_FROM = 20  # letters; fewer finish before a bar could be seen
DIRECTORY_FORMAT = "docx"  # -o DIR without --format: a letter to print, sign and post


def letter(
    ctx: typer.Context,
    to: Annotated[To, typer.Option(
        "--to", help="Who the letters go to: mep, embassy, authority, prisoner (a letter of "
        "solidarity, no demands) or family (the family of a --prisoner; condolences for a "
        "person reported dead).")],
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
        "--note", help="A UTF-8 text file (at most 64 KB) with your own paragraph.")] = None,
    demand: Annotated[list[str] | None, typer.Option(
        "--demand", help="Demand id to include (repeatable; see `campaign demands list`).")] = None,
    committee: Annotated[list[str] | None, typer.Option(
        help="MEPs on this EP committee or subcommittee: a short label (DROI) or part of "
             "its name (repeatable: either; needs `campaign meps fetch --details`).")] = None,
    delegation: Annotated[list[str] | None, typer.Option(
        help="MEPs on this EP delegation: a short label or part of its name (repeatable; "
             "with --committee, members of both).")] = None,
    prisoner: Annotated[list[str] | None, typer.Option(
        "--prisoner", help="A prisoner: the addressee with --to prisoner or family; for MEPs, "
        "the cases to share out, one to a letter (repeatable).")] = None,
    lang: Annotated[str, typer.Option(
        "--lang", help="The letter's language: auto (Russian to someone held in Kazakhstan, "
                       "Russia or Belarus, with an English rendering for you; else English), "
                       "en, or ru.")] = "auto",
    fmt: Annotated[LetterFormat | None, typer.Option(
        "--format", "-f", help="md, txt, eml, docx or pdf (default: from -o FILE's ending; "
        "docx for -o DIR; md on stdout).")] = None,
    output: Annotated[str | None, typer.Option(
        "--output", "-o", help="A directory (a file per letter) or one combined file.")] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Show who would get what and how alike the letters are; write "
        "nothing. Similarity: word 3-gram shingles, Jaccard, after removing names, "
        "salutations, addresses and the date; every pair up to 400 letters, a seeded sample "
        "of 60,000 pairs beyond; 0.8 or more is nearly identical.")] = False,
    force: Annotated[bool, typer.Option(
        "--force", help="Log letters already drafted with the same text as new drafts.")
    ] = False,
    released_ok: Annotated[bool, typer.Option(
        "--released-ok", help="Write to a prisoner the sources report released.")] = False,
    occasion: Annotated[str | None, typer.Option(
        "--occasion", help="Why write now: an event id (news you recorded with `campaign "
        "facts add`), or none. Default: the next anniversary of the shootings, arrests or "
        "deaths within 60 days ahead (or 14 days past).")] = None,
    recent_days: Annotated[int, typer.Option(
        "--recent-days", min=0, max=3650,
        help="On a coalition's shared store: an MEP another member wrote to within this "
        "many days is asked about a case none of them raised, and the merge says who "
        "wrote.")] = 30,
    templates: TemplatesOpt = None,
    as_of_: AsOfOpt = None,
) -> None:
    """Draft a letter to each recipient: personal, addressed, cited, and logged.

    Each letter says why this recipient (their group's record, their country's ties,
    an unanswered letter, your --note) and asks each MEP to take up a different
    prisoner's case. Letters to prisoners carry no demands and no citations.
    """
    from campaign.documents import letters as lib
    from campaign.files import expand_user
    from campaign.formats import DocFormat

    if (committee or delegation) and to.value != "mep":
        from campaign.errors import UsageError

        option = "--committee" if committee else "--delegation"
        raise UsageError(f"{option} chooses MEPs; it cannot be used with --to {to.value}",
                         f"drop {option}, or write with --to mep")
    # `-o -` is standard output, as with every command's -o; `~nobody` is a name.
    output = None if output == "-" else (expand_user(output) if output else output)
    note = expand_user(note) if note else note
    st = store(ctx)
    sender_ = lib.sender_from(st, sender, sender_address, sender_org, sender_email)
    note_text = lib.read_note(note)
    chosen = DocFormat(fmt.value) if fmt else None
    implied = chosen
    if implied is None and output:
        from pathlib import Path

        implied = lib.EXTENSIONS.get(Path(output).suffix.lower().lstrip("."))
        if implied is None:
            implied = chosen = DocFormat(DIRECTORY_FORMAT)
    letters = lib.prepare(
        st, to.value, sender=sender_, countries_=country or [], groups=group or [],
        contacts=contact or [], prisoners=prisoner or [], demand_ids=demand or [],
        note=note_text, lang=lang, fmt=implied or DocFormat.md, user_dir=templates,
        as_of=as_of(as_of_), released_ok=released_ok, committees=committee or [],
        delegations=delegation or [], occasion=occasion, recent_days=recent_days)
    plan = lib.plan_output(output, chosen, len(letters))
    from campaign.output import printable

    for ltr in letters:
        for warning in ltr.warnings:
            typer.echo(printable(f"campaign: warning: {warning}"), err=True)
    logging = not dry_run and (plan.directory is not None or plan.file is not None)
    if not logging:  # a merge that logs says it as of the cases it logged, below
        _coalition(letters)
    if to.value in ("mep", "embassy", "authority") and sender_.anonymous() and letters:
        typer.echo("campaign: warning: the letters say who you are from your name"
                   f"{' and country' if sender_.country else ''} alone; add a sentence or two "
                   "about yourself or your branch with `campaign profile set --about \"...\"`",
                   err=True)
    from campaign.documents.letters.memory import echoes

    for echo in echoes(st, letters, sender_.name):
        typer.echo(printable(f"campaign: warning: {echo.line()}"), err=True)
    if dry_run:
        _dry_run(st, letters, plan)
        _similarity(letters, err=False)
        return
    if plan.directory is None and plan.file is None:
        sys.stdout.write(lib.encode_combined(letters, plan.fmt, sender_).decode("utf-8"))
        _similarity(letters, err=True)
        return
    if _show_progress(ctx, len(letters)):
        import time

        from rich.progress import Progress

        # Redrawn by the merge's own calls, not by rich's refresh thread: the merge
        # forks to encode half the files on another core (campaign.parallel), which it
        # does only with no other thread running.
        with Progress(transient=True, auto_refresh=False) as bar:
            task = bar.add_task("writing letters", total=len(letters))
            drawn = 0.0

            def moved(n: int) -> None:
                nonlocal drawn
                bar.update(task, completed=n)
                if n == len(letters) or time.monotonic() - drawn >= 0.1:
                    bar.refresh()
                    drawn = time.monotonic()

            result = lib.commit(st, letters, plan, sender=sender_, force=force,
                                progress=moved)
    else:
        result = lib.commit(st, letters, plan, sender=sender_, force=force)
    # The cases are chosen again as the letters are logged (another member may have
    # logged letters to the same recipients meanwhile): the letters written.
    letters = result.written
    _coalition(letters)
    where = plan.target
    already = (f"; {len(result.skipped)} already in the log with the same text (this file "
               "added to their entry)" if result.skipped else "")
    typer.echo(f"wrote {len(result.written)} letter(s) to {where}; "
               f"{result.logged} logged as drafted (`campaign outreach list`){already}")
    from campaign.output import printable

    for old, new in result.renamed:
        typer.echo(printable(f"campaign: warning: {old} was already there with other content; "
                             f"this letter was written as {new}"), err=True)
    if result.no_address:
        typer.echo(f"campaign: warning: {result.no_address} of {len(result.written)} email "
                   "draft(s) have no To address (the store has no published email for them); "
                   "fill it in, or post those letters (--format docx)", err=True)
    _similarity(letters, err=False)


def _show_progress(ctx: typer.Context, n: int) -> bool:
    """A bar while the letters are written: on a terminal, for more than a few."""
    return n > PROGRESS_FROM and not quiet(ctx) and sys.stderr.isatty()


def _coalition(letters: list[Letter]) -> None:
    """What the merge says of recipients other members of the coalition wrote to lately."""
    from campaign.output import printable

    for ltr in letters:
        for line in ltr.coalition:
            typer.echo(printable(f"campaign: warning: {line}"), err=True)


def _dry_run(st: Store, letters: list[Letter], plan: Plan) -> None:
    from campaign.documents.letters import who_gets_what
    from campaign.output import Format, emit

    rows = who_gets_what(st, letters, plan)
    emit(rows, Format.table, [("n", "#"), ("recipient", "recipient"),
                              ("salutation", "salutation"), ("address", "address"),
                              ("email", "email"), ("file", "file"), ("state", "state")],
         title=f"Dry run: {len(rows)} letter(s) as {plan.fmt.value} to {plan.target}",
         caption="Nothing was written.")
    said = [(n, ltr, _what_it_says(ltr)) for n, ltr in enumerate(letters, start=1)]
    if any(any(what.values()) for _, _, what in said):
        from campaign.output import printable

        typer.echo("What each letter says:")
        for n, ltr, what in said:
            parts = [f"case: {what['case'] or '(none)'}",
                     f"occasion: {what['occasion'] or '(none)'}",
                     f"requests: {what['asks'] or '(none)'}"]
            typer.echo(printable(f"{n}. {ltr.recipient}: " + "; ".join(parts)))


def _what_it_says(ltr: Letter) -> dict[str, str]:
    """The dry run's view of a letter's content: its case, its requests, its occasion."""
    ctx = ltr.context
    case = ctx.get("case") or {}
    when = ctx.get("occasion") or {}
    if when.get("type") == "anniversary":
        said = f"{when['ordinal']} anniversary of {when.get('what') or when['title']}, " \
               f"{when['on_text']}"
    elif when.get("type") == "news":
        said = f"{when['title']} ({when['date_text']})"
    else:
        said = ""
    return {"case": case.get("name", ""), "asks": "; ".join(ctx.get("asks") or []),
            "occasion": said}


def _similarity(letters: list[Letter], *, err: bool) -> None:
    """The report every merge ends with, and a warning for nearly identical letters that
    says which paragraphs they share."""
    from campaign.documents.letters.memory import advice, shared_paragraphs
    from campaign.documents.letters.similarity import (
        NEAR,
        letter_paragraphs,
        letter_text,
        report_paragraphs,
        text_hashes,
    )

    if len(letters) < 2 or letters[0].kind in ("prisoner", "family"):
        return  # offices compare the letters they get; prisoners do not
    found = report_paragraphs([letter_paragraphs(ltr) for ltr in letters])
    typer.echo(found.line(), err=err)
    if found.near:
        i, j, sim = found.near[0]
        from campaign.output import printable

        shared = shared_paragraphs(letter_text(letters[i]), text_hashes(letter_text(letters[j])))
        typer.echo(printable(
            f"campaign: warning: {len(found.near)} pair(s) of letters are nearly identical "
            f"(similarity {NEAR} or more; e.g. to {letters[i].recipient} and "
            f"{letters[j].recipient}: {sim:.2f}); " + advice(shared)
            + ", and write to fewer people at once"), err=True)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""
    app.command("letter")(letter)
