"""State-machine throughput: rule steps per second of a FletStateMachine on a real page.

Run: ``python benchmarks/bench_statemachine.py``. Each step is an ``async def`` rule that
clicks a button on the in-process page (an event dispatch, a handler, an auto-update patch).
"""

from __future__ import annotations

import asyncio
import time

import flet as ft
from hypothesis import Phase, settings
from hypothesis.stateful import initialize, invariant, rule, run_state_machine_as_test

from pytest_fletsafe import FletStateMachine

STEPS = {"count": 0}


class Counter(FletStateMachine):
    @initialize()
    async def open(self) -> None:
        self.count = ft.Text("0")
        self.button = ft.Button("+", on_click=self.increment)
        self.page.add(self.count, self.button)
        self.clicks = 0

    async def increment(self, e: ft.ControlEvent) -> None:
        await asyncio.sleep(0)
        self.count.value = str(int(self.count.value or 0) + 1)

    @rule()
    async def click(self) -> None:
        await self.client.click(self.button)
        self.clicks += 1
        STEPS["count"] += 1

    @invariant()
    def shows_every_click(self) -> None:
        assert self.count.value == str(self.clicks)


def main() -> None:
    examples = 100
    start = time.perf_counter()
    run_state_machine_as_test(
        Counter,
        settings=settings(
            max_examples=examples,
            stateful_step_count=50,
            deadline=None,
            database=None,
            phases=[Phase.generate],
        ),
    )
    elapsed = time.perf_counter() - start
    steps = STEPS["count"]
    print(f"{examples} examples, {steps} rule steps in {elapsed:.2f} s")
    print(f"{steps / elapsed:,.0f} steps/s ({elapsed / examples * 1000:.1f} ms per example)")


if __name__ == "__main__":
    main()
