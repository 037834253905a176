"""Beside pytest-asyncio's modes and loop scopes, hypothesis, pytest-xdist and pytest-timeout."""

from __future__ import annotations

import pytest

LEAKY_AND_CLEAN = """
import asyncio
import pytest

async def forever():
    await asyncio.Event().wait()

{mark}
async def test_leaky(flet_page):
    flet_page.run_task(forever)

{mark}
async def test_clean(flet_page):
    future = flet_page.run_task(forever)
    await asyncio.sleep(0)
    future.cancel()
"""


def test_strict_mode(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        "[pytest]\nasyncio_mode = strict\nasyncio_default_fixture_loop_scope = function\n"
    )
    pytester.makepyfile(LEAKY_AND_CLEAN.format(mark="@pytest.mark.asyncio"))
    result = pytester.runpytest()
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*task 'forever' still running (run_task)*"])


@pytest.mark.parametrize("scope", ["module", "session"])
def test_wider_loop_scopes(pytester: pytest.Pytester, scope: str) -> None:
    pytester.makeini(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
        f"asyncio_default_test_loop_scope = {scope}\n"
    )
    pytester.makepyfile(
        LEAKY_AND_CLEAN.format(mark=f"@pytest.mark.asyncio(loop_scope={scope!r})")
        + """
async def test_same_loop_later(flet_page):
    await asyncio.sleep(0)
"""
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=3, failed=1)


def test_hypothesis_given_tests_are_checked_once_per_test(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        """
        import asyncio
        from hypothesis import HealthCheck, given, settings, strategies as st

        runs = []

        async def forever():
            await asyncio.Event().wait()

        @settings(
            max_examples=5, deadline=None, database=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture],
        )
        @given(st.integers())
        def test_given(task_manager, n):
            runs.append(n)
            task_manager.create_task("poll", forever())  # replaces the previous example's

        def test_all_examples_ran():
            assert len(runs) == 5
        """
    )
    result = tester.runpytest("-p", "no:randomly")
    # The fixture is shared by every example: the check runs once, after the last one.
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*test_given left 1 thing(s) behind*", "*task 'poll'*"])


def test_xdist_workers_report_their_findings(tester: pytest.Pytester) -> None:
    tester.makepyfile(LEAKY_AND_CLEAN.format(mark=""))
    result = tester.runpytest_subprocess("-n", "2")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        ["*task 'forever' still running*", "*fletsafe leaks*", "*::test_leaky: 1 left behind"]
    )


def test_pytest_timeout_still_applies(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        """
        import asyncio

        async def test_slow(flet_page):
            await asyncio.sleep(10)
        """
    )
    result = tester.runpytest_subprocess("--timeout=1")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*Timeout*"])
