"""campaign meps: today's Members of the European Parliament, from the EP's own data."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer

from campaign.cli.common import FormatOpt, quiet, store
from campaign.output import Format, emit

app = typer.Typer(help="MEPs: fetch the EP's list (and details), import, list.",
                  no_args_is_help=True)

COLUMNS = [("name", "name"), ("country", "country"), ("group", "group"), ("party", "party"),
           ("email", "email"), ("status", "status")]

CountryOpt = Annotated[
    list[str] | None,
    typer.Option("--country", "-c",
                 help="Country: English or EP name, or ISO code (Ireland, Irlande, IE); "
                      "repeatable."),
]
LangOpt = Annotated[str, typer.Option("--lang", help="Language of the EP list (en, fr, de, ...).")]



def _codes(names: list[str] | None) -> list[str]:
    from campaign.countries import resolve

    return list(dict.fromkeys(resolve(n) for n in names or []))


@contextmanager
def _progress(ctx: typer.Context, label: str) -> Iterator[Any]:
    """A rich progress bar on stderr, or nothing when quiet or not on a terminal."""
    if quiet(ctx) or not (sys.stderr.isatty() and sys.stdout.isatty()):
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeRemainingColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


@app.command()
def fetch(
    ctx: typer.Context,
    lang: LangOpt = "en",
    country: CountryOpt = None,
    details: Annotated[bool, typer.Option(
        "--details", help="Also read each MEP's email, office and phone (one request each).")
    ] = False,
    refresh: Annotated[bool, typer.Option(
        "--refresh", help="With --details: read details again even where already saved.")
    ] = False,
    base_url: Annotated[str, typer.Option(help="Where the EP's XML list is.")] =
        "https://www.europarl.europa.eu",
    api_url: Annotated[str, typer.Option(help="The EP Open Data API.")] =
        "https://data.europarl.europa.eu/api/v2",
    timeout: Annotated[float, typer.Option(min=0.01, help="Seconds per request step.")] = 30.0,
    concurrency: Annotated[int, typer.Option(min=1, max=32,
                                             help="Detail requests at once.")] = 4,
    retries: Annotated[int, typer.Option(min=0, max=10,
                                         help="Retries of a failed request.")] = 3,
) -> None:
    """Fetch today's MEPs from the European Parliament and save them as contacts."""
    from campaign import ep

    ep.check_lang(lang)
    codes = _codes(country)
    st = store(ctx)
    url = ep.list_url(base_url, lang)
    with ep.make_client(timeout, concurrency) as client:
        meps = ep.select(ep.fetch_list(base_url, lang, timeout=timeout, client=client,
                                       retries=retries), codes)
        if not meps:
            from campaign.errors import CampaignError

            raise CampaignError(f"the EP list has no MEPs for {', '.join(codes)}",
                                "check --country; nothing was changed")
        api = (ep.fetch_current(api_url, timeout=timeout, client=client, retries=retries)
               if details else None)
        fetched_at = ep.now()
        with st.transaction():
            counts = ep.upsert_meps(st, meps, url, fetched_at, lang=lang, api=api)
            former = ep.mark_former(st, [m["ep_id"] for m in meps], codes)
        typer.echo(f"saved {len(meps)} MEPs ({counts['added']} new, {counts['updated']} "
                   f"updated); {former} marked former")
        if not details:
            return
        ids = [m["ep_id"] for m in meps]
        try:
            with _progress(ctx, "MEP details") as progress:
                result = ep.update_details(st, api_url, ids, refresh=refresh,
                                           concurrency=concurrency, timeout=timeout,
                                           retries=retries, progress=progress, client=client)
        except KeyboardInterrupt:
            typer.echo("campaign: interrupted; the MEP list and the details read so far are "
                       "saved; run the same command again to fetch the rest", err=True)
            raise typer.Exit(130) from None
    typer.echo(f"details: {result['saved']} read, {result['skipped']} already saved")


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="The EP's full-list XML, saved by a browser.")],
    lang: LangOpt = "en",
    country: CountryOpt = None,
) -> None:
    """Import the EP's list of MEPs from a saved XML file (offline use)."""
    import datetime as dt
    from pathlib import Path

    from campaign import ep
    from campaign.files import MEP_LIST_LIMIT, check_input

    ep.check_lang(lang)
    codes = _codes(country)
    check_input(file, limit_bytes=MEP_LIST_LIMIT, what="list of MEPs")  # a FIFO would hang
    meps = ep.select(ep.read_list_file(file), codes)
    if not meps:
        from campaign.errors import CampaignError

        raise CampaignError(f"{file} has no MEPs for {', '.join(codes)}", "check --country")
    # The file's modification time is the best date we have for when it was saved.
    saved = dt.datetime.fromtimestamp(Path(file).stat().st_mtime, dt.UTC)
    fetched_at = saved.replace(microsecond=0).isoformat()
    st = store(ctx)
    with st.transaction():
        counts = ep.upsert_meps(st, meps, ep.list_url(ep.DEFAULT_BASE_URL, lang), fetched_at,
                                lang=lang, imported_from=Path(file).name)
        former = ep.mark_former(st, [m["ep_id"] for m in meps], codes)
    typer.echo(f"imported {len(meps)} MEPs from {file} ({counts['added']} new, "
               f"{counts['updated']} updated); {former} marked former")


@app.command("list")
def list_(
    ctx: typer.Context,
    country: CountryOpt = None,
    group: Annotated[str | None, typer.Option(help="Political group (part of its name).")] =
        None,
    all_: Annotated[bool, typer.Option(
        "--all", help="Include former MEPs and the historical ones of the campaign pack.")
    ] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """List MEPs saved by `meps fetch` or `meps import`."""
    from campaign.countries import code_of

    codes = set(_codes(country))
    found = store(ctx).contacts(kind="mep")
    if group:
        g = group.casefold()
        found = [c for c in found if g in (c.get("group") or "").casefold()
                 or g == str(c["extra"].get("group_short") or "").casefold()]
    if not all_:
        found = [c for c in found if c.get("ep_id") and c["status"] == "current"]
    if codes:
        found = [c for c in found
                 if (c["extra"].get("country_code") or code_of(c.get("country"))) in codes]
    found.sort(key=lambda c: (c.get("country") or "", c.get("family_name") or c["name"]))
    emit(found, fmt, COLUMNS, title="MEPs")
