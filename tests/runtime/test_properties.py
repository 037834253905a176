"""Property tests for the runtime's concurrency guarantees.

Each property runs real threads; a deadlock must fail the example (bounded joins), never
hang the suite.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import flet as ft
from _deadline import run_threads
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from fletsafe import AtomicState, MemoryManager

_THREAD_SETTINGS = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@_THREAD_SETTINGS
@given(threads=st.integers(2, 6), increments=st.integers(1, 60))
def test_threads_incrementing_under_atomic_update_lose_nothing(
    threads: int, increments: int
) -> None:
    state = AtomicState({"n": 0})

    def worker() -> None:
        for _ in range(increments):
            with state.atomic_update("n"):
                value = state.get("n")
                time.sleep(0)  # yield the GIL inside the window a missing lock would expose
                state.set("n", value + 1)

    run_threads([worker] * threads)
    assert state.get("n") == threads * increments
    assert state.held_locks() == []


@_THREAD_SETTINGS
@given(
    orders=st.lists(
        st.permutations(["a", "b", "c", "d"]).map(lambda p: p[:3]), min_size=2, max_size=6
    ),
    rounds=st.integers(1, 40),
)
def test_multi_key_updates_in_any_key_order_all_finish(
    orders: list[list[str]], rounds: int
) -> None:
    state = AtomicState(dict.fromkeys("abcd", 0))

    def worker(keys: list[str]) -> None:
        for _ in range(rounds):
            with state.atomic_multi_update(*keys):
                for key in keys:
                    value = state.get(key)
                    time.sleep(0)
                    state.set(key, value + 1)

    run_threads([lambda keys=keys: worker(keys) for keys in orders])
    expected = {k: rounds * sum(k in keys for keys in orders) for k in "abcd"}
    assert state.snapshot() == expected


@settings(max_examples=30, deadline=None)
@given(tasks=st.integers(2, 8), yields=st.lists(st.integers(0, 3), min_size=1, max_size=8))
def test_tasks_incrementing_across_awaits_lose_nothing(tasks: int, yields: list[int]) -> None:
    state = AtomicState({"n": 0})

    async def worker() -> None:
        for pause in yields:
            async with state.atomic_update("n"):
                value = state.get("n")
                for _ in range(pause):
                    await asyncio.sleep(0)
                state.set("n", value + 1)

    async def main() -> None:
        await asyncio.gather(*(worker() for _ in range(tasks)))

    asyncio.run(main())
    assert state.get("n") == tasks * len(yields)


_EVENTS = ("on_click", "on_hover", "on_focus")


class HandlerRegistry(RuleBasedStateMachine):
    """Random register/unregister/cleanup/dispose sequences keep the registry truthful.

    The model is the set of live registrations and, per control field, the handler that
    should be attached. Every registration gets its own handler object, so a detach that
    clobbers a newer handler on the same field is caught.
    """

    registrations = Bundle("registrations")

    def __init__(self) -> None:
        super().__init__()
        self.manager = MemoryManager()
        self.controls = [ft.Button(str(i)) for i in range(3)]
        self.live: dict[str, tuple[int, str, Any]] = {}
        self.fields: dict[tuple[int, str], Any] = {}

    def _forget(self, handler_ids: list[str]) -> None:
        for handler_id in handler_ids:
            index, event, handler = self.live.pop(handler_id)
            if self.fields.get((index, event)) is handler:
                self.fields[(index, event)] = None

    @rule(target=registrations, index=st.integers(0, 2), event=st.sampled_from(_EVENTS))
    def register(self, index: int, event: str) -> str:
        def handler(_event: object) -> None:
            pass

        handler_id = self.manager.register_event_handler(
            f"c{index}", event, handler, control=self.controls[index]
        )
        self.live[handler_id] = (index, event, handler)
        self.fields[(index, event)] = handler
        return handler_id

    @rule(handler_id=registrations)
    def unregister(self, handler_id: str) -> None:
        assert self.manager.unregister_event_handler(handler_id) == (handler_id in self.live)
        if handler_id in self.live:
            self._forget([handler_id])

    @rule(index=st.integers(0, 2))
    def cleanup_control(self, index: int) -> None:
        mine = [k for k, (i, _e, _h) in self.live.items() if i == index]
        assert self.manager.cleanup_control_handlers(f"c{index}") == len(mine)
        self._forget(mine)

    @rule()
    def dispose(self) -> None:
        assert self.manager.dispose().event == len(self.live)
        self._forget(list(self.live))

    @invariant()
    def registry_matches_the_controls(self) -> None:
        assert {h.id for h in self.manager.active_handlers()} == set(self.live)
        for index, control in enumerate(self.controls):
            for event in _EVENTS:
                assert getattr(control, event) is self.fields.get((index, event))


TestHandlerRegistry = HandlerRegistry.TestCase
TestHandlerRegistry.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
