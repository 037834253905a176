"""pytest-fletsafe: the pytest plugin that proves Flet apps leave nothing behind.

The plugin (:mod:`pytest_fletsafe.plugin`) loads through the ``pytest11`` entry point
``fletsafe``; disable it with ``-p no:fletsafe``. Public names, for type hints and ``except``:

* :class:`FletClient` — the simulated client behind the ``flet_client`` fixture.
* :class:`HandlerError` — raised by the client when a handler raised during a dispatch.
* :class:`SentMessage` — one message the page sent, in ``flet_client.messages``.
* :func:`schedules` — a hypothesis strategy of interleavings: ``schedule.run(program)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._client import FletClient as FletClient
    from ._client import HandlerError as HandlerError
    from ._client import SentMessage as SentMessage
    from .scheduler._hypothesis import schedules as schedules

__all__ = ["FletClient", "HandlerError", "SentMessage", "schedules"]


def __getattr__(name: str) -> Any:
    # Lazy: importing the plugin must not import Flet (~80 ms) or hypothesis for runs that
    # never use them.
    if name == "schedules":
        from .scheduler._hypothesis import schedules

        return schedules
    if name in __all__:
        from . import _client

        return getattr(_client, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
