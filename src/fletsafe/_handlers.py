"""Tracked event handlers, page handlers, pubsub subscriptions and overlay entries.

Why this exists: in Flet every way of hooking a view into the page outlives the view
unless someone undoes it — a handler left on ``page.on_resize``, a pubsub subscription
(which keeps the whole Page alive), a dialog appended to ``page.overlay`` per click. The
:class:`MemoryManager` records each hook together with *where* it was made and undoes all
of them on dispose, without keeping anything alive itself:

* Controls and pages are held by weak reference. A handler attached to a control is held
  weakly too: the control's own field keeps it alive exactly as long as the control, and
  a closure that mentions the control (the normal case) cannot form a cycle through us.
* The lock is re-entrant and undo work runs *outside* it, so a handler may call back into
  the manager, and a pubsub hub holding its own lock can never wait on ours.
* Dispose forgets everything but leaves the manager usable for the next view.
"""

from __future__ import annotations

import itertools
import threading
import warnings
import weakref
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ._errors import MemoryGrowthWarning, UnknownEventError
from ._pubsub import remove_subscription
from ._sites import Site, caller_site

__all__ = [
    "GrowthReport",
    "HandlerDisposeReport",
    "HandlerInfo",
    "HandlerKind",
    "MemoryManager",
]

HandlerKind = Literal["event", "page_event", "pubsub", "overlay"]

#: Growth (over the baseline) above which :meth:`MemoryManager.detect_memory_growth` warns.
DEFAULT_GROWTH_THRESHOLDS: Mapping[str, int] = {
    "event": 500,
    "page_event": 50,
    "pubsub": 50,
    "overlay": 20,
    "controls": 1000,
    "dead_references": 100,
}


@dataclass(frozen=True)
class HandlerInfo:
    """One registration: what was hooked where, and from which line."""

    id: str
    kind: HandlerKind
    target: str
    """Control name, ``"page"``, or for pubsub the topic (``"*"`` for global messages)."""
    event: str
    """Event field (``on_click``), ``"subscribe"`` for pubsub, ``"overlay"``."""
    site: Site
    alive: bool
    """False once the control or page it was attached to has been garbage-collected."""


@dataclass(frozen=True)
class HandlerDisposeReport:
    """How many registrations of each kind a dispose undid."""

    event: int = 0
    page_event: int = 0
    pubsub: int = 0
    overlay: int = 0
    controls: int = 0

    @property
    def total(self) -> int:
        return self.event + self.page_event + self.pubsub + self.overlay + self.controls


@dataclass(frozen=True)
class GrowthReport:
    """Counts now, against the baseline, with a warning per threshold exceeded."""

    counts: dict[str, int]
    baseline: dict[str, int]
    growth: dict[str, int]
    top_targets: list[tuple[str, int]] = field(default_factory=list)
    """Control names with the most live registrations, the usual suspects."""
    warnings: list[str] = field(default_factory=list)

    @property
    def growing(self) -> bool:
        return bool(self.warnings)


def _weak(obj: Any) -> Callable[[], Any]:
    """A weak reference that also works for bound methods; strong if impossible."""
    if hasattr(obj, "__self__") and hasattr(obj, "__func__"):
        return weakref.WeakMethod(obj)
    try:
        return weakref.ref(obj)
    except TypeError:  # e.g. a builtin: it can't reference the control anyway
        return lambda: obj


def event_fields(obj: Any) -> frozenset[str]:
    """The names of ``obj``'s event fields (``on_click`` …): Flet lists them per control
    class; for anything else, every ``on_*`` attribute it has."""
    valid = getattr(type(obj), "_event_fields", None)
    if valid is None:
        return frozenset(a for a in dir(obj) if a.startswith("on_"))
    return frozenset(valid)


def event_field(obj: Any, event_name: str) -> str:
    """``"click"`` or ``"on_click"`` → ``"on_click"``, validated against ``obj``'s events."""
    name = event_name if event_name.startswith("on_") else f"on_{event_name}"
    valid = event_fields(obj)
    if name not in valid:
        raise UnknownEventError(
            f"{type(obj).__name__} has no event {event_name!r}; "
            f"valid events: {', '.join(sorted(valid)) or '(none)'}"
        )
    return name


