"""What a document may demand and whom it names, as of a date.

Every document (motion, letters, announcements, picket sheet) chooses its
demands and its people here, so that they all follow the same rules:

* A demand is true as of when it was made, and each has a kind (``KINDS``):

  - ``release`` (about named people): current while someone it names is not
    reported released or dead AND its newest source (or ``demands renew``) is
    less than ``lapse_years`` older than the document's date. A call for release
    made 14 years ago cannot be presented as today's: older, a document words
    it as history ("In March 2012 the Greens/EFA group ... called on the
    government of Kazakhstan to release ...") and asks instead for NEWS:
    information on the whereabouts, health and status of those it named who
    were last reported held, naming the date of that report.
  - ``accountability`` (an inquiry, prosecution of those responsible) and
    ``policy`` (registration of a union, repeal of a law): stand until a source
    reports them done (the record's ``done``/``done_in``).
  - ``process`` (a trial, talks on an agreement): lapses when no source less
    than ``lapse_years`` older than the document's date supports it.

  Records with no kind (older packs) get one inferred: ``release`` when they
  name people, else ``process``.
  By default only current demands are used; one chosen by id is used even
  when lapsed, but worded as history ("In March 2012 ... called on ...").

The API every document uses (motion, announcements, letters):

* ``demand_set(store, as_of=..., wanted=(), lapse_years=3, max_names=None)``
  gives ``{"current": [...], "history": [...], "news": {...} | None}``:
  the demands to press now, the release calls to word as history (each has
  ``history``, a sentence, and ``made_in``, the source to cite it to), and the
  news request that replaces them (``news_request``).
* ``news["people"]``: those last reported held, each with ``name``, ``status``,
  ``reported`` ("January 2014"), ``status_date`` and ``sources`` (of that
  report); ``news["ask"]`` is the request as a phrase without "to" ("provide
  information on the whereabouts, health and status of ..."); ``news["text"]``
  the same as a sentence; ``news["groups"]`` the people grouped by last report.
* ``select_demands`` and ``all_demands`` give the shaped demands themselves
  (each with ``kind`` and ``why``: why it is current or not).
* A document names a few people: those the user names, then by the part
  they played (strike leaders, those who died, lawyers, journalists...),
  then the most recently reported; the rest are counted, not listed.
* A document made as of a date uses only the sources published by then.

Records from packs that predate the ``made``/``concerns``/``ask``/``role``
fields get sensible fallbacks, so callers need not care which kind they have.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from campaign import dates
from campaign.errors import UsageError
from campaign.store import Store

LAPSE_YEARS = 3

# The kinds of demand (see the module docstring); their order is that of `demands list`.
KINDS = ("release", "accountability", "process", "policy")
# Kinds that stand until a source reports them done, however old their sources.
STANDING = ("accountability", "policy")
# "Held": the latest reported status is one of these.
HELD = ("detained", "imprisoned", "on trial")

# Statuses that end a demand for someone's release.
GONE = ("released", "died")

# Whom a document names by default: people held, charged or pursued, and those who died.
DEFAULT_STATUSES = ("imprisoned", "detained", "charged", "on trial", "under investigation",
                    "died")

# The order in which people are named when a document has room for a few.
ROLE_ORDER = ("strike leader", "died", "lawyer", "journalist", "trade unionist",
              "opposition politician", "human-rights defender", "oil worker", "activist",
              "other")

# How an addressee is named inside a sentence ("called on the government of Kazakhstan").
_ADDRESSEES = {
    "government of kazakhstan": "the government of Kazakhstan",
    "high representative / eeas": "the EU High Representative and the European External "
                                  "Action Service",
    "european parliament": "the European Parliament",
    "trade unions and meps": "trade unions and MEPs",
}


# -- sources as of a date --------------------------------------------------------


def published_by(sources: Iterable[Mapping[str, Any]], as_of: dt.date) -> set[str]:
    """The ids of the sources published on or before ``as_of`` (a month counts from its
    first day): what a document dated ``as_of`` may cite."""
    return {s["id"] for s in sources if dates.start(s["published"]) <= as_of}


def _years_before(day: dt.date, years: int) -> dt.date:
    if years >= day.year:  # before the calendar's first year: every source is newer
        return dt.date.min
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def join_names(names: Sequence[str], most: int | None = None) -> str:
    """'A', 'A and B', 'A, B and C'; with ``most``, 'A, B and 3 others' beyond it."""
    names = list(names)
    if most is not None and len(names) > most:
        rest = len(names) - most
        names = [*names[:most], f"{rest:,} other" + ("s" if rest > 1 else "")]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


# -- demands ---------------------------------------------------------------------


def _concerns(demand: Mapping[str, Any]) -> dict[str, Any]:
    raw = demand.get("concerns") or {}
    persons = [str(p) for p in (raw.get("persons") or [])]
    process = raw.get("process")
    if not persons and not process:
        # An old record: about no one in particular, so it is held to the time rule.
        process = demand.get("text")
    return {"persons": persons, "process": process}


_NOUN_START = ("a ", "an ", "the ")


def infer_kind(demand: Mapping[str, Any]) -> str:
    """The kind a record without one gets, by the rule before kinds existed: a demand
    about named people is a release; anything else is held to the time rule."""
    return "release" if _concerns(demand)["persons"] else "process"


def kind_of(demand: Mapping[str, Any]) -> str:
    """The record's own kind, else the inferred one."""
    kind = demand.get("kind")
    return str(kind) if kind in KINDS else infer_kind(demand)


