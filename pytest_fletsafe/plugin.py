"""The pytest entry point (``pytest11: fletsafe``).

Fixtures and leak detectors arrive with the plugin-core work; for now the plugin only
makes fletsafe's own frames invisible in creation sites.
"""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    from fletsafe._sites import skip_directory

    skip_directory(__file__.rsplit("/", 1)[0])
