"""MemoryManager on real Flet controls and a real Page."""

from __future__ import annotations

import asyncio
import gc
import threading
import weakref
from typing import Any

import flet as ft
import pytest
from _deadline import call_in_thread

from fletsafe import MemoryGrowthWarning, MemoryManager, UnknownEventError


def _noop(_event: object = None) -> None:
    pass


# -- event handlers on controls -----------------------------------------------------------


@pytest.mark.parametrize("event_name", ["click", "on_click"])
def test_register_with_a_control_attaches_the_handler(event_name: str) -> None:
    manager = MemoryManager()
    button = ft.Button("Save")
    handler_id = manager.register_event_handler("save", event_name, _noop, control=button)
    assert button.on_click is _noop
    (info,) = manager.active_handlers()
    assert (info.id, info.kind, info.target, info.event) == (
        handler_id,
        "event",
        "save",
        "on_click",
    )
    assert info.site.filename == __file__
    assert info.alive


def test_a_misspelt_event_is_refused_with_the_valid_names() -> None:
    manager = MemoryManager()
    button = ft.Button("Save")
    with pytest.raises(UnknownEventError, match=r"no event 'on_clik'.*on_click, on_focus"):
        manager.register_event_handler("save", "on_clik", _noop, control=button)
    assert button.on_click is None
    assert manager.active_handlers() == []


def test_a_handler_must_be_callable() -> None:
    with pytest.raises(TypeError, match="callable"):
        MemoryManager().register_event_handler("x", "click", "not callable")  # type: ignore[arg-type]


def test_register_without_a_control_only_tracks() -> None:
    manager = MemoryManager()
    handler_id = manager.register_event_handler("list", "scroll", _noop)
    assert [h.event for h in manager.active_handlers()] == ["on_scroll"]
    assert manager.unregister_event_handler(handler_id)


def test_unregister_detaches_and_is_idempotent() -> None:
    manager = MemoryManager()
    button = ft.Button("Save")
    handler_id = manager.register_event_handler("save", "click", _noop, control=button)
    assert manager.unregister_event_handler(handler_id) is True
    assert button.on_click is None
    assert manager.unregister_event_handler(handler_id) is False
    assert manager.active_handlers() == []


def test_detaching_leaves_a_handler_someone_else_attached_since() -> None:
    manager = MemoryManager()
    button = ft.Button("Save")
    handler_id = manager.register_event_handler("save", "click", _noop, control=button)

    def newer(_event: object) -> None:
        pass

    button.on_click = newer
    manager.unregister_event_handler(handler_id)
    assert button.on_click is newer


def test_cleanup_control_handlers_detaches_only_that_control() -> None:
    manager = MemoryManager()
    save, cancel = ft.Button("Save"), ft.Button("Cancel")
    manager.register_event_handler("save", "click", _noop, control=save)
    manager.register_event_handler("save", "hover", _noop, control=save)
    manager.register_event_handler("cancel", "click", _noop, control=cancel)
    assert manager.cleanup_control_handlers("save") == 2
    assert (save.on_click, save.on_hover) == (None, None)
    assert cancel.on_click is _noop
    assert manager.cleanup_control_handlers("save") == 0


def test_dispose_all_handlers_detaches_everything() -> None:
    manager = MemoryManager()
    buttons = [ft.Button(str(i)) for i in range(3)]
    for i, button in enumerate(buttons):
        manager.register_event_handler(f"b{i}", "click", _noop, control=button)
    assert manager.dispose_all_handlers() == 3
    assert all(b.on_click is None for b in buttons)
    assert manager.dispose_all_handlers() == 0


# -- regressions --------------------------------------------------------------------------


def test_regression_cleanup_and_dispose_are_reentrant_from_a_handler() -> None:
    manager = MemoryManager()
    button = ft.Button("Close")

    def on_close(_event: object) -> None:
        manager.cleanup_control_handlers("close")
        manager.dispose_all_handlers()

    manager.register_event_handler("close", "click", on_close, control=button)
    manager.register_event_handler("other", "click", _noop, control=ft.Button("x"))
    call_in_thread(lambda: button.on_click(None))  # type: ignore[misc]
    assert manager.active_handlers() == []


