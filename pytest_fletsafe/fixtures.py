"""The plugin's fixtures: a real in-process Flet page, its client, and managed runtime objects.

All of them are function-scoped and register what they hand out in the test's ledger
(``_fletsafe_ledger``), which checks for leftovers after every other fixture has finalized
and then cleans up.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import pytest

from . import detectors
from ._ledger import Finding, Ledger, RunRecord
from ._options import Settings, settings_for

if TYPE_CHECKING:  # flet and the runtime are imported only by tests that use them
    from flet.controls.page import Page

    from fletsafe import AtomicState, Lifetime, MemoryManager, TaskManager

    from ._client import FletClient

__all__ = [
    "FINDINGS",
    "atomic_state",
    "flet_client",
    "flet_page",
    "lifetime",
    "memory_manager",
    "task_manager",
]

FINDINGS = pytest.StashKey[list[Finding]]()
LEDGER = pytest.StashKey[Ledger]()
SETTINGS = pytest.StashKey[Settings]()
#: Set at collection for tests checked process-wide without our fixtures: hooks create and
#: finish their ledger, which costs far less than a fixture (see ``watch_runner``).
HOOK_CHECKED = pytest.StashKey[bool]()
LEDGER_FIXTURE = "_fletsafe_ledger"
FUNCTION_RUNNER = "_function_scoped_runner"  # pytest-asyncio's runner of per-test loops
_OUR_FIXTURES = frozenset(
    {"flet_page", "flet_client", "task_manager", "memory_manager", "atomic_state", "lifetime"}
)


def prepare(item: pytest.Item, marks: Sequence[pytest.Mark]) -> bool:
    """At collection: resolve the item's settings, and give it a ledger if it needs one.

    Only tests that use our fixtures or are checked process-wide pay for a ledger; it goes
    first in the fixture closure so that it is set up first and finalized last. ``marks``
    are all of the item's marks, closest first. Returns whether the item is checked at all.
    """
    settings = item.stash[SETTINGS] = settings_for(item, marks)
    fixturenames: list[str] | None = getattr(item, "fixturenames", None)
    if fixturenames is None:
        return False
    if LEDGER_FIXTURE in fixturenames:
        return True
    if _OUR_FIXTURES.intersection(fixturenames):
        fixturenames.insert(0, LEDGER_FIXTURE)
        return True
    if not (settings.enabled and settings.process_wide):
        return False
    if _is_async(fixturenames) or _on_a_wider_loop(item, marks):
        # A loop that outlives the test: the ledger fixture fetches it up front.
        fixturenames.insert(0, LEDGER_FIXTURE)
        return True
    # Checked by hooks, which cost far less than a fixture; a function-scoped loop is
    # watched from the moment pytest-asyncio creates it (see watch_runner).
    item.stash[HOOK_CHECKED] = True
    return True


def _on_a_wider_loop(item: pytest.Item, marks: Sequence[pytest.Mark]) -> bool:
    """An async test whose pytest-asyncio loop outlives it (loop scope wider than function).

    pytest-asyncio adds its runner to the fixture names only at setup, so this reads what
    it reads: the closest ``asyncio`` marker (auto mode adds one to every async test), else
    the ini default.
    """
    marker = next((mark for mark in marks if mark.name == "asyncio"), None)
    if marker is None:
        return False  # pytest-asyncio runs no loop for it
    scope = marker.kwargs.get("loop_scope") or marker.kwargs.get("scope")
    if not scope:
        try:
            scope = item.config.getini("asyncio_default_test_loop_scope")
        except ValueError:  # pytest-asyncio is not installed
            scope = None
    return str(scope or "function") != "function" and inspect.iscoroutinefunction(
        getattr(item, "obj", None)
    )


def _runner_fixture(fixturenames: list[str]) -> str:
    """pytest-asyncio's runner for this test's loop scope (function scope for sync tests)."""
    for name in fixturenames:
        if _is_async([name]):
            return name
    return FUNCTION_RUNNER


def _test_loop(request: pytest.FixtureRequest, ledger: Ledger) -> asyncio.AbstractEventLoop:
    # Requesting the runner from this fixture makes it finalize *after* us: we see leftover
    # tasks before pytest-asyncio cancels them, and can still run the loop to clean up.
    try:
        runner = request.getfixturevalue(_runner_fixture(request.fixturenames))
    except pytest.FixtureLookupError:  # pytest-asyncio disabled: bring our own loop
        loop = asyncio.new_event_loop()
        ledger.on_cleanup(loop.close)
        return loop
    return runner.get_loop()  # type: ignore[no-any-return]


def _is_async(fixturenames: list[str]) -> bool:
    return any(n.startswith("_") and n.endswith("_scoped_runner") for n in fixturenames)


@pytest.fixture
def _fletsafe_ledger(request: pytest.FixtureRequest) -> Iterator[Ledger]:
    item = request.node
    settings = item.stash.get(SETTINGS, None) or settings_for(item)
    ledger = item.stash[LEDGER] = Ledger(settings)
    watch = settings.enabled and settings.process_wide
    names = request.fixturenames
    uses_ours = bool(_OUR_FIXTURES.intersection(names))
    # A sync test only needs a loop for a page or managed objects; an async one has its own.
    if uses_ours or (watch and _is_async(names)):
        _watch(ledger, _test_loop(request, ledger))
    if uses_ours:
        from fletsafe._accessors import _use_defaults

        defaults = _use_defaults()  # get_task_manager() & co. return this test's instances
        defaults.__enter__()
        ledger.on_cleanup(lambda: defaults.__exit__(None, None, None))
    if watch:
        ledger.watch_threads()  # last before the try: finish() always ends the recording
    try:
        yield ledger
    finally:
        if uses_ours:
            _adopt_defaults(ledger)
        # Items live until the session ends; a ledger kept on each would grow the heap the
        # garbage collector walks for the rest of the run.
        del item.stash[LEDGER]
        findings = finish(item, ledger)
        if findings:
            item.stash[FINDINGS] = findings  # for the teardown hook, which reports them


def _watch(ledger: Ledger, loop: asyncio.AbstractEventLoop) -> None:
    ledger.loop = loop
    settings = ledger.settings
    if settings.enabled and settings.process_wide:
        ledger.watch_loop(loop)
    if settings.enabled and settings.blocking is not None:
        ledger.watch_blocking(loop, settings.blocking)


def watch_runner(ledger: Ledger, runner: Any, runner_def: pytest.FixtureDef[Any]) -> None:
    """A hook-checked test's function-scoped loop runner was just created: watch its loop,
    and check what needs the loop as the runner's *last* finalizer.

    Finalizers run in reverse order, and every fixture using the loop (async fixtures, via
    pytest-asyncio) registers its own teardown on the runner after this one. So the check
    runs after all of them and before the runner's own teardown cancels leftover tasks.
    """
    _watch(ledger, runner.get_loop())
    runner_def.addfinalizer(functools.partial(_check_loop, ledger))


def _check_loop(ledger: Ledger) -> None:
    try:
        if ledger.settings.enabled:
            detectors.collect(ledger, detectors.ON_LOOP)
    finally:
        ledger.cleanup()  # restores the loop's task factory and stops the watchdog


def finish(item: pytest.Item, ledger: Ledger) -> list[Finding]:
    """Detect, record the findings as the item's JUnit properties, then clean up."""
    try:
        findings = detectors.collect(ledger) if ledger.settings.enabled else []
        if findings:
            item.user_properties.extend(("leakcheck", str(finding)) for finding in findings)
        return findings
    finally:
        ledger.unwatch_threads()
        ledger.cleanup()


