"""Every detector: a leaking case, its clean twin, and a leak disposed in a fixture teardown."""

from __future__ import annotations

import textwrap
import threading
from dataclasses import dataclass

import pytest

HEADER = """
import asyncio
import threading
import flet as ft
import pytest
from fletsafe import AtomicState

async def forever():
    await asyncio.Event().wait()
"""


@dataclass(frozen=True)
class Case:
    detector: str
    leak: str  # test body that leaves something behind; its last line is the creation site
    clean: str  # the same work, cleaned up inside the test
    fixture: str  # a fixture that starts the work and cleans up in its teardown
    expected: str  # fnmatch pattern of the reported line
    fixtures: str = "flet_page"


CASES = [
    Case(
        "run_task",
        leak="flet_page.run_task(forever)",
        clean="future = flet_page.run_task(forever)\nawait asyncio.sleep(0.01)\nfuture.cancel()",
        fixture="future = flet_page.run_task(forever)\nyield\nfuture.cancel()",
        expected="*task 'forever' still running (run_task)*created at *test_*.py:*",
    ),
    Case(
        "task_manager",
        leak="task_manager.create_task('poll', forever())",
        clean="task_manager.create_task('poll', forever())\nawait task_manager.aclose()",
        fixture="task_manager.create_task('poll', forever())\nyield\nawait task_manager.aclose()",
        expected="*task 'poll' still running (task_manager)*created at *test_*.py:*",
        fixtures="task_manager",
    ),
    Case(
        "run_thread",
        leak="stop = threading.Event()\nflet_page.run_thread(stop.wait, 2)",
        clean="stop = threading.Event()\nflet_page.run_thread(stop.wait, 2)\nstop.set()",
        fixture="stop = threading.Event()\nflet_page.run_thread(stop.wait, 2)\nyield\nstop.set()",
        expected="*thread 'Event.wait' still running (run_thread)*created at *test_*.py:*",
    ),
    Case(
        "handlers",
        leak="memory_manager.register_page_handler(flet_page, 'resize', print)",
        clean="memory_manager.register_page_handler(flet_page, 'resize', print)\n"
        "memory_manager.dispose()",
        fixture="memory_manager.register_page_handler(flet_page, 'resize', print)\nyield\n"
        "memory_manager.dispose()",
        expected="*handler 'page.on_resize' page handler still attached*registered at *test_*.py:*",
        fixtures="flet_page, memory_manager",
    ),
    Case(
        "overlay",
        leak="memory_manager.add_overlay(flet_page, ft.AlertDialog())",
        clean="memory_manager.add_overlay(flet_page, ft.AlertDialog())\nmemory_manager.dispose()",
        fixture="memory_manager.add_overlay(flet_page, ft.AlertDialog())\nyield\n"
        "memory_manager.dispose()",
        expected="*handler 'AlertDialog' still in page.overlay*registered at *test_*.py:*",
        fixtures="flet_page, memory_manager",
    ),
    Case(
        "pubsub",
        leak="flet_page.pubsub.subscribe_topic('contacts', print)",
        clean="flet_page.pubsub.subscribe_topic('contacts', print)\n"
        "flet_page.pubsub.unsubscribe_topic('contacts')",
        fixture="flet_page.pubsub.subscribe_topic('contacts', print)\nyield\n"
        "flet_page.pubsub.unsubscribe_all()",
        expected="*pubsub 'print' still subscribed on topic 'contacts'*subscribed at *test_*.py:*",
    ),
    Case(
        "locks",
        leak="atomic_state._lock_for('cart').acquire('a holder')",
        clean="atomic_state._lock_for('cart').acquire('a holder')\n"
        "atomic_state._lock_for('cart').release('a holder')",
        fixture="atomic_state._lock_for('cart').acquire('a holder')\nyield\n"
        "atomic_state._lock_for('cart').release('a holder')",
        expected="*lock 'cart' still held by *acquired at *test_*.py:*",
        fixtures="atomic_state",
    ),
    Case(
        "errors",
        leak="async def fail():\n    raise ValueError('lost')\n"
        "task_manager.create_background_task(fail())\nawait asyncio.sleep(0.01)",
        clean="async def fine():\n    return 1\n"
        "task_manager.create_background_task(fine())\nawait asyncio.sleep(0.01)",
        fixture="async def fail():\n    raise ValueError('handled')\n"
        "task = task_manager.create_task('save', fail())\nyield\n"
        "with pytest.raises(ValueError):\n    await task",
        expected="*error 'background-1' raised ValueError('lost')*created at *test_*.py:*",
        fixtures="task_manager",
    ),
]
IDS = [c.detector for c in CASES]


