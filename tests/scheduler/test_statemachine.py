"""FletStateMachine: async rules on a real page, shrunk to a minimal script of steps."""

from __future__ import annotations

import pytest

from pytest_fletsafe._statemachine import _INVARIANT_MARKER, _MARKERS


def test_hypothesis_still_keeps_rules_where_we_look() -> None:
    from hypothesis import stateful

    assert set(_MARKERS) == {stateful.RULE_MARKER, stateful.INITIALIZE_RULE_MARKER}
    assert _INVARIANT_MARKER == stateful.INVARIANT_MARKER


def test_a_dialog_added_per_visit_is_found_as_a_minimal_script(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        """
        import asyncio
        import flet as ft
        from hypothesis import settings
        from hypothesis.stateful import initialize, invariant, rule
        from pytest_fletsafe import FletStateMachine

        class SettingsView(FletStateMachine):
            @initialize()
            async def open_app(self):
                self.button = ft.Button("Discard", on_click=self.on_discard)
                self.page.add(self.button)

            async def on_discard(self, e):
                await asyncio.sleep(0)
                self.page.overlay.append(ft.AlertDialog(title=ft.Text("Sure?")))  # per visit

            @rule()
            async def click_discard(self):
                await self.client.click(self.button)

            @rule()
            async def resize(self):
                await self.client.resize(400, 300)

            @invariant()
            async def at_most_one_dialog(self):
                assert len(self.page.overlay) <= 1, f"{len(self.page.overlay)} dialogs"

        TestSettingsView = SettingsView.TestCase
        TestSettingsView.settings = settings(max_examples=50, deadline=None,
            database=None, derandomize=True)
        """
    )
    result = tester.runpytest()
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    assert "2 dialogs" in output
    steps = output[output.index("state = SettingsView()") :].split("state.teardown()")[0]
    assert steps.count("state.click_discard()") == 2  # shrunk: exactly the two clicks
    assert "state.resize()" not in steps


def test_a_task_a_rule_leaves_running_fails_the_example(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        """
        import asyncio
        from hypothesis import settings
        from hypothesis.stateful import rule
        from pytest_fletsafe import FletStateMachine

        async def refresh_forever():
            while True:
                await asyncio.sleep(30)

        class ContactsView(FletStateMachine):
            @rule()
            async def open_contacts(self):
                self.page.run_task(refresh_forever)  # never cancelled
                await asyncio.sleep(0)

        TestContactsView = ContactsView.TestCase
        TestContactsView.settings = settings(max_examples=5, deadline=None,
            database=None, derandomize=True)
        """
    )
    result = tester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*LeftoverTasks: tasks still pending when the example ended*"])


def test_a_clean_machine_passes(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        """
        import asyncio
        import flet as ft
        from hypothesis import settings
        from hypothesis.stateful import initialize, invariant, rule
        from pytest_fletsafe import FletStateMachine

        class Counter(FletStateMachine):
            @initialize()
            async def open(self):
                self.count = ft.Text("0")
                self.button = ft.Button("+", on_click=self.increment)
                self.page.add(self.count, self.button)
                self.clicks = 0

            async def increment(self, e):
                await asyncio.sleep(0)
                self.count.value = str(int(self.count.value) + 1)

            @rule()
            async def click(self):
                await self.client.click(self.button)
                self.clicks += 1

            @invariant()
            def shows_every_click(self):
                assert self.count.value == str(self.clicks)

        TestCounter = Counter.TestCase
        TestCounter.settings = settings(max_examples=30, deadline=None,
            database=None, derandomize=True)
        """
    )
    tester.runpytest().assert_outcomes(passed=1)
