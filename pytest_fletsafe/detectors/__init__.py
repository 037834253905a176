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
    "blocking": blocking.collect,
}

#: Detectors that need the test's loop still open. For a test checked without our fixtures
#: they run as the loop runner's last finalizer, before pytest-asyncio cancels what is left.
ON_LOOP = frozenset({"tasks", "blocking"})


def collect(ledger: Ledger, only: frozenset[str] | None = None) -> list[Finding]:
    """Run the enabled detectors (of ``only``) that have not run yet; all findings so far.

    Each detector runs once per test, so the loop-bound ones can run early and the rest
    after every fixture has finalized. The allow-list is applied here.
    """
    if ledger.recorded_nothing():  # nothing to inspect, now or later for these detectors
        ledger.checked.update(_DETECTORS if only is None else only)
        return ledger.findings
    enabled = ledger.settings.detectors
    for name, detector in _DETECTORS.items():
        if name in ledger.checked or (only is not None and name not in only):
            continue
        ledger.checked.add(name)
        if name in enabled or (name == "blocking" and ledger.settings.blocking is not None):
            found = detector(ledger)
            if found:
                ledger.findings.extend(f for f in found if not ledger.allowed(f.name))
    return ledger.findings