def _adopt_defaults(ledger: Ledger) -> None:
    """Objects the app made through the accessors during the test are checked too."""
    from fletsafe._accessors import _current_defaults

    tasks, memory, state = _current_defaults()
    if tasks is not None:
        ledger.adopt_tasks(tasks)
    if memory is not None:
        ledger.adopt_memory(memory)
    if state is not None:
        ledger.adopt_state(state)


@pytest.fixture
def task_manager(_fletsafe_ledger: Ledger) -> TaskManager:
    """A :class:`fletsafe.TaskManager` on the test's loop; tasks left running fail the test."""
    from fletsafe import TaskManager
    from fletsafe._accessors import _install_default

    manager = _fletsafe_ledger.adopt_tasks(TaskManager(_fletsafe_ledger.loop, name="task_manager"))
    _install_default(tasks=manager)
    return manager


@pytest.fixture
def memory_manager(_fletsafe_ledger: Ledger) -> MemoryManager:
    """A :class:`fletsafe.MemoryManager`; registrations left at the end fail the test."""
    from fletsafe import MemoryManager
    from fletsafe._accessors import _install_default

    manager = _fletsafe_ledger.adopt_memory(MemoryManager(name="memory_manager"))
    _install_default(memory=manager)
    return manager


@pytest.fixture
def atomic_state(_fletsafe_ledger: Ledger) -> AtomicState:
    """A :class:`fletsafe.AtomicState`; a key still locked at the end fails the test."""
    from fletsafe import AtomicState
    from fletsafe._accessors import _install_default

    state = _fletsafe_ledger.adopt_state(AtomicState(name="atomic_state"))
    _install_default(state=state)
    return state


