"""The pytest entry point (``pytest11: fletsafe``). Each hook does one job.

Disable everything with ``-p no:fletsafe``.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
from collections.abc import Generator
from typing import Any

import pytest

from . import fixtures
from ._ledger import Finding, Ledger, restore_threading
from ._options import (
    DETECTORS,
    INTERLEAVINGS,
    INTERLEAVINGS_HELP,
    MARKER,
    MARKER_HELP,
    InterleavingSettings,
    add_interleaving_options,
    add_options,
    check_config,
    interleavings_for,
)

_INTERLEAVE = pytest.StashKey[InterleavingSettings]()
#: The test function as collected: pytest-asyncio replaces ``item.obj`` with a sync wrapper
#: at run time, and the interleavings and growth runs need the ``async def`` itself.
_FUNCTION = pytest.StashKey[Any]()


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)
    add_interleaving_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MARKER}{MARKER_HELP[len(MARKER) :]}")
    config.addinivalue_line("markers", INTERLEAVINGS_HELP)
    check_config(config)
    config.pluginmanager.register(fixtures, "fletsafe.fixtures")


def pytest_unconfigure(config: pytest.Config) -> None:
    restore_threading()


def pytest_report_header(config: pytest.Config) -> str:
    from ._options import LEAKCHECK_DEST, _ini

    process_wide = bool(config.getoption(LEAKCHECK_DEST)) or _ini(config)["process_wide"]
    scope = "every test" if process_wide else "tests using fletsafe fixtures or the marker"
    return f"fletsafe: leak checks on for {scope} ({', '.join(DETECTORS)})"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    interleaved = checked = growth = False
    inherited: dict[int, list[pytest.Mark]] = {}
    for item in items:  # bad markers: a UsageError now
        marks = _marks(item, inherited)
        interleaved |= _prepare_interleavings(item, marks)
        checked |= fixtures.prepare(item, marks)
        if item.stash[fixtures.SETTINGS].growth is not None:
            item.stash[_FUNCTION] = getattr(item, "obj", None)
            growth = True
    # Per-test hooks cost every test a few microseconds, and the runtime ~15 ms to import:
    # both only when some test is checked or interleaved.
    if checked or interleaved:
        _skip_infrastructure_frames()  # creation sites and steps point into the user's code
    if checked and not config.pluginmanager.has_plugin(_PER_TEST):
        config.pluginmanager.register(_PerTestHooks(), _PER_TEST)
    if (interleaved or growth) and not config.pluginmanager.has_plugin(_CALLS):
        config.pluginmanager.register(_CallHooks(), _CALLS)


def _skip_infrastructure_frames() -> None:
    """Creation sites should land in the user's code, not in ours or Flet's."""
    from fletsafe._sites import skip_directory

    skip_directory(os.path.dirname(__file__))
    for package in ("flet", "msgpack"):  # located, not imported: flet costs ~80 ms
        spec = importlib.util.find_spec(package)
        if spec is not None and spec.origin:
            skip_directory(os.path.dirname(spec.origin))


def _marks(item: pytest.Item, inherited: dict[int, list[pytest.Mark]]) -> list[pytest.Mark]:
    """``list(item.iter_markers())``, walking each module's and class's chain only once."""
    parent = item.parent
    above = inherited.get(id(parent))
    if above is None:
        above = inherited[id(parent)] = list(parent.iter_markers()) if parent else []
    return [*item.own_markers, *above]


def _prepare_interleavings(item: pytest.Item, marks: list[pytest.Mark]) -> bool:
    settings = interleavings_for(item, marks)
    if settings is None:
        return False
    function = getattr(item, "obj", None)
    if not inspect.iscoroutinefunction(function):
        raise pytest.UsageError(
            f"fletsafe: @pytest.mark.{INTERLEAVINGS} on {item.nodeid}: the test must be an "
            "'async def' function (its tasks are what gets interleaved)"
        )
    item.stash[_INTERLEAVE] = settings
    item.stash[_FUNCTION] = function
    return True


def _test_arguments(item: pytest.Function) -> dict[str, Any]:
    """The fixture values the test function itself asks for (as pytest passes them)."""
    return {name: item.funcargs[name] for name in item._fixtureinfo.argnames}


_CALLS = "fletsafe.calls"


class _CallHooks:
    """Runs interleaved and growth-checked tests itself; registered only if one is collected."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_pyfunc_call(self, pyfuncitem: pytest.Function) -> bool | None:
        settings = pyfuncitem.stash.get(_INTERLEAVE, None)
        if settings is None:
            return _run_growth_check(pyfuncitem)
        from .scheduler._pytest import run_marked_test

        leaks = pyfuncitem.stash.get(fixtures.SETTINGS, None)
        check = leaks is not None and leaks.enabled and "tasks" in leaks.detectors
        run_marked_test(
            pyfuncitem.stash[_FUNCTION],
            _test_arguments(pyfuncitem),
            settings,
            leaks.grace if leaks and check else None,
        )
        return True  # ran here, under the controlled loop; not by pytest-asyncio


