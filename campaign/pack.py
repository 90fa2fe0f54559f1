"""Campaign packs: a whole campaign as one YAML file.

A pack is validated completely before anything is written, and every error
names the file, the line and the field. Export then import gives back the
same pack, record for record, so a coordinator can share or back up a
campaign as a text file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from campaign import data_path, names
from campaign.errors import InputError
from campaign.people import EVENT_FIELDS
from campaign.store import Store

BUNDLED = "kazakhstan"
SECTIONS = ("sources", "persons", "demands", "events", "figures", "contacts")


def bundled_path(name: str = BUNDLED) -> Path:
    return data_path("packs", f"{name}.yaml")


def documents_dir() -> Path:
    """The source documents the bundled pack cites, shipped with the package."""
    return data_path("packs", "documents")


def document_problem(name: str) -> str | None:
    """Why a source's ``document`` cannot be a file in the documents directory, or None."""
    from pathlib import PurePosixPath, PureWindowsPath

    if not name or "\x00" in name:
        return "is not a file name"
    if PurePosixPath(name).is_absolute() or PureWindowsPath(name).is_absolute() or \
            PureWindowsPath(name).drive:
        return f"'{name}' is an absolute path; a document is named inside the documents directory"
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if ".." in parts:
        return f"'{name}' leads out of the documents directory"
    return None


def document_path(name: str | None) -> Path | None:
    """The document file a source names, if it lies inside the documents directory.

    Checked again where it is read, whatever the store holds: a name with '..',
    an absolute path or a symbolic link that points out of the directory gives
    None, so no other file on the machine can be shown as a source's text.
    """
    if not name or document_problem(name):
        return None
    base = documents_dir().resolve()
    try:
        target = (base / name).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not target.is_relative_to(base) or not target.is_file():
        return None
    return target


# -- reading -----------------------------------------------------------------

# Bounds on what a pack may expand to. A pack is data typed or exported by
# people: it has no reason to repeat itself through YAML aliases, and an alias
# bomb (a few hundred bytes that expand to billions of nodes) must be refused
# before anything is built from it.
MAX_ALIASES = 1_000
MAX_ALIAS_NODES = 100_000  # nodes that aliases may add on top of those written out
MAX_DEPTH = 64
MAX_FREE_FORM = 64 * 1024  # characters of one contact's 'extra', as JSON


def _loader() -> type[Any]:
    """libyaml's C loader (safe) when PyYAML was built with it, else the Python one."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Bounds:
    """Walks composed YAML as the data it stands for, counting what aliases add.

    Aliases are shared nodes in the graph; walking it as a tree visits a shared
    node once per use, which is what building the data costs. The walk stops at
    the first bound it passes, so a bomb costs at most MAX_ALIAS_NODES steps.
    A node met again on its own path is a recursive alias. The counts run over
    the whole file, record after record.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.aliases = 0
        self.extra_nodes = 0
        self.anchored: set[int] = set()  # anchored nodes of earlier walks (kept alive)

    def _refuse(self, node: Any, problem: str, hint: str) -> InputError:
        return InputError(problem, path=self.path, line=node.start_mark.line + 1, hint=hint)

    def walk(self, root: Any, known: Iterable[Any] = (), depth: int = 1) -> None:
        seen: set[int] = set(self.anchored)
        # (node, depth, entering); a node is on the path between its enter and exit.
        stack: list[tuple[Any, int, bool]] = [(root, depth, True)]
        on_path: set[int] = set()
        while stack:
            node, level, entering = stack.pop()
            key = id(node)
            if not entering:
                on_path.discard(key)
                continue
            if key in on_path:
                raise self._refuse(node, "this YAML refers to itself (a recursive alias)",
                                   "write the data out instead of pointing back at it")
            again = key in seen
            if again:
                self.aliases += 1
                if self.aliases > MAX_ALIASES:
                    raise self._refuse(
                        node, f"more than {MAX_ALIASES:,} YAML aliases",
                        "write the data out instead of repeating it with aliases")
            if level > MAX_DEPTH:
                raise self._refuse(node, f"nested more than {MAX_DEPTH} levels deep",
                                   "a pack's records are a few levels deep; flatten this value")
            value = node.value
            if again:
                self.extra_nodes += 1 + (len(value) if isinstance(value, list) else 0)
                if self.extra_nodes > MAX_ALIAS_NODES:
                    raise self._refuse(
                        node, "YAML aliases expand this pack beyond "
                        f"{MAX_ALIAS_NODES:,} extra values (an alias bomb?)",
                        "write the data out instead of repeating it with aliases")
            seen.add(key)
            if not isinstance(value, list):
                continue
            on_path.add(key)
            stack.append((node, level, False))
            for item in value:
                if isinstance(item, tuple):
                    stack.append((item[1], level + 1, True))
                    stack.append((item[0], level + 1, True))
                else:
                    stack.append((item, level + 1, True))
        self.anchored.update(id(n) for n in known if id(n) in seen)