@pytest.fixture
def lifetime(_fletsafe_ledger: Ledger) -> Lifetime:
    """A :class:`fletsafe.Lifetime` for one view; whatever it still owns at the end is a leak."""
    from fletsafe import Lifetime

    owner = Lifetime("lifetime", loop=_fletsafe_ledger.loop)
    _fletsafe_ledger.adopt_tasks(owner.tasks)
    _fletsafe_ledger.adopt_memory(owner.handlers)
    return owner


def _handler_name(handler: Callable[..., Any]) -> str:
    while isinstance(handler, functools.partial):
        handler = handler.func
    return getattr(handler, "__qualname__", repr(handler))


def instrument(client: FletClient, ledger: Ledger) -> None:
    """Record ``run_task``/``run_thread``/pubsub calls with their call sites."""
    from fletsafe._sites import caller_site

    page = client.page
    run_task, run_thread = page.run_task, page.run_thread
    pubsub = page.pubsub

    def tracked_run_task(handler: Any, *args: Any, **kwargs: Any) -> Any:
        site = caller_site()
        future = run_task(handler, *args, **kwargs)
        ledger.run_tasks.append(RunRecord(_handler_name(handler), site, future))
        return future

    def tracked_run_thread(handler: Any, *args: Any, **kwargs: Any) -> None:
        record = RunRecord(_handler_name(handler), caller_site())
        ledger.run_threads.append(record)

        def work(*a: Any, **kw: Any) -> Any:
            try:
                return handler(*a, **kw)
            except BaseException as exc:
                record.error = exc
                raise
            finally:
                record.finished = True

        run_thread(work, *args, **kwargs)

    def tracked(subscribe: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any) -> Any:
            ledger.pubsub_sites[id(args[-1])] = caller_site()
            return subscribe(*args)

        return wrapper

    page.run_task = tracked_run_task  # type: ignore[method-assign]
    page.run_thread = tracked_run_thread  # type: ignore[method-assign]
    pubsub.subscribe = tracked(pubsub.subscribe)  # type: ignore[method-assign]
    pubsub.subscribe_topic = tracked(pubsub.subscribe_topic)  # type: ignore[method-assign]


def _shut_down(client: FletClient, ledger: Ledger) -> None:
    loop = client.loop
    for record in ledger.run_tasks:
        record.future.cancel()
    if not loop.is_closed() and not loop.is_running():
        loop.run_until_complete(client._close())
        loop.run_until_complete(asyncio.sleep(0))
    client.shutdown()


@pytest.fixture
def flet_page(_fletsafe_ledger: Ledger) -> Page:
    """A real ``flet.Page`` on a real Session, with a simulated client, on the test's loop.

    Tasks from ``page.run_task``, work from ``page.run_thread``, pubsub subscriptions and
    handler exceptions that outlive the test fail it, with the line that created them.
    """
    from ._client import FletClient

    assert _fletsafe_ledger.loop is not None
    client = FletClient(_fletsafe_ledger.loop)
    instrument(client, _fletsafe_ledger)
    _fletsafe_ledger.clients.append(client)
    _fletsafe_ledger.on_cleanup(functools.partial(_shut_down, client, _fletsafe_ledger))
    return client.page


@pytest.fixture
def flet_client(flet_page: Page, _fletsafe_ledger: Ledger) -> FletClient:
    """The simulated client of ``flet_page``: ``click``, ``dispatch``, ``resize``, ``route``,
    ``close``, ``messages`` and ``respond``."""
    return next(c for c in _fletsafe_ledger.clients if c.page is flet_page)
