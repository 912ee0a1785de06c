"""The backtest's origins on the sweep engine: the same records on 1 and 2 workers."""

from __future__ import annotations

import numpy as np
import pytest

from standoff.backtest import backtest


def _same(a, b) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and np.array_equal(a, b, equal_nan=True)
    if isinstance(a, float) and np.isnan(a):
        return isinstance(b, float) and np.isnan(b)
    return a == b


def test_origins_in_parallel_give_the_same_records(hist):
    origins = ["2005-11", "2005-12", "2006-01", "2006-02"]  # two refit years
    one = backtest(hist, origins, horizons=[3], paths=60, seed=5, reps=50, workers=1)
    two = backtest(hist, origins, horizons=[3], paths=60, seed=5, reps=50, workers=2)
    assert one["n_forecast"] == 4
    assert [r["origin"] for r in one["records"]] == origins
    assert _same(one["records"], two["records"])
    assert _same(one["scores"], two["scores"])


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--backend", "dask"], "--backend: expected one of local, ray"),
        (["--workers", "0"], "--workers: expected an integer in [1, 1024]"),
        (["--address", "1.2.3.4:6379"], "--address: only with --backend ray"),
    ],
)
def test_bad_parallel_flags_are_one_line_exit_2(run_cli, args, needle):
    code, out, err = run_cli("backtest", "--from", "2010-01", "--to", "2010-02", *args)
    assert code == 2 and needle in err and err.count("\n") == 1, err
