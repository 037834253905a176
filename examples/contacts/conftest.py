"""Run every scenario against both versions of the app."""

from __future__ import annotations

import importlib
from types import ModuleType

import pytest


@pytest.fixture(params=["leaky", "fixed"])
def app_module(request: pytest.FixtureRequest) -> ModuleType:
    return importlib.import_module(f".{request.param}", __package__)
