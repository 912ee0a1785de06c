"""Simulator benchmark: fit time, and paths x months x policies throughput (issue 5 target:
10,000 paths x 120 months under 4 policies in under 5 s on a 2-core machine)."""

from __future__ import annotations

import os
import tempfile
import time


def main() -> None:
    with tempfile.TemporaryDirectory() as home:
        os.environ["STANDOFF_HOME"] = home
        from standoff.dynamics.model import fit_from_scenario
        from standoff.dynamics.simulate import simulate
        from standoff.history import History
        from standoff.scenario import load_scenario

        h = History.load()
        scn = load_scenario("korea-now")
        t0 = time.perf_counter()
        model = fit_from_scenario(h, scn)
        t_fit = time.perf_counter() - t0
        policies = [
            scn.policy(p)
            for p in ("status-quo", "maximum-pressure", "phased-relief", "freeze-for-freeze")
        ]
        simulate(model, policies[0], 1000, 12, seed=0)  # warm-up
        rows = []
        for n, months in ((1_000, 24), (10_000, 24), (10_000, 120)):
            t0 = time.perf_counter()
            for pol in policies:
                simulate(model, pol, n, months, seed=1)
            dt = time.perf_counter() - t0
            rows.append((n, months, len(policies), dt, n * months * len(policies) / dt))
    print(
        f"fit (8 components, as of {model.as_of.date()}): {t_fit * 1e3:.0f} ms "
        f"(+{len(model.nowcast_months)} nowcast months)"
    )
    print(f"{'paths':>7} {'months':>7} {'policies':>9} {'seconds':>8} {'path-months/s':>15}")
    for n, m, k, dt, thr in rows:
        print(f"{n:>7} {m:>7} {k:>9} {dt:>8.2f} {thr:>15,.0f}")


if __name__ == "__main__":
    main()
