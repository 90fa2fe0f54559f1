"""Signals: a real `campaign` process killed part way through.

SIGTERM unwinds as Ctrl-C does: exit 143 (130 for SIGINT), one line, the store
rolled back, no staging directory or temporary file left. A process killed with
SIGKILL cannot clean up: the next run removes its staging directories (their
names carry its pid), and never a live process's.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from store_dump import dump

SENDER = ["--sender", "Jane Doe", "--sender-org", "Unite Dublin Central",
          "--sender-address", "1 Main Street, Dublin 1"]
MERGE = ["letter", "--to", "mep", "--country", "Ireland", *SENDER]

# The real entry point, with each staged letter (or the fsync of a single file)
# made slow, so that the signal lands while the output is half written.
SLOW = """
import os, sys, time
import campaign.files as files
real_write_new, real_fsync = files._write_new, os.fsync
def slow_write_new(*args):
    real_write_new(*args)
    time.sleep(0.8)
def slow_fsync(fd):
    time.sleep(3)
    real_fsync(fd)
files._write_new = slow_write_new
os.fsync = slow_fsync
real_write_stream = files._write_stream
def marked_write_stream(path, data):
    open(os.environ["SIGNAL_TEST_MARKER"], "w").close()  # about to open the FIFO
    real_write_stream(path, data)
files._write_stream = marked_write_stream
from campaign.cli import main
sys.argv = ["campaign", *sys.argv[1:]]
main()
"""


def hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob(".*") if ".tmp" in p.name)


@pytest.fixture
def ready(cli, meps_db: Path) -> Path:  # type: ignore[no-untyped-def]
    assert cli("prisoners", "list").exit_code == 0
    return meps_db


def start(args: list[str], cwd: Path, *, slow: bool = True) -> subprocess.Popen[str]:
    env = {**os.environ, "SIGNAL_TEST_MARKER": str(cwd / "marker")}
    env.pop("CAMPAIGN_DEBUG", None)
    command = [sys.executable, "-c", SLOW, *args] if slow else \
        [sys.executable, "-m", "campaign", *args]
    return subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=_default_signals)


def _default_signals() -> None:
    """In the child, before exec: the default disposition of the signals the tests send.
    A shell or CI runner that started the suite with SIGINT ignored (``nohup``, ``&`` in
    a script) passes that on, and a Python started with SIGINT ignored never raises
    KeyboardInterrupt for it: the child would go on, and the test fail for no fault of
    the program."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)


