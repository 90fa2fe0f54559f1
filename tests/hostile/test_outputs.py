"""Hostile outputs: every `-o` goes through campaign.files, under one set of rules.

Each refused case: exit code, one `campaign: error:` line, no traceback, the store
unchanged (its SQL dump), no file left behind, nothing outside the target touched.
Never a real device: FIFOs, sockets, symlinks and files the test creates.
"""

from __future__ import annotations

import errno
import os
import socket
import stat
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from store_dump import dump

SENDER = ["--sender", "Jane Doe", "--sender-org", "Unite Dublin Central",
          "--sender-address", "1 Main Street, Dublin 1"]
MERGE = ["letter", "--to", "mep", "--country", "Ireland", *SENDER]
ANNOUNCE = ["announce", "--kind", "picket", "--date", "2026-12-16", "--time", "12:00",
            "--place", "Embassy of Kazakhstan", "--city", "London"]


def tree(root: Path) -> dict[str, tuple[int, int, int, bytes | None]]:
    """Every path under ``root`` but the store's own files: mode, size, mtime, contents
    (of the files small enough to read)."""
    found: dict[str, tuple[int, int, int, bytes | None]] = {}
    for path in sorted(root.rglob("*")):
        if path.name.startswith("store.db") or "cache" in path.parts:
            continue
        st = path.lstat()
        small = stat.S_ISREG(st.st_mode) and st.st_size < 1_000_000
        if stat.S_ISDIR(st.st_mode):  # its mtime moves as temporary files come and go
            found[str(path.relative_to(root))] = (st.st_mode, 0, 0, None)
            continue
        found[str(path.relative_to(root))] = (st.st_mode, st.st_size, st.st_mtime_ns,
                                              path.read_bytes() if small else None)
    return found


@pytest.fixture
def ready(cli: Any, meps_db: Path) -> Path:
    """The store with MEPs, created before the command under test runs."""
    assert cli("prisoners", "list").exit_code == 0
    return meps_db


@pytest.fixture
def refused(cli: Any, ready: Path, tmp_path: Path,
            error_line: Callable[..., str]) -> Callable[..., str]:
    """Run a command that must fail: one line, its exit code, and nothing changed."""

    def run(*args: str, code: int = 1) -> str:
        before = (dump(ready), tree(tmp_path))
        line = error_line(cli(*args), code)
        assert (dump(ready), tree(tmp_path)) == before
        return line

    return run


# --- the store and its journals ----------------------------------------------------

STORE_WRITERS = [
    ["resolution", "-f", "md", "-o"],
    ["export", "-o"],
    ["prisoners", "print", "-f", "md", "-o"],
    [*ANNOUNCE, "-f", "md", "-o"],
    [*MERGE, "-f", "md", "-o"],
]


@pytest.mark.parametrize("command", STORE_WRITERS, ids=lambda c: c[0])
def test_no_output_onto_the_store(refused: Any, ready: Path, command: list[str]) -> None:
    line = refused(*command, str(ready))
    assert str(ready) in line


@pytest.mark.parametrize("suffix", ["-wal", "-shm", "-journal"])
@pytest.mark.parametrize("command", STORE_WRITERS[:2], ids=lambda c: c[0])
def test_no_output_onto_the_store_journals(refused: Any, ready: Path, command: list[str],
                                           suffix: str) -> None:
    line = refused(*command, str(ready) + suffix)
    assert "the campaign's store" in line
    assert not Path(str(ready) + "-journal").exists()


def test_no_output_through_a_symlink_to_the_store(refused: Any, ready: Path,
                                                  tmp_path: Path) -> None:
    link = tmp_path / "motion.md"
    link.symlink_to(ready)
    assert "the campaign's store" in refused("resolution", "-o", str(link))
    assert link.is_symlink()


def test_no_output_onto_a_hard_link_of_the_store(refused: Any, ready: Path,
                                                 tmp_path: Path) -> None:
    link = tmp_path / "pack.yaml"
    os.link(ready, link)
    assert "the campaign's store" in refused("export", "-o", str(link))


