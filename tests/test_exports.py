"""The public surface: small, documented, and layered one way."""

from __future__ import annotations

import subprocess
import sys

import fletsafe


def test_every_public_name_is_exported_and_documented() -> None:
    for name in fletsafe.__all__:
        obj = getattr(fletsafe, name)
        assert obj.__doc__, f"fletsafe.{name} has no docstring"
    # "@py_*" names: pytest rewrites every module of a distribution with a pytest11 entry point.
    public = {n for n in dir(fletsafe) if not n.startswith(("_", "@"))}
    assert public == set(fletsafe.__all__)


def _modules_after(statement: str) -> set[str]:
    """The modules a fresh interpreter has loaded after running ``statement``."""
    code = f"import sys; {statement}; print(*sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_importing_the_runtime_loads_neither_pytest_nor_flet() -> None:
    assert {"pytest", "flet", "hypothesis"} & _modules_after("import fletsafe") == set()


def test_the_runtime_builds_its_classes_only_when_asked_for() -> None:
    # The plugin needs only creation sites for tests that use none of the managers.
    loaded = _modules_after("import fletsafe._sites")
    assert {m for m in loaded if m.startswith("fletsafe.")} == {"fletsafe._sites"}


def test_loading_the_plugin_imports_neither_flet_nor_the_runtime() -> None:
    # Runs that use nothing of fletsafe's should not pay ~100 ms of imports for it.
    loaded = _modules_after("import pytest_fletsafe.plugin")
    assert {"flet", "fletsafe", "msgpack", "hypothesis"} & loaded == set()


def test_the_plugin_exports_its_client_types_lazily() -> None:
    import pytest_fletsafe

    assert pytest_fletsafe.FletClient.__name__ == "FletClient"
    assert issubclass(pytest_fletsafe.HandlerError, AssertionError)
    assert set(pytest_fletsafe.__all__) == {
        "FletClient",
        "FletStateMachine",
        "GrowthError",
        "HandlerError",
        "SentMessage",
        "assert_no_growth",
        "schedules",
    }
    for name in pytest_fletsafe.__all__:
        assert getattr(pytest_fletsafe, name).__doc__, name
