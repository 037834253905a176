"""A real Flet ``Page`` on a real ``Session``, driven by a simulated client in-process.

Why not a mock of ``ft.Page``: a mock cannot leak. The page here is Flet's own: ``add``,
``update``, components and hooks, services, routing, views and pubsub run unchanged, and
every message the page sends goes through Flet's msgpack encoder exactly as the socket
server sends it (the encoder records the ``__prev_*`` snapshots the next diff is computed
from; without it the second patch is wrong). Only the Flutter side is simulated: it
registers like a client does, dispatches events, and answers the page's method calls so
they never hang.

Facts this relies on are in ``../shared/notes/flet-1.0-internals.md`` and pinned by
``tests/plugin/test_flet_contract.py``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import msgpack
from flet.controls.base_control import BaseControl
from flet.controls.context import _context_page, context
from flet.controls.page import Page
from flet.messaging.connection import Connection
from flet.messaging.protocol import (
    Message,
    MessageAction,
    RegisterClientResponseBody,
    configure_encode_object_for_msgpack,
    decode_ext_from_msgpack,
)
from flet.messaging.session import Session
from flet.pubsub.pubsub_hub import PubSubHub

from fletsafe._sites import Site, raise_site, raising_function

__all__ = ["FletClient", "HandlerError", "SentMessage"]

#: Answers for client methods the page commonly awaits; override with ``respond``.
_DEFAULT_ANSWERS: dict[str, Any] = {
    "get_device_info": {
        "name": "fletsafe",
        "id": "fletsafe",
        "pretty_name": "fletsafe",
        "locales": [],
    },
}


class HandlerError(AssertionError):
    """A handler raised while the simulated client dispatched an event.

    Flet only logs such an exception and tells the client the session crashed, so a test
    would pass; the client raises this instead, with the handler's traceback.
    """


class Crash(NamedTuple):
    """An error Flet only logged and reported to the client as a crashed session."""

    text: str
    """Flet's message: the exception and its traceback."""
    handler: str
    """The user's function Flet called (the outermost frame of the user's code)."""
    summary: str
    """The exception's repr, or the message's first line."""
    site: Site | None
    """The line in the user's code that raised."""

    @classmethod
    def from_error(cls, text: str, exception: BaseException | None) -> Crash:
        if exception is None:  # page.error("...") called by the app itself
            return cls(text, "page.error", text.partition("\n")[0], None)
        handler = raising_function(exception) or "handler"
        return cls(text, handler, repr(exception), raise_site(exception))


@dataclass(frozen=True)
class SentMessage:
    """One message the page sent to the client, decoded."""

    action: str
    """``PATCH_CONTROL``, ``INVOKE_METHOD``, ``SESSION_CRASHED``, …"""
    body: Any


