"""The ``energylake`` command's own start-up: how long a user waits before the CLI does any work.

    .venv/bin/python benchmarks/cli_startup_bench.py            # 9 runs of each case
    .venv/bin/python benchmarks/cli_startup_bench.py --runs 21

Each case is a fresh process, timed from spawn to exit (milliseconds), run round-robin with its baseline:

- ``energylake --version`` and ``energylake --help``: the command as installed (the venv's console script), nothing
  beyond argument parsing;
- ``import energylake.local.cli``: what every command imports before its first step (``python -c``);
- ``energylake status`` on an empty lake: a whole command that reads the lake and the warehouse;
- baseline ``python -c pass``: the interpreter's own start-up, which no command can avoid.

The figure to read is the ratio: how many interpreter start-ups the CLI costs. Reported, never gated.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from harness import Measurement, measure, report

CONSOLE_SCRIPT = Path(sys.executable).with_name("energylake")


def spawn_ms(argv: Sequence[str]) -> float:
    """Milliseconds from spawning ``argv`` to its exit (it must exit 0)."""
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, check=False)
    elapsed = (time.perf_counter() - started) * 1000
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.decode()[-500:]}")
    return elapsed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=9, help="timed runs of each case (median; default 9)")
    args = parser.parse_args(argv)
    if not CONSOLE_SCRIPT.exists():
        raise SystemExit(f"no console script at {CONSOLE_SCRIPT}: install the package (make venv)")
    with tempfile.TemporaryDirectory(prefix="energylake-startup-") as folder:
        lake = str(Path(folder) / "lake")
        cases = {
            "baseline": [sys.executable, "-c", "pass"],
            "energylake --version": [str(CONSOLE_SCRIPT), "--version"],
            "energylake --help": [str(CONSOLE_SCRIPT), "--help"],
            "import energylake.local.cli": [sys.executable, "-c", "import energylake.local.cli"],
            "energylake status (empty lake)": [str(CONSOLE_SCRIPT), "status", "--lake", lake],
        }
        timings = measure(
            {name: (lambda command=command: spawn_ms(command)) for name, command in cases.items()},
            runs=args.runs,
            warmup=1,
            unit="ms",
        )
    baseline = Measurement("python -c pass", "ms", timings.pop("baseline").samples)
    for measurement in timings.values():
        report(measurement, baseline)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