def test_regression_methods_may_be_called_while_detaching() -> None:
    manager = MemoryManager()
    calls: list[int] = []

    class ReentrantControl:
        """A control whose field setter calls back into the manager, as an observer might."""

        _event_fields = frozenset({"on_click"})

        def __init__(self) -> None:
            self._on_click: Any = None

        @property
        def on_click(self) -> Any:
            return self._on_click

        @on_click.setter
        def on_click(self, value: Any) -> None:
            self._on_click = value
            calls.append(len(manager.active_handlers()))
            manager.cleanup_control_handlers("nested")

    control = ReentrantControl()
    manager.register_event_handler("c", "click", _noop, control=control)
    call_in_thread(manager.dispose_all_handlers)
    assert control.on_click is None
    assert calls == [0, 0]


def test_regression_a_handler_closing_over_its_control_does_not_keep_it_alive() -> None:
    manager = MemoryManager()

    def build_view() -> weakref.ref[ft.Button]:
        button = ft.Button("Refresh")

        def on_click(_event: object) -> None:
            button.data = "refreshing"  # the normal case: the handler references its control

        manager.register_event_handler("refresh", "click", on_click, control=button)
        manager.register_control("refresh", button)
        return weakref.ref(button)

    ref = build_view()  # the view is dropped on return
    gc.collect()
    assert ref() is None
    assert manager.active_handlers() == []
    assert manager.detect_memory_growth(warn=False).counts["dead_references"] == 2


def test_regression_a_bound_method_handler_does_not_keep_its_view_alive() -> None:
    manager = MemoryManager()

    class View:
        def __init__(self) -> None:
            self.button = ft.Button("Go")
            manager.register_event_handler("go", "click", self.on_go, control=self.button)

        def on_go(self, _event: object) -> None:
            pass

    view = View()
    ref = weakref.ref(view)
    del view
    gc.collect()
    assert ref() is None


def test_regression_the_manager_stays_usable_after_dispose() -> None:
    manager = MemoryManager()
    manager.register_event_handler("a", "click", _noop, control=ft.Button("a"))
    manager.dispose()
    button = ft.Button("b")
    manager.register_event_handler("b", "click", _noop, control=button)
    assert button.on_click is _noop
    assert [h.target for h in manager.active_handlers()] == ["b"]
    assert manager.dispose().event == 1


# -- page handlers, pubsub, overlay -------------------------------------------------------


def test_page_handler_is_attached_and_detached(bare_page: Any) -> None:
    manager = MemoryManager()
    manager.register_page_handler(bare_page, "resize", _noop)
    manager.register_page_handler(bare_page, "on_keyboard_event", _noop)
    assert bare_page.on_resize is _noop
    assert {h.kind for h in manager.active_handlers()} == {"page_event"}
    assert manager.dispose().page_event == 2
    assert bare_page.on_resize is None
    assert bare_page.on_keyboard_event is None


def test_page_handler_name_is_validated(bare_page: Any) -> None:
    with pytest.raises(UnknownEventError, match=r"'on_resized'.*on_resize"):
        MemoryManager().register_page_handler(bare_page, "on_resized", _noop)


