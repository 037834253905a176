"""Tasks still pending after the test: managed, ``page.run_task``, and (process-wide) any.

Why at this point: pytest-asyncio cancels leftover tasks silently when its runner closes;
we run before it (the check fixture depends on the runner), so a leftover is still pending
here and can be reported with the line that created it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from .._ledger import Finding, Ledger

__all__ = ["collect", "is_flets_own"]


def _coro_name(task: asyncio.Task[Any]) -> str:
    coro = task.get_coro()
    return getattr(coro, "__qualname__", type(coro).__name__)


def is_flets_own(task: asyncio.Task[Any]) -> bool:
    """Flet's session update scheduler: it runs until the session closes, which whoever
    owns the page does after checking (the ledger, the scheduler, a state machine)."""
    return _coro_name(task).endswith("Session.__updates_scheduler")


def collect(ledger: Ledger) -> list[Finding]:
    if not (ledger.task_managers or ledger.run_tasks or ledger.created_tasks):
        return []  # the common case: nothing was started, nothing to wait for
    managed = {t for manager in ledger.task_managers for t in manager._live_tasks()}

    def leftovers() -> list[asyncio.Task[Any]]:
        return [
            t
            for t in list(ledger.created_tasks)
            if not t.done() and t not in managed and not is_flets_own(t)
        ]

    def pending() -> bool:
        return (
            any(m.active_tasks() for m in ledger.task_managers)
            or any(not r.future.done() for r in ledger.run_tasks)
            or bool(leftovers())
        )

    ledger.settle(pending)
    findings = [
        Finding("task", info.name, info.site, f"still {info.state} ({manager.name})")
        for manager in ledger.task_managers
        for info in manager.active_tasks()
    ]
    run_task_coros = set()
    for record in ledger.run_tasks:
        if not record.future.done():
            findings.append(Finding("task", record.name, record.site, "still running (run_task)"))
        run_task_coros.add(record.name)
    for task in leftovers():
        if _coro_name(task) in run_task_coros:
            continue  # already reported above, with the run_task call site
        findings.append(
            Finding("task", task.get_name(), ledger.created_tasks.get(task), "still pending")
        )
    return findings
