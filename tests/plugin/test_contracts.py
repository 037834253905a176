"""Private names of pytest-asyncio and Flet that the plugin relies on.

If an upgrade moves one of them, these fail first, with a name to look for.
"""

from __future__ import annotations

import inspect

import pytest_asyncio.plugin
from flet.messaging.session import Session

from pytest_fletsafe.fixtures import _runner_fixture


def test_pytest_asyncio_has_a_runner_fixture_per_scope() -> None:
    for scope in ("function", "class", "module", "package", "session"):
        assert hasattr(pytest_asyncio.plugin, f"_{scope}_scoped_runner")
    assert _runner_fixture(["x", "_module_scoped_runner"]) == "_module_scoped_runner"
    assert _runner_fixture(["x"]) == "_function_scoped_runner"


def test_session_has_what_the_simulated_client_calls() -> None:
    for name in (
        "apply_page_patch",
        "apply_patch",
        "get_page_patch",
        "dispatch_event",
        "after_event",
        "handle_invoke_method_results",
        "disconnect",
        "close",
    ):
        assert callable(getattr(Session, name)), name
    assert inspect.iscoroutinefunction(Session.dispatch_event)
    assert inspect.iscoroutinefunction(Session.disconnect)
