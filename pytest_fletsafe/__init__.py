"""pytest-fletsafe: the pytest plugin that proves Flet apps leave nothing behind.

The plugin (:mod:`pytest_fletsafe.plugin`) loads through the ``pytest11`` entry point
``fletsafe``; disable it with ``-p no:fletsafe``. Public names, for type hints and ``except``:

* :class:`FletClient` — the simulated client behind the ``flet_client`` fixture.
* :class:`HandlerError` — raised by the client when a handler raised during a dispatch.
* :class:`SentMessage` — one message the page sent, in ``flet_client.messages``.
* :func:`schedules` — a hypothesis strategy of interleavings: ``schedule.run(program)``.
* :func:`assert_no_growth` — repeat a lifecycle, fail if anything keeps growing
  (:class:`GrowthError`).
* :class:`FletStateMachine` — hypothesis stateful testing with ``async def`` rules on a page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._client import FletClient as FletClient
    from ._client import HandlerError as HandlerError
    from ._client import SentMessage as SentMessage
    from ._growth import GrowthError as GrowthError
    from ._growth import assert_no_growth as assert_no_growth
    from ._statemachine import FletStateMachine as FletStateMachine
    from .scheduler._hypothesis import schedules as schedules

__all__ = [
    "FletClient",
    "FletStateMachine",
    "GrowthError",
    "HandlerError",
    "SentMessage",
    "assert_no_growth",
    "schedules",
]
_FROM = {
    "FletClient": "._client",
    "FletStateMachine": "._statemachine",
    "HandlerError": "._client",
    "SentMessage": "._client",
    "GrowthError": "._growth",
    "assert_no_growth": "._growth",
    "schedules": ".scheduler._hypothesis",
}


def __getattr__(name: str) -> Any:
    # Lazy: importing the plugin must not import Flet (~80 ms) or hypothesis for runs that
    # never use them.
    if name in _FROM:
        import importlib

        return getattr(importlib.import_module(_FROM[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
