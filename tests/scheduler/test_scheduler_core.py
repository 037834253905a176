"""The controlled loop, choosers, exploration, shrinking and replay (no pytest API yet)."""

from __future__ import annotations

import asyncio
import itertools
import sys

import pytest

from pytest_fletsafe.scheduler._choosers import RecordingChooser
from pytest_fletsafe.scheduler._explore import explore, replay, run_schedule, shrink
from pytest_fletsafe.scheduler._loop import Deadlock, UncontrolledError


async def lost_update() -> None:
    """Passes in the default order; a preemption inside inc() loses an update."""
    state = {"n": 0}

    async def inc() -> None:
        value = state["n"]
        await asyncio.sleep(0)
        state["n"] = value + 1

    first = asyncio.create_task(inc())
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    second = asyncio.create_task(inc())
    await asyncio.gather(first, second)
    assert state["n"] == 2, state


def _fewest_failing_deviations(max_points: int = 8, max_deviations: int = 3) -> int:
    """Brute force: the fewest deviations of any failing schedule (the shrink optimum)."""
    for count in range(1, max_deviations + 1):
        for positions in itertools.combinations(range(max_points), count):
            decisions = [0] * (max(positions) + 1)
            for p in positions:
                decisions[p] = 1
            error, diverged = replay(lost_update, tuple(decisions))
            if error is not None and not diverged:
                return count
    raise AssertionError("no failing schedule found by brute force")


def test_the_default_order_is_deterministic_and_passes() -> None:
    runs = []
    for _ in range(5):
        chooser = RecordingChooser()
        assert run_schedule(lost_update, chooser) is None
        runs.append(chooser.decisions)
    # How many choice points depends on asyncio's internals (3.11: 5, 3.12+: 3); that every
    # run takes the same, default, decisions does not.
    assert runs[0]
    assert all(run == runs[0] for run in runs)
    assert set(runs[0]) == {0}


@pytest.mark.parametrize("strategy", ["random", "pct"])
def test_exploration_finds_the_race(strategy: str) -> None:
    failure = explore(lost_update, schedules=500, strategy=strategy)
    assert failure is not None
    assert isinstance(failure.error, AssertionError)


def test_a_failure_shrinks_to_the_fewest_deviations() -> None:
    failure = explore(lost_update, schedules=500, seed=3)
    assert failure is not None
    shrunk = shrink(lost_update, failure)
    assert shrunk.deviations == _fewest_failing_deviations()
    assert shrunk.deviations <= failure.deviations


def test_a_shrunk_schedule_replays_ten_times_out_of_ten() -> None:
    failure = explore(lost_update, schedules=500)
    assert failure is not None
    shrunk = shrink(lost_update, failure)
    for _ in range(10):
        error, diverged = replay(lost_update, shrunk.decisions)
        assert isinstance(error, AssertionError)
        assert not diverged


def test_a_replay_that_takes_another_path_is_reported() -> None:
    _, diverged = replay(lost_update, (5,))  # no choice point has 6 candidates
    assert diverged


def test_deadlock_names_what_each_task_waits_on() -> None:
    async def philosophers() -> None:
        left, right = asyncio.Lock(), asyncio.Lock()

        async def eat(first: asyncio.Lock, second: asyncio.Lock) -> None:
            async with first:
                await asyncio.sleep(0)
                async with second:
                    pass

        await asyncio.gather(eat(left, right), eat(right, left))

    error = run_schedule(philosophers, RecordingChooser())
    assert isinstance(error, Deadlock)
    assert "nothing can run and no timer is pending" in str(error)
    assert str(error).count("waiting on") == 3
    assert __file__ in str(error)


def test_virtual_time_makes_sleeps_and_timeouts_instant() -> None:
    async def slow() -> tuple[float, bool]:
        loop = asyncio.get_running_loop()
        start = loop.time()
        await asyncio.sleep(3600)
        try:
            await asyncio.wait_for(asyncio.sleep(7200), timeout=60)
            timed_out = False
        except asyncio.TimeoutError:
            timed_out = True
        return loop.time() - start, timed_out

    results: list[tuple[float, bool]] = []

    async def program() -> None:
        results.append(await slow())

    assert run_schedule(program, RecordingChooser()) is None
    assert results == [(3660.0, True)]


