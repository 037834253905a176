"""Runtime overhead, as ratios against the bare-asyncio / bare-threading baseline.

Run: ``python benchmarks/bench_runtime.py`` (``--quick`` for a smoke run).

Both sides of each ratio run in this one process, interleaved, best of several rounds:
these machines are shared and noisy, so absolute times mean little and we never assert
on them in tests. Goals come from the foundation issue.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import threading
import time
from collections.abc import Callable

import flet as ft

from fletsafe import AtomicState, MemoryManager, TaskManager


def _best_per_op(fn: Callable[[int], None], n: int, rounds: int) -> float:
    """Best seconds-per-operation over ``rounds`` runs of ``fn(n)``."""
    best = float("inf")
    for _ in range(rounds):
        gc.collect()
        start = time.perf_counter()
        fn(n)
        best = min(best, (time.perf_counter() - start) / n)
    return best


async def _trivial() -> None:
    return None


def _tasks_bare(n: int, batch: int = 100) -> None:
    async def main() -> None:
        for _ in range(n // batch):
            tasks = [asyncio.create_task(_trivial()) for _ in range(batch)]
            await asyncio.gather(*tasks)

    asyncio.run(main())


def _tasks_managed(n: int, batch: int = 100) -> None:
    async def main() -> None:
        manager = TaskManager()
        for _ in range(n // batch):
            tasks = [manager.create_background_task(_trivial()) for _ in range(batch)]
            await asyncio.gather(*tasks)
        await manager.aclose()

    asyncio.run(main())


def _tasks_managed_named(n: int, batch: int = 100) -> None:
    names = [f"t{i}" for i in range(batch)]

    async def main() -> None:
        manager = TaskManager()
        for _ in range(n // batch):
            tasks = [manager.create_task(name, _trivial()) for name in names]
            await asyncio.gather(*tasks)
        await manager.aclose()

    asyncio.run(main())


def _state_bare(n: int) -> None:
    lock = threading.RLock()
    data: dict[str, int] = {}
    for i in range(n):
        with lock:
            data["k"] = i


class _NaiveState:
    """What an app writes by hand: one RLock, the same method shape as AtomicState."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._data: dict[str, int] = {}

    def atomic_update(self, _key: str) -> threading.RLock:
        return self._lock

    def set(self, key: str, value: int) -> None:
        with self._lock:
            self._data[key] = value


def _state_naive_api(n: int) -> None:
    state = _NaiveState()
    for i in range(n):
        with state.atomic_update("k"):
            state.set("k", i)


def _state_atomic(n: int) -> None:
    state = AtomicState()
    for i in range(n):
        with state.atomic_update("k"):
            state.set("k", i)


def _handlers_bare(n: int) -> None:
    buttons = [ft.Button(str(i)) for i in range(n)]
    for button in buttons:
        button.on_click = print
    for button in buttons:
        button.on_click = None


def _handlers_managed(n: int) -> None:
    buttons = [ft.Button(str(i)) for i in range(n)]
    manager = MemoryManager()
    for i, button in enumerate(buttons):
        manager.register_event_handler(f"b{i}", "click", print, control=button)
    manager.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer operations, for CI smoke")
    args = parser.parse_args()
    scale, rounds = (1, 3) if args.quick else (10, 7)

    rows = []

    def compare(
        label: str,
        goal: float | None,
        base: Callable[[int], None],
        ours: Callable[[int], None],
        n: int,
    ) -> None:
        base_t = ours_t = float("inf")
        for _ in range(rounds):  # interleave, so drift hits both sides alike
            base_t = min(base_t, _best_per_op(base, n, 1))
            ours_t = min(ours_t, _best_per_op(ours, n, 1))
        ratio = ours_t / base_t
        verdict = "" if goal is None else ("ok" if ratio <= goal else "OVER GOAL")
        rows.append((label, base_t * 1e6, ours_t * 1e6, ratio, goal, verdict))

    compare(
        "create_task+run+finish vs asyncio.create_task",
        1.5,
        _tasks_bare,
        _tasks_managed_named,
        2_000 * scale,
    )
    compare(  # not one of the goals: background tasks also format a name
        "create_background_task vs asyncio.create_task",
        None,
        _tasks_bare,
        _tasks_managed,
        2_000 * scale,
    )
    compare(
        "atomic_update+set vs RLock+dict (inline)", 2.0, _state_bare, _state_atomic, 20_000 * scale
    )
    compare(  # the goal is against the inline form above; this is the fair shape
        "atomic_update+set vs RLock state class",
        None,
        _state_naive_api,
        _state_atomic,
        20_000 * scale,
    )
    compare(
        "register+dispose handler vs on_click=h/None",
        None,
        _handlers_bare,
        _handlers_managed,
        1_000 * scale,
    )

    print(f"{'benchmark':<50} {'base µs':>8} {'ours µs':>8} {'ratio':>6}  goal")
    for label, base_us, ours_us, ratio, goal, verdict in rows:
        goal_text = "-" if goal is None else f"<={goal}x {verdict}"
        print(f"{label:<50} {base_us:8.2f} {ours_us:8.2f} {ratio:6.2f}  {goal_text}")


if __name__ == "__main__":
    main()
