"""`kitchen --help` against importing typer and rich alone, in the same run (issue 25: at most
1.5x). Each figure is the median of --rounds fresh interpreters.

    python benchmarks/startup.py [--rounds 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time


def seconds(args: list[str], rounds: int) -> float:
    taken = []
    for _ in range(rounds):
        started = time.perf_counter()
        subprocess.run([sys.executable, *args], capture_output=True, check=True)
        taken.append(time.perf_counter() - started)
    return statistics.median(taken)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=15, help="interpreters per figure")
    rounds = parser.parse_args().rounds
    bare = seconds(["-c", "pass"], rounds)
    baseline = seconds(["-c", "import typer, rich.console"], rounds)
    figures = {
        "kitchen --help": seconds(["-m", "kitchen", "--help"], rounds),
        "kitchen --version": seconds(["-m", "kitchen", "--version"], rounds),
        "kitchen create --help": seconds(["-m", "kitchen", "create", "--help"], rounds),
    }
    print(f"python alone            {bare:.3f} s")
    print(f"import typer and rich   {baseline:.3f} s  (the baseline)")
    for name, taken in figures.items():
        print(f"{name:<23} {taken:.3f} s  {taken / baseline:.2f}x the baseline (target 1.5x)")


if __name__ == "__main__":
    main()
