"""campaign meps: today's Members of the European Parliament, from the EP's own data."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer

from campaign.cli.common import AsOfOpt, FormatOpt, as_of, quiet, store
from campaign.output import Format, emit, say

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
LangOpt = Annotated[str, typer.Option(
    "--lang", help="Language of the EP's XML list, the fallback (en, fr, de, ...).")]



def _codes(names: list[str] | None) -> list[str]:
    from campaign.countries import resolve

    return list(dict.fromkeys(resolve(n) for n in names or []))


# Without a terminal (a log, cron), a line every this many details.
PROGRESS_EVERY = 100


@contextmanager
def _progress(ctx: typer.Context, label: str, pace: float = 0,
              concurrency: int = 1) -> Iterator[Any]:
    """A rich progress bar on stderr; without a terminal, a line now and then on stdout
    (how many remain and how long they take at the pace kept); nothing when quiet."""
    if quiet(ctx):
        yield None
        return
    if not (sys.stderr.isatty() and sys.stdout.isatty()):
        from campaign.ep import eta

        def line(done: int, total: int) -> None:
            if done and done < total and done % PROGRESS_EVERY == 0:
                typer.echo(f"{label}: {done} of {total} read; {total - done} to go, "
                           f"{eta(total - done, pace, concurrency)}")

        yield line
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


AllowHostOpt = Annotated[
    list[str] | None,
    typer.Option("--allow-host", help="A host that redirects may lead to (repeatable); "
                                      "by default only the same host is followed."),
]
CommitteeOpt = Annotated[
    list[str] | None,
    typer.Option("--committee", help="Members of this committee or subcommittee: short label "
                                     "(AFET, DROI) or part of its name; repeatable (either)."),
]
DelegationOpt = Annotated[
    list[str] | None,
    typer.Option("--delegation", help="Members of this delegation: short label or part of its "
                                      "name; repeatable (either)."),
]


@app.command()
def fetch(
    ctx: typer.Context,
    lang: LangOpt = "en",
    country: CountryOpt = None,
    details: Annotated[bool, typer.Option(
        "--details", help="Also read each MEP's email, office, committees and delegations "
                          "(one request each).")
    ] = False,
    refresh: Annotated[bool, typer.Option(
        "--refresh", help="With --details: read details again even where already saved.")
    ] = False,
    base_url: Annotated[str, typer.Option(help="Where the EP's XML list is (the fallback).")] =
        "https://www.europarl.europa.eu",
    api_url: Annotated[str, typer.Option(help="The EP Open Data API (the primary source).")] =
        "https://data.europarl.europa.eu/api/v2",
    timeout: Annotated[float, typer.Option(
        help="Seconds a whole request may take (each retry gets as long again).")] = 30.0,
    concurrency: Annotated[int, typer.Option(help="Detail requests at once (1-4).")] = 3,
    retries: Annotated[int, typer.Option(help="Retries of a failed request (0-10).")] = 3,
    pace: Annotated[float, typer.Option(
        help="Detail requests a minute at most (the API asks for about 100).")] =
        100.0,
    allow_host: AllowHostOpt = None,
) -> None:
    """Fetch today's MEPs from the European Parliament and save them as contacts.

    The Open Data API is read first; the XML list on the main web site is
    the fallback. The list is written in one transaction; with --details each
    MEP's details are saved as they arrive, so a stopped run resumes.
    """
    from campaign import ep
    from campaign.errors import CampaignError

    ep.check_lang(lang)
    ep.check_fetch_options(base_url=base_url, api_url=api_url, timeout=timeout,
                           concurrency=concurrency, retries=retries, pace=pace)
    codes = _codes(country)
    st = store(ctx)
    with ep.make_client(timeout, concurrency, allow_host or ()) as client:
        everyone, url = ep.fetch_meps(api_url, base_url, lang, client=client, retries=retries)
        meps = ep.select(everyone, codes)
        if not meps:
            raise CampaignError(f"the EP list has no MEPs for {', '.join(codes)}",
                                "check --country; nothing was changed")
        fetched_at = ep.now()
        lacking = ep.incomplete(everyone)
        with st.transaction():
            counts = ep.upsert_meps(st, meps, url, fetched_at, lang=lang, partial=bool(lacking))
            # A list without some members' country or group says nothing sure about who
            # left: no one is marked former because of it.
            former = 0 if lacking else ep.mark_former(st, [m["ep_id"] for m in everyone],
                                                       codes, fetched_at)
        where = "the EP Open Data API" if "/meps/show-current" in url else "the EP's XML list"
        typer.echo(f"saved {len(meps)} MEPs from {where} ({counts['added']} new, "
                   f"{counts['updated']} updated); {former} marked former")
        if lacking:
            say(f"campaign: warning: {lacking} of {len(everyone)} members have no country or "
                "no group in this list; what they had is kept, and no one was marked former",
                out=sys.stderr)
        if not details:
            return
        ids = [m["ep_id"] for m in meps]
        todo = len(ep.missing_details(st, ids, refresh=refresh))
        if todo and not quiet(ctx):
            typer.echo(f"details: {todo} requests to make, then one for each committee or "
                       f"delegation not yet known; at {pace:g} a minute, "
                       f"{ep.eta(todo, pace, concurrency)}")
        try:
            with _progress(ctx, "details", pace, concurrency) as progress:
                result = ep.update_details(st, api_url, ids, refresh=refresh,
                                           concurrency=concurrency, timeout=timeout,
                                           retries=retries, progress=progress, client=client,
                                           pace=ep.Pace(pace))
        except KeyboardInterrupt as exc:  # Ctrl-C (130), or SIGTERM/SIGHUP (errors.Terminated)
            typer.echo("campaign: interrupted; the MEP list and the details read so far are "
                       "saved; run the same command again to fetch the rest", err=True)
            raise typer.Exit(getattr(exc, "exit_code", 130)) from None
    bodies = result.get("bodies") or {}
    from campaign.ep.bodies import unknown_warning

    warning = unknown_warning(st, bodies.get("unknown") or [])
    if warning:
        say(warning, out=sys.stderr)
    typer.echo(f"details: {result['saved']} read, {result['skipped']} already saved; "
               f"{bodies.get('saved', 0)} committees and delegations read")


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(
        help="The EP's full-list XML, or the API's meps/show-current JSON-LD, saved by a "
             "browser.")],
    lang: Annotated[str, typer.Option(
        "--lang", help="Language of a saved XML list (en, fr, de, ...).")] = "en",
    country: CountryOpt = None,
    partial: Annotated[bool, typer.Option(
        "--partial", help="Import a list that lacks some members' country or group (a "
                          "directory of names and ids): what it lacks is kept as it was, and "
                          "no one is marked former.")] = False,
) -> None:
    """Import MEPs from a saved file (offline use): the EP's list (XML or JSON-LD), or one
    member's own API record (meps/{id}), saved as `meps fetch --details` would."""
    import datetime as dt
    from pathlib import Path

    from campaign import ep
    from campaign.errors import CampaignError
    from campaign.files import MEP_LIST_LIMIT, check_input

    ep.check_lang(lang)
    codes = _codes(country)
    check_input(file, limit_bytes=MEP_LIST_LIMIT, what="list of MEPs")  # a FIFO would hang
    # The file's modification time is the best date we have for when it was saved.
    saved = dt.datetime.fromtimestamp(Path(file).stat().st_mtime, dt.UTC)
    fetched_at = saved.replace(microsecond=0).isoformat()
    # Whether a member's mandate is current is a question about today, not the save day.
    kind, found = ep.read_saved(file, dt.date.today().isoformat())
    if kind == "detail":
        mep, detail = found
        done = ep.import_detail(store(ctx), mep, detail, fetched_at,
                                imported_from=Path(file).name)
        held = len(detail.get("memberships") or [])
        say(f"imported the record of {mep['name']} from {file} ({done}; email, office and "
            f"{held} committee and delegation memberships as --details saves them)")
        return
    everyone = found
    meps = ep.select(everyone, codes)
    if not meps:
        raise CampaignError(f"{file} has no MEPs for {', '.join(codes)}", "check --country")
    lacking = ep.incomplete(everyone)
    if lacking and not partial:
        raise CampaignError(
            f"{file}: {lacking} of {len(everyone)} members have no country or no group "
            "(a directory, not the full list?); nothing was imported",
            "save the EP's full-list/xml or the API's meps/show-current, or import this one "
            "with --partial")
    from_api = any("api_given_name" in m for m in meps)
    if not from_api:
        from campaign.ep.parse import list_language

        # The groups' names tell the language the list was saved in: the record's
        # source_url says that one, whatever --lang said.
        lang = list_language(everyone) or lang
    url = (ep.current_url(ep.DEFAULT_API_URL) if from_api
           else ep.list_url(ep.DEFAULT_BASE_URL, lang))
    st = store(ctx)
    with st.transaction():
        counts = ep.upsert_meps(st, meps, url, fetched_at, lang=lang,
                                imported_from=Path(file).name, partial=bool(lacking))
        # A partial list says nothing about who is no longer a member.
        former = 0 if lacking else ep.mark_former(st, [m["ep_id"] for m in everyone], codes,
                                                   fetched_at)
    say(f"imported {len(meps)} MEPs from {file} ({counts['added']} new, "
        f"{counts['updated']} updated); {former} marked former")
    if lacking:
        say(f"campaign: warning: {lacking} of {len(everyone)} members have no country or no "
            "group in this list; what they had is kept, and no one was marked former",
            out=sys.stderr)


