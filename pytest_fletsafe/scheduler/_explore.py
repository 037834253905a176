"""Fast exploration: many seeded schedules per second, then shrink and replay the failure.

Hypothesis runs only hundreds of examples per second; a schedule on a fresh
:class:`ControlledLoop` costs tens of microseconds. So, as Shuttle and Coyote do, schedules
are drawn from a seeded PRNG (random walk or PCT) without an example each; the first failure
is shrunk over its decisions — greedily dropping or lowering one deviation at a time, then
searching outright for schedules with fewer deviations within a replay budget — and every
candidate is checked by exact replay. A failure must keep its exception type while
shrinking, so it does not slide into a different bug.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import Any

from fletsafe._accessors import _use_defaults

from ._choosers import PCTChooser, RandomChooser, RecordingChooser, ReplayChooser
from ._loop import ControlledLoop, Step, UncontrolledError, describe_wait

__all__ = [
    "STRATEGIES",
    "Failure",
    "LeftoverTasks",
    "RunOptions",
    "check_leftovers",
    "close_loop",
    "explore",
    "replay",
    "run_schedule",
    "shrink",
]

STRATEGIES = ("both", "random", "pct")

Program = Callable[[], Coroutine[Any, Any, Any]]


@dataclass(frozen=True)
class Failure:
    """A failing schedule: its decisions, the error, and how it was found."""

    decisions: tuple[int, ...]
    error: BaseException
    schedules: int
    """Schedules explored until this failure was found."""

    @property
    def deviations(self) -> int:
        return sum(1 for d in self.decisions if d)


@dataclass(frozen=True)
class RunOptions:
    """How each schedule runs, beyond its decisions."""

    leftovers_grace: float | None = None
    """Tasks still pending this long (virtual seconds) after the program fail the run."""
    jitter: float = 0.0
    """Timers may fire up to this many (virtual) seconds late, as a decision."""


DEFAULT_OPTIONS = RunOptions()


class LeftoverTasks(AssertionError):
    """Tasks the program started were still pending when it finished (a leak, per schedule)."""


def run_schedule(
    program: Program,
    chooser: RecordingChooser,
    trace: list[Step] | None = None,
    options: RunOptions = DEFAULT_OPTIONS,
) -> BaseException | None:
    """Run ``program`` once under ``chooser`` on a fresh loop; its exception, if any.

    With ``trace`` (a list), the steps of the run are appended to it. With
    ``options.leftovers_grace``, tasks still pending that many (virtual) seconds after the
    program finished fail the run: leak checks apply at the end of every schedule.
    """
    loop = ControlledLoop(chooser, trace=trace is not None, jitter=options.jitter)
    try:
        # Fresh accessor defaults: app code calling get_task_manager() & co. gets objects made
        # on this schedule's loop, never one bound to an earlier schedule's (closed) loop.
        with _no_threads_from(threading.get_ident()), _use_defaults():
            body = loop.create_task(program(), name="test body")
            loop.run_until_complete(body)
            if loop.callback_errors:
                raise loop.callback_errors[0]
            if options.leftovers_grace is not None:
                check_leftovers(loop, options.leftovers_grace, "when the test body finished")
    except Exception as exc:
        return exc
    finally:
        if trace is not None and loop.trace is not None:
            trace.extend(loop.trace)
        close_loop(loop)
    return None


@contextlib.contextmanager
def _no_threads_from(loop_thread: int) -> Iterator[None]:
    """A thread started by the code under test would run outside the schedule: refuse it.

    Only on the loop's own thread, so threads other tools start meanwhile (pytest-timeout,
    xdist) are unaffected.
    """
    original = threading.Thread.start

    def start(thread: threading.Thread) -> None:
        if threading.get_ident() == loop_thread:
            raise UncontrolledError(
                f"thread {thread.name!r} started under the interleaving scheduler: it would "
                "run outside the explored schedule; use run_in_executor/asyncio.to_thread "
                "(run at a controlled point) or a fake"
            )
        original(thread)

    threading.Thread.start = start  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        threading.Thread.start = original  # type: ignore[method-assign]


def check_leftovers(loop: ControlledLoop, grace: float, when: str) -> None:
    """Raise :class:`LeftoverTasks` for tasks still pending after ``grace`` (virtual) seconds.

    Flet's own session scheduler is not a leftover: the page's owner closes it afterwards.
    """
    from ..detectors.tasks import is_flets_own

    left = [t for t in asyncio.all_tasks(loop) if not t.done() and not is_flets_own(t)]
    if left:
        loop.run_until_complete(asyncio.wait(left, timeout=grace))  # virtual: free
        left = [t for t in left if not t.done()]
    if left:
        raise LeftoverTasks(
            f"tasks still pending {when}:\n  " + "\n  ".join(describe_wait(t) for t in left)
        )


def close_loop(loop: ControlledLoop) -> None:
    """Cancel whatever still runs on ``loop``, let it finish, and close the loop."""
    leftovers = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in leftovers:
        task.cancel()
    if leftovers:
        # A task refusing to die deadlocks its own cleanup: give up on it.
        with contextlib.suppress(Exception):
            loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
    loop.close()


def _trim(decisions: list[int]) -> tuple[int, ...]:
    while decisions and decisions[-1] == 0:
        decisions.pop()
    return tuple(decisions)


def explore(
    program: Program,
    *,
    schedules: int = 500,
    seed: int = 0,
    strategy: str = "both",
    depth: int = 3,
    options: RunOptions = DEFAULT_OPTIONS,
) -> Failure | None:
    """Run up to ``schedules`` schedules; the first failure (unshrunk), or None.

    ``both`` alternates random walk and PCT: measured on the race corpus, each finds some
    bugs far sooner than the other (random: reorder; PCT: lock-order deadlocks).
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")
    for index in range(schedules):
        use_pct = strategy == "pct" or (strategy == "both" and index % 2 == 1)
        chooser: RecordingChooser = (
            PCTChooser(seed + index, depth) if use_pct else RandomChooser(seed + index)
        )
        error = run_schedule(program, chooser, options=options)
        if error is not None:
            return Failure(_trim(chooser.decisions), error, index + 1)
    return None


