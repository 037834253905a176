"""Shared state with per-key and multi-key locks, compare-and-swap and history.

Why this exists: a Flet view's handlers run as tasks on the loop *and* in worker threads,
and ``counter = state.get(k); await save(); state.set(k, counter + 1)`` loses updates the
first time two of them interleave. :class:`AtomicState` makes the read-modify-write a
critical section that works for both kinds of caller (see ``_keylock.py``).

Design choices:

* ``get`` does not lock: a single dict read is atomic, and readers should not queue
  behind writers. Multi-key writes apply in one ``dict.update`` so even lock-free readers
  never see half of one.
* Multi-key locks are always taken in one global order (sorted by type name, then value,
  then ``repr`` for keys that do not compare), whatever order callers name them in, so two
  multi-key updates can never deadlock each other.
* Change callbacks run after the write, in the writer's thread, and may call back into the
  state (the lock is re-entrant for its holder). Their exceptions are logged and kept.
"""

from __future__ import annotations

import inspect
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, NamedTuple

from ._keylock import KeyLock, current_holder, holder_name, is_task
from ._sites import Site

__all__ = ["AtomicState", "AtomicStateManager", "LockInfo", "StateUpdate"]

_log = logging.getLogger("fletsafe.state")

ChangeCallback = Callable[[Hashable, Any, Any], object]


class StateUpdate(NamedTuple):
    """One change, as kept in the bounded history."""

    key: Hashable
    old: Any
    new: Any
    at: float
    """``time.time()`` of the change."""
    operation: str
    """``set``, ``compare_and_swap``, ``set_multiple`` or ``update_multiple``."""


@dataclass(frozen=True)
class LockInfo:
    """A key lock that is held right now."""

    key: Hashable
    holder: str
    """``task 'save'`` or ``thread 'ThreadPoolExecutor-0_0'``."""
    held_for: float
    site: Site
    """Where the current holder acquired it."""
    depth: int
    abandoned: bool = False
    """The holder has finished (a done task, a dead thread): nobody will ever release it."""


_new_update = tuple.__new__  # skips NamedTuple's Python-level __new__ on every write


def _sort_key(key: Hashable) -> tuple[str, Any]:
    return (type(key).__qualname__, key)


def _ordered(keys: Iterable[Hashable]) -> list[Hashable]:
    unique = list(dict.fromkeys(keys))
    try:
        return sorted(unique, key=_sort_key)
    except TypeError:  # keys of one type that do not compare (e.g. tuples of mixed types)
        return sorted(unique, key=lambda k: (type(k).__qualname__, repr(k)))


def _finished(holder: object, alive_threads: set[int | None]) -> bool:
    if is_task(holder):
        return holder.done()
    return isinstance(holder, int) and holder not in alive_threads


class _Locked:
    """``with``/``async with`` for one or more keys. Re-entrant, so shareable per key set."""

    __slots__ = ("_keys", "_locks", "_state")

    def __init__(self, state: AtomicState, keys: list[Hashable]) -> None:
        self._state = state
        self._keys = keys
        self._locks = [state._lock_for(k) for k in keys]

    def __enter__(self) -> AtomicState:
        holder = current_holder()
        timeout = self._state.lock_timeout
        for i, lock in enumerate(self._locks):
            if not lock.acquire(holder, timeout):
                self._release(holder, i)
                raise TimeoutError(f"could not lock key {lock.key!r} within {timeout}s")
        return self._state

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._release(current_holder(), len(self._locks))

    async def __aenter__(self) -> AtomicState:
        holder = current_holder()
        for i, lock in enumerate(self._locks):
            try:
                await lock.acquire_async(holder)
            except BaseException:
                self._release(holder, i)
                raise
        return self._state

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._release(current_holder(), len(self._locks))

    def _release(self, holder: object, count: int) -> None:
        for lock in reversed(self._locks[:count]):
            lock.release(holder)


class _LockedKey(_Locked):
    """:class:`_Locked` for the common single key, without the loops."""

    __slots__ = ("_lock",)

    def __init__(self, state: AtomicState, key: Hashable) -> None:
        super().__init__(state, [key])
        self._lock = self._locks[0]

    def __enter__(self) -> AtomicState:
        timeout = self._state.lock_timeout
        if not self._lock.acquire(current_holder(), timeout):
            raise TimeoutError(f"could not lock key {self._lock.key!r} within {timeout}s")
        return self._state

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._lock.release(current_holder())