def _test(name: str, fixtures: str, body: str) -> str:
    return f"async def {name}({fixtures}):\n" + textwrap.indent(body, "    ") + "\n"


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_a_leak_fails_the_test_and_names_its_creation_site(
    tester: pytest.Pytester, case: Case
) -> None:
    tester.makepyfile(HEADER + _test("test_leaky", case.fixtures, case.leak))
    result = tester.runpytest()
    result.assert_outcomes(passed=1, failed=1)  # the call passed; the leak fails teardown
    result.stdout.fnmatch_lines(["*test_leaky left 1 thing(s) behind:", case.expected])
    result.stdout.fnmatch_lines(["*fletsafe leaks*", "*::test_leaky: 1 left behind"])


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_the_clean_twin_passes(tester: pytest.Pytester, case: Case) -> None:
    tester.makepyfile(HEADER + _test("test_clean", case.fixtures, case.clean))
    tester.runpytest().assert_outcomes(passed=1)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_disposing_in_a_fixture_teardown_is_not_a_leak(tester: pytest.Pytester, case: Case) -> None:
    fixture = (
        f"@pytest.fixture\nasync def view({case.fixtures}):\n"
        + textwrap.indent(case.fixture, "    ")
        + "\n\n"
    )
    tester.makepyfile(HEADER + fixture + _test("test_view", "view", "await asyncio.sleep(0)"))
    tester.runpytest().assert_outcomes(passed=1)


def test_a_plain_task_is_caught_with_the_marker(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        HEADER
        + """
@pytest.mark.leakcheck
async def test_marked():
    asyncio.get_running_loop().create_task(forever(), name="orphan")

async def test_unmarked_is_not_checked_process_wide():
    asyncio.get_running_loop().create_task(forever(), name="orphan")
"""
    )
    result = tester.runpytest()
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*task 'orphan' still pending — created at *test_*.py:*"])


PROCESS_WIDE_FIXTURES = """
stop = threading.Event()

@pytest.fixture
def poller():  # sync, set up before the loop exists, torn down after it closed
    thread = threading.Thread(target=stop.wait, args=(5,), name="poller")
    thread.start()
    yield
    stop.set()
    thread.join()

@pytest.fixture
async def refresher():  # async: torn down on the loop, before pytest-asyncio closes it
    task = asyncio.get_running_loop().create_task(forever(), name="refresher")
    yield
    task.cancel()

@pytest.fixture
async def forgetful():
    asyncio.get_running_loop().create_task(forever(), name="forgotten")
    yield
"""


def test_process_wide_work_undone_in_fixture_teardowns_is_not_a_leak(
    tester: pytest.Pytester,
) -> None:
    tester.makepyfile(
        HEADER
        + PROCESS_WIDE_FIXTURES
        + """
@pytest.mark.leakcheck(grace=0)
async def test_view(poller, refresher):
    await asyncio.sleep(0)
"""
    )
    tester.runpytest().assert_outcomes(passed=1)


def test_a_task_an_async_fixture_forgot_is_caught_process_wide(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        HEADER
        + PROCESS_WIDE_FIXTURES
        + """
@pytest.mark.leakcheck(grace=0)
async def test_view(poller, forgetful):
    await asyncio.sleep(0)
"""
    )
    result = tester.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*task 'forgotten' still pending — created at *test_*.py:*"])
    result.stdout.no_fnmatch_line("*poller*")