def replay(
    program: Program,
    decisions: tuple[int, ...],
    trace: list[Step] | None = None,
    options: RunOptions = DEFAULT_OPTIONS,
) -> tuple[BaseException | None, bool]:
    """Run exactly ``decisions``; the error and whether the run diverged from them."""
    chooser = ReplayChooser(list(decisions))
    return run_schedule(program, chooser, trace, options), chooser.diverged


def shrink(
    program: Program,
    failure: Failure,
    *,
    budget: int = 2000,
    options: RunOptions = DEFAULT_OPTIONS,
) -> Failure:
    """Fewest deviations (then smallest ones) that still fail the same way."""
    kind = type(failure.error)
    best = list(failure.decisions)
    best_error = failure.error
    tries = 0

    def fails(candidate: list[int]) -> BaseException | None:
        nonlocal tries
        tries += 1
        error, diverged = replay(program, tuple(candidate), options=options)
        return error if isinstance(error, kind) and not diverged else None

    improved = True
    while improved and tries < budget:  # 1. greedy: drop or lower one deviation at a time
        improved = False
        for i in reversed(range(len(best))):  # drop deviations, latest first
            if best[i] == 0:
                continue
            for value in (0, 1) if best[i] > 1 else (0,):
                candidate = [*best[:i], value, *best[i + 1 :]]
                error = fails(candidate)
                if error is not None:
                    best, best_error, improved = candidate, error, True
                    break
    # 2. Greedy can stall where no single deviation can go but a different, smaller set
    # fails: search schedules with fewer deviations outright, within the remaining budget.
    current = sum(1 for d in best if d)
    positions = range(len(best) + 2)
    for count in range(1, current):
        for chosen in itertools.combinations(positions, count):
            for values in itertools.product((1, 2), repeat=count):
                if tries >= budget:
                    return Failure(_trim(best), best_error, failure.schedules)
                candidate = [0] * (max(chosen) + 1)
                for position, value in zip(chosen, values, strict=True):
                    candidate[position] = value
                error = fails(candidate)
                if error is not None:
                    return Failure(_trim(candidate), error, failure.schedules)
    return Failure(_trim(best), best_error, failure.schedules)
