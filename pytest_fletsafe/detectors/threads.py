"""Threads still running: ``page.run_thread`` work, and (process-wide) any new thread.

Idle worker threads of executors (asyncio's default one, the page's own) stay alive
between jobs by design and are not counted; work submitted to them through
``page.run_thread`` is tracked individually.
"""

from __future__ import annotations

import threading

from .._ledger import Finding, Ledger

__all__ = ["collect"]

_POOL_PREFIXES = ("asyncio_", "fletsafe-", "ThreadPoolExecutor-")


def collect(ledger: Ledger) -> list[Finding]:
    def new_threads() -> list[threading.Thread]:
        if not ledger.settings.process_wide:
            return []
        return [
            t
            for t in threading.enumerate()
            if t.ident not in ledger.threads_before
            and t.is_alive()
            and not t.name.startswith(_POOL_PREFIXES)
        ]

    def pending() -> bool:
        return any(not r.finished for r in ledger.run_threads) or bool(new_threads())

    if not pending():
        return []  # the common case: no waiting, and no second look at every thread
    ledger.settle(pending)
    findings = [
        Finding("thread", r.name, r.site, "still running (run_thread)")
        for r in ledger.run_threads
        if not r.finished
    ]
    findings.extend(
        Finding("thread", t.name, None, "still alive (started during the test)")
        for t in new_threads()
    )
    return findings
