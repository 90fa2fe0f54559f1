"""campaign resolution: the motion for a union branch, conference or trades council."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from campaign.cli.common import AsOfOpt, TemplatesOpt, as_of, store, to_file


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
        "--prisoner", help="Person to name (repeatable; default: everyone imprisoned, "
                           "on trial or charged).")] = None,
    proposer: Annotated[str | None, typer.Option("--proposer", help="Proposer's name.")] = None,
    seconder: Annotated[str | None, typer.Option("--seconder", help="Seconder's name.")] = None,
    as_of_: AsOfOpt = None,
    fmt: Annotated[ResolutionFormat | None, typer.Option(
        "--format", "-f", help="md (default), txt, html, docx or pdf.")] = None,
    output: OutputOpt = None,
    templates: TemplatesOpt = None,
) -> None:
    """A motion in the UK/Irish convention: notes (cited facts), believes, resolves."""
    from campaign.documents.output import choose_format, deliver
    from campaign.documents.resolution import FORMATS, render_resolution
    from campaign.formats import DocFormat

    day = as_of(as_of_)
    chosen = choose_format(output, DocFormat(fmt.value) if fmt else None, FORMATS)
    data = render_resolution(
        store(ctx), chosen, user_dir=templates, branch=branch, union=union, body=body.value,
        demand_ids=demand or [], prisoner_names=prisoner or [], proposer=proposer,
        seconder=seconder, as_of=day,
    )
    deliver(data, output)
    if to_file(output):
        typer.echo(f"wrote {output}", err=True)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""
    app.command("resolution")(resolution)
