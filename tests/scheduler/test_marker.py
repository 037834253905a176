"""@pytest.mark.interleavings: explore, shrink, report, replay — through pytest itself."""

from __future__ import annotations

import re

import pytest

RACE = """
import asyncio
import pytest

{mark}
async def test_save_twice():
    state = {{"count": 0}}

    async def save(name):
        value = state["count"]
        await asyncio.sleep(0)  # the backend call
        state["count"] = value + 1

    first = asyncio.create_task(save("a"), name="save-1")
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    second = asyncio.create_task(save("b"), name="save-2")
    await asyncio.gather(first, second)
    assert state["count"] == 2
"""

FIXED = """
import asyncio
import pytest

{mark}
async def test_save_twice():
    state = {{"count": 0}}
    lock = asyncio.Lock()

    async def save(name):
        async with lock:  # the read-modify-write is one critical section
            value = state["count"]
            await asyncio.sleep(0)
            state["count"] = value + 1

    first = asyncio.create_task(save("a"), name="save-1")
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    second = asyncio.create_task(save("b"), name="save-2")
    await asyncio.gather(first, second)
    assert state["count"] == 2
"""


def _race(mark: str = "@pytest.mark.interleavings(max_examples=300)", fixed: bool = False) -> str:
    return (FIXED if fixed else RACE).format(mark=mark)


def test_a_race_is_found_shrunk_and_reported_with_a_replay_token(tester: pytest.Pytester) -> None:
    tester.makepyfile(_race())
    result = tester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*InterleavingFailure: a schedule fails: found after * schedule(s)*"
            "shrunk from * to 2 deviation(s) from the default order",
            "*steps of the tasks (» marks a deviation):",
            "*»*task 'save-2' ran start of save() at *, ahead of task 'save-1'",
            "*error: AssertionError*",
            '*@pytest.mark.interleavings(replay="v1:*")',
        ]
    )
    steps = result.stdout.str().split("steps of the tasks")[1].split("error:")[0]
    assert "pytest_fletsafe" not in steps  # every step points into the test, not at us


def test_the_fixed_twin_passes_every_explored_schedule(tester: pytest.Pytester) -> None:
    tester.makepyfile(_race(fixed=True))
    tester.runpytest().assert_outcomes(passed=1)


def test_the_reported_token_replays_the_failure_every_time(tester: pytest.Pytester) -> None:
    tester.makepyfile(_race())
    output = tester.runpytest().stdout.str()
    token = re.search(r'replay="(v1:[0-9.]*)"', output)
    assert token is not None
    tester.makepyfile(_race(mark=f'@pytest.mark.interleavings(replay="{token.group(1)}")'))
    for _ in range(10):
        result = tester.runpytest()
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines([f"*replayed schedule {token.group(1)} fails*"])


def test_the_default_order_alone_passes(tester: pytest.Pytester) -> None:
    tester.makepyfile(_race(mark='@pytest.mark.interleavings(replay="v1:")'))
    tester.runpytest().assert_outcomes(passed=1)


def test_a_deadlock_is_reported_with_what_each_task_waits_on(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        """
        import asyncio
        import pytest

        @pytest.mark.interleavings(max_examples=50)
        async def test_philosophers():
            left, right = asyncio.Lock(), asyncio.Lock()

            async def eat(first, second):
                async with first:
                    await asyncio.sleep(0)
                    async with second:
                        pass

            await asyncio.gather(eat(left, right), eat(right, left))
        """
    )
    result = tester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*Deadlock*nothing can run*", "*waiting on*test_*.py:*"])


def test_outcome_depending_on_state_outside_the_schedule_is_nondeterminism(
    tester: pytest.Pytester,
) -> None:
    tester.makepyfile(
        """
        import asyncio
        import pytest

        runs = [0]

        @pytest.mark.interleavings(max_examples=20)
        async def test_flaky():
            runs[0] += 1
            await asyncio.sleep(0)
            assert runs[0] != 3  # fails on the third schedule only, whatever the schedule
        """
    )
    result = tester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*NondeterminismError*does not replay identically*"])


