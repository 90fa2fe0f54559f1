"""campaign export | import | check: the campaign as a YAML pack, and its integrity;
campaign packs update: the bundled pack's corrections merged into an existing store."""

from __future__ import annotations

from typing import Annotated

import typer

from campaign.cli.common import FormatOpt, store, to_file
from campaign.output import Format, emit

packs_app = typer.Typer(help="The bundled campaign pack: merge its corrections.",
                        no_args_is_help=True)


def export(
    ctx: typer.Context,
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Write to this file (default: stdout).")
    ] = None,
) -> None:
    """Export the whole campaign as a YAML pack."""
    from campaign.files import expand_user, write_atomic
    from campaign.pack import iter_pack_yaml

    chunks = iter_pack_yaml(store(ctx))  # a record at a time, never the whole in memory
    if output:  # a file, or through campaign.files's rules (``-``: stdout, no store)
        write_atomic(expand_user(output), "".join(chunks).encode("utf-8"))
    if to_file(output):
        typer.echo(f"wrote {output}", err=True)
    elif not output:
        for chunk in chunks:
            typer.echo(chunk, nl=False)


def import_(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="A pack file (YAML).")],
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace the store's facts instead of merging.")
    ] = False,
) -> None:
    """Import a YAML pack: merge by id, or --replace everything (after a backup copy).

    A merge keeps the store's title, description and web address (the pack's
    fill in only what the store lacks); --replace takes the pack's. On a PostgreSQL
    store the backup is an export of the facts, in the user data directory.
    """
    from campaign.files import PACK_LIMIT, check_input
    from campaign.pack import backup, import_pack, read_pack

    check_input(file, limit_bytes=PACK_LIMIT, what="pack")  # no /dev/zero, no FIFO
    pack = read_pack(file)
    st = store(ctx)
    saved = backup(st) if replace else None
    warnings: list[str] = []
    try:
        counts = import_pack(st, pack, replace=replace, path=file, warnings=warnings)
    except BaseException:
        if saved is not None:  # nothing was replaced: the copy would only be clutter
            saved.unlink(missing_ok=True)
        raise
    for line in warnings:
        typer.echo(f"campaign: warning: {line}", err=True)
    if saved is not None and saved.suffix == ".yaml":  # a store that is no file: its facts
        typer.echo(f"saved the campaign's facts as they were to {saved} (an export; "
                   "`campaign import --replace` takes it back)", err=True)
    elif saved is not None:
        typer.echo(f"saved a copy of the store as it was to {saved}", err=True)
    typer.echo("imported " + ", ".join(f"{n} {k}" for k, n in counts.items()))


def check(ctx: typer.Context, fmt: FormatOpt = Format.table) -> None:
    """Integrity report: uncited records, dangling references, near-duplicate names."""
    from campaign.pack import check as run_check

    findings = run_check(store(ctx))
    if fmt is Format.table and not findings:
        typer.echo("no problems found")
    else:
        emit(findings, fmt, [("level", "level"), ("record", "record"), ("message", "message")],
             title="Check")
    if any(f["level"] == "error" for f in findings):
        raise typer.Exit(1)


@packs_app.command("update")
def update(ctx: typer.Context) -> None:
    """Merge the bundled pack's corrections into this store, keeping your own records.

    A record the store holds as an earlier release shipped it is replaced by the
    bundled one; a record you changed or added is kept as it is; one you removed
    stays removed; records new in the bundled pack are added.
    """
    from campaign.bundled import summary
    from campaign.bundled import update as merge

    outcome = merge(store(ctx))
    typer.echo(summary(outcome))
    if outcome["kept"]:
        shown = ", ".join(k.replace(":", " ", 1) for k in outcome["kept"][:10])
        more = len(outcome["kept"]) - 10
        typer.echo(f"kept as you changed them: {shown}" + (f" and {more:,} more" if more > 0
                                                           else ""), err=True)
