"""AtomicState: locks for threads and tasks, compare-and-swap, history, notifications."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from _deadline import call_in_thread

from fletsafe import AtomicState, AtomicStateManager, LockUsageError


@contextlib.asynccontextmanager
async def _held_by_task(
    state: AtomicState, key: str, name: str | None = None
) -> AsyncIterator[asyncio.Task[None]]:
    """A task that holds ``key`` until the block ends."""
    inside = asyncio.Event()
    leave = asyncio.Event()

    async def holder() -> None:
        async with state.atomic_update(key):
            inside.set()
            await leave.wait()

    task = asyncio.create_task(holder(), name=name)
    await inside.wait()
    try:
        yield task
    finally:
        leave.set()
        await task


def test_get_set_and_defaults() -> None:
    state = AtomicState({"a": 1})
    assert state.get("a") == 1
    assert state.get("missing") is None
    assert state.get("missing", 0) == 0
    state.set("b", 2)
    assert state.snapshot() == {"a": 1, "b": 2}


def test_atomic_state_manager_is_the_same_class() -> None:
    assert AtomicStateManager is AtomicState


def test_regression_set_inside_atomic_update_does_not_deadlock() -> None:
    state = AtomicState()

    def documented_pattern() -> int:
        with state.atomic_update("count"):
            state.set("count", state.get("count", 0) + 1)
            with state.atomic_update("count"):  # and nested again
                state.set("count", state.get("count") + 1)
        return state.get("count")  # type: ignore[no-any-return]

    assert call_in_thread(documented_pattern) == 2
    assert state.held_locks() == []


async def test_regression_async_atomic_update_with_set_does_not_deadlock() -> None:
    state = AtomicState()
    async with state.atomic_update("count"):
        state.set("count", 1)
        await state.aset("count", 2)
    assert state.get("count") == 2


async def test_tasks_on_one_loop_do_not_lose_updates_across_an_await() -> None:
    state = AtomicState()

    async def increment() -> None:
        async with state.atomic_update("n"):
            value = state.get("n", 0)
            await asyncio.sleep(0)  # the lost-update window an RLock would leave open
            state.set("n", value + 1)

    await asyncio.gather(*(increment() for _ in range(50)))
    assert state.get("n") == 50


async def test_threads_and_tasks_together_lose_no_updates() -> None:
    state = AtomicState({"n": 0})

    def thread_increments() -> None:
        for _ in range(200):
            with state.atomic_update("n"):
                state.set("n", state.get("n") + 1)

    async def task_increments() -> None:
        for _ in range(200):
            async with state.atomic_update("n"):
                value = state.get("n")
                await asyncio.sleep(0)
                state.set("n", value + 1)

    await asyncio.gather(
        asyncio.to_thread(thread_increments),
        asyncio.to_thread(thread_increments),
        task_increments(),
        task_increments(),
    )
    assert state.get("n") == 800


async def test_async_acquire_never_blocks_the_loop_while_a_thread_holds_the_key() -> None:
    state = AtomicState()
    held = threading.Event()
    release = threading.Event()
    ticks = 0

    def holder() -> None:
        with state.atomic_update("k"):
            held.set()
            release.wait(5)

    async def ticker() -> None:
        nonlocal ticks
        while not release.is_set():
            ticks += 1
            await asyncio.sleep(0.001)

    thread = threading.Thread(target=holder)
    thread.start()
    assert await asyncio.to_thread(held.wait, 5)
    waiter = asyncio.ensure_future(state.aset("k", "from task"))
    ticking = asyncio.ensure_future(ticker())
    await asyncio.sleep(0.05)
    assert not waiter.done()
    assert ticks > 5  # the loop kept running while we waited
    release.set()
    await asyncio.wait_for(waiter, 5)
    await ticking
    thread.join()
    assert state.get("k") == "from task"


async def test_blocking_acquire_on_the_loop_thread_against_a_task_raises_instead_of_hanging() -> (
    None
):
    state = AtomicState()
    errors: list[BaseException] = []

    def callback() -> None:
        try:
            with state.atomic_update("k"):
                pass
        except LockUsageError as exc:
            errors.append(exc)

    async with _held_by_task(state, "k"):
        # From a coroutine using the blocking form, and from a plain callback on the loop.
        with pytest.raises(LockUsageError, match=r"'k'.*would deadlock.*async with"):
            state.set("k", 1)
        asyncio.get_running_loop().call_soon(callback)
        await asyncio.sleep(0)
        assert len(errors) == 1
    state.set("k", 2)  # free again


async def test_a_cancelled_waiter_leaves_the_lock_usable() -> None:
    state = AtomicState()
    async with _held_by_task(state, "k"):
        waiter = asyncio.ensure_future(state.aset("k", "never"))
        await asyncio.sleep(0)
        waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert state.held_locks() == []
    await asyncio.wait_for(state.aset("k", "ok"), 1)
    assert state.get("k") == "ok"


async def test_a_waiter_cancelled_just_after_the_hand_off_releases_the_lock() -> None:
    state = AtomicState()
    inside = asyncio.Event()
    waiters: list[asyncio.Future[None]] = []

    async def holder() -> None:
        async with state.atomic_update("k"):
            inside.set()
            while not waiters:
                await asyncio.sleep(0)
            await asyncio.sleep(0)  # let the waiter queue up
        # The release above handed the lock to the waiter; cancel it before it runs.
        waiters[0].cancel()

    first = asyncio.ensure_future(holder())
    await inside.wait()
    waiters.append(asyncio.ensure_future(state.aset("k", "x")))
    await first
    with pytest.raises(asyncio.CancelledError):
        await waiters[0]
    assert state.get("k") is None
    assert state.held_locks() == []


def test_blocking_acquire_times_out() -> None:
    state = AtomicState(lock_timeout=0.05)
    holding = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with state.atomic_update("k"):
            holding.set()
            release.wait(5)

    thread = threading.Thread(target=holder)
    thread.start()
    holding.wait(5)
    with pytest.raises(TimeoutError, match="'k'"):
        state.set("k", 1)
    release.set()
    thread.join()
    state.set("k", 2)
    assert state.get("k") == 2


# -- compare-and-swap (regression: not atomic, and True on mismatch) -----------------------


def test_regression_compare_and_swap_returns_false_on_mismatch_and_changes_nothing() -> None:
    state = AtomicState({"v": 1})
    assert state.compare_and_swap("v", 2, 3) is False
    assert state.get("v") == 1
    assert state.compare_and_swap("v", 1, 3) is True
    assert state.get("v") == 3
    assert state.compare_and_swap("missing", None, "first") is True
    stats = state.get_stats()
    assert (stats["cas_succeeded"], stats["cas_failed"]) == (2, 1)


def test_regression_compare_and_swap_is_atomic_across_threads() -> None:
    state = AtomicState({"n": 0})
    wins = [0] * 8

    def racer(index: int) -> None:
        for _ in range(300):
            while True:
                current = state.get("n")
                if state.compare_and_swap("n", current, current + 1):
                    wins[index] += 1
                    break

    threads = [threading.Thread(target=racer, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert state.get("n") == sum(wins) == 2400


# -- multi-key ---------------------------------------------------------------------------


def test_regression_set_multiple_exists_and_sets_all_keys() -> None:
    state = AtomicState()
    state.set_multiple({"a": 1, "b": 2})
    assert state.snapshot() == {"a": 1, "b": 2}
    assert [u.operation for u in state.get_update_history()] == ["set_multiple"] * 2


def test_update_multiple_is_all_or_nothing() -> None:
    state = AtomicState({"a": 1, "b": 2})

    def explode(_old: object) -> object:
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        state.update_multiple({"a": lambda v: v + 10, "b": explode})
    assert state.snapshot() == {"a": 1, "b": 2}
    state.update_multiple({"a": lambda v: v + 10, "b": lambda v: v * 10})
    assert state.snapshot() == {"a": 11, "b": 20}


def test_multi_update_takes_locks_in_one_order_whatever_the_callers_say() -> None:
    state = AtomicState({"a": 0, "b": 0})

    def transfer(keys: tuple[str, str]) -> None:
        for _ in range(500):
            with state.atomic_multi_update(*keys):
                state.set(keys[0], state.get(keys[0]) + 1)
                state.set(keys[1], state.get(keys[1]) - 1)

    threads = [threading.Thread(target=transfer, args=(k,)) for k in [("a", "b"), ("b", "a")]]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert not any(t.is_alive() for t in threads), "lock-order deadlock"
    assert state.get("a") + state.get("b") == 0


def test_multi_update_handles_keys_that_do_not_compare() -> None:
    state = AtomicState()
    with state.atomic_multi_update(("x", 1), (1, "x"), 3, "s"):
        state.set(3, "ok")
    assert state.get(3) == "ok"


def test_multi_update_needs_a_key() -> None:
    with pytest.raises(ValueError, match="at least one key"):
        AtomicState().atomic_multi_update()


# -- held locks, history, notifications, housekeeping -------------------------------------


def test_held_locks_names_key_holder_and_acquire_site() -> None:
    state = AtomicState()
    with state.atomic_update("cart"):  # acquire site
        (info,) = state.held_locks()
        line = info.site.lineno
    assert info.key == "cart"
    assert info.holder == f"thread {threading.current_thread().name!r}"
    assert info.site.filename == __file__
    with open(__file__) as source:
        assert "atomic_update" in source.read().splitlines()[line - 1]
    assert info.held_for >= 0
    assert state.held_locks() == []


async def test_a_lock_whose_holder_finished_is_reported_abandoned() -> None:
    state = AtomicState()

    async def forgets_to_release() -> None:
        await state._lock_for("cart").acquire_async(asyncio.current_task())

    await asyncio.create_task(forgets_to_release())
    thread = threading.Thread(target=lambda: state._lock_for("draft").acquire(0xDEAD))
    thread.start()
    thread.join()
    with state.atomic_update("live"):
        infos = {info.key: info.abandoned for info in state.held_locks()}
    assert infos == {"cart": True, "draft": True, "live": False}


async def test_held_locks_names_the_holding_task() -> None:
    state = AtomicState()
    async with _held_by_task(state, "draft", name="autosave"):
        (info,) = state.held_locks()
    assert info.holder == "task 'autosave'"
    assert info.site.filename == __file__


def test_history_is_bounded_and_filterable() -> None:
    state = AtomicState(history_size=5)
    for i in range(10):
        state.set("a" if i % 2 else "b", i)
    history = state.get_update_history(limit=100)
    assert [u.new for u in history] == [5, 6, 7, 8, 9]
    assert [u.new for u in state.get_update_history("a", limit=2)] == [7, 9]
    assert state.get_update_history(limit=0) == []
    first = history[0]
    assert (first.key, first.old, first.operation) == ("a", 3, "set")


def test_history_size_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="history_size"):
        AtomicState(history_size=-1)


def test_subscribers_see_old_and_new_and_can_unsubscribe() -> None:
    state = AtomicState({"k": 1})
    seen: list[tuple[Any, Any, Any]] = []
    sub = state.subscribe("k", lambda key, old, new: seen.append((key, old, new)))
    state.set("k", 2)
    state.compare_and_swap("k", 2, 3)
    state.set("other", 0)
    assert seen == [("k", 1, 2), ("k", 2, 3)]
    assert state.unsubscribe(sub) is True
    assert state.unsubscribe(sub) is False
    state.set("k", 4)
    assert len(seen) == 2


def test_a_subscriber_may_write_back_into_the_state() -> None:
    state = AtomicState()
    state.subscribe("celsius", lambda _k, _old, new: state.set("fahrenheit", new * 9 / 5 + 32))
    call_in_thread(lambda: state.set("celsius", 100))
    assert state.get("fahrenheit") == 212


def test_a_failing_subscriber_is_logged_and_kept(caplog: pytest.LogCaptureFixture) -> None:
    state = AtomicState()

    def broken(_key: object, _old: object, _new: object) -> None:
        raise RuntimeError("view gone")

    state.subscribe("k", broken)
    with caplog.at_level(logging.ERROR, logger="fletsafe.state"):
        state.set("k", 1)
    assert state.get("k") == 1
    assert [str(e) for e in state.errors()] == ["view gone"]
    assert "change callback" in caplog.text


def test_async_subscribers_are_refused() -> None:
    async def callback(_key: object, _old: object, _new: object) -> None:
        pass

    with pytest.raises(TypeError, match="TaskManager"):
        AtomicState().subscribe("k", callback)


def test_cleanup_forgets_everything_but_held_locks() -> None:
    state = AtomicState({"a": 1})
    state.subscribe("a", lambda *_: None)
    with state.atomic_update("held"):
        state.cleanup()
        assert [i.key for i in state.held_locks()] == ["held"]
    stats = state.get_stats()
    assert (stats["keys"], stats["subscriptions"], stats["history"]) == (0, 0, 0)


def test_stats_count_contention() -> None:
    state = AtomicState()
    holding = threading.Event()

    def holder() -> None:
        with state.atomic_update("k"):
            holding.set()
            time.sleep(0.05)

    thread = threading.Thread(target=holder)
    thread.start()
    holding.wait(5)
    with state.atomic_update("k"):
        pass
    thread.join()
    stats = state.get_stats()
    assert (stats["contended"], stats["sets"], stats["locks_held"]) == (1, 0, 0)


async def test_a_pure_python_task_is_a_task_holder_too() -> None:
    # Some runners (pytest-asyncio's on 3.10) run tests in asyncio's pure-Python Task class,
    # which is not an asyncio.Task: it must still be named, checked and guarded as a task.
    state = AtomicState()
    held = asyncio.Event()
    release = asyncio.Event()

    async def hold() -> None:
        async with state.atomic_update("cart"):
            held.set()
            await release.wait()

    loop = asyncio.get_running_loop()
    holder = asyncio.tasks._PyTask(hold(), loop=loop, name="py-task")  # type: ignore[attr-defined]
    await held.wait()
    (info,) = state.held_locks()
    assert (info.holder, info.abandoned) == ("task 'py-task'", False)
    with pytest.raises(LockUsageError), state.atomic_update("cart"):
        pass
    release.set()
    await holder
