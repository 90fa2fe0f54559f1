"""Hostile packs: bombs, paths out, odd shapes, bad addresses, clashes with the store.

Every refused case asserts: exit 1, one `campaign: error:` line naming the file
(and the line where there is one), no traceback, the store export-identical to
before and no file left beside it.
"""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from store_dump import state

from campaign.errors import InputError
from campaign.pack import dump_pack, export_pack, read_pack
from campaign.store import Store

HEAD = """pack: t
title: T
sources:
  - id: s1
    title: A report
    publisher: Someone
    published: "2012-03"
"""


def refused(cli, error_line, db: Path, pack: Path, *words: str,  # type: ignore[no-untyped-def]
            replace: bool = False) -> str:
    before = state(db)
    args = ["import", str(pack)] + (["--replace"] if replace else [])
    line = error_line(cli(*args))
    for w in words:
        assert w in line, line
    assert state(db) == before
    return line


def write(tmp_path: Path, text: str, name: str = "p.yaml") -> Path:
    d = tmp_path / "in"
    d.mkdir(exist_ok=True)
    path = d / name
    path.write_text(text, encoding="utf-8")
    return path


def contact(extra: str, **fields: str) -> str:
    more = "".join(f"\n    {k}: {v}" for k, v in fields.items())
    return HEAD + f"""contacts:
  - id: c1
    name: A Contact
    kind: press
    sources: [s1]{more}
    extra: {extra}
"""


def bomb(levels: int) -> str:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for n in range(1, levels):
        prev = f"*a{n - 1}"
        lines.append(f"a{n}: &a{n} [{', '.join([prev] * 9)}]")
    return "{" + ", ".join(lines) + "}"


# -- size and shape bombs ------------------------------------------------------


def test_alias_bomb_in_extra_is_refused_fast(cli, error_line, db_path, tmp_path) -> None:
    path = write(tmp_path, contact(bomb(9)))
    assert path.stat().st_size < 1000
    t0 = time.monotonic()
    refused(cli, error_line, db_path, path, str(path), "line", "alias")
    assert time.monotonic() - t0 < 10


def test_seven_level_bomb_is_refused(cli, error_line, db_path, tmp_path) -> None:
    refused(cli, error_line, db_path, write(tmp_path, contact(bomb(7))), "alias")


def test_alias_bomb_at_top_level(cli, error_line, db_path, tmp_path) -> None:
    text = HEAD.replace("title: T\n", "title: T\nbomb: " + bomb(8) + "\n")
    refused(cli, error_line, db_path, write(tmp_path, text), "alias")


def test_recursive_sequence_is_one_line(cli, error_line, db_path, tmp_path) -> None:
    refused(cli, error_line, db_path, write(tmp_path, contact("&x [1, *x]")), "itself")


def test_recursive_mapping_is_one_line(cli, error_line, db_path, tmp_path) -> None:
    refused(cli, error_line, db_path, write(tmp_path, contact("&x {a: *x}")), "itself")


def test_recursive_quotes_is_one_line(cli, error_line, db_path, tmp_path) -> None:
    text = HEAD + "demands:\n  - &d {id: d1, text: t, sources: [s1], quotes: [*d]}\n"
    refused(cli, error_line, db_path, write(tmp_path, text), "itself")


def test_deep_nesting_is_refused(cli, error_line, db_path, tmp_path) -> None:
    refused(cli, error_line, db_path, write(tmp_path, contact("[" * 200 + "]" * 200)),
            "levels deep")


def test_too_many_aliases_are_refused(cli, error_line, db_path, tmp_path) -> None:
    many = "{k: &v x, l: [" + ", ".join(["*v"] * 1500) + "]}"
    refused(cli, error_line, db_path, write(tmp_path, contact(many)), "aliases")


def test_huge_free_form_field_is_refused(cli, error_line, db_path, tmp_path) -> None:
    big = json.dumps({"notes": "x" * 70_000})
    refused(cli, error_line, db_path, write(tmp_path, contact(big)), "contacts.0.extra", "kB")


