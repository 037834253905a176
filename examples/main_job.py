"""The main job: pytest-fletsafe on the bundled contacts app, the leaky version then the fixed.

Run: ``python examples/main_job.py``. It runs the app's own test suite
(``examples/contacts/test_contacts.py``) on a real in-process Flet page twice: the leaky
version must fail with every kind of leak reported at its line, the fixed version must pass.
Exits 0 when both happen.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(version: str) -> int:
    print(f"\n=== pytest examples/contacts -k {version} ===", flush=True)
    command = [sys.executable, "-m", "pytest", "examples/contacts", "-k", version]
    command += ["-p", "no:cacheprovider", "-q", "--show-capture=no", "--tb=short"]
    return subprocess.run(command, cwd=ROOT, check=False).returncode


def main() -> int:
    leaky = run("leaky")
    fixed = run("fixed")
    print("\n=== summary ===")
    caught = "leaks caught (tests failed, as they should)"
    print(f"leaky version: {caught if leaky == 1 else f'UNEXPECTED exit {leaky}'}")
    clean = "clean (all tests passed)"
    print(f"fixed version: {clean if fixed == 0 else f'UNEXPECTED exit {fixed}'}")
    return 0 if (leaky, fixed) == (1, 0) else 1


if __name__ == "__main__":
    sys.exit(main())
