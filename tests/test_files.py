"""Output files appear whole or not at all, and a failure leaves nothing behind."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from campaign.errors import OutputError
from campaign.files import write_atomic, write_directory


def listing(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir())


def test_a_new_directory_appears_with_every_file(tmp_path: Path) -> None:
    files = {f"{n:03d}-letter.md": f"letter {n}\n".encode() for n in range(1, 51)}
    write_directory(tmp_path / "letters", files)
    assert listing(tmp_path) == ["letters"]  # no staging directory left beside it
    out = tmp_path / "letters"
    assert listing(out) == sorted(files)
    assert all((out / name).read_bytes() == data for name, data in files.items())


def test_modes_follow_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        write_directory(tmp_path / "d", {"a.md": b"x"})
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "d").stat().st_mode) == 0o750
    assert stat.S_IMODE((tmp_path / "d" / "a.md").stat().st_mode) == 0o640


def test_a_failure_in_a_new_directory_leaves_nothing(tmp_path: Path) -> None:
    files = {"001-a.md": b"a", "002-" + "x" * 300 + ".md": b"too long a name", "003-c.md": b"c"}
    with pytest.raises(OutputError, match="cannot write"):
        write_directory(tmp_path / "letters", files)
    assert listing(tmp_path) == []


def test_an_existing_directory_keeps_its_other_files(tmp_path: Path) -> None:
    out = tmp_path / "letters"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (out / "001-a.md").write_text("old")
    write_directory(out, {"001-a.md": b"new", "002-b.md": b"b"})
    assert listing(out) == ["001-a.md", "002-b.md", "notes.txt"]
    assert (out / "001-a.md").read_text() == "new"
    assert (out / "notes.txt").read_text() == "mine"


def test_a_failure_in_an_existing_directory_changes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "letters"
    out.mkdir()
    (out / "001-a.md").write_text("old")
    with pytest.raises(OutputError):
        write_directory(out, {"001-a.md": b"new", "002-" + "x" * 300 + ".md": b"b"})
    assert listing(out) == ["001-a.md"]  # no temporary files either
    assert (out / "001-a.md").read_text() == "old"


@pytest.mark.parametrize("name", ["", ".", "..", "a/b.md", "../escape.md"])
def test_names_cannot_leave_the_directory(tmp_path: Path, name: str) -> None:
    with pytest.raises(OutputError, match="not a file name"):
        write_directory(tmp_path / "d", {name: b"x"})
    assert listing(tmp_path) == []


def test_a_file_where_the_directory_should_be(tmp_path: Path) -> None:
    (tmp_path / "letters").write_text("x")
    with pytest.raises(OutputError, match="is a file, not a directory"):
        write_directory(tmp_path / "letters", {"a.md": b"x"})


def test_write_atomic_replaces_whole_files(tmp_path: Path) -> None:
    target = tmp_path / "r.md"
    target.write_text("old")
    write_atomic(target, b"new")
    assert target.read_text() == "new" and listing(tmp_path) == ["r.md"]
    with pytest.raises(OutputError, match="does not exist"):
        write_atomic(tmp_path / "no" / "r.md", b"x")