def _yaml_errors(path: str) -> Any:
    """A context that turns PyYAML's errors (and a runaway recursion) into one InputError."""
    import contextlib

    import yaml

    @contextlib.contextmanager
    def guard() -> Iterator[None]:
        try:
            yield
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problem = getattr(exc, "problem", None) or "not valid YAML"
            raise InputError(
                f"{problem}", path=path, line=mark.line + 1 if mark else None,
                hint="fix the YAML syntax (indentation, quotes, colons)",
            ) from None
        except RecursionError:
            raise InputError("nested too deeply to read", path=path,
                             hint="a pack's records are a few levels deep") from None

    return guard()


def _read_text(path: Path) -> str:
    """The pack file's text, by campaign.files's rules for every input file: a regular
    file (no FIFO, no /dev/zero), at most PACK_LIMIT bytes, UTF-8."""
    from campaign.files import PACK_LIMIT, read_input

    return read_input(path, limit_bytes=PACK_LIMIT, what="pack")


def parse_yaml(path: Path, text: str | None = None) -> tuple[Any, Any]:
    """(data, composed root) of a whole YAML file, bounded; InputError if bad.

    The whole node graph stays in memory (about 40 times the file): used for
    small files, for odd shapes, and to find the line of an error.
    """
    if text is None:
        text = _read_text(path)
    bounds = _Bounds(str(path))
    loader = _loader()(text)
    try:
        with _yaml_errors(str(path)):
            root = loader.get_single_node()
            if root is None:
                return None, None
            bounds.walk(root)
            data = loader.construct_document(root)
    finally:
        loader.dispose()
    return data, root


def _stream_loader() -> type[Any]:
    """libyaml's parser under PyYAML's own composer: records composed one at a time.

    yaml.CSafeLoader composes the whole document in C before building anything,
    and its node graph (a node and two marks per value) is what costs the memory
    and most of the time for a large pack. Composing in Python from the C
    parser's events lets each record's nodes go as soon as it is built.
    """
    import yaml
    from yaml.composer import Composer
    from yaml.constructor import SafeConstructor
    from yaml.resolver import Resolver

    try:
        from yaml._yaml import CParser
    except ImportError:  # PyYAML without libyaml: the pure-Python loader does the same
        return yaml.SafeLoader

    class StreamLoader(Composer, CParser, SafeConstructor, Resolver):
        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            Composer.__init__(self)

    return StreamLoader


def _record_models() -> dict[str, Any]:
    """The record model of each section, as the Pack model declares it."""
    import typing

    from campaign.records import Pack

    return {s: typing.get_args(Pack.model_fields[s].annotation)[0] for s in SECTIONS}