class _Registration:
    __slots__ = ("event", "handler", "id", "kind", "owner", "site", "subject", "target")

    def __init__(
        self,
        id: str,
        kind: HandlerKind,
        target: str,
        event: str,
        site: Site,
        owner: Callable[[], Any] | None,
        handler: Callable[[], Any] | None,
        subject: Any = None,
    ) -> None:
        self.id = id
        self.kind = kind
        self.target = target
        self.event = event
        self.site = site
        self.owner = owner  # weak ref to the control or page; None if nothing is attached
        self.handler = handler  # a reference (weak or strong) to the handler
        self.subject = subject  # pubsub client, or weak ref to the overlay control

    @property
    def alive(self) -> bool:
        return self.owner is None or self.owner() is not None

    def info(self) -> HandlerInfo:
        return HandlerInfo(self.id, self.kind, self.target, self.event, self.site, self.alive)

    def undo(self) -> None:
        owner = self.owner() if self.owner is not None else None
        handler = self.handler() if self.handler is not None else None
        if self.kind in ("event", "page_event"):
            # Only clear the field if it still holds our handler: someone may have replaced it.
            if owner is not None and handler is not None and getattr(owner, self.event) is handler:
                setattr(owner, self.event, None)
        elif self.kind == "pubsub":
            assert handler is not None
            remove_subscription(self.subject, handler, None if self.target == "*" else self.target)
        elif self.kind == "overlay":
            control = self.subject()
            if owner is not None and control is not None:
                overlay = owner.overlay
                for i, entry in enumerate(overlay):
                    if entry is control:
                        del overlay[i]
                        break


