"""Hypothesis-driven mode: what running a schedule adds to hypothesis's own per-example cost.

Run: ``python benchmarks/bench_hypothesis_mode.py``. Both tests draw the same plan from
``schedules()``; one also runs a 3-task x 10-await program under it. Goal
(interleaving-fuzzer issue): the scheduler adds <= 25 %.
"""

from __future__ import annotations

import asyncio
import time

from hypothesis import HealthCheck, Phase, given, settings

from pytest_fletsafe import schedules
from pytest_fletsafe.scheduler._hypothesis import Schedule

EXAMPLES = 1000
SETTINGS = settings(
    max_examples=EXAMPLES,
    database=None,
    deadline=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)


async def program() -> None:
    async def worker() -> None:
        for _ in range(10):
            await asyncio.sleep(0)

    await asyncio.gather(worker(), worker(), worker())


@SETTINGS
@given(schedule=schedules())
def draw_only(schedule: Schedule) -> None:
    pass


@SETTINGS
@given(schedule=schedules())
def draw_and_run(schedule: Schedule) -> None:
    schedule.run(program)


def _best(test: object, rounds: int = 5) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        test()  # type: ignore[operator]
        best = min(best, (time.perf_counter() - start) / EXAMPLES)
    return best


def main() -> None:
    base = _best(draw_only)
    ours = _best(draw_and_run)
    print(f"hypothesis alone (same draws)   {base * 1e6:7.1f} us/example")
    print(f"plus the schedule run           {ours * 1e6:7.1f} us/example")
    print(f"added by the scheduler          {(ours / base - 1) * 100:6.1f} %  (goal <= 25 %)")


if __name__ == "__main__":
    main()
