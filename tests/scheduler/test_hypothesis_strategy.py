"""pytest_fletsafe.schedules(): interleavings as a hypothesis strategy, shrunk by hypothesis."""

from __future__ import annotations

import pytest


def test_given_schedules_finds_and_shrinks_a_race(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        """
        import asyncio
        from hypothesis import given, settings
        from pytest_fletsafe import schedules

        async def save_twice():
            state = {"count": 0}

            async def save():
                value = state["count"]
                await asyncio.sleep(0)
                state["count"] = value + 1

            first = asyncio.create_task(save())
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            await asyncio.gather(first, asyncio.create_task(save()))
            assert state["count"] == 2

        @settings(max_examples=300, database=None, deadline=None, derandomize=True)
        @given(schedule=schedules())
        def test_save_twice(schedule):
            schedule.run(save_twice)
        """
    )
    result = tester.runpytest()
    result.assert_outcomes(failed=1)
    # Hypothesis prints the shrunk plan: (deviate?, which) per choice point. Shrunk to the
    # minimum for this program: two deviations.
    output = result.stdout.str()
    plan = output[output.index("schedule=Schedule(plan=[") :].split("])", 1)[0]
    assert plan.count("True") == 2, plan


def test_given_schedules_passes_a_correct_program(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        """
        import asyncio
        from hypothesis import given, settings
        from pytest_fletsafe import schedules

        async def save_twice():
            state = {"count": 0}
            lock = asyncio.Lock()

            async def save():
                async with lock:
                    value = state["count"]
                    await asyncio.sleep(0)
                    state["count"] = value + 1

            await asyncio.gather(save(), save())
            assert state["count"] == 2

        @settings(max_examples=100, database=None, deadline=None, derandomize=True)
        @given(schedule=schedules())
        def test_save_twice(schedule):
            schedule.run(save_twice)
        """
    )
    tester.runpytest().assert_outcomes(passed=1)


def test_the_pct_strategy_finds_a_lock_order_deadlock(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        """
        import asyncio
        from hypothesis import given, settings
        from pytest_fletsafe import schedules

        async def philosophers():
            left, right = asyncio.Lock(), asyncio.Lock()

            async def eat(first, second):
                async with first:
                    await asyncio.sleep(0)
                    async with second:
                        await asyncio.sleep(0)

            one = asyncio.create_task(eat(left, right))
            for _ in range(3):
                await asyncio.sleep(0)
            await asyncio.gather(one, asyncio.create_task(eat(right, left)))

        # derandomize: the same examples every run, so this test cannot flake.
        @settings(max_examples=300, database=None, deadline=None, derandomize=True)
        @given(schedule=schedules(strategy="pct", depth=3))
        def test_dinner(schedule):
            schedule.run(philosophers)
        """
    )
    result = tester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*Deadlock: deadlock: nothing can run*", "*schedule=Schedule(pct=*"]
    )


def test_a_bad_strategy_name_is_refused() -> None:
    from pytest_fletsafe import schedules

    with pytest.raises(ValueError, match="'dfs'"):
        schedules(strategy="dfs")
