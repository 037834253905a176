"""What a user does with the contacts app, run on a real in-process Flet page.

``@pytest.mark.leakcheck`` also checks every task and thread the scenario starts, and
``blocking=0.1`` reports handlers that freeze the UI for longer than 100 ms (the ``fixed``
version passes; the ``leaky`` one fails with every leak and its line).
"""

from __future__ import annotations

import asyncio
from types import ModuleType

import pytest

from pytest_fletsafe import FletClient, assert_no_growth

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
