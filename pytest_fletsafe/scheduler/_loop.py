"""A deterministic asyncio event loop with virtual time, whose every choice is a decision.

Why: re-running a racy test on the stock loop mostly replays the same schedule. Here, at
every point where more than one callback could run next, a *chooser* decides; the same
decisions replay the same run exactly, and different decisions explore other interleavings.

How: ``asyncio.BaseEventLoop`` already implements tasks, futures, timers and
``run_until_complete``; only ``_run_once`` touches the outside world (the selector). We
replace it: no selector, no self-pipe, a virtual clock that jumps to the next timer when
nothing is ready, and one handle per step, picked by the chooser. Creating a loop costs a
few microseconds, so every explored schedule gets a fresh one.

Anything that would escape control raises :class:`UncontrolledError` (real I/O,
subprocesses); executor work runs at a controlled point, on the loop's thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import heapq
import inspect
from collections.abc import Callable
from typing import Any, NamedTuple, Protocol

from fletsafe._sites import is_infrastructure

__all__ = ["Chooser", "ControlledLoop", "Deadlock", "Step", "UncontrolledError"]


class Chooser(Protocol):
    """Decides which ready callback runs next."""

    def choose(self, count: int) -> int:
        """An index into ``count`` ready callbacks (``count >= 2``); 0 is FIFO order."""
        ...


class Step(NamedTuple):
    """One step of a traced run: what ran, from where, and what it was preferred over."""

    actor: str
    site: str
    deviation: str | None
    """The callback the default order would have run instead, when this step deviated."""


def _resume_frame(coro: Any) -> Any:
    """The innermost frame of the suspended coroutine chain that is in the user's code.

    Following ``cr_await`` down from the task's coroutine, so a task resuming inside the
    user's handler, called through Flet's dispatch or our wrappers, points at the handler.
    """
    frames = []
    while coro is not None and getattr(coro, "cr_frame", None) is not None:
        frames.append(coro.cr_frame)
        coro = getattr(coro, "cr_await", None)
    for frame in reversed(frames):
        if not is_infrastructure(frame.f_code.co_filename):
            return frame
    return frames[0] if frames else None


def _actor(handle: Any) -> tuple[str, str]:
    """A readable name for a ready handle, and where its task will resume (or start)."""
    owner = getattr(handle._callback, "__self__", None)
    if isinstance(owner, asyncio.Task):
        coro: Any = owner.get_coro()
        frame = _resume_frame(coro)
        where = f"{frame.f_code.co_filename}:{frame.f_lineno}" if frame is not None else ""
        if frame is not None and inspect.getcoroutinestate(coro) == inspect.CORO_CREATED:
            where = f"start of {frame.f_code.co_name}() at {where}"
        return f"task {owner.get_name()!r}", where
    callback = getattr(handle._callback, "__qualname__", repr(handle._callback))
    return f"callback {callback}", ""


class Deadlock(RuntimeError):
    """Nothing can run, no timer is pending, and tasks are unfinished."""


class UncontrolledError(RuntimeError):
    """Code under a controlled loop did something the scheduler cannot control.

    Real sockets, file descriptors and subprocesses would make runs depend on the outside
    world, so a failure found could not be replayed; the run stops here instead of flaking.
    """


def describe_wait(task: asyncio.Task[Any]) -> str:
    waiter = getattr(task, "_fut_waiter", None)
    coro = task.get_coro()
    frame = getattr(coro, "cr_frame", None)
    where = f"{frame.f_code.co_filename}:{frame.f_lineno}" if frame is not None else "?"
    what = "nothing" if waiter is None else repr(waiter)[:100]
    return f"task {task.get_name()!r} waiting on {what} at {where}"


class ControlledLoop(asyncio.BaseEventLoop):
    def __init__(
        self, chooser: Chooser, *, trace: bool = False, jitter: float = 0.0, jitter_steps: int = 4
    ) -> None:
        super().__init__()
        self._chooser = chooser
        self._jitter_step = jitter / jitter_steps if jitter > 0 else 0.0
        self._jitter_steps = jitter_steps
        # asyncio only logs an exception raised in a callback; here it fails the schedule.
        self.callback_errors: list[BaseException] = []
        self.set_exception_handler(self._record_error)
        self.trace: list[Step] | None = [] if trace else None
        self._clock = 0.0
        self.steps = 0
        self.choice_points = 0

    def _record_error(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        error = context.get("exception")
        if isinstance(error, BaseException) and not isinstance(error, asyncio.CancelledError):
            self.callback_errors.append(error)

    # -- time and scheduling --------------------------------------------------------------

    def time(self) -> float:
        return self._clock

    def call_at(  # type: ignore[override]
        self, when: float, callback: Callable[..., object], *args: Any, context: Any = None
    ) -> asyncio.TimerHandle:
        """With jitter on, each timer may fire 0..jitter seconds late: a decision like any
        other (0 = on time), so "the debounce fires just after dispose" is explored too."""
        if self._jitter_step:
            self.choice_points += 1
            late = self._chooser.choose(self._jitter_steps + 1)
            if late:
                when += late * self._jitter_step
                if self.trace is not None:
                    name = getattr(callback, "__name__", repr(callback))
                    delay = f"{late * self._jitter_step:g}s late"
                    self.trace.append(Step(f"timer {name}", delay, "firing on time"))
        return super().call_at(when, callback, *args, context=context)

    def _run_once(self) -> None:
        # BaseEventLoop's private queues (typeshed does not declare them).
        ready: Any = self._ready  # type: ignore[attr-defined]
        scheduled: Any = self._scheduled  # type: ignore[attr-defined]
        stopping: bool = self._stopping  # type: ignore[attr-defined]
        while scheduled and scheduled[0]._cancelled:
            heapq.heappop(scheduled)._scheduled = False
        # Cancelled handles must not count as "something can run": one callback may cancel
        # another that was due at the same instant (a dispose cancelling a debounce).
        live = [h for h in ready if not h._cancelled]
        ready.clear()
        if not live and scheduled and not stopping:
            self._clock = max(self._clock, scheduled[0]._when)  # jump: nothing else can run
        while scheduled and scheduled[0]._when <= self._clock:
            handle = heapq.heappop(scheduled)
            handle._scheduled = False
            if not handle._cancelled:
                live.append(handle)
        if not live:
            if not stopping:
                self._deadlock()
            return
        index = 0
        if len(live) > 1:
            self.choice_points += 1
            index = self._chooser.choose(len(live))
        handle = live.pop(index)
        if self.trace is not None:
            actor, site = _actor(handle)
            instead = _actor(live[0])[0] if index else None
            self.trace.append(Step(actor, site, instead))
        ready.extend(live)
        self.steps += 1
        handle._run()

    def _deadlock(self) -> None:
        waiting = [t for t in asyncio.all_tasks(self) if not t.done()]
        details = "\n  ".join(describe_wait(t) for t in waiting) or "(no tasks)"
        raise Deadlock(f"deadlock: nothing can run and no timer is pending\n  {details}")

    def _write_to_self(self) -> None:
        pass  # single-threaded by construction: nothing to wake

    def _process_events(self, event_list: Any) -> None:  # pragma: no cover - no selector
        pass

    # -- executor work at a controlled point ----------------------------------------------

    def run_in_executor(  # type: ignore[override]
        self, executor: Any, func: Callable[..., Any], *args: Any
    ) -> asyncio.Future[Any]:
        future = self.create_future()

        def run() -> None:
            if future.cancelled():
                return
            try:
                future.set_result(func(*args))
            except BaseException as exc:
                future.set_exception(exc)

        self.call_soon(run)
        return future

    def set_default_executor(self, executor: concurrent.futures.Executor) -> None:
        pass  # executor work never leaves the loop's thread here

    # -- what escapes control -------------------------------------------------------------

    def _uncontrolled(self, what: str) -> UncontrolledError:
        return UncontrolledError(
            f"{what} under the interleaving scheduler: real I/O would make schedules "
            "unreplayable; replace it with a fake in this test"
        )

    def add_reader(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        raise self._uncontrolled("add_reader()")

    def add_writer(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        raise self._uncontrolled("add_writer()")

    async def create_connection(self, *args: Any, **kwargs: Any) -> Any:
        raise self._uncontrolled("create_connection()")

    async def create_server(self, *args: Any, **kwargs: Any) -> Any:
        raise self._uncontrolled("create_server()")

    async def subprocess_exec(self, *args: Any, **kwargs: Any) -> Any:
        raise self._uncontrolled("subprocess_exec()")

    async def subprocess_shell(self, *args: Any, **kwargs: Any) -> Any:
        raise self._uncontrolled("subprocess_shell()")
