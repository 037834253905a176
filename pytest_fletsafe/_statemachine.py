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

Built in, switched by class attributes: ``check_leftovers`` (tasks still pending after the
example's grace period fail it) and ``check_handler_errors`` (an exception raised by any Flet
handler fails it). A failure shrinks to a minimal sequence of steps, printed by hypothesis as
a script that replays exactly: the loop is deterministic.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable, Coroutine
from typing import Any

from hypothesis import stateful

from .scheduler._choosers import RecordingChooser
from .scheduler._explore import check_leftovers, close_loop
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

    ``self.page`` and ``self.client`` are a fresh in-process page and its simulated client
    for every example; ``self.loop`` is the example's deterministic loop (virtual time).
    """

    check_leftovers: bool = True
    check_handler_errors: bool = True
    leftovers_grace: float = 0.1

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for value in list(vars(cls).values()):
            if not callable(value):
                continue
            for marker in _MARKERS:
                record = getattr(value, marker, None)
                if record is not None and inspect.iscoroutinefunction(record.function):
                    setattr(
                        value,
                        marker,
                        dataclasses.replace(record, function=_on_machine_loop(record.function)),
                    )
            invariant = getattr(value, _INVARIANT_MARKER, None)
            if invariant is not None and inspect.iscoroutinefunction(invariant.function):
                setattr(
                    value,
                    _INVARIANT_MARKER,
                    dataclasses.replace(invariant, function=_on_machine_loop(invariant.function)),
                )

    def __init__(self) -> None:
        super().__init__()
        from ._client import FletClient

        self.loop = ControlledLoop(RecordingChooser())
        self.client = FletClient(self.loop)
        self.page = self.client.page

    def run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        """Run ``coro`` on this example's loop (what async rules do)."""
        result = self.loop.run_until_complete(coro)
        if self.loop.callback_errors:
            raise self.loop.callback_errors[0]
        if self.check_handler_errors and self.client.crashes:
            raise AssertionError("a Flet handler raised:\n" + self.client.crashes[0])
        return result

    def teardown(self) -> None:
        try:
            if self.check_leftovers and not self.loop.is_closed():
                check_leftovers(self.loop, self.leftovers_grace, "when the example ended")
        finally:
            if not self.loop.is_closed():
                try:
                    self.loop.run_until_complete(self.client._close())
                finally:
                    self.client.shutdown()
                    close_loop(self.loop)