def test_no_output_onto_the_store_by_a_roundabout_path(refused: Any, ready: Path,
                                                       tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    roundabout = tmp_path / "sub" / ".." / "." / ready.name
    assert "the campaign's store" in refused("resolution", "-f", "md", "-o", str(roundabout))


def test_no_merge_into_the_store(refused: Any, ready: Path) -> None:
    refused(*MERGE, "-o", str(ready))


# --- things that are not files ------------------------------------------------------

@pytest.mark.parametrize("command", [["resolution", "-f", "md", "-o"], ["export", "-o"],
                                     ["prisoners", "print", "-f", "md", "-o"],
                                     [*ANNOUNCE, "-f", "ics", "-o"]], ids=lambda c: c[0])
def test_a_directory_where_a_file_is_meant(refused: Any, tmp_path: Path,
                                           command: list[str]) -> None:
    target = tmp_path / "out.md"
    target.mkdir()
    (target / "mine.txt").write_text("keep")
    assert "is a directory" in refused(*command, str(target))


def test_a_symlink_to_a_directory(refused: Any, tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "motion.md").symlink_to(tmp_path / "real")
    assert "is a directory" in refused("resolution", "-o", str(tmp_path / "motion.md"))


@pytest.fixture
def unix_socket(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "s.md"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    yield path
    sock.close()


@pytest.mark.parametrize("command", [["resolution", "-o"], ["export", "-o"],
                                     ["prisoners", "print", "-f", "md", "-o"]],
                         ids=lambda c: c[0])
def test_a_socket_is_refused(refused: Any, unix_socket: Path, command: list[str]) -> None:
    assert "is a socket" in refused(*command, str(unix_socket))
    assert stat.S_ISSOCK(unix_socket.lstat().st_mode)


def test_a_parent_that_is_a_file(refused: Any, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    refused("resolution", "-o", str(tmp_path / "notes.txt" / "motion.md"))
    refused("export", "-o", str(tmp_path / "notes.txt" / "pack.yaml"))


def test_a_parent_that_does_not_exist(refused: Any, tmp_path: Path) -> None:
    assert "does not exist" in refused("resolution", "-o", str(tmp_path / "no" / "m.md"))
    assert "does not exist" in refused("export", "-o", str(tmp_path / "no" / "p.yaml"))


def test_a_name_too_long(refused: Any, tmp_path: Path) -> None:
    refused("resolution", "-o", str(tmp_path / ("m" * 300 + ".md")))
    refused("export", "-o", str(tmp_path / ("p" * 300 + ".yaml")))


def test_a_merge_over_a_fifo_in_the_directory_is_refused(refused: Any,
                                                          tmp_path: Path) -> None:
    out = tmp_path / "letters"
    out.mkdir()
    os.mkfifo(out / "001-lynn-boylan.md")
    # -f md: a directory alone now gets Word letters (issue 13).
    assert "not a regular file" in refused(*MERGE, "-f", "md", "-o", str(out) + "/")
    assert stat.S_ISFIFO((out / "001-lynn-boylan.md").lstat().st_mode)


# --- written through, never replaced ------------------------------------------------

def _read_fifo(path: Path, into: list[bytes]) -> threading.Thread:
    def read() -> None:
        with open(path, "rb") as fh:
            into.append(fh.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return reader


@pytest.mark.parametrize("command,marker", [
    (["resolution", "-f", "md", "-o"], b"This branch notes"),
    (["export", "-o"], b"pack:"),
    (["resolution", "-f", "pdf", "-o"], b"%PDF"),
    ([*ANNOUNCE, "-f", "ics", "-o"], b"BEGIN:VCALENDAR"),
])
def test_a_fifo_is_written_through(cli: Any, ready: Path, tmp_path: Path, command: list[str],
                                   marker: bytes) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = _read_fifo(fifo, got)
    r = cli(*command, str(fifo))
    reader.join(10)
    assert r.exit_code == 0, r.stderr
    assert got and marker in got[0]
    assert stat.S_ISFIFO(fifo.lstat().st_mode)  # still a FIFO, not a regular file
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


# --- standard output -------------------------------------------------------------------

@pytest.mark.parametrize("command,marker", [
    (["resolution", "-o", "-"], "This branch notes"),
    (["export", "-o", "-"], "pack:"),
    (["prisoners", "print", "-f", "md", "-o", "-"], "Roza Tuletaeva"),
    ([*ANNOUNCE, "-o", "-"], "Picket"),
    ([*MERGE, "-o", "-"], "Dear Lynn Boylan"),
])
def test_dash_is_standard_output(cli: Any, ready: Path, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch, command: list[str],
                                 marker: str) -> None:
    monkeypatch.chdir(tmp_path)
    before = dump(ready)
    r = cli(*command)
    assert r.exit_code == 0, r.stderr
    assert marker in r.stdout
    assert not (tmp_path / "-").exists()
    if command[0] != "letter":  # a merge on stdout logs nothing either
        assert dump(ready) == before


def test_dash_takes_a_binary_format(cli: Any, ready: Path, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    r = cli("resolution", "-f", "docx", "-o", "-")
    assert r.exit_code == 0, r.stderr
    assert r.stdout_bytes.startswith(b"PK")
    assert not (tmp_path / "-").exists()


# --- modes -----------------------------------------------------------------------------

@pytest.fixture
def umask077() -> Iterator[None]:
    old = os.umask(0o077)
    yield
    os.umask(old)


@pytest.mark.parametrize("command,name", [(["export", "-o"], "pack.yaml"),
                                          (["resolution", "-o"], "motion.md"),
                                          (["resolution", "-o"], "motion.docx")])
def test_a_new_file_respects_the_umask(cli: Any, ready: Path, tmp_path: Path, umask077: None,
                                       command: list[str], name: str) -> None:
    r = cli(*command, str(tmp_path / name))
    assert r.exit_code == 0, r.stderr
    assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600


def test_a_new_file_under_the_usual_umask(cli: Any, ready: Path, tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        assert cli("export", "-o", str(tmp_path / "pack.yaml")).exit_code == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "pack.yaml").stat().st_mode) == 0o644


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o604])
def test_an_existing_file_keeps_its_mode(cli: Any, ready: Path, tmp_path: Path,
                                         mode: int) -> None:
    target = tmp_path / "pack.yaml"
    target.write_text("old")
    target.chmod(mode)
    assert cli("export", "-o", str(target)).exit_code == 0
    assert stat.S_IMODE(target.stat().st_mode) == mode
    assert target.read_text().startswith("pack:")


def test_a_merge_into_a_directory_keeps_existing_letters_modes(cli: Any, ready: Path,
                                                              tmp_path: Path) -> None:
    out = tmp_path / "letters"
    # The same letters again (issue 13: a different draft is never replaced), in Markdown
    # (a directory alone now gets Word letters).
    assert cli(*MERGE, "-f", "md", "-o", str(out) + "/").exit_code == 0
    (out / "001-lynn-boylan.md").chmod(0o600)
    r = cli(*MERGE, "-f", "md", "-o", str(out) + "/")
    assert r.exit_code == 0, r.stderr
    assert stat.S_IMODE((out / "001-lynn-boylan.md").stat().st_mode) == 0o600
    assert "Dear Lynn Boylan" in (out / "001-lynn-boylan.md").read_text()


# --- a full disk ------------------------------------------------------------------------

def _full_disk_after(monkeypatch: pytest.MonkeyPatch, allowed: int) -> None:
    """os.write writes ``allowed`` bytes in all, then fails as a full disk does."""
    real_write = os.write
    left = [allowed]

    def write(fd: int, data: Any) -> int:
        if left[0] <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        n = real_write(fd, bytes(data[:left[0]]))
        left[0] -= n
        return n

    monkeypatch.setattr(os, "write", write)


@pytest.mark.parametrize("command,name", [(["export", "-o"], "pack.yaml"),
                                          (["resolution", "-o"], "motion.md"),
                                          (["prisoners", "print", "-o"], "sheet.md")])
def test_a_full_disk_keeps_the_old_file(refused: Any, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch, command: list[str],
                                        name: str) -> None:
    target = tmp_path / name
    target.write_text("the old file\n")
    _full_disk_after(monkeypatch, 100)
    line = refused(*command, str(target))
    assert str(target) in line and "disk is full" in line
    assert target.read_text() == "the old file\n"


def test_a_full_disk_in_a_merge_leaves_nothing(refused: Any, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    _full_disk_after(monkeypatch, 3000)
    assert "disk is full" in refused(*MERGE, "-o", str(tmp_path / "letters") + "/")
    assert not (tmp_path / "letters").exists()


def test_a_full_disk_in_an_existing_directory_changes_nothing(
        refused: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "letters"
    out.mkdir()
    (out / "001-lynn-boylan.md").write_text("old")
    _full_disk_after(monkeypatch, 3000)
    refused(*MERGE, "-o", str(out) + "/")
    assert [p.name for p in out.iterdir()] == ["001-lynn-boylan.md"]


def test_fsync_failing_keeps_the_old_file(refused: Any, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "pack.yaml"
    target.write_text("old")

    def fsync(fd: int) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(os, "fsync", fsync)
    assert str(target) in refused("export", "-o", str(target))
    assert target.read_text() == "old"


# --- input files ---------------------------------------------------------------------------

READERS = [["import"], ["contacts", "import"], ["meps", "import"]]
READER_IDS = ["import", "contacts-import", "meps-import"]


@pytest.mark.parametrize("command", READERS, ids=READER_IDS)
def test_a_fifo_as_input_is_refused_without_hanging(refused: Any, tmp_path: Path,
                                                    command: list[str]) -> None:
    fifo = tmp_path / "in.yaml"
    os.mkfifo(fifo)  # nobody writes to it: opening it would wait for ever
    assert "not a regular file" in refused(*command, str(fifo))


@pytest.mark.parametrize("command", READERS, ids=READER_IDS)
def test_a_directory_as_input_is_refused(refused: Any, tmp_path: Path,
                                         command: list[str]) -> None:
    (tmp_path / "in").mkdir()
    assert "is a directory" in refused(*command, str(tmp_path / "in"))


@pytest.mark.parametrize("command", READERS, ids=READER_IDS)
def test_an_enormous_input_is_refused_unread(refused: Any, tmp_path: Path,
                                            command: list[str]) -> None:
    big = tmp_path / "big.csv"
    with open(big, "wb") as fh:  # sparse: 200 MB that take no disk
        fh.truncate(200_000_000)
    assert "too large" in refused(*command, str(big))


def test_dev_zero_as_input_is_refused(refused: Any) -> None:
    """/dev/zero is only opened for reading here, and not even that: it is refused by type."""
    assert "not a regular file" in refused("import", "/dev/zero")
    assert "not a regular file" in refused("contacts", "import", "/dev/zero")


def test_a_csv_that_is_not_utf8_names_the_line(refused: Any, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes("name,kind,source\nJos\xe9,press,x\n".encode("latin-1"))
    line = refused("contacts", "import", str(path))
    assert "line 2" in line and "UTF-8" in line


# --- descriptors and symlinks ---------------------------------------------------------------

@pytest.mark.parametrize("name", ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"])
def test_dev_stdout_is_written_where_it_points(cli: Any, ready: Path, name: str) -> None:
    link_before = os.lstat("/dev/stdout")
    r = cli("export", "-o", name)
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith("pack:")
    after = os.lstat("/dev/stdout")
    assert (after.st_mode, after.st_ino) == (link_before.st_mode, link_before.st_ino)


def test_a_descriptor_onto_the_store_is_refused(refused: Any, ready: Path) -> None:
    fd = os.open(ready, os.O_RDONLY)
    try:
        assert "the campaign's store" in refused("export", "-o", f"/proc/self/fd/{fd}")
        assert "the campaign's store" in refused("resolution", "-f", "md", "-o", f"/dev/fd/{fd}")
    finally:
        os.close(fd)


def test_a_descriptor_not_open_is_refused(refused: Any) -> None:
    refused("export", "-o", "/dev/fd/987")


def test_a_symlink_to_a_file_stays_a_link(cli: Any, ready: Path, tmp_path: Path) -> None:
    real = tmp_path / "drafts" / "motion.md"
    real.parent.mkdir()
    real.write_text("old")
    real.chmod(0o600)
    link = tmp_path / "current.md"
    link.symlink_to(real)
    r = cli("resolution", "-o", str(link))
    assert r.exit_code == 0, r.stderr
    assert link.is_symlink() and "This branch notes" in real.read_text()
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
    assert sorted(p.name for p in real.parent.iterdir()) == ["motion.md"]


# --- a ~ that names no user ------------------------------------------------------------------

@pytest.mark.parametrize("command", [["export", "-o"], ["resolution", "-f", "md", "-o"],
                                     [*MERGE, "-o"], ["prisoners", "print", "-f", "md", "-o"]],
                         ids=lambda c: c[0])
def test_a_tilde_that_names_no_user_is_a_name(cli: Any, ready: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch,
                                             command: list[str]) -> None:
    """`-o ~0` is a file called ~0 here (as a shell leaves it), never a crash."""
    monkeypatch.chdir(tmp_path)
    target = "~nobody-here-0/" if command[0] == "letter" else "~nobody-here-0"
    r = cli(*command, target)
    assert r.exit_code == 0, r.stderr
    assert (tmp_path / "~nobody-here-0").exists()


def test_a_tilde_is_the_home_directory(cli: Any, ready: Path, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    assert cli("export", "-o", "~/pack.yaml").exit_code == 0
    assert (tmp_path / "home" / "pack.yaml").read_text().startswith("pack:")


@pytest.mark.parametrize("args", [["--db", "~nobody-here-0/x.db", "prisoners", "list"],
                                  ["resolution", "--templates", "~nobody-here-0"],
                                  ["templates", "copy", "resolution.md.j2", "~nobody-here-0"]],
                         ids=["db", "templates", "templates-copy"])
def test_other_paths_with_such_a_tilde(cli: Any, ready: Path, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch, args: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    r = cli(*args)
    assert "internal error" not in r.stderr and "Traceback" not in r.output
    assert r.exit_code == 0 or len(r.stderr.strip().splitlines()) == 1


# --- a store that is not a file ----------------------------------------------------------------

@pytest.mark.parametrize("how", ["option", "environment"])
@pytest.mark.parametrize("kind", ["fifo", "socket"])
def test_a_store_that_is_not_a_regular_file(cli: Any, tmp_path: Path, error_line: Any,
                                            monkeypatch: pytest.MonkeyPatch, how: str,
                                            kind: str) -> None:
    """SQLite would open it (a device: /dev/null) and write its journal beside it."""
    path = tmp_path / "special.db"
    sock = None
    if kind == "fifo":
        os.mkfifo(path)
    else:
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(path))
    try:
        if how == "option":
            r = cli("--db", str(path), "prisoners", "list")
        else:
            monkeypatch.setenv("CAMPAIGN_DB", str(path))
            r = cli("prisoners", "list")
        assert "not a regular file" in error_line(r)
    finally:
        if sock:
            sock.close()
    assert sorted(p.name for p in tmp_path.iterdir() if "special" in p.name) == ["special.db"]


# --- standard output closed or full --------------------------------------------------------

@pytest.mark.parametrize("args,code", [(["prisoners", "list"], 1), (["resolution", "-o", "-"], 1),
                                       (["export"], 1), (["export", "-o", "pack.yaml"], 0)])
def test_a_closed_standard_output(ready: Path, tmp_path: Path, args: list[str],
                                  code: int) -> None:
    """`campaign ... >&-`: one line if the command needed stdout; files are still written."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "CAMPAIGN_DEBUG"}
    done = subprocess.run([sys.executable, "-m", "campaign", *args], cwd=tmp_path, env=env,
                          stderr=subprocess.PIPE, text=True, timeout=60,
                          preexec_fn=lambda: os.close(1))
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    if code:
        assert done.stderr.strip().splitlines() == [
            "campaign: error: standard output is closed; redirect it, or write to a file with -o"]
    else:
        assert (tmp_path / "pack.yaml").read_text().startswith("pack:")


def test_standard_output_on_a_full_disk(cli: Any, ready: Path, error_line: Any,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The shell's file for stdout fills up: one line, not an internal error (the list is
    streamed, so the disk fills after its first lines are out)."""
    import campaign.output

    def full(*args: object, **kwargs: object) -> Iterator[str]:
        yield "┏━━━┓\n"
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(campaign.output, "_table_lines", full)
    assert "the disk is full" in error_line(cli("prisoners", "list"))


def test_a_symlink_planted_by_another_user_is_not_followed(refused: Any, tmp_path: Path) -> None:
    """A shared directory (mode 1777, not the user's) with a link another user planted."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    os.chown(shared, 65534, 65534)
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me")
    link = shared / "motion.md"
    link.symlink_to(precious)
    os.lchown(link, 12345, 12345)  # neither the user nor the directory's owner
    assert "another user" in refused("resolution", "-o", str(link))
    assert precious.read_text() == "keep me" and link.is_symlink()
