"""Every option, ini key and marker of the plugin, and how they combine.

One place to read what can be configured. Each setting has one resolver applying one
order: **marker (closest to the test wins) > command line > ini > default**. Bad values
raise ``pytest.UsageError`` naming the value — at configure time for options and ini keys,
at collection time for markers — never an INTERNALERROR mid-run.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pytest

__all__ = ["DETECTORS", "Settings", "add_options", "check_config", "settings_for"]

LEAKCHECK_OPTION = "--leakcheck"
LEAKCHECK_DEST = "fletsafe_leakcheck"
INI_LEAKCHECK = "leakcheck"
INI_GRACE = "leakcheck_grace"
INI_ALLOW = "leakcheck_allow"
INI_BLOCKING = "leakcheck_blocking"
MARKER = "leakcheck"

#: The detectors, each switchable per test with ``leakcheck(<name>=False)``.
DETECTORS = ("tasks", "threads", "handlers", "pubsub", "locks", "errors")
_MARKER_KWARGS = frozenset({"enabled", *DETECTORS, "blocking", "grace", "allow"})
DEFAULT_GRACE = 0.1

MARKER_HELP = (
    "leakcheck(enabled=True, tasks=True, threads=True, handlers=True, pubsub=True, locks=True, "
    "errors=True, blocking=None, grace=None, allow=[]): fail the test if it leaves tasks, "
    "threads, handlers, subscriptions or held locks behind (also checks tasks and threads "
    "started outside fletsafe's fixtures). leakcheck(enabled=False) opts out."
)


@dataclass(frozen=True)
class Settings:
    """What to check after one test."""

    enabled: bool
    process_wide: bool
    """Also check every asyncio task and thread the test started (``--leakcheck``/marker)."""
    detectors: frozenset[str]
    grace: float
    blocking: float | None
    allow: tuple[str, ...]


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("fletsafe", "leak checks for async Flet apps (pytest-fletsafe)")
    group.addoption(
        LEAKCHECK_OPTION,
        action="store_true",
        dest=LEAKCHECK_DEST,
        default=None,
        help="check every test for asyncio tasks and threads it left running, not only the "
        "tests that use fletsafe's fixtures or the leakcheck marker",
    )
    parser.addini(INI_LEAKCHECK, "like --leakcheck, for every run (true/false)", default="false")
    parser.addini(
        INI_GRACE,
        f"seconds a leftover may take to finish before it counts as a leak (default "
        f"{DEFAULT_GRACE})",
        default=str(DEFAULT_GRACE),
    )
    parser.addini(
        INI_ALLOW, "glob patterns of task/thread/handler names never reported", "linelist"
    )
    parser.addini(
        INI_BLOCKING,
        "report loop callbacks running longer than this many seconds (empty: off)",
        default="",
    )


def _usage(where: str, name: str, value: object, expected: str) -> pytest.UsageError:
    return pytest.UsageError(f"fletsafe: {where} {name}={value!r} is invalid: expected {expected}")


def _parse_bool(where: str, name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "1", "yes", "on"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "0", "no", "off", ""):
        return False
    raise _usage(where, name, value, "true or false")


def _parse_seconds(where: str, name: str, value: object, *, allow_zero: bool) -> float:
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            raise _usage(where, name, value, "a number of seconds") from None
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    else:
        raise _usage(where, name, value, "a number of seconds")
    if not math.isfinite(number) or number < 0 or (number == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise _usage(where, name, value, f"a finite number of seconds {bound}")
    return number


def _parse_allow(where: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Iterable) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise _usage(where, "allow", value, "a glob pattern or a list of them")


_INI = pytest.StashKey[dict[str, Any]]()


def _ini(config: pytest.Config) -> dict[str, Any]:
    cached = config.stash.get(_INI, None)
    if cached is not None:
        return cached
    blocking = str(config.getini(INI_BLOCKING)).strip()
    config.stash[_INI] = parsed = {
        "process_wide": _parse_bool("ini", INI_LEAKCHECK, config.getini(INI_LEAKCHECK)),
        "grace": _parse_seconds("ini", INI_GRACE, config.getini(INI_GRACE), allow_zero=True),
        "allow": tuple(config.getini(INI_ALLOW)),
        "blocking": None
        if not blocking
        else _parse_seconds("ini", INI_BLOCKING, blocking, allow_zero=False),
    }
    return parsed


def check_config(config: pytest.Config) -> None:
    """Validate the ini keys once, at configure time."""
    _ini(config)


def _marker_kwargs(item: pytest.Item) -> dict[str, Any] | None:
    """The leakcheck marker's arguments, closest to the test winning; None if unmarked."""
    markers = list(item.iter_markers(MARKER))
    if not markers:
        return None
    merged: dict[str, Any] = {}
    for marker in reversed(markers):  # farthest (module) first, so closer ones override
        where = f"@pytest.mark.{MARKER} on {item.nodeid}:"
        if marker.args:
            raise pytest.UsageError(
                f"fletsafe: {where} positional arguments {marker.args!r} are not accepted; "
                f"use keywords: {', '.join(sorted(_MARKER_KWARGS))}"
            )
        unknown = set(marker.kwargs) - _MARKER_KWARGS
        if unknown:
            raise pytest.UsageError(
                f"fletsafe: {where} unknown argument(s) {', '.join(sorted(unknown))}; "
                f"known: {', '.join(sorted(_MARKER_KWARGS))}"
            )
        merged.update(marker.kwargs)
    return merged


_UNMARKED = pytest.StashKey[Settings]()


def settings_for(item: pytest.Item) -> Settings:
    """Resolve marker > command line > ini > default for ``item``."""
    config = item.config
    marker = _marker_kwargs(item)
    if marker is None:  # the common case: one shared object per run
        cached = config.stash.get(_UNMARKED, None)
        if cached is None:
            cached = config.stash[_UNMARKED] = _resolve(config, None, item.nodeid)
        return cached
    return _resolve(config, marker, item.nodeid)


def _resolve(config: pytest.Config, marker: dict[str, Any] | None, nodeid: str) -> Settings:
    ini = _ini(config)
    where = f"@pytest.mark.{MARKER} on {nodeid}:"
    kwargs = marker or {}
    cli = config.getoption(LEAKCHECK_DEST)
    detectors = frozenset(
        name for name in DETECTORS if _parse_bool(where, name, kwargs.get(name, True))
    )
    blocking = kwargs.get("blocking", ini["blocking"])
    return Settings(
        enabled=_parse_bool(where, "enabled", kwargs.get("enabled", True)),
        process_wide=marker is not None or bool(cli) or ini["process_wide"],
        detectors=detectors,
        grace=_parse_seconds(where, "grace", kwargs["grace"], allow_zero=True)
        if "grace" in kwargs
        else ini["grace"],
        blocking=None
        if blocking is None
        else _parse_seconds(where, "blocking", blocking, allow_zero=False),
        allow=ini["allow"] + (_parse_allow(where, kwargs["allow"]) if "allow" in kwargs else ()),
    )