class _Invalid(Exception):
    """A pydantic error at a location in the pack, before its line is known."""

    def __init__(self, loc: tuple[Any, ...], message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.loc, self.message, self.hint = loc, message, hint


def _pydantic_problem(exc: Any, prefix: tuple[Any, ...] = ()) -> _Invalid:
    err = exc.errors()[0]
    loc = prefix + tuple(err["loc"])
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "missing":
        msg = "is missing"
    elif err["type"] == "extra_forbidden":
        msg = "is not a field of this record"
    return _Invalid(loc, msg, "see the pack format in the README")


def read_pack(path: str | Path) -> dict[str, Any]:
    """Parse and validate a pack file; returns the validated pack as plain data.

    Parsed once, record by record (see ``_stream_loader``), each record checked
    against the bounds and validated as it comes, so a pack of tens of thousands
    of records costs little more than reading it. An error's line is looked up
    afterwards, by parsing the file again whole: only a failed import pays for it.
    """
    path = Path(path)
    text = _read_text(path)
    try:
        try:
            pack = _read_streaming(text, str(path))
        except _Whole:
            data, root = parse_yaml(path, text)
            if not isinstance(data, dict):
                raise InputError("a pack is a YAML mapping with 'pack', 'title', 'sources', ...",
                                 path=str(path), line=1) from None
            pack = validate_data(data)
        _check_references(pack)
    except _Invalid as bad:
        raise InputError(bad.message, path=str(path), line=_line_of(path, text, bad.loc),
                         field=".".join(str(p) for p in bad.loc) or None,
                         hint=bad.hint) from None
    return pack


class _Whole(Exception):
    """The pack's top level is not a plain mapping: read it the whole way instead."""


def _read_streaming(text: str, path: str) -> dict[str, Any]:
    import yaml
    from pydantic import ValidationError as PydanticError

    from campaign.records import Pack

    models = _record_models()
    bounds = _Bounds(path)
    loader = _stream_loader()(text)
    top: dict[str, Any] = {}
    sections: dict[str, list[dict[str, Any]]] = {}
    try:
        with _yaml_errors(path):
            loader.get_event()  # stream start
            if loader.check_event(yaml.StreamEndEvent):
                raise _Whole
            loader.get_event()  # document start
            if not loader.check_event(yaml.MappingStartEvent):
                raise _Whole
            start = loader.get_event()
            if start.anchor is not None:
                raise _Whole
            while not loader.check_event(yaml.MappingEndEvent):
                key_node = loader.compose_node(None, None)
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
                if key == "<<" or not isinstance(key, str):
                    raise _Whole
                if key in SECTIONS and loader.check_event(yaml.SequenceStartEvent):
                    seq = loader.get_event()
                    if seq.anchor is not None:
                        raise _Whole
                    out: list[dict[str, Any]] = []
                    model = models[key]
                    while not loader.check_event(yaml.SequenceEndEvent):
                        node = loader.compose_node(None, None)
                        bounds.walk(node, known=loader.anchors.values())
                        record = loader.construct_document(node)
                        try:
                            out.append(model.model_validate(record).model_dump())
                        except PydanticError as exc:
                            raise _pydantic_problem(exc, (key, len(out))) from None
                    loader.get_event()
                    sections[key] = out
                else:
                    node = loader.compose_node(None, None)
                    bounds.walk(node, known=loader.anchors.values())
                    top[key] = loader.construct_document(node)
                    sections.pop(key, None)
            loader.get_event()
            loader.get_event()  # document end
            if not loader.check_event(yaml.StreamEndEvent):
                raise InputError("holds more than one YAML document", path=path,
                                 hint="a pack is one document: remove the '---' lines")
    finally:
        loader.dispose()
    try:
        head = Pack.model_validate({**top, **dict.fromkeys(sections, [])}).model_dump()
    except PydanticError as exc:
        raise _pydantic_problem(exc) from None
    head.update(sections)
    _pack_rules(head)
    return head


def _pack_rules(pack: dict[str, Any]) -> None:
    """The Pack model's own checks across sections (its "after" model validators),
    run on the records validated one by one: the same rules as a whole validation,
    without validating every record a second time."""
    from pydantic import ValidationError as PydanticError

    from campaign.records import Pack

    validators = [d for d in Pack.__pydantic_decorators__.model_validators.values()
                  if d.info.mode == "after"]
    for d in validators:
        try:
            d.func(_View(pack))
        except (ValueError, AssertionError) as exc:
            raise _Invalid((), str(exc), "see the pack format in the README") from None
        except PydanticError as exc:
            raise _pydantic_problem(exc) from None


class _View:
    """Validated pack data read the way a model is (``pack.demands[0].concerns.persons``),
    for the Pack model's checks: a thin wrapper, so 30,000 records cost no copies."""

    __slots__ = ("_data",)

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def __getattr__(self, name: str) -> Any:
        try:
            return _view(self._data[name])
        except KeyError:
            raise AttributeError(name) from None


def _view(value: Any) -> Any:
    if isinstance(value, dict):
        return _View(value)
    if isinstance(value, list):
        return [_view(v) for v in value]
    return value


def _line_of(path: Path, text: str, loc: tuple[Any, ...]) -> int | None:
    """The line of the value at ``loc``, from the file parsed whole (errors only)."""
    try:
        _, root = parse_yaml(path, text)
    except InputError:
        return None
    return _line(root, loc) if root is not None else None


def validate_data(data: dict[str, Any]) -> dict[str, Any]:
    """A pack's plain data validated whole: the model's dump, or _Invalid."""
    from pydantic import ValidationError as PydanticError

    from campaign.records import Pack

    try:
        return Pack.model_validate(data).model_dump()
    except PydanticError as exc:
        raise _pydantic_problem(exc) from None


def validate(data: dict[str, Any], root: Any, path: str) -> dict[str, Any]:
    """Validate parsed pack data (with its composed ``root`` for lines); InputError if bad."""
    try:
        out = validate_data(data)
        _check_references(out)
    except _Invalid as bad:
        raise InputError(bad.message, path=path,
                         line=_line(root, bad.loc) if root is not None else None,
                         field=".".join(str(p) for p in bad.loc) or None,
                         hint=bad.hint) from None
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


def _check_references(pack: dict[str, Any]) -> None:
    """Rules pydantic cannot see: unique ids, names and EP ids, sources that exist,
    documents inside the documents directory, bounded free-form fields."""
    import json

    source_ids = {s["id"] for s in pack["sources"]}
    for section in SECTIONS:
        seen: set[str] = set()
        for i, rec in enumerate(pack[section]):
            if rec["id"] in seen:
                raise _Invalid((section, i, "id"), f"id '{rec['id']}' is used twice",
                               "give each record its own id")
            seen.add(rec["id"])
            if section == "sources":
                continue
            cited: list[tuple[tuple[str | int, ...], list[str]]]
            cited = [((section, i, "sources"), rec["sources"])]
            cited += [((section, i, "events", j, "sources"), e["sources"])
                      for j, e in enumerate(rec.get("events", []))]
            cited += [((section, i, "addresses", j, "source"), [a["source"]])
                      for j, a in enumerate(rec.get("addresses", []))]
            for loc, ids in cited:
                for sid in ids:
                    if sid not in source_ids:
                        raise _Invalid(loc, f"cites unknown source '{sid}'",
                                       "add it under 'sources' or correct the id")
    for i, s in enumerate(pack["sources"]):
        if s.get("document") is not None:
            problem = document_problem(s["document"])
            if problem:
                raise _Invalid(("sources", i, "document"), problem,
                               "name a file inside the documents directory")
    eps: dict[str, str] = {}
    for i, c in enumerate(pack["contacts"]):
        ep = c.get("ep_id")
        if ep:
            if ep in eps:
                raise _Invalid(("contacts", i, "ep_id"),
                               f"the EP id {ep} is also that of contact '{eps[ep]}'",
                               "one MEP, one contact: keep one of the two records")
            eps[ep] = c["id"]
        if c["extra"]:
            try:
                size = len(json.dumps(c["extra"], ensure_ascii=False, allow_nan=False))
            except (TypeError, ValueError):
                raise _Invalid(("contacts", i, "extra"),
                               "holds a value that is not text, a number, true or false",
                               "quote dates and other values: '2012-01-01'") from None
            if size > MAX_FREE_FORM:
                raise _Invalid(("contacts", i, "extra"),
                               f"is larger than {MAX_FREE_FORM // 1024} kB",
                               "'extra' holds a few details (an office, a building), "
                               "not documents")
    owners: dict[str, str] = {}
    for i, p in enumerate(pack["persons"]):
        for n, name in enumerate([p["name"], *p["aliases"]]):
            key = names.normalise(name)
            where: tuple[str | int, ...] = (
                ("persons", i, "name") if n == 0 else ("persons", i, "aliases", n - 1))
            if not key:
                raise _Invalid(where, f"'{name}' has no letter or digit: it is not a name",
                               "write the name out")
            if key in owners and owners[key] == p["id"]:
                raise _Invalid(where, f"'{name}' is already a name of this person",
                               "remove the repeated spelling (case, accents and punctuation "
                               "do not count)")
            if key in owners and owners[key] != p["id"]:
                raise _Invalid(
                    where, f"the name '{name}' is also a name of '{owners[key]}'",
                    "one person, one record: keep the spelling as an alias of one of them")
            owners[key] = p["id"]


# -- writing into a store ----------------------------------------------------

# The store's meta keys that a pack carries. Other meta (the calendar SEQUENCE
# numbers, the record that the bundled pack was loaded) belongs to the store
# and survives an import, --replace included.
PACK_META = ("pack", "title", "description", "campaign_url")
BUNDLED_META = "bundled_pack"


def load_bundled(store: Store, name: str = BUNDLED) -> None:
    """Merge the bundled campaign into ``store`` and record that it was loaded.

    The record (meta ``bundled_pack``) is what keeps the CLI from loading it
    again on first use, also after ``import --replace`` with a smaller pack.
    """
    from campaign.bundled import record_loaded

    pack = read_pack(bundled_path(name))
    with store.transaction():
        import_pack(store, pack, replace=False)
        store.set_meta(BUNDLED_META, name)
        record_loaded(store, pack, name)  # which release it holds, for `packs update`


def first_use(store: Store) -> bool:
    """Load the bundled campaign into a store that has never had anything; True if it did.

    A store that already holds facts, or that records the bundled pack as
    loaded once, is left alone. The check is repeated under the write lock, so
    parallel first uses of one new store load the pack once.
    """
    if store.meta(BUNDLED_META) is not None or not store.is_empty():
        return False
    with store.transaction():
        if store.meta(BUNDLED_META) is not None or not store.is_empty():
            return False
        load_bundled(store)
    return True


def import_pack(store: Store, pack: dict[str, Any], *, replace: bool,
                path: str | None = None, warnings: list[str] | None = None) -> dict[str, int]:
    """Load a validated pack, all or nothing.

    Merging (the default) adds the pack's records and updates those with the
    same id; the store keeps its own title, description and web address, and
    takes the pack's only where it has none. ``replace`` first empties the
    store's campaign facts and takes the pack's title, description and address;
    it keeps the outreach log, the contacts it refers to (with their citations
    and the sources they cite), the store's profile and the calendar SEQUENCE
    numbers, so calendars still see the next update as an update.

    A demand without a ``kind`` (a pack from before kinds) gets the kind its
    record implies (``selection.infer_kind``); ``warnings`` receives one line
    naming those demands.
    """
    untyped = infer_kinds(pack)
    if untyped and warnings is not None:
        warnings.append(kinds_warning(untyped, path))
    with store.transaction():
        if replace:
            _clear(store)
        for key in PACK_META:
            if replace or not store.meta(key):
                store.set_meta(key, pack.get(key))
        _check_against_store(store, pack, path)
        _upsert(store, "sources", "", pack["sources"])
        _put_persons(store, pack["persons"], path, pack.get("pack"))
        for section in ("demands", "events", "figures"):
            _upsert(store, section, section[:-1], pack[section])
        contacts = [{("grp" if k == "group" else k): v for k, v in c.items()}
                    for c in pack["contacts"]]
        _upsert(store, "contacts", "contact", contacts)
    return {section: len(pack[section]) for section in SECTIONS}


def infer_kinds(pack: dict[str, Any]) -> list[str]:
    """Give each demand without a kind the one its record implies; the ids of those."""
    from campaign.selection import infer_kind

    untyped = []
    for d in pack["demands"]:
        if not d.get("kind"):
            d["kind"] = infer_kind(d)
            untyped.append(d["id"])
    return untyped


def kinds_warning(ids: list[str], path: str | None) -> str:
    shown = ", ".join(ids[:5]) + (f" and {len(ids) - 5:,} more" if len(ids) > 5 else "")
    where = f"{path}: " if path else ""
    return (f"{where}{len(ids):,} demand(s) have no kind ({shown}); each was given the kind "
            "it implies (release if it names people, else process): add 'kind: release', "
            "'accountability', 'process' or 'policy' to each to say which")


def _check_against_store(store: Store, pack: dict[str, Any], path: str | None) -> None:
    """Clashes with records already in the store that the pack does not replace."""
    by_ep = {ep: cid for cid, ep in store.conn.execute(
        "SELECT id, ep_id FROM contacts WHERE ep_id IS NOT NULL")}
    ep_of = {cid: ep for ep, cid in by_ep.items()}
    for i, c in enumerate(pack["contacts"]):
        ep = c.get("ep_id")
        if ep and by_ep.get(ep, c["id"]) != c["id"]:
            raise InputError(
                f"contact '{c['id']}' has the EP id {ep}, which is that of the contact "
                f"'{by_ep[ep]}' already in the store", path=path, field=f"contacts.{i}.ep_id",
                hint="one MEP, one contact: use that contact's id, or leave ep_id out")
        if c["id"] in ep_of and ep_of[c["id"]] != ep:
            raise InputError(
                f"the id '{c['id']}' is that of the MEP with EP id {ep_of[c['id']]} in the "
                "store", path=path, field=f"contacts.{i}.id",
                hint="give this contact an id of its own")


def _upsert(store: Store, table: str, record_type: str, records: list[dict[str, Any]]) -> None:
    """Insert or update ``records`` by id in one statement; their citations are replaced."""
    if not records:
        return

    columns = [k for k in records[0] if k not in ("sources", "events")]
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != "id")
    sql = (f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
           f"({', '.join('?' for _ in columns)}) ON CONFLICT(id) DO UPDATE SET {updates}")
    store.conn.executemany(sql, (_row(r, columns) for r in records))
    if record_type:
        ids = [(record_type, str(r["id"])) for r in records]
        store.conn.executemany(
            "DELETE FROM citations WHERE record_type = ? AND record_id = ?", ids)
        _cite_all(store, ((record_type, str(r["id"]), r["sources"]) for r in records))


