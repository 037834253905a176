"""A two-minute tour of what fletsafe catches, on plain asyncio (no window needed).

Run: ``python examples/runtime_demo.py``

1. A view starts background work and is closed: without a dispose the work keeps running;
   ``Lifetime.aclose()`` stops it and *waits* until it has.
2. A task that swallows cancellation is reported as stuck, with the line that started it.
3. Two handlers do read-modify-write across an ``await``: a plain dict loses updates,
   ``AtomicState.atomic_update`` does not.
"""

from __future__ import annotations

import asyncio
import warnings

from fletsafe import AtomicState, Lifetime, StuckTaskWarning


async def refresh_contacts(ticks: list[int]) -> None:
    while True:  # a typical "refresh every few seconds" loop
        ticks.append(1)
        await asyncio.sleep(0.001)


async def autosave_that_ignores_cancel() -> None:
    try:  # noqa: SIM105 -- the bug, on purpose: cancellation is swallowed
        await asyncio.sleep(3600)
    except asyncio.CancelledError:
        pass
    await asyncio.sleep(3600)


async def demo_dispose() -> None:
    print("1. A view's background refresh, disposed with a Lifetime")
    ticks: list[int] = []
    lifetime = Lifetime("contacts-view")
    lifetime.tasks.create_task("refresh", refresh_contacts(ticks))
    await asyncio.sleep(0.01)
    print(f"   running: {[t.name for t in lifetime.tasks.active_tasks()]}")
    report = await lifetime.aclose()
    before = len(ticks)
    await asyncio.sleep(0.01)
    print(
        f"   after aclose(): cancelled={report.tasks.cancelled}, still running="
        f"{[t.name for t in lifetime.tasks.active_tasks()]}, ticks since={len(ticks) - before}"
    )


async def demo_stuck() -> None:
    print("2. A task that swallows CancelledError")
    lifetime = Lifetime("settings-view")
    task = lifetime.tasks.create_task("autosave", autosave_that_ignores_cancel())
    await asyncio.sleep(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StuckTaskWarning)
        report = await lifetime.aclose(timeout=0.05)
    for stuck in report.tasks.stuck:
        print(f"   STUCK: task {stuck.name!r} created at {stuck.site}")
    task.cancel()  # the second cancellation gets through
    await asyncio.gather(task, return_exceptions=True)


async def demo_lost_update() -> None:
    print("3. 200 clicks incrementing a counter across an await")
    plain: dict[str, int] = {"count": 0}

    async def unsafe_click() -> None:
        value = plain["count"]
        await asyncio.sleep(0)  # e.g. saving to a backend
        plain["count"] = value + 1

    state = AtomicState({"count": 0})

    async def safe_click() -> None:
        async with state.atomic_update("count"):
            value = state.get("count")
            await asyncio.sleep(0)
            state.set("count", value + 1)

    await asyncio.gather(*(unsafe_click() for _ in range(200)))
    await asyncio.gather(*(safe_click() for _ in range(200)))
    print(f"   plain dict: {plain['count']} / 200   AtomicState: {state.get('count')} / 200")


async def main() -> None:
    await demo_dispose()
    await demo_stuck()
    await demo_lost_update()


if __name__ == "__main__":
    asyncio.run(main())