def _run_growth_check(item: pytest.Function) -> bool | None:
    """``leakcheck(growth=N)``: the test body, repeated under ``assert_no_growth``."""
    leaks = item.stash.get(fixtures.SETTINGS, None)
    if leaks is None or not leaks.enabled or leaks.growth is None:
        return None
    from ._growth import assert_no_growth

    function = item.stash.get(_FUNCTION, None) or item.obj
    funcargs = _test_arguments(item)
    ledger = item.stash.get(fixtures.LEDGER, None)
    if ledger is None:  # checked by hooks, not by the ledger fixture
        hooks = item.config.pluginmanager.get_plugin(_PER_TEST)
        ledger = hooks.ledger_of(item) if hooks is not None else None
    loop = ledger.loop if ledger is not None else None
    check = assert_no_growth(
        lambda: function(**funcargs), iterations=leaks.growth, page=funcargs.get("flet_page")
    )
    if loop is not None:
        loop.run_until_complete(check)
    else:
        import asyncio

        asyncio.run(check)
    return True


_PER_TEST = "fletsafe.per-test"


class _PerTestHooks:
    """Hooks that run for every test, registered only when some test is checked.

    Plain hooks where possible: a wrapper costs a generator per call. The leak report is
    applied in ``pytest_runtest_logreport`` (tryfirst), before the terminal, JUnit and
    xdist see the report.
    """

    def __init__(self) -> None:
        self._texts: dict[str, str] = {}  # nodeid -> formatted findings, until its report
        self._xfailed: set[str] = set()
        self._running: tuple[pytest.Item, Ledger] | None = None  # a hook-checked test

    def ledger_of(self, item: pytest.Item) -> Ledger | None:
        """The ledger of ``item`` if it is the hook-checked test running now."""
        running = self._running
        return running[1] if running is not None and running[0] is item else None

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        if fixtures.HOOK_CHECKED in item.stash:
            ledger = Ledger(item.stash[fixtures.SETTINGS])
            self._running = (item, ledger)
            ledger.watch_threads()

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(
        self, fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
    ) -> Generator[None, Any, Any]:
        # A wrapper, because the runner must exist before its finalizer can be added.
        value = yield
        if fixturedef.argname == fixtures.FUNCTION_RUNNER:
            ledger = self.ledger_of(request.node)
            if ledger is not None:
                fixtures.watch_runner(ledger, value, fixturedef)
        return value

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> None:
        # trylast: pytest's own teardown has finalized every fixture (and the ledger's).
        ledger = self.ledger_of(item)
        if ledger is not None:
            self._running = None
            findings = fixtures.finish(item, ledger)
        elif fixtures.FINDINGS in item.stash:  # found by the ledger fixture's teardown
            findings = item.stash[fixtures.FINDINGS]
            del item.stash[fixtures.FINDINGS]  # reported once, even if the item runs again
        else:
            return
        if findings:
            self._texts[item.nodeid] = _format(item.nodeid, findings)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call":
            if getattr(report, "wasxfail", None) is not None and report.skipped:
                self._xfailed.add(report.nodeid)
        elif report.when == "teardown":
            text = self._texts.pop(report.nodeid, None)
            xfailed = report.nodeid in self._xfailed
            self._xfailed.discard(report.nodeid)
            if text is not None:
                _report_findings(report, text, xfailed)


def _report_findings(report: pytest.TestReport, text: str, xfailed: bool) -> None:
    if xfailed:
        # Leftovers after an expected failure are expected: inform, don't fail.
        report.sections.append(("leakcheck (xfail, not failing)", text))
    elif report.passed:
        report.outcome = "failed"
        report.longrepr = text
    else:  # a fixture's teardown failed too: show its error first, ours after
        report.sections.append(("leakcheck", text))


def _leaks(report: pytest.TestReport) -> int:
    return sum(1 for name, _ in getattr(report, "user_properties", ()) if name == "leakcheck")


@pytest.hookimpl(tryfirst=True)
def pytest_report_teststatus(
    report: pytest.TestReport, config: pytest.Config
) -> tuple[str, str, tuple[str, dict[str, bool]]] | None:
    # A leak found after teardown is the test's failure, not an error in a fixture.
    if report.when == "teardown" and report.failed and _leaks(report):
        return "failed", "F", ("FAILED", {"red": True})
    return None


def _format(nodeid: str, findings: list[Finding]) -> str:
    lines = [f"{nodeid} left {len(findings)} thing(s) behind:"]
    lines += [f"  {finding}" for finding in findings]
    lines.append(
        "(allow expected leftovers with @pytest.mark.leakcheck(allow=[...]) or the "
        "leakcheck_allow ini key)"
    )
    return "\n".join(lines)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    # Read from the reports themselves, so findings from xdist workers are included.
    leaky = [
        (report.nodeid, _leaks(report))
        for report in terminalreporter.stats.get("failed", [])
        if getattr(report, "when", None) == "teardown" and _leaks(report)
    ]
    if leaky:
        terminalreporter.section("fletsafe leaks")
        for nodeid, count in leaky:
            terminalreporter.line(f"{nodeid}: {count} left behind")
