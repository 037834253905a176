"""``FletStateMachine``: hypothesis stateful testing with ``async def`` rules on a real page.

Why: lifecycle bugs live *between* actions — open a view, refresh, navigate away, come
back, and a task from the first visit writes into the second. Hypothesis's
``RuleBasedStateMachine`` finds and shrinks such sequences but calls rules synchronously
(async rules are hypothesis issue #4107). Here every example gets a fresh controlled loop
(``scheduler._loop``) and a fresh in-process page; ``async def`` rules, initializers and
invariants run on that loop. Tasks a rule starts keep running into the next rules, so
handlers started by consecutive rules overlap as they would in the app.

How: hypothesis keeps each rule as a ``Rule`` record (an ``Invariant`` for invariants) on a
marker attribute of the function, and calls ``record.function(machine, **args)``. At class
creation we replace, in those records, each coroutine function by a sync one that runs it
on the machine's loop. This is the only module that reads hypothesis's marker names;
``tests/scheduler/test_statemachine.py`` fails first if they move.

Built in, switched by class attributes:

* ``check_handler_errors``: an exception raised by any Flet handler fails the step.
* ``check_locks``: after every step, no ``AtomicState`` key may be held by a task or thread
  that has finished (nobody would ever release it).
* ``check_leftovers`` and ``check_leaks``: when the example ends the session is closed, as
  when a user closes the window; then tasks still pending, and whatever the leak detectors
  find (the machine's task and memory managers, ``run_task``/``run_thread`` work, pubsub,
  held locks, lost errors), fail it. ``check_nothing_left()`` runs the same detectors from
  any step, e.g. right after a rule that disposes a view.
* ``interleave_handlers``: each step draws a schedule for the handlers it runs and those
  still running from earlier steps, so hypothesis explores their interleavings and shrinks
  a failure to the fewest steps *and* the fewest deviations from the plain order. The
  drawn schedule of each step is printed with the steps (``Draw n (schedule): [...]``).

A failure shrinks to a minimal sequence of steps, printed by hypothesis as a script that
replays exactly: the loop is deterministic, its clock virtual.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable, Coroutine
from typing import Any

from hypothesis import stateful
from hypothesis import strategies as st

from .scheduler._explore import check_leftovers, close_loop
from .scheduler._hypothesis import PlanChooser, plans
from .scheduler._loop import ControlledLoop

__all__ = ["FletStateMachine"]

_MARKERS = ("hypothesis_stateful_rule", "hypothesis_stateful_initialize_rule")
_INVARIANT_MARKER = "hypothesis_stateful_invariant"


def _on_machine_loop(
    function: Callable[..., Coroutine[Any, Any, Any]],
) -> Callable[..., Any]:
    @functools.wraps(function)
    def run(machine: FletStateMachine, *args: Any, **kwargs: Any) -> Any:
        return machine.run(function(machine, *args, **kwargs))

    return run


class FletStateMachine(stateful.RuleBasedStateMachine):
    """A rule-based state machine whose rules may be ``async def``, with a real Flet page.

    Per example: ``self.page`` and ``self.client``, a fresh in-process page and its simulated
    client; ``self.loop``, a deterministic loop with a virtual clock; ``self.tasks``,
    ``self.memory`` and ``self.state``, a TaskManager, MemoryManager and AtomicState that
    ``get_task_manager()`` & co. return while the example runs.
    """

    check_leftovers: bool = True
    check_leaks: bool = True
    check_locks: bool = True
    check_handler_errors: bool = True
    interleave_handlers: bool = False
    leftovers_grace: float = 0.1
    max_choice_points: int = 8
    """Choice points per step that an interleaving schedule may deviate at."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for value in list(vars(cls).values()):
            if callable(value):
                _run_async_on_machine_loop(value)
        if cls.interleave_handlers and not hasattr(cls, "interleave"):
            # An initialize rule, so the draws are part of the example and shrink with it.
            def interleave(self: FletStateMachine, data: st.DataObject) -> None:
                self._schedules = data

            cls.interleave = stateful.initialize(data=st.data())(interleave)

    def __init__(self) -> None:
        super().__init__()
        from fletsafe import AtomicState, MemoryManager, TaskManager
        from fletsafe._accessors import _use_defaults

        from ._client import FletClient
        from ._ledger import Ledger
        from ._options import machine_settings
        from .fixtures import instrument

        self._chooser = PlanChooser()
        self._schedules: st.DataObject | None = None
        self.loop = ControlledLoop(self._chooser)
        self.client = FletClient(self.loop)
        self.page = self.client.page
        self.tasks = TaskManager(self.loop, name="machine")
        self.memory = MemoryManager(name="machine")
        self.state = AtomicState(name="machine")
        self._ledger = ledger = Ledger(machine_settings(self.leftovers_grace), loop=self.loop)
        ledger.adopt_tasks(self.tasks)
        ledger.adopt_memory(self.memory)
        ledger.adopt_state(self.state)
        ledger.clients.append(self.client)
        instrument(self.client, ledger)
        self._defaults = _use_defaults(self.tasks, self.memory, self.state)
        self._defaults.__enter__()

    def run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        """Run ``coro`` on this example's loop (what async rules do)."""
        if self._schedules is not None:
            try:
                plan = self._schedules.draw(plans(self.max_choice_points), label="schedule")
            except BaseException:
                coro.close()  # hypothesis abandoned the example mid-draw
                raise
            self._chooser.follow(plan)
        result = self.loop.run_until_complete(coro)
        if self.loop.callback_errors:
            raise self.loop.callback_errors[0]
        self._check_handler_errors()
        return result

    def _check_handler_errors(self) -> None:
        if self.check_handler_errors and self.client.crashes:
            raise AssertionError("a Flet handler raised:\n" + self.client.crashes[0].text)

    @stateful.invariant()
    def fletsafe_invariants(self) -> None:
        self._check_handler_errors()
        if self.check_locks:
            abandoned = [info for info in self.state.held_locks() if info.abandoned]
            if abandoned:
                raise AssertionError(
                    "AtomicState keys held by a holder that has finished: "
                    + ", ".join(f"{i.key!r} ({i.holder}, acquired at {i.site})" for i in abandoned)
                )

    def check_nothing_left(self) -> None:
        """Fail if the leak detectors find anything now (call it from a sync rule or
        invariant, e.g. right after the step that disposes a view)."""
        from . import detectors

        if self.loop.is_running():  # the detectors' grace period runs the loop itself
            raise RuntimeError(
                "check_nothing_left() runs the loop to let tasks finish: call it from a sync "
                "rule or invariant, not from an async one"
            )
        ledger = self._ledger
        ledger.findings.clear()
        ledger.checked.clear()
        findings = detectors.collect(ledger)
        if findings:
            raise AssertionError(
                f"{len(findings)} thing(s) left behind:\n" + "\n".join(f"  {f}" for f in findings)
            )

    def teardown(self) -> None:
        try:
            if not self.loop.is_closed():
                self.loop.run_until_complete(self.client._close())  # the user closes the window
                if self.check_leftovers:
                    check_leftovers(self.loop, self.leftovers_grace, "when the example ended")
                if self.check_leaks:
                    self.check_nothing_left()
        finally:
            self._defaults.__exit__(None, None, None)
            try:
                self._ledger.cleanup()  # disposes the managers
            finally:
                if not self.loop.is_closed():
                    self.client.shutdown()
                    close_loop(self.loop)


def _run_async_on_machine_loop(function: Any) -> None:
    """Make hypothesis call an ``async def`` rule/initializer/invariant through ``run``."""
    for marker in (*_MARKERS, _INVARIANT_MARKER):
        record = getattr(function, marker, None)
        if record is not None and inspect.iscoroutinefunction(record.function):
            replaced = dataclasses.replace(record, function=_on_machine_loop(record.function))
            setattr(function, marker, replaced)
