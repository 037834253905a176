"""What one test started, for the detectors to inspect after all its fixtures finalized.

The fixtures register what they hand out (managed task/memory/state objects, in-process
pages); the page's ``run_task``/``run_thread`` and pubsub calls are recorded with their call
sites as they happen (Flet keeps no reference to them). With process-wide checks on, a task
factory on the test's loop records every task created during the test.

Detection then cleanup: the ledger is inspected *before* anything is cleaned up, so a leak
the test left is seen, and then everything is cleaned up, so one leaking test cannot make
the next one fail.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import textwrap
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._options import Settings

if TYPE_CHECKING:  # the runtime is imported only once a test is actually checked
    from fletsafe import AtomicState, MemoryManager, TaskManager
    from fletsafe._sites import Site

    from ._client import FletClient
    from ._watchdog import Watchdog

__all__ = ["Finding", "Ledger"]


@dataclass(frozen=True)
class Finding:
    """One thing a test left behind. Built at detection time, rendered as one line."""

    kind: str
    """``task``, ``thread``, ``handler``, ``pubsub``, ``lock`` or ``error``."""
    name: str
    site: Site | None
    detail: str
    verb: str | None = None
    """What happened at ``site``, when the kind's usual verb would mislead (``raised``)."""
    trace: str = ""
    """A traceback, shown under the line."""

    def __str__(self) -> str:
        where = f" — {self._verb()} at {self.site}" if self.site else ""
        trace = "\n" + textwrap.indent(self.trace.rstrip(), "      ") if self.trace else ""
        return f"{self.kind} {self.name!r} {self.detail}{where}{trace}"

    def _verb(self) -> str:
        if self.verb is not None:
            return self.verb
        return {
            "handler": "registered",
            "pubsub": "subscribed",
            "lock": "acquired",
            "blocking": "blocked",
        }.get(self.kind, "created")


@dataclass
class RunRecord:
    """A ``page.run_task``/``run_thread`` call: Flet returns no (or an untracked) handle."""

    name: str
    site: Site
    future: Any = None  # concurrent.futures.Future for run_task
    finished: bool = False  # for run_thread
    error: BaseException | None = None


