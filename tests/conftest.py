"""Shared by every test: the Flet pre-import below, and the runtime tests' bare page."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Iterator
from typing import Any

# Imported here, before any pytester run snapshots sys.modules: an in-process run that first
# imports Flet's submodules has them removed afterwards, while the root package (loaded with
# Flet's own pytest plugin) keeps lazily cached names such as ft.Button and ft.component
# pointing at the removed copies. Later runs would then mix two copies of Flet.
import flet
import flet.components
import flet.components.hooks
import pytest

import pytest_fletsafe._client  # noqa: F401

for _name in ("component", "use_state", "use_effect", "Button", "Text", "AlertDialog"):
    getattr(flet, _name)


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
