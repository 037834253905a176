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