@pytest.mark.parametrize("scope", ["function", "module"])
def test_plain_tasks_are_caught_on_every_loop_scope(tester: pytest.Pytester, scope: str) -> None:
    tester.makepyfile(
        HEADER
        + f"""
@pytest.mark.leakcheck(grace=0)
@pytest.mark.asyncio(loop_scope={scope!r})
async def test_leaky():
    asyncio.get_running_loop().create_task(forever(), name="orphan")

@pytest.mark.leakcheck(grace=0)
@pytest.mark.asyncio(loop_scope={scope!r})
async def test_clean():
    task = asyncio.get_running_loop().create_task(forever(), name="orphan")
    task.cancel()
"""
    )
    result = tester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*test_leaky left 1 thing(s) behind:", "*task 'orphan'*"])


def test_a_task_that_finishes_within_the_grace_period_is_not_a_leak(
    tester: pytest.Pytester,
) -> None:
    tester.makepyfile(
        HEADER
        + """
@pytest.mark.leakcheck(grace=1.0)
async def test_slow_cleanup():
    asyncio.get_running_loop().create_task(asyncio.sleep(0.05))

@pytest.mark.leakcheck(grace=0)
async def test_no_grace():
    asyncio.get_running_loop().create_task(asyncio.sleep(0.5), name="late")
"""
    )
    result = tester.runpytest()
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*task 'late' still pending*"])


def test_a_thread_started_in_the_test_is_caught_process_wide(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        HEADER
        + """
stop = threading.Event()

@pytest.mark.leakcheck(grace=0)
def test_thread():
    threading.Thread(target=stop.wait, args=(2,), name="poller").start()

def test_release():
    stop.set()
"""
    )
    result = tester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        ["*thread 'poller' still alive (started during the test) — created at *test_*.py:14"]
    )


def test_a_thread_a_fixture_forgot_is_caught_with_the_line_that_started_it(
    tester: pytest.Pytester,
) -> None:
    tester.makepyfile(
        HEADER
        + """
stop = threading.Event()

def start_poller():
    worker = threading.Thread(target=stop.wait, args=(2,), name="poller")
    worker.start()

@pytest.fixture
def poller():
    threading.Thread(target=start_poller).start()  # started from another thread
    yield

def test_view(poller):
    pass

def test_release():
    stop.set()
"""
    )
    result = tester.runpytest("-p", "no:randomly", "--leakcheck", "-o", "leakcheck_grace=0.05")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*thread 'poller' still alive*— created at *test_*.py:14"])


def test_threading_is_left_as_it_was_after_the_session(tester: pytest.Pytester) -> None:
    start = threading.Thread.start
    tester.makepyfile(
        """
import threading

def test_starts_a_thread():
    threading.Thread(target=lambda: None).start()
"""
    )
    tester.runpytest_inprocess("--leakcheck").assert_outcomes(passed=1)
    assert threading.Thread.start is start


def test_an_error_in_run_thread_work_is_reported(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        HEADER
        + """
async def test_thread_error(flet_page):
    def work():
        raise RuntimeError("import failed")
    flet_page.run_thread(work)
    await asyncio.sleep(0.05)
"""
    )
    result = tester.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*error '*work' raised RuntimeError('import failed')*"])


LOOP_ERRORS = """
async def fail():
    raise ValueError("lost")

@pytest.fixture
async def retried():  # its task's error is retrieved in the teardown
    task = asyncio.get_running_loop().create_task(fail())
    yield
    with pytest.raises(ValueError):
        await task

@pytest.mark.leakcheck
async def test_fire_and_forget():
    asyncio.get_running_loop().create_task(fail(), name="sync-contacts")
    await asyncio.sleep(0.01)
    gc.collect()  # where asyncio logs "Task exception was never retrieved"

@pytest.mark.leakcheck
async def test_callback():
    asyncio.get_running_loop().call_soon(lambda: 1 / 0)
    await asyncio.sleep(0.01)

@pytest.mark.leakcheck
async def test_clean():
    with pytest.raises(ValueError):
        await asyncio.get_running_loop().create_task(fail())

@pytest.mark.leakcheck
async def test_view(retried):
    await asyncio.sleep(0.01)
"""


