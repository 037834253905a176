"""Find where an event loop is blocked: a heartbeat on the loop, a watchdog thread beside it.

Why not asyncio's debug-mode "Executing <Handle> took N seconds": it runs after the fact
and names only the outermost coroutine of the slow step. A Flet handler runs inside the
session's dispatch coroutine, so the report would blame Flet (or our simulated client)
instead of the line that blocked. The watchdog instead samples the loop thread's stack
*while* it is blocked, and the first frame outside Flet, asyncio and us is the culprit —
typically a ``time.sleep`` or a synchronous request in an ``async def`` handler.

Cost: one timer callback on the loop every ``threshold / 4`` seconds and one sleeping
thread, only for tests that opt in.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from dataclasses import dataclass

from fletsafe._sites import Site, caller_site_from

__all__ = ["Freeze", "Watchdog"]


@dataclass(frozen=True)
class Freeze:
    """One stretch of time the loop could not run anything else."""

    function: str
    site: Site | None
    seconds: float


class Watchdog:
    def __init__(self, loop: asyncio.AbstractEventLoop, threshold: float) -> None:
        self.loop = loop
        self.threshold = threshold
        self.freezes: list[Freeze] = []
        self._interval = threshold / 4
        self._last_beat = time.monotonic()
        self._loop_thread: int | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._stop = threading.Event()
        self._frozen_since: float | None = None
        self._culprit: tuple[str, Site | None] | None = None
        self._thread = threading.Thread(target=self._watch, name="fletsafe-watchdog", daemon=True)

    def start(self) -> None:
        self._beat()
        self._thread.start()

    def stop(self) -> None:
        if self._stop.is_set():
            return
        self._stop.set()
        self._thread.join(1.0)
        if self._timer is not None:
            self._timer.cancel()
        self._end_freeze(time.monotonic())  # the test ended while (or just after) frozen

    def _end_freeze(self, thawed_at: float) -> None:
        if self._culprit is not None and self._frozen_since is not None:
            seconds = max(thawed_at - self._frozen_since - self._interval, self.threshold)
            self.freezes.append(Freeze(self._culprit[0], self._culprit[1], seconds))
        self._frozen_since = self._culprit = None

    def _beat(self) -> None:  # runs on the loop
        self._loop_thread = threading.get_ident()
        self._last_beat = time.monotonic()
        if not self._stop.is_set() and not self.loop.is_closed():
            self._timer = self.loop.call_later(self._interval, self._beat)

    def _watch(self) -> None:  # runs in the watchdog thread
        while not self._stop.wait(self._interval):
            beat = self._last_beat
            now = time.monotonic()
            late = self.loop.is_running() and now - beat > self.threshold + self._interval
            if late and self._culprit is None:
                self._frozen_since, self._culprit = beat, self._sample()
            elif not late and self._culprit is not None:
                self._end_freeze(self._last_beat if self.loop.is_running() else now)

    def _sample(self) -> tuple[str, Site | None]:
        frame = sys._current_frames().get(self._loop_thread or -1)
        if frame is None:
            return "<unknown>", None
        site = caller_site_from(frame)
        # Name the function that contains the culprit line, not the innermost frame.
        while frame is not None and frame.f_code.co_filename != site.filename:
            frame = frame.f_back
        if frame is None:
            return "<unknown>", site
        code = frame.f_code
        return getattr(code, "co_qualname", code.co_name), site  # co_qualname: 3.11+
