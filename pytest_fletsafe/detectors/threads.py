"""Threads still running: ``page.run_thread`` work, and (process-wide) any new thread.

Process-wide, every ``threading.Thread`` started while a test runs is recorded with the
line that started it (``Ledger.watch_threads``). That is cheaper than listing every thread
before and after each test, and it is what lets a finding say where the thread came from.

Idle worker threads of executors (asyncio's default one, the page's own) stay alive
between jobs by design and are not counted; work submitted to them through
``page.run_thread`` is tracked individually.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from .._ledger import Finding, Ledger

if TYPE_CHECKING:
    from fletsafe._sites import Site

__all__ = ["collect"]

_POOL_PREFIXES = ("asyncio_", "fletsafe-", "ThreadPoolExecutor-")


def collect(ledger: Ledger) -> list[Finding]:
    def new_threads() -> list[tuple[threading.Thread, Site]]:
        return [
            (thread, site)
            for thread, site in ledger.started_threads
            if thread.is_alive() and not thread.name.startswith(_POOL_PREFIXES)
        ]

    def pending() -> bool:
        return any(not r.finished for r in ledger.run_threads) or bool(new_threads())

    if not (ledger.run_threads or ledger.started_threads) or not pending():
        return []  # the common case: nothing started, nothing to wait for
    ledger.settle(pending)
    findings = [
        Finding("thread", r.name, r.site, "still running (run_thread)")
        for r in ledger.run_threads
        if not r.finished
    ]
    findings.extend(
        Finding("thread", thread.name, site, "still alive (started during the test)")
        for thread, site in new_threads()
    )
    return findings
