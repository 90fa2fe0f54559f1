"""Letters to prisoners and their families: the language, and what a letter may say.

Prisoner-support groups advise writing to someone held in Kazakhstan, Russia or
Belarus in Russian: letters in other languages are often held back by the censor.
So ``--lang auto`` (the default) picks Russian for a person whose latest reported
place of detention, or else the campaign's country, is one of those, and English
otherwise. The sender gets an English rendering of a Russian letter, written by
the English template from the same context (never machine-translated), marked
for their records and not to be sent.

What a letter says also depends on what is known: a first letter introduces the
sender; "we will keep writing" only after a letter was sent before (the outreach
log, where letters to persons are logged); a person reported released gets a
letter of solidarity, not the prison one; a family letter names the date of the
death and, years on, reads as remembrance rather than fresh condolence.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from campaign import dates
from campaign.names import normalise
from campaign.store import Store

# Where a letter to a prisoner or a family is written in Russian by default.
RUSSIAN_COUNTRIES: dict[str, tuple[str, ...]] = {
    "Kazakhstan": ("Kazakhstan", "Kasachstan", "Қазақстан", "Казахстан", "KZ"),
    "Russia": ("Russia", "Russian Federation", "Russland", "Russie", "Россия", "RU"),
    "Belarus": ("Belarus", "Weißrussland", "Biélorussie", "Беларусь", "Белоруссия", "BY"),
}
_RUSSIAN_BY_NAME = {normalise(n): country for country, names in RUSSIAN_COUNTRIES.items()
                    for n in names}
# Event kinds that put someone in a place of detention.
DETENTION_KINDS = ("detained", "arrested", "tried", "sentenced", "imprisoned")
# A death this many years old or more is remembered, not freshly condoled.
REMEMBRANCE_AFTER_YEARS = 2
RECORDS_MARK = "For your records — do not send"


def _country_in(text: str | None) -> str | None:
    """A country named in a place ('prison in Kokshetau, Kazakhstan'), or None."""
    from campaign import countries

    if not text:
        return None
    for part in [text, *text.replace("(", ",").replace(")", ",").split(",")]:
        words = part.split()
        for size in range(len(words), 0, -1):  # 'Russian Federation' before 'Russian'
            for start in range(len(words) - size + 1):
                piece = " ".join(words[start:start + size])
                found = _RUSSIAN_BY_NAME.get(normalise(piece))
                if found:
                    return found
                code = countries.code_of(piece)
                if code:
                    return countries.english(piece)
    return None


def detention_country(person: dict[str, Any]) -> str | None:
    """The country of the person's latest reported place of detention, if it names one."""
    events = sorted((e for e in person.get("events", []) if e.get("kind") in DETENTION_KINDS),
                    key=lambda e: dates.sort_key(e["date"]))
    for e in reversed(events):
        for key in ("prison", "place", "court"):
            found = _country_in(e.get(key))
            if found:
                return found
    return None


def campaign_country(store: Store) -> str | None:
    """The campaign's country: the store's ``country`` setting, else the one country
    its title or description names ('... political prisoners of Kazakhstan')."""
    given = store.meta("country")
    if given:
        return _country_in(given) or given
    for key in ("title", "description"):
        found = _country_in(store.meta(key))
        if found:
            return found
    return None


def choose_lang(store: Store, to: str, people: Sequence[dict[str, Any]],
                user_dir: str | Path | None = None) -> tuple[str, list[str]]:
    """(language, warnings) for ``--lang auto``.

    Russian when every person's latest place of detention (or else the campaign's
    country) is Kazakhstan, Russia or Belarus; English otherwise, with a warning when
    no country could be found. A user's own template in English with no Russian copy
    beside it is used, with a warning, rather than bypassed by the Russian default.
    """
    from campaign.documents.templates import find

    if to not in ("prisoner", "family"):
        return "en", []
    home = campaign_country(store)
    where = [detention_country(p) or home for p in people]
    if not where or any(w is None for w in where):
        unknown = [p["name"] for p, w in zip(people, where, strict=True) if w is None]
        return "en", [f"the letter is in English: no place of detention is recorded for "
                      f"{', '.join(unknown) or 'the person'} and the campaign names no "
                      "country; give --lang ru for a letter in Russian"]
    if not all(w in RUSSIAN_COUNTRIES for w in where):
        return "en", []
    own_en = user_dir is not None and find(f"letter-{to}.md.j2", user_dir) is not None and \
        find(f"letter-{to}.md.j2", user_dir) == Path(user_dir) / f"letter-{to}.md.j2"
    own_ru = user_dir is not None and (Path(user_dir) / f"letter-{to}.ru.md.j2").is_file()
    if own_en and not own_ru:
        return "en", [f"your own letter-{to}.md.j2 exists only in English, so it is used; "
                      f"letters to {'prisoners' if to == 'prisoner' else 'families'} held in "
                      f"{where[0]} are best in Russian: add letter-{to}.ru.md.j2 beside it "
                      "or give --lang ru"]
    return "ru", []


def letters_sent_before(store: Store, person_id: str, to: str) -> int:
    """How many letters of this kind the outreach log holds as sent (or replied to) for a
    person: a draft never posted is not a letter they had."""
    row = store.conn.execute(
        "SELECT count(*) FROM outreach WHERE person_id = ? AND document = ?"
        " AND state IN ('sent', 'replied')", (person_id, f"letter-{to}")).fetchone()
    return int(row[0]) if row else 0


