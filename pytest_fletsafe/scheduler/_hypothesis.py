"""The hypothesis seam: ``schedules()``, a strategy of interleavings.

The only module of the scheduler that imports hypothesis. A schedule is a *plan*: a list
of (deviate?, which) pairs applied at successive choice points, "deviate?" first and
"which other callback" second. Hypothesis shrinks lists to be shorter, booleans towards
False and integers towards small, so a failure shrinks towards the fewest deviations from
the default order (a flat "index into the ready queue" draw shrank a 3-task lost update to
6-7 deviations; this encoding to its minimum). The example database and
``@reproduce_failure`` work as for any other strategy.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from hypothesis import strategies as st

from ._choosers import RecordingChooser
from ._explore import run_schedule

__all__ = ["PlanChooser", "Schedule", "plans", "schedules"]


class PlanChooser(RecordingChooser):
    """Follows a plan of (deviate?, which) pairs; past its end, the default order."""

    def __init__(self, plan: list[tuple[bool, int]] | None = None) -> None:
        super().__init__()
        self.follow(plan or [])

    def follow(self, plan: list[tuple[bool, int]]) -> None:
        """Apply ``plan`` from the next choice point on (a state machine's next step)."""
        self._plan = plan
        self._start = len(self.decisions)

    def _decide(self, count: int) -> int:
        index = len(self.decisions) - self._start
        if index >= len(self._plan):
            return 0
        deviate, which = self._plan[index]
        return 1 + (which - 1) % (count - 1) if deviate else 0


def plans(max_choice_points: int = 64) -> st.SearchStrategy[list[tuple[bool, int]]]:
    """Plans for :class:`PlanChooser`, shrinking towards fewer deviations."""
    return st.lists(st.tuples(st.booleans(), st.integers(1, 8)), max_size=max_choice_points)


class _DrawnPCTChooser(RecordingChooser):
    """PCT with drawn parameters instead of a seed, so hypothesis can shrink them.

    Priorities are integers per ready-queue position; ties keep the default order, so
    shrinking them towards equal (0) shrinks towards fewer deviations. At each change point
    the callback about to run is demoted below every other.
    """

    def __init__(self, priorities: list[int], change_points: list[int]) -> None:
        super().__init__()
        self._priorities = list(priorities)
        self._changes = set(change_points)

    def _decide(self, count: int) -> int:
        step = len(self.decisions)
        while len(self._priorities) < count:
            self._priorities.append(0)
        if step in self._changes:
            self._priorities[0] = min(self._priorities) - 1
        best = 0
        for index in range(1, count):
            if self._priorities[index] > self._priorities[best]:
                best = index
        return best


class Schedule:
    """One schedule: ``run(program)`` runs ``program`` under it on a fresh controlled loop."""

    def __init__(
        self,
        plan: list[tuple[bool, int]] | None = None,
        pct: tuple[list[int], list[int]] | None = None,
    ) -> None:
        self.plan = plan or []
        self.pct = pct
        self.decisions: list[int] = []

    def run(self, program: Callable[[], Coroutine[Any, Any, Any]]) -> None:
        """Run ``program`` under this schedule; re-raise its error."""
        chooser: RecordingChooser = (
            _DrawnPCTChooser(*self.pct) if self.pct is not None else PlanChooser(self.plan)
        )
        error = run_schedule(program, chooser)
        self.decisions = chooser.decisions
        if error is not None:
            raise error

    def __repr__(self) -> str:
        drawn = f"pct={self.pct!r}" if self.pct is not None else f"plan={self.plan!r}"
        deviations = sum(1 for d in self.decisions if d)
        return f"Schedule({drawn}, decisions={self.decisions}, deviations={deviations})"


def schedules(
    strategy: str = "random", depth: int = 3, max_choice_points: int = 64
) -> st.SearchStrategy[Schedule]:
    """A strategy of schedules: ``schedule.run(program)`` runs ``program`` under one of them.

    ``strategy="random"``: a random walk, drawn as a plan of (deviate?, which) pairs; choice
    points past ``max_choice_points`` take the default order. ``strategy="pct"``: PCT with
    ``depth - 1`` drawn priority-change points and drawn priorities.

    ::

        @given(schedule=schedules())
        def test_save_twice(schedule):
            schedule.run(save_twice)
    """
    if strategy == "pct":
        if depth < 1:
            raise ValueError(f"depth must be >= 1, got {depth}")
        priorities = st.lists(st.integers(0, 16), max_size=16)
        changes = st.lists(
            st.integers(0, max_choice_points - 1), min_size=depth - 1, max_size=depth - 1
        )
        return st.tuples(priorities, changes).map(lambda drawn: Schedule(pct=drawn))
    if strategy != "random":
        raise ValueError(f"strategy must be 'random' or 'pct', got {strategy!r}")
    return plans(max_choice_points).map(lambda plan: Schedule(plan=plan))
