"""Run code in threads with a deadline: a deadlock fails the test instead of hanging it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def run_threads(targets: list[Callable[[], object]], seconds: float = 10.0) -> None:
    """Start a thread per target, join with a deadline, re-raise the first error."""
    errors: list[BaseException] = []

    def guarded(target: Callable[[], object]) -> Callable[[], None]:
        def run() -> None:
            try:
                target()
            except BaseException as exc:
                errors.append(exc)

        return run

    threads = [threading.Thread(target=guarded(t), daemon=True) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds)
    stuck = [t for t in threads if t.is_alive()]
    assert not stuck, f"{len(stuck)} thread(s) deadlocked"
    if errors:
        raise errors[0]


def call_in_thread(fn: Callable[[], Any], seconds: float = 5.0) -> Any:
    """Call ``fn`` in one thread with a deadline and return its result."""
    result: list[Any] = []
    run_threads([lambda: result.append(fn())], seconds)
    return result[0]
