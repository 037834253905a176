"""The same contacts app, written so that closing a view leaves nothing behind.

Every view owns a :class:`fletsafe.Lifetime`: its tasks, handlers, subscriptions and overlay
entries go through it, and leaving the view disposes it.
"""

from __future__ import annotations

import asyncio
import threading

import flet as ft

from fletsafe import Lifetime, get_atomic_state_manager

from . import backend


class ClientsView:
    def __init__(self, page: ft.Page) -> None:
        self.page = page
        self.lifetime = Lifetime("clients")
        self.rows = ft.Column()
        self.search = ft.TextField(label="Search", on_change=self.on_search)
        self.refresh_button = ft.Button("Refresh", on_click=self.on_refresh)
        self.view = ft.View(route="/", controls=[self.search, self.refresh_button, self.rows])
        self.stop_sync = threading.Event()
        self.lifetime.tasks.create_task("refresh", self.refresh_forever)
        self.lifetime.handlers.subscribe(page.pubsub, self.on_clients_changed, topic="clients")
        self.lifetime.handlers.register_page_handler(page, "resize", self.on_resize)
        page.run_thread(self.sync_address_book)

    async def refresh_forever(self) -> None:
        while True:
            await self.load(self.search.value or "")  # the current query, whoever loads last
            await asyncio.sleep(30)

    async def load(self, query: str = "") -> None:
        self.rows.controls = [ft.Text(name) for name in await backend.fetch_clients(query)]

    async def on_refresh(self, e: ft.ControlEvent) -> None:
        await self.load(self.search.value or "")

    async def on_search(self, e: ft.ControlEvent) -> None:
        await self.load(e.data or "")

    def on_clients_changed(self, topic: str, message: object) -> None:
        self.lifetime.tasks.create_task("reload", self.load(self.search.value or ""))

    def on_resize(self, e: ft.PageResizeEvent) -> None:
        self.rows.spacing = 4 if (e.width or 0) < 600 else 10

    def sync_address_book(self) -> None:
        self.stop_sync.wait(5)

    async def aclose(self) -> None:
        self.stop_sync.set()
        await self.lifetime.aclose()


class SettingsView:
    def __init__(self, page: ft.Page) -> None:
        self.page = page
        self.lifetime = Lifetime("settings")
        self.state = get_atomic_state_manager()
        self.name_field = ft.TextField(label="Display name", on_change=self.on_change)
        self.discard_button = ft.Button("Discard", on_click=self.on_discard)
        self.export_button = ft.Button("Export", on_click=self.on_export)
        self.rename_button = ft.Button("Title case", on_click=self.on_rename)
        self.status = ft.Text()
        self.view = ft.View(
            route="/settings",
            controls=[
                self.name_field,
                self.discard_button,
                self.export_button,
                self.rename_button,
                self.status,
            ],
        )
        self.dialog = ft.AlertDialog(title=ft.Text("Discard changes?"))
        self.lifetime.handlers.add_overlay(page, self.dialog)  # one dialog, reused

    def on_change(self, e: ft.ControlEvent) -> None:
        # Same name: a newer keystroke replaces the pending save (a real debounce).
        self.lifetime.tasks.create_task("autosave", self.autosave(e.data or ""))

    async def autosave(self, name: str) -> None:
        await asyncio.sleep(0.01)  # debounce
        async with self.state.atomic_update("settings"):
            await backend.save_settings({"name": name})
            self.state.set("settings", {"name": name})

    async def on_rename(self, e: ft.ControlEvent) -> None:
        await asyncio.sleep(0.15)  # the same wait, without freezing the UI
        self.name_field.value = (self.name_field.value or "").title()

    def on_discard(self, e: ft.ControlEvent) -> None:
        self.dialog.open = True
        self.page.update()

    async def on_export(self, e: ft.ControlEvent) -> None:
        try:
            await backend.export_clients()
        except ConnectionError as error:  # handled where it happens, shown to the user
            self.status.value = f"Export failed: {error}"
        self.page.pubsub.send_all_on_topic("clients", "exported")

    async def aclose(self) -> None:
        await self.lifetime.aclose()


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
        """Called when the window closes: every view disposes what it started."""
        await self.settings.aclose()
        await self.clients.aclose()
        self.page.update()


def main(page: ft.Page) -> ContactsApp:
    return ContactsApp(page)
