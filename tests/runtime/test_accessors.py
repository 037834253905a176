"""Module accessors kept from the original design."""

from __future__ import annotations

import asyncio

import flet as ft

import fletsafe
from fletsafe._accessors import _use_defaults


async def test_regression_after_dispose_the_next_get_returns_a_fresh_working_manager() -> None:
    first = fletsafe.get_task_manager()
    assert fletsafe.get_task_manager() is first
    fletsafe.dispose_task_manager()
    second = fletsafe.get_task_manager()
    assert second is not first
    assert await second.create_task("t", asyncio.sleep(0, "ok")) == "ok"
    fletsafe.dispose_task_manager()


def test_memory_manager_accessor_is_fresh_after_dispose() -> None:
    first = fletsafe.get_memory_manager()
    button = ft.Button("x")
    first.register_event_handler("x", "click", print, control=button)
    report = fletsafe.dispose_memory_manager()
    assert report is not None
    assert report.event == 1
    assert button.on_click is None
    assert fletsafe.get_memory_manager() is not first
    assert fletsafe.dispose_memory_manager() is not None
    assert fletsafe.dispose_memory_manager() is None


def test_atomic_state_accessor_is_fresh_after_dispose() -> None:
    fletsafe.get_atomic_state_manager().set("a", 1)
    fletsafe.dispose_atomic_state_manager()
    assert fletsafe.get_atomic_state_manager().get("a") is None
    fletsafe.dispose_atomic_state_manager()


def test_a_closed_default_task_manager_is_replaced() -> None:
    manager = fletsafe.get_task_manager()
    manager.dispose()
    assert fletsafe.get_task_manager() is not manager
    fletsafe.dispose_task_manager()


def test_use_defaults_swaps_and_restores() -> None:
    outer = fletsafe.get_atomic_state_manager()
    mine = fletsafe.AtomicState()
    with _use_defaults(state=mine):
        assert fletsafe.get_atomic_state_manager() is mine
    assert fletsafe.get_atomic_state_manager() is outer
    fletsafe.dispose_atomic_state_manager()
