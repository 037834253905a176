"""Exceptions that would otherwise only be logged: the lost errors.

Flet logs a handler's exception and tells the client the session crashed; a ``run_task``
failure surfaces as "exception in callback"; a ``run_thread`` failure as "Future exception
was never retrieved"; a managed background task's failure is logged. Each becomes a
finding here instead.
"""

from __future__ import annotations

import concurrent.futures

from .._ledger import Finding, Ledger

__all__ = ["collect"]


def collect(ledger: Ledger) -> list[Finding]:
    if not (
        ledger.clients
        or ledger.run_tasks
        or ledger.run_threads
        or ledger.task_managers
        or ledger.loop_errors
    ):
        return []
    findings = [
        Finding(
            "error",
            crash.handler,
            crash.site,
            f"raised {crash.summary} (Flet only logged it)",
            verb="raised",
            trace=crash.text,
        )
        for client in ledger.clients
        for crash in client.crashes
    ]
    for record in ledger.run_tasks:
        future = record.future
        if future.done() and not future.cancelled():
            try:
                error = future.exception(timeout=0)
            except concurrent.futures.CancelledError:  # pragma: no cover - raced a cancel
                continue
            if error is not None:
                findings.append(Finding("error", record.name, record.site, f"raised {error!r}"))
    findings.extend(
        Finding("error", r.name, r.site, f"raised {r.error!r}")
        for r in ledger.run_threads
        if r.error is not None
    )
    findings.extend(  # a named task's caller holds the task; only fire-and-forget is lost
        Finding("error", e.name, e.site, f"raised {e.exception!r}")
        for manager in ledger.task_managers
        for e in manager.errors()
        if e.background
    )
    findings.extend(ledger.loop_errors)
    return findings
