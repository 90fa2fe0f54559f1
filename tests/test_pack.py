"""Packs: validation with file/line/field, exact round trips, all-or-nothing import."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from campaign.errors import InputError
from campaign.pack import bundled_path, dump_pack, export_pack, import_pack, read_pack
from campaign.store import Store


def test_export_import_round_trip_is_exact(store: Store, tmp_path: Path) -> None:
    first = dump_pack(export_pack(store))
    path = tmp_path / "pack.yaml"
    path.write_text(first, encoding="utf-8")
    other = Store(tmp_path / "other.db", bundled=False)
    import_pack(other, read_pack(path), replace=True)
    assert dump_pack(export_pack(other)) == first


def test_round_trip_keeps_changes(store: Store, tmp_path: Path) -> None:
    from campaign.people import add_alias, find_id

    with store.transaction():
        add_alias(store, find_id(store, "Roza Tuletaeva"), "Roza Tuletayeva")
    exported = dump_pack(export_pack(store))
    path = tmp_path / "pack.yaml"
    path.write_text(exported, encoding="utf-8")
    other = Store(tmp_path / "other.db")  # starts with the bundled pack
    import_pack(other, read_pack(path), replace=True)
    assert dump_pack(export_pack(other)) == exported
    assert "Roza Tuletayeva" in exported


def test_export_matches_bundled_content(store: Store) -> None:
    bundled = read_pack(bundled_path())
    exported = export_pack(store)
    for section in ("sources", "persons", "demands", "events", "figures", "contacts"):
        assert [r["id"] for r in exported[section]] == [r["id"] for r in bundled[section]]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    return path


BASE = """pack: t
title: T
sources:
  - id: s1
    title: A report
    publisher: Someone
    published: "2012-03"
persons:
  - id: p1
    name: Ann Example
    sources: [s1]
    events:
      - kind: arrested
        date: "2012-01-05"
        sources: [s1]
"""


def test_valid_small_pack_loads(tmp_path: Path) -> None:
    pack = read_pack(_write(tmp_path, BASE))
    assert pack["persons"][0]["events"][0]["kind"] == "arrested"


@pytest.mark.parametrize(
    ("change", "line", "words"),
    [
        (('date: "2012-01-05"', 'date: "2012-02-30"'), 14, "not a day of the calendar"),
        (("sources: [s1]\n    events", "sources: [s9]\n    events"), 11, "unknown source 's9'"),
        (("kind: arrested", "kind: kidnapped"), 13, "persons.0.events.0.kind"),
        (("name: Ann Example", "name: Ann Example\n    colour: red"), 11, "not a field"),
        (("    title: A report\n", ""), 4, "sources.0.title"),
        (("published: \"2012-03\"", "published: [2012"), None, "bad.yaml"),
    ],
)
def test_malformed_pack_names_file_line_and_field(
    tmp_path: Path, change: tuple[str, str], line: int | None, words: str
) -> None:
    path = _write(tmp_path, BASE.replace(*change))
    with pytest.raises(InputError) as err:
        read_pack(path)
    assert words in str(err.value)
    assert str(path) in str(err.value)
    if line is not None:
        assert f"line {line}" in str(err.value)


def test_duplicate_person_name_is_refused(tmp_path: Path) -> None:
    text = BASE + """  - id: p2
    name: Someone Else
    aliases: [ann example]
    sources: [s1]
"""
    with pytest.raises(InputError, match="one person, one record"):
        read_pack(_write(tmp_path, text))


def test_uncited_record_is_refused(tmp_path: Path) -> None:
    text = BASE + "demands:\n  - id: d1\n    text: Free them\n    sources: []\n"
    with pytest.raises(InputError, match="demands.0.sources"):
        read_pack(_write(tmp_path, text))


def test_not_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="YAML mapping"):
        read_pack(_write(tmp_path, "- just\n- a list\n"))


def test_bundled_pack_is_valid_yaml_for_other_tools() -> None:
    data = yaml.safe_load(bundled_path().read_text(encoding="utf-8"))
    assert data["pack"] == "kazakhstan"


def test_shipped_documents_are_the_seed_texts(seeds: Path) -> None:
    """The package carries copies of the seeds so `sources show --text` and `check` work offline.

    ``seeds`` (conftest) skips without ../shared/seeds, and fails when CI is set.
    """
    from campaign.pack import documents_dir

    shipped = sorted(p.name for p in documents_dir().glob("*.txt"))
    assert shipped == sorted(p.name for p in seeds.glob("*.txt"))
    for name in shipped:
        assert (documents_dir() / name).read_bytes() == (seeds / name).read_bytes()


def test_streaming_read_equals_whole_read() -> None:
    """Read record by record (the fast path) gives what validating the whole document gives."""
    from campaign.pack import parse_yaml, validate

    path = bundled_path()
    data, root = parse_yaml(path)
    assert read_pack(path) == validate(data, root, str(path))


def test_exported_yaml_is_what_pyyaml_would_write(store: Store) -> None:
    """The streamed export is byte for byte PyYAML's own dump of the whole pack."""
    from campaign.pack import iter_pack_yaml

    whole = yaml.safe_dump(export_pack(store), allow_unicode=True, sort_keys=False, width=100)
    assert "".join(iter_pack_yaml(store)) == whole == dump_pack(export_pack(store))


def test_odd_top_level_shapes_still_read(tmp_path: Path) -> None:
    """Anchors and merge keys at the top level take the whole-document path, same result."""
    text = BASE.replace("pack: t\n", "base: &b {pack: t}\n<<: *b\n", 1)
    with pytest.raises(InputError, match="base"):  # 'base' is not a field of a pack
        read_pack(_write(tmp_path, text))
    text = "--- &top\n" + BASE
    assert read_pack(_write(tmp_path, text))["pack"] == "t"
