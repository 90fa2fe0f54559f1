"""The ``campaign`` command: a thin typer layer over the library.

One handler (``CampaignGroup.invoke``) turns the library's CampaignError into
one line on stderr and an exit code; nothing else prints tracebacks.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from campaign import __version__
from campaign.errors import CampaignError


class CampaignGroup(TyperGroup):
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except CampaignError as exc:
            typer.echo(f"campaign: error: {exc}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except (typer.TyperException, typer.Exit, typer.Abort):
            raise
        except KeyboardInterrupt:
            typer.echo("campaign: interrupted; nothing was changed", err=True)
            raise typer.Exit(130) from None
        except Exception as exc:
            if os.environ.get("CAMPAIGN_DEBUG"):
                raise
            typer.echo(
                f"campaign: internal error: {type(exc).__name__}: {exc} "
                "(set CAMPAIGN_DEBUG=1 for details and please report it)",
                err=True,
            )
            raise typer.Exit(1) from None


app = typer.Typer(
    cls=CampaignGroup,
    help="Facts with sources, and the documents a solidarity campaign needs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"campaign {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option("--db", envvar="CAMPAIGN_DB", help="Store file (default: user data dir)."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
) -> None:
    """Facts with sources, and the documents a solidarity campaign needs."""
    ctx.obj = {"db": db, "quiet": quiet}


def _register() -> None:
    from campaign.cli import contacts, facts, packs, prisoners, sources

    app.add_typer(sources.app, name="sources")
    app.add_typer(prisoners.app, name="prisoners")
    app.add_typer(facts.demands_app, name="demands")
    app.add_typer(facts.events_app, name="events")
    app.add_typer(facts.figures_app, name="figures")
    app.command("timeline")(facts.timeline)
    app.add_typer(contacts.app, name="contacts")
    app.command("export")(packs.export)
    app.command("import")(packs.import_)
    app.command("check")(packs.check)
    # Each of these modules adds its own commands in register(app).
    from campaign.cli import announce, documents, letters, meps, outreach, profile, templates

    for module in (documents, templates, meps, letters, outreach, profile, announce):
        module.register(app)


_register()


def main() -> None:
    try:
        app(prog_name="campaign")
    except KeyboardInterrupt:  # pragma: no cover - outside click's invoke
        sys.exit(130)
