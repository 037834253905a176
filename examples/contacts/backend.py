"""A stand-in for the app's backend: slow enough to interleave, small enough to read."""

from __future__ import annotations

import asyncio

CLIENTS = ["Ann Archer", "Bob Baker", "Cleo Cole", "Dan Diaz", "Eve Evans"]


async def fetch_clients(query: str = "") -> list[str]:
    await asyncio.sleep(0.001)
    return [c for c in CLIENTS if query.lower() in c.lower()]


async def save_settings(settings: dict[str, str]) -> None:
    await asyncio.sleep(0.05)


async def export_clients() -> None:
    await asyncio.sleep(0.001)
    raise ConnectionError("export service unreachable")
