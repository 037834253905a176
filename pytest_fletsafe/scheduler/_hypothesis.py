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

__all__ = ["Schedule", "schedules"]


class _PlanChooser(RecordingChooser):
    def __init__(self, plan: list[tuple[bool, int]]) -> None:
        super().__init__()
        self._plan = plan

    def _decide(self, count: int) -> int:
        index = len(self.decisions)
        if index >= len(self._plan):
            return 0
        deviate, which = self._plan[index]
        return 1 + (which - 1) % (count - 1) if deviate else 0


class Schedule:
    """One schedule: ``run(program)`` runs ``program`` under it on a fresh controlled loop."""

    def __init__(self, plan: list[tuple[bool, int]]) -> None:
        self.plan = plan
        self.decisions: list[int] = []

    def run(self, program: Callable[[], Coroutine[Any, Any, Any]]) -> None:
        """Run ``program`` under this schedule; re-raise its error."""
        chooser = _PlanChooser(self.plan)
        error = run_schedule(program, chooser)
        self.decisions = chooser.decisions
        if error is not None:
            raise error

    def __repr__(self) -> str:
        deviations = sum(1 for d in self.decisions if d)
        return f"Schedule(decisions={self.decisions}, deviations={deviations})"


def schedules(max_choice_points: int = 64) -> st.SearchStrategy[Schedule]:
    """A strategy of schedules: ``schedule.run(program)`` runs ``program`` under one of them.

    Choice points past ``max_choice_points`` take the default order.

    ::

        @given(schedule=schedules())
        def test_save_twice(schedule):
            schedule.run(save_twice)
    """
    step = st.tuples(st.booleans(), st.integers(1, 8))
    return st.lists(step, max_size=max_choice_points).map(Schedule)
