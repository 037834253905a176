"""Fixtures shared by the runtime tests."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture
def bare_page() -> Iterator[Any]:
    """A real ``flet.Page`` on a real Session, with no client attached.

    Enough for the runtime's tests (event fields, overlay, pubsub); the plugin's
    ``flet_page`` fixture is the full in-process page with a simulated client.
    """
    from flet.messaging.connection import Connection
    from flet.messaging.session import Session
    from flet.pubsub.pubsub_hub import PubSubHub

    loop = asyncio.new_event_loop()
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=2)
    connection = Connection()
    connection.loop = loop
    connection.executor = executor
    connection.pubsubhub = PubSubHub(loop=loop, executor=executor)
    connection.page_url = "http://localhost"
    session = Session(connection)
    page = session.page
    page._test_session = session  # the Page holds its Session only weakly
    yield page
    executor.shutdown(wait=True)
    loop.close()
