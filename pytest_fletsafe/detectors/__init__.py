"""The leak detectors, one module each; ``collect`` runs the enabled ones.

Each module exposes ``collect(ledger) -> list[Finding]`` and does one kind of check. They
run after the test and all of its fixtures have finalized, before the ledger cleans up.
"""

from __future__ import annotations

from .._ledger import Finding, Ledger
from . import blocking, errors, handlers, locks, pubsub, tasks, threads

__all__ = ["collect"]

_DETECTORS = {
    "tasks": tasks.collect,
    "threads": threads.collect,
    "handlers": handlers.collect,
    "pubsub": pubsub.collect,
    "locks": locks.collect,
    "errors": errors.collect,
}


def collect(ledger: Ledger) -> list[Finding]:
    """Every finding of the detectors switched on for this test, allow-list applied."""
    findings: list[Finding] = []
    for name, detector in _DETECTORS.items():
        if name in ledger.settings.detectors:
            findings.extend(f for f in detector(ledger) if not ledger.allowed(f.name))
    if ledger.settings.blocking is not None:
        findings.extend(f for f in blocking.collect(ledger) if not ledger.allowed(f.name))
    return findings
