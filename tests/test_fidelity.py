"""Real Flet apps run unmodified on the in-process page (benchmarks/fidelity/)."""

from __future__ import annotations

import sys
from pathlib import Path

FIDELITY = Path(__file__).resolve().parents[1] / "benchmarks" / "fidelity"


def test_every_app_runs_and_the_endless_timer_is_reported_as_a_leak() -> None:
    sys.path.insert(0, str(FIDELITY))
    try:
        from run import run_all  # type: ignore[import-not-found]

        reports = {r.name: r for r in run_all()}
    finally:
        sys.path.remove(str(FIDELITY))
        sys.modules.pop("run", None)
        sys.modules.pop("apps", None)
    assert len(reports) >= 15
    assert [(name, r.crash) for name, r in reports.items() if r.crash or not r.ran] == []
    assert [name for name, r in reports.items() if r.handler_errors] == []
    assert any("tick" in leak for leak in reports["timer_forever"].leaks)
    assert reports["timer_stopped"].leaks == []  # it stops on close: not a leak
    assert reports["calculator"].clicks == 11  # every clickable control was clicked
