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


# --- the output rules (issue 15) ----------------------------------------------------

def test_write_atomic_failing_midway_keeps_the_old_file(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A write that fails part way (a full disk) keeps the old file whole, and leaves no
    temporary file: written in place, the old file would be half overwritten."""
    import errno

    target = tmp_path / "pack.yaml"
    target.write_bytes(b"old contents\n" * 100)
    real_write = os.write
    calls = []

    def write(fd: int, data: bytes) -> int:
        calls.append(fd)
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, bytes(data[:10]))

    monkeypatch.setattr(os, "write", write)
    with pytest.raises(OutputError, match=r"pack\.yaml: the disk is full"):
        write_atomic(target, b"new contents\n" * 1000)
    assert target.read_bytes() == b"old contents\n" * 100
    assert listing(tmp_path) == ["pack.yaml"]


def test_write_atomic_interrupted_leaves_no_temporary_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "m.md"
    target.write_text("old")

    def fsync(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, b"new")
    assert listing(tmp_path) == ["m.md"] and target.read_text() == "old"


def test_write_atomic_keeps_an_existing_mode_and_respects_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        write_atomic(tmp_path / "new.md", b"x")
        (tmp_path / "kept.md").write_text("x")
        (tmp_path / "kept.md").chmod(0o640)
        write_atomic(tmp_path / "kept.md", b"y")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.md").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "kept.md").stat().st_mode) == 0o640


def test_write_atomic_writes_through_a_fifo(tmp_path: Path) -> None:
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    write_atomic(fifo, b"through")
    reader.join(5)
    assert got == [b"through"] and stat.S_ISFIFO(fifo.lstat().st_mode)
    assert listing(tmp_path) == ["pipe"]


def test_dash_is_standard_output(tmp_path: Path, capfd: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_atomic("-", "Ж\n".encode())
    assert capfd.readouterr().out == "Ж\n"
    assert listing(tmp_path) == []


def test_the_protected_store_is_refused_until_unprotected(tmp_path: Path) -> None:
    from campaign.files import protect, unprotect

    db = tmp_path / "x.db"
    db.write_bytes(b"SQLite format 3\x00")
    protect(db)
    try:
        for name in ("x.db", "x.db-wal", "x.db-shm", "x.db-journal"):
            with pytest.raises(OutputError, match="the campaign's store"):
                write_atomic(tmp_path / name, b"x")
        with pytest.raises(OutputError, match="the campaign's store"):
            write_directory(tmp_path / "x.db-wal", {"a.md": b"x"})
    finally:
        unprotect(db)
    assert db.read_bytes() == b"SQLite format 3\x00"
    write_atomic(tmp_path / "x.db-wal", b"x")  # a store no longer open is just a file


def _dead_pid() -> int:
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_stale_staging_of_a_dead_process_is_cleared(tmp_path: Path) -> None:
    import subprocess
    import sys

    from campaign.files import clear_stale

    dead = _dead_pid()
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        stale_dir = tmp_path / f".letters.{dead}.abcd_123.tmp"
        stale_dir.mkdir()
        (stale_dir / "001-a.md").write_text("part of a merge")
        stale_file = tmp_path / f".pack.yaml.{dead}.0a1b2c3d.tmp"
        stale_file.write_text("half")
        running = tmp_path / f".letters.{live.pid}.zzzzzzzz.tmp"
        running.mkdir()
        theirs = tmp_path / f".other.{dead}.yyyyyyyy.tmp"
        theirs.mkdir()
        os.chown(theirs, 65534, 65534)
        mine = tmp_path / f".notes.{dead}.tmp"  # not our pattern: no random part
        mine.write_text("keep")
        write_atomic(tmp_path / "m.md", b"x")  # any write clears the folder's stale ones
        assert listing(tmp_path) == sorted([running.name, theirs.name, mine.name, "m.md"])
        assert clear_stale(tmp_path) == []
    finally:
        live.kill()
        live.wait()


def test_temporary_names_carry_the_pid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import re

    seen: list[str] = []
    real_rename = os.rename

    def rename(src: str, dst: str) -> None:
        seen.append(os.path.basename(src))
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    write_directory(tmp_path / "letters", {"a.md": b"x"})
    assert re.fullmatch(rf"\.letters\.{os.getpid()}\.[a-z0-9_]{{8}}\.tmp", seen[0]), seen


# --- reading input files ---------------------------------------------------------------

def test_read_input_reads_a_regular_file(tmp_path: Path) -> None:
    from campaign.files import read_input

    p = tmp_path / "note.txt"
    p.write_text("солидарность\n", encoding="utf-8")
    assert read_input(p, limit_bytes=100, what="note") == "солидарность\n"


@pytest.mark.parametrize("case", ["directory", "fifo", "missing", "large", "latin1", "socket"])
def test_read_input_refuses(tmp_path: Path, case: str) -> None:
    import socket

    from campaign.errors import InputError
    from campaign.files import read_input

    p = tmp_path / "in.csv"
    sock = None
    if case == "directory":
        p.mkdir()
    elif case == "fifo":
        os.mkfifo(p)  # no writer: opening it for reading would hang
    elif case == "large":
        p.write_bytes(b"x" * 101)
    elif case == "latin1":
        p.write_bytes("ok\nJos\xe9\n".encode("latin-1"))
    elif case == "socket":
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(p))
    try:
        with pytest.raises(InputError) as info:
            read_input(p, limit_bytes=100, what="CSV file")
    finally:
        if sock:
            sock.close()
    message = str(info.value)
    assert str(p) in message and "\n" not in message
    if case == "latin1":
        assert "line 2" in message and "UTF-8" in message


def test_read_input_caps_standard_input(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    from campaign.errors import InputError
    from campaign.files import read_input

    class Stdin:
        buffer = io.BytesIO(b"y" * 1000)

    monkeypatch.setattr(sys, "stdin", Stdin())
    with pytest.raises(InputError, match="standard input"):
        read_input("-", limit_bytes=10, allow_stdin=True)


def test_a_character_device_is_a_stream_to_write_through() -> None:
    from campaign.files import output_kind

    assert output_kind(Path("/dev/null")) == "stream"  # only looked at, never written


def test_a_block_device_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No block device is made or touched: os.stat says a file the test made is one."""
    target = tmp_path / "disk"
    target.write_text("x")
    real_stat = os.stat

    def fake_stat(path: object, *args: object, **kwargs: object) -> os.stat_result:
        st = real_stat(path, *args, **kwargs)  # type: ignore[arg-type]
        if os.fspath(path) == str(target):  # type: ignore[arg-type]
            return os.stat_result((stat.S_IFBLK | 0o660, *st[1:]))
        return st

    monkeypatch.setattr(os, "stat", fake_stat)
    with pytest.raises(OutputError, match="is a block device"):
        write_atomic(target, b"y")
    monkeypatch.undo()
    assert target.read_text() == "x"


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root writes to read-only directories")
def test_a_read_only_directory_is_one_error(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(OutputError, match="cannot write"):
            write_atomic(folder / "m.md", b"x")
        with pytest.raises(OutputError):
            write_directory(folder / "letters", {"a.md": b"x"})
    finally:
        folder.chmod(0o700)
    assert listing(folder) == []


def test_a_users_file_written_over_by_root_stays_theirs(tmp_path: Path) -> None:
    target = tmp_path / "pack.yaml"
    target.write_text("old")
    target.chmod(0o640)
    if os.geteuid() != 0:
        pytest.skip("only root can give a file away")
    os.chown(target, 65534, 65534)
    write_atomic(target, b"new")
    st = target.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (65534, 65534, 0o640)
    assert target.read_bytes() == b"new"


@pytest.mark.parametrize("given", ["~nobody-here-0", "./~nobody-here-0", "~nobody-here-0/x/",
                                   ".//~nobody-here-0/x.md"])
def test_expand_user_never_leaves_a_tilde_for_pathlib(given: str) -> None:
    from campaign.files import expand_user

    expanded = expand_user(given)
    Path(expanded).expanduser()  # would raise RuntimeError on a leading ~nobody
    assert expanded.endswith(given.rstrip("/").split("/")[-1] + ("/" if given.endswith("/")
                                                                  else ""))
