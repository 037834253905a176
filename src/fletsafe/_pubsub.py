"""Remove one pubsub handler, which Flet's public API cannot do.

``PubSubClient`` offers ``unsubscribe()`` and ``unsubscribe_topic(topic)``, both of which
drop *every* handler of the session. A view disposing its own subscriptions must not tear
down another view's on the same page, so we remove exactly one handler from the hub's
tables, under the hub's own lock.

This is the only module that reads Flet's name-mangled pubsub internals (checked against
flet 1.0.x; ``tests/runtime/test_flet_contract.py`` fails loudly if they move). For any
other pubsub object, or a future Flet without these tables, it falls back to the public
per-session calls and says so in the return value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["remove_subscription", "subscriptions"]


def remove_subscription(pubsub: Any, handler: Callable[..., Any], topic: str | None) -> bool:
    """Unsubscribe ``handler``; True if only that handler was removed.

    False means the public fallback ran and removed every handler of the session (for
    ``topic``, or the global ones).
    """
    hub = getattr(pubsub, "_PubSubClient__pubsub", None)
    session_id = getattr(pubsub, "_PubSubClient__session_id", None)
    lock = getattr(hub, "_PubSubHub__lock", None)
    if hub is None or session_id is None or lock is None:
        if topic is None:
            pubsub.unsubscribe()
        else:
            pubsub.unsubscribe_topic(topic)
        return False
    with lock:
        if topic is None:
            _discard(hub._PubSubHub__subscribers, session_id, handler)
        else:
            by_topic = hub._PubSubHub__topic_subscribers
            if _discard(by_topic.get(topic, {}), session_id, handler) and not by_topic[topic]:
                del by_topic[topic]
            by_session = hub._PubSubHub__subscriber_topics
            if (
                _discard(by_session.get(session_id, {}), topic, handler)
                and not by_session[session_id]
            ):
                del by_session[session_id]
    return True


def _discard(table: dict[str, set[Any]], key: str, handler: Callable[..., Any]) -> bool:
    """Remove ``handler`` from ``table[key]``; True if that emptied and dropped the entry."""
    handlers = table.get(key)
    if handlers is None:
        return False
    handlers.discard(handler)
    if handlers:
        return False
    del table[key]
    return True


def subscriptions(pubsub: Any) -> list[tuple[str | None, Callable[..., Any]]]:
    """``(topic or None, handler)`` for every subscription of ``pubsub``'s session.

    Empty for pubsub objects whose tables we can't read.
    """
    hub = getattr(pubsub, "_PubSubClient__pubsub", None)
    session_id = getattr(pubsub, "_PubSubClient__session_id", None)
    lock = getattr(hub, "_PubSubHub__lock", None)
    if hub is None or session_id is None or lock is None:
        return []
    with lock:
        found: list[tuple[str | None, Callable[..., Any]]] = [
            (None, h) for h in hub._PubSubHub__subscribers.get(session_id, ())
        ]
        for topic, handlers in hub._PubSubHub__subscriber_topics.get(session_id, {}).items():
            found.extend((topic, h) for h in handlers)
    return found
