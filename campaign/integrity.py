"""Dates in the store that are not dates, and how to name the record that holds one.

Every entry point checks a date on the way in, but a store can still hold a malformed one
(written by an older release, by hand with sqlite3, or by a tool of the user's). Such a
date must not make every command fail with an internal error: ``export`` reads the store
without parsing dates, so the data can always be rescued; ``check`` lists each one; any
other command that trips over one says which record holds it, in one line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from campaign import dates

if TYPE_CHECKING:
    from campaign.store import Store

# (table, id expression, date column, what the record is called, how to correct it)
_DATE_COLUMNS = [
    ("case_events", "CAST(id AS TEXT) || ' of ' || person_id", "date", "case event",
     "`campaign prisoners unrecord ID`, then record it again with `campaign prisoners update`"),
    ("sources", "id", "published", "source", "`campaign sources remove ID` and add it again"),
    ("demands", "id", "made", "demand", "`campaign demands remove ID` and add it again"),
    ("events", "id", "date", "event", "`campaign events remove ID` and add it again"),
    ("events", "id", "end_date", "event", "`campaign events remove ID` and add it again"),
    ("figures", "id", "date", "figure", "`campaign figures remove ID` and add it again"),
    ("contacts", "id", "as_of", "contact", "`campaign contacts remove ID` and add it again"),
    ("person_addresses", "'of ' || person_id", "as_of", "postal address",
     "record the address again with `campaign prisoners address`"),
]


def _bad(value: object) -> bool:
    try:
        dates.check_partial(str(value))
    except ValueError:
        return True
    return False


def malformed_dates(store: Store) -> list[dict[str, str]]:
    """Every stored date that is not YYYY, YYYY-MM or YYYY-MM-DD within the range: the
    record (``case event 3 of roza-tuletaeva``), the column, the value and how to fix it."""
    found = []
    for table, ident, column, what, fix in _DATE_COLUMNS:
        try:
            rows = list(store.conn.execute(
                f"SELECT {ident}, {column} FROM {table} WHERE {column} IS NOT NULL"))
        except Exception:  # noqa: BLE001 - a table or column this store does not have
            continue
        for rid, value in rows:
            if _bad(value):
                record_id = str(rid).split(" ", 1)[0]
                found.append({"record": f"{what} {rid}", "field": column,
                              "value": str(value), "fix": fix.replace("ID", record_id)})
    return found


def describe_first(store: Store) -> str | None:
    """One line naming the first malformed date in the store (None if there is none)."""
    found = malformed_dates(store)
    if not found:
        return None
    first = found[0]
    more = f" (and {len(found) - 1:,} more; `campaign check` lists them)" if len(found) > 1 \
        else ""
    return (f"the store holds a malformed date: {first['record']} has {first['field']} "
            f"'{first['value']}'{more}; correct it with {first['fix']}, or rescue the data "
            "with `campaign export`")
