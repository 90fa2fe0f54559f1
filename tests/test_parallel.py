"""campaign.parallel: half the work in a forked copy, the same results as one process."""

from __future__ import annotations

import os
import threading
from typing import Any

import pytest

from campaign import parallel
from campaign.errors import TemplateError
from campaign.parallel import can_share, split_map

shared = pytest.mark.skipif(not parallel.machine_allows(), reason="no fork, or one core, here")


@pytest.fixture(autouse=True)
def _forkable(forkable: None) -> None:
    """Fork here though the session's HTTP test server runs a thread (conftest)."""


def _no_children() -> bool:
    """No child of this process is left, running or unreaped."""
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


@shared
def test_the_copy_does_the_second_half_and_the_results_are_in_order() -> None:
    here: list[int] = []

    def work(k: int) -> dict[str, Any]:
        here.append(k)
        return {"k": k, "square": k * k, "pid": os.getpid()}

    out = split_map(work, 101)
    assert [r["k"] for r in out] == list(range(101))
    assert [r["square"] for r in out] == [k * k for k in range(101)]
    assert here == list(range(51))  # the first half here; the rest came from the copy
    assert {r["pid"] for r in out[51:]} != {os.getpid()}
    assert _no_children()


@shared
def test_what_the_copy_adds_to_a_cache_arrives_here() -> None:
    cache: dict[int, int] = {-1: -1}  # what was there before the fork stays

    def work(k: int) -> int:
        cache[k] = k + 1000
        return k

    assert split_map(work, 80, carry=[cache]) == list(range(80))
    assert cache == {-1: -1, **{k: k + 1000 for k in range(80)}}


@shared
def test_a_failing_copy_leaves_its_half_to_this_process_which_raises_its_error() -> None:
    here: list[int] = []

    def work(k: int) -> int:
        here.append(k)
        if k == 90:
            raise TemplateError("letter-mep.md.j2: line 3: boom")
        return k

    with pytest.raises(TemplateError, match="boom"):
        split_map(work, 100)
    # its own half; then, after what the copy had sent before it failed, the rest again
    # up to the error
    assert here[:50] == list(range(50)) and here[50:] == list(range(here[50], 91))
    assert here[50] > 50  # the copy's first chunks had come
    assert _no_children()


@shared
def test_what_a_failing_copy_sent_is_kept_and_the_rest_made_here() -> None:
    parent = os.getpid()
    here: list[int] = []

    def work(k: int) -> tuple[int, bool]:
        if os.getpid() != parent and k == 75:
            os._exit(3)  # the copy dies (killed, out of memory) part way
        here.append(k)
        return k, os.getpid() == parent

    out = split_map(work, 100)
    assert [k for k, _ in out] == list(range(100))
    # the copy's whole chunks before item 75 came from it, the rest was made here
    sent = 50 + (75 - 50) // parallel.CHUNK * parallel.CHUNK
    assert 50 < sent <= 75
    assert here == [*range(50), *range(sent, 100)]
    assert not any(mine for _, mine in out[50:sent]) and all(mine for _, mine in out[sent:])


@shared
def test_results_that_do_not_pickle_are_made_here() -> None:
    here: list[int] = []

    def work(k: int) -> Any:
        here.append(k)
        return (k, lambda: k)  # a lambda does not pickle: the copy cannot send it

    out = split_map(work, 70)
    assert [k for k, _ in out] == list(range(70)) and here == list(range(70))


@shared
def test_when_this_half_fails_the_copy_is_stopped() -> None:
    def work(k: int) -> int:
        if k == 3:
            raise KeyError("here")
        return k

    with pytest.raises(KeyError):
        split_map(work, 200)
    assert _no_children()


@shared
def test_progress_moves_up_to_all() -> None:
    heard: list[int] = []
    split_map(lambda k: k, 90, progress=heard.append)
    assert heard == sorted(heard) and heard[-1] == 90 and max(heard[:-1]) < 90


def test_one_process_when_asked_or_when_sharing_is_unsound(
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert not can_share(10)  # too few to pay for a fork
    monkeypatch.setenv(parallel.WORKERS_VAR, "1")
    assert not can_share(1000)
    here: list[int] = []
    assert split_map(lambda k: here.append(k) or k, 100) == list(range(100))
    assert here == list(range(100))
    monkeypatch.delenv(parallel.WORKERS_VAR)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:  # a thread could hold a lock at the fork and leave the copy waiting forever
        assert not can_share(1000)
    finally:
        stop.set()
        other.join()
    import cProfile

    profile = cProfile.Profile()
    profile.enable()
    try:  # a profile (CAMPAIGN_PROFILE) would not see the copy's half
        profiled = can_share(1000)
    finally:
        profile.disable()
    assert not profiled and can_share(1000)
    monkeypatch.setattr(parallel.sys, "platform", "darwin")  # fork is not safe there
    assert not can_share(1000)


@shared
def test_no_fork_once_the_first_item_has_started_a_thread() -> None:
    """A library's pool of threads (Typst's, when a letter becomes a PDF) started by the
    first item would be gone in a copy that still counts on it: the rest is done here."""
    here: list[int] = []
    stop = threading.Event()
    started: list[threading.Thread] = []

    def work(k: int) -> int:
        here.append(k)
        if k == 0:
            started.append(threading.Thread(target=stop.wait))
            started[0].start()
        return k

    try:
        assert split_map(work, 100) == list(range(100))
    finally:
        stop.set()
        started[0].join()
    assert here == list(range(100))


def test_threads_counts_native_threads_too() -> None:
    before = parallel.threads()
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert parallel.threads() == before + 1
    finally:
        stop.set()
        other.join()


@shared
def test_work_that_starts_its_own_threads_forks_before_the_first_item(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """first_here=False: nothing is done before the fork (Typst's pool of threads,
    started by a first item here, would be missing in the copy), then each process
    works as before."""
    parent = os.getpid()
    here: list[int] = []
    seen_at_fork: list[int] = []
    real_fork = os.fork

    def fork() -> int:
        seen_at_fork.append(len(here))
        return real_fork()

    def work(k: int) -> tuple[int, bool]:
        if os.getpid() == parent:
            here.append(k)
        return k, os.getpid() == parent

    monkeypatch.setattr(os, "fork", fork)
    out = split_map(work, 80, first_here=False)
    assert seen_at_fork == [0] and here == list(range(40))
    assert [k for k, _ in out] == list(range(80)) and not any(mine for _, mine in out[40:])
