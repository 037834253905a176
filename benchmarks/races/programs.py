"""A corpus of asyncio programs with a known race or deadlock, each with a fixed twin.

Modelled on SCTBench (Thomson, Donaldson, Betts): small programs whose bug needs a specific
interleaving. Every ``bug_*`` coroutine function fails (an assertion or a deadlock) under some
schedule; its ``fixed_*`` twin must pass every schedule. All of them pass in asyncio's default
(FIFO) order, which is why running them on the stock loop rarely finds anything.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

Program = Callable[[], Awaitable[None]]


async def _later(*tasks: Awaitable[None]) -> None:
    await asyncio.gather(*tasks)


# 1. Lost update across an await --------------------------------------------------------------


async def _increment(state: dict[str, int], lock: asyncio.Lock | None) -> None:
    if lock is None:
        value = state["n"]
        await asyncio.sleep(0)
        state["n"] = value + 1
        return
    async with lock:
        value = state["n"]
        await asyncio.sleep(0)
        state["n"] = value + 1


async def _lost_update(locked: bool) -> None:
    state = {"n": 0}
    lock = asyncio.Lock() if locked else None
    first = asyncio.create_task(_increment(state, lock))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    await _later(first, asyncio.create_task(_increment(state, lock)))
    assert state["n"] == 2, state


async def bug_lost_update() -> None:
    await _lost_update(locked=False)


async def fixed_lost_update() -> None:
    await _lost_update(locked=True)


# 2. Check-then-act: two handlers both see "not cached" and both fetch ------------------------


async def _check_then_act(locked: bool) -> None:
    cache: dict[str, str] = {}
    fetches = [0]
    lock = asyncio.Lock()

    async def get(key: str) -> str:
        async def fetch() -> str:
            if key not in cache:
                await asyncio.sleep(0)  # the request
                fetches[0] += 1
                cache[key] = key.upper()
            return cache[key]

        if locked:
            async with lock:
                return await fetch()
        return await fetch()

    first = asyncio.create_task(get("ann"))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    await _later(first, asyncio.create_task(get("ann")))
    assert fetches[0] == 1, fetches


async def bug_check_then_act() -> None:
    await _check_then_act(locked=False)


async def fixed_check_then_act() -> None:
    await _check_then_act(locked=True)


# 3. Two-stage publish: a reader sees the first stage of an update without the second ---------


async def _two_stage(atomic: bool) -> None:
    shared = {"name": "Ann", "initial": "A"}

    async def rename() -> None:
        if atomic:
            shared.update(name="Bob", initial="B")
            return
        shared["name"] = "Bob"
        await asyncio.sleep(0)  # the second stage is written after an await
        shared["initial"] = "B"

    async def render() -> None:
        await asyncio.sleep(0)
        assert shared["name"][0] == shared["initial"], shared

    await _later(asyncio.create_task(rename()), asyncio.create_task(render()))


async def bug_two_stage_publish() -> None:
    await _two_stage(atomic=False)


async def fixed_two_stage_publish() -> None:
    await _two_stage(atomic=True)


# 4. A lock taken in the wrong place: each writer locks its own lock -------------------------


async def _wrong_lock(shared_lock: bool) -> None:
    state = {"n": 0}
    common = asyncio.Lock()

    async def writer() -> None:
        lock = common if shared_lock else asyncio.Lock()
        async with lock:
            value = state["n"]
            await asyncio.sleep(0)
            state["n"] = value + 1

    first = asyncio.create_task(writer())
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    await _later(first, asyncio.create_task(writer()))
    assert state["n"] == 2, state


async def bug_wrong_lock() -> None:
    await _wrong_lock(shared_lock=False)


async def fixed_wrong_lock() -> None:
    await _wrong_lock(shared_lock=True)


# 5. Lock-order deadlock (two dining philosophers) -------------------------------------------


async def _philosophers(ordered: bool) -> None:
    left, right = asyncio.Lock(), asyncio.Lock()

    async def eat(first: asyncio.Lock, second: asyncio.Lock) -> None:
        if ordered and id(first) > id(second):
            first, second = second, first
        async with first:
            await asyncio.sleep(0)
            async with second:
                await asyncio.sleep(0)

    one = asyncio.create_task(eat(left, right))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    await _later(one, asyncio.create_task(eat(right, left)))


async def bug_dining_philosophers() -> None:
    await _philosophers(ordered=False)


async def fixed_dining_philosophers() -> None:
    await _philosophers(ordered=True)


# 6. Use before init: a click handler runs before the view finished loading ------------------


async def _use_before_init(waits: bool) -> None:
    view: dict[str, list[str]] = {}
    loaded = asyncio.Event()

    async def load() -> None:
        await asyncio.sleep(0)  # fetch the rows
        view["rows"] = ["Ann", "Bob"]
        loaded.set()

    async def on_click() -> None:
        if waits:
            await loaded.wait()
        assert "rows" in view, "clicked before the view was loaded"

    loader = asyncio.create_task(load())
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    await _later(loader, asyncio.create_task(on_click()))


async def bug_use_before_init() -> None:
    await _use_before_init(waits=False)


async def fixed_use_before_init() -> None:
    await _use_before_init(waits=True)


# 7. Cancellation inside a critical section leaves a counter unbalanced -----------------------


async def _cancel_in_critical(protected: bool) -> None:
    state = {"saving": 0}

    async def save() -> None:
        state["saving"] += 1
        if protected:
            try:
                await asyncio.sleep(0)
            finally:
                state["saving"] -= 1
            return
        await asyncio.sleep(0)
        state["saving"] -= 1

    task = asyncio.create_task(save())
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    task.cancel()  # the view closes: cancel the save
    await asyncio.gather(task, return_exceptions=True)
    assert state["saving"] == 0, state


async def bug_cancel_in_critical_section() -> None:
    await _cancel_in_critical(protected=False)


async def fixed_cancel_in_critical_section() -> None:
    await _cancel_in_critical(protected=True)


# 8. Bank transfer: an auditor sees money in flight -------------------------------------------


async def _bank(locked: bool) -> None:
    accounts = {"a": 100, "b": 0}
    lock = asyncio.Lock()

    async def transfer() -> None:
        async def move() -> None:
            accounts["a"] -= 50
            await asyncio.sleep(0)  # the second leg
            accounts["b"] += 50

        if locked:
            async with lock:
                await move()
        else:
            await move()

    async def audit() -> None:
        await asyncio.sleep(0)
        if locked:
            async with lock:
                assert sum(accounts.values()) == 100, accounts
        else:
            assert sum(accounts.values()) == 100, accounts

    await _later(asyncio.create_task(transfer()), asyncio.create_task(audit()))


async def bug_bank_transfer() -> None:
    await _bank(locked=False)


async def fixed_bank_transfer() -> None:
    await _bank(locked=True)


# 9. Reorder with N tasks: a checker sees a pair half-written by one of three setters ----------


async def _reorder(n: int, atomic: bool) -> None:
    pair = {"a": 0, "b": 0}

    async def setter(value: int) -> None:
        await asyncio.sleep(0)
        if atomic:
            pair.update(a=value, b=-value)
            return
        pair["a"] = value
        await asyncio.sleep(0)
        pair["b"] = -value

    async def checker() -> None:
        for _ in range(n):
            await asyncio.sleep(0)
        assert pair["a"] + pair["b"] == 0, pair

    setters = [asyncio.create_task(setter(i + 1)) for i in range(n)]
    await _later(asyncio.create_task(checker()), *setters)


async def bug_reorder_3() -> None:
    await _reorder(3, atomic=False)


async def fixed_reorder_3() -> None:
    await _reorder(3, atomic=True)


# 10. A debounced autosave that fires after the view was disposed ----------------------------


async def _debounce(cancels: bool) -> None:
    loop = asyncio.get_running_loop()
    view = {"disposed": False, "saved_after_dispose": False}

    def autosave() -> None:
        if view["disposed"]:
            view["saved_after_dispose"] = True

    handle = loop.call_later(0.005, autosave)  # debounce the last keystroke

    def dispose() -> None:
        view["disposed"] = True
        if cancels:
            handle.cancel()

    loop.call_later(0.005, dispose)  # the user closes the view at the same instant
    await asyncio.sleep(0.01)
    assert not view["saved_after_dispose"], "autosave ran after dispose"


async def bug_debounce_after_dispose() -> None:
    await _debounce(cancels=False)


async def fixed_debounce_after_dispose() -> None:
    await _debounce(cancels=True)


# 11. Double dispose: close button and window close both dispose the view ---------------------


async def _double_dispose(guarded: bool) -> None:
    resource = {"open": True, "closes": 0}
    disposing = [False]

    async def dispose() -> None:
        if guarded:
            if disposing[0]:
                return
            disposing[0] = True
        if resource["open"]:
            await asyncio.sleep(0)  # flush before closing
            resource["closes"] += 1
            resource["open"] = False

    first = asyncio.create_task(dispose())
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    await _later(first, asyncio.create_task(dispose()))
    assert resource["closes"] == 1, resource


async def bug_double_dispose() -> None:
    await _double_dispose(guarded=False)


async def fixed_double_dispose() -> None:
    await _double_dispose(guarded=True)


# 12. A pubsub handler race: two messages rendered out of order ------------------------------


async def _pubsub(in_order: bool) -> None:
    shown: list[int] = []

    def reserve() -> int:
        """Done by the publisher, in send order: the row's place is fixed on arrival."""
        shown.append(0)
        return len(shown) - 1

    async def on_message(number: int, slot: int | None) -> None:
        await asyncio.sleep(0)  # format the row
        if slot is None:
            shown.append(number)
        else:
            shown[slot] = number

    first = asyncio.create_task(on_message(1, reserve() if in_order else None))
    await asyncio.sleep(0)
    await _later(first, asyncio.create_task(on_message(2, reserve() if in_order else None)))
    assert shown == [1, 2], shown


async def bug_pubsub_handler_race() -> None:
    await _pubsub(in_order=False)


async def fixed_pubsub_handler_race() -> None:
    await _pubsub(in_order=True)


#: name -> (buggy program, fixed twin)
CORPUS: dict[str, tuple[Program, Program]] = {
    name[len("bug_") :]: (program, globals()["fixed_" + name[len("bug_") :]])
    for name, program in list(globals().items())
    if name.startswith("bug_")
}