def test_a_few_aliases_still_load(tmp_path) -> None:
    text = HEAD + "demands:\n  - {id: d1, text: t, sources: &s [s1]}\n" \
        "  - {id: d2, text: u, sources: *s}\n"
    assert [d["sources"] for d in read_pack(write(tmp_path, text))["demands"]] == [["s1"]] * 2


# -- files that are not packs --------------------------------------------------


def test_fifo_is_refused_without_hanging(cli, error_line, db_path, tmp_path) -> None:
    fifo = tmp_path / "in.yaml"
    os.mkfifo(fifo)
    before = state(db_path)
    line = error_line(cli("import", str(fifo)))
    assert "not a regular file" in line
    assert state(db_path) == before


def test_dev_null_is_refused(cli, error_line, db_path) -> None:
    before = state(db_path)
    assert "not a regular file" in error_line(cli("import", "/dev/null"))
    assert state(db_path) == before


def test_directory_is_refused(cli, error_line, db_path, tmp_path) -> None:
    assert "directory" in error_line(cli("import", str(tmp_path)))


def test_too_large_is_refused(cli, error_line, db_path, tmp_path, monkeypatch) -> None:
    import campaign.files

    monkeypatch.setattr(campaign.files, "PACK_LIMIT", 1024 * 1024)
    path = write(tmp_path, HEAD + "# " + "x" * (1024 * 1024 + 10) + "\n")
    refused(cli, error_line, db_path, path, "too large")


def test_not_utf8_is_refused(cli, error_line, db_path, tmp_path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(HEAD.replace("Someone", "Société").encode("latin-1"))
    refused(cli, error_line, db_path, path, "UTF-8")


def test_missing_file(cli, error_line, db_path, tmp_path) -> None:
    refused(cli, error_line, db_path, tmp_path / "nope.yaml", "no such file")


@pytest.mark.parametrize("text", ["", "just a string\n", "- a\n- list\n", "42\n", "~\n"])
def test_not_a_mapping(cli, error_line, db_path, tmp_path, text: str) -> None:
    refused(cli, error_line, db_path, write(tmp_path, text), "mapping")


def test_unhashable_key_is_one_line(cli, error_line, db_path, tmp_path) -> None:
    refused(cli, error_line, db_path, write(tmp_path, HEAD + "? [a, b]\n: c\n"), "line")


def test_python_tag_is_refused(cli, error_line, db_path, tmp_path) -> None:
    text = HEAD + "x: !!python/object/apply:os.system ['touch pwned']\n"
    refused(cli, error_line, db_path, write(tmp_path, text), "line")
    assert not Path("pwned").exists()


# -- documents outside the documents directory --------------------------------


@pytest.mark.parametrize("doc", ["../../../../../../etc/passwd", "/etc/passwd",
                                 "sub/../../x.txt", "..\\..\\x.txt", "C:\\Windows\\x.txt"])
def test_document_path_out_is_refused(cli, error_line, db_path, tmp_path, doc: str) -> None:
    text = HEAD + f"    document: {json.dumps(doc)}\n"
    refused(cli, error_line, db_path, write(tmp_path, text), "sources.0.document", "line 8")


def test_sources_show_never_prints_a_file_outside(cli, db_path) -> None:
    st_ = Store(db_path)
    with st_.transaction():
        st_.conn.execute("UPDATE sources SET document = '../../../../../../../etc/passwd'")
    st_.close()
    sid = json.loads(cli("sources", "list", "-f", "json").stdout)[0]["id"]
    r = cli("sources", "show", sid, "--text")
    assert r.exit_code == 0
    assert "root:" not in r.stdout and "no copy of this document" in r.stdout


def test_symlink_out_of_documents_is_not_followed(cli, db_path, tmp_path, monkeypatch) -> None:
    import campaign.pack

    docs = tmp_path / "docs"
    docs.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET CONTENTS", encoding="utf-8")
    (docs / "link.txt").symlink_to(secret)
    (docs / "real.txt").write_text("the real report", encoding="utf-8")
    monkeypatch.setattr(campaign.pack, "documents_dir", lambda: docs)
    st_ = Store(db_path)
    with st_.transaction():
        ids = [s["id"] for s in st_.sources()]
        st_.conn.execute("UPDATE sources SET document = 'link.txt' WHERE id = ?", (ids[0],))
        st_.conn.execute("UPDATE sources SET document = 'real.txt' WHERE id = ?", (ids[1],))
    st_.close()
    assert "SECRET" not in cli("sources", "show", ids[0], "--text").stdout
    assert "the real report" in cli("sources", "show", ids[1], "--text").stdout


# -- web addresses -------------------------------------------------------------


@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd",
                                 "data:text/html,<b>x</b>", "[x](http://evil.example)",
                                 "http://", "ftp://example.org/x", "not a url at all"])