def _ask_from_text(text: str) -> str:
    """A demand's own words as an infinitive phrase without "to", for records that give
    no ``ask``: 'Release all political prisoners.' -> 'release all political prisoners';
    a noun phrase ('An independent inquiry into …') -> 'set up an independent inquiry
    into …'; 'Trade unions and MEPs: pass resolutions …' -> 'pass resolutions …'. A
    second clause after a semicolon is the demand's reasoning, not the request."""
    text = " ".join(text.split()).split(";")[0].strip().rstrip(".")
    if ":" in text[:40]:
        text = text.split(":", 1)[1].strip()
    if text[:1].isupper() and not text[1:2].isupper():
        text = text[0].lower() + text[1:]
    if text.startswith(_NOUN_START):
        return "set up " + text
    return text


def addressee(addressed_to: str | None) -> str | None:
    """How a demand's addressee is named inside a sentence ("call on the government of
    Kazakhstan"); None when the record names none."""
    return _addressee(addressed_to)


def _addressee(addressed_to: str | None) -> str | None:
    if not addressed_to:
        return None
    return _ADDRESSEES.get(addressed_to.casefold(), addressed_to)


def _person_states(store: Store, ids: Sequence[str], as_of: dt.date,
                   everyone: Mapping[str, dict[str, Any]] | None = None,
                   ) -> dict[str, dict[str, Any]]:
    """The people a demand concerns, with their status as of the date; ``everyone`` (read
    once for a whole selection) saves reading the store per demand."""
    if not ids:
        return {}
    if everyone is None:
        from campaign.people import persons

        everyone = {p["id"]: p for p in persons(store, as_of)}
    return {pid: everyone[pid] for pid in ids if pid in everyone}


def _everyone(store: Store, demands: Sequence[Mapping[str, Any]],
              as_of: dt.date) -> dict[str, dict[str, Any]] | None:
    if not any(_concerns(d)["persons"] for d in demands):
        return None
    from campaign.people import persons

    return {p["id"]: p for p in persons(store, as_of)}


def _made(demand: Mapping[str, Any], known: Mapping[str, Mapping[str, Any]]) -> tuple[
        str | None, str | None]:
    """(made, made_by): the record's own, else the date and publisher of the source it
    was made in (``made_in``), else of its earliest source."""
    cited = sorted((known[s] for s in demand.get("sources", []) if s in known),
                   key=lambda s: dates.start(s["published"]))
    origin = known.get(demand.get("made_in") or "") or (cited[0] if cited else None)
    made = demand.get("made") or (origin["published"] if origin else None)
    made_by = demand.get("made_by") or (origin["publisher"] if origin else None)
    return made, made_by


