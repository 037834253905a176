"""Every option, ini key and marker of the plugin, and how they combine.

One place to read what can be configured. Each setting has one resolver applying one
order: **marker (closest to the test wins) > command line > ini > default**. Bad values
raise ``pytest.UsageError`` naming the value — at configure time for options and ini keys,
at collection time for markers — never an INTERNALERROR mid-run.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Iterable, Sequence
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
_MARKER_KWARGS = frozenset({"enabled", *DETECTORS, "blocking", "grace", "allow", "growth"})
DEFAULT_GRACE = 0.1

MARKER_HELP = (
    "leakcheck(enabled=True, tasks=True, threads=True, handlers=True, pubsub=True, locks=True, "
    "errors=True, blocking=None, grace=None, allow=[], growth=None): fail the test if it "
    "leaves tasks, "
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
    growth: int | None = None
    """Repeat the test body this many times and fail if anything keeps growing."""


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


def _merged_kwargs(
    item: pytest.Item, marker_name: str, known: frozenset[str], marks: Sequence[pytest.Mark] | None
) -> dict[str, Any] | None:
    """A marker's keyword arguments over test, class and module, the closest winning.

    ``marks``: every mark of the item, closest first (``item.iter_markers()``), when the
    caller already has them. None if the item has no such marker; positional or unknown
    arguments are UsageErrors.
    """
    if marks is None:
        marks = list(item.iter_markers())
    markers = [mark for mark in marks if mark.name == marker_name]
    if not markers:
        return None
    where = f"@pytest.mark.{marker_name} on {item.nodeid}:"
    merged: dict[str, Any] = {}
    for marker in reversed(markers):  # farthest (module) first, so closer ones override
        if marker.args:
            raise pytest.UsageError(
                f"fletsafe: {where} positional arguments {marker.args!r} are not accepted; "
                f"use keywords: {', '.join(sorted(known))}"
            )
        unknown = set(marker.kwargs) - known
        if unknown:
            raise pytest.UsageError(
                f"fletsafe: {where} unknown argument(s) {', '.join(sorted(unknown))}; "
                f"known: {', '.join(sorted(known))}"
            )
        merged.update(marker.kwargs)
    return merged


_UNMARKED = pytest.StashKey[Settings]()


def machine_settings(grace: float) -> Settings:
    """What a FletStateMachine checks: every detector on its own objects, nothing else of
    the process (hypothesis runs many examples in one test)."""
    return Settings(
        enabled=True,
        process_wide=False,
        detectors=frozenset(DETECTORS),
        grace=grace,
        blocking=None,
        allow=(),
    )


def settings_for(item: pytest.Item, marks: Sequence[pytest.Mark] | None = None) -> Settings:
    """Resolve marker > command line > ini > default for ``item``."""
    config = item.config
    marker = _merged_kwargs(item, MARKER, _MARKER_KWARGS, marks)
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
        growth=_parse_growth(where, kwargs.get("growth")),
    )


def _parse_growth(where: str, value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 4:
        raise _usage(where, "growth", value, "a number of repetitions >= 4")
    return value


# -- the interleaving fuzzer -----------------------------------------------------------------

INTERLEAVINGS = "interleavings"
EXAMPLES_OPTION = "--interleavings-examples"
EXAMPLES_DEST = "fletsafe_interleavings_examples"
SEED_OPTION = "--interleavings-seed"
SEED_DEST = "fletsafe_interleavings_seed"
INI_EXAMPLES = "interleavings_examples"
DEFAULT_EXAMPLES = 200
_STRATEGIES = ("both", "random", "pct")
_INTERLEAVINGS_KWARGS = frozenset({"max_examples", "strategy", "depth", "seed", "replay", "jitter"})
REPLAY_PREFIX = "v1:"

INTERLEAVINGS_HELP = (
    "interleavings(max_examples=200, strategy='both'|'random'|'pct', depth=3, seed=0, "
    "jitter=0, replay=None): "
    "run this async test under a controlled event loop once per explored schedule; a failure "
    "is shrunk to its fewest deviations and reported with a replay token."
)


@dataclass(frozen=True)
class InterleavingSettings:
    """How to explore one test's interleavings."""

    examples: int
    strategy: str
    depth: int
    seed: int
    replay: tuple[int, ...] | None
    jitter: float = 0.0
    """Timers may fire up to this many (virtual) seconds late; 0 = exactly on time."""


