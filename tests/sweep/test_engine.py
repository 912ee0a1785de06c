"""The sweep engine: seeds by task, identical results on every backend, Ishigami indices."""

from __future__ import annotations

import numpy as np
import pytest

from standoff.errors import UsageError
from standoff.sweep import SweepStore, run_sweep, task_seed
from standoff.sweep.engine import SweepTaskError, ray_available
from standoff.sweep.testing import ishigami, ishigami_indices, noisy


def test_task_seed_is_the_spawned_child():
    children = np.random.SeedSequence(123).spawn(6)
    for i, child in enumerate(children):
        assert (task_seed(123, i).generate_state(8) == child.generate_state(8)).all()


def test_ishigami_analytic_values_match_the_published_ones():
    ref = ishigami_indices(7.0, 0.1)
    # Saltelli et al. (2008), Global Sensitivity Analysis: The Primer, and SALib's test suite
    np.testing.assert_allclose(ref["S1"], [0.3139, 0.4424, 0.0], atol=5e-5)
    np.testing.assert_allclose(ref["ST"], [0.5576, 0.4424, 0.2437], atol=5e-5)


def test_ishigami_sobol_indices_through_the_engine_within_their_intervals():
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}
    X = sobol_sample.sample(problem, 4096, calc_second_order=False, seed=11)
    tasks = [X[s : s + 2048].tolist() for s in range(0, len(X), 2048)]
    res = run_sweep(ishigami, tasks, seed=11, context={"a": 7.0, "b": 0.1}, workers=1)
    y = np.concatenate(res.outputs)
    assert y.shape == (len(X),)
    si = sobol_analyze.analyze(
        problem, y, calc_second_order=False, num_resamples=500, conf_level=0.95, seed=11
    )
    published = {"S1": [0.3139, 0.4424, 0.0], "ST": [0.5576, 0.4424, 0.2437]}
    for key, values in published.items():
        for i, v in enumerate(values):
            assert abs(si[key][i] - v) <= si[f"{key}_conf"][i], (key, i, si[key][i], v)
    # and the intervals are informative (not wide enough to contain anything)
    assert max(si["S1_conf"]) < 0.05 and max(si["ST_conf"]) < 0.05


TASKS = [{"mu": float(i)} for i in range(10)]


@pytest.fixture(scope="module")
def serial():
    return run_sweep(noisy, TASKS, seed=2024, context={"size": 7}, workers=1).outputs


def test_same_sweep_on_one_and_two_local_workers_is_bit_identical(serial):
    two = run_sweep(noisy, TASKS, seed=2024, context={"size": 7}, workers=2).outputs
    assert two == serial
    # tasks draw from their own streams: different tasks, different draws; another seed differs
    assert serial[0]["draws"] != serial[1]["draws"]
    other = run_sweep(noisy, TASKS, seed=2025, context={"size": 7}, workers=1).outputs
    assert other != serial


@pytest.mark.skipif(
    not ray_available(), reason="Ray is not installed (pip install 'standoff[ray]')"
)
def test_same_sweep_on_a_local_ray_is_bit_identical(serial):
    res = run_sweep(noisy, TASKS, seed=2024, context={"size": 7}, backend="ray", workers=2)
    assert res.outputs == serial
    assert res.backend == "ray"


def test_a_task_of_a_subset_does_not_depend_on_the_others(serial):
    # the same task index gives the same draws whatever else runs (seeds by task index)
    sub = run_sweep(noisy, TASKS[:3], seed=2024, context={"size": 7}, workers=1).outputs
    assert sub == serial[:3]


def test_bad_arguments_are_usage_errors():
    with pytest.raises(UsageError, match="--backend"):
        run_sweep(noisy, TASKS, seed=1, backend="dask")
    with pytest.raises(UsageError, match="--workers"):
        run_sweep(noisy, TASKS, seed=1, workers=0)
    with pytest.raises(UsageError, match="--seed"):
        run_sweep(noisy, TASKS, seed=-1)


def _boom(context, task, seed):
    if task == 3:
        raise ZeroDivisionError("task three")
    return task


def test_a_failing_task_keeps_the_finished_ones(tmp_path):
    with SweepStore(tmp_path / "r.duckdb") as store:
        rid = store.create_run("toy", {}, 1, 6, "c", "d")
        with pytest.raises(SweepTaskError, match="sweep task 3 failed: ZeroDivisionError"):
            run_sweep(_boom, list(range(6)), seed=1, workers=1, store=store, run_id=rid)
        assert store.done(rid) == {0, 1, 2}