def test_subscribe_is_undone_without_touching_other_subscriptions(bare_page: Any) -> None:
    manager = MemoryManager()
    got: list[str] = []
    lock = threading.Lock()
    arrived = threading.Semaphore(0)

    def make(tag: str) -> Any:
        def handler(*_args: object) -> None:
            with lock:
                got.append(tag)
            arrived.release()

        return handler

    bare_page.pubsub.subscribe(make("app's own"))
    manager.subscribe(bare_page.pubsub, make("view global"))
    manager.subscribe(bare_page.pubsub, make("view topic"), topic="contacts")
    assert {h.target for h in manager.active_handlers()} == {"*", "contacts"}

    def deliver(expected: int) -> None:
        # The hub hands sync subscribers to its executor through the page's loop.
        for _ in range(expected):
            for _attempt in range(500):
                if arrived.acquire(timeout=0.01):
                    break
                bare_page.loop.run_until_complete(asyncio.sleep(0.001))
            else:
                pytest.fail("a subscriber was not called")
        bare_page.loop.run_until_complete(asyncio.sleep(0.01))
        assert not arrived.acquire(timeout=0.05)

    bare_page.pubsub.send_all("hello")
    bare_page.pubsub.send_all_on_topic("contacts", "hi")
    deliver(3)
    assert sorted(got) == ["app's own", "view global", "view topic"]

    assert manager.dispose().pubsub == 2
    got.clear()
    bare_page.pubsub.send_all("again")
    bare_page.pubsub.send_all_on_topic("contacts", "again")
    deliver(1)
    assert got == ["app's own"]


def test_add_overlay_is_removed_on_dispose(bare_page: Any) -> None:
    manager = MemoryManager()
    keep = ft.AlertDialog(title=ft.Text("app"))
    bare_page.overlay.append(keep)
    dialog = ft.AlertDialog(title=ft.Text("view"))
    manager.add_overlay(bare_page, dialog)
    assert bare_page.overlay == [keep, dialog]
    (info,) = manager.active_handlers()
    assert (info.kind, info.target) == ("overlay", "AlertDialog")
    assert manager.dispose().overlay == 1
    assert bare_page.overlay == [keep]


def test_an_overlay_entry_removed_by_the_app_is_not_an_error(bare_page: Any) -> None:
    manager = MemoryManager()
    dialog = ft.AlertDialog()
    manager.add_overlay(bare_page, dialog)
    bare_page.overlay.remove(dialog)
    assert manager.dispose().overlay == 1
    assert bare_page.overlay == []


# -- growth -------------------------------------------------------------------------------


def test_detect_memory_growth_warns_past_a_threshold() -> None:
    manager = MemoryManager(growth_thresholds={"event": 2})
    buttons = [ft.Button(str(i)) for i in range(3)]
    for button in buttons:
        manager.register_event_handler("row", "click", _noop, control=button)
    with pytest.warns(MemoryGrowthWarning, match="event grew by 3"):
        report = manager.detect_memory_growth()
    assert report.growing
    assert report.top_targets == [("row", 3)]


def test_growth_is_measured_from_the_baseline() -> None:
    manager = MemoryManager(growth_thresholds={"event": 2})
    buttons = [ft.Button(str(i)) for i in range(5)]
    for button in buttons[:3]:
        manager.register_event_handler("row", "click", _noop, control=button)
    assert manager.mark_baseline()["event"] == 3
    for button in buttons[3:]:
        manager.register_event_handler("row", "click", _noop, control=button)
    report = manager.detect_memory_growth(warn=False)
    assert report.growth["event"] == 2
    assert not report.growing


def test_unknown_growth_threshold_is_refused() -> None:
    with pytest.raises(ValueError, match=r"unknown growth threshold.*'handlerz'"):
        MemoryManager(growth_thresholds={"handlerz": 1})


def test_controls_are_counted_while_alive() -> None:
    manager = MemoryManager()
    button = ft.Button("x")
    control_id = manager.register_control("x", button)
    assert manager.detect_memory_growth(warn=False).counts["controls"] == 1
    assert manager.unregister_control(control_id)
    assert manager.detect_memory_growth(warn=False).counts["controls"] == 0


def test_debug_info_counts_registrations() -> None:
    manager = MemoryManager(name="view")
    manager.register_event_handler("a", "click", _noop)
    info = manager.get_debug_info()
    assert info["name"] == "view"
    assert info["registrations"]["event"] == 1
    manager.dispose()
    assert manager.get_debug_info()["undone"] == 1
