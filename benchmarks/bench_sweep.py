"""Sweep engine benchmark: speed-up with 2 local workers against 1 on the sensitivity
workload (issue 11 goal: >= 1.8x), the backtest with 2 workers against 1, Ray start-up and
per-task overhead.

The machine may be shared: the load average is printed with the numbers.
"""

from __future__ import annotations

import os
import tempfile
import time


def _load() -> str:
    try:
        return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "load average –"


def main() -> None:
    with tempfile.TemporaryDirectory() as home:
        os.environ["STANDOFF_HOME"] = home
        import numpy as np
        import pandas as pd

        from standoff.dynamics.model import fit_from_scenario
        from standoff.history import History
        from standoff.scenario import load_scenario
        from standoff.sensitivity.analysis import evaluate_chunk
        from standoff.sensitivity.space import assumption_space
        from standoff.sweep import run_sweep
        from standoff.sweep.engine import _init_worker, ray_available, start_ray
        from standoff.sweep.testing import noisy

        h = History.load()
        scn = load_scenario("korea-now")
        pids = ["status-quo", "maximum-pressure", "phased-relief"]
        space = assumption_space(scn, pids)
        context = {
            "model": fit_from_scenario(h, scn),
            "policies": {p: scn.policy(p) for p in pids},
            "space": space,
            "outputs": [("talks", 24), ("war", 24)],
            "paths": 1000,
            "seed": 1,
        }
        rng = np.random.default_rng(0)
        X = np.column_stack([a.ppf(rng.random(128)) for a in space])
        tasks = [{"start": s, "rows": X[s : s + 4].tolist()} for s in range(0, 128, 4)]
        print(
            f"workload: {len(tasks)} tasks x 4 points x 3 policies x 1000 paths x 24 months; {_load()}"
        )
        _init_worker(evaluate_chunk, context)
        t0 = time.perf_counter()
        one = run_sweep(evaluate_chunk, tasks, seed=1, context=context, workers=1).outputs
        t1 = time.perf_counter() - t0
        t0 = time.perf_counter()
        two = run_sweep(evaluate_chunk, tasks, seed=1, context=context, workers=2).outputs
        t2 = time.perf_counter() - t0
        # pool start-up alone: the same pool on a trivial sweep of two tasks
        t0 = time.perf_counter()
        run_sweep(noisy, [{"mu": 0.0}, {"mu": 1.0}], seed=1, context={"size": 1}, workers=2)
        t_start = time.perf_counter() - t0
        assert one == two
        print(f"local, 1 worker : {t1:6.2f} s")
        print(f"local, 2 workers: {t2:6.2f} s  speed-up {t1 / t2:.2f}x end to end ({_load()})")
        print(
            f"  pool start-up (spawn, imports, model sent to workers) ~{t_start:.2f} s; "
            f"speed-up excluding it {t1 / max(t2 - t_start, 1e-9):.2f}x"
        )
        from standoff.backtest import backtest

        origins = [str(p) for p in pd.period_range("2010-01", "2011-12", freq="M")]
        walls = {}
        for w in (1, 2):
            t0 = time.perf_counter()
            backtest(h, origins, horizons=[12], paths=300, seed=0, reps=200, workers=w)
            walls[w] = time.perf_counter() - t0
        print(
            f"backtest 2010-01..2011-12 (24 origins, 2 refit years, 300 paths): 1 worker "
            f"{walls[1]:.1f} s, 2 workers {walls[2]:.1f} s, speed-up {walls[1] / walls[2]:.2f}x "
            f"({_load()})"
        )
        if not ray_available():
            print("ray: not installed (pip install 'standoff[ray]'), skipped")
            return
        import ray

        t0 = time.perf_counter()
        start_ray(2)
        t_ray = time.perf_counter() - t0
        try:
            small = [{"mu": float(i)} for i in range(200)]
            run_sweep(noisy, small[:4], seed=1, context={"size": 1}, backend="ray", workers=2)
            t0 = time.perf_counter()
            r = run_sweep(noisy, small, seed=1, context={"size": 1}, backend="ray", workers=2)
            t_r = time.perf_counter() - t0
            t0 = time.perf_counter()
            loc = run_sweep(noisy, small, seed=1, context={"size": 1}, workers=1)
            t_l = time.perf_counter() - t0
            assert r.outputs == loc.outputs
            t0 = time.perf_counter()
            three = run_sweep(
                evaluate_chunk, tasks, seed=1, context=context, backend="ray", workers=2
            ).outputs
            t3 = time.perf_counter() - t0
            assert three == one
        finally:
            ray.shutdown()
        print(f"ray: local start-up {t_ray:.1f} s (num_cpus=2, 100 MB object store, no dashboard)")
        print(
            f"ray: per-task overhead {(t_r - t_l) / len(small) * 1e3:.1f} ms "
            f"({len(small)} trivial tasks: {t_r:.2f} s on Ray vs {t_l:.2f} s in process)"
        )
        print(
            f"ray, 2 workers on the workload: {t3:6.2f} s (speed-up vs 1 local worker {t1 / t3:.2f}x)"
        )


if __name__ == "__main__":
    main()