@dataclass
class Ledger:
    settings: Settings
    loop: asyncio.AbstractEventLoop | None = None
    task_managers: list[TaskManager] = field(default_factory=list)
    memory_managers: list[MemoryManager] = field(default_factory=list)
    states: list[AtomicState] = field(default_factory=list)
    clients: list[FletClient] = field(default_factory=list)
    run_tasks: list[RunRecord] = field(default_factory=list)
    run_threads: list[RunRecord] = field(default_factory=list)
    pubsub_sites: dict[int, Site] = field(default_factory=dict)
    loop_errors: list[Finding] = field(default_factory=list)
    # Strong references on purpose: asyncio holds tasks weakly, so an orphan task waiting
    # on an object only it references is a garbage cycle, and would vanish mid-check.
    created_tasks: dict[asyncio.Task[Any], Site] = field(default_factory=dict)
    started_threads: list[tuple[threading.Thread, Site]] = field(default_factory=list)
    watchdog: Watchdog | None = None
    findings: list[Finding] = field(default_factory=list)
    checked: set[str] = field(default_factory=set)  # detectors that have run
    _undo: list[Callable[[], object]] = field(default_factory=list)
    _outer: Ledger | None = None  # whose threads were recorded before this ledger's

    def recorded_nothing(self) -> bool:
        """True if nothing a detector inspects was recorded: the common case, checked first.

        Every record a detector reads must appear here (``test_ledger`` checks the fields).
        """
        return not (
            self.task_managers
            or self.memory_managers
            or self.states
            or self.clients
            or self.run_tasks
            or self.run_threads
            or self.loop_errors
            or self.created_tasks
            or self.started_threads
            or self.watchdog
        )

    def allowed(self, name: str) -> bool:
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in self.settings.allow)

    def on_cleanup(self, fn: Callable[[], object]) -> None:
        self._undo.append(fn)

    def cleanup(self) -> None:
        """Undo in reverse order of registration; every step runs even if one fails."""
        errors = []
        while self._undo:
            try:
                self._undo.pop()()
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)
        if errors:
            raise errors[0]

    # -- recording ------------------------------------------------------------------------

    def adopt_tasks(self, manager: TaskManager) -> TaskManager:
        """Check ``manager``'s tasks after the test, then dispose it."""
        if manager not in self.task_managers:
            self.task_managers.append(manager)
            self.on_cleanup(lambda: _dispose_quietly(manager))
        return manager

    def adopt_memory(self, manager: MemoryManager) -> MemoryManager:
        """Check ``manager``'s registrations after the test, then undo them."""
        if manager not in self.memory_managers:
            self.memory_managers.append(manager)
            self.on_cleanup(manager.dispose)
        return manager

    def adopt_state(self, state: AtomicState) -> AtomicState:
        """Check ``state`` for held locks after the test."""
        if state not in self.states:
            self.states.append(state)
        return state

    def watch_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """Record every task created on ``loop`` from now on, and errors it would only log."""
        from fletsafe._sites import caller_site

        previous_factory = loop.get_task_factory()
        previous_handler = loop.get_exception_handler()
        created = self.created_tasks

        def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> Any:
            task: Any = (
                previous_factory(loop, coro, **kwargs)
                if previous_factory is not None
                else asyncio.Task(coro, loop=loop, **kwargs)
            )
            created[task] = caller_site()
            # Only pending tasks matter; holding finished ones would make the plugin itself
            # look like a leak to assert_no_growth (one Task, Site and Context per click).
            task.add_done_callback(created.pop)  # never cleared by us: the key is there
            return task

        def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
            exception = context.get("exception")
            if exception is not None and not isinstance(exception, asyncio.CancelledError):
                self.loop_errors.append(_loop_error(context, exception))
            if previous_handler is not None:
                previous_handler(loop, context)
            else:
                loop.default_exception_handler(context)

        loop.set_task_factory(factory)
        loop.set_exception_handler(handler)

        def restore() -> None:
            if not loop.is_closed():
                loop.set_task_factory(previous_factory)
                loop.set_exception_handler(previous_handler)

        self.on_cleanup(restore)

    def watch_blocking(self, loop: asyncio.AbstractEventLoop, threshold: float) -> None:
        """Record where the loop froze for longer than ``threshold`` (see ``_watchdog``)."""
        from ._watchdog import Watchdog

        self.watchdog = Watchdog(loop, threshold)
        self.watchdog.start()
        self.on_cleanup(self.watchdog.stop)

    def watch_threads(self) -> None:
        """Record every thread started until ``unwatch_threads``, with where it was started."""
        global _recording
        if threading.Thread.start is not _start:  # until the session ends (restore_threading)
            threading.Thread.start = _start  # type: ignore[method-assign]
        self._outer, _recording = _recording, self

    def unwatch_threads(self) -> None:
        global _recording
        if _recording is self:
            _recording = self._outer

    # -- waiting --------------------------------------------------------------------------

    def settle(self, pending: Callable[[], bool]) -> None:
        """Give leftovers up to ``grace`` seconds to finish, running the idle loop meanwhile.

        Polls instead of sleeping a fixed time: a clean test pays nothing.
        """
        deadline = time.monotonic() + self.settings.grace
        loop = self.loop
        while pending() and time.monotonic() < deadline:
            if loop is not None and not loop.is_closed() and not loop.is_running():
                loop.run_until_complete(asyncio.sleep(0.002))
            else:
                time.sleep(0.002)


def _loop_error(context: dict[str, Any], exception: BaseException) -> Finding:
    """An error asyncio would only log ("Task exception was never retrieved", "Exception in
    callback"), named after its task if it has one, placed where it was raised."""
    from fletsafe._sites import raise_site

    task: Any = context.get("task") or context.get("future")
    name = task.get_name() if hasattr(task, "get_name") else "loop"
    detail = f"raised {exception!r} ({context.get('message')}; asyncio only logged it)"
    return Finding("error", name, raise_site(exception), detail, verb="raised")


_original_start = threading.Thread.start
_recording: Ledger | None = None  # the running test's ledger (an outer one: see pytester)


def _start(self: threading.Thread, *args: Any, **kwargs: Any) -> None:
    ledger = _recording
    _original_start(self, *args, **kwargs)
    if ledger is not None:
        from fletsafe._sites import caller_site

        ledger.started_threads.append((self, caller_site()))


def restore_threading() -> None:
    """At the end of the session: ``Thread.start`` is threading's own again."""
    if _recording is None and threading.Thread.start is _start:
        threading.Thread.start = _original_start  # type: ignore[method-assign]


def _dispose_quietly(manager: TaskManager) -> None:
    # Cleanup after detection: what it finds was already reported, so nothing is raised.
    loop = manager.loop
    if loop is None or not loop.is_closed():
        with contextlib.suppress(Exception), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            manager.dispose(timeout=1.0)
