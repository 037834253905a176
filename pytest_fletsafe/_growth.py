"""``assert_no_growth``: repeat a lifecycle and fail if something keeps growing.

Why: the typical Flet leak is not one leftover but one more per visit — a dialog appended to
``page.overlay`` per click, a handler registered per navigation. One run of a test cannot
see it; twenty runs of the same lifecycle can.

How: warm-up iterations first (interpreter caches, lazy imports and Flet's own first-use
allocations grow once and then stop), then counts after a full ``gc.collect()`` at three
points — after warm-up, halfway, at the end. Something counts as growing only if it grew in
*both* halves and by at least half an object per iteration, which filters out noise that
grows once. Counted: what a Flet page holds (overlay, controls, views, the session's live
control index, the event handlers attached to them, pubsub subscriptions, the registrations
of the app's MemoryManager) and objects by type. Only when something grew are a few
more repetitions run under tracemalloc, to name where: tracing slows every allocation, and
a passing check should not pay for it.
"""

from __future__ import annotations

import gc
import inspect
import tracemalloc
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["GrowthError", "assert_no_growth"]

_TRACED_REPETITIONS = 10


class GrowthError(AssertionError):
    """Something grew with every repetition of a lifecycle that should leave nothing behind."""


def _page_counts(page: Any) -> dict[str, int]:
    from fletsafe._pubsub import subscriptions

    counts = {
        "page.overlay": len(page.overlay),
        "page.controls": len(page.controls),
        "page.views": len(page.views),
    }
    try:
        session = page.session
    except RuntimeError:  # the session is gone: nothing more to count
        return counts
    live = list(session.index.values())
    counts["session index (live controls)"] = len(live)
    counts["event handlers (page and live controls)"] = _attached_handlers(live)
    counts["pubsub subscriptions"] = len(subscriptions(page.pubsub))
    from fletsafe._accessors import _current_defaults

    memory = _current_defaults()[1]
    if memory is not None:
        counts["MemoryManager registrations"] = len(memory.active_handlers())
    return counts


def _attached_handlers(controls: list[Any]) -> int:
    """Event fields (``on_click`` …) that hold a handler, over ``controls``."""
    from fletsafe._handlers import event_fields

    return sum(
        1 for control in controls for name in event_fields(control) if getattr(control, name, None)
    )


# Containers and plumbing grow as a *consequence* of whatever really grows; reporting them
# would bury the one line that matters. Our own client's message log grows by design.
_NOT_COUNTED = ("builtins", "weakref", "_weakref", "_weakrefset", "collections", "pytest_fletsafe")


def _census() -> Counter[str]:
    counts: Counter[str] = Counter()
    for obj in gc.get_objects():
        cls = type(obj)
        module = cls.__module__  # some C types answer with a descriptor instead of a string
        if isinstance(module, str) and not module.startswith(_NOT_COUNTED):
            counts[cls.__qualname__] += 1
    return counts


def _holders(page: Any, type_name: str) -> list[str]:
    """Which page containers hold objects of ``type_name`` (for the message)."""
    if page is None:
        return []
    holders = []
    for name in ("overlay", "controls", "views"):
        found = sum(1 for c in getattr(page, name) if type(c).__qualname__ == type_name)
        if found:
            holders.append(f"page.{name} holds {found}")
    return holders


