"""Bargaining at scale: row blocks give the same bits, bounded memory, slim default output."""

from __future__ import annotations

import json
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from standoff.bargaining.eum import RoundLog, run_eum, step
from standoff.bargaining.inputs import make_problem

FIELDS = tuple(RoundLog.__dataclass_fields__)


def _same(a, b) -> bool:
    if not (np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])):
        return False
    return all(np.array_equal(getattr(a[5], f), getattr(b[5], f)) for f in FIELDS)


@st.composite
def instances(draw):
    n = draw(st.integers(2, 40))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    z = np.round(rng.uniform(0, 1, n), draw(st.integers(1, 3)))
    z[0], z[-1] = 0.0, 1.0
    w = rng.uniform(0, 1, n) * (rng.random(n) > 0.1)
    s = rng.uniform(0, 1, n)
    kw = draw(
        st.sampled_from(
            [
                {},
                {"mode": "scholz"},
                {"conflict": "stochastic"},
                {"renege": True},
                {"q": 0.5, "t": 0.3},
            ]
        )
    )
    return z, w, s, kw


@settings(max_examples=60, deadline=None)
@given(instances())
def test_block_size_does_not_change_a_bit(inst):
    z, w, s, kw = inst
    whole = step(z, w, s, rng=np.random.default_rng(3), **kw)
    for cells in (1, 7, 64):  # one row per block, a few rows, whole
        blocked = step(z, w, s, rng=np.random.default_rng(3), block_cells=cells, **kw)
        assert _same(whole, blocked), (cells, kw)


@settings(max_examples=40, deadline=None)
@given(instances())
def test_accepted_log_is_the_accepted_part_of_the_full_log(inst):
    z, w, s, kw = inst
    for cells in (None, 7):
        full = step(z, w, s, rng=np.random.default_rng(3), block_cells=cells, **kw)[5]
        acc = step(z, w, s, rng=np.random.default_rng(3), block_cells=cells, log="accepted", **kw)
        acc = acc[5]
        for f in FIELDS:
            assert np.array_equal(getattr(full, f)[full.accepted], getattr(acc, f)), f
        # each actor acts on at most one offer (its own, or a conflict it lost as challenger)
        assert len(acc.target) <= 2 * len(z)


def test_streamed_log_equals_the_kept_log(eu):
    kept = run_eum(eu, block_cells=7)
    parts: dict[int, list] = {}
    run_eum(eu, log=False, block_cells=7, sink=lambda k, p: parts.setdefault(k, []).append(p))
    for k, rl in enumerate(kept.logs, start=1):
        got = {f: np.concatenate([getattr(p, f) for p in parts[k]]) for f in FIELDS}
        for f in FIELDS:
            assert np.array_equal(getattr(rl, f), got[f])
    assert len(parts) in (kept.n_rounds, kept.n_rounds + 1)  # + the round that converged


def test_round_memory_is_bounded_by_blocks():
    n = 1500
    rng = np.random.default_rng(0)
    z = rng.uniform(0, 1, n)
    w, s = rng.uniform(0.1, 1, n), rng.uniform(0.1, 1, n)
    tracemalloc.start()
    step(z, w, s, log="accepted")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # whole n x n float matrices would need ~40 x 18 MB; blocks keep it near the prefix sums
    assert peak < 120 * 2**20, peak / 2**20


def test_cli_reports_accepted_moves_and_streams_every_challenge(run_cli, tmp_path):
    rng = np.random.default_rng(1)
    n = 60
    p = make_problem(
        [f"a{k}" for k in range(n)],
        rng.uniform(0.1, 1, n),
        np.round(rng.uniform(0, 100, n), 1),
        rng.uniform(0.1, 1, n),
        scale=(0, 100),
    )
    from standoff.bargaining.inputs import to_ktab, write_ktab

    f = tmp_path / "k.csv"
    write_ktab(to_ktab([p]), f)
    code, out, err = run_cli("bargain", f, "--model", "eum", "--rounds", "2", "--json")
    assert code == 0, err
    obj = json.loads(out)
    assert "events" not in obj and obj["accepted_moves"]
    assert all(e["accepted"] for e in obj["accepted_moves"])
    detail = tmp_path / "all.jsonl"
    code, out2, err = run_cli(
        "bargain", f, "--model", "eum", "--rounds", "2", "--json", "--detail", detail
    )
    assert code == 0, err
    assert json.loads(out2)["accepted_moves"] == obj["accepted_moves"]
    recs = [json.loads(line) for line in detail.read_text().splitlines()]
    full = run_eum(to_ktab([p]).problems()[0], rounds=2).events()
    assert len(recs) >= len(full) > len(obj["accepted_moves"])
    assert [r["challenger"] for r in recs[: len(full)]] == full["challenger"].tolist()
    assert sum(r["accepted"] for r in recs[: len(full)]) == len(obj["accepted_moves"])
    assert not list(tmp_path.glob(".all.jsonl.*"))  # the temporary file was renamed


def test_detail_needs_a_dynamic_model(run_cli, tmp_path):
    from standoff.bargaining import example_path

    code, _, err = run_cli("bargain", example_path(), "--detail", tmp_path / "x.jsonl")
    assert code == 2 and "--detail: applies to --model eum" in err
    assert not (tmp_path / "x.jsonl").exists()


@pytest.mark.parametrize("model", ["eum", "eum-scholz"])
def test_golden_runs_unchanged_with_small_blocks(eu, model):
    a = run_eum(eu, mode="scholz" if model == "eum-scholz" else "clean")
    b = run_eum(eu, mode="scholz" if model == "eum-scholz" else "clean", block_cells=3)
    assert np.array_equal(a.positions, b.positions) and np.array_equal(a.risk, b.risk)