def _made_in(demand: Mapping[str, Any], known: Mapping[str, Mapping[str, Any]]) -> str | None:
    if demand.get("made_in") in known:
        return str(demand["made_in"])
    cited = sorted((s for s in demand.get("sources", []) if s in known),
                   key=lambda s: dates.start(known[s]["published"]))
    return cited[0] if cited else None


def demand_is_current(store: Store, demand: Mapping[str, Any], as_of: dt.date,
                      lapse_years: int = LAPSE_YEARS) -> tuple[bool, str | None]:
    """(current, why not): the lapsing rules of the module docstring.

    The reason is one clause for a warning, e.g. "Natalia Sokolova was reported
    released in January 2014".
    """
    known = {s["id"]: s for s in store.sources()}
    return _is_current(store, demand, as_of, lapse_years, known)


def _is_current(store: Store, demand: Mapping[str, Any], as_of: dt.date, lapse_years: int,
                known: Mapping[str, Mapping[str, Any]],
                states: Mapping[str, Mapping[str, Any]] | None = None,
                ) -> tuple[bool, str | None]:
    current, why = _judge(store, demand, as_of, lapse_years, known, states)
    return current, None if current else why


def _judge(store: Store, demand: Mapping[str, Any], as_of: dt.date, lapse_years: int,
           known: Mapping[str, Mapping[str, Any]],
           states: Mapping[str, Mapping[str, Any]] | None = None) -> tuple[bool, str]:
    """(current, why): why it is current, or why not, as one clause."""
    made, _ = _made(demand, known)
    if made and dates.start(made) > as_of:
        return False, f"it was first made in {dates.month_year(made)}, after {_day(as_of)}"
    kind = kind_of(demand)
    visible = published_by((known[s] for s in demand.get("sources", []) if s in known), as_of)
    newest = max((dates.start(known[s]["published"]) for s in visible), default=None)
    if newest is None:
        return False, f"no source published by {_day(as_of)} supports it"
    if kind in STANDING:
        done = demand.get("done")
        if done and dates.start(done) <= as_of:
            return False, f"a source reported it done in {dates.month_year(done)}"
        return True, f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} demand stands until a " \
                     "source reports it done"
    concerns = _concerns(demand)
    recent = newest > _years_before(as_of, lapse_years)
    newest_text = dates.month_year(newest.isoformat())
    if kind == "release" and concerns["persons"]:
        if states is None:
            states = _person_states(store, concerns["persons"], as_of)
        gone = [states[p] for p in concerns["persons"]
                if p in states and states[p]["status"] in GONE]
        if len(gone) == len(concerns["persons"]):
            return False, "; ".join(
                f"{p['name']} was reported {p['status']} in "
                f"{dates.month_year(p['status_date'])}" for p in gone)
    if recent:
        return True, (f"its latest source dates from {newest_text}, less than {lapse_years} "
                      f"years before {_day(as_of)}")
    why = (f"its latest source dates from {newest_text}, more than {lapse_years} years "
           f"before {_day(as_of)}")
    if kind == "release":
        why += "; documents ask for news of those it named instead"
    return False, why


def _day(day: dt.date) -> str:
    return dates.human(day.isoformat())


def _sentence(phrase: str) -> str:
    phrase = phrase.strip().rstrip(".")
    return (phrase[:1].upper() + phrase[1:] + ".") if phrase else phrase


