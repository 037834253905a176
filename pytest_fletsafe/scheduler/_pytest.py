"""Running an ``@pytest.mark.interleavings`` test: explore, shrink, replay, report.

The test body runs once per schedule on a fresh controlled loop, with the fixture values
pytest prepared (fixtures run once per test, so state the body creates is per schedule;
state held in fixtures is shared — see the how-to). The first failing schedule is shrunk to
its fewest deviations, replayed with a trace, and reported as readable steps with a token
that pins it.
"""

from __future__ import annotations

import asyncio
import functools
import os
from collections.abc import Callable, Coroutine
from typing import Any

from .._options import REPLAY_PREFIX, InterleavingSettings
from ._explore import Failure, RunOptions, explore, replay, shrink
from ._loop import Step

__all__ = ["InterleavingFailure", "run_marked_test", "worker_seed"]

_MAX_STEPS_SHOWN = 80


class InterleavingFailure(AssertionError):
    """A schedule of the test's tasks fails: shrunk, readable, replayable."""


class NondeterminismError(AssertionError):
    """A schedule did not replay identically: something outside the scheduler's control
    (a thread, real time, global state) decided the outcome."""


def worker_seed(seed: int, examples: int) -> int:
    """Distinct seeds per pytest-xdist worker, so a campaign splits instead of repeating."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker[2:]) if worker[2:].isdigit() else 0
    return seed + index * examples


def token(decisions: tuple[int, ...]) -> str:
    return REPLAY_PREFIX + ".".join(map(str, decisions))


#: Fixtures rebuilt for every schedule, on that schedule's controlled loop.
PER_SCHEDULE = frozenset(
    {"flet_page", "flet_client", "task_manager", "memory_manager", "atomic_state", "lifetime"}
)


def _per_schedule(
    function: Callable[..., Coroutine[Any, Any, Any]], funcargs: dict[str, Any]
) -> Callable[[], Coroutine[Any, Any, Any]]:
    """The test body with fresh fletsafe fixtures per schedule.

    A page, a task manager or a state shared by schedules would carry one schedule's leftovers
    into the next (and be bound to another loop), so each schedule gets its own, built on the
    running controlled loop. Flet's ``run_task``, ``run_thread`` and pubsub then go through
    that loop and are controlled too.
    """
    ours = PER_SCHEDULE.intersection(funcargs)
    if not ours:  # the test itself is the program: its steps point into the test
        return functools.partial(function, **funcargs)

    async def body() -> None:
        import fletsafe
        from fletsafe._accessors import _use_defaults

        loop = asyncio.get_running_loop()
        args = dict(funcargs)
        client = None
        if {"flet_page", "flet_client"} & ours:
            from .._client import FletClient

            client = FletClient(loop)
            args.update(flet_page=client.page, flet_client=client)
        fresh: dict[str, Callable[[], Any]] = {
            "task_manager": lambda: fletsafe.TaskManager(loop, name="task_manager"),
            "memory_manager": lambda: fletsafe.MemoryManager(name="memory_manager"),
            "atomic_state": lambda: fletsafe.AtomicState(name="atomic_state"),
            "lifetime": lambda: fletsafe.Lifetime("lifetime", loop=loop),
        }
        for name in ours - {"flet_page", "flet_client"}:
            args[name] = fresh[name]()
        # get_task_manager() & co. in the app return this schedule's objects.
        defaults = _use_defaults(
            args.get("task_manager"), args.get("memory_manager"), args.get("atomic_state")
        )
        try:
            with defaults:
                await function(**{k: v for k, v in args.items() if k in funcargs})
        finally:
            if client is not None:
                await client._close()
                client.shutdown()

    return body


def run_marked_test(
    function: Callable[..., Coroutine[Any, Any, Any]],
    funcargs: dict[str, Any],
    settings: InterleavingSettings,
    leftovers_grace: float | None = None,
) -> None:
    """Explore ``function``'s schedules; with ``leftovers_grace``, leftover tasks fail too."""
    program = _per_schedule(function, funcargs)
    options = RunOptions(leftovers_grace=leftovers_grace, jitter=settings.jitter)
    if settings.replay is not None:
        _check_replay(program, settings.replay, options)
        return
    seed = worker_seed(settings.seed, settings.examples)
    found = explore(
        program,
        schedules=settings.examples,
        seed=seed,
        strategy=settings.strategy,
        depth=settings.depth,
        options=options,
    )
    if found is None:
        return
    shrunk = shrink(program, found, options=options)
    trace: list[Step] = []
    error, diverged = replay(program, shrunk.decisions, trace, options)
    if error is None or diverged:
        raise NondeterminismError(
            f"schedule {token(shrunk.decisions)} failed once with {found.error!r} but does "
            "not replay identically: the outcome depends on something the scheduler does not "
            "control (threads, real time, I/O, state shared between schedules)"
        ) from found.error
    raise InterleavingFailure(_report(shrunk, found, settings, seed, trace)) from error


def _check_replay(
    program: Callable[[], Any], decisions: tuple[int, ...], options: RunOptions
) -> None:
    trace: list[Step] = []
    error, diverged = replay(program, decisions, trace, options)
    if diverged:
        raise NondeterminismError(
            f"replaying {token(decisions)} took another path than the recorded schedule: "
            "the test or the code under test changed, or it is nondeterministic"
        )
    if error is not None:
        failure = Failure(decisions, error, 0)
        raise InterleavingFailure(_report(failure, failure, None, None, trace)) from error


def _report(
    shrunk: Failure,
    found: Failure,
    settings: InterleavingSettings | None,
    seed: int | None,
    trace: list[Step],
) -> str:
    if settings is None:
        head = f"replayed schedule {token(shrunk.decisions)} fails"
    else:
        head = (
            f"a schedule fails: found after {found.schedules} schedule(s) "
            f"(strategy {settings.strategy!r}, seed {seed}), shrunk from {found.deviations} "
            f"to {shrunk.deviations} deviation(s) from the default order"
        )
    lines = [head, "", "steps of the tasks (» marks a deviation):"]
    # asyncio's own callbacks (gather, run_until_complete) are noise unless they deviated.
    shown = [s for s in trace if s.actor.startswith("task ") or s.deviation]
    for number, step in enumerate(shown[:_MAX_STEPS_SHOWN], start=1):
        verb = "" if not step.site else (" " if step.site.startswith("start") else " at ")
        where = f"{verb}{step.site}" if step.site else ""
        action = "ran" if step.site.startswith("start") else "resumed"
        if step.deviation:
            lines.append(f" »{number:3}. {step.actor} {action}{where}, ahead of {step.deviation}")
        else:
            lines.append(f"  {number:3}. {step.actor} {action}{where}")
    if len(shown) > _MAX_STEPS_SHOWN:
        lines.append(f"  ... {len(shown) - _MAX_STEPS_SHOWN} more")
    lines += [
        "",
        f"error: {shrunk.error!r}",
        "",
        "replay exactly with:",
        f'    @pytest.mark.interleavings(replay="{token(shrunk.decisions)}")',
    ]
    return "\n".join(lines)
