"""Web app: the Policies page's comparison, 10,000 paths x 24 months x 3 policies.

Times ``Services.compare`` (what ``POST /api/compare`` runs) with the model already fitted and
a new seed each time (so nothing comes from the result cache), and the cached answer.
"""

from __future__ import annotations

import statistics
import time


def main() -> None:
    from standoff.history import History
    from standoff.web.services import Services

    svc = Services(History.load())
    ids = ["status-quo", "phased-relief", "maximum-pressure"]
    t = time.perf_counter()
    svc.compare("korea-now", [], ids, {}, 10_000, 24, 0)
    print(f"first comparison (fits the model): {time.perf_counter() - t:.2f} s")
    times = []
    for seed in range(1, 6):
        t = time.perf_counter()
        svc.compare("korea-now", [], ids, {}, 10_000, 24, seed)
        times.append(time.perf_counter() - t)
    print(
        f"10,000 paths x 24 months x 3 policies (fitted): median {statistics.median(times):.2f} s, "
        f"min {min(times):.2f} s over {len(times)} seeds"
    )
    t = time.perf_counter()
    for _ in range(100):
        svc.compare("korea-now", [], ids, {}, 10_000, 24, 1)
    print(f"cached comparison: {1000 * (time.perf_counter() - t) / 100:.1f} ms")


if __name__ == "__main__":
    main()
