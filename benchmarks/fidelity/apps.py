"""Fifteen small Flet 1.x apps in the style of Flet's own examples, run unmodified.

Each is a ``main(page)`` as a Flet app would pass to ``ft.run``. ``timer_forever`` is the
one with a real leak: its clock loop never stops, so closing the window leaves it running.
"""

from __future__ import annotations

import asyncio

import flet as ft


def counter(page: ft.Page) -> None:
    page.title = "Counter"
    value = ft.TextField(value="0", text_align=ft.TextAlign.RIGHT, width=100)

    def change(delta: int) -> None:
        value.value = str(int(value.value or 0) + delta)
        page.update()

    page.add(
        ft.Row(
            [
                ft.IconButton(ft.Icons.REMOVE, on_click=lambda e: change(-1)),
                value,
                ft.IconButton(ft.Icons.ADD, on_click=lambda e: change(1)),
            ]
        )
    )


def todo(page: ft.Page) -> None:
    items = ft.Column()
    new_task = ft.TextField(hint_text="What needs to be done?", expand=True)

    def add(e: ft.ControlEvent) -> None:
        items.controls.append(ft.Checkbox(label=new_task.value or "task"))
        new_task.value = ""
        page.update()

    page.add(ft.Row([new_task, ft.FloatingActionButton(icon=ft.Icons.ADD, on_click=add)]), items)


def calculator(page: ft.Page) -> None:
    result = ft.Text("0")
    state = {"value": 0}

    def press(digit: int) -> None:
        state["value"] = state["value"] * 10 + digit
        result.value = str(state["value"])
        page.update()

    def clear(e: ft.ControlEvent) -> None:
        state["value"] = 0
        result.value = "0"
        page.update()

    buttons = [ft.Button(str(d), on_click=lambda e, d=d: press(d)) for d in range(10)]
    page.add(result, ft.Row(buttons), ft.Button("AC", on_click=clear))


def routing(page: ft.Page) -> None:
    async def open_settings(e: ft.ControlEvent) -> None:
        await page.push_route("/settings")

    def route_change(e: ft.RouteChangeEvent) -> None:
        page.views.clear()
        page.views.append(
            ft.View(route="/", controls=[ft.Button("Settings", on_click=open_settings)])
        )
        if page.route == "/settings":
            page.views.append(ft.View(route="/settings", controls=[ft.Text("Settings")]))
        page.update()

    page.on_route_change = route_change
    route_change(ft.RouteChangeEvent(name="route_change", control=page, route=page.route))


def dialog(page: ft.Page) -> None:
    dlg = ft.AlertDialog(
        title=ft.Text("Please confirm"),
        actions=[ft.TextButton("Yes", on_click=lambda e: page.pop_dialog())],
    )
    page.add(ft.Button("Open dialog", on_click=lambda e: page.show_dialog(dlg)))


def snack_bar(page: ft.Page) -> None:
    def show(e: ft.ControlEvent) -> None:
        page.show_dialog(ft.SnackBar(ft.Text("Saved")))

    page.add(ft.Button("Save", on_click=show))


async def timer_forever(page: ft.Page) -> None:
    clock = ft.Text("0")
    page.add(clock)

    async def tick() -> None:
        seconds = 0
        while True:  # never stops: the leak a test should catch
            await asyncio.sleep(1)
            seconds += 1
            clock.value = str(seconds)
            page.update()

    page.run_task(tick)


async def timer_stopped(page: ft.Page) -> None:
    clock = ft.Text("0")
    running = {"on": True}

    async def tick() -> None:
        while running["on"]:
            await asyncio.sleep(0.01)
            clock.value = str(int(clock.value or 0) + 1)

    def stop(e: ft.ControlEvent) -> None:
        running["on"] = False

    page.on_close = stop
    page.add(clock, ft.Button("Stop", on_click=stop))
    page.run_task(tick)


def chat(page: ft.Page) -> None:
    messages = ft.Column()
    text = ft.TextField(hint_text="Message")

    def on_message(message: str) -> None:
        messages.controls.append(ft.Text(message))
        page.update()

    def send(e: ft.ControlEvent) -> None:
        page.pubsub.send_all(text.value or "hi")
        text.value = ""

    page.pubsub.subscribe(on_message)
    page.on_close = lambda e: page.pubsub.unsubscribe_all()
    page.add(messages, ft.Row([text, ft.Button("Send", on_click=send)]))


def clipboard_service(page: ft.Page) -> None:
    async def copy(e: ft.ControlEvent) -> None:
        await ft.Clipboard().set("copied")

    page.add(ft.Button("Copy", on_click=copy))


def form(page: ft.Page) -> None:
    name = ft.TextField(label="Name")
    email = ft.TextField(label="Email")
    status = ft.Text()

    def submit(e: ft.ControlEvent) -> None:
        name.error = None if name.value else "Required"
        status.value = "Thanks!" if name.value else "Fix the errors"
        page.update()

    page.add(name, email, ft.Button("Submit", on_click=submit), status)


@ft.component
def ComponentCounter() -> ft.Control:
    count, set_count = ft.use_state(0)
    return ft.Button(f"Clicked {count} times", on_click=lambda e: set_count(count + 1))


def component_counter(page: ft.Page) -> None:
    page.render(ComponentCounter)


@ft.component
def ComponentClock() -> ft.Control:
    seconds, set_seconds = ft.use_state(0)

    async def tick() -> None:
        while True:
            await asyncio.sleep(1)
            set_seconds(lambda s: s + 1)

    def start() -> object:
        task = asyncio.get_running_loop().create_task(tick())
        return task.cancel  # the effect's cleanup cancels it

    ft.use_effect(start, [])
    return ft.Text(f"{seconds} s")


def component_clock(page: ft.Page) -> None:
    page.render(ComponentClock)


def tabs_and_dropdown(page: ft.Page) -> None:
    choice = ft.Text()
    dropdown = ft.Dropdown(
        options=[ft.DropdownOption("red"), ft.DropdownOption("green")],
        on_select=lambda e: setattr(choice, "value", e.data),
    )
    page.add(dropdown, choice, ft.Button("Reset", on_click=lambda e: setattr(choice, "value", "")))


def theme_toggle(page: ft.Page) -> None:
    def toggle(e: ft.ControlEvent) -> None:
        page.theme_mode = (
            ft.ThemeMode.DARK if page.theme_mode != ft.ThemeMode.DARK else ft.ThemeMode.LIGHT
        )
        page.update()

    page.add(ft.IconButton(ft.Icons.BRIGHTNESS_6, on_click=toggle))


APPS = {
    fn.__name__: fn
    for fn in (
        counter,
        todo,
        calculator,
        routing,
        dialog,
        snack_bar,
        timer_forever,
        timer_stopped,
        chat,
        clipboard_service,
        form,
        component_counter,
        component_clock,
        tabs_and_dropdown,
        theme_toggle,
    )
}