def test_errors_asyncio_only_logs_are_caught_where_they_were_raised(
    tester: pytest.Pytester,
) -> None:
    tester.makepyfile("import asyncio\nimport gc\n\nimport pytest\n" + LOOP_ERRORS)
    result = tester.runpytest("-p", "no:randomly", "-v")
    result.assert_outcomes(passed=4, failed=2)  # the two leaky tests fail at teardown
    result.stdout.fnmatch_lines(
        [
            "*error 'sync-contacts' raised ValueError('lost') (Task exception was never "
            "retrieved; asyncio only logged it) — raised at *test_*.py:7",
            "*error 'loop' raised ZeroDivisionError* (Exception in callback *) — raised at "
            "*test_*.py:24",
        ]
    )
    result.stdout.fnmatch_lines(["*::test_clean PASSED*", "*::test_view PASSED*"])


def test_a_handler_error_after_the_window_closed_is_caught_where_it_was_raised(
    tester: pytest.Pytester,
) -> None:
    # Flet runs on_disconnect after dropping the connection, so the error never reaches a
    # client: before fletsafe recorded Session.error itself, this test passed.
    tester.makepyfile(
        """
def save_draft():
    raise RuntimeError("save on exit failed")

def on_disconnect(e):
    save_draft()

async def test_leaky(flet_page, flet_client):
    flet_page.on_disconnect = on_disconnect
    await flet_client.close()

async def test_clean(flet_page, flet_client):
    flet_page.on_disconnect = lambda e: None
    await flet_client.close()
"""
    )
    result = tester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*test_leaky left 1 thing(s) behind:",
            "  error 'on_disconnect' raised RuntimeError('save on exit failed') (Flet only "
            "logged it) — raised at *test_*.py:2",
            "      save on exit failed",
            "      Traceback (most recent call last):",
        ]
    )


def test_a_test_that_already_failed_shows_its_own_failure_first(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        HEADER
        + """
async def test_fails_and_leaks(flet_page):
    flet_page.run_task(forever)
    assert 1 == 2
"""
    )
    result = tester.runpytest()
    result.assert_outcomes(failed=2)
    out = result.stdout.str()
    assert out.index("assert 1 == 2") < out.index("left 1 thing(s) behind")


def test_blocking_is_opt_in_and_names_the_line_that_blocked(tester: pytest.Pytester) -> None:
    source = (
        HEADER
        + """
import time

async def save_synchronously():
    time.sleep(0.3)  # a blocking call inside async code: the UI freezes

@pytest.mark.leakcheck(blocking=0.1)
async def test_freeze():
    await asyncio.create_task(save_synchronously())

@pytest.mark.leakcheck(blocking=0.1)
async def test_awaits_instead():
    await asyncio.sleep(0.3)

async def test_not_asked_for(flet_page):
    await asyncio.create_task(save_synchronously())
"""
    )
    written = tester.makepyfile(source).read_text().splitlines()
    line = next(n for n, text in enumerate(written, 1) if "time.sleep(0.3)" in text)
    result = tester.runpytest()
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*blocking 'save_synchronously' blocked the loop for ~0.*s (threshold 0.1s)"
            f" — blocked at *test_*.py:{line}"
        ]
    )


def test_an_error_in_run_task_work_is_reported(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        HEADER
        + """
async def refresh():
    raise ConnectionError("backend down")

async def test_refresh(flet_page):
    flet_page.run_task(refresh)
    await asyncio.sleep(0.01)
"""
    )
    result = tester.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*error 'refresh' raised ConnectionError('backend down') — created at *test_*.py:*"]
    )
