"""The marker, --leakcheck, ini keys, bad input, reporting, and turning it all off."""

from __future__ import annotations

import pytest

LEAKY = """
import asyncio
import pytest

async def forever():
    await asyncio.Event().wait()
"""


def test_marker_enabled_false_opts_out(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        LEAKY
        + """
@pytest.mark.leakcheck(enabled=False)
async def test_opted_out(flet_page):
    flet_page.run_task(forever)
"""
    )
    tester.runpytest().assert_outcomes(passed=1)


def test_a_detector_can_be_switched_off(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        LEAKY
        + """
@pytest.mark.leakcheck(tasks=False)
async def test_tasks_off(flet_page):
    flet_page.run_task(forever)

@pytest.mark.leakcheck(tasks=False)
async def test_pubsub_still_on(flet_page):
    flet_page.pubsub.subscribe(print)
"""
    )
    result = tester.runpytest()
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*pubsub 'print' still subscribed*"])


def test_the_closest_marker_wins(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        LEAKY
        + """
pytestmark = pytest.mark.leakcheck(enabled=False)

async def test_module_off(flet_page):
    flet_page.run_task(forever)

@pytest.mark.leakcheck(enabled=True)
async def test_back_on(flet_page):
    flet_page.run_task(forever)
"""
    )
    tester.runpytest().assert_outcomes(passed=2, failed=1)


def test_allow_list_from_marker_and_ini(tester: pytest.Pytester) -> None:
    tester.makeini(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
        "leakcheck_allow = heartbeat*\n"
    )
    tester.makepyfile(
        LEAKY
        + """
async def heartbeat_loop():
    await forever()

async def test_ini_allowed(flet_page):
    flet_page.run_task(heartbeat_loop)

@pytest.mark.leakcheck(allow=["forever"])
async def test_marker_allowed(flet_page):
    flet_page.run_task(forever)
"""
    )
    tester.runpytest().assert_outcomes(passed=2)


def test_leakcheck_option_checks_every_test(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        LEAKY
        + """
async def test_orphan():
    asyncio.get_running_loop().create_task(forever(), name="orphan")
"""
    )
    tester.runpytest().assert_outcomes(passed=1)
    result = tester.runpytest("--leakcheck")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*task 'orphan' still pending*"])


def test_leakcheck_ini_checks_every_test(tester: pytest.Pytester) -> None:
    tester.makeini(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
        "leakcheck = true\n"
    )
    tester.makepyfile(
        LEAKY
        + """
async def test_orphan():
    asyncio.get_running_loop().create_task(forever(), name="orphan")
"""
    )
    tester.runpytest().assert_outcomes(passed=1, failed=1)


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        ("leakcheck(grace=-1)", "*grace=-1 is invalid: expected a finite number of seconds >= 0*"),
        ("leakcheck(grace='soon')", "*grace='soon' is invalid: expected a number of seconds*"),
        (
            "leakcheck(tasks='yes please')",
            "*tasks='yes please' is invalid: expected true or false*",
        ),
        ("leakcheck(blocking=0)", "*blocking=0 is invalid*> 0*"),
        ("leakcheck(allow=[1])", "*allow=?1? is invalid: expected a glob pattern*"),
        ("leakcheck(taks=False)", "*unknown argument(s) taks; known: *tasks*"),
        ("leakcheck(False)", "*positional arguments (False,) are not accepted*"),
    ],
)
def test_bad_marker_arguments_are_a_usage_error(
    tester: pytest.Pytester, marker: str, message: str
) -> None:
    tester.makepyfile(f"import pytest\n\n@pytest.mark.{marker}\ndef test_x():\n    pass\n")
    result = tester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: fletsafe: @pytest.mark.leakcheck on *test_x:{message}"])
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()


@pytest.mark.parametrize(
    ("ini", "message"),
    [
        ("leakcheck = maybe", "*ini leakcheck='maybe' is invalid: expected true or false*"),
        ("leakcheck_grace = -2", "*ini leakcheck_grace='-2' is invalid*"),
        ("leakcheck_blocking = fast", "*ini leakcheck_blocking='fast' is invalid*"),
    ],
)
def test_bad_ini_values_are_a_usage_error(tester: pytest.Pytester, ini: str, message: str) -> None:
    tester.makeini(
        f"[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n{ini}\n"
    )
    tester.makepyfile("def test_x():\n    pass\n")
    result = tester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: fletsafe: {message}"])


def test_report_header_says_what_is_on(tester: pytest.Pytester) -> None:
    tester.makepyfile("def test_x():\n    pass\n")
    tester.runpytest().stdout.fnmatch_lines(
        ["fletsafe: leak checks on for tests using fletsafe fixtures or the marker (tasks, *)"]
    )
    tester.runpytest("--leakcheck").stdout.fnmatch_lines(
        [
            "fletsafe: leak checks on for every test"
            " (tasks, threads, handlers, pubsub, locks, errors)"
        ]
    )


def test_findings_are_junit_properties(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        LEAKY
        + """
async def test_leaky(flet_page):
    flet_page.run_task(forever)
"""
    )
    tester.runpytest("--junitxml=report.xml")
    xml = (tester.path / "report.xml").read_text()
    assert '<property name="leakcheck" value="task \'forever\' still running (run_task)' in xml


def test_no_fletsafe_turns_it_all_off(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        LEAKY
        + """
@pytest.mark.leakcheck
async def test_orphan():
    asyncio.get_running_loop().create_task(forever())
"""
    )
    result = tester.runpytest("-p", "no:fletsafe")
    result.assert_outcomes(passed=1)
    assert "fletsafe:" not in result.stdout.str()


def test_skipped_and_xfailed_tests_do_not_fail_on_leftovers(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        LEAKY
        + """
@pytest.mark.skip(reason="not today")
async def test_skipped(flet_page):
    flet_page.run_task(forever)

@pytest.mark.xfail(reason="known bug", strict=True)
async def test_xfail(flet_page):
    flet_page.run_task(forever)
    assert False
"""
    )
    result = tester.runpytest("--junitxml=report.xml")
    result.assert_outcomes(skipped=1, xfailed=1)
    xml = (tester.path / "report.xml").read_text()
    assert xml.count('<property name="leakcheck"') == 1  # the xfail's leftover, for information
