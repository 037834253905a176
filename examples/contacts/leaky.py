"""The contacts app as it is often written: it works, and leaves something behind everywhere.

Each ``# LEAK`` comment names what the plugin reports for that line.
"""

from __future__ import annotations

import asyncio
import threading
import time

import flet as ft

from fletsafe import get_atomic_state_manager, get_memory_manager

from . import backend


class ClientsView:
    def __init__(self, page: ft.Page) -> None:
        self.page = page
        self.rows = ft.Column()
        self.search = ft.TextField(label="Search", on_change=self.on_search)
        self.refresh_button = ft.Button("Refresh", on_click=self.on_refresh)
        self.view = ft.View(route="/", controls=[self.search, self.refresh_button, self.rows])
        self.stop_sync = threading.Event()
        page.run_task(self.refresh_forever)  # LEAK task: nothing ever cancels it
        page.pubsub.subscribe_topic("clients", self.on_clients_changed)  # LEAK pubsub
        get_memory_manager().register_page_handler(page, "resize", self.on_resize)  # LEAK handler
        page.run_thread(self.sync_address_book)  # LEAK thread: waits for a stop nobody sends

    async def refresh_forever(self) -> None:
        while True:
            await self.load()  # RACE: ignores the search box, may overwrite filtered results
            await asyncio.sleep(30)

    async def load(self, query: str = "") -> None:
        self.rows.controls = [ft.Text(name) for name in await backend.fetch_clients(query)]

    async def on_refresh(self, e: ft.ControlEvent) -> None:
        await self.load(self.search.value or "")

    async def on_search(self, e: ft.ControlEvent) -> None:
        await self.load(e.data or "")

    def on_clients_changed(self, topic: str, message: object) -> None:
        self.page.run_task(self.load)

    def on_resize(self, e: ft.PageResizeEvent) -> None:
        self.rows.spacing = 4 if (e.width or 0) < 600 else 10

    def sync_address_book(self) -> None:
        self.stop_sync.wait(5)


class SettingsView:
    def __init__(self, page: ft.Page) -> None:
        self.page = page
        self.state = get_atomic_state_manager()
        self.name_field = ft.TextField(label="Display name", on_change=self.on_change)
        self.discard_button = ft.Button("Discard", on_click=self.on_discard)
        self.export_button = ft.Button("Export", on_click=self.on_export)
        self.rename_button = ft.Button("Title case", on_click=self.on_rename)
        self.view = ft.View(
            route="/settings",
            controls=[self.name_field, self.discard_button, self.export_button, self.rename_button],
        )

    def on_change(self, e: ft.ControlEvent) -> None:
        asyncio.get_running_loop().create_task(self.autosave(e.data or ""))  # LEAK untracked task

    async def autosave(self, name: str) -> None:
        await asyncio.sleep(0.01)  # debounce
        async with self.state.atomic_update("settings"):  # LEAK lock: held while saving...
            await backend.save_settings({"name": name})
            await asyncio.Event().wait()  # ...and the "retry" below never finishes

    async def on_rename(self, e: ft.ControlEvent) -> None:
        time.sleep(0.15)  # LEAK blocking: a synchronous call in an async handler freezes the UI
        self.name_field.value = (self.name_field.value or "").title()

    def on_discard(self, e: ft.ControlEvent) -> None:
        dialog = ft.AlertDialog(title=ft.Text("Discard changes?"), open=True)
        get_memory_manager().add_overlay(self.page, dialog)  # LEAK overlay: one more per click
        self.page.update()

    def on_export(self, e: ft.ControlEvent) -> None:
        self.page.run_task(backend.export_clients)  # LEAK error: Flet would only log it
        self.page.pubsub.send_all_on_topic("clients", "exported")


class ContactsApp:
    def __init__(self, page: ft.Page) -> None:
        self.page = page
        self.clients = ClientsView(page)
        self.settings = SettingsView(page)
        page.on_route_change = self.on_route_change
        page.views.append(self.clients.view)
        page.update()

    def on_route_change(self, e: ft.RouteChangeEvent) -> None:
        self.page.views[:] = [self.clients.view]
        if e.route == "/settings":
            self.page.views.append(self.settings.view)
        self.page.update()

    async def aclose(self) -> None:
        """What the app does when its window closes: nothing at all."""


def main(page: ft.Page) -> ContactsApp:
    return ContactsApp(page)
