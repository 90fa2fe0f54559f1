"""Campaign packs: a whole campaign as one YAML file.

A pack is validated completely before anything is written, and every error
names the file, the line and the field. Export then import gives back the
same pack, record for record, so a coordinator can share or back up a
campaign as a text file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from campaign import data_path, names
from campaign.errors import InputError
from campaign.people import add_person, persons
from campaign.store import Store

BUNDLED = "kazakhstan"
SECTIONS = ("sources", "persons", "demands", "events", "figures", "contacts")


def bundled_path(name: str = BUNDLED) -> Path:
    return data_path("packs", f"{name}.yaml")


def documents_dir() -> Path:
    """The source documents the bundled pack cites, shipped with the package."""
    return data_path("packs", "documents")


def load_bundled(store: Store) -> None:
    import_pack(store, read_pack(bundled_path()), replace=False)


# -- reading -----------------------------------------------------------------


def read_pack(path: str | Path) -> dict[str, Any]:
    """Parse and validate a pack file; returns the validated pack as plain data."""
    import yaml

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("no such file", path=str(path), hint="check the path") from None
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", path=str(path), hint="save it as UTF-8") from None
    except OSError as exc:
        raise InputError(f"cannot read it ({exc.strerror})", path=str(path)) from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise InputError(
            f"{problem}", path=str(path), line=mark.line + 1 if mark else None,
            hint="fix the YAML syntax (indentation, quotes, colons)",
        ) from None
    if not isinstance(data, dict):
        raise InputError("a pack is a YAML mapping with 'pack', 'title', 'sources', ...",
                         path=str(path), line=1)
    return validate(data, root, str(path))


def validate(data: dict[str, Any], root: Any, path: str) -> dict[str, Any]:
    from pydantic import ValidationError as PydanticError

    from campaign.records import Pack

    try:
        pack = Pack.model_validate(data)
    except PydanticError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        field = ".".join(str(p) for p in loc)
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            msg = "is missing"
        elif err["type"] == "extra_forbidden":
            msg = "is not a field of this record"
        raise InputError(msg, path=path, line=_line(root, loc), field=field,
                         hint="see the pack format in the README") from None
    out = pack.model_dump()
    _check_references(out, root, path)
    return out


def _line(node: Any, loc: tuple[Any, ...]) -> int | None:
    """The line of the YAML node at a pydantic error location (or its nearest parent)."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if node is None:
            break
        child = None
        if hasattr(node, "value") and isinstance(node.value, list):
            if isinstance(part, int) and part < len(node.value) and not isinstance(
                node.value[part], tuple
            ):
                child = node.value[part]
            else:
                for key, value in node.value:
                    if isinstance(key.value, str) and key.value == part:
                        child = value
                        break
        if child is None:
            break
        node = child
        line = node.start_mark.line + 1
    return line


def _check_references(pack: dict[str, Any], root: Any, path: str) -> None:
    """Rules pydantic cannot see: unique ids and names, sources that exist."""
    source_ids = {s["id"] for s in pack["sources"]}
    for section in SECTIONS:
        seen: set[str] = set()
        for i, rec in enumerate(pack[section]):
            if rec["id"] in seen:
                raise InputError(f"id '{rec['id']}' is used twice", path=path,
                                 line=_line(root, (section, i, "id")), field=f"{section}.{i}.id",
                                 hint="give each record its own id")
            seen.add(rec["id"])
            if section == "sources":
                continue
            cited: list[tuple[tuple[str | int, ...], list[str]]]
            cited = [((section, i, "sources"), rec["sources"])]
            cited += [((section, i, "events", j, "sources"), e["sources"])
                      for j, e in enumerate(rec.get("events", []))]
            for loc, ids in cited:
                for sid in ids:
                    if sid not in source_ids:
                        raise InputError(
                            f"cites unknown source '{sid}'", path=path, line=_line(root, loc),
                            field=".".join(map(str, loc)),
                            hint="add it under 'sources' or correct the id",
                        )
    owners: dict[str, str] = {}
    for i, p in enumerate(pack["persons"]):
        for n, name in enumerate([p["name"], *p["aliases"]]):
            key = names.normalise(name)
            if key in owners and owners[key] != p["id"]:
                where: tuple[str | int, ...] = (
                    ("persons", i, "name") if n == 0 else ("persons", i, "aliases", n - 1)
                )
                raise InputError(
                    f"the name '{name}' is also a name of '{owners[key]}'", path=path,
                    line=_line(root, where), field=".".join(map(str, where)),
                    hint="one person, one record: keep the spelling as an alias of one of them",
                )
            owners[key] = p["id"]