def _shape(store: Store, demand: dict[str, Any], as_of: dt.date, lapse_years: int,
           known: Mapping[str, Mapping[str, Any]], max_names: int | None = None,
           people: Mapping[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    concerns = _concerns(demand)
    states = _person_states(store, concerns["persons"], as_of, people)
    current, reason = _judge(store, demand, as_of, lapse_years, known, states)
    why = None if current else reason
    made, made_by = _made(demand, known)
    ask = demand.get("ask") or _ask_from_text(demand["text"])
    held = [states[p]["name"] for p in concerns["persons"]
            if p in states and states[p]["status"] not in GONE]
    everyone = [states[p]["name"] for p in concerns["persons"] if p in states]
    gone = [states[p] for p in concerns["persons"]
            if p in states and states[p]["status"] in GONE]
    # What was asked then: those it named, but a history sentence never puts "release"
    # beside someone since reported released or dead; they are counted instead.
    if gone and held:
        n = len(gone)
        count = f"{'one' if n == 1 else f'{n:,}'} other{'s' if n > 1 else ''} since reported " \
                "released or dead"
        shown = held if max_names is None or len(held) <= max_names else \
            [*held[:max_names], f"{len(held) - max_names:,} others"]
        then = ask.replace("{persons}", join_names([*shown, count]))
    else:
        then = ask.replace("{persons}", join_names(everyone, max_names))
    capped = max_names is not None and len(held) > max_names
    if "{persons}" in ask:
        ask = ask.replace("{persons}", join_names(held if current else everyone, max_names))
    history = None
    if made:
        # What was asked then, everyone it named included: history, not a demand.
        who = made_by or "the campaign"
        to = _addressee(demand.get("addressed_to"))
        history = (f"In {dates.month_year(made)} {who} called on {to} to {then}." if to
                   else f"In {dates.month_year(made)} {who} called for this: {then}.")
    visible = published_by((known[s] for s in demand["sources"] if s in known), as_of)
    text = demand["text"]
    if current and (gone or (capped and "{persons}" in (demand.get("ask") or ""))):
        # The record's own words would ask for someone already released: say what still stands.
        text = _sentence(ask)
    return {
        "id": demand["id"],
        "kind": kind_of(demand),
        "why": reason,
        "text": text,
        "record_text": demand["text"],
        "addressed_to": demand.get("addressed_to"),
        "sources": [s for s in demand["sources"] if s in visible],
        "quotes": list(demand.get("quotes") or []),
        "made": made,
        "made_by": made_by,
        # The history sentence is cited to the source the demand was made in.
        "made_in": _made_in(demand, known) if _made_in(demand, known) in visible else None,
        "concerns": concerns,
        "current": current,
        "ask": ask,
        "history": history,
        "lapsed_because": why,
        "left_out": [p["name"] for p in gone] if current else [],
    }


def select_demands(store: Store, *, as_of: dt.date, wanted: Sequence[str] = (),
                   lapse_years: int = LAPSE_YEARS, max_names: int | None = None,
                   everyone: Mapping[str, dict[str, Any]] | None = None,
                   ) -> list[dict[str, Any]]:
    """Default (wanted empty): the demands that are current as of `as_of`.

    wanted: exactly those ids, in that order (an unknown id is a NotFoundError
    with suggestions); a lapsed one is included with current=False, and the
    caller words it as history (``history``) and warns with ``lapsed_because``.
    A demand first made after ``as_of`` cannot be chosen: a UsageError.

    Each dict: id, text (safe to print as a current demand when ``current``),
    record_text, addressed_to, sources (only those published by ``as_of``),
    quotes, made, made_by, made_in (the source id it was made in, if published by
    ``as_of``), concerns ({"persons": [...], "process": str|None}),
    current, ask (infinitive phrase without "to"), history, lapsed_because,
    left_out (names dropped from the ask because they were released or died).
    ``max_names`` bounds the people an ask names ("..., B and 1,992 others").
    """
    known = {s["id"]: s for s in store.sources()}
    if wanted:
        chosen = [store.demand(d) for d in dict.fromkeys(wanted)]  # unknown ids fail first
        people = everyone if everyone is not None else _everyone(store, chosen, as_of)
        out = [_shape(store, d, as_of, lapse_years, known, max_names, people) for d in chosen]
        for d in out:
            if d["made"] and dates.start(d["made"]) > as_of:
                raise UsageError(
                    f"demand '{d['id']}' was first made in {dates.month_year(d['made'])}, "
                    f"after {_day(as_of)}",
                    "choose a later --as-of or another demand",
                )
        return out
    every = store.demands()
    people = everyone if everyone is not None else _everyone(store, every, as_of)
    shaped = [_shape(store, d, as_of, lapse_years, known, max_names, people) for d in every]
    return [d for d in shaped if d["current"]]


def all_demands(store: Store, *, as_of: dt.date, lapse_years: int = LAPSE_YEARS,
                max_names: int | None = None,
                everyone: Mapping[str, dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Every demand, shaped as in ``select_demands``, current or not (for `demands list`).
    ``everyone`` (persons as of the date, by id), when the caller has read them already."""
    known = {s["id"]: s for s in store.sources()}
    every = store.demands()
    people = everyone if everyone is not None else _everyone(store, every, as_of)
    return [_shape(store, d, as_of, lapse_years, known, max_names, people) for d in every]


def demand_set(store: Store, *, as_of: dt.date, wanted: Sequence[str] = (),
               lapse_years: int = LAPSE_YEARS, max_names: int | None = None,
               everyone: Mapping[str, dict[str, Any]] | None = None,
               max_news: int | None = None) -> dict[str, Any]:
    """What a document dated ``as_of`` demands, worded by the rules of this module.

    ``current``: the demands to press now (all current ones, or those ``wanted``
    that are current). ``history``: release calls too old to present as current
    (by default, those that name someone still held; with ``wanted``, the chosen
    ones that lapsed, of any kind), each with its ``history`` sentence and
    ``made_in`` source. ``news``: the request for news of those the history
    names who were last reported held (``news_request``), or None.
    ``everyone``: persons as of the date by id, if the caller has read them (a big
    store is read once per document).
    """
    if everyone is None:
        from campaign.people import persons

        everyone = {p["id"]: p for p in persons(store, as_of)}
    if wanted:
        chosen = select_demands(store, as_of=as_of, wanted=wanted, lapse_years=lapse_years,
                                max_names=max_names, everyone=everyone)
        current = [d for d in chosen if d["current"]]
        history = [d for d in chosen if not d["current"]]
    else:
        every = all_demands(store, as_of=as_of, lapse_years=lapse_years, max_names=max_names,
                            everyone=everyone)
        current = [d for d in every if d["current"]]
        history = [d for d in every if not d["current"] and d["kind"] == "release"
                   and d["made"] and dates.start(d["made"]) <= as_of
                   and d["concerns"]["persons"]]
    news = news_request(store, history, as_of=as_of, everyone=everyone, most=max_news)
    if not wanted and news is None:
        history = []  # nobody left to ask about: an old call need not be recalled
    elif not wanted and news is not None:
        asked = {p["id"] for p in news["people"]}
        history = [d for d in history if asked & set(d["concerns"]["persons"])]
    return {"current": current, "history": history, "news": news}


def news_request(store: Store, lapsed: Sequence[Mapping[str, Any]], *, as_of: dt.date,
                 everyone: Mapping[str, Mapping[str, Any]] | None = None,
                 most: int | None = None) -> dict[str, Any] | None:
    """The request that replaces old release calls: information on the whereabouts,
    health and status of those they named who were last reported held, each with the
    date of that report (what an urgent action asks when a prisoner's fate is unknown).

    None when the calls name no one last reported held. ``people``: id, name, status,
    status_date, reported ("January 2014"), sources (of that report, published by
    ``as_of``); ``groups``: the people by last report, newest first, each with
    ``names``, ``status``, ``reported``, ``sources``; ``ask``: a phrase without "to";
    ``text``: the same as a sentence. With ``most``, the ask names at most that many
    (the latest reported first) and counts the rest (``others``); ``people`` holds
    only those named.
    """
    ids = list(dict.fromkeys(p for d in lapsed if d.get("kind", "release") == "release"
                             for p in _concerns(d)["persons"]))
    if not ids:
        return None
    if everyone is None:
        from campaign.people import persons

        everyone = {p["id"]: p for p in persons(store, as_of)}
    visible = published_by(store.sources(), as_of)
    people = []
    for pid in ids:
        p = everyone.get(pid)
        if p is None or p["status"] not in HELD or not p.get("status_date"):
            continue
        basis = _last_report(p, as_of)
        people.append({"id": pid, "name": p["name"], "status": p["status"],
                       "status_date": p["status_date"],
                       "reported": dates.month_year(p["status_date"]),
                       "sources": [s for s in (basis["sources"] if basis else [])
                                   if s in visible]})
    if not people:
        return None
    people.sort(key=lambda p: _newest_first(p["status_date"]))
    others = 0
    if most is not None and len(people) > most:
        others = len(people) - most
        people = people[:most]
    return news_from(people, others)


def news_from(people: Sequence[Mapping[str, Any]], others: int = 0) -> dict[str, Any]:
    """The news request for these people (as ``news_request`` gives them, latest report
    first) and ``others`` more last reported held: for a document that names fewer."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for p in people:
        g = groups.setdefault((p["status"], p["reported"]), {
            "status": p["status"], "reported": p["reported"], "names": [], "sources": []})
        g["names"].append(p["name"])
        g["sources"].extend(s for s in p["sources"] if s not in g["sources"])
    parts = [f"{join_names(g['names'])}, last reported {g['status']} in {g['reported']}"
             for g in groups.values()]
    if others:
        parts.append(f"{others:,} other{'s' if others > 1 else ''} last reported held")
    ask = ("provide information on the whereabouts, health and present status of "
           + "; and of ".join(parts))
    return {"people": list(people), "others": others, "groups": list(groups.values()),
            "ask": ask, "text": _sentence(ask)}


def renew_demand(store: Store, demand_id: str, source_id: str) -> dict[str, Any]:
    """Record that a demand still stands: ``source_id`` now supports it, and its
    publication date restarts the lapse clock. Returns the source."""
    from campaign.errors import ValidationError

    demand = store.demand(demand_id)
    source = store.source(source_id)
    if source_id in demand["sources"]:
        raise ValidationError(f"demand '{demand_id}' already cites '{source_id}'",
                              "renew it with a newer source")
    store.cite("demand", demand_id, [source_id])
    return source


def mark_done(store: Store, demand_id: str, source_id: str, date: str | None = None,
              ) -> dict[str, Any]:
    """Record that a source reported an accountability or policy demand done (an
    inquiry held, a union registered): it stops being current from ``date`` (default:
    the source's publication). The source is cited by the demand. Returns the source."""
    from campaign.errors import ValidationError

    demand = store.demand(demand_id)
    source = store.source(source_id)
    kind = kind_of(demand)
    if kind not in STANDING:
        raise ValidationError(
            f"demand '{demand_id}' is a {kind} demand, which lapses by itself",
            "only an accountability or policy demand is reported done; see "
            "`campaign demands renew` to say that one still stands")
    when = dates.parse_partial(date, "--date") if date else source["published"]
    if source_id not in demand["sources"]:
        store.cite("demand", demand_id, [source_id])
    store.conn.execute("UPDATE demands SET done = ?, done_in = ? WHERE id = ?",
                       (when, source_id, demand_id))
    return source


def renewal_source(demand: Mapping[str, Any], source: Mapping[str, Any]) -> str:
    """One line for `demands renew`."""
    return (f"demand '{demand['id']}' renewed by '{source['id']}' "
            f"(published {dates.human(source['published'])})")


def lapsed_warning(demand: Mapping[str, Any]) -> str:
    """One line for stderr when a chosen demand is no longer current."""
    return (f"demand '{demand['id']}' is no longer current ({demand['lapsed_because']}); "
            "it is worded as history")


# -- people ----------------------------------------------------------------------

_ROLE_WORDS = (
    ("strike leader", ("leaders of the zhanaozen", "strike leader", "leader of the strike")),
    ("lawyer", ("lawyer",)),
    ("journalist", ("journalist", "editor")),
    ("trade unionist", ("trade union",)),
    ("opposition politician", ("opposition party", "party leader", "party member")),
    ("human-rights defender", ("human rights",)),
    ("oil worker", ("oil worker",)),
    ("activist", ("activist",)),
)


def role_of(person: Mapping[str, Any]) -> str:
    """The person's recorded role, else one guessed from the description."""
    if person.get("role"):
        return str(person["role"])
    return _guessed_role(person.get("description") or "")


def _guessed_role(description: str) -> str:
    """``role_of``'s guess from a description: the first role (in ``_ROLE_WORDS``'s
    order) one of whose words it contains. Plain loops: a motion ranks every person of
    a 10,000-person store, twice."""
    text = description.casefold()
    for role, words in _ROLE_WORDS:
        for w in words:
            if w in text:
                return role
    return "other"


# Words in a source's own text that show a person's part: a role is "known" on a date when
# a quote of the person holding a word of each group is in a source published by then
# ("leaders" alone is anyone's leaders; the strike's leaders are named with the strike).
_ROLE_EVIDENCE: dict[str, tuple[tuple[str, ...], ...]] = {
    "strike leader": (("leader",), ("strike",)),
    "lawyer": (("lawyer",),),
    "journalist": (("journalist", "editor", "newspaper"),),
    "trade unionist": (("trade union",),),
    "opposition politician": (("opposition", "party"),),
    "human-rights defender": (("human rights",),),
    "oil worker": (("oil worker", "oil-worker"),),
    "activist": (("activist",),),
}


def roles_as_of(store: Store, people: Iterable[Mapping[str, Any]], as_of: dt.date,
                ) -> dict[str, str | None]:
    """Each person's role as the sources published by ``as_of`` show it, by id.

    The recorded role when a quote that shows it is in a source published by then
    (or when no quote shows it at all: then nothing dates it); else another role
    those sources show (a strike leader known in 2012 only as an oil worker is an
    oil worker in a 2012 motion); else None: nothing said of the person's part then,
    and their description (which says it) is not used either.
    """
    from campaign.pack import document_path

    known = {s["id"]: s for s in store.sources()}
    visible = published_by(known.values(), as_of)
    texts: dict[str, str | None] = {}

    def text_of(sid: str) -> str | None:
        if sid not in texts:
            path = document_path(known[sid].get("document")) if sid in known else None
            texts[sid] = " ".join(path.read_text(encoding="utf-8").split()).casefold() \
                if path else None
        return texts[sid]

    def shown_by(quote: str, sources: Iterable[str]) -> set[str]:
        want = " ".join(quote.split()).casefold()
        return {sid for sid in sources
                if sid in known and (text_of(sid) is None or want in (text_of(sid) or ""))}

    out: dict[str, str | None] = {}
    for p in people:
        recorded = role_of(p)
        sources = list(p.get("sources") or [])
        quotes = [(q, shown_by(q, sources)) for q in p.get("quotes") or []]
        for e in p.get("events") or []:
            quotes += [(q, shown_by(q, e.get("sources") or [])) for q in e.get("quotes") or []]

        if recorded not in _ROLE_EVIDENCE or not _evidence(quotes, recorded) \
                or _evidence(quotes, recorded, visible):
            out[p["id"]] = recorded
            continue
        out[p["id"]] = next((r for r in ROLE_ORDER if r != recorded and r in _ROLE_EVIDENCE
                             and _evidence(quotes, r, visible)), None)
    return out


def _evidence(quotes: Sequence[tuple[str, set[str]]], role: str,
              when: set[str] | None = None) -> bool:
    """Whether a quote (with the sources that hold it) shows ``role``; with ``when``,
    one held by a source among those."""
    groups = _ROLE_EVIDENCE.get(role, ())
    return any(bool(groups) and all(any(w in q.casefold() for w in g) for g in groups)
               and (when is None or bool(srcs & when)) for q, srcs in quotes)


def _rank(person: Mapping[str, Any]) -> int:
    key = "died" if person.get("status") == "died" else role_of(person)
    return ROLE_ORDER.index(key) if key in ROLE_ORDER else len(ROLE_ORDER)


def select_people(store: Store, *, as_of: dt.date, wanted: Sequence[str] = (),
                  max_people: int = 8, statuses: Sequence[str] | None = None,
                  everyone: Sequence[dict[str, Any]] | None = None,
                  ids: Sequence[str] = (),
                  ) -> tuple[list[dict[str, Any]], int]:
    """The few people a document names, and how many others are left unnamed.

    Those named by the user come first (all of them, in their order); then, up
    to ``max_people``, the others whose status as of ``as_of`` is in
    ``statuses`` (default: held, charged, pursued or dead), by role (strike
    leaders, those who died, lawyers, journalists, ...), then by the most
    recent report. Each person's sources are only those published by
    ``as_of``; ``role`` is always set; ``status_sources`` are the sources of the
    report the status rests on (cite those for the status), ``status_summary``
    its past-tense clause. ``everyone``: ``people.persons(store, as_of)`` if the
    caller has read it already. ``ids``: people (by id) to name after those
    ``wanted`` (by name), e.g. those a document's request for news names.
    """
    from campaign.people import find_id, persons

    if max_people < 0:
        raise UsageError(f"--max-people must be 0 or more, not {max_people}")
    visible = published_by(store.sources(), as_of)
    if everyone is None:
        everyone = persons(store, as_of)
    by_id = {p["id"]: p for p in everyone}
    named_ids = [find_id(store, n) for n in wanted] + [i for i in ids if i in by_id]
    named = [by_id[pid] for pid in dict.fromkeys(named_ids)]
    wanted_statuses = DEFAULT_STATUSES if statuses is None else tuple(statuses)
    taken = {p["id"] for p in named}
    pool = [p for p in everyone if p["id"] not in taken and p["status"] in wanted_statuses]
    # Ties keep the pack's order (strike leaders as the sources list them), not the alphabet.
    order = {pid: n for n, (pid,) in enumerate(
        store.conn.execute("SELECT id FROM persons ORDER BY seq"))}
    pool.sort(key=lambda p: order.get(p["id"], 0))
    pool.sort(key=lambda p: _newest_first(p.get("status_date")))
    pool.sort(key=_rank)
    room = max(0, max_people - len(named))
    chosen = named + pool[:room]
    out = []
    for p in chosen:
        basis = _last_report(p, as_of)
        out.append({**p, "role": role_of(p),
                    "sources": [s for s in p["sources"] if s in visible],
                    # Cite a status to the report it rests on, not to every source about
                    # the person (a 2010 release does not support "imprisoned in 2014").
                    "status_sources": [s for s in (basis["sources"] if basis else [])
                                       if s in visible],
                    "status_summary": basis.get("summary") if basis else None})
    return out, max(0, len(pool) - room)


def _last_report(person: Mapping[str, Any], as_of: dt.date) -> dict[str, Any] | None:
    known = [e for e in person.get("events", []) if dates.start(e["date"]) <= as_of]
    known.sort(key=lambda e: dates.sort_key(e["date"]))
    return dict(known[-1]) if known else None


def _newest_first(date: str | None) -> tuple[int, str]:
    """Sort key putting the latest report first (undated last)."""
    if not date:
        return (1, "")
    # Invert the digits so that a plain ascending sort gives the newest first.
    return (0, date.translate(_INVERT_DIGITS))


# "0" <-> "9", "1" <-> "8", ...: a stored date has ASCII digits only (dates.check_partial)
# so this inverts every digit it has.
_INVERT_DIGITS = str.maketrans("0123456789", "9876543210")
