"""The main job: pytest-fletsafe on the bundled contacts app — leaks, a race, the fixed app.

Run: ``python examples/main_job.py``. It runs the app's own test suite
(``examples/contacts/test_contacts.py``) on a real in-process Flet page three times:

1. the leaky version's scenarios must fail with every kind of leak reported at its line;
2. the leaky version's state machine must find its seeded race and shrink it to a minimal
   script of steps;
3. the fixed version must pass everything.

Exits 0 when all three happen.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(title: str, selection: str) -> int:
    print(f"\n=== {title}: pytest examples/contacts -k {selection!r} ===", flush=True)
    command = [sys.executable, "-m", "pytest", "examples/contacts", "-k", selection]
    command += ["-p", "no:cacheprovider", "-q", "--show-capture=no", "--tb=short"]
    return subprocess.run(command, cwd=ROOT, check=False).returncode


def main() -> int:
    leaks = run("leaks", "leaky and not StateMachine")
    race = run("race", "StateMachineLeaky")
    fixed = run("fixed app", "fixed")
    print("\n=== summary ===")
    print(
        "leaky version, scenarios: "
        + ("leaks caught (tests failed, as they should)" if leaks == 1 else f"UNEXPECTED {leaks}")
    )
    print(
        "leaky version, state machine: "
        + ("race found and shrunk (see the script above)" if race == 1 else f"UNEXPECTED {race}")
    )
    print("fixed version: " + ("clean (all tests passed)" if fixed == 0 else f"UNEXPECTED {fixed}"))
    return 0 if (leaks, race, fixed) == (1, 1, 0) else 1


if __name__ == "__main__":
    sys.exit(main())
