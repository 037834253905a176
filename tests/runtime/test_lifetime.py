"""Lifetime: one object that disposes a whole view."""

from __future__ import annotations

import asyncio
from typing import Any

import flet as ft

from fletsafe import AtomicState, Lifetime


async def _forever() -> None:
    await asyncio.Event().wait()


async def test_aclose_cleans_tasks_handlers_and_state_subscriptions(bare_page: Any) -> None:
    state = AtomicState()
    seen: list[object] = []
    button = ft.Button("Refresh")
    lifetime = Lifetime("contacts")
    lifetime.tasks.create_task("refresh", _forever())
    lifetime.handlers.register_event_handler("refresh", "click", print, control=button)
    lifetime.handlers.add_overlay(bare_page, ft.AlertDialog())
    lifetime.subscribe_state(state, "query", lambda _k, _o, new: seen.append(new))
    state.set("query", "a")
    await asyncio.sleep(0)

    report = await lifetime.aclose()

    assert report.tasks.cancelled == 1
    assert (report.handlers.event, report.handlers.overlay) == (1, 1)
    assert report.state_subscriptions == 1
    assert report.clean
    assert lifetime.tasks.active_tasks() == []
    assert button.on_click is None
    assert bare_page.overlay == []
    state.set("query", "b")
    assert seen == ["a"]


async def test_async_context_manager_disposes_on_exit() -> None:
    async with Lifetime("settings") as lifetime:
        task = lifetime.tasks.create_task("autosave", _forever())
        await asyncio.sleep(0)
    assert task.cancelled()


def test_sync_context_manager_disposes_on_exit() -> None:
    loop = asyncio.new_event_loop()
    try:
        with Lifetime("settings", loop=loop) as lifetime:
            loop.run_until_complete(asyncio.sleep(0))
            loop.call_soon(lifetime.tasks.create_task, "autosave", _forever())
            loop.run_until_complete(asyncio.sleep(0))
        # dispose() ran the idle loop until the cancelled task finished.
        assert lifetime.tasks.active_tasks() == []
        assert lifetime.tasks.get_task_status("autosave") == "cancelled"
    finally:
        loop.close()


async def test_dispose_twice_is_harmless() -> None:
    lifetime = Lifetime()
    lifetime.tasks.create_task("t", _forever())
    await asyncio.sleep(0)
    first = await lifetime.aclose()
    second = await lifetime.aclose()
    assert first.tasks.cancelled == 1
    assert second.tasks.cancelled == 0
    assert second.handlers.total == 0


async def test_sync_dispose_on_the_loop_reports_pending_tasks() -> None:
    lifetime = Lifetime()
    lifetime.tasks.create_task("t", _forever())
    await asyncio.sleep(0)
    report = lifetime.dispose()
    assert not report.clean
    assert [p.name for p in report.tasks.pending] == ["t"]
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert lifetime.tasks.active_tasks() == []


def test_debug_info_covers_all_three() -> None:
    info = Lifetime("v").get_debug_info()
    assert info["tasks"]["name"] == "v.tasks"
    assert info["handlers"]["name"] == "v.handlers"
    assert info["state_subscriptions"] == 0
