"""The ``campaign`` command: a thin typer layer over the library.

One handler (``CampaignGroup.invoke``) turns the library's CampaignError into
one line on stderr and an exit code; nothing else prints tracebacks.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import sys
from collections.abc import Iterator, MutableMapping
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from campaign import __version__
from campaign.errors import CampaignError

# Command groups are imported and converted only when used: typer inspects every
# command's signature when it builds a group, and doing that for the whole tree
# on every start-up is most of what `campaign --help` costs.
GROUPS: dict[str, tuple[str, str, str]] = {
    "sources": ("sources", "app", "The source documents every fact cites."),
    "prisoners": ("prisoners", "app", "Political prisoners and what happened to them."),
    "demands": ("facts", "demands_app", "The campaign's demands."),
    "events": ("facts", "events_app", "Dated events: shootings, days of action, debates..."),
    "figures": ("facts", "figures_app", "Figures, each with its qualifier and its source."),
    "contacts": ("contacts", "app", "Contacts: MEPs, embassies, authorities, press, unions."),
    "meps": ("meps", "app", "MEPs: fetch the EP's list (and details), import, list."),
    "outreach": ("outreach", "app", "The outreach log: drafts, sent letters and replies."),
    "profile": ("profile", "app", "Your details as a sender of letters."),
    "templates": ("templates", "templates_app",
                  "The templates documents are rendered from: list, show, copy."),
}


def load_group(name: str) -> typer.Typer:
    import importlib

    module, attr, _ = GROUPS[name]
    sub: typer.Typer = getattr(importlib.import_module(f"campaign.cli.{module}"), attr)
    # Plain help, as the root's: the same look on every screen, long choice lists
    # that wrap whole, and no rich to import for it.
    sub.rich_markup_mode = None
    return sub


class LazyCommands(MutableMapping[str, Any]):
    """A group's commands, each converted by typer only when it is asked for.

    Converting a command means reading its signature and type hints; a group
    such as ``prisoners`` has fifteen, and ``campaign prisoners list`` needs one.
    ``--help`` asks for them all, which is when they are all built.
    """

    def __init__(self, sub: typer.Typer) -> None:
        self._sub = sub
        self._infos = {(info.name or typer.main.get_command_name(info.callback.__name__)): info
                       for info in sub.registered_commands if info.callback is not None}
        self._built: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            info = self._infos[name]  # a KeyError here is what Group.get_command expects
            self._built[name] = typer.main.get_command_from_info(
                info, pretty_exceptions_short=self._sub.pretty_exceptions_short,
                rich_markup_mode=self._sub.rich_markup_mode)
        return self._built[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._built[name] = command
        self._infos.setdefault(name, None)  # type: ignore[arg-type]

    def __delitem__(self, name: str) -> None:
        del self._infos[name]
        self._built.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._infos)

    def summary(self, name: str, limit: int) -> str | None:
        """The line a group's --help shows for ``name`` (None if hidden), without
        converting the command: a stand-in carrying only its help text says it the
        way the real one would."""
        command = self._built.get(name)
        if command is None:
            info = self._infos[name]
            text = inspect.getdoc(info.callback) if info.help is None else \
                inspect.cleandoc(info.help)
            command = TyperCommand(name, help=text, short_help=info.short_help,
                                   hidden=info.hidden, deprecated=info.deprecated,
                                   rich_markup_mode=None)
        return None if command.hidden else str(command.get_short_help_str(limit))

    def __len__(self) -> int:
        return len(self._infos)


def lazy_group(name: str) -> Any:
    """The command group ``name``, its commands converted on demand."""
    import copy

    sub = load_group(name)
    if sub.registered_groups:  # nested groups: let typer build the whole tree
        group = typer.main.get_group(sub)
    else:
        shell = copy.copy(sub)
        shell.registered_commands = []
        group = typer.main.get_group(shell)
        group.commands = LazyCommands(sub)
    group.name = name
    return group


# The root's own commands (resolution, letter, ...). They live on a Typer of
# their own, not on ``app``: typer converts every command of ``app`` whenever it
# builds the root, reading each signature and its type hints (~30 ms for these
# seven), and a run needs at most one of them.
commands = typer.Typer(rich_markup_mode=None, pretty_exceptions_enable=False)


class CampaignGroup(TyperGroup):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        lazy = LazyCommands(commands)
        for name, command in self.commands.items():  # any typer did build itself
            lazy[name] = command
        self.commands = lazy

    def list_commands(self, ctx: Any) -> list[str]:
        # The names in order of registration, as typer's does, without its
        # items(), which would convert every command.
        return [*self.commands, *GROUPS]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in GROUPS:
            return lazy_group(cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = []
        lazy = self.commands
        assert isinstance(lazy, LazyCommands)
        for name in self.list_commands(ctx):
            if name in GROUPS:
                rows.append((name, GROUPS[name][2]))
            elif (line := lazy.summary(name, formatter.width - 18)) is not None:
                rows.append((name, line))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except CampaignError as exc:
            typer.echo(f"campaign: error: {exc}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except (typer.TyperException, typer.Exit, typer.Abort):
            raise
        except BrokenPipeError:
            # The reader went away (`campaign timeline | head`): stop quietly.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            typer.echo("campaign: interrupted; nothing was changed", err=True)
            raise typer.Exit(130) from None
        except Exception as exc:
            if os.environ.get("CAMPAIGN_DEBUG"):
                raise
            if type(exc).__module__ == "sqlite3":  # a store read outside a transaction
                from campaign.store import default_path, explain

                root = ctx.find_root()
                db = root.obj.get("db") if isinstance(root.obj, dict) else None
                typer.echo(f"campaign: error: {explain(exc, db or default_path())}", err=True)
                raise typer.Exit(1) from None
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
    from campaign.cli import announce, documents, facts, letters, packs

    documents.register(commands)
    letters.register(commands)
    announce.register(commands)
    commands.command("timeline")(facts.timeline)
    commands.command("export")(packs.export)
    commands.command("import")(packs.import_)
    commands.command("check")(packs.check)


_register()


def main() -> None:
    """The console script: run one command, then leave without tearing Python down.

    By the time click returns, the command's store is closed (its transaction
    committed and the WAL checkpointed) and its files are renamed into place.
    What a normal exit still does is free every object one by one and unload
    every module: about 20 ms after a mail merge of 705 letters, longer than
    many commands take. So, as mypy's ``hard_exit`` does, flush the standard
    streams and ``os._exit``. ``gc.freeze`` first: the objects of the imports
    live as long as the process, so the collector need not walk them again.
    Only this entry point does it; a library caller's process ends its own way.
    """
    import gc

    gc.freeze()
    try:
        app(prog_name="campaign")
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    except KeyboardInterrupt:  # pragma: no cover - outside click's invoke
        code = 130
    hard_exit(code)


def hard_exit(code: object) -> None:
    """``sys.exit``'s meaning of ``code``, with the streams flushed, and no teardown."""
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # sys.exit("message"): the message on stderr, status 1
        print(code, file=sys.stderr)
        status = 1
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        # The reader went away before the last of the output (`... | head -1`), or
        # stdout is closed: nothing more can be said there.
        status = status or 1
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.flush()
    os._exit(status & 0xFF)  # as the OS keeps it: sys.exit(-1) is 255 too
