"""campaign sources: the documents every fact cites."""

from __future__ import annotations

from typing import Annotated

import typer

from campaign.cli.common import FormatOpt, store
from campaign.output import Format, emit, say

app = typer.Typer(help="The source documents every fact cites.", no_args_is_help=True)

COLUMNS = [("id", "id"), ("published", "published"), ("publisher", "publisher"),
           ("title", "title"), ("document", "document")]


@app.command("list")
def list_(ctx: typer.Context, fmt: FormatOpt = Format.table) -> None:
    """List the sources."""
    emit(store(ctx).sources(), fmt, COLUMNS, title="Sources")


@app.command()
def show(
    ctx: typer.Context,
    source_id: Annotated[str, typer.Argument(help="Source id (see `campaign sources list`).")],
    text: Annotated[bool, typer.Option("--text", help="Print the document's text too.")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Show one source, and what cites it."""
    from campaign.sources import cited_by, document_text

    st = store(ctx)
    src = st.source(source_id)
    data = dict(src, cited_by=cited_by(st, source_id))
    if fmt is Format.table:
        say(*(f"{key:10} {src.get(key) or ''}"
              for key in ("id", "title", "publisher", "published", "url", "document")))
        say(f"{'cited by':10} {len(data['cited_by'])} records")
        if text:
            say("", document_text(src))
        return
    if text:
        data["text"] = document_text(src)
    emit([data], fmt, COLUMNS, rows=[data]) if fmt is not Format.json else emit(data, fmt, COLUMNS)


@app.command()
def add(
    ctx: typer.Context,
    title: Annotated[str, typer.Option(help="The article's headline.")],
    publisher: Annotated[str, typer.Option(help="Who published it.")],
    date: Annotated[str, typer.Option("--date", help="Published: YYYY, YYYY-MM or YYYY-MM-DD.")],
    url: Annotated[str | None, typer.Option(help="Where it can be read.")] = None,
    source_id: Annotated[str | None, typer.Option("--id", help="Id (default: from title).")] = None,
) -> None:
    """Cite a new article or document, to record the news it brings."""
    from campaign.sources import add_source

    st = store(ctx)
    with st.transaction():
        sid = add_source(st, title=title, publisher=publisher, published=date, url=url,
                         source_id=source_id)
    typer.echo(f"added source {sid}")


@app.command()
def remove(
    ctx: typer.Context,
    source_id: Annotated[str, typer.Argument(help="Source id (see `campaign sources list`).")],
) -> None:
    """Remove a source that no record cites any more."""
    store(ctx).remove("sources", "source", source_id)
    typer.echo(f"removed source {source_id}")
