"""What the leak checks cost per test: ``--leakcheck`` (every detector, every test) against
``-p no:fletsafe``, on 1,000 trivial async tests and 1,000 trivial sync tests.

Run: ``python benchmarks/bench_plugin.py`` (``--tests N`` to change the count; ``--wall``
for wall-clock time, ``--callgrind`` for instruction counts).

All configurations run as subprocesses of this one script, in rounds that run each once
back to back (in alternating order), measured in CPU time by default; it reports the best
against the best, and the median of the per-round ratios (drift hits a round's runs alike).
The ratio is what counts: these machines are shared and noisy (two runs of the very same
configuration differ by up to 10 % here, so take the median over many rounds). Every
configuration is run once first, unmeasured, with bytecode caching on
(``PYTHONDONTWRITEBYTECODE`` removed), as on any default Python: otherwise each run would
recompile and re-rewrite every plugin module, a start-up cost that is not per test.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

INI = """[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
"""


def _write_suite(root: Path, count: int) -> None:
    (root / "pytest.ini").write_text(INI)
    async_tests = "\n".join(f"async def test_async_{i}():\n    pass\n" for i in range(count))
    sync_tests = "\n".join(f"def test_sync_{i}():\n    pass\n" for i in range(count))
    (root / "test_async.py").write_text(async_tests)
    (root / "test_sync.py").write_text(sync_tests)


_NO_BYTECODE_CACHE = False  # --no-bytecode-cache: every run compiles from source


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    if _NO_BYTECODE_CACHE:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return {**env, **extra}


def _pytest(root: Path, args: list[str]) -> None:
    """One quiet pytest run of the suite (also the unmeasured warm-up)."""
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=root,
        check=True,
        stdout=subprocess.DEVNULL,
        env=_env(),
    )


def _run(root: Path, args: list[str]) -> float:
    """CPU seconds (user + system) of one pytest run: steadier than wall time when other
    processes share the machine, and the same thing for a single-threaded run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    _pytest(root, args)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _wall(root: Path, args: list[str]) -> float:
    """Wall seconds of one pytest run: what the issue's goal is stated in, and the noisiest."""
    start = time.perf_counter()
    _pytest(root, args)
    return time.perf_counter() - start


def _instructions(root: Path, args: list[str]) -> float:
    """Instructions executed by one pytest run under callgrind: the same count every time,
    whatever else the machine is doing (slow: ~50x)."""
    env = _env(PYTHONHASHSEED="0")  # dict/set layouts vary the count otherwise
    result = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            *args,
        ],
        cwd=root,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    match = re.search(r"Collected : (\d+)", result.stderr)
    if match is None:
        raise RuntimeError(f"no instruction count in callgrind's output:\n{result.stderr}")
    return float(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tests", type=int, default=1000, help="tests of each kind")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--callgrind", action="store_true", help="count instructions instead (one round)"
    )
    parser.add_argument("--wall", action="store_true", help="measure wall-clock time instead")
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="run as with PYTHONDONTWRITEBYTECODE=1 (some containers): start-up recompiles",
    )
    args = parser.parse_args()
    global _NO_BYTECODE_CACHE
    _NO_BYTECODE_CACHE = args.no_bytecode_cache
    measure = _instructions if args.callgrind else _wall if args.wall else _run
    rounds = 1 if args.callgrind else args.rounds
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _write_suite(root, args.tests)
        configs = {
            "-p no:fletsafe": ["-p", "no:fletsafe"],
            "default (no fletsafe fixtures used)": [],
            "--leakcheck (every detector)": ["--leakcheck"],
        }
        for extra in configs.values():
            _pytest(root, extra)
        runs: dict[str, list[float]] = {label: [] for label in configs}
        order = list(configs.items())
        for _ in range(rounds):  # a round runs every configuration back to back,
            for label, extra in order:
                runs[label].append(measure(root, extra))
            order.reverse()  # in alternating order, so a steady drift cancels out
    base_runs = runs["-p no:fletsafe"]
    baseline = min(base_runs)
    total_tests = 2 * args.tests
    unit = "instructions" if args.callgrind else "wall seconds" if args.wall else "CPU seconds"
    print(f"{total_tests} trivial tests ({args.tests} async + {args.tests} sync), {unit}")
    print("ratio: best against best; paired: median of the per-round ratios")
    for label, values in runs.items():
        best = min(values)
        paired = statistics.median(v / b for v, b in zip(values, base_runs, strict=True))
        if args.callgrind:
            added = f"+{(best - baseline) / total_tests / 1e3:.0f}k instructions/test"
        else:
            added = f"+{(best - baseline) / total_tests * 1000:.3f} ms/test"
        print(f"{label:<40} ratio {best / baseline:5.3f}  paired {paired:5.3f}  {added}")


if __name__ == "__main__":
    main()