def add_interleaving_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("fletsafe")
    group.addoption(
        EXAMPLES_OPTION,
        dest=EXAMPLES_DEST,
        type=_positive_int_option,
        default=None,
        metavar="N",
        help="schedules to explore per interleavings test (wins over the marker, so a CI "
        "profile can raise or lower every budget)",
    )
    group.addoption(
        SEED_OPTION,
        dest=SEED_DEST,
        type=int,
        default=None,
        metavar="SEED",
        help="base seed of the explored schedules (default 0; xdist workers offset it)",
    )
    parser.addini(
        INI_EXAMPLES,
        f"default schedules per interleavings test (default {DEFAULT_EXAMPLES})",
        default=str(DEFAULT_EXAMPLES),
    )


def _positive_int_option(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} must be at least 1")
    return number


def _positive_int(where: str, name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise _usage(where, name, value, "a whole number >= 1")
    try:
        number = int(value)
    except ValueError:
        raise _usage(where, name, value, "a whole number >= 1") from None
    if number < 1:
        raise _usage(where, name, value, "a whole number >= 1")
    return number


def parse_replay(where: str, value: object) -> tuple[int, ...]:
    """``"v1:0.0.1.1"`` -> ``(0, 0, 1, 1)``."""
    if not isinstance(value, str) or not value.startswith(REPLAY_PREFIX):
        raise _usage(where, "replay", value, f"a token like '{REPLAY_PREFIX}0.2.1'")
    body = value[len(REPLAY_PREFIX) :]
    try:
        decisions = tuple(int(part) for part in body.split(".")) if body else ()
    except ValueError:
        raise _usage(where, "replay", value, f"a token like '{REPLAY_PREFIX}0.2.1'") from None
    if any(d < 0 for d in decisions):
        raise _usage(where, "replay", value, "non-negative decisions")
    return decisions


def interleavings_for(
    item: pytest.Item, marks: Sequence[pytest.Mark] | None = None
) -> InterleavingSettings | None:
    """The interleavings marker's settings (closest wins), or None if unmarked."""
    kwargs = _merged_kwargs(item, INTERLEAVINGS, _INTERLEAVINGS_KWARGS, marks)
    if kwargs is None:
        return None
    where = f"@pytest.mark.{INTERLEAVINGS} on {item.nodeid}:"
    config = item.config
    cli_examples = config.getoption(EXAMPLES_DEST)
    ini_examples = _positive_int("ini", INI_EXAMPLES, config.getini(INI_EXAMPLES))
    strategy = kwargs.get("strategy", "both")
    if strategy not in _STRATEGIES:
        raise _usage(where, "strategy", strategy, "one of " + ", ".join(map(repr, _STRATEGIES)))
    seed = kwargs.get("seed", config.getoption(SEED_DEST) or 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise _usage(where, "seed", seed, "a whole number")
    return InterleavingSettings(
        examples=cli_examples
        or (
            _positive_int(where, "max_examples", kwargs["max_examples"])
            if "max_examples" in kwargs
            else ini_examples
        ),
        strategy=strategy,
        depth=_positive_int(where, "depth", kwargs.get("depth", 3)),
        seed=seed,
        replay=parse_replay(where, kwargs["replay"]) if kwargs.get("replay") is not None else None,
        jitter=_parse_seconds(where, "jitter", kwargs.get("jitter", 0), allow_zero=True),
    )