def test_it_runs_in_strict_mode_without_the_asyncio_marker(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    pytester.makeini(
        "[pytest]\nasyncio_mode = strict\nasyncio_default_fixture_loop_scope = function\n"
    )
    pytester.makepyfile(_race())
    pytester.runpytest().assert_outcomes(failed=1)


def test_the_command_line_budget_wins_over_the_marker(tester: pytest.Pytester) -> None:
    tester.makepyfile(_race(mark="@pytest.mark.interleavings(max_examples=500)"))
    # Exploration is seeded: one schedule with seed 0 is the default order, which passes.
    tester.runpytest("--interleavings-examples=1").assert_outcomes(passed=1)
    tester.runpytest("--interleavings-examples=300").assert_outcomes(failed=1)


@pytest.mark.parametrize(
    ("mark", "message"),
    [
        (
            "interleavings(strategy='dfs')",
            "*strategy='dfs' is invalid: expected one of 'both', 'random', 'pct'",
        ),
        ("interleavings(max_examples=0)", "*max_examples=0 is invalid: expected a whole number*"),
        (
            "interleavings(replay='0.1')",
            "*replay='0.1' is invalid: expected a token like 'v1:0.2.1'*",
        ),
        ("interleavings(examples=5)", "*unknown argument(s) examples*"),
    ],
)
def test_bad_marker_arguments_are_a_usage_error(
    tester: pytest.Pytester, mark: str, message: str
) -> None:
    tester.makepyfile(f"import pytest\n\n@pytest.mark.{mark}\nasync def test_x():\n    pass\n")
    result = tester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: fletsafe: @pytest.mark.interleavings on *{message}"])


def test_a_sync_test_is_a_usage_error(tester: pytest.Pytester) -> None:
    tester.makepyfile("import pytest\n\n@pytest.mark.interleavings\ndef test_x():\n    pass\n")
    result = tester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*the test must be an 'async def' function*"])


def test_a_bad_command_line_budget_is_rejected(tester: pytest.Pytester) -> None:
    tester.makepyfile("def test_x():\n    pass\n")
    result = tester.runpytest("--interleavings-examples=0")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--interleavings-examples*'0' must be at least 1*"])


def test_leak_checks_apply_at_the_end_of_every_schedule(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        """
        import asyncio
        import pytest

        async def poll_forever():
            while True:
                await asyncio.sleep(30)

        @pytest.mark.interleavings(max_examples=5)
        async def test_leaves_a_poller():
            asyncio.create_task(poll_forever(), name="poller")
            await asyncio.sleep(0)

        @pytest.mark.interleavings(max_examples=5)
        async def test_stops_its_poller():
            task = asyncio.create_task(poll_forever(), name="poller")
            await asyncio.sleep(0)
            task.cancel()

        @pytest.mark.interleavings(max_examples=5)
        @pytest.mark.leakcheck(enabled=False)
        async def test_opted_out():
            asyncio.create_task(poll_forever(), name="poller")
        """
    )
    result = tester.runpytest()
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        ["*LeftoverTasks: tasks still pending when the test body finished:*"]
    )
    result.stdout.fnmatch_lines(["*task 'poller' waiting on*test_*.py:*"])


def test_a_race_between_two_clicks_on_a_real_flet_page(tester: pytest.Pytester) -> None:
    written = tester.makepyfile(
        """
        import asyncio
        import flet as ft
        import pytest

        @pytest.mark.interleavings(max_examples=300)
        async def test_two_quick_clicks(flet_page, flet_client):
            saved = ft.Text("0")

            async def on_save(e):
                value = int(saved.value)
                await asyncio.sleep(0)  # the backend call
                saved.value = str(value + 1)

            button = ft.Button("Save", on_click=on_save)
            flet_page.add(saved, button)
            first = flet_client.click(button)
            for _ in range(3):
                await asyncio.sleep(0)
            second = flet_client.click(button)
            await asyncio.gather(first, second)
            assert saved.value == "2"
        """
    )
    lines = written.read_text().splitlines()
    backend_call = next(n for n, text in enumerate(lines, 1) if "the backend call" in text)
    result = tester.runpytest()
    result.assert_outcomes(failed=1)
    # A fresh page per schedule; the steps point into the handler, not into Flet or us.
    result.stdout.fnmatch_lines(
        [
            "*InterleavingFailure: a schedule fails*",
            f"*task 'click Button #1' resumed at *test_a_race_between*.py:{backend_call}",
            f"*task 'click Button #2' resumed at *test_a_race_between*.py:{backend_call}",
        ]
    )


def test_jitter_finds_a_debounce_firing_after_dispose(tester: pytest.Pytester) -> None:
    source = """
import asyncio
import pytest

{mark}
async def test_close_while_typing():
    loop = asyncio.get_running_loop()
    view = {{"disposed": False}}

    def autosave():
        assert not view["disposed"], "autosave ran after dispose"

    loop.call_later(0.49, autosave)   # debounce of the last keystroke
    loop.call_later(0.5, lambda: view.update(disposed=True))
    await asyncio.sleep(1)
"""
    tester.makepyfile(source.format(mark="@pytest.mark.interleavings(max_examples=100)"))
    tester.runpytest().assert_outcomes(passed=1)
    tester.makepyfile(
        source.format(mark="@pytest.mark.interleavings(max_examples=100, jitter=0.05)")
    )
    result = tester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*shrunk from * to 1 deviation(s)*", "*timer autosave * late, ahead of firing on time*"]
    )


@pytest.mark.parametrize("fixtures", ["", "task_manager, atomic_state"])
def test_app_code_using_the_accessors_gets_objects_of_the_running_schedule(
    tester: pytest.Pytester, fixtures: str
) -> None:
    tester.makepyfile(
        f"""
        import asyncio
        import pytest
        from fletsafe import get_atomic_state_manager, get_task_manager

        async def save():  # app code: knows nothing of the test or its schedules
            async with get_atomic_state_manager().atomic_update("count"):
                state = get_atomic_state_manager()
                value = state.get("count", 0)
                await asyncio.sleep(0)
                state.set("count", value + 1)

        @pytest.mark.interleavings(max_examples=20)
        async def test_save_twice({fixtures}):
            tasks = get_task_manager()
            await asyncio.gather(tasks.create_task("a", save()), tasks.create_task("b", save()))
            assert get_atomic_state_manager().get("count") == 2
            await tasks.aclose()
        """
    )
    tester.runpytest().assert_outcomes(passed=1)