def test_source_url_other_than_http_is_refused(cli, error_line, db_path, tmp_path,
                                               url: str) -> None:
    text = HEAD + f"    url: {json.dumps(url)}\n"
    refused(cli, error_line, db_path, write(tmp_path, text), "sources.0.url", "line 8")


def test_campaign_url_javascript_is_refused(cli, error_line, db_path, tmp_path) -> None:
    text = HEAD.replace("title: T\n", "title: T\ncampaign_url: 'javascript:alert(1)'\n")
    refused(cli, error_line, db_path, write(tmp_path, text), "campaign_url")


def test_contact_url_markdown_is_refused(cli, error_line, db_path, tmp_path) -> None:
    text = contact("{}", url="'[x](http://evil.example)'")
    refused(cli, error_line, db_path, write(tmp_path, text), "contacts.0.url")


def test_bare_domain_becomes_https(tmp_path) -> None:
    text = HEAD.replace("title: T\n", "title: T\ncampaign_url: example.org\n") + \
        "    url: www.example.org/report\n"
    pack = read_pack(write(tmp_path, text))
    assert pack["campaign_url"] == "https://example.org"
    assert pack["sources"][0]["url"] == "https://www.example.org/report"


def test_bundled_campaign_url_is_https(store: Store) -> None:
    assert store.meta("campaign_url") == "https://campaignkazakhstan.org"
    assert all((c.get("url") or "https://").startswith(("https://", "http://"))
               for c in store.contacts())


# -- records that clash or overflow -------------------------------------------


def test_duplicate_ep_id_in_a_pack(cli, error_line, db_path, tmp_path) -> None:
    text = HEAD + "contacts:\n" + "".join(
        f"  - {{id: m{n}, name: M {n}, kind: mep, ep_id: '1', sources: [s1]}}\n"
        for n in (1, 2))
    refused(cli, error_line, db_path, write(tmp_path, text), "contacts.1.ep_id", "EP id 1")


def test_ep_id_of_an_mep_in_the_store(cli, error_line, meps_db, tmp_path) -> None:
    text = HEAD + "contacts:\n  - {id: other, name: O, kind: mep, ep_id: '124984', " \
        "sources: [s1]}\n"
    refused(cli, error_line, meps_db, write(tmp_path, text), "mep-124984")


def test_contact_id_of_an_mep_in_the_store(cli, error_line, meps_db, tmp_path) -> None:
    text = HEAD + "contacts:\n  - {id: mep-124984, name: Someone, kind: press, " \
        "sources: [s1]}\n"
    refused(cli, error_line, meps_db, write(tmp_path, text), "contacts.0.id", "EP id 124984")


def test_huge_figure_number(cli, error_line, db_path, tmp_path) -> None:
    text = HEAD + "figures:\n  - {id: f, subject: s, number: 99999999999999999999999, " \
        "according_to: x, sources: [s1]}\n"
    refused(cli, error_line, db_path, write(tmp_path, text), "figures.0.number", "too large")