class _InProcessConnection(Connection):
    """What the socket server is to a Session, minus the socket."""

    def __init__(self, client: FletClient, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.loop = loop
        self.executor = client.executor
        self.pubsubhub = client.hub
        self.page_url = "http://127.0.0.1"
        self.page_name = ""
        self.local_data_transport = True
        self._client = client
        self._encode = configure_encode_object_for_msgpack(BaseControl)  # type: ignore[no-untyped-call]

    def send_message(self, message: Message) -> None:
        packed = msgpack.packb([message.action, message.body], default=self._encode)
        action, body = msgpack.unpackb(
            packed, ext_hook=decode_ext_from_msgpack, strict_map_key=False
        )
        self._client._receive(SentMessage(MessageAction(action).name, body))

    def dispose(self) -> None:
        pass


class FletClient:
    """The simulated Flutter client of one in-process page.

    Methods that talk to the page (``click``, ``dispatch``, ``resize``, ``route``,
    ``close``) are coroutines when called with a loop running (``await
    flet_client.click(button)``) and run the loop themselves in a sync test.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        *,
        width: float = 1280,
        height: float = 720,
        route: str = "/",
        hub: PubSubHub | None = None,
    ) -> None:
        self.loop = loop
        self.executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=4, thread_name_prefix="fletsafe-page"
        )
        self.hub = hub or PubSubHub(loop=loop, executor=self.executor)
        self.messages: list[SentMessage] = []
        self.crashes: list[Crash] = []
        self._answers: dict[str, Any] = dict(_DEFAULT_ANSWERS)
        self._serial = itertools.count(1)  # names the client's tasks: "click Button #2"
        self._closed = False
        self.connection = _InProcessConnection(self, loop)
        self.session = Session(self.connection)
        self.session.error = self._record_crash  # type: ignore[method-assign]
        self.page: Page = self.session.page
        self._register(width, height, route)

    def _register(self, width: float, height: float, route: str) -> None:
        # The handshake a client performs; without it page.add() sends nothing.
        self.session.apply_page_patch(
            {"route": route, "width": width, "height": height, "platform": "linux", "web": False}
        )
        self.connection.send_message(
            Message(
                MessageAction.REGISTER_CLIENT,
                RegisterClientResponseBody(
                    session_id=self.session.id,
                    page_patch=self.session.get_page_patch(),  # type: ignore[no-untyped-call]
                    error="",
                ),
            )
        )
        self.bind_context()

    def bind_context(self) -> None:
        """Make this page the current one for components and services (as ``flet.app`` does)."""
        _context_page.set(self.page)  # type: ignore[arg-type]
        context.reset_auto_update()  # type: ignore[no-untyped-call]

    # -- what the page sends ---------------------------------------------------------------

    def _record_crash(self, message: str) -> None:
        # Wraps Session.error rather than watching for SESSION_CRASHED messages: a handler
        # of on_disconnect or on_close runs after the connection is gone, and its error
        # would never reach the client. Flet calls this inside its ``except`` block.
        self.crashes.append(Crash.from_error(message, sys.exc_info()[1]))
        Session.error(self.session, message)

    def _receive(self, message: SentMessage) -> None:
        self.messages.append(message)
        if message.action == "INVOKE_METHOD":
            body = message.body
            answer = self._answers.get(body["name"])
            result = answer(body.get("args")) if callable(answer) else answer
            # Answer on the next loop iteration, as a real client's reply would arrive.
            self.loop.call_soon_threadsafe(
                self._answer, body["control_id"], body["call_id"], result
            )

    def _answer(self, control_id: int, call_id: str, result: Any) -> None:
        if control_id in self.session.index:
            self.session.handle_invoke_method_results(control_id, call_id, result, None)

    def respond(self, method_name: str, result: Any | Callable[[Any], Any]) -> None:
        """Answer the page's ``method_name`` calls with ``result`` (or ``result(args)``).

        Unknown methods are answered with ``None``, so no call waits forever.
        """
        self._answers[method_name] = result

    # -- what the client does --------------------------------------------------------------

    def _run(self, coro: Any, name: str) -> Any:
        if asyncio._get_running_loop() is self.loop:
            return self.loop.create_task(coro, name=name)  # awaited by the caller
        return self.loop.run_until_complete(coro)

    async def _dispatch(self, control: BaseControl, event_name: str, data: Any) -> None:
        crashes_before = len(self.crashes)
        self.bind_context()
        await self.session.dispatch_event(control._i, event_name, data)
        await self.session.after_event(control)
        new = self.crashes[crashes_before:]
        if new:
            del self.crashes[crashes_before:]  # raised here, so not reported again later
            raise HandlerError(
                f"the on_{event_name} handler of {type(control).__name__} raised:\n"
                + "\n".join(crash.text for crash in new)
            )

    def dispatch(self, control: BaseControl, event_name: str, data: Any = None) -> Any:
        """Send ``event_name`` (``"click"``, ``"change"``… without ``on_``) to ``control``.

        Raises:
            HandlerError: the handler raised; its traceback is in the message.
        """
        name = event_name.removeprefix("on_")
        label = f"{name} {type(control).__name__} #{next(self._serial)}"
        return self._run(self._dispatch(control, name, data), label)

    def fill(self, control: BaseControl, value: str) -> Any:
        """Type ``value`` into a field: sets ``value`` and fires ``on_change``, as Flutter does."""
        self.session.apply_patch(control._i, {"value": value})
        return self.dispatch(control, "change", value)

    def click(self, control: BaseControl) -> Any:
        """Click ``control``, as a tap in the Flutter client would."""
        return self.dispatch(control, "click")

    def resize(self, width: float, height: float) -> Any:
        """Resize the window: updates ``page.width``/``height`` and fires ``on_resize``."""
        self.session.apply_page_patch({"width": width, "height": height})
        return self.dispatch(self.page, "resize", {"width": width, "height": height})

    def route(self, path: str) -> Any:
        """Navigate to ``path``: updates ``page.route`` and fires ``on_route_change``."""
        self.session.apply_page_patch({"route": path})
        return self.dispatch(self.page, "route_change", {"route": path})

    async def _close(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self.session.disconnect(0)
        self.session.close()  # type: ignore[no-untyped-call]  # on_close, as a closed window does
        await asyncio.sleep(0)

    def close(self) -> Any:
        """End the session as a closed window does: ``on_disconnect`` then ``on_close`` fire."""
        return self._run(self._close(), "close")

    @property
    def closed(self) -> bool:
        return self._closed

    def shutdown(self) -> None:
        """Release the client's own resources (its executor's threads)."""
        self.executor.shutdown(wait=False, cancel_futures=True)
