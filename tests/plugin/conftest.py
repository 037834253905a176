"""The shared tester: every plugin test writes a small test file and runs pytest on it."""

from __future__ import annotations

import pytest

# Imported before pytester snapshots sys.modules, so every in-process run shares one copy of
# Flet. Otherwise a run that first imports Flet's submodules has them removed afterwards,
# while the root package (loaded with Flet's pytest plugin) keeps its cached ft.Button & co.
import pytest_fletsafe._client  # noqa: F401

INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
"""


@pytest.fixture
def tester(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini(INI)
    return pytester
