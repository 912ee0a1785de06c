"""Crash safety: kill -9 at several points, resume, same table; no task stored twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import duckdb
import pytest

from standoff.errors import UsageError
from standoff.sweep import SweepStore, run_sweep
from standoff.sweep.testing import noisy

N = 12


def _table(db, run_id):
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "SELECT task_index, inputs, outputs FROM sweep_tasks WHERE run_id = ? "
            "ORDER BY task_index",
            [run_id],
        ).fetchall()
        dup = con.execute(
            "SELECT count(*) - count(DISTINCT task_index) FROM sweep_tasks WHERE run_id = ?",
            [run_id],
        ).fetchone()[0]
    return rows, dup


def _child(db, run_id, sleep):
    return subprocess.Popen(
        [sys.executable, "-m", "standoff.sweep.testing", str(db), run_id, str(N), str(sleep)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    db = tmp_path_factory.mktemp("ref") / "r.duckdb"
    p = _child(db, "ref", 0)
    out, err = p.communicate(timeout=300)
    assert p.returncode == 0, err
    rows, dup = _table(db, "ref")
    assert len(rows) == N and dup == 0
    return rows


@pytest.mark.parametrize("kill_after, delay", [(0, 0.0), (3, 0.01), (7, 0.03)])
def test_kill_9_then_resume_gives_the_uninterrupted_table(tmp_path, reference, kill_after, delay):
    db = tmp_path / "r.duckdb"
    p = _child(db, "ref", 0.05)
    seen = 0
    if kill_after == 0:
        time.sleep(0.5)  # killed while starting up, before or around the first commit
    else:
        for line in p.stdout:
            if line.startswith("committed"):
                seen += 1
                if seen >= kill_after:
                    break
        time.sleep(delay)  # land in the middle of the next task or its commit
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=60)
    assert p.returncode == -signal.SIGKILL
    partial, dup = _table(db, "ref") if db.exists() else ([], 0)
    assert dup == 0 and len(partial) < N
    assert partial == [r for r in reference if r[0] in {x[0] for x in partial}]
    q = _child(db, "ref", 0)  # resume: the same command finds the run and skips what is done
    out, err = q.communicate(timeout=300)
    assert q.returncode == 0, err
    resumed = [int(x.split()[1]) for x in out.splitlines() if x.startswith("committed")]
    assert sorted(resumed) == sorted(set(range(N)) - {x[0] for x in partial})
    rows, dup = _table(db, "ref")
    assert dup == 0
    assert rows == reference


def test_a_task_cannot_be_stored_twice(tmp_path):
    with SweepStore(tmp_path / "r.duckdb") as store:
        rid = store.create_run("toy", {}, 1, 2, "c", "d")
        store.commit(rid, 0, "{}", "1", "c", "d")
        with pytest.raises(duckdb.ConstraintException):
            store.commit(rid, 0, "{}", "2", "c", "d")
        assert store.outputs(rid) == {0: 1}


def test_resume_checks_the_run_and_its_versions(tmp_path):
    with SweepStore(tmp_path / "r.duckdb") as store:
        rid = store.create_run("toy", {"n": 1}, 1, 2, "code-a", "data-a")
        with pytest.raises(UsageError, match="no stored run 'nope'"):
            store.check_resumable("nope", "toy", "code-a", "data-a")
        with pytest.raises(UsageError, match="code version code-a, this is code-b"):
            store.check_resumable(rid, "toy", "code-b", "data-a")
        with pytest.raises(UsageError, match="is a toy run, not sensitivity"):
            store.check_resumable(rid, "sensitivity", "code-a", "data-a")
        assert store.check_resumable(rid, "toy", "code-a", "data-a")["spec"] == {"n": 1}


def test_resume_in_process_skips_done_tasks(tmp_path):
    tasks = [{"mu": float(i)} for i in range(5)]
    with SweepStore(tmp_path / "r.duckdb") as store:
        rid = store.create_run("toy", {}, 9, 5, "c", "d")
        first = run_sweep(noisy, tasks[:2], seed=9, workers=1, store=store, run_id=rid)
        assert first.computed == 2
        calls = []
        full = run_sweep(
            noisy, tasks, seed=9, workers=1, store=store, run_id=rid, on_commit=calls.append
        )
        assert (full.skipped, full.computed, calls) == (2, 3, [2, 3, 4])
        fresh = run_sweep(noisy, tasks, seed=9, workers=1)
        assert full.outputs == fresh.outputs