def shown_status(contact: dict[str, Any]) -> str:
    """A contact's status as lists show it: one marked historical is never "current"."""
    if contact.get("historical") and contact.get("status") == "current":
        return "historical"
    return str(contact.get("status") or "")


@app.command("list")
def list_(
    ctx: typer.Context,
    country: CountryOpt = None,
    group: Annotated[str | None, typer.Option(
        help="Political group: as people say it (S&D, Renew Europe, the Left) or part of "
             "its full name.")] = None,
    committee: CommitteeOpt = None,
    delegation: DelegationOpt = None,
    as_of_: AsOfOpt = None,
    all_: Annotated[bool, typer.Option(
        "--all", help="Include former MEPs and the historical ones of the campaign pack.")
    ] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """List MEPs saved by `meps fetch` or `meps import`."""
    from campaign.countries import code_of

    codes = set(_codes(country))
    st = store(ctx)
    day = as_of(as_of_)
    chosen: set[str] | None = None
    if committee or delegation:
        from campaign.ep.bodies import select_by_bodies

        chosen = select_by_bodies(st, committee or [], delegation or [], day)
    found = st.contacts(kind="mep")
    if group:
        g = group.casefold()
        found = [c for c in found if g in (c.get("group") or "").casefold()
                 or g in str(c["extra"].get("group_full") or "").casefold()
                 or g == str(c["extra"].get("group_short") or "").casefold()]
    if not all_:
        found = [c for c in found if c.get("ep_id") and c["status"] == "current"
                 and not c["historical"]]
    if codes:
        found = [c for c in found
                 if (c["extra"].get("country_code") or code_of(c.get("country"))) in codes]
    columns = COLUMNS
    if chosen is not None:
        from campaign.ep.bodies import roles_on

        found = [c for c in found if c["id"] in chosen]
        held = roles_on(st, [c["id"] for c in found], committee or [], delegation or [], day)
        for c in found:
            c["roles"] = held.get(c["id"], [])
            c["committee_roles"] = "; ".join(f"{r['role']}, {r['label']}" for r in c["roles"])
        # The roles take the party's place: a table must fit a terminal.
        columns = [*COLUMNS[:3], ("committee_roles", "roles"), *COLUMNS[4:]]
    for c in found:
        c["status"] = shown_status(c)
    found.sort(key=lambda c: (c.get("country") or "", c.get("family_name") or c["name"]))
    emit(found, fmt, columns, title="MEPs")


@app.command()
def show(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The MEP's name (any spelling, or part of it).")],
    as_of_: AsOfOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """One MEP: group, status, and roles on committees and delegations."""
    from campaign import dates
    from campaign.ep.bodies import listed_on, member_roles
    from campaign.errors import CampaignError, NotFoundError
    from campaign.names import match, suggest

    st = store(ctx)
    day = as_of(as_of_)
    meps = st.contacts(kind="mep")
    ids = match(name, [(c["id"], [c["name"], *(c.get("aliases") or [])]) for c in meps])
    if not ids:
        raise NotFoundError("MEP", name, suggest(name, [c["name"] for c in meps]))
    if len(ids) > 1:
        names = ", ".join(c["name"] for c in meps if c["id"] in ids[:6])
        raise CampaignError(f"'{name}' matches {len(ids)} MEPs: {names}",
                            "give more of the name")
    mep = next(c for c in meps if c["id"] == ids[0])
    mep["status"] = shown_status(mep)
    roles = member_roles(st, mep["id"], day)
    if fmt is Format.json:
        from campaign.output import to_json

        typer.echo(to_json({**mep, "roles": roles}), nl=False)
        return
    full = mep["extra"].get("group_full")
    group = mep.get("group") or ""
    if full and full != group:
        group = f"{group} ({full})"
    # Every field comes from the EP or a saved file: each line goes through the one
    # printable filter (say), so no escape sequence in a record reaches the terminal.
    lines = [str(mep["name"])]
    for label, value in (("honorific", mep.get("honorific")), ("country", mep.get("country")),
                         ("group", group), ("party", mep.get("party")),
                         ("email", mep.get("email")), ("status", mep["status"])):
        if value:
            lines.append(f"  {label}: {value}")
    when = listed_on(st, mep["id"])
    if not roles:
        say(*lines, "  no committee or delegation roles on file" +
            ("" if when else "; run `campaign meps fetch --details`"))
        return
    on = "" if when == day else f" on {dates.human(day.isoformat())}"
    said = f", as listed by the European Parliament on {dates.human(when.isoformat())}" \
        if when else ""
    lines.append(f"  roles{on}{said}:")
    for r in roles:
        body = f"{r['name']} ({r['label']})" if r["name"] else r["label"]
        since = f", since {_day(r['start'])}" if r["start"] else ""
        until = f", until {_day(r['end'])}" if r["end"] else ""
        lines.append(f"    {r['role']}, {body}{since}{until}")
    say(*lines)


def _day(text: str) -> str:
    """A membership's date in words; one stored before dates were checked, as it is."""
    from campaign import dates
    from campaign.ep.parse import clean

    try:
        return dates.human(text)
    except (ValueError, IndexError, KeyError):
        return clean(str(text))[:40]


@app.command("bodies")
def bodies_(
    ctx: typer.Context,
    as_of_: AsOfOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Committees, subcommittees and delegations known, with their current members."""
    from campaign.ep.bodies import NO_DETAILS_HINT, BodyError, body_summary

    st = store(ctx)
    found = body_summary(st, as_of(as_of_))
    if not found:
        raise BodyError("no committees or delegations are known yet", NO_DETAILS_HINT)
    emit(found, fmt, [("label", "label"), ("name", "name"), ("kind", "kind"),
                      ("members", "members"), ("chair", "chair")], title="EP bodies")
