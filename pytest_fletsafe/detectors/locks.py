"""AtomicState keys still locked when the test ended: the next writer would wait forever."""

from __future__ import annotations

from .._ledger import Finding, Ledger

__all__ = ["collect"]


def collect(ledger: Ledger) -> list[Finding]:
    return [
        Finding(
            "lock",
            str(info.key),
            info.site,
            f"still held by {info.holder}" + (", which has finished" if info.abandoned else ""),
        )
        for state in ledger.states
        for info in state.held_locks()
    ]
