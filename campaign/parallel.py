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

The copy takes the second half, sends its results back pickled through a pipe, and
leaves with ``os._exit`` (no clean-up of what it shares with this process: the
store's connection, open files, the terminal). It touches no store and writes no
file. If it fails in any way, this process does its half again itself, so an error
(a broken template, say) is raised here, once, as it would be without the copy.
"""

from __future__ import annotations

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
    if sys.platform != "linux" or not hasattr(os, "fork"):
        return False
    if not _alone():
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
              progress: Callable[[int], None] | None = None, least: int = LEAST) -> list[T]:
    """``[work(k) for k in range(n)]``, the second half in a forked copy when
    ``can_share(n)`` (the first item is done before the fork, so what it works out
    once for all is the copy's too).

    ``work``'s results must pickle. ``carry``: caches (dicts) ``work`` fills; what the
    copy adds to them is added to this process's too, so what comes after (the
    similarity report over every letter's paragraphs, say) finds it worked out.
    ``progress`` hears how many are done: while the copy works unseen, each item done
    here counts for two (the halves take about as long), and all ``n`` when the copy's
    results are in.
    """
    if not can_share(n, least):
        return _here(work, 0, n, [], progress)
    # The first item before the fork: what it works out once for all (a merge's shared
    # facts, a Word package's fixed parts) the copy then has, rather than doing it again.
    first = work(0)
    if progress:
        progress(1)
    if not _alone():  # the first item started a thread (a library's pool): no fork now
        return _here(work, 1, n, [first], progress)
    half = (n + 1) // 2
    sizes = [len(cache) for cache in carry]
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the copy; what it sends is tested in the parent
        _copy(work, half, n, carry, sizes, read, write)
    os.close(write)
    theirs: list[T] | None = None
    try:
        mine = [first]
        for k in range(1, half):
            mine.append(work(k))
            if progress:
                progress(min(2 * (k + 1), n - 1))
        with os.fdopen(read, "rb") as pipe:
            read = -1
            sent = pipe.read()
        _, status = os.waitpid(pid, 0)
        pid = 0
        if status == 0 and sent:
            theirs, added = pickle.loads(sent)
            for cache, new in zip(carry, added, strict=True):
                cache.update(new)
    finally:
        if read >= 0:
            os.close(read)
        if pid:  # this half failed (or was interrupted): the copy's work is not wanted
            _stop(pid)
    if theirs is None:  # the copy failed: its half again, here, so its error is raised here
        theirs = [work(k) for k in range(half, n)]
    if progress:
        progress(n)
    return mine + theirs


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
    """The forked copy: items ``start`` to ``n``, and what they added to ``carry``, sent
    pickled; exit 0 if all was sent, 1 otherwise. Never returns."""
    status = 1
    try:
        os.close(read)
        done = [work(k) for k in range(start, n)]
        # A cache that started afresh meanwhile (campaign.memo) is sent whole.
        added = [dict(list(cache.items())[size:] if len(cache) >= size else cache)
                 for cache, size in zip(carry, sizes, strict=True)]
        payload = pickle.dumps((done, added), pickle.HIGHEST_PROTOCOL)
        with os.fdopen(write, "wb") as pipe:
            pipe.write(payload)
        status = 0
    except BaseException:  # noqa: BLE001 - the parent does this half again and says why
        pass
    finally:
        os._exit(status)


def _stop(pid: int) -> None:
    import signal
    from contextlib import suppress

    with suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with suppress(ChildProcessError):
        os.waitpid(pid, 0)
