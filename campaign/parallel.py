"""Independent work shared with one forked copy of this process, where a core is free.

A mail merge renders each letter from the same facts, and encodes each file from its
own letter: the 705th letter needs nothing from the first 704. Python runs one thread
at a time, so a second core takes a second process. ``fork`` gives that process
everything this one has read and compiled (the facts, the templates, the caches) at
no cost to start; ``spawn`` would start Python again and redo it all, which costs
more than a merge of 705 letters takes. So the work is shared only where fork is
sound:

- on Linux (macOS's system libraries are not fork-safe, Windows has no fork);
- with no other thread running, ours or a library's (a thread holding a lock at the
  fork would leave the copy waiting for it forever, and a native library's pool of
  worker threads, Typst's say, is gone in the copy while the library thinks it is
  there);
- with two or more cores this process may use, and enough items to pay for the fork;
- unless ``CAMPAIGN_WORKERS=1`` asks for one process, or a profiler is watching this
  one (``CAMPAIGN_PROFILE``: it would not see the copy's half).

The copy takes the second half, sends its results back pickled through a pipe as it
goes, and leaves with ``os._exit`` (no clean-up of what it shares with this process: the
store's connection, open files, the terminal). It touches no store and writes no
file. If it fails in any way, this process does the rest of its half itself, so an
error (a broken template, say) is raised here, once, as it would be without the copy.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

WORKERS_VAR = "CAMPAIGN_WORKERS"
# Fewer items than this are done in this process: a fork, and sending the results back,
# cost a few milliseconds, and a handful of letters take no longer than that.
LEAST = 64


def can_share(n: int, least: int = LEAST) -> bool:
    """Whether ``n`` items are worth, and safe, sharing with a forked copy."""
    if n < least or os.environ.get(WORKERS_VAR, "").strip() == "1":
        return False
    if sys.getprofile() is not None:  # a profile of this process would miss the copy's half
        return False
    return machine_allows() and _alone()


def machine_allows() -> bool:
    """Linux, with fork, and two or more cores this process may use."""
    if sys.platform != "linux" or not hasattr(os, "fork"):
        return False
    return len(os.sched_getaffinity(0)) > 1


def _alone() -> bool:
    """No thread in this process but this one."""
    return threads() == 1


def threads() -> int:
    """The threads of this process, Python's and native libraries' alike (a library's
    own threads are not in ``threading``'s count)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:  # no /proc: count what Python knows of
        return threading.active_count()


def split_map(work: Callable[[int], T], n: int, *, carry: Sequence[dict[Any, Any]] = (),
              progress: Callable[[int], None] | None = None, least: int = LEAST,
              first_here: bool = True) -> list[T]:
    """``[work(k) for k in range(n)]``, the second half in a forked copy when
    ``can_share(n)`` (the first item is done before the fork, so what it works out
    once for all is the copy's too; not with ``first_here=False``, for work that
    starts threads of its own, Typst's, which each process must then start for
    itself).

    ``work``'s results must pickle. The copy sends them in chunks as it goes, and this
    process takes in what has come after each item of its own, so little is left to
    take in when its half is done. ``carry``: caches (dicts) ``work`` fills; what the
    copy adds to them is added to this process's too, so what comes after (the
    similarity report over every letter's paragraphs, say) finds it worked out.
    ``progress`` hears how many are done, the copy's as they come in.
    """
    if not can_share(n, least):
        return _here(work, 0, n, [], progress)
    # The first item before the fork: what it works out once for all (a merge's shared
    # facts, a Word package's fixed parts) the copy then has, rather than doing it again.
    done: list[T] = []
    if first_here:
        done.append(work(0))
        if progress:
            progress(1)
        if not _alone():  # the first item started a thread (a library's pool): no fork now
            return _here(work, 1, n, done, progress)
    half = (n + 1) // 2
    sizes = [len(cache) for cache in carry]
    read, write = os.pipe()
    _widen(write)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the copy; what it sends is tested in the parent
        _copy(work, half, n, carry, sizes, read, write)
    os.close(write)
    coming = _Coming(read)
    try:
        mine = done
        for k in range(len(done), half):
            mine.append(work(k))
            coming.take()
            if progress:
                progress(k + 1 + len(coming.items))
        coming.take(to_the_end=True)
        _, status = os.waitpid(pid, 0)
        pid = 0
    finally:
        os.close(read)
        if pid:  # this half failed (or was interrupted): the copy's work is not wanted
            _stop(pid)
    theirs: list[T] = coming.items
    if status == 0 and coming.added is not None:
        for cache, new in zip(carry, coming.added, strict=True):
            cache.update(new)
    else:  # the copy failed: the rest of its half here, so its error is raised here
        theirs += (work(k) for k in range(half + len(theirs), n))
    if progress:
        progress(n)
    return mine + theirs


# The copy's results go in chunks of this many items (a letter pickles to ~12 KB,
# a Word file to ~36 KB), each a length and a pickle.
CHUNK = 16
_LENGTH = 8


class _Coming:
    """What the copy has sent so far: its items, and at the end what it added to the
    caches (None until then, and for ever if the copy failed)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.items: list[Any] = []
        self.added: list[dict[Any, Any]] | None = None
        self._buffer = bytearray()
        self._broken = False
        os.set_blocking(fd, False)

    def take(self, to_the_end: bool = False) -> None:
        """Read what has come (all of it, to the copy's end, with ``to_the_end``)."""
        if to_the_end:
            os.set_blocking(self.fd, True)
        while True:
            try:
                data = os.read(self.fd, 1 << 20)
            except BlockingIOError:
                return
            if not data:
                return
            self._buffer += data
            self._frames()

    def _frames(self) -> None:
        buffer = self._buffer
        while not self._broken and len(buffer) >= _LENGTH:
            size = int.from_bytes(buffer[:_LENGTH], "big")
            if len(buffer) < _LENGTH + size:
                return
            frame = bytes(buffer[_LENGTH:_LENGTH + size])
            del buffer[:_LENGTH + size]
            try:
                kind, value = pickle.loads(frame)
            except Exception:  # noqa: BLE001 - a copy that sent nonsense has failed
                self._broken = True
                return
            if kind == "items":
                self.items.extend(value)
            else:
                self.added = value


def _widen(fd: int) -> None:
    """A pipe of 1 MB where Linux allows it (64 KB by default), so the copy seldom
    waits for this process to read."""
    import fcntl

    set_size = getattr(fcntl, "F_SETPIPE_SZ", None)
    if set_size is not None:
        with contextlib.suppress(OSError):
            fcntl.fcntl(fd, set_size, 1 << 20)


def _here(work: Callable[[int], T], start: int, n: int, done: list[T],
          progress: Callable[[int], None] | None) -> list[T]:
    """Items ``start`` to ``n`` in this process, after those ``done``."""
    for k in range(start, n):
        done.append(work(k))
        if progress:
            progress(k + 1)
    return done


def _copy(work: Callable[[int], Any], start: int, n: int, carry: Sequence[dict[Any, Any]],
          sizes: list[int], read: int, write: int) -> None:  # pragma: no cover - the copy
    """The forked copy: items ``start`` to ``n`` sent in chunks as they are done, then
    what they added to ``carry``; exit 0 if all was sent, 1 otherwise. Never returns."""
    status = 1
    try:
        os.close(read)
        with os.fdopen(write, "wb") as pipe:
            def send(kind: str, value: Any) -> None:
                frame = pickle.dumps((kind, value), pickle.HIGHEST_PROTOCOL)
                pipe.write(len(frame).to_bytes(_LENGTH, "big"))
                pipe.write(frame)
                pipe.flush()

            chunk = []
            for k in range(start, n):
                chunk.append(work(k))
                if len(chunk) == CHUNK:
                    send("items", chunk)
                    chunk = []
            if chunk:
                send("items", chunk)
            # A cache that started afresh meanwhile (campaign.memo) is sent whole.
            send("added", [dict(list(cache.items())[size:] if len(cache) >= size else cache)
                           for cache, size in zip(carry, sizes, strict=True)])
        status = 0
    except BaseException:  # noqa: BLE001 - the parent does the rest and says why
        pass
    finally:
        os._exit(status)


def _stop(pid: int) -> None:
    import signal

    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)
