"""campaign export | import | check: the campaign as a YAML pack, and its integrity."""

from __future__ import annotations

from typing import Annotated

import typer

from campaign.cli.common import FormatOpt, store, to_file
from campaign.output import Format, emit


def export(
    ctx: typer.Context,
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Write to this file (default: stdout).")
    ] = None,
) -> None:
    """Export the whole campaign as a YAML pack."""
    from campaign.files import expand_user, write_atomic
    from campaign.pack import dump_pack, export_pack

    text = dump_pack(export_pack(store(ctx)))
    if output:  # a file, or through campaign.files's rules (``-``: stdout, no store)
        write_atomic(expand_user(output), text.encode("utf-8"))
    if to_file(output):
        typer.echo(f"wrote {output}", err=True)
    elif not output:
        typer.echo(text, nl=False)


def import_(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="A pack file (YAML).")],
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace the store's facts instead of merging.")
    ] = False,
) -> None:
    """Import a YAML pack: merge by id, or --replace everything."""
    from campaign.files import PACK_LIMIT, check_input
    from campaign.pack import import_pack, read_pack

    check_input(file, limit_bytes=PACK_LIMIT, what="pack")  # no /dev/zero, no FIFO
    pack = read_pack(file)
    counts = import_pack(store(ctx), pack, replace=replace)
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
