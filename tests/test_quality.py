"""The quality gates run as tests, so the README's test command (and CI) enforces them.

Needs the ``dev`` extra; tox's per-version envs deselect this file and run the gates as
their own ``lint``, ``type`` and ``docs`` envs.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ["src", "pytest_fletsafe", "tests", "benchmarks", "examples"]


def _run(*args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_check() -> None:
    _run("ruff", "check", *SOURCES)


def test_ruff_format() -> None:
    _run("ruff", "format", "--check", *SOURCES)


def test_mypy_strict_on_both_packages() -> None:
    _run("mypy")


def test_docs_build_strict(tmp_path: Path) -> None:
    _run("mkdocs", "build", "--strict", "-f", "docs/mkdocs.yml", "-d", str(tmp_path / "site"))