def test_punctuation_only_person_name(cli, error_line, db_path, tmp_path) -> None:
    text = HEAD + "persons:\n  - {id: p, name: '!!!', sources: [s1]}\n"
    refused(cli, error_line, db_path, write(tmp_path, text), "persons.0.name", "not a name")


def test_person_name_of_another_person_in_the_store(cli, error_line, db_path,
                                                    tmp_path) -> None:
    text = HEAD + "persons:\n  - {id: someone-new, name: Roza Tuletaeva, sources: [s1]}\n"
    refused(cli, error_line, db_path, write(tmp_path, text), "Roza Tuletaeva", "already")


def test_unknown_source_cited(cli, error_line, db_path, tmp_path) -> None:
    text = HEAD + "demands:\n  - {id: d, text: t, sources: [nope]}\n"
    refused(cli, error_line, db_path, write(tmp_path, text), "unknown source 'nope'")


def test_replace_that_fails_changes_nothing_but_keeps_its_backup(
    cli, error_line, db_path, tmp_path
) -> None:
    text = HEAD + "demands:\n  - {id: d, text: t, sources: [nope]}\n"
    refused(cli, error_line, db_path, write(tmp_path, text), "nope", replace=True)


# -- what an import keeps ------------------------------------------------------


def test_merge_keeps_the_store_title(cli, db_path, tmp_path) -> None:
    text = HEAD.replace("title: T\n", "title: T\ndescription: other\n")
    assert cli("import", str(write(tmp_path, text))).exit_code == 0
    st_ = Store(db_path)
    assert st_.meta("title") != "T" and st_.meta("description") != "other"
    assert st_.meta("campaign_url") == "https://campaignkazakhstan.org"
    st_.close()


def test_replace_backs_up_and_keeps_sequences_and_kept_citations(cli, meps_db,
                                                                 tmp_path) -> None:
    st_ = Store(meps_db)
    with st_.transaction():
        st_.set_meta("ics:uid-1@x", json.dumps({"digest": "d", "sequence": 4}))
        st_.conn.execute(
            "INSERT INTO outreach (contact_id, document, created, digest) "
            "VALUES ('mep-124984', 'letter', '2020-01-01', 'x')")
    st_.close()
    r = cli("import", str(write(tmp_path, HEAD)), "--replace")
    assert r.exit_code == 0, r.stderr
    backups = list(meps_db.parent.glob(f"{meps_db.name}.before-replace-*"))
    assert len(backups) == 1 and str(backups[0]) in r.stderr
    assert stat.S_IMODE(backups[0].stat().st_mode) == 0o600
    old = Store(backups[0])
    assert old.conn.execute("SELECT count(*) FROM persons").fetchone()[0] > 20
    old.close()
    st_ = Store(meps_db)
    assert json.loads(st_.meta("ics:uid-1@x") or "{}")["sequence"] == 4
    assert st_.citations("contact")["mep-124984"] == ["ep-meps"]
    assert st_.meta("title") == "T"
    st_.close()
    assert cli("check").exit_code in (0, 1)
    assert "cites no source" not in cli("check").stdout


# -- generated packs -----------------------------------------------------------

_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20),
                     st.floats(allow_nan=True))
_values = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12)
_fields = st.sampled_from(["id", "name", "kind", "sources", "date", "number", "url",
                           "document", "events", "ep_id", "extra", "title", "published",
                           "publisher", "text", "subject", "according_to", "aliases"])
_records = st.lists(st.dictionaries(_fields, _values, max_size=8), max_size=3)
_packs = st.fixed_dictionaries(
    {"pack": _values, "title": _values},
    optional={s: _records for s in ("sources", "persons", "demands", "events", "figures",
                                    "contacts")})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(pack=_packs)
