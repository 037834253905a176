"""A lock shared by threads and asyncio tasks, re-entrant for its holder.

Why not ``threading.RLock``: Flet runs async handlers as tasks on one loop thread, so an
RLock would treat two tasks of that thread as the same owner and let both in — the lost
update we exist to prevent. Why not ``asyncio.Lock``: sync handlers run in worker threads.

So a *holder* is the current asyncio task when there is one, else the thread. The lock is
FIFO and hands ownership directly to the next waiter on release (no barging, no
starvation). Waiting is by thread lock for threads and by future for tasks, so an
``async`` acquire never blocks the loop while a thread holds the key.

A blocking acquire on a loop's thread while another task *of that loop* holds the lock
can never succeed — the holder cannot run until we return — so it raises
:class:`LockUsageError` instead of hanging.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Hashable
from typing import Any, TypeGuard

from ._errors import LockUsageError
from ._sites import UNKNOWN_SITE, Site, caller_site

__all__ = ["KeyLock", "current_holder", "holder_name", "is_task"]

_get_running_loop = asyncio._get_running_loop
_current_task = asyncio.current_task
_get_ident = threading.get_ident
_monotonic = time.monotonic


def current_holder() -> object:
    """The running task, or the thread id outside of any task."""
    loop = _get_running_loop()
    if loop is not None:
        task = _current_task(loop)
        if task is not None:
            return task
    return _get_ident()


# asyncio's pure-Python Task is not an asyncio.Task (the C one), and some runners use it
# (pytest-asyncio's on 3.10): a task holder may be either.
_TASK_TYPES: tuple[type, ...] = (asyncio.Task, getattr(asyncio.tasks, "_PyTask", asyncio.Task))


def is_task(holder: object) -> TypeGuard[asyncio.Task[Any]]:
    """True for a task holder; other holders are thread ids (or a caller's own token)."""
    return isinstance(holder, _TASK_TYPES)


def holder_name(holder: object) -> str:
    if is_task(holder):
        return f"task {holder.get_name()!r}"
    for thread in threading.enumerate():
        if thread.ident == holder:
            return f"thread {thread.name!r}"
    return f"thread {holder}"


class _Waiter:
    __slots__ = ("future", "granted", "holder", "loop", "parked", "site")

    def __init__(self, holder: object, site: Site) -> None:
        self.holder = holder
        self.site = site
        self.granted = False
        self.parked: threading.Lock | None = None
        self.future: asyncio.Future[None] | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    def wake(self) -> None:
        if self.parked is not None:
            self.parked.release()
            return
        assert self.loop is not None
        assert self.future is not None
        if _get_running_loop() is self.loop:
            _resolve(self.future)
        else:
            self.loop.call_soon_threadsafe(_resolve, self.future)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class KeyLock:
    """One key's lock. See the module docstring."""

    __slots__ = ("_depth", "_guard", "_owner", "_waiters", "key", "since", "site", "waits")

    def __init__(self, key: Hashable) -> None:
        self.key = key
        self._guard = threading.Lock()  # protects the fields below; held for microseconds
        self._owner: object = None
        self._depth = 0
        self._waiters: deque[_Waiter] = deque()
        self.since = 0.0
        self.site = UNKNOWN_SITE
        self.waits = 0  # acquisitions that had to queue

    @property
    def owner(self) -> object:
        return self._owner

    @property
    def depth(self) -> int:
        return self._depth

    def _try(self, holder: object, blocking: bool) -> bool | _Waiter:
        """Under the guard: take the lock, re-enter it, or queue a waiter."""
        owner = self._owner
        if owner is None:
            self._owner = holder
            self._depth = 1
            self.since = _monotonic()
            self.site = caller_site()
            return True
        if owner == holder:
            self._depth += 1
            return True
        if blocking and is_task(owner):
            loop = _get_running_loop()
            if loop is not None and owner.get_loop() is loop:
                raise LockUsageError(
                    f"blocking acquire of key {self.key!r} on the event loop's thread while "
                    f"{holder_name(owner)} of the same loop holds it would deadlock; "
                    "use 'async with state.atomic_update(key)' there"
                )
        waiter = _Waiter(holder, caller_site())
        self._waiters.append(waiter)
        self.waits += 1
        return waiter

    def acquire(self, holder: object, timeout: float | None = None) -> bool:
        """Block the calling thread until ``holder`` owns the lock (or ``timeout``)."""
        with self._guard:
            if self._owner is None:  # the uncontended case, inline
                self._owner = holder
                self._depth = 1
                self.since = _monotonic()
                self.site = caller_site()
                return True
            got = self._try(holder, blocking=True)
            if got is True:
                return True
            assert isinstance(got, _Waiter)
            got.parked = threading.Lock()
            got.parked.acquire()
        if got.parked.acquire(timeout=-1 if timeout is None else timeout):
            return True
        with self._guard:
            if got.granted:  # handed over just as we gave up: we own it after all
                return True
            self._waiters.remove(got)
            return False

    async def acquire_async(self, holder: object) -> None:
        """Wait without blocking the loop until ``holder`` owns the lock."""
        with self._guard:
            got = self._try(holder, blocking=False)
            if got is True:
                return
            assert isinstance(got, _Waiter)
            got.loop = asyncio.get_running_loop()
            got.future = got.loop.create_future()
        try:
            await got.future
        except BaseException:
            with self._guard:
                if not got.granted:
                    self._waiters.remove(got)
                    raise
            self.release(holder)  # it was handed to us while we were being cancelled
            raise

    def release(self, holder: object) -> None:
        with self._guard:
            if self._owner != holder:
                owner = "nobody" if self._owner is None else holder_name(self._owner)
                raise RuntimeError(
                    f"lock for key {self.key!r} released by {holder_name(holder)}, "
                    f"but held by {owner}"
                )
            depth = self._depth = self._depth - 1
            if depth:
                return
            if not self._waiters:
                self._owner = None
                return
            waiter = self._waiters.popleft()
            waiter.granted = True
            self._owner = waiter.holder
            self._depth = 1
            self.since = _monotonic()
            self.site = waiter.site
        waiter.wake()
