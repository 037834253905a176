"""flet_page and flet_client: a real page, driven in-process."""

from __future__ import annotations

import pytest


def test_page_add_and_click_run_real_flet_code(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        """
        import flet as ft

        async def test_counter(flet_page, flet_client):
            count = ft.Text("0")

            def increment(e):
                count.value = str(int(count.value) + 1)

            button = ft.Button("+", on_click=increment)
            flet_page.add(count, button)
            await flet_client.click(button)
            await flet_client.click(button)
            assert count.value == "2"
            patches = [m for m in flet_client.messages if m.action == "PATCH_CONTROL"]
            assert patches, "page.add and the auto-update after each click send patches"
            assert patches[-1].body["patch"][-1][-1] == "2"
        """
    )
    tester.runpytest().assert_outcomes(passed=1)


def test_a_sync_test_gets_a_page_and_a_loop(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        """
        import flet as ft

        def test_sync(flet_page, flet_client):
            seen = []
            button = ft.Button("x", on_click=lambda e: seen.append(e.name))
            flet_page.add(button)
            flet_client.click(button)
            assert seen == ["click"]
        """
    )
    tester.runpytest().assert_outcomes(passed=1)


def test_a_handler_exception_fails_the_test_with_its_traceback(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        """
        import flet as ft

        async def test_boom(flet_page, flet_client):
            def on_click(e):
                raise ValueError("broken save")

            button = ft.Button("save", on_click=on_click)
            flet_page.add(button)
            await flet_client.click(button)
        """
    )
    result = tester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*HandlerError: the on_click handler of Button raised:*"])
    result.stdout.fnmatch_lines(["*in on_click*", "*ValueError: broken save*"])


def test_resize_route_and_close_fire_the_page_events(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        """
        import asyncio

        async def test_events(flet_page, flet_client):
            events = []
            flet_page.on_resize = lambda e: events.append(("resize", e.width, e.height))
            flet_page.on_route_change = lambda e: events.append(("route", e.route))
            flet_page.on_disconnect = lambda e: events.append("disconnect")
            flet_page.on_close = lambda e: events.append("close")
            await flet_client.resize(400, 300)
            await flet_client.route("/settings")
            await flet_client.close()
            await asyncio.sleep(0.01)
            assert flet_page.width == 400 and flet_page.route == "/settings"
            assert events == [("resize", 400, 300), ("route", "/settings"), "disconnect", "close"]
        """
    )
    tester.runpytest().assert_outcomes(passed=1)


def test_the_client_answers_method_calls_so_they_never_hang(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        """
        import asyncio

        async def test_calls(flet_page, flet_client):
            info = await asyncio.wait_for(flet_page.get_device_info(), 2)
            assert info.name == "fletsafe"
            flet_client.respond(
                "get_device_info", {"name": "pixel", "id": "1", "pretty_name": "P", "locales": []}
            )
            info = await asyncio.wait_for(flet_page.get_device_info(), 2)
            assert info.name == "pixel"
            calls = [m.body["name"] for m in flet_client.messages if m.action == "INVOKE_METHOD"]
            assert calls == ["get_device_info", "get_device_info"]
        """
    )
    tester.runpytest().assert_outcomes(passed=1)


def test_components_and_hooks_work_on_the_page(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        """
        import asyncio
        import flet as ft

        @ft.component
        def Counter():
            count, set_count = ft.use_state(0)
            return ft.Button(f"clicked {count}", on_click=lambda e: set_count(count + 1))

        async def test_counter(flet_page, flet_client):
            flet_page.render(Counter)
            await asyncio.sleep(0.01)
            texts = [str(m.body) for m in flet_client.messages if m.action == "PATCH_CONTROL"]
            assert any("clicked 0" in t for t in texts)
        """
    )
    tester.runpytest().assert_outcomes(passed=1)


def test_managed_fixtures_replace_the_module_accessors(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        """
        import fletsafe

        def test_inside(task_manager, memory_manager, atomic_state):
            assert fletsafe.get_task_manager() is task_manager
            assert fletsafe.get_memory_manager() is memory_manager
            assert fletsafe.get_atomic_state_manager() is atomic_state

        def test_reset_after(atomic_state):
            atomic_state.set("x", 1)

        def test_next_test_starts_fresh():
            assert fletsafe.get_atomic_state_manager().get("x") is None
        """
    )
    tester.runpytest("-p", "no:randomly").assert_outcomes(passed=3)


def test_flets_own_plugin_keeps_working_beside_ours(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        """
        def test_both(request, flet_page):
            names = request.config.pluginmanager.list_name_plugin()
            assert any(name == "flet" for name, _ in names)
            assert any(name == "fletsafe" for name, _ in names)
        """
    )
    result = tester.runpytest("--fixtures")
    result.stdout.fnmatch_lines(["*flet_app*", "*flet_page*"])
    tester.runpytest().assert_outcomes(passed=1)


def test_services_call_the_client_and_get_answers(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        """
        import asyncio
        import flet as ft

        async def test_clipboard(flet_page, flet_client):
            flet_client.respond("get", "copied text")
            clipboard = ft.Clipboard()
            await asyncio.wait_for(clipboard.set("hello"), 2)
            assert await asyncio.wait_for(clipboard.get(), 2) == "copied text"
            calls = [m.body["name"] for m in flet_client.messages if m.action == "INVOKE_METHOD"]
            assert calls == ["set", "get"]
        """
    )
    tester.runpytest().assert_outcomes(passed=1)


def test_fill_sets_the_value_then_fires_on_change(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        """
        import flet as ft

        async def test_typing(flet_page, flet_client):
            seen = []
            field = ft.TextField(on_change=lambda e: seen.append((e.data, field.value)))
            flet_page.add(field)
            await flet_client.fill(field, "ann")
            assert seen == [("ann", "ann")]
        """
    )
    tester.runpytest().assert_outcomes(passed=1)
