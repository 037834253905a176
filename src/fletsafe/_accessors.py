"""Process-wide default instances, for apps written against the original design.

``get_*`` returns the current default, creating it on first use; ``dispose_*`` disposes it
and drops it, so the next ``get_*`` returns a fresh, working instance (the original kept
returning the dead one). New code should prefer a :class:`~fletsafe.Lifetime` per view.

The pytest plugin swaps in each test's managed instances with :func:`_use_defaults`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from ._handlers import HandlerDisposeReport, MemoryManager
from ._state import AtomicState
from ._task_records import TaskDisposeReport
from ._tasks import TaskManager

__all__ = [
    "dispose_atomic_state_manager",
    "dispose_memory_manager",
    "dispose_task_manager",
    "get_atomic_state_manager",
    "get_memory_manager",
    "get_task_manager",
]


class _Defaults:
    """The current default instances; each ``None`` until first asked for."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.tasks: TaskManager | None = None
        self.memory: MemoryManager | None = None
        self.state: AtomicState | None = None


_defaults = _Defaults()


def get_task_manager() -> TaskManager:
    """The default :class:`TaskManager` (binds to the first running loop that uses it)."""
    with _defaults.lock:
        if _defaults.tasks is None or _defaults.tasks.closed:
            _defaults.tasks = TaskManager(name="default.tasks")
        return _defaults.tasks


def dispose_task_manager(timeout: float = 5.0) -> TaskDisposeReport | None:
    """Dispose the default task manager; None if there was none."""
    with _defaults.lock:
        manager, _defaults.tasks = _defaults.tasks, None
    return None if manager is None else manager.dispose(timeout)


def get_memory_manager() -> MemoryManager:
    """The default :class:`MemoryManager`."""
    with _defaults.lock:
        if _defaults.memory is None:
            _defaults.memory = MemoryManager(name="default.memory")
        return _defaults.memory


def dispose_memory_manager() -> HandlerDisposeReport | None:
    """Dispose the default memory manager; None if there was none."""
    with _defaults.lock:
        manager, _defaults.memory = _defaults.memory, None
    return None if manager is None else manager.dispose()


def get_atomic_state_manager() -> AtomicState:
    """The default :class:`AtomicState`."""
    with _defaults.lock:
        if _defaults.state is None:
            _defaults.state = AtomicState(name="default.state")
        return _defaults.state


def dispose_atomic_state_manager() -> None:
    """Clean up and drop the default state; the next get returns an empty one."""
    with _defaults.lock:
        state, _defaults.state = _defaults.state, None
    if state is not None:
        state.cleanup()


def _install_default(
    tasks: TaskManager | None = None,
    memory: MemoryManager | None = None,
    state: AtomicState | None = None,
) -> None:
    """Make the accessors return these instances (for the pytest plugin's fixtures)."""
    with _defaults.lock:
        _defaults.tasks = tasks or _defaults.tasks
        _defaults.memory = memory or _defaults.memory
        _defaults.state = state or _defaults.state


def _current_defaults() -> tuple[TaskManager | None, MemoryManager | None, AtomicState | None]:
    with _defaults.lock:
        return _defaults.tasks, _defaults.memory, _defaults.state


@contextmanager
def _use_defaults(
    tasks: TaskManager | None = None,
    memory: MemoryManager | None = None,
    state: AtomicState | None = None,
) -> Iterator[None]:
    """Make the accessors return these instances inside the block (for the pytest plugin)."""
    with _defaults.lock:
        saved = (_defaults.tasks, _defaults.memory, _defaults.state)
        _defaults.tasks, _defaults.memory, _defaults.state = tasks, memory, state
    try:
        yield
    finally:
        with _defaults.lock:
            _defaults.tasks, _defaults.memory, _defaults.state = saved
