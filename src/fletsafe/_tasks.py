"""Named, tracked asyncio tasks with a dispose that really waits.

Why this exists: Flet starts background work with ``page.run_task`` and keeps no reference
to it, so nothing ever cancels it; ``Session.close()`` doesn't either. A view that owns a
:class:`TaskManager` can cancel everything it started and *know* it has stopped.

Three promises shape the code:

* **Nothing is forgotten.** A record leaves ``_live`` only once its task has finished.
  Cancelling does not untrack; a task that swallows ``CancelledError`` is reported as
  *stuck* after the dispose timeout and stays tracked.
* **Nothing is lost.** Every failure is logged with the task's name and creation site and
  kept in :meth:`TaskManager.errors`; the done callback retrieves the exception so asyncio
  never prints "Task exception was never retrieved".
* **Any thread may call.** Flet runs sync handlers in worker threads. There the manager
  schedules onto its own loop with ``call_soon_threadsafe`` and hands back a
  ``concurrent.futures.Future`` that can be waited on or cancelled; the record exists from
  the moment of the call, so a dispose racing the hand-off still cancels it.

Who writes what: records are added under ``_lock`` by any thread, and finished only on the
loop's thread (the hot path, so without the lock); every finish-state count is written by
that thread alone. Other threads read ``_live`` through a copy, which is atomic.

Every coroutine handed to us is either run or closed, on every path, so Python never warns
that it "was never awaited".
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import inspect
import itertools
import logging
import math
import threading
import time
import types
import warnings
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from ._errors import DisposedError, StuckTaskWarning
from ._sites import Site, caller_site
from ._task_records import (
    CoroutineOrFunction,
    TaskDisposeReport,
    TaskError,
    TaskHandle,
    TaskInfo,
    TaskState,
    ThreadTaskHandle,
    _TaskRecord,
)

__all__ = ["TaskManager"]

_log = logging.getLogger("fletsafe.tasks")
_get_running_loop = asyncio._get_running_loop

T = TypeVar("T")

_FINISHED_NAMES_KEPT = 1024
_FINISH_STATES = ("completed", "failed", "cancelled", "timed_out")
_ERRORS_KEPT = 256


def _coerce(coro: CoroutineOrFunction[T]) -> Coroutine[Any, Any, T]:
    if type(coro) is types.CoroutineType or inspect.iscoroutine(coro):
        return coro
    if callable(coro):
        made = coro()
        if inspect.iscoroutine(made):
            return made
        raise TypeError(f"{coro!r} returned {type(made).__name__}, not a coroutine")
    raise TypeError(f"expected a coroutine or a coroutine function, got {type(coro).__name__}")


def _check_timeout(timeout: float | None) -> None:
    if timeout is None:
        return
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(f"timeout must be a number of seconds or None, got {timeout!r}")
    if not (timeout > 0 and math.isfinite(timeout)):
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")


class TaskManager:
    """Owns the asyncio tasks of one view, app or test.

    Args:
        loop: The loop tasks run on. If omitted, the manager binds to the running loop the
            first time it is used from one.
        name: Used in log messages.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None, *, name: str = "tasks"):
        self.name = name
        self._loop = loop
        self._lock = threading.RLock()
        self._live: dict[_TaskRecord, None] = {}  # insertion-ordered set
        # The latest record of each name, running or finished (bounded: see _forget_finished).
        self._named: dict[str, _TaskRecord] = {}
        self._named_limit = 2 * _FINISHED_NAMES_KEPT
        self._errors: deque[TaskError] = deque(maxlen=_ERRORS_KEPT)
        # Written on the loop's thread only, but "stuck" (under the lock); created = the sum
        # of the finish states + the live records, so it needs no counter of its own.
        self._counts = dict.fromkeys(("completed", "failed", "cancelled", "timed_out", "stuck"), 0)
        self._closed = False
        self._background_serial = itertools.count(1)  # next() is atomic: no lock needed

    def __repr__(self) -> str:
        return f"<TaskManager {self.name!r} active={len(self._live)} closed={self._closed}>"

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The loop this manager schedules onto, once bound."""
        return self._loop

    @property
    def closed(self) -> bool:
        """True once :meth:`dispose` or :meth:`aclose` was called."""
        return self._closed

    # -- creating -------------------------------------------------------------------------

    def create_task(
        self, name: str, coro: CoroutineOrFunction[T], *, timeout: float | None = None
    ) -> TaskHandle[T]:
        """Start ``coro`` as the task called ``name``.

        A still-running task of the same name is cancelled and replaced (the typical
        "restart the refresh" pattern). With ``timeout``, the task is cancelled after that
        many seconds and counted as timed out.

        On the loop's thread this returns the ``asyncio.Task``. From any other thread (a
        Flet sync handler) it schedules the task onto the manager's loop and returns a
        ``concurrent.futures.Future`` to wait on or cancel.

        Raises:
            DisposedError: the manager was disposed; ``coro`` is closed.
        """
        return self._create(name, coro, timeout, background=False, site=caller_site())

    def create_background_task(
        self, coro: CoroutineOrFunction[T], name: str | None = None
    ) -> TaskHandle[T]:
        """Start fire-and-forget work that is still tracked until it ends.

        Background tasks never replace one another. An exception is logged with the task's
        name and kept in :meth:`errors`.
        """
        if name is None:
            name = f"background-{next(self._background_serial)}"
        return self._create(name, coro, None, background=True, site=caller_site())

    def _create(
        self,
        name: str,
        coro_or_fn: CoroutineOrFunction[T],
        timeout: float | None,
        *,
        background: bool,
        site: Site,
    ) -> TaskHandle[T]:
        coro = _coerce(coro_or_fn)
        try:
            if timeout is not None:
                _check_timeout(timeout)
            with self._lock:
                if self._closed:
                    raise DisposedError(f"{self!r} was disposed; task {name!r} was not started")
                loop = self._loop
                if loop is not None and loop is _get_running_loop():  # the common case
                    on_loop = True
                else:
                    loop, on_loop = self._bind_loop()
                record = _TaskRecord(self, name, site, background)
                if timeout is not None:
                    record.timeout = timeout
                self._live[record] = None
                replaced = None
                if not background:
                    named = self._named
                    replaced = named.get(name)
                    if replaced is None and len(named) >= self._named_limit:
                        self._forget_finished()
                    named[name] = record
                if on_loop:
                    handle: TaskHandle[T] = self._start(record, coro)
                else:
                    record.coro = coro
                    handle = record.future = ThreadTaskHandle()
                    try:
                        loop.call_soon_threadsafe(self._start_handed_off, record)
                    except RuntimeError:  # the loop closed meanwhile: nothing was started
                        del self._live[record]
                        if replaced is not None:
                            self._named[name] = replaced
                        elif not background:
                            del self._named[name]
                        record.coro = None
                        raise
                    handle.add_done_callback(self._cancel_from_future(record))
        except BaseException:
            coro.close()
            raise
        if replaced is not None and replaced.final is None:
            self._request_cancel(replaced)
        return handle

    def _forget_finished(self) -> None:
        """Keep the states of the latest finished names only; amortised O(1) per name."""
        named = self._named
        finished = [name for name, record in named.items() if record.final is not None]
        for name in finished[: len(finished) - _FINISHED_NAMES_KEPT]:
            del named[name]
        # Many live names keep the dict big: grow the limit so the next scan is as far off.
        self._named_limit = max(2 * _FINISHED_NAMES_KEPT, 2 * len(named))

    def _bind_loop(self) -> tuple[asyncio.AbstractEventLoop, bool]:
        running = _get_running_loop()
        if self._loop is None:
            if running is None:
                raise RuntimeError(
                    f"{self!r} has no event loop: create it with TaskManager(loop=...) or use "
                    "it from a coroutine first"
                )
            self._loop = running
        if running is self._loop:
            return self._loop, True
        if self._loop.is_closed():
            raise RuntimeError(f"the event loop of {self!r} is closed")
        return self._loop, False

    def _start(self, record: _TaskRecord, coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        loop = self._loop
        assert loop is not None
        record.coro = coro  # kept until it starts, so a task cancelled first can close it
        task = loop.create_task(self._run(record, coro), name=record.name)
        record.task = task
        if record.timeout is not None:
            record.timer = loop.call_later(record.timeout, self._time_out, record)
        return task

    async def _run(self, record: _TaskRecord, coro: Coroutine[Any, Any, T]) -> T:
        # Bookkeeping inside the task instead of a done callback: a callback costs a whole
        # extra loop iteration per task. The one case this misses, a task cancelled before
        # its first step, is handled by _reap.
        record.coro = None
        try:
            result = await coro
        except asyncio.CancelledError:
            self._finish(record, "timed_out" if record.timed_out else "cancelled", None, None)
            raise
        except BaseException as exc:
            task = record.task
            self._finish(record, "failed", exc, None)
            if task is not None:  # mark it retrieved: we logged it, asyncio need not
                task.add_done_callback(_retrieve_exception)
            raise
        self._finish(record, "completed", None, result)
        return result

    def _start_handed_off(self, record: _TaskRecord) -> None:
        coro = record.coro
        assert coro is not None
        future = record.future
        if record.cancel_requested or (future is not None and future.cancelled()):
            record.coro = None
            coro.close()
            self._finish(record, "cancelled", None, None)
            return
        self._start(record, coro)

    def _cancel_from_future(
        self, record: _TaskRecord
    ) -> Callable[[concurrent.futures.Future[Any]], None]:
        def on_future_done(future: concurrent.futures.Future[Any]) -> None:
            if future.cancelled():
                self._request_cancel(record)

        return on_future_done

    # -- finishing ------------------------------------------------------------------------

    def _finish(
        self, record: _TaskRecord, state: TaskState, error: BaseException | None, result: Any
    ) -> None:
        if record.timer is not None:
            record.timer.cancel()
        if error is not None:
            self._errors.append(TaskError(record.name, error, record.site, record.background))
            _log.error("task %r failed (created at %s)", record.name, record.site, exc_info=error)
        # On the loop's thread (see the module docstring), so no lock: pop is atomic, and no
        # other thread writes these counts.
        record.final = state
        record.task = None  # a finished record may stay in _named: don't keep its result alive
        self._live.pop(record, None)
        self._counts[state] += 1
        future = record.future
        if future is not None and not future.done():
            try:
                if state in ("cancelled", "timed_out"):
                    future.cancel()
                elif error is not None:
                    future.set_exception(error)
                else:
                    future.set_result(result)
            except concurrent.futures.InvalidStateError:  # cancelled by its owner meanwhile
                pass

    def _reap(self, record: _TaskRecord) -> None:
        """Finish a record whose task ended before its first step (cancelled early)."""
        coro = record.coro
        if coro is None or record not in self._live:
            return  # started after all (its wrapper does the bookkeeping) or done already
        task = record.task
        if task is None or not task.done():
            return
        record.coro = None
        coro.close()
        self._finish(record, "timed_out" if record.timed_out else "cancelled", None, None)

    def _reap_all(self) -> None:
        """Catch tasks cancelled before their first step by someone other than us.

        Only on the loop's thread, which alone finishes records; elsewhere such a task shows
        as cancelling until the loop next reaps.
        """
        if self._loop is None or _get_running_loop() is not self._loop:
            return
        for record in self._snapshot():
            if record.coro is not None and record.task is not None:
                self._reap(record)

    def _snapshot(self) -> list[_TaskRecord]:
        """The live records, oldest first, safe to iterate from any thread."""
        return list(self._live.copy())  # copy() is atomic, iterating the live dict is not

    def _time_out(self, record: _TaskRecord) -> None:
        if record.task is not None and not record.task.done():
            record.timed_out = True
            record.cancel_requested = True
            record.task.cancel(f"task {record.name!r} timed out after {record.timeout}s")

    # -- cancelling -----------------------------------------------------------------------

    def _request_cancel(self, record: _TaskRecord) -> None:
        """Cancel ``record``'s task from any thread."""
        record.cancel_requested = True
        loop = self._loop
        if loop is None:
            return
        if asyncio._get_running_loop() is loop:
            self._cancel_on_loop(record)
        elif not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # closed between the check and the call
                loop.call_soon_threadsafe(self._cancel_on_loop, record)

    @staticmethod
    def _cancel_on_loop(record: _TaskRecord) -> None:
        # A record without a task is still being handed off; _start_handed_off sees the flag.
        task = record.task
        if task is not None and task.cancel() and record.coro is not None:
            task.add_done_callback(record)  # it never started: its wrapper won't report back

    def cancel_task(self, name: str) -> bool:
        """Cancel the running task called ``name``. False if there is none."""
        record = self._named.get(name)
        if record is None or record.final is not None:
            return False
        self._request_cancel(record)
        return True

    def cancel_all_tasks(self) -> int:
        """Cancel every tracked task; returns how many were asked to stop.

        Cancelled tasks stay tracked until they have actually finished.
        """
        return self._cancel_all(skip=None)

    def _cancel_all(self, skip: asyncio.Task[Any] | None) -> int:
        self._reap_all()
        records = [r for r in self._snapshot() if not r.cancel_requested and r.task is not skip]
        for record in records:
            self._request_cancel(record)
        return len(records)

    # -- disposing ------------------------------------------------------------------------

    async def aclose(self, timeout: float = 5.0) -> TaskDisposeReport:
        """Cancel everything and wait until every task has finished, up to ``timeout``.

        A task still running after ``timeout`` is reported as stuck (and warned about with
        :class:`StuckTaskWarning`); it stays tracked. Idempotent. Awaiting this from a task
        the manager owns waits for every task but that one.
        """
        _check_timeout(timeout)
        loop = self._loop
        running = asyncio.get_running_loop()
        if loop is not None and loop is not running:
            if not loop.is_running():  # idle or closed: nothing here can drive its tasks
                return self.dispose(timeout)
            future = asyncio.run_coroutine_threadsafe(self.aclose(timeout), loop)
            return await asyncio.wrap_future(future)
        with self._lock:
            self._closed = True
        if loop is None:
            return TaskDisposeReport(cancelled=0)
        current = asyncio.current_task()
        cancelled = self._cancel_all(skip=current)  # never cancel (or wait for) our caller
        deadline = running.time() + timeout
        while True:
            self._reap_all()
            waiting = [r for r in self._snapshot() if r.task is not current or current is None]
            remaining = deadline - running.time()
            if not waiting or remaining <= 0:
                break
            tasks = {r.task for r in waiting if r.task is not None}
            if tasks:
                await asyncio.wait(tasks, timeout=remaining)
            else:  # only hand-offs, which resolve on the next loop iteration
                await asyncio.sleep(0)
        return TaskDisposeReport(cancelled=cancelled, stuck=self._mark_stuck(waiting, timeout))

    def dispose(self, timeout: float = 5.0) -> TaskDisposeReport:
        """Synchronous :meth:`aclose`, callable from any thread.

        From another thread it waits for the loop to finish the cancelled tasks. If the loop
        is idle it is run until they finish. On the loop's own thread it can't wait without
        blocking the loop: it cancels, returns the still-finishing tasks as ``pending``, and
        keeps tracking them until they end.
        """
        _check_timeout(timeout)
        loop = self._loop
        running = asyncio._get_running_loop()
        if loop is not None and running is None and not loop.is_closed():
            if not loop.is_running():
                return loop.run_until_complete(self.aclose(timeout))
            future = asyncio.run_coroutine_threadsafe(self.aclose(timeout), loop)
            try:
                return future.result(timeout + 1.0)
            except concurrent.futures.TimeoutError:
                future.cancel()  # the loop's thread is blocked; don't wait for it forever
        with self._lock:
            self._closed = True
        cancelled = self.cancel_all_tasks()
        left = self._snapshot()
        if loop is None or (running is not None and not loop.is_closed()):
            # Called from a loop's thread: waiting would block the loop that must finish them.
            now = time.monotonic()
            return TaskDisposeReport(cancelled, pending=tuple(r.info(now) for r in left))
        # The loop is closed or its thread did not answer: these tasks cannot finish now.
        return TaskDisposeReport(cancelled, stuck=self._mark_stuck(left, timeout))

    def _mark_stuck(self, records: list[_TaskRecord], timeout: float) -> tuple[TaskInfo, ...]:
        now = time.monotonic()
        stuck = []
        for record in records:
            if record not in self._live:
                continue
            if not record.stuck:
                record.stuck = True
                with self._lock:
                    self._counts["stuck"] += 1
            info = record.info(now)
            stuck.append(info)
            message = (
                f"task {record.name!r} (created at {record.site}) did not finish within "
                f"{timeout}s of being cancelled; it is still tracked"
            )
            _log.warning(message)
            warnings.warn(message, StuckTaskWarning, stacklevel=3)
        return tuple(stuck)

    # -- introspection --------------------------------------------------------------------

    def active_tasks(self) -> list[TaskInfo]:
        """Every task not finished yet, oldest first (stuck ones included)."""
        self._reap_all()
        now = time.monotonic()
        return [r.info(now) for r in self._snapshot()]

    def get_task_status(self, name: str) -> TaskState | None:
        """State of the latest task called ``name``, or None if there never was one."""
        self._reap_all()
        record = self._named.get(name)
        return None if record is None else record.state

    def _live_tasks(self) -> list[asyncio.Task[Any]]:
        """The asyncio tasks not finished yet (for the pytest plugin's detectors)."""
        return [task for r in self._snapshot() if (task := r.task) is not None]

    def errors(self) -> list[TaskError]:
        """Exceptions raised by tracked tasks (the latest 256)."""
        with self._lock:
            return list(self._errors)

    def get_debug_info(self) -> dict[str, Any]:
        """Counts of tasks created, completed, failed, cancelled, timed out and stuck."""
        self._reap_all()
        counts = self._counts.copy()
        active = len(self._live)
        finished = sum(counts[state] for state in _FINISH_STATES)
        return {
            "name": self.name,
            "active": active,
            "created": active + finished,
            **counts,
            "errors": len(self._errors),
            "closed": self._closed,
        }


def _retrieve_exception(task: asyncio.Task[Any]) -> None:
    if not task.cancelled():
        task.exception()
