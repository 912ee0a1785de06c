"""Run every benchmark (``benchmarks/bench_*.py``) in turn: ``make bench``.

Benchmarks print their own tables; they are never part of the test suite.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    for script in scripts:
        print(f"== {script.name}", flush=True)
        runpy.run_path(str(script), run_name="__main__")
        print(flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
