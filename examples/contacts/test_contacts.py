"""What a user does with the contacts app, run on a real in-process Flet page.

``@pytest.mark.leakcheck`` also checks every task and thread the scenario starts, and
``blocking=0.1`` reports handlers that freeze the UI for longer than 100 ms (the ``fixed``
version passes; the ``leaky`` one fails with every leak and its line).
"""

from __future__ import annotations

import asyncio
from types import ModuleType

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, rule

from pytest_fletsafe import FletClient, FletStateMachine, assert_no_growth

from . import backend, fixed, leaky

pytestmark = pytest.mark.leakcheck(grace=0.2, blocking=0.1)


async def test_browse_search_and_refresh(
    app_module: ModuleType, flet_page: object, flet_client: FletClient
) -> None:
    app = app_module.main(flet_page)
    await asyncio.sleep(0.01)  # the first background refresh
    await flet_client.fill(app.clients.search, "an")
    assert [row.value for row in app.clients.rows.controls] == [
        "Ann Archer",
        "Dan Diaz",
        "Eve Evans",
    ]
    await flet_client.click(app.clients.refresh_button)
    await flet_client.resize(480, 800)
    await app.aclose()


async def test_edit_settings_then_go_back(
    app_module: ModuleType, flet_page: object, flet_client: FletClient
) -> None:
    app = app_module.main(flet_page)
    await flet_client.route("/settings")
    await flet_client.fill(app.settings.name_field, "An")
    await flet_client.fill(app.settings.name_field, "Ann")
    await flet_client.click(app.settings.discard_button)
    await flet_client.click(app.settings.discard_button)
    await flet_client.click(app.settings.export_button)
    await flet_client.click(app.settings.rename_button)
    await asyncio.sleep(0.1)  # the debounced autosave runs
    await flet_client.route("/")
    await app.aclose()


@pytest.mark.leakcheck(blocking=None)  # the check itself takes the loop's time
async def test_opening_the_discard_dialog_does_not_grow(
    app_module: ModuleType, flet_page: object, flet_client: FletClient
) -> None:
    app = app_module.main(flet_page)
    await flet_client.route("/settings")
    await assert_no_growth(
        lambda: flet_client.click(app.settings.discard_button), iterations=50, page=flet_page
    )
    await app.aclose()


class ContactsMachine(FletStateMachine):
    """Search, let the background refresh run (virtual time), search again: the rows must
    always match the query. The leaky app's refresh ignores the search box (its seeded race).

    The tests above check for leaks; this machine hunts the race, so its end-of-example leak
    checks are off (they would report the leaky app's refresh task in every example, and
    hypothesis would shrink to that instead of to the race).
    """

    app_module: ModuleType
    check_leftovers = False
    check_leaks = False

    @initialize()
    async def open_app(self) -> None:
        self.page.run_thread = lambda *args: None  # the address-book sync thread: faked here
        self.app = self.app_module.main(self.page)
        self.query = ""
        await asyncio.sleep(0.01)  # the first background refresh

    @rule(query=st.sampled_from(["", "an", "ann", "bo"]))
    async def search(self, query: str) -> None:
        await self.client.fill(self.app.clients.search, query)
        self.query = query

    @rule()
    async def wait_for_the_next_refresh(self) -> None:
        await asyncio.sleep(31)  # virtual: instant

    @invariant()
    def rows_match_the_search(self) -> None:
        if hasattr(self, "app"):
            expected = [c for c in backend.CLIENTS if self.query.lower() in c.lower()]
            assert [row.value for row in self.app.clients.rows.controls] == expected

    def teardown(self) -> None:
        if hasattr(self, "app"):
            self.run(self.app.aclose())
        super().teardown()


class LeakyMachine(ContactsMachine):
    app_module = leaky


class FixedMachine(ContactsMachine):
    app_module = fixed


_MACHINE_SETTINGS = settings(max_examples=40, deadline=None, database=None, derandomize=True)
TestStateMachineLeaky = LeakyMachine.TestCase
TestStateMachineLeaky.settings = _MACHINE_SETTINGS
TestStateMachineFixed = FixedMachine.TestCase
TestStateMachineFixed.settings = _MACHINE_SETTINGS
