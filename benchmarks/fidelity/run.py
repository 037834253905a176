"""Real-app fidelity: run unmodified Flet apps on the in-process page, click everything.

Run: ``python benchmarks/fidelity/run.py``. For each app in ``apps.py``: ``main(page)`` on a
fresh in-process page (its own stock asyncio loop), a click on every mounted control that has
an ``on_click`` (found through the session's live control index, so controls inside
components count too), then the session closes as a window does. Reported per app: ran or
crashed (and why), how many clicks, handler errors, and tasks still running after the close
(leaks). Goal (growth/state-machine issue): every app runs; the app whose timer loop never
stops is reported as a leak.
"""

from __future__ import annotations

import asyncio
import inspect
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from apps import APPS

from pytest_fletsafe._client import FletClient, HandlerError
from pytest_fletsafe.detectors.tasks import is_flets_own

_GRACE = 0.1


@dataclass
class AppReport:
    name: str
    ran: bool = False
    crash: str | None = None
    clicks: int = 0
    handler_errors: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)


async def run_app(name: str, main: Any) -> AppReport:
    report = AppReport(name)
    loop = asyncio.get_running_loop()
    created: list[asyncio.Task[Any]] = []

    def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> Any:
        task = asyncio.Task(coro, loop=loop, **kwargs)
        created.append(task)
        return task

    loop.set_task_factory(factory)
    client = FletClient(loop)
    try:
        result = main(client.page)
        if inspect.isawaitable(result):
            await result
        await asyncio.sleep(0.01)
        report.ran = True
        clickable = [c for c in list(client.session.index.values()) if getattr(c, "on_click", None)]
        for control in clickable:
            try:
                await client.click(control)
            except HandlerError as error:
                report.handler_errors.append(str(error).splitlines()[0])
            report.clicks += 1
        await client.close()
        await asyncio.sleep(_GRACE)
        current = asyncio.current_task()
        report.leaks = [
            f"task {t.get_name()} ({getattr(t.get_coro(), '__qualname__', '?')})"
            for t in created
            if t is not current and not t.done() and not is_flets_own(t)
        ]
    except Exception as error:
        report.crash = f"{type(error).__name__}: {error}"
    finally:
        for task in created:
            if not task.done() and task is not asyncio.current_task():
                task.cancel()
        await asyncio.sleep(0)
        client.shutdown()
    return report


def run_all() -> list[AppReport]:
    return [asyncio.run(run_app(name, main)) for name, main in APPS.items()]


def main() -> None:
    reports = run_all()
    print(f"{'app':<20} {'result':<8} {'clicks':>6}  leaks / errors")
    for r in reports:
        result = "ran" if r.ran and not r.crash else "CRASHED"
        notes = "; ".join(r.leaks + r.handler_errors) or (r.crash or "-")
        print(f"{r.name:<20} {result:<8} {r.clicks:>6}  {notes}")
    crashed = [r.name for r in reports if r.crash]
    print(
        f"{len(reports) - len(crashed)}/{len(reports)} apps ran"
        + (f"; crashed: {crashed}" if crashed else "")
    )


if __name__ == "__main__":
    main()
