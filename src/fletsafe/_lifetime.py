"""One object that owns everything a view started, and disposes it in one call.

A Flet view typically starts tasks, hooks handlers and subscribes to shared state. Giving
it one :class:`Lifetime` means its ``will_unmount`` (or route change, or window close) is a
single ``lifetime.dispose()`` — and the report says what was still running.

Order matters on dispose: tasks first (a running task could register a new handler while
we detach), then handlers, then state subscriptions.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Hashable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from ._handlers import HandlerDisposeReport, MemoryManager
from ._state import AtomicState, ChangeCallback
from ._task_records import TaskDisposeReport
from ._tasks import TaskManager

__all__ = ["Lifetime", "LifetimeReport"]


@dataclass(frozen=True)
class LifetimeReport:
    """What one dispose cleaned up."""

    tasks: TaskDisposeReport
    handlers: HandlerDisposeReport
    state_subscriptions: int

    @property
    def clean(self) -> bool:
        """True if every task finished within the timeout (none stuck or still pending)."""
        return not (self.tasks.stuck or self.tasks.pending)


class Lifetime:
    """The tasks, handlers and state subscriptions of one view.

    Use it as a context manager (``with`` or ``async with``) or call :meth:`dispose` /
    :meth:`aclose` when the view goes away. Disposing twice is harmless; the second
    report is empty.

    Args:
        name: Names the task and memory managers, for reports.
        loop: Passed to the :class:`TaskManager`.
        timeout: Default seconds to wait for cancelled tasks.
    """

    def __init__(
        self,
        name: str = "view",
        *,
        loop: asyncio.AbstractEventLoop | None = None,
        timeout: float = 5.0,
    ) -> None:
        self.name = name
        self.timeout = timeout
        self.tasks = TaskManager(loop, name=f"{name}.tasks")
        self.handlers = MemoryManager(name=f"{name}.handlers")
        self._subscriptions: list[tuple[AtomicState, int]] = []
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<Lifetime {self.name!r} tasks={self.tasks!r} handlers={self.handlers!r}>"

    def subscribe_state(self, state: AtomicState, key: Hashable, callback: ChangeCallback) -> int:
        """``state.subscribe(key, callback)``, undone when this lifetime is disposed."""
        sub_id = state.subscribe(key, callback)
        with self._lock:
            self._subscriptions.append((state, sub_id))
        return sub_id

    def _dispose_rest(self, tasks: TaskDisposeReport) -> LifetimeReport:
        handlers = self.handlers.dispose()
        with self._lock:
            subscriptions, self._subscriptions = self._subscriptions, []
        removed = sum(state.unsubscribe(sub_id) for state, sub_id in subscriptions)
        return LifetimeReport(tasks, handlers, removed)

    def dispose(self, timeout: float | None = None) -> LifetimeReport:
        """Cancel and wait for tasks (see :meth:`TaskManager.dispose`), then undo the rest."""
        return self._dispose_rest(self.tasks.dispose(self.timeout if timeout is None else timeout))

    async def aclose(self, timeout: float | None = None) -> LifetimeReport:
        """:meth:`dispose` for coroutines: waits for the tasks without blocking the loop."""
        tasks = await self.tasks.aclose(self.timeout if timeout is None else timeout)
        return self._dispose_rest(tasks)

    def __enter__(self) -> Lifetime:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.dispose()

    async def __aenter__(self) -> Lifetime:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def get_debug_info(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "tasks": self.tasks.get_debug_info(),
            "handlers": self.handlers.get_debug_info(),
            "state_subscriptions": len(self._subscriptions),
        }
