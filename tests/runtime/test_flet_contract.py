"""The Flet internals fletsafe relies on. If Flet moves them, these fail first and loudly."""

from __future__ import annotations

from typing import Any

import flet as ft


def test_controls_list_their_event_fields() -> None:
    assert "on_click" in type(ft.Button("x"))._event_fields


def test_page_lists_its_event_fields(bare_page: Any) -> None:
    assert {"on_resize", "on_keyboard_event", "on_route_change"} <= type(bare_page)._event_fields


def test_pubsub_hub_tables_are_where_remove_subscription_looks(bare_page: Any) -> None:
    client = bare_page.pubsub
    hub = client._PubSubClient__pubsub
    assert isinstance(client._PubSubClient__session_id, str)
    for table in ("__subscribers", "__topic_subscribers", "__subscriber_topics"):
        assert isinstance(getattr(hub, f"_PubSubHub{table}"), dict)
    assert hasattr(hub._PubSubHub__lock, "acquire")