def test_timers_due_at_the_same_instant_are_a_choice_point() -> None:
    order: list[str] = []

    async def program() -> None:
        loop = asyncio.get_running_loop()
        loop.call_later(1, order.append, "a")
        loop.call_later(1, order.append, "b")
        await asyncio.sleep(2)

    assert run_schedule(program, RecordingChooser()) is None
    error, _ = replay(program, (1,))
    assert error is None
    assert order == ["a", "b", "b", "a"]


def test_executor_work_runs_at_a_controlled_point() -> None:
    seen: list[str] = []

    async def program() -> None:
        result = await asyncio.get_running_loop().run_in_executor(None, seen.append, "ran")
        assert result is None
        await asyncio.to_thread(seen.append, "to_thread")

    assert run_schedule(program, RecordingChooser()) is None
    assert seen == ["ran", "to_thread"]


def test_real_io_raises_instead_of_flaking() -> None:
    async def program() -> None:
        await asyncio.open_connection("127.0.0.1", 9)

    error = run_schedule(program, RecordingChooser())
    assert isinstance(error, UncontrolledError)
    assert "replace it with a fake" in str(error)


def test_unknown_strategy_is_refused() -> None:
    with pytest.raises(ValueError, match="'dfs'"):
        explore(lost_update, strategy="dfs")


def test_xdist_workers_explore_distinct_seeds(monkeypatch: pytest.MonkeyPatch) -> None:
    from pytest_fletsafe.scheduler._pytest import worker_seed

    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    assert worker_seed(7, 100) == 7
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw2")
    assert worker_seed(7, 100) == 207  # gw2 explores seeds 207..306: no overlap with gw0/gw1


def test_a_handle_cancelled_at_the_same_instant_is_no_false_deadlock() -> None:
    async def program() -> None:
        loop = asyncio.get_running_loop()
        autosave = loop.call_later(0.5, lambda: None)
        loop.call_later(0.5, autosave.cancel)  # a dispose due at the same instant
        await asyncio.sleep(1)

    for decisions in [(), (1,)]:
        error, diverged = replay(program, decisions)
        assert error is None
        assert not diverged


def test_a_real_thread_raises_instead_of_escaping_the_schedule() -> None:
    import threading

    async def program() -> None:
        threading.Thread(target=print, name="poller").start()

    error = run_schedule(program, RecordingChooser())
    assert isinstance(error, UncontrolledError)
    assert "'poller'" in str(error)
    # Restored afterwards: threads start normally again.
    thread = threading.Thread(target=lambda: None)
    thread.start()
    thread.join()


async def debounce_just_before_dispose() -> None:
    """The autosave is due 10 ms before the view is disposed: only a late timer races."""
    loop = asyncio.get_running_loop()
    view = {"disposed": False}

    def autosave() -> None:
        assert not view["disposed"], "autosave ran after dispose"

    loop.call_later(0.49, autosave)
    loop.call_later(0.5, lambda: view.update(disposed=True))
    await asyncio.sleep(1)


def test_without_jitter_timers_fire_exactly_on_time() -> None:
    assert explore(debounce_just_before_dispose, schedules=200) is None


def test_jitter_explores_a_timer_firing_late() -> None:
    from pytest_fletsafe.scheduler._explore import RunOptions

    options = RunOptions(jitter=0.05)
    failure = explore(debounce_just_before_dispose, schedules=200, options=options)
    assert failure is not None
    assert "after dispose" in str(failure.error)
    shrunk = shrink(debounce_just_before_dispose, failure, options=options)
    assert shrunk.deviations == 1  # one timer, late
    trace: list = []
    error, diverged = replay(debounce_just_before_dispose, shrunk.decisions, trace, options)
    assert error is not None
    assert not diverged
    assert any(step.actor == "timer autosave" and "late" in step.site for step in trace)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="asyncio.timeout is new in 3.11")
def test_asyncio_timeout_runs_on_virtual_time() -> None:
    seen: list[float] = []

    async def program() -> None:
        loop = asyncio.get_running_loop()
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(30):  # type: ignore[attr-defined]
                await asyncio.sleep(3600)
        seen.append(loop.time())

    assert run_schedule(program, RecordingChooser()) is None
    assert seen == [30.0]
