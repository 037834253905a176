"""The README's main job: the plugin on the bundled contacts app catches every kind of leak
in the leaky version, each at its line, and passes the fixed version."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LEAKY = ROOT / "examples" / "contacts" / "leaky.py"


def _line_of(marker: str) -> int:
    """The line of leaky.py carrying ``# LEAK <marker>``."""
    for number, line in enumerate(LEAKY.read_text().splitlines(), start=1):
        if f"# LEAK {marker}" in line:
            return number
    raise AssertionError(f"no '# LEAK {marker}' line in leaky.py")


def test_main_job_catches_every_leak_at_its_line_and_passes_the_fixed_app() -> None:
    result = subprocess.run(
        [sys.executable, "examples/main_job.py"], cwd=ROOT, capture_output=True, text=True
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    expected = {
        "task": "still running (run_task)",
        "untracked task": "still pending",
        "thread": "still running (run_thread)",
        "handler": "page handler still attached",
        "overlay": "still in page.overlay",
        "pubsub": "still subscribed on topic 'clients'",
        "lock": "lock 'settings' still held",
        "error": "raised ConnectionError('export service unreachable')",
        "blocking": "blocked the loop for",
    }
    for marker, text in expected.items():
        site = f"leaky.py:{_line_of(marker)}"
        assert any(text in line and line.endswith(site) for line in out.splitlines()), (
            f"{marker}: no line with {text!r} at {site}\n{out}"
        )
    assert "fixed version: clean (all tests passed)" in out
    # The state machine finds the seeded race (the refresh ignores the search box) and
    # shrinks it to: open, search, let the refresh run.
    script = out[out.index("state = LeakyMachine()") : out.index("state.teardown()")]
    steps = [line.split("state.")[1] for line in script.splitlines()[1:] if "state." in line]
    actions = [step for step in steps if not step.startswith(("fletsafe_", "rows_match"))]
    assert actions == ["open_app()", "search(query='an')", "wait_for_the_next_refresh()"], script
    assert "race found and shrunk" in out


def test_the_example_suite_needs_no_test_extra() -> None:
    # The README's main command installs only the package: the project's pytest config must
    # not need pytest-timeout or pytest-xdist (an unknown ini key is an error with -W error).
    result = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "--collect-only", "-q"),
            *("-p", "no:timeout", "-p", "no:xdist", "-p", "no:cacheprovider"),
            "examples/contacts",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