def test_generated_packs_load_whole_or_are_refused_with_file_and_field(
    pack: dict, empty_store: Store, tmp_path: Path
) -> None:
    import yaml

    from campaign.pack import import_pack

    path = tmp_path / "gen.yaml"
    path.write_text(yaml.safe_dump(pack, allow_unicode=True), encoding="utf-8")
    before = dump_pack(export_pack(empty_store))
    try:
        data = read_pack(path)
    except InputError as exc:
        assert str(path) in str(exc) and "\n" not in str(exc)
        assert exc.line is not None or exc.field is not None, str(exc)
        assert dump_pack(export_pack(empty_store)) == before
        return
    try:
        import_pack(empty_store, data, replace=True, path=str(path))
    except InputError as exc:
        assert "\n" not in str(exc)
        assert dump_pack(export_pack(empty_store)) == before


def test_alias_bomb_spread_over_records(cli, error_line, db_path, tmp_path) -> None:
    """Anchors in one record, the expansion in later ones: counted over the whole file."""
    text = HEAD + "demands:\n  - {id: d0, text: t, sources: [s1], quotes: &q0 [" + \
        ", ".join(["x"] * 300) + "]}\n" + "".join(
            f"  - {{id: d{n}, text: t, sources: [s1], quotes: *q0}}\n" for n in range(1, 800))
    refused(cli, error_line, db_path, write(tmp_path, text), "alias")


def test_aliases_across_records_load(tmp_path) -> None:
    text = HEAD + "demands:\n  - {id: d1, text: &t Free them, sources: [s1]}\n" \
        "  - {id: d2, text: *t, sources: [s1]}\n"
    assert [d["text"] for d in read_pack(write(tmp_path, text))["demands"]] == ["Free them"] * 2


def test_two_documents_are_refused(cli, error_line, db_path, tmp_path) -> None:
    refused(cli, error_line, db_path, write(tmp_path, HEAD + "---\npack: u\n"), "document")


@pytest.mark.parametrize("extra", ["{since: 2012-01-01}", "{b: !!binary aGVsbG8=}",
                                   "{n: .nan}", "{s: !!set {a, b}}", "{t: 2012-01-01 10:00:00}"])
def test_extra_values_that_are_not_json(cli, error_line, db_path, tmp_path, extra: str) -> None:
    refused(cli, error_line, db_path, write(tmp_path, contact(extra)), "contacts.0.extra",
            "line")


def test_alias_repeating_the_name(cli, error_line, db_path, tmp_path) -> None:
    text = HEAD + "persons:\n  - {id: p, name: Ann Example, aliases: ['ANN EXAMPLE.'], " \
        "sources: [s1]}\n"
    refused(cli, error_line, db_path, write(tmp_path, text), "persons.0.aliases.0",
            "already a name of this person")


def test_person_id_used_twice_across_a_merge(cli, db_path, tmp_path) -> None:
    """A person in the pack with a store person's id replaces that person, names and all."""
    text = HEAD + "persons:\n  - {id: roza-tuletaeva, name: Roza Tuletaeva, " \
        "aliases: [Rosa Tuletayeva], sources: [s1]}\n"
    assert cli("import", str(write(tmp_path, text))).exit_code == 0
    p = json.loads(cli("prisoners", "show", "Rosa Tuletayeva", "-f", "json").stdout)
    assert p["id"] == "roza-tuletaeva" and p["events"] == []


def test_importing_the_store_itself(cli, error_line, db_path) -> None:
    before = db_path.read_bytes()
    line = error_line(cli("import", str(db_path)))
    assert "UTF-8" in line or "mapping" in line or "YAML" in line
    assert db_path.read_bytes() == before


@pytest.mark.parametrize("date", ["0000", "1799-12-31", "2200", "9999-12-17"])
def test_dates_outside_1800_to_2199_are_refused(cli, error_line, db_path, tmp_path,
                                                date: str) -> None:
    text = HEAD + f"persons:\n  - id: p\n    name: Ann Example\n    sources: [s1]\n" \
        f"    events:\n      - {{kind: arrested, date: '{date}', sources: [s1]}}\n"
    refused(cli, error_line, db_path, write(tmp_path, text), "persons.0.events.0.date",
            "1800", "line 13")