async def assert_no_growth(
    lifecycle: Callable[[], Awaitable[Any] | Any],
    *,
    iterations: int = 20,
    warmup: int = 3,
    page: Any = None,
    trace_allocations: bool = True,
) -> None:
    """Run ``lifecycle`` ``warmup + iterations`` times; raise :class:`GrowthError` if anything
    keeps growing. ``lifecycle`` may be sync or async (``open_and_close_view``).

    With ``page`` (``flet_page``), its overlay, controls, views, live control index, the event
    handlers attached to the page and its controls, pubsub subscriptions and the registrations
    of the test's MemoryManager are counted too, and growing types are attributed to the page
    container that holds them ("AlertDialog +20, page.overlay holds 20").
    """
    if iterations < 4:
        raise ValueError(
            f"iterations must be at least 4 to tell growth from noise, got {iterations}"
        )

    async def run(times: int) -> None:
        for _ in range(times):
            result = lifecycle()
            if inspect.isawaitable(result):
                await result

    await run(warmup)
    gc.collect()
    start_page = _page_counts(page) if page is not None else {}
    start = _census()
    await run(iterations // 2)
    gc.collect()
    middle_page = _page_counts(page) if page is not None else {}
    middle = _census()
    await run(iterations - iterations // 2)
    gc.collect()
    end_page = _page_counts(page) if page is not None else {}
    end = _census()
    threshold = max(1, iterations // 2)
    page_growth = _growing(start_page, middle_page, end_page, threshold)
    type_growth = _growing(start, middle, end, threshold)
    if not page_growth and not type_growth:
        return  # the common, passing case never pays for tracemalloc
    lines = [f"grew over {iterations} repetitions (after {warmup} warm-up):"]
    for key, grown in sorted(page_growth.items(), key=lambda kv: -kv[1]):
        lines.append(f"  {key}: +{grown}")
    sites: dict[str, str] = {}
    lines_grown: list[tuple[str, int]] = []
    if trace_allocations and not tracemalloc.is_tracing():
        # Found: now find where, over a few more repetitions with allocation tracing on.
        extra = min(iterations, _TRACED_REPETITIONS)
        tracemalloc.start(16)
        try:
            before = tracemalloc.take_snapshot()
            await run(extra)
            gc.collect()
            sites = _allocation_sites(type_growth)
            lines_grown = _growing_lines(before, max(1, extra // 2))
        finally:
            tracemalloc.stop()
    for type_name, grown in sorted(type_growth.items(), key=lambda kv: -kv[1])[:10]:
        notes = _holders(page, type_name)
        if type_name in sites:
            notes.append(f"allocated at {sites[type_name]}")
        lines.append(f"  {type_name} +{grown}" + (f" ({'; '.join(notes)})" if notes else ""))
    if lines_grown:
        lines.append(f"retained memory grew at (tracemalloc, {extra} more repetitions):")
        lines += [f"  +{blocks} blocks at {where}" for where, blocks in lines_grown]
    raise GrowthError("\n".join(lines))


def _growing(
    first: dict[str, int], mid: dict[str, int], last: dict[str, int], threshold: int
) -> dict[str, int]:
    """Keys that grew in both halves, by at least ``threshold`` overall."""
    return {
        key: last[key] - first.get(key, 0)
        for key in last
        if last[key] - first.get(key, 0) >= threshold
        and mid.get(key, 0) > first.get(key, 0)
        and last[key] > mid.get(key, 0)
    }


def _allocation_sites(growth: dict[str, int]) -> dict[str, str]:
    """Where an instance of each growing type allocated while tracing came from."""
    wanted = set(sorted(growth, key=lambda name: -growth[name])[:10])
    sites: dict[str, str] = {}
    for obj in gc.get_objects():
        name = type(obj).__qualname__
        if name in wanted and name not in sites:
            traceback = tracemalloc.get_object_traceback(obj)  # None if made before tracing
            if traceback is not None:
                sites[name] = _user_frame(traceback)
    return sites


def _user_frame(traceback: tracemalloc.Traceback) -> str:
    from fletsafe._sites import is_infrastructure

    frames = list(reversed(traceback))  # tracemalloc lists oldest first; want the innermost
    for frame in frames:
        if not is_infrastructure(frame.filename) and "/tracemalloc" not in frame.filename:
            return f"{frame.filename}:{frame.lineno}"
    return f"{frames[0].filename}:{frames[0].lineno}" if frames else "?"


def _growing_lines(before: tracemalloc.Snapshot, threshold: int) -> list[tuple[str, int]]:
    """The user-code lines whose retained blocks grew most, innermost user frame each.

    The per-object site (``_allocation_sites``) needs ``get_object_traceback``, which finds
    nothing for instances on some interpreters (CPython 3.11); this works everywhere.
    """
    grown: Counter[str] = Counter()
    for stat in tracemalloc.take_snapshot().compare_to(before, "traceback"):
        if stat.count_diff > 0:
            grown[_user_frame(stat.traceback)] += stat.count_diff
    return [(where, n) for where, n in grown.most_common(3) if n >= threshold]
