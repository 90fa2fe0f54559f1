"""The ``campaign`` command: a thin typer layer over the library.

One handler (``CampaignGroup.invoke``) turns the library's CampaignError into
one line on stderr and an exit code; nothing else prints tracebacks.
"""

from __future__ import annotations

import contextlib
import errno
import inspect
import io
import os
import re
import sys
from collections.abc import Iterator, MutableMapping
from typing import Annotated, Any, NoReturn

import typer
from typer._click import exceptions as _click_exceptions
from typer._click import types as _click_types
from typer.core import TyperCommand, TyperGroup

from campaign import __version__
from campaign.errors import CampaignError, Terminated

# Command groups are imported and converted only when used: typer inspects every
# command's signature when it builds a group, and doing that for the whole tree
# on every start-up is most of what `campaign --help` costs.
GROUPS: dict[str, tuple[str, str, str]] = {
    "sources": ("sources", "app", "The source documents every fact cites."),
    "prisoners": ("prisoners", "app", "People imprisoned, charged or sacked, and what happened."),
    "demands": ("facts", "demands_app", "The campaign's demands."),
    "events": ("facts", "events_app", "Dated events: shootings, days of action, debates..."),
    "figures": ("facts", "figures_app", "Figures, each with its qualifier and its source."),
    "contacts": ("contacts", "app", "Contacts: MEPs, embassies, authorities, press, unions."),
    "meps": ("meps", "app", "MEPs: fetch the EP's list (and details), import, list."),
    "outreach": ("outreach", "app", "The outreach log: drafts, sent letters and replies."),
    "profile": ("profile", "app", "Your details as a sender of letters."),
    "packs": ("packs", "packs_app", "The bundled campaign pack: merge its corrections."),
    "coalition": ("coalition", "app",
                  "The coalition sharing this PostgreSQL store: members and rights."),
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


_ASCII_INT = re.compile(r"-?[0-9]+")  # a sign only to say "negative": ranges refuse it


class AsciiInt(_click_types.IntParamType):
    """click's integer, read by the one rule for numbers and ids typed by a user: ASCII
    digits only. ``int()`` takes ``1_0`` as 10 and ``٣`` as 3, so `outreach mark 1_0
    sent` would mark entry 10; here it is a usage error (exit 2)."""

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        number = super().convert(value, param, ctx)  # "abc": click's own message
        if isinstance(value, str) and _ASCII_INT.fullmatch(value) is None:
            shown = value if len(value) <= 40 else value[:40] + "…"
            self.fail(f"'{shown}' is not a whole number written in the digits 0-9", param, ctx)
        return number


_ASCII_TYPES: dict[type, type] = {}


def ascii_ints(command: Any) -> Any:
    """``command`` with every integer option and argument read as ``AsciiInt`` (an
    ``IntRange`` stays a range, with its help): applied to each command as it is built,
    so no command, today's or a new one, keeps click's int()."""
    import copy

    for param in getattr(command, "params", ()):
        kind = type(param.type)
        if issubclass(kind, _click_types.IntParamType) and not issubclass(kind, AsciiInt):
            if kind not in _ASCII_TYPES:
                _ASCII_TYPES[kind] = type(f"Ascii{kind.__name__}", (AsciiInt, kind), {})
            param.type = copy.copy(param.type)
            param.type.__class__ = _ASCII_TYPES[kind]
    return command


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
            self._built[name] = ascii_ints(typer.main.get_command_from_info(
                info, pretty_exceptions_short=self._sub.pretty_exceptions_short,
                rich_markup_mode=self._sub.rich_markup_mode))
        return self._built[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._built[name] = ascii_ints(command)
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
        for command in group.commands.values():
            ascii_ints(command)
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

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """Refuse control characters in any argument, once for every command: an escape
        sequence in a name would be stored and later drive a terminal or break a Word
        document. Tabs and line breaks may stay (a description over two lines)."""
        for arg in args:
            bad = _CONTROL_ARG.search(arg)
            if bad:
                shown = _one_line(arg if len(arg) <= 40 else arg[:40] + "…")
                typer.echo(f"campaign: error: the argument '{shown}' holds a control "
                           f"character (U+{ord(bad.group()):04X}); remove it", err=True)
                ctx.exit(2)
        return list(super().parse_args(ctx, args))

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except CampaignError as exc:
            typer.echo(f"campaign: error: {_one_line(str(exc))}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except _click_exceptions.NoArgsIsHelpError:
            raise  # `campaign prisoners` alone: the group's help, as asked
        except _click_exceptions.UsageError as exc:
            # A bad option or argument of a command: one line, as every other error, and
            # where to look, rather than click's usage block.
            where = exc.ctx.command_path.split(" ", 1)[-1] if exc.ctx else ""
            hint = f"see `campaign {where} --help`" if exc.ctx and " " in \
                exc.ctx.command_path else "see `campaign --help`"
            message = " ".join(_one_line(exc.format_message()).split()).rstrip(".")
            typer.echo(f"campaign: error: {message}; {hint}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except (typer.TyperException, typer.Exit, typer.Abort):
            raise
        except BrokenPipeError:
            # The reader went away (`campaign timeline | head`): stop quietly.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise typer.Exit(1) from None
        except Terminated as exc:
            typer.echo("campaign: terminated; nothing was changed", err=True)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            typer.echo("campaign: interrupted; nothing was changed", err=True)
            raise typer.Exit(130) from None
        except UnicodeEncodeError as exc:
            # The output's encoding cannot say a character (PYTHONIOENCODING=ascii, a
            # cp1252 console) and the stream was not ours to make lenient.
            typer.echo(f"campaign: error: the output cannot be written in {exc.encoding}: "
                       "set PYTHONIOENCODING=utf-8, or write to a file with -o", err=True)
            raise typer.Exit(1) from None
        except OSError as exc:
            if exc.errno == errno.ENAMETOOLONG:
                # A path or name past what the file system holds (-o with 300 characters,
                # a 5,000-character --templates or template name): whichever call met it.
                typer.echo(f"campaign: error: {_too_long(exc)}", err=True)
                raise typer.Exit(1) from None
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                _internal_error(exc)
            # Standard output on a full disk (a file the shell opened): files of ours
            # say so themselves, naming the file.
            typer.echo(f"campaign: error: cannot write standard output: the disk is full "
                       f"({exc.strerror})", err=True)
            raise typer.Exit(1) from None
        except OverflowError:
            # A number past what the store or the calendar holds (an id of 23 digits).
            typer.echo("campaign: error: a number given is too large; give a smaller one",
                       err=True)
            raise typer.Exit(1) from None
        except MemoryError:
            typer.echo("campaign: error: out of memory; the input is too large", err=True)
            raise typer.Exit(1) from None
        except Exception as exc:
            if type(exc).__module__ in ("sqlite3", "campaign.engine") and \
                    not os.environ.get("CAMPAIGN_DEBUG"):
                # A store read outside a transaction (a corrupt page, a busy store).
                from campaign.store import default_path, explain

                root = ctx.find_root()
                db = root.obj.get("db") if isinstance(root.obj, dict) else None
                opened = root.obj.get("store") if isinstance(root.obj, dict) else None
                why = opened.explain(exc) if opened is not None else \
                    explain(exc, db or default_path())
                typer.echo(f"campaign: error: {_one_line(str(why))}", err=True)
                raise typer.Exit(1) from None
            if isinstance(exc, ValueError) and (line := _malformed_date(ctx)):
                typer.echo(f"campaign: error: {_one_line(line)}", err=True)
                raise typer.Exit(1) from None
            _internal_error(exc)


def _malformed_date(ctx: Any) -> str | None:
    """After a ValueError: if the command's store holds a date that is not one, the line
    naming the record (campaign.integrity), rather than an internal error."""
    root = ctx.find_root()
    st = root.obj.get("store") if isinstance(root.obj, dict) else None
    if st is None:
        return None
    from campaign.integrity import describe_first

    try:
        return describe_first(st)
    except Exception:  # noqa: BLE001 - the store itself unreadable: the internal error stands
        return None


def _too_long(exc: OSError) -> str:
    """The one line for ENAMETOOLONG, naming the start of the name (not all 5,000
    characters of it)."""
    name = os.fspath(exc.filename) if exc.filename is not None else ""
    name = name if isinstance(name, str) else os.fsdecode(name)
    shown = name if len(name) <= 60 else name[:60] + "…"
    where = f"'{_one_line(shown)}' " if shown else ""
    return (f"the name {where}is too long for the file system ({len(name):,} characters); "
            "give a shorter file, directory or template name")


def _internal_error(exc: Exception) -> NoReturn:
    """A failure nobody foresaw: one line asking for a report (the traceback with
    CAMPAIGN_DEBUG=1)."""
    if os.environ.get("CAMPAIGN_DEBUG"):
        raise exc
    typer.echo(
        f"campaign: internal error: {type(exc).__name__}: {_one_line(str(exc))} "
        "(set CAMPAIGN_DEBUG=1 for details and please report it)",
        err=True,
    )
    raise typer.Exit(1) from None


_CONTROL_ARG = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _one_line(message: str) -> str:
    """A message as one line a terminal shows as it is: a name from a pack or an option
    can carry an escape sequence or a line break."""
    from campaign.output import printable

    return " ".join(printable(message).split("\n"))


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
        typer.Option("--db", envvar="CAMPAIGN_DB",
                     help="Store file, or postgresql://USER@HOST:PORT/DBNAME for a "
                          "coalition's store (default: a file in the user data dir)."),
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
    from campaign.cli import send
    send.register(commands)


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
    _on_sigterm()
    _lenient_streams()
    profile = _profiler()
    try:
        app(prog_name="campaign")
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    except KeyboardInterrupt:  # pragma: no cover - outside click's invoke
        code = 130
    finally:
        if profile is not None:
            profile()
    hard_exit(code)


PROFILE_VAR = "CAMPAIGN_PROFILE"


def _profiler() -> Any:
    """With ``CAMPAIGN_PROFILE=FILE``, profile the command and return what writes the
    profile (pstats' format: ``python -m pstats FILE``, snakeviz, ...), else None.

    ``python -m cProfile -m campaign`` writes nothing: its dump runs after the
    command returns, and this entry point leaves through ``os._exit`` first. So the
    profile is written here, before that exit, whatever the command's status. A
    profile that cannot be written is one line on stderr; the command's own status
    stands.
    """
    path = os.environ.get(PROFILE_VAR)
    if not path:
        return None
    import cProfile

    prof = cProfile.Profile()

    def dump() -> None:
        prof.disable()
        try:
            prof.dump_stats(os.path.expanduser(path))
        except OSError as exc:
            print(f"campaign: warning: cannot write the profile to {path} "
                  f"({exc.strerror}); check {PROFILE_VAR}", file=sys.stderr)

    prof.enable()
    return dump


def _terminated(signum: int, frame: object) -> None:
    raise Terminated(signum)


def _on_sigterm() -> None:
    """SIGTERM (a `kill`, a shutdown, a CI timeout) and SIGHUP (the terminal closed)
    unwind like Ctrl-C: the store rolls back, temporary files and staging directories
    are removed, one line says so, and the exit status is 128 + the signal's number."""
    import signal

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            with contextlib.suppress(ValueError, OSError):  # not the main thread: leave it
                signal.signal(getattr(signal, name), _terminated)


class _ClosedOutput(io.TextIOBase):
    """Standard output when the shell closed it (``campaign ... >&-``): writing to it is
    the one-line error every failure is; a command that writes only files runs as usual."""

    @property
    def buffer(self) -> _ClosedOutput:
        return self

    def write(self, text: Any) -> int:
        from campaign.errors import OutputError

        raise OutputError("standard output is closed", "redirect it, or write to a file with -o")

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def _lenient_streams() -> None:
    """Output degrades rather than fails where the streams' encoding cannot say a
    character (PYTHONIOENCODING=ascii, a cp1252 console): ``\u0416`` for Ж, no
    traceback. A UTF-8 stream is left as it is. A closed stdout fails the command
    that writes to it in one line; a closed stderr swallows what would go there."""
    if sys.stdout is None:
        sys.stdout = _ClosedOutput()
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").replace("_", "-").casefold()
        if encoding not in ("utf-8", "utf8") and hasattr(stream, "reconfigure"):
            with contextlib.suppress(ValueError, OSError, LookupError):
                stream.reconfigure(errors="backslashreplace")


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
        if sys.stdout is not None:
            sys.stdout.flush()
    except (OSError, ValueError) as exc:
        # The reader went away before the last of the output (`... | head -1`), or
        # stdout is closed: nothing more can be said there. A full disk is said.
        status = status or 1
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EIO):
            with contextlib.suppress(OSError, ValueError, AttributeError):
                print(f"campaign: error: cannot write standard output ({exc.strerror})",
                      file=sys.stderr)
    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stderr.flush()
    os._exit(status & 0xFF)  # as the OS keeps it: sys.exit(-1) is 255 too
