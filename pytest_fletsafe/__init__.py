"""pytest-fletsafe: the pytest plugin that proves Flet apps leave nothing behind.

The plugin module (:mod:`pytest_fletsafe.plugin`) is loaded through the ``pytest11`` entry
point ``fletsafe``; disable it with ``-p no:fletsafe``.
"""

__all__: list[str] = []
