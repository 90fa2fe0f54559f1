"""Letters to prisoners and families: the language, the English rendering, first letters,
the released, remembrance, and the outreach log with persons (documents/letters/persons)."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest

from campaign.documents import letters as L
from campaign.store import Store

SENDER = L.Sender("Jane Doe", "1 Main Street\nDublin 1", "Unite Dublin Central")
SENDER_ARGS = ("--sender", "Jane Doe", "--sender-org", "Unite Dublin Central")
NOW = dt.date(2026, 12, 2)
PRISON_WORDS = ("do not worry if you cannot", "Take care of yourself", "You are not forgotten")


def _cyrillic_share(text: str) -> float:
    letters = [ch for ch in text if ch.isalpha()]
    return sum("\u0400" <= ch <= "\u04ff" for ch in letters) / max(1, len(letters))


# -- the language ------------------------------------------------------------------------

def test_auto_writes_russian_to_someone_held_in_kazakhstan(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "letters"
    r = cli("letter", "--to", "prisoner", "--prisoner", "Roza Tuletaeva", *SENDER_ARGS,
            "--as-of", "2026-12-02", "-o", str(out), "-f", "md")
    assert r.exit_code == 0, r.stderr
    russian, english = sorted(out.iterdir())
    ru = russian.read_text("utf-8")
    assert "Здравствуйте, Роза!" in ru and _cyrillic_share(ru.split("Роза!", 1)[1]) > 0.8
    en = english.read_text("utf-8")
    assert "do-not-send" in english.name
    assert en.startswith("**For your records — do not send.**")
    assert "FOR YOUR RECORDS — DO NOT SEND" in en  # where the address would go
    assert "Dear Roza," in en and "This is my first letter to you." in en
    # one letter in the log: the Russian one, to the person; the rendering is not logged
    log = json.loads(cli("outreach", "list", "-f", "json").stdout)
    assert [(e["contact"], e["kind"], e["paths"], e["state"]) for e in log] == \
        [("Roza Tuletaeva", "person", [str(russian)], "drafted")]


def test_lang_en_on_request_and_other_kinds_stay_english(cli, meps_db: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("letter", "--to", "prisoner", "--prisoner", "Roza Tuletaeva", *SENDER_ARGS,
            "--lang", "en")
    assert r.exit_code == 0 and "Dear Roza," in r.stdout and "Здравствуйте" not in r.stdout
    assert "For your records" not in r.stdout
    mep = cli("letter", "--to", "mep", "--contact", "Lynn Boylan", *SENDER_ARGS)
    assert mep.exit_code == 0, mep.stderr
    assert "Dear " in mep.stdout and "For your records" not in mep.stdout


def _add_person(st: Store, name: str, place: str | None) -> None:
    from campaign.people import add_person

    with st.transaction():
        add_person(st, {"name": name, "aliases": [], "description": None,
                        "sources": ["socialistworld-2014-01"], "quotes": [],
                        "events": [{"kind": "imprisoned", "date": "2014-01", "place": place,
                                    "sources": ["socialistworld-2014-01"]}]})


def test_the_place_of_detention_decides_then_the_campaigns_country(store: Store) -> None:
    _add_person(store, "Anna Berg", "Berlin, Germany")
    _add_person(store, "Olga Minskaya", "prison in Minsk, Belarus")
    _add_person(store, "Nobody Placed", None)
    [de] = L.prepare(store, "prisoner", sender=SENDER, prisoners=["Anna Berg"], lang="auto")
    assert "Dear Anna," in de.markdown and not any("English" in w for w in de.warnings)
    by, by_en = L.prepare(store, "prisoner", sender=SENDER, prisoners=["Olga Minskaya"],
                          lang="auto")
    assert "Здравствуйте" in by.markdown and by_en.record_only
    # no place: the campaign's country (its title names Kazakhstan)
    kz, _ = L.prepare(store, "prisoner", sender=SENDER, prisoners=["Nobody Placed"],
                      lang="auto")
    assert "Здравствуйте" in kz.markdown
    # a campaign that names no country: English, with a warning saying how to choose
    with store.transaction():
        store.set_meta("title", "Solidarity campaign")
        store.set_meta("description", "Letters and pickets.")
    [plain] = L.prepare(store, "prisoner", sender=SENDER, prisoners=["Nobody Placed"],
                        lang="auto")
    assert "Dear Nobody," in plain.markdown
    assert any("--lang ru" in w and "Nobody Placed" in w for w in plain.warnings)
    # a place of detention still counts without the campaign's country
    by, _ = L.prepare(store, "prisoner", sender=SENDER, prisoners=["Olga Minskaya"],
                      lang="auto")
    assert "Здравствуйте" in by.markdown


def test_your_english_only_template_is_used_with_a_warning(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    mine = tmp_path / "mine"
    mine.mkdir()
    assert cli("templates", "copy", "letter-prisoner.md.j2", str(mine)).exit_code == 0
    path = mine / "letter-prisoner.md.j2"
    path.write_text(path.read_text("utf-8").replace("{{ closing }}",
                                                    "Our own words.\n\n{{ closing }}"), "utf-8")
    r = cli("letter", "--to", "prisoner", "--prisoner", "Roza Tuletaeva", *SENDER_ARGS,
            "--templates", str(mine))
    assert r.exit_code == 0, r.stderr
    assert "Our own words." in r.stdout and "Здравствуйте" not in r.stdout
    assert "exists only in English" in r.stderr and "letter-prisoner.ru.md.j2" in r.stderr


# -- what a letter says --------------------------------------------------------------------

def test_a_released_person_gets_solidarity_not_the_prison_letter(store: Store) -> None:
    [ltr] = L.prepare(store, "prisoner", sender=SENDER, prisoners=["Natalia Sokolova"],
                      released_ok=True, lang="en", as_of=NOW)
    assert "you were released (as reported in January 2014)" in ltr.markdown
    for words in PRISON_WORDS:
        assert words not in ltr.markdown
    [held] = L.prepare(store, "prisoner", sender=SENDER, prisoners=["Roza Tuletaeva"],
                       lang="en", as_of=NOW)
    assert all(words in held.markdown for words in PRISON_WORDS)


def test_keep_writing_only_after_a_letter_was_sent(store: Store, tmp_path: Path) -> None:
    from campaign.outreach import entries, mark

    [first] = L.prepare(store, "prisoner", sender=SENDER, prisoners=["Roza Tuletaeva"],
                        lang="en", as_of=NOW)
    assert "My name is Jane Doe and I write from Unite Dublin Central." in first.markdown
    assert "keep writing" not in first.markdown
    L.commit(store, [first], L.plan_output(str(tmp_path / "a"), L.FORMATS[0], 1))
    [logged] = entries(store)
    assert logged["person_id"] == "roza-tuletaeva" and logged["contact_id"] is None
    assert logged["state"] == "drafted"  # logged "drafting", then completed with its file
    # drafted is not sent: still a first letter
    [again] = L.prepare(store, "prisoner", sender=SENDER, prisoners=["Roza Tuletaeva"],
                        lang="en", as_of=NOW)
    assert "keep writing" not in again.markdown
    mark(store, logged["id"], "sent")
    [later] = L.prepare(store, "prisoner", sender=SENDER, prisoners=["Roza Tuletaeva"],
                        lang="en", as_of=NOW)
    assert "we will keep writing" in later.markdown and "My name is" not in later.markdown
    # the family's letters are counted apart
    [family] = L.prepare(store, "family", sender=SENDER, prisoners=["Roza Tuletaeva"],
                         lang="en", as_of=NOW)
    assert "This is my first letter to your family." in family.markdown


def test_a_family_letter_names_the_death_and_remembers_it_years_on(store: Store) -> None:
    [soon] = L.prepare(store, "family", sender=SENDER, prisoners=["Bazarbai Kenzhebaev"],
                       lang="en", as_of=dt.date(2012, 4, 10))
    assert "on the death of Bazarbai Kenzhebaev, reported on 7 March 2012" in soon.markdown
    assert "sorry for your loss" in soon.markdown
    [years] = L.prepare(store, "family", sender=SENDER, prisoners=["Bazarbai Kenzhebaev"],
                        lang="en", as_of=NOW)
    text = years.markdown
    assert "7 March 2012, 14 years ago" in text and "remember" in text
    assert "sorry for your loss" not in text and "deepest sympathy" not in text
    assert "In remembrance and solidarity," in text
    assert text.count("Bazarbai Kenzhebaev") <= 2  # the salutation and once in the letter


def test_a_family_letter_in_russian_by_default(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("letter", "--to", "family", "--prisoner", "Kenzhebaev", *SENDER_ARGS,
            "--as-of", "2026-12-02")
    assert r.exit_code == 0, r.stderr
    russian, _, english = r.stdout.partition("**For your records — do not send.**")
    assert "Здравствуйте!" in russian and "7 марта 2012 г." in russian and "14 лет" in russian
    assert "С памятью и солидарностью," in russian
    assert "Dear family of Bazarbai Kenzhebaev," in english


def test_years_in_russian() -> None:
    from campaign.documents.letters.persons import years_word_ru

    assert [years_word_ru(n) for n in (1, 2, 5, 11, 14, 21, 22, 25, 112)] == \
        ["год", "года", "лет", "лет", "лет", "год", "года", "лет", "лет"]


# -- the log holds persons -------------------------------------------------------------------

def test_a_person_in_the_log_is_not_removed_and_a_merge_keeps_their_letters(
        cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("prisoners", "add", "Roza Tuletayeva Dup", "--source",
               "socialistworld-2014-01").exit_code == 0
    r = cli("letter", "--to", "prisoner", "--prisoner", "Roza Tuletayeva Dup", *SENDER_ARGS,
            "--lang", "en", "-o", str(tmp_path / "l"), "-f", "md")
    assert r.exit_code == 0, r.stderr
    r = cli("prisoners", "remove", "Roza Tuletayeva Dup")
    assert r.exit_code == 1 and "outreach log" in r.stderr
    assert cli("prisoners", "merge", "Roza Tuletaeva", "Roza Tuletayeva Dup").exit_code == 0
    log = json.loads(cli("outreach", "list", "-f", "json").stdout)
    assert [e["person_id"] for e in log] == ["roza-tuletaeva"]


def test_an_older_store_keeps_its_log_through_the_rebuild(tmp_path: Path) -> None:
    from campaign.store import _V_LABELS, MIGRATIONS, _statements

    path = tmp_path / "old.db"
    old = MIGRATIONS.index(_V_LABELS)
    conn = sqlite3.connect(path)
    for script in MIGRATIONS[:old]:
        for statement in _statements(script):
            conn.execute(statement)
    conn.execute("INSERT INTO contacts (id, name, kind) VALUES ('c1', 'Lynn Boylan', 'mep')")
    conn.execute("INSERT INTO outreach (contact_id, document, created, digest, state, path,"
                 " sender, paths) VALUES ('c1', 'letter-mep', '2026-01-01', 'abc', 'sent',"
                 " 'a.md', 'Jane', '[\"b.md\"]')")
    conn.execute(f"PRAGMA user_version = {old}")
    conn.commit()
    conn.close()
    st = Store(path)
    try:
        from campaign.outreach import entries

        [row] = entries(st)
        assert (row["contact_id"], row["contact"], row["state"], row["paths"], row["sender"]) \
            == ("c1", "Lynn Boylan", "sent", ["a.md", "b.md"], "Jane")
        assert row["person_id"] is None
        with pytest.raises(Exception, match="outreach log"):
            st.remove("contacts", "contact", "c1")
    finally:
        st.close()


def test_replace_import_keeps_logged_contacts_beside_person_rows(cli, meps_db: Path,  # type: ignore[no-untyped-def]
                                                               tmp_path: Path) -> None:
    assert cli("letter", "--to", "prisoner", "--prisoner", "Roza Tuletaeva", *SENDER_ARGS,
               "--lang", "en", "-o", str(tmp_path / "p"), "-f", "md").exit_code == 0
    assert cli("letter", "--to", "mep", "--contact", "Lynn Boylan", *SENDER_ARGS,
               "-o", str(tmp_path / "m"), "-f", "md").exit_code == 0
    pack = tmp_path / "pack.yaml"
    assert cli("export", "-o", str(pack)).exit_code == 0
    # --replace empties what the log does not need: a contact added since goes
    assert cli("contacts", "add", "Later Contact", "--kind", "press",
               "--source", "socialistworld-2014-01").exit_code == 0
    r = cli("import", str(pack), "--replace")
    assert r.exit_code == 0, r.stderr
    log = json.loads(cli("outreach", "list", "-f", "json").stdout)
    assert sorted(str(e["contact"]) for e in log) == ["Lynn BOYLAN", "Roza Tuletaeva"]
    assert "Later Contact" not in cli("contacts", "list", "-f", "csv").stdout
