"""Exceptions and warnings raised by the runtime."""

from __future__ import annotations

__all__ = [
    "DisposedError",
    "FletsafeError",
    "LockUsageError",
    "MemoryGrowthWarning",
    "StuckTaskWarning",
    "UnknownEventError",
]


class FletsafeError(Exception):
    """Base class of every error fletsafe raises on purpose."""


class DisposedError(FletsafeError, RuntimeError):
    """The object was disposed; it no longer accepts new work.

    Raised instead of silently dropping the caller's coroutine: the caller learns that the
    view is gone, and fletsafe closes the coroutine so Python does not warn that it was
    never awaited.
    """


class UnknownEventError(FletsafeError, ValueError):
    """An event name that the control does not have (``on_clik`` instead of ``on_click``).

    Flet would accept the assignment to a misspelt attribute silently and the handler would
    never fire, so fletsafe refuses it and lists the valid names.
    """


class LockUsageError(FletsafeError, RuntimeError):
    """A lock was used in a way that could only deadlock.

    For example a blocking ``with state.atomic_update(key)`` on the event loop's thread
    while another task of the same loop holds ``key``: the holder can never run again to
    release it. Use ``async with`` there.
    """


class StuckTaskWarning(RuntimeWarning):
    """A task did not finish within the dispose timeout after it was cancelled.

    Usually the task catches ``CancelledError`` and carries on. It is still tracked and
    reported, never forgotten, so the leak stays visible.
    """


class MemoryGrowthWarning(ResourceWarning):
    """Tracked handlers, controls or subscriptions grew past a configured threshold.

    Growth that survives a view's dispose is the typical Flet leak: a dialog appended to
    ``page.overlay`` per click, or a handler registered per visit.
    """
