"""Measure the interleaving scheduler on the race corpus (``programs.py``).

Run: ``python benchmarks/races/run.py`` (``--seeds`` / ``--budget`` to change the effort).

Per program: schedules until the first failure (median over seeds, random walk and PCT),
deviations in the shrunk schedule against the minimum found by brute force, how often the
same number of runs on the stock asyncio loop fails, and whether the fixed twin passes every
explored schedule. Goals (interleaving-fuzzer issue): every bug found within 500 schedules,
median <= 20 (for the default strategy, ``both``); shrunk deviations <= minimum + 1.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from programs import CORPUS, Program

from pytest_fletsafe.scheduler._explore import explore, replay, shrink


def minimum_deviations(program: Program, points: int = 12, most: int = 3) -> int | None:
    """Fewest deviations (each choosing the next-in-line, or any, callback) that fail."""
    for count in range(1, most + 1):
        for positions in itertools.combinations(range(points), count):
            for values in itertools.product((1, 2), repeat=count):
                decisions = [0] * (max(positions) + 1)
                for position, value in zip(positions, values, strict=True):
                    decisions[position] = value
                error, diverged = replay(program, tuple(decisions))
                if error is not None and not diverged:
                    return count
    return None


def stock_failures(program: Program, runs: int) -> int:
    failures = 0
    for _ in range(runs):
        try:
            asyncio.run(asyncio.wait_for(program(), timeout=5))
        except Exception:
            failures += 1
    return failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=21)
    parser.add_argument("--budget", type=int, default=500)
    args = parser.parse_args()
    header = (
        f"{'program':<26} {'both':>5} {'random':>7} {'pct':>5} {'shrunk':>6} {'min':>4} "
        f"{'stock':>9} {'fixed twin':>11}"
    )
    print(f"median schedules to first failure over {args.seeds} seeds (budget {args.budget})")
    print(header)
    all_ok = True
    for name, (bug, fixed) in CORPUS.items():
        found: dict[str, list[int]] = {"both": [], "random": [], "pct": []}
        shrunk_deviations = []
        for strategy in found:
            for seed in range(args.seeds):
                failure = explore(bug, schedules=args.budget, seed=seed * 1000, strategy=strategy)
                found[strategy].append(failure.schedules if failure else args.budget + 1)
                if failure and strategy == "both":
                    shrunk_deviations.append(shrink(bug, failure).deviations)
        best = minimum_deviations(bug)
        twin = explore(fixed, schedules=args.budget, seed=7)
        stock = stock_failures(bug, min(args.budget, 200))
        medians = {k: statistics.median(v) for k, v in found.items()}
        worst_shrunk = max(shrunk_deviations) if shrunk_deviations else None
        ok = (
            max(found["both"]) <= args.budget
            and medians["both"] <= 20
            and worst_shrunk is not None
            and best is not None
            and worst_shrunk <= best + 1
            and twin is None
        )
        all_ok &= ok
        print(
            f"{name:<26} {medians['both']:>5.0f} {medians['random']:>7.0f} {medians['pct']:>5.0f} "
            f"{worst_shrunk!s:>6} {best!s:>4} {stock:>4}/{min(args.budget, 200):<4} "
            f"{'passes' if twin is None else 'FAILS':>11}{'' if ok else '  <- goal missed'}"
        )
    print("all goals met" if all_ok else "some goals missed")


if __name__ == "__main__":
    main()
