"""The records a TaskManager keeps and hands out: snapshots, reports, the thread handle.

Split from ``_tasks.py`` so that file holds the manager's behaviour only.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from collections.abc import Callable, Coroutine, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar, Union

from ._sites import Site

if TYPE_CHECKING:
    from ._tasks import TaskManager

__all__ = [
    "CoroutineOrFunction",
    "TaskDisposeReport",
    "TaskError",
    "TaskHandle",
    "TaskInfo",
    "TaskState",
    "ThreadTaskHandle",
]

T = TypeVar("T")
TaskState = Literal[
    "scheduled", "running", "cancelling", "stuck", "completed", "failed", "cancelled", "timed_out"
]


class ThreadTaskHandle(concurrent.futures.Future[T]):
    """What ``create_task`` returns off the loop's thread: a thread-safe future of the task.

    ``result(timeout)`` waits for it, ``cancel()`` cancels the task; it can also be awaited
    from any event loop, so code that awaits the handle works on both paths.
    """

    def __await__(self) -> Generator[Any, None, T]:
        return asyncio.wrap_future(self).__await__()


#: What ``create_task`` returns: the task itself on the loop's thread, a thread-safe handle
#: elsewhere (an ``asyncio.Task`` must not be touched from another thread). Both are awaitable.
TaskHandle = Union[asyncio.Task[T], ThreadTaskHandle[T]]  # noqa: UP007 (runtime alias on 3.10)
CoroutineOrFunction = Union[Coroutine[Any, Any, T], Callable[[], Coroutine[Any, Any, T]]]  # noqa: UP007


@dataclass(frozen=True)
class TaskInfo:
    """A snapshot of one tracked task."""

    name: str
    state: TaskState
    age: float
    """Seconds since the task was created."""
    site: Site
    """Where in the caller's code the task was created."""
    background: bool


@dataclass(frozen=True)
class TaskError:
    """An exception raised by a tracked task, kept so it can't go unnoticed."""

    name: str
    exception: BaseException
    site: Site
    background: bool = False
    """True for fire-and-forget tasks, whose failure nobody else can see."""


@dataclass(frozen=True)
class TaskDisposeReport:
    """What a dispose did."""

    cancelled: int
    """Tasks that were running and got cancelled."""
    stuck: tuple[TaskInfo, ...] = ()
    """Tasks that ignored cancellation for the whole timeout; still tracked."""
    pending: tuple[TaskInfo, ...] = ()
    """Tasks cancelled but not yet finished, when the dispose could not wait (it was called
    on the loop's own thread); still tracked until they finish."""


class _TaskRecord:
    # No __slots__: rarely-set fields are class-level defaults, so creating a record on the
    # hot path sets only what every task has.
    task: asyncio.Task[Any] | None = None
    coro: Coroutine[Any, Any, Any] | None = None  # until the task starts (or is closed)
    future: concurrent.futures.Future[Any] | None = None
    timer: asyncio.TimerHandle | None = None
    timeout: float | None = None
    cancel_requested = False
    timed_out = False
    stuck = False
    final: TaskState | None = None  # how it ended, once it has

    def __init__(self, manager: TaskManager, name: str, site: Site, background: bool) -> None:
        self.manager = manager
        self.name = name
        self.site = site
        self.background = background
        self.created = time.monotonic()

    def __call__(self, task: asyncio.Task[Any]) -> None:
        # Done callback, added only when a task is cancelled before its first step.
        self.manager._reap(self)

    @property
    def state(self) -> TaskState:
        if self.final is not None:
            return self.final
        if self.stuck:
            return "stuck"
        if self.task is None:
            return "scheduled"
        return "cancelling" if self.cancel_requested else "running"

    def info(self, now: float) -> TaskInfo:
        return TaskInfo(self.name, self.state, now - self.created, self.site, self.background)
