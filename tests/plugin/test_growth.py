"""assert_no_growth: a lifecycle that leaves one more thing per run fails, with what and where."""

from __future__ import annotations

import pytest


def test_a_dialog_added_per_click_is_reported_with_its_holder_and_site(
    tester: pytest.Pytester,
) -> None:
    written = tester.makepyfile(
        """
        import flet as ft
        from pytest_fletsafe import assert_no_growth

        async def test_confirm_dialog(flet_page, flet_client):
            def confirm(e):
                flet_page.overlay.append(ft.AlertDialog(title=ft.Text("Sure?")))  # per click
                flet_page.update()

            button = ft.Button("Delete", on_click=confirm)
            flet_page.add(button)
            await assert_no_growth(lambda: flet_client.click(button), iterations=20, page=flet_page)
        """
    )
    lines = written.read_text().splitlines()
    site = next(n for n, text in enumerate(lines, 1) if "# per click" in text)
    result = tester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*GrowthError: grew over 20 repetitions (after 3 warm-up):",
            "*page.overlay: +20",
            "*AlertDialog +20 (page.overlay holds 33*",  # 3 warm-up + 20 + 10 traced
            "*retained memory grew at (tracemalloc, 10 more repetitions):",
        ]
    )
    # The line that creates a dialog per click is named: as an instance's allocation site
    # where the interpreter reports one (3.10, 3.12+), else among the lines whose retained
    # memory grew (3.11's get_object_traceback finds nothing for instances).
    named = [
        line
        for line in result.stdout.lines
        if line.startswith("E") and ("blocks at" in line or "allocated at" in line)
    ]
    assert any(f".py:{site}" in line for line in named), named


def test_a_lifecycle_that_cleans_up_passes(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        """
        import flet as ft
        from pytest_fletsafe import assert_no_growth

        async def test_confirm_dialog(flet_page, flet_client):
            dialog = ft.AlertDialog(title=ft.Text("Sure?"))

            def confirm(e):
                flet_page.overlay.append(dialog)
                flet_page.update()
                flet_page.overlay.remove(dialog)
                flet_page.update()

            button = ft.Button("Delete", on_click=confirm)
            flet_page.add(button)
            await assert_no_growth(lambda: flet_client.click(button), iterations=20, page=flet_page)
        """
    )
    tester.runpytest().assert_outcomes(passed=1)


def test_handlers_registered_per_visit_are_counted(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        """
        import flet as ft
        from fletsafe import get_memory_manager
        from pytest_fletsafe import assert_no_growth

        import pytest

        @pytest.mark.leakcheck(handlers=False)  # the growth is what is asserted here
        async def test_visits(flet_page, memory_manager):
            column = ft.Column()
            flet_page.add(column)

            def visit():  # every visit adds a row and registers its handler, none removed
                row = ft.Button("Open")
                column.controls.append(row)
                get_memory_manager().register_event_handler("row", "click", print, control=row)
                flet_page.update()

            await assert_no_growth(visit, iterations=10, page=flet_page)
        """
    )
    result = tester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines_random(
        ["*event handlers (page and live controls): +10", "*MemoryManager registrations: +10"]
    )


def test_a_subscription_added_per_visit_is_counted(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        """
        import pytest
        from pytest_fletsafe import assert_no_growth

        @pytest.mark.leakcheck(pubsub=False)  # the growth is what is asserted here
        async def test_visits(flet_page):
            def visit():  # every visit subscribes one more handler, none unsubscribes
                flet_page.pubsub.subscribe_topic("clients", lambda topic, message: None)

            await assert_no_growth(visit, iterations=10, page=flet_page)
        """
    )
    result = tester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*pubsub subscriptions: +10"])


def test_growth_without_a_page_is_found_by_type(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        """
        from pytest_fletsafe import assert_no_growth

        class Subscription:
            pass

        registry = []

        async def test_registry():
            await assert_no_growth(lambda: registry.append(Subscription()), iterations=10)
        """
    )
    result = tester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*Subscription +10*"])


def test_too_few_iterations_are_refused(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        """
        import pytest
        from pytest_fletsafe import assert_no_growth

        async def test_x():
            with pytest.raises(ValueError, match="at least 4"):
                await assert_no_growth(lambda: None, iterations=2)
        """
    )
    tester.runpytest().assert_outcomes(passed=1)


def test_the_marker_repeats_the_test_body_and_checks_growth(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        """
        import flet as ft
        import pytest

        @pytest.mark.leakcheck(growth=10)
        async def test_open_dialog_leaks(flet_page, flet_client):
            flet_page.overlay.append(ft.AlertDialog(title=ft.Text("Sure?")))
            flet_page.update()

        @pytest.mark.leakcheck(growth=10)
        async def test_open_dialog_reuses(flet_page, flet_client):
            if not flet_page.overlay:
                flet_page.overlay.append(ft.AlertDialog(title=ft.Text("Sure?")))
            flet_page.overlay[0].open = True
            flet_page.update()
        """
    )
    result = tester.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*test_open_dialog_leaks*",
            "*GrowthError: grew over 10 repetitions*",
            "*page.overlay: +10",
        ]
    )


def test_a_bad_growth_value_is_a_usage_error(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        "import pytest\n\n@pytest.mark.leakcheck(growth=2)\ndef test_x():\n    pass\n"
    )
    result = tester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*growth=2 is invalid: expected a number of repetitions >= 4*"])
