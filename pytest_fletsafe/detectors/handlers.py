"""Registrations still in a managed MemoryManager: handlers, page handlers, overlay entries."""

from __future__ import annotations

from .._ledger import Finding, Ledger

__all__ = ["collect"]

_DETAIL = {
    "event": "handler still attached",
    "page_event": "page handler still attached",
    "pubsub": "subscription still registered",
    "overlay": "still in page.overlay",
}


def collect(ledger: Ledger) -> list[Finding]:
    return [
        Finding(
            "handler",
            f"{info.target}.{info.event}" if info.kind != "overlay" else info.target,
            info.site,
            _DETAIL[info.kind],
        )
        for manager in ledger.memory_managers
        for info in manager.active_handlers()
    ]
