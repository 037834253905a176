"""Pubsub subscriptions still registered for a test page's session.

A subscription left on a session keeps its Page (and everything the handler closes over)
alive in the hub, and its handler keeps receiving messages meant for live views.
"""

from __future__ import annotations

from .._ledger import Finding, Ledger

__all__ = ["collect"]


def collect(ledger: Ledger) -> list[Finding]:
    if not ledger.clients:
        return []
    from fletsafe._pubsub import subscriptions  # the runtime, only once a page exists

    findings = []
    for client in ledger.clients:
        for topic, handler in subscriptions(client.page.pubsub):
            name = getattr(handler, "__qualname__", repr(handler))
            where = f"on topic {topic!r}" if topic is not None else "to all messages"
            site = ledger.pubsub_sites.get(id(handler))
            findings.append(Finding("pubsub", name, site, f"still subscribed {where}"))
    return findings