def _row(record: dict[str, Any], columns: list[str]) -> list[Any]:
    """A record's values for ``columns``, JSON columns (as the store lists them) encoded."""
    import json

    from campaign.store import _JSON_COLUMNS

    return [json.dumps(record[c], ensure_ascii=False) if c in _JSON_COLUMNS else record[c]
            for c in columns]


def _cite_all(store: Store, items: Any) -> None:
    """Citations in bulk; the pack's sources were checked against its own list."""
    store.conn.executemany(
        "INSERT OR IGNORE INTO citations (record_type, record_id, source_id, pos)"
        " VALUES (?, ?, ?, ?)",
        ((rtype, rid, sid, pos) for rtype, rid, sids in items
         for pos, sid in enumerate(dict.fromkeys(sids))))


def _put_persons(store: Store, people: list[dict[str, Any]], path: str | None,
                 pack_name: str | None = None) -> None:
    """Persons by id: a person in the pack updates the one in the store, in place.

    What the user recorded stays: their case events (``prisoners update``), aliases and
    postal addresses. The person's events that came from a pack (or, in a store made
    before events recorded their pack, that are the same as one of this pack's) are
    replaced by the pack's; the pack's names and addresses are added.
    """
    if not people:
        return
    import json

    conn = store.conn
    ids = [(p["id"],) for p in people]
    conn.executemany("DELETE FROM citations WHERE record_type = 'person' AND record_id = ?",
                     ids)
    # Every field of the person model but its names, events, addresses and citations is a
    # column. An upsert, not a delete: deleting would cascade to the person's own events
    # and addresses.
    columns = [k for k in people[0] if k not in ("aliases", "sources", "events", "addresses")]
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != "id")
    conn.executemany(
        f"INSERT INTO persons ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
        f" ON CONFLICT(id) DO UPDATE SET {updates}",
        (_row(p, columns) for p in people))
    _put_names(store, people, path)
    _cite_all(store, (("person", p["id"], p["sources"]) for p in people))
    fields = list(EVENT_FIELDS)
    gone: list[tuple[int]] = []
    for p in people:
        same = {json.dumps(_row({k: _event(e).get(k) for k in fields}, fields))
                for e in p.get("events", [])}
        for row in conn.execute(
                f"SELECT id, pack, {', '.join(fields)} FROM case_events WHERE person_id = ?",
                (p["id"],)):
            from_a_pack = row[1] is not None
            if from_a_pack or json.dumps(list(row[2:])) in same:
                gone.append((row[0],))
    conn.executemany("DELETE FROM citations WHERE record_type = 'case_event' AND "
                     "record_id = CAST(? AS TEXT)", gone)
    conn.executemany("DELETE FROM case_events WHERE id = ?", gone)
    first = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM case_events").fetchone()[0]
    rows, cites = [], []
    eid = first
    for p in people:
        for e in p.get("events", []):
            rows.append((eid, p["id"], pack_name, *_row(
                {k: _event(e).get(k) for k in fields}, fields)))
            cites.append(("case_event", str(eid), e["sources"]))
            eid += 1
    conn.executemany(
        f"INSERT INTO case_events (id, person_id, pack, {', '.join(EVENT_FIELDS)}) VALUES "
        f"(?, ?, ?, {', '.join('?' for _ in EVENT_FIELDS)})", rows)
    _cite_all(store, cites)
    _put_addresses(store, people)