def wait_for(condition: Callable[[], bool], child: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 20
    while not condition():
        assert child.poll() is None, child.communicate()
        assert time.monotonic() < deadline, "the child never got there"
        time.sleep(0.02)


def one_line(stderr: str, starts: str) -> None:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(starts), stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize("sig,code,word", [(signal.SIGTERM, 143, "terminated"),
                                           (signal.SIGINT, 130, "interrupted"),
                                           (signal.SIGHUP, 129, "terminated")])
def test_a_signal_during_a_merge_leaves_nothing(ready: Path, tmp_path: Path, sig: int,
                                                code: int, word: str) -> None:
    before = dump(ready)
    out = tmp_path / "letters"
    child = start([*MERGE, "-o", str(out) + "/"], tmp_path)
    wait_for(lambda: any((tmp_path / n).is_dir() and any((tmp_path / n).iterdir())
                         for n in hidden(tmp_path)), child)
    assert all(f".letters.{child.pid}." in n for n in hidden(tmp_path))
    child.send_signal(sig)
    _, err = child.communicate(timeout=20)
    assert child.returncode == code
    one_line(err, f"campaign: {word}")
    assert hidden(tmp_path) == [] and not out.exists()
    assert dump(ready) == before  # the outreach log rolled back with the files


def test_a_sigint_reaches_the_child_when_the_suite_ignores_it(ready: Path, tmp_path: Path
                                                              ) -> None:
    """The suite started with SIGINT ignored (as a background job is): the child still
    gets the default handling, so Ctrl-C interrupts the merge and it cleans up."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        before = dump(ready)
        out = tmp_path / "letters"
        child = start([*MERGE, "-o", str(out) + "/"], tmp_path)
        wait_for(lambda: any((tmp_path / n).is_dir() and any((tmp_path / n).iterdir())
                             for n in hidden(tmp_path)), child)
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=20)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert child.returncode == 130
    one_line(err, "campaign: interrupted")
    assert hidden(tmp_path) == [] and not out.exists() and dump(ready) == before


def test_sigterm_into_an_existing_directory_leaves_nothing(ready: Path, tmp_path: Path) -> None:
    before = dump(ready)
    out = tmp_path / "letters"
    out.mkdir()
    (out / "mine.txt").write_text("keep")
    child = start([*MERGE, "-o", str(out) + "/"], tmp_path)
    wait_for(lambda: bool(hidden(out)), child)
    child.send_signal(signal.SIGTERM)
    _, err = child.communicate(timeout=20)
    assert child.returncode == 143
    one_line(err, "campaign: terminated")
    assert sorted(p.name for p in out.iterdir()) == ["mine.txt"]
    assert dump(ready) == before


def test_sigterm_while_a_single_file_is_written_keeps_the_old_one(ready: Path,
                                                                  tmp_path: Path) -> None:
    target = tmp_path / "pack.yaml"
    target.write_text("the old export\n")
    child = start(["export", "-o", str(target)], tmp_path)
    wait_for(lambda: bool(hidden(tmp_path)), child)
    child.send_signal(signal.SIGTERM)
    _, err = child.communicate(timeout=20)
    assert child.returncode == 143
    one_line(err, "campaign: terminated")
    assert target.read_text() == "the old export\n" and hidden(tmp_path) == []


def test_sigterm_while_waiting_for_a_fifo_reader(ready: Path, tmp_path: Path) -> None:
    """Opening a FIFO nobody reads blocks, as a shell's `>` does; SIGTERM ends the wait."""
    before = dump(ready)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    child = start(["resolution", "-f", "md", "-o", str(fifo)], tmp_path)
    wait_for((tmp_path / "marker").exists, child)
    time.sleep(0.3)  # into the open that waits for a reader
    child.send_signal(signal.SIGTERM)
    _, err = child.communicate(timeout=20)
    assert child.returncode == 143
    one_line(err, "campaign: terminated")
    assert stat.S_ISFIFO(fifo.lstat().st_mode) and dump(ready) == before


def test_the_next_run_clears_a_killed_merges_staging_but_not_a_live_ones(
        ready: Path, tmp_path: Path) -> None:
    out = tmp_path / "letters"
    killed = start([*MERGE, "-o", str(out) + "/"], tmp_path)
    wait_for(lambda: bool(hidden(tmp_path)), killed)
    killed.kill()  # SIGKILL: no clean-up possible
    killed.communicate(timeout=20)
    debris = hidden(tmp_path)
    assert debris and all(f".{killed.pid}." in n for n in debris)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        parallel = tmp_path / f".letters.{sleeper.pid}.abcdefgh.tmp"
        parallel.mkdir()
        (parallel / "001-x.md").write_text("a parallel run's letter")
        done = subprocess.run([sys.executable, "-m", "campaign", *MERGE, "-o",
                               str(tmp_path / "again") + "/"], cwd=tmp_path,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert hidden(tmp_path) == [parallel.name]  # the killed one's gone, the live one kept
        assert (parallel / "001-x.md").read_text() == "a parallel run's letter"
    finally:
        sleeper.kill()
        sleeper.wait()


# A merge big enough to be shared with a forked copy (campaign.parallel), each letter
# made slow, so that the signal lands while both processes are rendering.
SLOW_RENDER = """
import sys, time
import campaign.documents.letters.compose as compose
real_voice = compose._voice
def slow_voice(*args):
    time.sleep(0.05)
    return real_voice(*args)
compose._voice = slow_voice
from campaign.cli import main
sys.argv = ["campaign", *sys.argv[1:]]
main()
"""


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux's /proc")
@pytest.mark.parametrize("sig,code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_while_a_shared_merge_renders_stops_the_copy_too(
        tmp_path: Path, sig: int, code: int, mep_store: Any) -> None:
    """Signalled while its forked copy renders the other half, the merge stops the copy
    (none is left running or unreaped), writes nothing and exits as it always does."""
    from campaign import parallel

    if not parallel.machine_allows():
        pytest.skip("no fork, or one core, here")
    db = tmp_path / "s.db"
    mep_store(db, n=100).close()
    before = dump(db)
    env = {**os.environ, "CAMPAIGN_DB": str(db)}
    env.pop(parallel.WORKERS_VAR, None)
    out = tmp_path / "letters"
    child = subprocess.Popen(
        [sys.executable, "-c", SLOW_RENDER, "letter", "--to", "mep", "--sender", "Jane Doe",
         "-o", str(out)], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, preexec_fn=_default_signals)
    wait_for(lambda: bool(_children(child.pid)), child)
    [copy] = _children(child.pid)
    time.sleep(0.3)  # both halves well under way
    child.send_signal(sig)
    _, err = child.communicate(timeout=30)
    assert child.returncode == code
    one_line(err, "campaign: ")
    assert not Path(f"/proc/{copy}").exists()  # stopped and reaped, not orphaned
    assert not out.exists() and dump(db) == before
