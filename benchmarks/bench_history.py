"""History benchmarks: store build (cold), load (warm), as-of cut + panel, claims, briefing."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path


def timed(fn, repeat: int = 5) -> tuple[float, float]:
    """Median wall time (ms) and peak traced memory (MiB) of fn()."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    tracemalloc.start()  # memory in a separate run: tracing slows the timed runs
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return statistics.median(times), peak / 2**20


def main() -> None:
    with tempfile.TemporaryDirectory() as home:
        os.environ["STANDOFF_HOME"] = home
        from standoff.history import History
        from standoff.history.claims import evaluate_claims, load_claims
        from standoff.report.brief import write_briefing
        from standoff.scenario import load_scenario

        db = Path(home) / "cold.duckdb"

        def cold():
            db.unlink(missing_ok=True)
            History.load(db=db)

        h = History.load()
        cf, _ = load_claims()
        scn = load_scenario("korea-now")
        rows = [
            ("History.load, cold (parse, validate, write DuckDB)", *timed(cold, 3)),
            ("History.load, warm (read DuckDB)", *timed(History.load)),
            (
                "History.load(store=False) (parse + validate CSV)",
                *timed(lambda: History.load(store=False)),
            ),
            ("as_of(2018-01-01) + monthly panel", *timed(lambda: h.as_of("2018-01-01").monthly)),
            ("monthly panel, full (511 months)", *timed(lambda: History(h.tables).monthly)),
            ("evaluate 10 claims (korea-2018)", *timed(lambda: evaluate_claims(h, cf))),
            (
                "write briefing (charts + tables)",
                *timed(lambda: write_briefing(Path(home) / "b.html", h, scn, cf), 3),
            ),
        ]
    print(f"{'operation':<55} {'median ms':>10} {'peak MiB':>9}")
    for name, ms, mib in rows:
        print(f"{name:<55} {ms:>10.1f} {mib:>9.1f}")


if __name__ == "__main__":
    main()