def _event(e: dict[str, Any]) -> dict[str, Any]:
    return {**e, "date_basis": e.get("date_basis") or "event", "quotes": e.get("quotes") or []}


def _put_names(store: Store, people: list[dict[str, Any]], path: str | None) -> None:
    """The pack's name and aliases for each person; names the user added stay as aliases."""
    conn = store.conn
    conn.executemany("UPDATE names SET is_alias = 1 WHERE person_id = ?",
                     [(p["id"],) for p in people])
    for p in people:
        for k, name in enumerate([p["name"], *p.get("aliases", [])]):
            norm = names.normalise(name)
            owner = conn.execute("SELECT person_id FROM names WHERE norm = ?",
                                 (norm,)).fetchone()
            if not norm or owner and owner[0] != p["id"]:
                raise InputError(
                    f"the name '{name}' of person '{p['id']}' is already a name of "
                    f"'{owner[0] if owner else '?'}' in the store", path=path,
                    hint="one person, one record: use that person's id in the pack, or "
                         "merge them with `campaign prisoners merge`")
            conn.execute(
                "INSERT INTO names (norm, person_id, name, is_alias) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(norm) DO UPDATE SET name = excluded.name, "
                "is_alias = excluded.is_alias", (norm, p["id"], name, int(k > 0)))