class MemoryManager:
    """Registers a view's handlers, subscriptions and overlay entries, and undoes them.

    Args:
        name: Used in reports.
        growth_thresholds: Override :data:`DEFAULT_GROWTH_THRESHOLDS` per key.
    """

    def __init__(self, *, name: str = "memory", growth_thresholds: Mapping[str, int] | None = None):
        self.name = name
        self._lock = threading.RLock()
        self._registrations: dict[str, _Registration] = {}
        self._controls: dict[str, tuple[str, Callable[[], Any]]] = {}
        self._serial = itertools.count(1)
        self._dead: deque[str] = deque()  # ids whose control died; pruned under the lock
        self._dead_total = 0
        self._disposed_total = 0
        self._thresholds = {**DEFAULT_GROWTH_THRESHOLDS, **(growth_thresholds or {})}
        unknown = set(self._thresholds) - set(DEFAULT_GROWTH_THRESHOLDS)
        if unknown:
            raise ValueError(
                f"unknown growth threshold {sorted(unknown)}; "
                f"known: {', '.join(DEFAULT_GROWTH_THRESHOLDS)}"
            )
        self._baseline = dict.fromkeys(self._count_keys(), 0)

    def __repr__(self) -> str:
        return f"<MemoryManager {self.name!r} registrations={len(self._registrations)}>"

    # -- registering ----------------------------------------------------------------------

    def _add(
        self,
        kind: HandlerKind,
        target: str,
        event: str,
        site: Site,
        owner: Any,
        handler: Callable[[], Any] | None,
        subject: Any = None,
    ) -> str:
        reg_id = f"{target}.{event}#{next(self._serial)}"
        owner_ref = None
        if owner is not None:
            dead = self._dead
            owner_ref = weakref.ref(owner, lambda _ref: dead.append(reg_id))
        with self._lock:
            self._prune()
            self._registrations[reg_id] = _Registration(
                reg_id, kind, target, event, site, owner_ref, handler, subject
            )
        return reg_id

    def register_event_handler(
        self,
        control_name: str,
        event_name: str,
        handler: Callable[..., Any],
        control: Any = None,
    ) -> str:
        """Track ``handler`` for ``control_name``'s ``event_name``; returns its id.

        With ``control``, the handler is also attached (``control.on_click = handler``)
        after checking that the control has that event; detaching later only clears the
        field if it still holds this handler.

        Raises:
            UnknownEventError: ``control`` has no such event; the message lists the valid ones.
        """
        _check_callable(handler)
        site = caller_site()
        if control is None:
            name = event_name if event_name.startswith("on_") else f"on_{event_name}"
            return self._add("event", control_name, name, site, None, lambda: handler)
        name = event_field(control, event_name)
        setattr(control, name, handler)
        return self._add("event", control_name, name, site, control, _weak(handler))

    def register_page_handler(self, page: Any, event_name: str, handler: Callable[..., Any]) -> str:
        """Attach ``handler`` to a page-level event (``on_resize``, ``on_keyboard_event``…)."""
        _check_callable(handler)
        name = event_field(page, event_name)
        setattr(page, name, handler)
        return self._add("page_event", "page", name, caller_site(), page, _weak(handler))

    def subscribe(self, pubsub: Any, handler: Callable[..., Any], topic: str | None = None) -> str:
        """``pubsub.subscribe(handler)`` (or ``subscribe_topic``), undone on dispose.

        Only this handler is removed later, not the session's other subscriptions.
        """
        _check_callable(handler)
        site = caller_site()
        if topic is None:
            pubsub.subscribe(handler)
        else:
            pubsub.subscribe_topic(topic, handler)
        # The hub holds the handler strongly anyway; we need it to remove it again.
        return self._add(
            "pubsub", topic or "*", "subscribe", site, None, lambda: handler, subject=pubsub
        )

    def add_overlay(self, page: Any, control: Any) -> str:
        """``page.overlay.append(control)``, removed again on dispose.

        Call ``page.update()`` as usual to show it; dispose does not update the page (it
        may already be gone), so update after disposing if the page lives on.
        """
        page.overlay.append(control)
        return self._add(
            "overlay",
            type(control).__name__,
            "overlay",
            caller_site(),
            page,
            None,
            subject=_weak(control),
        )

    def register_control(self, name: str, control: Any) -> str:
        """Track ``control`` weakly, for :meth:`detect_memory_growth`."""
        reg_id = f"{name}#{next(self._serial)}"
        with self._lock:
            self._controls[reg_id] = (name, weakref.ref(control))
        return reg_id

    def unregister_control(self, control_id: str) -> bool:
        with self._lock:
            return self._controls.pop(control_id, None) is not None

    # -- undoing --------------------------------------------------------------------------

    def _undo(self, select: Callable[[_Registration], bool]) -> list[_Registration]:
        with self._lock:
            self._prune()
            chosen = [r for r in self._registrations.values() if select(r)]
            for reg in chosen:
                del self._registrations[reg.id]
            self._disposed_total += len(chosen)
        for reg in chosen:  # outside the lock: undo may call into Flet (and Flet into us)
            reg.undo()
        return chosen

    def unregister_event_handler(self, handler_id: str) -> bool:
        """Detach and forget one registration of any kind. False if unknown (or undone)."""
        return bool(self._undo(lambda r: r.id == handler_id))

    def cleanup_control_handlers(self, control_name: str) -> int:
        """Detach every handler registered for ``control_name``."""
        return len(self._undo(lambda r: r.kind == "event" and r.target == control_name))

    def dispose_all_handlers(self) -> int:
        """Undo every registration: event and page handlers, subscriptions, overlay entries."""
        return len(self._undo(lambda r: True))

    def dispose(self) -> HandlerDisposeReport:
        """Undo everything, forget tracked controls and reset the growth baseline.

        The manager stays usable: the next view can register again.
        """
        undone = Counter(r.kind for r in self._undo(lambda r: True))
        with self._lock:
            controls = len(self._controls)
            self._controls.clear()
            self._baseline = dict.fromkeys(self._count_keys(), 0)
        return HandlerDisposeReport(
            event=undone["event"],
            page_event=undone["page_event"],
            pubsub=undone["pubsub"],
            overlay=undone["overlay"],
            controls=controls,
        )

    # -- introspection --------------------------------------------------------------------

    def _prune(self) -> None:
        while self._dead:
            reg_id = self._dead.popleft()
            if self._registrations.pop(reg_id, None) is not None:
                self._dead_total += 1

    def active_handlers(self) -> list[HandlerInfo]:
        """Every live registration, oldest first, with the line that made it."""
        with self._lock:
            self._prune()
            return [r.info() for r in self._registrations.values()]

    @staticmethod
    def _count_keys() -> tuple[str, ...]:
        return tuple(DEFAULT_GROWTH_THRESHOLDS)

    def _counts(self) -> dict[str, int]:
        counts = dict.fromkeys(self._count_keys(), 0)
        for reg in self._registrations.values():
            counts[reg.kind] += 1
        counts["controls"] = sum(1 for _, ref in self._controls.values() if ref() is not None)
        counts["dead_references"] = self._dead_total + sum(
            1 for _, ref in self._controls.values() if ref() is None
        )
        return counts

    def mark_baseline(self) -> dict[str, int]:
        """Take the current counts as the baseline growth is measured from."""
        with self._lock:
            self._prune()
            self._baseline = self._counts()
            return dict(self._baseline)

    def detect_memory_growth(self, *, warn: bool = True) -> GrowthReport:
        """Compare counts with the baseline; a warning per threshold exceeded.

        ``dead_references`` counts registrations whose control was garbage-collected while
        still registered: harmless thanks to weak references, but a sign that a view does
        not clean up. With ``warn``, a :class:`MemoryGrowthWarning` is issued too.
        """
        with self._lock:
            self._prune()
            counts = self._counts()
            baseline = dict(self._baseline)
            per_target = Counter(r.target for r in self._registrations.values())
        growth = {k: counts[k] - baseline.get(k, 0) for k in counts}
        messages = [
            f"{self.name}: {key} grew by {growth[key]} (threshold {self._thresholds[key]})"
            for key in counts
            if growth[key] > self._thresholds[key]
        ]
        report = GrowthReport(counts, baseline, growth, per_target.most_common(5), messages)
        if warn:
            for message in messages:
                warnings.warn(message, MemoryGrowthWarning, stacklevel=2)
        return report

    def get_debug_info(self) -> dict[str, Any]:
        with self._lock:
            self._prune()
            return {
                "name": self.name,
                "registrations": self._counts(),
                "undone": self._disposed_total,
            }


def _check_callable(handler: object) -> None:
    if not callable(handler):
        raise TypeError(f"handler must be callable, got {type(handler).__name__}")