# -- writing into a store ----------------------------------------------------


def import_pack(store: Store, pack: dict[str, Any], *, replace: bool) -> dict[str, int]:
    """Load a validated pack; ``replace`` first empties the store's campaign facts."""
    with store.transaction():
        if replace:
            _clear(store)
        for key in ("title", "description", "campaign_url"):
            store.set_meta(key, pack.get(key))
        store.set_meta("pack", pack["pack"])
        for s in pack["sources"]:
            store.add_source(s, replace=True)
        for p in pack["persons"]:
            add_person(store, p, replace=True)
        for section, table in (("demands", "demands"), ("events", "events"),
                               ("figures", "figures")):
            for rec in pack[section]:
                values = {k: v for k, v in rec.items() if k != "sources"}
                store.add_cited(table, section[:-1], values, rec["sources"], replace=True)
        for c in pack["contacts"]:
            values = {k: v for k, v in c.items() if k != "sources"}
            store.add_contact(values, c["sources"], replace=True)
    return {section: len(pack[section]) for section in SECTIONS}


def _clear(store: Store) -> None:
    used = "SELECT contact_id FROM outreach"
    for sql in (
        "DELETE FROM citations",
        "DELETE FROM case_events",
        "DELETE FROM names",
        "DELETE FROM persons",
        "DELETE FROM demands",
        "DELETE FROM events",
        "DELETE FROM figures",
        f"DELETE FROM contacts WHERE id NOT IN ({used})",
        "DELETE FROM sources",
        "DELETE FROM meta",
    ):
        store.conn.execute(sql)


# -- export ------------------------------------------------------------------

_DEFAULTS: dict[str, Any] = {"date_basis": "event", "historical": False, "planned": False,
                             "status": "current", "qualifier": ""}


def _clean(record: dict[str, Any], drop: tuple[str, ...] = ()) -> dict[str, Any]:
    """Leave out empty fields and defaults, so exported packs read like hand-written ones."""
    out = {}
    for key, value in record.items():
        if key in drop or value is None or value == [] or value == {}:
            continue
        if key in _DEFAULTS and value == _DEFAULTS[key]:
            continue
        out[key] = value
    return out


def export_pack(store: Store) -> dict[str, Any]:
    pack: dict[str, Any] = {
        "pack": store.meta("pack") or "campaign",
        "title": store.meta("title") or "Campaign",
        "description": store.meta("description"),
        "campaign_url": store.meta("campaign_url"),
    }
    pack = _clean(pack)
    pack["sources"] = [_clean(s) for s in store.sources()]
    pack["persons"] = []
    order = {r[0]: r[1] for r in store.conn.execute("SELECT id, rowid FROM persons")}
    everyone = sorted(persons(store), key=lambda p: order[p["id"]])
    person_cites = store.citations("person")
    for p in everyone:
        events = [_clean(e, drop=("id",)) for e in
                  sorted(p["events"], key=lambda e: e["id"])]
        pack["persons"].append(_clean({
            "id": p["id"], "name": p["name"], "aliases": p["aliases"],
            "description": p["description"], "role": p.get("role"),
            "sources": person_cites.get(p["id"], []),
            "quotes": p["quotes"], "events": events,
        }))
    pack["demands"] = [_clean(d) for d in store.demands()]
    events = store.cited_rows("events", "event")
    for e in events:
        e["planned"] = bool(e["planned"])
    pack["events"] = [_clean(e) for e in events]
    pack["figures"] = [_clean(f) for f in store.figures()]
    contacts = store.cited_rows("contacts", "contact")
    for c in contacts:
        c["group"] = c.pop("grp")
        c["historical"] = bool(c["historical"])
    pack["contacts"] = [_clean(c) for c in contacts]
    return pack


def dump_pack(pack: dict[str, Any]) -> str:
    import yaml

    return yaml.safe_dump(pack, allow_unicode=True, sort_keys=False, width=100)