def _put_addresses(store: Store, people: list[dict[str, Any]]) -> None:
    """The pack's postal addresses, each once: one the store holds already is not repeated."""
    import datetime as dt

    today = dt.date.today().isoformat()
    for p in people:
        for a in p.get("addresses", []):
            # `as_of IS ?` is SQLite's alone (PostgreSQL refuses `IS $5`): NULL is asked apart.
            as_of = "as_of IS NULL" if a.get("as_of") is None else "as_of = ?"
            known = store.conn.execute(
                "SELECT 1 FROM person_addresses WHERE person_id = ? AND purpose = ? AND "
                f"address = ? AND source_id = ? AND {as_of}",
                (p["id"], a.get("purpose") or "prisoner", a["address"], a["source"],
                 *([] if a.get("as_of") is None else [a["as_of"]]))).fetchone()
            if not known:
                store.conn.execute(
                    "INSERT INTO person_addresses (person_id, purpose, address, as_of, "
                    "source_id, added) VALUES (?, ?, ?, ?, ?, ?)",
                    (p["id"], a.get("purpose") or "prisoner", a["address"], a.get("as_of"),
                     a["source"], a.get("added") or today))


def _clear(store: Store) -> None:
    """Empty the campaign's facts for --replace; keep the outreach log and what it needs."""
    kept = "SELECT contact_id FROM outreach WHERE contact_id IS NOT NULL"  # NULL: a person
    for sql in (
        f"DELETE FROM citations WHERE NOT (record_type = 'contact' AND record_id IN ({kept}))",
        "DELETE FROM case_events",
        "DELETE FROM names",
        "DELETE FROM persons",
        "DELETE FROM demands",
        "DELETE FROM events",
        "DELETE FROM figures",
        f"DELETE FROM contacts WHERE id NOT IN ({kept})",
        "DELETE FROM sources WHERE id NOT IN (SELECT source_id FROM citations)",
    ):
        store.conn.execute(sql)
    store.conn.executemany("DELETE FROM meta WHERE key = ?", [(k,) for k in PACK_META])


def backup(store: Store) -> Path | None:
    """A copy of the store as it is now, beside it, owner-only; returns its path.

    Taken with SQLite's backup API, so a store in WAL mode is copied whole and
    consistent. Made before ``import --replace`` so a mistaken replace can be undone.

    A PostgreSQL store has no file to copy, and campaign cannot make its server's
    backups (pg_dump is the server's tool, and the member may not have its rights).
    What ``--replace`` replaces is the campaign's facts, so they are saved instead,
    as ``campaign export`` writes them (a YAML pack, which ``campaign import
    --replace`` takes back), in the place the default store and its copies live (the
    user data directory), as ``<database>-on-<host>.before-replace-<time>.yaml``:
    the outreach log and the profiles, which --replace keeps, are not in it. It is
    read in one transaction, holding the writers' lock, so it is one consistent
    state; a coordinator's change committed between it and the replace is in
    neither.
    """
    import datetime as dt
    import sqlite3

    from campaign.errors import StoreError

    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    if store.path is None:
        return _export_backup(store, stamp)
    target = _new_file(store.path.with_name(f"{store.path.name}.before-replace-{stamp}"))
    try:
        copy = sqlite3.connect(target)
        try:
            store.conn.backup(copy)
        finally:
            copy.close()
        os.chmod(target, 0o600)
    except (sqlite3.Error, OSError) as exc:
        target.unlink(missing_ok=True)
        raise StoreError(f"cannot make a backup of the store beside it ({exc})",
                         "free some space and try again; nothing was replaced") from None
    return target


