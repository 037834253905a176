"""Loop freezes longer than the threshold: nothing else could run, the UI stood still.

Opt-in (``leakcheck(blocking=0.1)`` or the ``leakcheck_blocking`` ini key). The watchdog
(``_watchdog.py``) samples the loop thread's stack while it is frozen, so the finding names
the line that blocked, not the Flet dispatch that happened to be running it.
"""

from __future__ import annotations

from .._ledger import Finding, Ledger

__all__ = ["collect"]


def collect(ledger: Ledger) -> list[Finding]:
    watchdog = ledger.watchdog
    if watchdog is None:
        return []
    watchdog.stop()  # freezes still in progress can't be measured; the loop is idle now
    return [
        Finding(
            "blocking",
            freeze.function,
            freeze.site,
            f"blocked the loop for ~{freeze.seconds:.2f}s (threshold {watchdog.threshold}s)",
        )
        for freeze in watchdog.freezes
    ]