def _years(since: str, today: dt.date) -> int:
    start = dates.start(since)
    years = today.year - start.year - ((today.month, today.day) < (start.month, start.day))
    return max(0, years)


_RU_MONTHS_IN = ("январе", "феврале", "марте", "апреле", "мае", "июне", "июле", "августе",
                 "сентябре", "октябре", "ноябре", "декабре")


def years_word_ru(n: int) -> str:
    """год, года or лет after a number."""
    if n % 10 == 1 and n % 100 != 11:
        return "год"
    if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        return "года"
    return "лет"


def when_said(when: str, lang: str) -> str:
    """'on 16 December 2011', 'in March 2012'; '16 декабря 2011 г.', 'в марте 2012 г.'."""
    from campaign.documents.letters.compose import date_in

    start = dates.start(when)
    if lang == "ru":
        if len(when) == 10:
            return date_in(start, "ru")
        if len(when) == 7:
            return f"в {_RU_MONTHS_IN[start.month - 1]} {start.year} г."
        return f"в {start.year} г."
    return f"on {dates.human(when)}" if len(when) == 10 else f"in {dates.human(when)}"


def person_context(store: Store, person: dict[str, Any], to: str, today: dt.date,
                   lang: str) -> dict[str, Any]:
    """What a letter to a person (or their family) adds to the template's context.

    ``first``: no letter of this kind is logged for them yet (introduce the sender;
    do not promise to "keep writing"). ``released``: reported released (a letter of
    solidarity, not the prison one), ``status_when`` the report's month. For the dead:
    ``death_on`` ("on 16 December 2011", "in March 2012"), ``death_reported`` when that
    is the date of the report, ``years_since``, and ``remembrance`` once the death is
    REMEMBRANCE_AFTER_YEARS old. ``name``: the name as the letter's language writes it.
    """
    from campaign.documents.letters.compose import _spelling

    status = person.get("status")
    when = person.get("status_date")
    died = status == "died"
    basis = next((e.get("date_basis") for e in reversed(person.get("events", []))
                  if e.get("kind") == "died" and e.get("date") == when), None)
    years = _years(when, today) if died and when else None
    return {
        "name": _spelling(person, lang),
        "first": letters_sent_before(store, person["id"], to) == 0,
        "released": status == "released",
        "status_when": (f"as reported in {dates.month_year(when)}" if lang == "en"
                        else f"по сообщениям, {when_said(when[:7], 'ru')}") if when else "",
        "death_on": when_said(when, lang) if died and when else None,
        "death_reported": basis == "report",
        "years_since": years,
        "years_word": years_word_ru(years) if years is not None else "",
        "remembrance": bool(years is not None and years >= REMEMBRANCE_AFTER_YEARS),
    }


def adapt_person_context(store: Store, ctx: dict[str, Any], who: dict[str, Any], to: str,
                         today: dt.date, lang: str) -> None:
    """Add ``person`` (person_context) to a prisoner's or family's letter context, and
    greet and close a family as the letter's language and the years since a death ask."""
    ctx["person"] = info = person_context(store, who, to, today, lang)
    if to != "family":
        return
    if lang == "ru":
        ctx["salutation"] = "Здравствуйте!"
        ctx["closing"] = ("С памятью и солидарностью," if info["remembrance"]
                          else "С глубоким сочувствием," if who.get("status") == "died"
                          else "С солидарностью,")
    elif info["remembrance"]:
        ctx["closing"] = "In remembrance and solidarity,"


def english_rendering(store: Store, render: Any, ctx: dict[str, Any], who: dict[str, Any],
                      to: str, today: dt.date, lang: str, original: Any) -> Any:
    """The English rendering of ``original`` (a letter in ``lang``) for the sender's
    records: the English template over the same facts, headed and addressed "For your
    records — do not send", so it cannot be posted by mistake. Never logged."""
    from campaign.documents.letters.compose import LANGUAGES, Letter, _split_subject
    from campaign.outreach import digest

    language = LANGUAGES.get(lang, lang)
    ctx["recipient"]["address_lines"] = [
        RECORDS_MARK.upper(), f"English rendering of the letter in {language}",
        f"to {who['name']}"]
    ctx["outside"] = original.context.get("outside", "") if lang == "en" else ""
    adapt_person_context(store, ctx, who, to, today, "en")
    subject, body = _split_subject(render(ctx))
    head = (f"**{RECORDS_MARK}.** This is an English rendering of the letter in {language} "
            f"to {who['name']}, written from the same facts; post only the {language} one.\n\n")
    return Letter(
        kind=to, recipient=f"{who['name']} (English rendering, do not send)",
        contact_id=None, email=None, subject=f"{RECORDS_MARK}: {subject}",
        markdown=head + body, digest=digest(body.replace(ctx["date_text"], "", 1)),
        context={"recipient": ctx["recipient"], "salutation": ctx["salutation"],
                 "closing": ctx["closing"], "sources": [], "lang": "en",
                 "date": ctx["date"], "date_text": ctx["date_text"],
                 "sender": original.context.get("sender"),
                 "sender_lines": original.context.get("sender_lines", []),
                 "medium": ctx["medium"]},
        templates=original.templates, person_id=None, record_only=True)
