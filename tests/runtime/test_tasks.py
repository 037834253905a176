"""TaskManager: named tasks, timeouts, threads, dispose. Regressions are marked in the name."""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import threading
import warnings
import weakref
from collections.abc import Iterator

import pytest

from fletsafe import DisposedError, StuckTaskWarning, TaskManager, ThreadTaskHandle


@pytest.fixture
def no_unawaited_warnings() -> Iterator[None]:
    """Fail if any coroutine is garbage-collected without having been awaited."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
        gc.collect()
    unawaited = [w for w in caught if "was never awaited" in str(w.message)]
    assert not unawaited, [str(w.message) for w in unawaited]


async def _sleep_and_return(value: object, delay: float = 0.0) -> object:
    await asyncio.sleep(delay)
    return value


async def _forever() -> None:
    await asyncio.Event().wait()


async def _stubborn(entered: asyncio.Event, swallow: int = 1) -> None:
    """Swallow the first ``swallow`` cancellations, like buggy app code does."""
    entered.set()
    for _ in range(swallow + 1):
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            continue
    raise asyncio.CancelledError


# -- creating and naming ---------------------------------------------------------------------


async def test_create_task_runs_the_coroutine_under_its_name() -> None:
    manager = TaskManager()
    task = manager.create_task("load", _sleep_and_return(42))
    assert isinstance(task, asyncio.Task)
    assert task.get_name() == "load"
    assert await task == 42
    await asyncio.sleep(0)
    assert manager.get_task_status("load") == "completed"
    assert manager.active_tasks() == []


async def test_finished_states_are_bounded_but_live_tasks_never_forgotten(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("fletsafe._tasks._FINISHED_NAMES_KEPT", 4)
    manager = TaskManager()
    blocker = asyncio.Event()
    live = [manager.create_task(f"live-{i}", blocker.wait()) for i in range(10)]
    for i in range(30):
        await manager.create_task(f"done-{i}", _sleep_and_return(i))
    assert manager.get_task_status("done-29") == "completed"
    assert manager.get_task_status("done-0") is None  # forgotten: only the latest are kept
    assert len(manager._named) <= 2 * 10 + 4
    assert all(manager.get_task_status(f"live-{i}") == "running" for i in range(10))
    blocker.set()
    await asyncio.gather(*live)


async def test_a_finished_named_task_does_not_keep_its_result_alive() -> None:
    class Result:
        pass

    manager = TaskManager()

    async def produce() -> Result:
        return Result()

    ref = weakref.ref(await manager.create_task("produce", produce))
    await asyncio.sleep(0)
    gc.collect()
    assert ref() is None
    assert manager.get_task_status("produce") == "completed"


async def test_create_task_accepts_a_coroutine_function() -> None:
    manager = TaskManager()

    async def job() -> str:
        return "done"

    assert await manager.create_task("job", job) == "done"


async def test_create_task_rejects_what_is_not_a_coroutine() -> None:
    manager = TaskManager()
    with pytest.raises(TypeError, match="coroutine"):
        manager.create_task("bad", 42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not a coroutine"):
        manager.create_task("bad", lambda: 42)  # type: ignore[arg-type,return-value]


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), float("inf"), "1", True])
async def test_create_task_rejects_a_bad_timeout_and_closes_the_coroutine(
    timeout: object, no_unawaited_warnings: None
) -> None:
    manager = TaskManager()
    with pytest.raises((TypeError, ValueError), match="timeout"):
        manager.create_task("t", _sleep_and_return(1), timeout=timeout)  # type: ignore[arg-type]
    assert manager.active_tasks() == []


async def test_a_task_with_the_same_name_replaces_the_running_one() -> None:
    manager = TaskManager()
    first = manager.create_task("refresh", _forever())
    await asyncio.sleep(0)
    second = manager.create_task("refresh", _sleep_and_return("new"))
    assert await second == "new"
    await asyncio.sleep(0)
    assert first.cancelled()
    assert manager.get_debug_info()["cancelled"] == 1


async def test_regression_replacing_a_task_before_it_ran_warns_nothing(
    no_unawaited_warnings: None,
) -> None:
    manager = TaskManager()
    first = manager.create_task("r", _sleep_and_return(1))
    second = manager.create_task("r", _sleep_and_return(2))
    assert await second == 2
    await asyncio.sleep(0)
    assert first.cancelled()


async def test_timeout_cancels_the_task_and_counts_it_as_timed_out() -> None:
    manager = TaskManager()
    task = manager.create_task("slow", _forever(), timeout=0.01)
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0)
    assert manager.get_task_status("slow") == "timed_out"
    assert manager.get_debug_info()["timed_out"] == 1


async def test_a_task_finishing_before_its_timeout_is_completed() -> None:
    manager = TaskManager()
    assert await manager.create_task("fast", _sleep_and_return(1), timeout=5) == 1
    await asyncio.sleep(0)
    assert manager.get_debug_info()["timed_out"] == 0


async def test_active_tasks_reports_name_state_age_and_the_callers_line() -> None:
    manager = TaskManager()
    manager.create_task("watch", _forever())  # this line is the creation site
    (info,) = manager.active_tasks()
    assert info.name == "watch"
    assert info.state == "running"
    assert info.age >= 0
    assert info.site.filename == __file__
    assert not info.background
    await manager.aclose()


# -- background tasks and errors ------------------------------------------------------------


async def test_background_task_exception_is_logged_and_kept(
    caplog: pytest.LogCaptureFixture,
) -> None:
    manager = TaskManager()

    async def fail() -> None:
        raise ValueError("boom")

    task = manager.create_background_task(fail(), name="sync-contacts")
    await asyncio.wait([task])  # type: ignore[list-item]
    await asyncio.sleep(0)
    (error,) = manager.errors()
    assert error.name == "sync-contacts"
    assert isinstance(error.exception, ValueError)
    assert error.site.filename == __file__
    assert "task 'sync-contacts' failed" in caplog.text
    assert manager.get_debug_info()["failed"] == 1


async def test_background_task_exception_is_never_reported_as_unretrieved(
    caplog: pytest.LogCaptureFixture,
) -> None:
    manager = TaskManager()

    async def fail() -> None:
        raise ValueError("boom")

    manager.create_background_task(fail())
    await asyncio.sleep(0.01)
    gc.collect()
    await asyncio.sleep(0)
    assert "never retrieved" not in caplog.text


async def test_background_tasks_never_replace_each_other() -> None:
    manager = TaskManager()
    a = manager.create_background_task(_forever(), name="same")
    b = manager.create_background_task(_forever(), name="same")
    await asyncio.sleep(0)
    assert not a.done()
    assert not b.done()
    assert len(manager.active_tasks()) == 2
    assert [t.background for t in manager.active_tasks()] == [True, True]
    await manager.aclose()


# -- threads (regression: nothing worked from a worker thread) -----------------------------


async def test_regression_create_task_from_a_worker_thread_runs_on_the_managers_loop() -> None:
    manager = TaskManager(asyncio.get_running_loop())
    seen_loops: list[asyncio.AbstractEventLoop] = []

    async def job() -> str:
        seen_loops.append(asyncio.get_running_loop())
        return "ok"

    def flet_sync_handler() -> object:
        handle = manager.create_task("from-thread", job())
        assert isinstance(handle, ThreadTaskHandle)
        return handle.result(timeout=5)

    result = await asyncio.get_running_loop().run_in_executor(None, flet_sync_handler)
    assert result == "ok"
    assert seen_loops == [asyncio.get_running_loop()]


async def test_a_thread_can_cancel_the_task_it_started() -> None:
    manager = TaskManager(asyncio.get_running_loop())
    handles: list[concurrent.futures.Future[object]] = []

    def start() -> None:
        handle = manager.create_task("t", _forever())
        assert isinstance(handle, ThreadTaskHandle)
        handles.append(handle)

    await asyncio.to_thread(start)
    await asyncio.sleep(0.01)
    assert manager.get_task_status("t") == "running"
    await asyncio.to_thread(handles[0].cancel)
    for _ in range(100):
        await asyncio.sleep(0.001)
        if manager.get_task_status("t") == "cancelled":
            break
    assert manager.get_task_status("t") == "cancelled"


async def test_a_thread_can_start_a_background_task() -> None:
    manager = TaskManager(asyncio.get_running_loop())

    def start() -> object:
        handle = manager.create_background_task(_sleep_and_return("bg"))
        assert isinstance(handle, ThreadTaskHandle)
        return handle.result(timeout=5)

    assert await asyncio.to_thread(start) == "bg"


async def test_dispose_racing_a_thread_hand_off_closes_the_coroutine(
    no_unawaited_warnings: None,
) -> None:
    manager = TaskManager(asyncio.get_running_loop())
    handles: list[concurrent.futures.Future[object]] = []
    await asyncio.to_thread(lambda: handles.append(manager.create_task("t", _forever())))  # type: ignore[arg-type,func-returns-value]
    # The hand-off callback has not run yet: dispose must still cancel it.
    report = await manager.aclose(timeout=1)
    assert report.cancelled == 1
    assert handles[0].cancelled()
    assert manager.active_tasks() == []


def test_create_task_onto_a_closed_loop_raises_and_closes_the_coroutine(
    no_unawaited_warnings: None,
) -> None:
    loop = asyncio.new_event_loop()
    manager = TaskManager(loop)
    loop.close()
    coro = _sleep_and_return(1)
    with pytest.raises(RuntimeError, match="closed"):
        manager.create_task("t", coro)
    assert coro.cr_frame is None
    assert manager.active_tasks() == []


async def test_a_task_cancelled_by_its_owner_before_it_ran_is_reaped(
    no_unawaited_warnings: None,
) -> None:
    manager = TaskManager()
    task = manager.create_task("t", _sleep_and_return(1))
    task.cancel()  # not through the manager, before the first step
    await asyncio.sleep(0)
    assert task.cancelled()
    assert manager.active_tasks() == []
    assert manager.get_task_status("t") == "cancelled"


def test_create_task_without_a_loop_says_how_to_bind_one() -> None:
    manager = TaskManager()
    coro = _sleep_and_return(1)
    with pytest.raises(RuntimeError, match="no event loop"):
        manager.create_task("t", coro)
    assert coro.cr_frame is None  # closed, so nothing warns later


# -- cancelling --------------------------------------------------------------------------


async def test_cancel_task_by_name() -> None:
    manager = TaskManager()
    task = manager.create_task("x", _forever())
    assert manager.cancel_task("x") is True
    assert manager.cancel_task("missing") is False
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0)
    assert manager.get_task_status("x") == "cancelled"


async def test_cancel_all_tasks_counts_and_keeps_tracking_until_finished() -> None:
    manager = TaskManager()
    for name in "abc":
        manager.create_task(name, _forever())
    await asyncio.sleep(0)
    assert manager.cancel_all_tasks() == 3
    # Cancelled, but not finished yet: still tracked.
    assert {t.state for t in manager.active_tasks()} == {"cancelling"}
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert manager.active_tasks() == []


# -- dispose (regression: tracking was cleared while cancelled tasks were pending) --------


async def test_regression_aclose_waits_until_every_task_has_finished() -> None:
    manager = TaskManager()
    finished: list[str] = []

    async def slow_cleanup(name: str) -> None:
        try:
            await _forever()
        finally:
            await asyncio.sleep(0.01)  # cleanup that takes a while after cancellation
            finished.append(name)

    tasks = [manager.create_task(n, slow_cleanup(n)) for n in ("a", "b")]
    await asyncio.sleep(0)
    report = await manager.aclose(timeout=5)
    assert sorted(finished) == ["a", "b"]
    assert all(t.done() for t in tasks)
    assert report.cancelled == 2
    assert report.stuck == ()
    assert manager.active_tasks() == []


async def test_regression_dispose_from_another_thread_waits_for_the_tasks() -> None:
    manager = TaskManager()
    finished = threading.Event()

    async def slow_cleanup() -> None:
        try:
            await _forever()
        finally:
            await asyncio.sleep(0.01)
            finished.set()

    manager.create_task("a", slow_cleanup())
    await asyncio.sleep(0)
    report = await asyncio.to_thread(manager.dispose, 5)
    assert finished.is_set()
    assert report.cancelled == 1
    assert manager.active_tasks() == []


async def test_sync_dispose_on_the_loop_thread_cancels_and_keeps_tracking() -> None:
    manager = TaskManager()
    task = manager.create_task("a", _forever())
    await asyncio.sleep(0)
    report = manager.dispose()  # cannot wait here without blocking the loop
    assert report.cancelled == 1
    assert [p.name for p in report.pending] == ["a"]
    assert [t.name for t in manager.active_tasks()] == ["a"]  # never forgotten
    await asyncio.sleep(0)
    assert task.cancelled()
    await asyncio.sleep(0)  # the done callback runs one tick later
    assert manager.active_tasks() == []


def test_sync_dispose_with_an_idle_loop_runs_it_until_the_tasks_finish() -> None:
    loop = asyncio.new_event_loop()
    try:
        manager = TaskManager(loop)
        finished: list[bool] = []

        async def job() -> None:
            try:
                await _forever()
            finally:
                finished.append(True)

        loop.run_until_complete(asyncio.sleep(0))
        loop.call_soon(manager.create_task, "a", job())
        loop.run_until_complete(asyncio.sleep(0))
        report = manager.dispose()
        assert finished == [True]
        assert report.cancelled == 1
    finally:
        loop.close()


async def test_a_task_that_swallows_cancellation_is_reported_stuck_not_forgotten() -> None:
    manager = TaskManager()
    entered = asyncio.Event()
    task = manager.create_task("stubborn", _stubborn(entered))
    await entered.wait()
    with pytest.warns(StuckTaskWarning, match=r"'stubborn'.*still tracked"):
        report = await manager.aclose(timeout=0.02)
    assert [s.name for s in report.stuck] == ["stubborn"]
    assert report.stuck[0].site.filename == __file__
    assert manager.get_task_status("stubborn") == "stuck"
    assert [t.state for t in manager.active_tasks()] == ["stuck"]
    assert manager.get_debug_info()["stuck"] == 1
    task.cancel()  # the second cancellation is honoured
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0)
    assert manager.active_tasks() == []


async def test_dispose_is_idempotent() -> None:
    manager = TaskManager()
    manager.create_task("a", _forever())
    await asyncio.sleep(0)
    first = await manager.aclose()
    second = await manager.aclose()
    assert first.cancelled == 1
    assert second.cancelled == 0
    assert manager.dispose().cancelled == 0


async def test_aclose_from_inside_a_managed_task_does_not_wait_for_itself() -> None:
    manager = TaskManager()

    async def closer() -> int:
        report = await manager.aclose(timeout=1)
        return report.cancelled

    manager.create_task("other", _forever())
    cancelled = await manager.create_task("closer", closer())
    assert cancelled == 1  # "other"; the closer itself is left to finish


async def test_regression_create_task_after_dispose_raises_and_closes_the_coroutine(
    no_unawaited_warnings: None,
) -> None:
    manager = TaskManager()
    await manager.aclose()
    coro = _sleep_and_return(1)
    with pytest.raises(DisposedError, match="'late' was not started"):
        manager.create_task("late", coro)
    assert coro.cr_frame is None
    with pytest.raises(DisposedError):
        manager.create_background_task(_sleep_and_return(1))


async def test_regression_dispose_before_tasks_first_ran_warns_nothing(
    no_unawaited_warnings: None,
) -> None:
    manager = TaskManager()
    for i in range(5):
        manager.create_task(f"t{i}", _sleep_and_return(i))
    report = await manager.aclose()
    assert report.cancelled == 5
    assert manager.active_tasks() == []


async def test_debug_info_counts_every_outcome() -> None:
    manager = TaskManager()

    async def fail() -> None:
        raise RuntimeError

    await manager.create_task("ok", _sleep_and_return(1))
    await asyncio.wait([manager.create_task("bad", fail())])  # type: ignore[list-item]
    manager.create_task("cancel-me", _forever())
    await asyncio.sleep(0)
    manager.cancel_task("cancel-me")
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    info = manager.get_debug_info()
    assert (info["created"], info["completed"], info["failed"], info["cancelled"]) == (3, 1, 1, 1)
    assert info["active"] == 0


async def test_a_thread_handle_can_be_awaited_from_the_loop() -> None:
    manager = TaskManager(asyncio.get_running_loop())
    handle = await asyncio.to_thread(manager.create_task, "t", _sleep_and_return("awaited"))
    assert isinstance(handle, ThreadTaskHandle)
    assert await handle == "awaited"


async def test_threads_creating_and_inspecting_while_the_loop_finishes_tasks_lose_nothing() -> None:
    # Records are finished on the loop's thread without the manager's lock; other threads
    # must still count every task and never see the live set change under them.
    manager = TaskManager(asyncio.get_running_loop())
    threads, per_thread = 4, 200
    errors: list[BaseException] = []
    done = threading.Event()

    async def tiny() -> None:
        await asyncio.sleep(0)

    def create() -> None:
        try:
            for _ in range(per_thread):
                manager.create_background_task(tiny())
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def inspect() -> None:
        try:
            while not done.is_set():
                manager.active_tasks()
                manager.get_debug_info()
                manager._live_tasks()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    inspector = threading.Thread(target=inspect)
    inspector.start()
    creators = [threading.Thread(target=create) for _ in range(threads)]
    for thread in creators:
        thread.start()
    while any(thread.is_alive() for thread in creators) or manager.active_tasks():
        await asyncio.sleep(0.001)
    done.set()
    inspector.join()
    assert errors == []
    info = manager.get_debug_info()
    assert (info["created"], info["completed"], info["active"]) == (threads * per_thread,) * 2 + (
        0,
    )
