"""fletsafe: lifecycle primitives for async Flet apps.

A Flet view starts tasks, hooks handlers and shares state between the event loop and
worker threads; fletsafe tracks all of it so the view can dispose everything it started,
and so a test (with the ``pytest-fletsafe`` plugin) can prove that nothing was left behind.

* :class:`TaskManager` — named tasks, timeouts, cancel-all, a dispose that waits.
* :class:`MemoryManager` — handlers, pubsub subscriptions and overlay entries, undone on
  dispose, held weakly.
* :class:`AtomicState` — per-key and multi-key locks for tasks *and* threads,
  compare-and-swap, history, change notifications.
* :class:`Lifetime` — one of each for a view, disposed together.

Standard library only; Flet is not imported.
"""

import typing as _typing  # private: the module's namespace is its public surface

if _typing.TYPE_CHECKING:
    from ._accessors import dispose_atomic_state_manager as dispose_atomic_state_manager
    from ._accessors import dispose_memory_manager as dispose_memory_manager
    from ._accessors import dispose_task_manager as dispose_task_manager
    from ._accessors import get_atomic_state_manager as get_atomic_state_manager
    from ._accessors import get_memory_manager as get_memory_manager
    from ._accessors import get_task_manager as get_task_manager
    from ._errors import DisposedError as DisposedError
    from ._errors import FletsafeError as FletsafeError
    from ._errors import LockUsageError as LockUsageError
    from ._errors import MemoryGrowthWarning as MemoryGrowthWarning
    from ._errors import StuckTaskWarning as StuckTaskWarning
    from ._errors import UnknownEventError as UnknownEventError
    from ._handlers import GrowthReport as GrowthReport
    from ._handlers import HandlerDisposeReport as HandlerDisposeReport
    from ._handlers import HandlerInfo as HandlerInfo
    from ._handlers import MemoryManager as MemoryManager
    from ._lifetime import Lifetime as Lifetime
    from ._lifetime import LifetimeReport as LifetimeReport
    from ._sites import Site as Site
    from ._state import AtomicState as AtomicState
    from ._state import AtomicStateManager as AtomicStateManager
    from ._state import LockInfo as LockInfo
    from ._state import StateUpdate as StateUpdate
    from ._task_records import TaskDisposeReport as TaskDisposeReport
    from ._task_records import TaskError as TaskError
    from ._task_records import TaskInfo as TaskInfo
    from ._task_records import ThreadTaskHandle as ThreadTaskHandle
    from ._tasks import TaskManager as TaskManager

__version__ = "0.1.0"

__all__ = [
    "AtomicState",
    "AtomicStateManager",
    "DisposedError",
    "FletsafeError",
    "GrowthReport",
    "HandlerDisposeReport",
    "HandlerInfo",
    "Lifetime",
    "LifetimeReport",
    "LockInfo",
    "LockUsageError",
    "MemoryGrowthWarning",
    "MemoryManager",
    "Site",
    "StateUpdate",
    "StuckTaskWarning",
    "TaskDisposeReport",
    "TaskError",
    "TaskInfo",
    "TaskManager",
    "ThreadTaskHandle",
    "UnknownEventError",
    "dispose_atomic_state_manager",
    "dispose_memory_manager",
    "dispose_task_manager",
    "get_atomic_state_manager",
    "get_memory_manager",
    "get_task_manager",
]

_FROM = {
    "AtomicState": "._state",
    "AtomicStateManager": "._state",
    "DisposedError": "._errors",
    "FletsafeError": "._errors",
    "GrowthReport": "._handlers",
    "HandlerDisposeReport": "._handlers",
    "HandlerInfo": "._handlers",
    "Lifetime": "._lifetime",
    "LifetimeReport": "._lifetime",
    "LockInfo": "._state",
    "LockUsageError": "._errors",
    "MemoryGrowthWarning": "._errors",
    "MemoryManager": "._handlers",
    "Site": "._sites",
    "StateUpdate": "._state",
    "StuckTaskWarning": "._errors",
    "TaskDisposeReport": "._task_records",
    "TaskError": "._task_records",
    "TaskInfo": "._task_records",
    "TaskManager": "._tasks",
    "ThreadTaskHandle": "._task_records",
    "UnknownEventError": "._errors",
    "dispose_atomic_state_manager": "._accessors",
    "dispose_memory_manager": "._accessors",
    "dispose_task_manager": "._accessors",
    "get_atomic_state_manager": "._accessors",
    "get_memory_manager": "._accessors",
    "get_task_manager": "._accessors",
}


def __getattr__(name: str) -> _typing.Any:
    # Lazy, so that importing one part (the pytest plugin needs only creation sites for a
    # test that uses none of the managers) does not build every class: ~10 ms.
    if name in _FROM:
        import importlib

        value = getattr(importlib.import_module(_FROM[name], __name__), name)
        globals()[name] = value  # the next access is a plain attribute
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