class AtomicState:
    """Key-value state safe to share between event-loop tasks and worker threads.

    Args:
        initial: Starting values.
        history_size: How many changes :meth:`get_update_history` keeps (old and new values
            are kept alive until they fall out).
        lock_timeout: Seconds a *blocking* acquire waits before raising ``TimeoutError``;
            None waits forever.
    """

    def __init__(
        self,
        initial: Mapping[Hashable, Any] | None = None,
        *,
        history_size: int = 1000,
        lock_timeout: float | None = None,
        name: str = "state",
    ) -> None:
        if history_size < 0:
            raise ValueError(f"history_size must be >= 0, got {history_size}")
        self.name = name
        self.lock_timeout = lock_timeout
        self._data: dict[Hashable, Any] = dict(initial or {})
        self._locks: dict[Hashable, KeyLock] = {}
        self._locks_guard = threading.Lock()
        self._single: dict[Hashable, _Locked] = {}
        self._history: deque[StateUpdate] = deque(maxlen=history_size)
        self._subscribers: dict[Hashable, dict[int, ChangeCallback]] = {}
        self._subscription_keys: dict[int, Hashable] = {}
        self._serial = itertools.count(1)
        self._errors: deque[BaseException] = deque(maxlen=256)
        self._stats = dict.fromkeys(("sets", "cas_succeeded", "cas_failed", "multi_updates"), 0)

    def __repr__(self) -> str:
        return f"<AtomicState {self.name!r} keys={len(self._data)}>"

    def _lock_for(self, key: Hashable) -> KeyLock:
        lock = self._locks.get(key)
        if lock is None:
            with self._locks_guard:
                lock = self._locks.setdefault(key, KeyLock(key))
        return lock

    # -- reading and writing --------------------------------------------------------------

    def get(self, key: Hashable, default: Any = None) -> Any:
        """The value of ``key`` (lock-free; see the module docstring)."""
        return self._data.get(key, default)

    def snapshot(self) -> dict[Hashable, Any]:
        """A shallow copy of all values."""
        return self._data.copy()

    def set(self, key: Hashable, value: Any) -> None:
        """Set ``key`` under its lock: waits for (or re-enters) an ``atomic_update``."""
        holder = current_holder()
        lock = self._locks.get(key) or self._lock_for(key)
        if lock.owner == holder:  # inside our own atomic_update: only we can release it
            old = self._write(key, value, "set")
        else:
            if not lock.acquire(holder, self.lock_timeout):
                raise TimeoutError(f"could not lock key {key!r} within {self.lock_timeout}s")
            try:
                old = self._write(key, value, "set")
            finally:
                lock.release(holder)
        self._notify(key, old, value)

    async def aset(self, key: Hashable, value: Any) -> None:
        """:meth:`set` for coroutines: waits without blocking the loop."""
        async with self._locked([key]):
            old = self._write(key, value, "set")
        self._notify(key, old, value)

    def _write(self, key: Hashable, value: Any, operation: str) -> Any:
        old = self._data.get(key)
        self._data[key] = value
        self._stats["sets"] += 1
        self._history.append(_new_update(StateUpdate, (key, old, value, time.time(), operation)))
        return old

    def compare_and_swap(self, key: Hashable, expected: Any, new: Any) -> bool:
        """Set ``key`` to ``new`` only if it equals ``expected``, atomically.

        A missing key equals ``None``. Returns False, changing nothing, on a mismatch.
        """
        with self._locked([key]):
            current = self._data.get(key)
            if not (current is expected or current == expected):
                self._stats["cas_failed"] += 1
                return False
            self._write(key, new, "compare_and_swap")
            self._stats["cas_succeeded"] += 1
        self._notify(key, current, new)
        return True

    def set_multiple(self, values: Mapping[Hashable, Any]) -> None:
        """Set several keys at once, under all their locks, visible all together."""
        self._apply(dict(values), "set_multiple")

    def update_multiple(self, updates: Mapping[Hashable, Callable[[Any], Any]]) -> None:
        """Replace each key's value with ``update(old)``, all-or-nothing.

        Every new value is computed before anything is written: if one update raises,
        no key changes.
        """
        with self._locked(list(updates)):
            new = {key: update(self._data.get(key)) for key, update in updates.items()}
            self._apply(new, "update_multiple")

    def _apply(self, values: dict[Hashable, Any], operation: str) -> None:
        with self._locked(list(values)):
            old = {key: self._data.get(key) for key in values}
            self._data.update(values)
            now = time.time()
            self._history.extend(
                StateUpdate(k, old[k], v, now, operation) for k, v in values.items()
            )
            self._stats["sets"] += len(values)
            self._stats["multi_updates"] += 1
        for key, value in values.items():
            self._notify(key, old[key], value)

    # -- critical sections ----------------------------------------------------------------

    def _locked(self, keys: list[Hashable]) -> _Locked:
        return _Locked(self, _ordered(keys))

    def atomic_update(self, key: Hashable) -> _Locked:
        """Hold ``key``'s lock for a read-modify-write: ``with`` in threads, ``async with``
        in coroutines::

            async with state.atomic_update("count"):
                state.set("count", state.get("count", 0) + 1)

        Re-entrant for its holder (a task, or a thread outside any task), so ``set`` inside
        it does not deadlock.
        """
        locked = self._single.get(key)
        if locked is None:  # stateless and re-entrant, so one per key serves every caller
            locked = self._single[key] = _LockedKey(self, key)
        return locked

    def atomic_multi_update(self, *keys: Hashable) -> _Locked:
        """Hold several keys' locks, taken in one global order whatever order is given."""
        if not keys:
            raise ValueError("atomic_multi_update() needs at least one key")
        return self._locked(list(keys))

    def held_locks(self) -> list[LockInfo]:
        """Keys locked right now: by whom, for how long, acquired where."""
        now = time.monotonic()
        with self._locks_guard:
            locks = [lock for lock in self._locks.values() if lock.owner is not None]
        if not locks:
            return []
        alive = {thread.ident for thread in threading.enumerate()}
        return [
            LockInfo(
                lock.key,
                holder_name(lock.owner),
                now - lock.since,
                lock.site,
                lock.depth,
                abandoned=_finished(lock.owner, alive),
            )
            for lock in locks
        ]

    # -- change notifications -------------------------------------------------------------

    def subscribe(self, key: Hashable, callback: ChangeCallback) -> int:
        """Call ``callback(key, old, new)`` after every change of ``key``; returns an id."""
        if not callable(callback):
            raise TypeError(f"callback must be callable, got {type(callback).__name__}")
        if inspect.iscoroutinefunction(callback):
            raise TypeError(
                "change callbacks run synchronously in the writer's thread; start async work "
                "from it with a TaskManager instead of passing a coroutine function"
            )
        sub_id = next(self._serial)
        with self._locks_guard:
            self._subscribers.setdefault(key, {})[sub_id] = callback
            self._subscription_keys[sub_id] = key
        return sub_id

    def unsubscribe(self, subscription_id: int) -> bool:
        with self._locks_guard:
            key = self._subscription_keys.pop(subscription_id, None)
            if key is None:
                return False
            callbacks = self._subscribers[key]
            del callbacks[subscription_id]
            if not callbacks:
                del self._subscribers[key]
            return True

    def _notify(self, key: Hashable, old: Any, new: Any) -> None:
        callbacks = self._subscribers.get(key)
        if not callbacks:
            return
        for callback in list(callbacks.values()):
            try:
                callback(key, old, new)
            except Exception as exc:
                self._errors.append(exc)
                _log.exception("change callback %r for key %r failed", callback, key)

    # -- housekeeping ---------------------------------------------------------------------

    def get_update_history(self, key: Hashable | None = None, limit: int = 10) -> list[StateUpdate]:
        """The latest ``limit`` changes (of ``key``, or of any key), oldest first."""
        if limit <= 0:
            return []
        history = list(self._history)
        if key is not None:
            history = [u for u in history if u.key == key]
        return history[-limit:]

    def errors(self) -> list[BaseException]:
        """Exceptions raised by change callbacks (the latest 256)."""
        return list(self._errors)

    def get_stats(self) -> dict[str, Any]:
        """Counts of writes, compare-and-swaps, waits for a lock (``contended``) and more."""
        with self._locks_guard:
            contended = sum(lock.waits for lock in self._locks.values())
        return {
            "name": self.name,
            "keys": len(self._data),
            **self._stats,
            "contended": contended,
            "locks_held": len(self.held_locks()),
            "subscriptions": len(self._subscription_keys),
            "history": len(self._history),
        }

    def cleanup(self) -> None:
        """Forget all values, history, subscriptions and idle locks (held ones stay)."""
        with self._locks_guard:
            self._locks = {k: lock for k, lock in self._locks.items() if lock.owner is not None}
            self._single = {k: c for k, c in self._single.items() if k in self._locks}
            self._subscribers.clear()
            self._subscription_keys.clear()
        self._data.clear()
        self._history.clear()


#: The name this class had in the original design; kept for apps written against it.
AtomicStateManager = AtomicState
