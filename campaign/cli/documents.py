"""campaign resolution: the motion for a union branch, conference or trades council."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from campaign.cli.common import LAPSE_MAX, AsOfOpt, TemplatesOpt, as_of, store, to_file


class Body(StrEnum):
    branch = "branch"
    conference = "conference"
    trades_council = "trades-council"


class ResolutionFormat(StrEnum):
    md = "md"
    txt = "txt"
    html = "html"
    docx = "docx"
    pdf = "pdf"


OutputOpt = Annotated[
    str | None,
    typer.Option("--output", "-o",
                 help="Write to FILE (atomically); the extension sets the format."),
]


def resolution(
    ctx: typer.Context,
    branch: Annotated[str | None, typer.Option(
        "--branch", help="Name of the branch (or conference, or trades council).")] = None,
    union: Annotated[str | None, typer.Option("--union", help="The union, e.g. 'Unite'.")] = None,
    body: Annotated[Body, typer.Option(
        "--body", help="Who adopts it: branch, conference or trades-council.")] = Body.branch,
    demand: Annotated[list[str] | None, typer.Option(
        "--demand", help="Demand id to include (repeatable; see `campaign demands list`).")] = None,
    prisoner: Annotated[list[str] | None, typer.Option(
        "--prisoner", help="Person to name first (repeatable; then strike leaders, those who "
                           "died, lawyers, journalists..., up to --max-people).")] = None,
    country: Annotated[str | None, typer.Option(
        "--country", help="The body's country: whom it writes to (MEPs in the EU; MPs and the "
                          "Foreign Office in the UK). Default: `campaign profile set "
                          "--country`.")] = None,
    max_people: Annotated[int, typer.Option(
        "--max-people", min=0, help="Name at most this many people; the rest are counted.")] = 8,
    lapse_years: Annotated[int, typer.Option(
        "--lapse-years", min=0, max=LAPSE_MAX,
        help="A release or process demand lapses when its newest source is this many years "
             "older than the date.")] = 3,
    max_words: Annotated[int | None, typer.Option(
        "--max-words", min=1,
        help="Fit the notes, believes and resolves in this many words (as conferences count: "
             "title, sources and proposer lines left out) by keeping the most important "
             "clauses. Default: 350 for --body conference, 700 (one to two pages) "
             "otherwise.")] = None,
    proposer: Annotated[str | None, typer.Option("--proposer", help="Proposer's name.")] = None,
    seconder: Annotated[str | None, typer.Option("--seconder", help="Seconder's name.")] = None,
    as_of_: AsOfOpt = None,
    fmt: Annotated[ResolutionFormat | None, typer.Option(
        "--format", "-f", help="md (default), txt, html, docx or pdf.")] = None,
    output: OutputOpt = None,
    templates: TemplatesOpt = None,
) -> None:
    """A motion in the UK/Irish convention: notes (cited facts), believes, resolves.

    Demands are those current on the date (see `campaign demands list`); one
    chosen with --demand that is no longer current is worded as history, with
    a warning.
    """
    from campaign.documents.output import choose_format, deliver
    from campaign.documents.resolution import FORMATS, render_resolution
    from campaign.formats import DocFormat

    day = as_of(as_of_)
    chosen = choose_format(output, DocFormat(fmt.value) if fmt else None, FORMATS)
    warnings: list[str] = []
    data = render_resolution(
        store(ctx), chosen, user_dir=templates, branch=branch, union=union, body=body.value,
        demand_ids=demand or [], prisoner_names=prisoner or [], proposer=proposer,
        seconder=seconder, as_of=day, country=country, max_people=max_people,
        lapse_years=lapse_years, warnings=warnings, max_words=max_words,
    )
    for line in warnings:
        typer.echo(f"campaign: warning: {line}", err=True)
    deliver(data, output)
    if to_file(output):
        typer.echo(f"wrote {output}", err=True)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""
    app.command("resolution")(resolution)
