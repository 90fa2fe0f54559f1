"""Options and helpers shared by the command modules."""

from __future__ import annotations

import datetime as dt
import os
from typing import TYPE_CHECKING, Annotated

import typer

from campaign.output import Format

if TYPE_CHECKING:
    from campaign.store import Store

FormatOpt = Annotated[
    Format, typer.Option("--format", "-f", help="Output format: table, json, csv or md.")
]
AsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", help="Report statuses as of this date (YYYY-MM-DD; default today)."),
]
TemplatesOpt = Annotated[
    str | None,
    typer.Option("--templates", envvar="CAMPAIGN_TEMPLATES",
                 help="Directory of your own templates, searched before the built-in ones."),
]
# The longest --lapse-years: a century is longer than any campaign, and a larger value
# would count back past the calendar's first year (an --as-of 2026 less 2026 years).
LAPSE_MAX = 100
SourceOpt = Annotated[
    list[str],
    typer.Option("--source", "-s", help="Source id the fact comes from (repeatable)."),
]


def store(ctx: typer.Context) -> Store:
    """The command's store, opened once and closed when the command ends.

    First use belongs here, not to the store: a store that has never held
    anything gets the bundled Kazakhstan campaign, once (the store records
    that it did, so `import --replace` with a small pack is not undone).
    """
    from campaign.store import Store, default_location, default_path

    root = ctx.find_root()
    obj = root.obj if isinstance(root.obj, dict) else {}
    if "store" not in obj:
        from campaign import files
        from campaign.engine import is_url

        db = obj.get("db")
        path = files.expand_home(db, "--db") if db and not is_url(db) else db
        if not is_url(path or default_location()):
            _regular_or_absent(path or default_path())
        st = Store(path)
        try:
            if st.meta("bundled_pack") is None and st.is_empty():
                from campaign.pack import first_use

                first_use(st)
            else:
                _upgrade_notice(st)
        except BaseException:
            st.close()
            raise
        obj["store"] = st
        root.obj = obj
        root.call_on_close(st.close)
        if st.path is not None:  # a file: no -o may ever land on it or its journals
            saved = st.path
            files.protect(saved)
            root.call_on_close(lambda: files.unprotect(saved))
    return obj["store"]


def _upgrade_notice(st: Store) -> None:
    """Once per release, one line on stderr when the store was made from an earlier
    bundled pack: `campaign packs update` would bring it the corrections."""
    from campaign.bundled import notice

    line = notice(st)
    if line:
        typer.echo(f"campaign: note: {line}", err=True)


def _regular_or_absent(path: str | os.PathLike[str]) -> None:
    """The store must be a regular file (or not yet exist): SQLite would open a device
    such as /dev/null and write its journal beside it, in /dev."""
    import stat

    from campaign.errors import StoreError

    try:
        mode = os.stat(path).st_mode
    except OSError:
        return  # absent (made now) or unreadable: the store says which, in one line
    if stat.S_ISDIR(mode):
        return  # the store's own message: "is a directory"
    if not stat.S_ISREG(mode):
        raise StoreError(f"{os.fspath(path)} is not a regular file (a device, a FIFO or a "
                         "socket)", "give --db or CAMPAIGN_DB the name of a store file")


def to_file(output: str | None) -> bool:
    """Whether ``-o`` names a file (``-o -`` and no ``-o`` both mean standard output)."""
    return bool(output) and output != "-"


def quiet(ctx: typer.Context) -> bool:
    root = ctx.find_root()
    return bool(isinstance(root.obj, dict) and root.obj.get("quiet"))


def as_of(value: str | None) -> dt.date:
    from campaign import dates

    return dates.parse_day(value, "--as-of") if value else dates.today()
