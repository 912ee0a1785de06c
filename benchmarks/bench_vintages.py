"""Time of ``standoff history update`` from the recorded copy (20 added, 2 revised, 1 deleted
launches): dry run (check, rebuild, validate, diff) and a real update (plus the atomic write),
and loading the latest vintage. Run: ``python benchmarks/bench_vintages.py``.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

try:
    import standoff  # noqa: F401
except ImportError:  # not installed: run from a source checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from standoff.history import History
from standoff.history import vintages as V

FIX = Path(__file__).resolve().parents[1] / "tests" / "data" / "vintages" / "update1"


def timed(fn, reps: int = 3) -> float:
    out = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return statistics.median(out)


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        db = Path(d) / "history.duckdb"
        root = V.vintages_root(db)
        dry = timed(lambda: V.update(root, FIX, dry_run=True))
        t = time.perf_counter()
        V.update(root, FIX)
        real = time.perf_counter() - t
        load = timed(lambda: History.load(db=db))
    print(f"{'step':<34}{'seconds':>9}")
    print(f"{'update --dry-run (median of 3)':<34}{dry:>9.2f}")
    print(f"{'update (writes a vintage)':<34}{real:>9.2f}")
    print(f"{'History.load() of the new vintage':<34}{load:>9.2f}")


if __name__ == "__main__":
    main()