def _new_file(base: Path, suffix: str = "") -> Path:
    """A new owner-only file named ``base`` (or ``base-2``, ``base-3``, ...)."""
    from campaign.errors import StoreError

    target = base.with_name(base.name + suffix)
    n = 1
    while True:
        try:
            fd = os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            os.close(fd)
            return target
        except FileExistsError:
            n += 1
            target = base.with_name(f"{base.name}-{n}{suffix}")
        except OSError as exc:
            raise StoreError(f"cannot make a backup of the campaign in {base.parent} "
                             f"({exc.strerror})",
                             "free some space or fix the directory's permissions; "
                             "nothing was replaced") from None


def _export_backup(store: Store, stamp: str) -> Path:
    """The campaign's facts as ``campaign export`` writes them, saved before a replace of
    a store that is no file (a PostgreSQL database): see ``backup``."""
    from urllib.parse import urlsplit

    from platformdirs import user_data_dir

    from campaign.errors import StoreError

    parts = urlsplit(store.url or "")
    place = f"{parts.path.lstrip('/') or 'database'}-on-{parts.hostname or 'localhost'}"
    if parts.port:
        place += f"-{parts.port}"
    place = re.sub(r"[^A-Za-z0-9._-]+", "-", place).strip("-.") or "database"
    directory = Path(user_data_dir("campaign", appauthor=False))
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise StoreError(f"cannot make a backup of the campaign in {directory} "
                         f"({exc.strerror})", "fix the directory's permissions; "
                         "nothing was replaced") from None
    with store.transaction():  # one state: the writers' lock is held while it is read
        text = "".join(iter_pack_yaml(store))
    target = _new_file(directory / f"{place}.before-replace-{stamp}", ".yaml")
    try:
        with open(target, "wb") as out:
            out.write(text.encode("utf-8"))
            out.flush()
            os.fsync(out.fileno())
    except OSError as exc:
        target.unlink(missing_ok=True)
        raise StoreError(f"cannot make a backup of the campaign in {directory} "
                         f"({exc.strerror})", "free some space and try again; "
                         "nothing was replaced") from None
    return target


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


def _head(store: Store) -> dict[str, Any]:
    return _clean({
        "pack": store.meta("pack") or "campaign",
        "title": store.meta("title") or "Campaign",
        "description": store.meta("description"),
        "campaign_url": store.meta("campaign_url"),
    })


def _raw_persons(store: Store) -> list[dict[str, Any]]:
    """Every person with aliases, events (by id) and quotes, as stored: no date is read as
    a date here, so that export and check work on a store holding a malformed one."""
    import json

    event_cites = store.citations("case_event")
    aliases: dict[str, list[str]] = {}
    for pid, name in store.conn.execute(
            "SELECT person_id, name FROM names WHERE is_alias = 1 ORDER BY seq"):
        aliases.setdefault(pid, []).append(name)
    events: dict[str, list[dict[str, Any]]] = {}
    for e in store.rows("SELECT * FROM case_events ORDER BY id"):
        e.pop("pack", None)
        e["sources"] = event_cites.get(str(e["id"]), [])
        events.setdefault(e.pop("person_id"), []).append(e)
    out = []
    for row in store.conn.execute("SELECT * FROM persons ORDER BY seq"):
        p = dict(row)
        p["quotes"] = json.loads(p["quotes"]) if isinstance(p["quotes"], str) else p["quotes"]
        out.append({**p, "aliases": aliases.get(p["id"], []), "events": events.get(p["id"], [])})
    return out


def _persons_out(store: Store) -> Iterator[dict[str, Any]]:
    everyone = _raw_persons(store)
    person_cites = store.citations("person")
    addresses: dict[str, list[dict[str, Any]]] = {}
    for a in store.rows("SELECT * FROM person_addresses ORDER BY id"):
        addresses.setdefault(a["person_id"], []).append(_clean({
            "purpose": a["purpose"], "address": a["address"], "as_of": a["as_of"],
            "source": a["source_id"], "added": a["added"]}, drop=()))
    for p in everyone:
        events = [_clean(e, drop=("id",)) for e in
                  sorted(p["events"], key=lambda e: e["id"])]
        yield _clean({
            "id": p["id"], "name": p["name"], "aliases": p["aliases"],
            "description": p["description"], "role": p.get("role"),
            "sources": person_cites.get(p["id"], []),
            "quotes": p["quotes"], "events": events,
            "addresses": addresses.get(p["id"], []),
        })


