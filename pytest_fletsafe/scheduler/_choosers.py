"""Choosers: where the decisions of a controlled run come from, and how they are recorded.

The encoding decides how well failures shrink. At a choice point among ``n`` ready
callbacks the run *records* one integer: 0 for the default (FIFO, non-preemptive) order,
``k >= 1`` for "run the k-th other one instead". A failing schedule is then a list of
mostly zeros, and shrinking towards zeros means shrinking towards fewer deviations from
the order a plain event loop would take — the measure users can read ("task B ran before
task A finished its update": one deviation).

* :class:`RandomChooser` — deviate with probability ``p``, then pick uniformly.
* :class:`PCTChooser` — probabilistic concurrency testing (Burckhardt et al. 2010): random
  priorities per callback slot and ``depth - 1`` priority-change points.
* :class:`ReplayChooser` — replays a recorded decision list; beyond its end it takes the
  default, and it notices when a run does not match the recording.
"""

from __future__ import annotations

import random

__all__ = ["PCTChooser", "RandomChooser", "RecordingChooser", "ReplayChooser"]


class RecordingChooser:
    """Base: records every decision as the integer described in the module docstring."""

    def __init__(self) -> None:
        self.decisions: list[int] = []
        self.widths: list[int] = []

    def choose(self, count: int) -> int:
        decision = self._decide(count)
        self.decisions.append(decision)
        self.widths.append(count)
        return decision

    def _decide(self, count: int) -> int:
        return 0

    @property
    def deviations(self) -> int:
        return sum(1 for d in self.decisions if d)


class RandomChooser(RecordingChooser):
    def __init__(self, seed: int, p: float = 0.2) -> None:
        super().__init__()
        self._random = random.Random(seed)
        self._p = p

    def _decide(self, count: int) -> int:
        if self._random.random() >= self._p:
            return 0
        return self._random.randrange(1, count)


class PCTChooser(RecordingChooser):
    """Priorities over *positions* in the ready queue, changed at ``depth - 1`` random steps.

    Bounded by ``max_steps`` (the expected length of a run) to place change points.
    """

    def __init__(self, seed: int, depth: int = 3, max_steps: int = 200) -> None:
        super().__init__()
        self._random = random.Random(seed)
        self._step = 0
        self._change_points = set(self._random.sample(range(max_steps), max(depth - 1, 0)))
        self._priorities: list[float] = []

    def _decide(self, count: int) -> int:
        self._step += 1
        while len(self._priorities) < count:
            self._priorities.append(self._random.random())
        if self._step in self._change_points:
            self._priorities[0] = -1.0  # demote whoever would run next
        best = max(range(count), key=self._priorities.__getitem__)
        if best == 0:
            self._priorities[0] = self._random.random()
        return best


class ReplayChooser(RecordingChooser):
    def __init__(self, decisions: list[int]) -> None:
        super().__init__()
        self._script = list(decisions)
        self.diverged = False

    def _decide(self, count: int) -> int:
        index = len(self.decisions)
        if index >= len(self._script):
            return 0
        decision = self._script[index]
        if decision >= count:  # the run took another path than the recording
            self.diverged = True
            return 0
        return decision