_WS = re.compile(r"\s+")


def _documents(store: Store) -> dict[str, str]:
    """source id -> whitespace-normalised text, for the sources whose text the package carries."""
    docs: dict[str, str] = {}
    base = documents_dir()
    for s in store.sources():
        doc = s.get("document")
        if doc and (base / doc).is_file():
            docs[s["id"]] = _WS.sub(" ", (base / doc).read_text(encoding="utf-8"))
    return docs


def citation_problems(store: Store) -> list[tuple[str, str]]:
    """(record, source id) pairs where the record cites a source whose text the package
    carries but which contains none of the record's quotes: a citation must be backed by
    the source's own words. Records without quotes (added by hand) are not checked."""
    docs = _documents(store)
    problems = []
    for section, rows in _quoted_rows(store):
        for r in rows:
            quotes = [_WS.sub(" ", q) for q in r["quotes"]]
            for sid in r["sources"] if quotes else ():
                if sid in docs and not any(q in docs[sid] for q in quotes):
                    problems.append((f"{section} {r['id']}", sid))
    return problems


def quote_problems(store: Store) -> list[tuple[str, str]]:
    """(record, quote) pairs whose quote is not in any cited source's document."""
    docs = _documents(store)
    problems = []
    for section, rows in _quoted_rows(store):
        for r in rows:
            texts = [docs[s] for s in r["sources"] if s in docs]
            if not texts:
                continue
            for q in r["quotes"]:
                if not any(_WS.sub(" ", q) in t for t in texts):
                    problems.append((f"{section} {r['id']}", q))
    return problems


def _quoted_rows(store: Store) -> list[tuple[str, list[dict[str, Any]]]]:
    everyone = persons(store)
    events = [dict(e, id=f"{p['id']}#{e['id']}") for p in everyone for e in p["events"]]
    person_cites = store.citations("person")
    people = [dict(p, sources=person_cites.get(p["id"], [])) for p in everyone]
    return [("person", people), ("case event", events), ("demand", store.demands()),
            ("event", store.events()), ("figure", store.figures()),
            ("contact", store.contacts())]


def check(store: Store) -> list[dict[str, str]]:
    """Integrity report: uncited records, dangling references, near-duplicate names."""
    findings: list[dict[str, str]] = []

    def add(level: str, record: str, message: str) -> None:
        findings.append({"level": level, "record": record, "message": message})

    for section, rows in _quoted_rows(store):
        for r in rows:
            if not r["sources"]:
                add("error", f"{section} {r['id']}", "cites no source")
    for (sid,) in store.conn.execute(
        "SELECT DISTINCT source_id FROM citations WHERE source_id NOT IN (SELECT id FROM sources)"
    ):
        add("error", f"source {sid}", "cited but does not exist")
    for (cid,) in store.conn.execute(
        "SELECT DISTINCT contact_id FROM outreach WHERE contact_id NOT IN (SELECT id FROM contacts)"
    ):
        add("error", f"outreach to {cid}", "the contact does not exist")
    cited = {r[0] for r in store.conn.execute("SELECT DISTINCT source_id FROM citations")}
    for s in store.sources():
        if s["id"] not in cited:
            add("warning", f"source {s['id']}", "is not cited by any record")
    everyone = persons(store)
    import difflib

    for i, a in enumerate(everyone):
        for b in everyone[i + 1:]:
            for na in [a["name"], *a["aliases"]]:
                hit = next((nb for nb in [b["name"], *b["aliases"]]
                            if names.skeleton(na) == names.skeleton(nb)
                            or difflib.SequenceMatcher(
                                None, names.normalise(na), names.normalise(nb)).ratio() > 0.9),
                           None)
                if hit:
                    add("warning", f"person {a['id']}",
                        f"'{na}' is close to '{hit}' ({b['id']}); if one person, "
                        f"run `campaign prisoners merge \"{a['name']}\" \"{b['name']}\"`")
                    break
    for record, quote in quote_problems(store):
        add("error", record, f"quote not found in its sources: \"{quote[:60]}\"")
    for record, sid in citation_problems(store):
        add("error", record, f"cites '{sid}', but none of its quotes is in that source; "
                             "add a verbatim quote from it or drop the citation")
    return findings