def _events_out(store: Store) -> Iterator[dict[str, Any]]:
    for e in store.cited_rows("events", "event"):
        e["planned"] = bool(e["planned"])
        yield _clean(e)


def _contacts_out(store: Store) -> Iterator[dict[str, Any]]:
    import json

    cites = store.citations("contact")
    # A cursor, not a list: an export of 100,000 contacts holds one at a time.
    for row in store.conn.execute("SELECT * FROM contacts ORDER BY seq"):
        c = dict(row)
        c.pop("seq", None)
        for key in ("quotes", "aliases", "extra"):
            c[key] = json.loads(c[key])
        c["sources"] = cites.get(str(c["id"]), [])
        c["group"] = c.pop("grp")
        c["historical"] = bool(c["historical"])
        yield _clean(c)


def _sections_out(store: Store) -> Iterator[tuple[str, Iterable[dict[str, Any]]]]:
    yield "sources", (_clean(s) for s in store.sources())
    yield "persons", _persons_out(store)
    yield "demands", (_clean(d) for d in store.demands())
    yield "events", _events_out(store)
    yield "figures", (_clean(f) for f in store.figures())
    yield "contacts", _contacts_out(store)


def export_pack(store: Store) -> dict[str, Any]:
    """The whole campaign as one pack (plain data); see ``iter_pack_yaml`` to stream it."""
    pack = _head(store)
    for section, rows in _sections_out(store):
        pack[section] = list(rows)
    return pack


def iter_pack_yaml(store: Store) -> Iterator[str]:
    """The campaign as pack YAML, a record at a time: the same text as
    ``dump_pack(export_pack(store))`` without the whole document in memory."""
    return _yaml_chunks(_head(store).items(), _sections_out(store))


def dump_pack(pack: dict[str, Any]) -> str:
    head = [(k, v) for k, v in pack.items() if k not in SECTIONS]
    sections = [(k, v) for k, v in pack.items() if k in SECTIONS]
    return "".join(_yaml_chunks(head, sections))


def _yaml_chunks(head: Iterable[tuple[str, Any]],
                 sections: Iterable[tuple[str, Iterable[dict[str, Any]]]]) -> Iterator[str]:
    """Block YAML written a top-level key, then a record, at a time (libyaml's emitter).

    A top-level block sequence under a key is written without indentation, so
    each record dumped alone as a one-item list is exactly its part of the whole.
    """
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

    def dump(value: Any) -> str:
        return yaml.dump(value, Dumper=dumper, allow_unicode=True, sort_keys=False, width=100)

    for key, value in head:
        yield dump({key: value})
    for key, rows in sections:
        empty = True
        for row in rows:
            if empty:
                yield f"{key}:\n"
                empty = False
            yield dump([row])
        if empty:
            yield f"{key}: []\n"


_WS = re.compile(r"\s+")


def _documents(store: Store) -> dict[str, str]:
    """source id -> whitespace-normalised text, for the sources whose text the package carries."""
    docs: dict[str, str] = {}
    for s in store.sources():
        doc = document_path(s.get("document"))
        if doc is not None:
            docs[s["id"]] = _WS.sub(" ", doc.read_text(encoding="utf-8", errors="replace"))
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
    everyone = _raw_persons(store)
    events = [dict(e, id=f"{p['id']}#{e['id']}") for p in everyone for e in p["events"]]
    person_cites = store.citations("person")
    people = [dict(p, sources=person_cites.get(p["id"], [])) for p in everyone]
    return [("person", people), ("case event", events), ("demand", store.demands()),
            ("event", store.events()), ("figure", store.figures()),
            ("contact", store.contacts())]


def _concerned_persons(store: Store) -> list[tuple[str, str]]:
    """(demand id, person id) for each person a demand concerns who is not in the store."""
    import json

    known = {r[0] for r in store.conn.execute("SELECT id FROM persons")}
    dangling = []
    for did, raw in store.conn.execute("SELECT id, concerns FROM demands ORDER BY seq"):
        try:
            concerns = json.loads(raw or "null") or {}
        except ValueError:
            continue
        for pid in concerns.get("persons") or [] if isinstance(concerns, dict) else []:
            if pid not in known:
                dangling.append((str(did), str(pid)))
    return dangling


def check(store: Store) -> list[dict[str, str]]:
    """Integrity report: uncited records, dangling references, near-duplicate names."""
    from campaign.integrity import malformed_dates

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
    for did, pid in _concerned_persons(store):
        add("error", f"demand {did}", f"concerns '{pid}', who is not in the store; correct "
                                      "the demand or remove it")
    cited = {r[0] for r in store.conn.execute(
        "SELECT source_id FROM citations UNION SELECT source_id FROM person_addresses")}
    for s in store.sources():
        if s["id"] not in cited:
            add("warning", f"source {s['id']}", "is not cited by any record")
    for bad in malformed_dates(store):
        add("error", bad["record"], f"its {bad['field']} '{bad['value']}' is not a date; "
                                    f"correct it with {bad['fix']}")
    everyone = _raw_persons(store)
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

