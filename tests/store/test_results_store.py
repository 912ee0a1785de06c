"""The results store: a run exists completely or not at all; the briefing shows the latest
complete run; lock conflicts wait or fail before work; foreign files are refused."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from standoff.backtest.report import data_version, latest_run_section
from standoff.errors import DataError
from standoff.store import results as rs

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _run(hist, run_id: str, origins_from: str, skill: float = 0.1):
    """A backtest-shaped run: meta row, 12-month scores, forecasts."""
    meta = {
        "run_id": run_id,
        "code_version": "test",
        "data_version": data_version(hist),
        "seed": 1,
        "paths": 10,
        "refit": "yearly",
        "step": 1,
        "seconds": 1.0,
        "origins_from": origins_from,
        "origins_to": "2016-12",
        "horizons": "12",
    }
    scores = pd.DataFrame(
        [
            ("launch", 12, "standoff", "brier", 0.2, 10),
            ("launch", 12, "climatology", "brier", 0.25, 10),
            ("launch", 12, "skill_vs_climatology", "skill", skill, 10),
        ],
        columns=["target", "h", "model", "metric", "value", "n"],
    )
    fc = pd.DataFrame({"origin": [origins_from], "target": ["launch"], "p": [0.5]})
    return meta, {"backtest_scores": scores, "backtest_forecasts": fc}


def _count(db: Path, table: str, run_id: str) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(f"SELECT count(*) FROM {table} WHERE run_id = ?", [run_id]).fetchall()[
            0
        ][0]


def test_write_and_read_latest_complete_run(hist, tmp_path):
    db = tmp_path / "results.duckdb"
    assert rs.latest_complete_run(db, "backtest_runs") is None  # no store yet
    rs.write_run(db, "backtest_runs", *_run(hist, "a", "2010-01"))
    rs.write_run(db, "backtest_runs", *_run(hist, "b", "2011-01"))
    run = rs.latest_complete_run(
        db, "backtest_runs", {"data_version": data_version(hist)}, ("backtest_scores",)
    )
    assert run["run_id"] == "b" and run["origins_from"] == "2011-01"
    assert rs.latest_complete_run(db, "backtest_runs", {"data_version": "other"}) is None
    rs.write_run(db, "backtest_runs", *_run(hist, "a", "2010-01"))  # stored again: replaced
    assert rs.latest_complete_run(db, "backtest_runs")["run_id"] == "a"
    assert _count(db, "backtest_scores", "a") == 3
    assert "2010-01" in latest_run_section(hist, db=db)


def test_new_columns_are_added(hist, tmp_path):
    db = tmp_path / "results.duckdb"
    rs.write_run(db, "backtest_runs", *_run(hist, "a", "2010-01"))
    meta, tables = _run(hist, "b", "2011-01")
    tables["backtest_scores"]["interval_lo"] = -0.1
    rs.write_run(db, "backtest_runs", {**meta, "baseline_set": "v2"}, tables)
    rows = rs.read_run_rows(db, "backtest_scores", "b")
    assert rows["interval_lo"].eq(-0.1).all()
    assert rs.latest_complete_run(db, "backtest_runs")["baseline_set"] == "v2"


def test_an_exception_inside_the_transaction_leaves_no_trace(hist, tmp_path, monkeypatch):
    db = tmp_path / "results.duckdb"
    rs.write_run(db, "backtest_runs", *_run(hist, "old", "2010-01"))
    put = rs._put

    def failing_put(con, name, df, run_id):
        put(con, name, df, run_id)
        if name == "backtest_forecasts":  # after the scores were inserted
            raise duckdb.IOException("disk full (simulated)")

    monkeypatch.setattr(rs, "_put", failing_put)
    with pytest.raises(DataError, match="nothing was written"):
        rs.write_run(db, "backtest_runs", *_run(hist, "new", "2012-01"))
    monkeypatch.setattr(rs, "_put", put)
    assert _count(db, "backtest_scores", "new") == 0
    assert _count(db, "backtest_runs", "new") == 0
    assert rs.latest_complete_run(db, "backtest_runs")["run_id"] == "old"
    assert "2010-01" in latest_run_section(hist, db=db)


def _killed_writer(db: Path, hist_run: tuple, new_store: bool) -> subprocess.Popen:
    meta, tables = hist_run
    code = f"""
        import pickle, sys, time
        import standoff.store.results as rs
        put = rs._put
        def slow_put(con, name, df, run_id):
            put(con, name, df, run_id)
            if name == "backtest_scores":
                print("inside", flush=True)
                time.sleep(60)
        rs._put = slow_put
        meta, tables = pickle.loads(sys.stdin.buffer.read())
        rs.write_run({str(db)!r}, "backtest_runs", meta, tables)
        """
    import pickle

    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        env={**os.environ, "PYTHONPATH": SRC},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdin.write(pickle.dumps((meta, tables)))
    proc.stdin.close()
    return proc


@pytest.mark.parametrize("new_store", [False, True])
def test_kill_9_during_a_results_write_keeps_the_previous_track_record(new_store, hist, tmp_path):
    db = tmp_path / "results.duckdb"
    if not new_store:
        rs.write_run(db, "backtest_runs", *_run(hist, "old", "2010-01"))
    proc = _killed_writer(db, _run(hist, "new", "2012-01"), new_store)
    try:
        assert proc.stdout.readline().strip() == b"inside", proc.stderr.read()
    finally:
        proc.kill()  # SIGKILL, inside the transaction
        proc.wait()
    if new_store:
        assert not db.exists()  # a new store appears only complete
        assert latest_run_section(hist, db=db) == ""
        rs.write_run(db, "backtest_runs", *_run(hist, "next", "2013-01"))  # orphan cleaned
        assert sorted(p.name for p in tmp_path.iterdir()) == ["results.duckdb"]
        return
    section = latest_run_section(hist, db=db)
    assert "2010-01" in section and "2012-01" not in section
    assert _count(db, "backtest_scores", "new") == 0


def test_a_half_written_legacy_run_is_skipped(hist, tmp_path):
    """Runs stored by older versions (separate autocommits) may lack scores: the briefing
    shows the latest complete run, not nothing."""
    db = tmp_path / "results.duckdb"
    rs.write_run(db, "backtest_runs", *_run(hist, "complete", "2010-01"))
    with duckdb.connect(str(db)) as con:  # a run row whose scores never arrived
        con.execute(
            "INSERT INTO backtest_runs (run_id, data_version, origins_from, paths, seed, "
            "stored_at) VALUES ('half', ?, '2014-01', 10, 1, now()::TIMESTAMP)",
            [data_version(hist)],
        )
    section = latest_run_section(hist, db=db)
    assert "2010-01" in section and "2014-01" not in section


@pytest.mark.parametrize("kind", ["text", "duckdb"])
def test_a_foreign_results_file_is_refused_before_work(kind, tmp_path, run_cli):
    res = tmp_path / "results.duckdb"
    if kind == "text":
        res.write_text("not mine")
    else:
        with duckdb.connect(str(res)) as con:
            con.execute("CREATE TABLE invoices AS SELECT 1 AS id")
    before = _digest(res)
    code, out, err = run_cli(
        "--db", tmp_path / "h.duckdb", "backtest", "--from", "2016-01", "--to", "2016-01"
    )
    assert code == 2 and "not a standoff results store" in err
    assert "Backtest" not in out  # refused before the work
    assert _digest(res) == before


def test_a_corrupt_results_store_is_named_in_the_briefing(hist, tmp_path):
    db = tmp_path / "results.duckdb"
    rs.write_run(db, "backtest_runs", *_run(hist, "a", "2010-01"))
    os.truncate(db, db.stat().st_size // 3)
    section = latest_run_section(hist, db=db)
    assert "cannot be shown" in section and f"rm &#x27;{db}&#x27;" in section


def _holder(db: Path, seconds: float) -> subprocess.Popen:
    code = f"""
        import duckdb, time
        con = duckdb.connect({str(db)!r})
        print("locked", flush=True)
        time.sleep({seconds})
        con.close()
        """
    p = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)], stdout=subprocess.PIPE, text=True
    )
    assert p.stdout.readline().strip() == "locked"
    return p


def test_lock_conflict_detected_before_work_and_writes_wait(hist, tmp_path):
    db = tmp_path / "results.duckdb"
    rs.write_run(db, "backtest_runs", *_run(hist, "a", "2010-01"))
    p = _holder(db, 60)
    try:
        with pytest.raises(DataError, match="locked by another process"):
            rs.check_writable(db)
        with pytest.raises(DataError, match="locked by another process"):
            rs.write_run(db, "backtest_runs", *_run(hist, "b", "2011-01"), wait=0.3)
    finally:
        p.kill()
        p.wait()
    p = _holder(db, 1.5)  # released soon: the write waits for it (queue and retry)
    try:
        rs.write_run(db, "backtest_runs", *_run(hist, "b", "2011-01"), wait=30)
    finally:
        p.wait()
    assert rs.latest_complete_run(db, "backtest_runs")["run_id"] == "b"


def test_a_results_store_of_an_older_version_is_upgraded_in_place(hist, tmp_path):
    """A store written before the meta table and ``stored_at`` existed is still ours."""
    db = tmp_path / "results.duckdb"
    meta, tables = _run(hist, "legacy", "2009-01")
    with duckdb.connect(str(db)) as con:  # as the old code wrote it: no meta, no stored_at
        for name, df in (("backtest_runs", pd.DataFrame([meta])), *tables.items()):
            con.register("_df", df.assign(run_id="legacy"))
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM _df")
            con.unregister("_df")
    assert "2009-01" in latest_run_section(hist, db=db)
    rs.check_writable(db)
    rs.write_run(db, "backtest_runs", *_run(hist, "new", "2011-01"))
    assert rs.latest_complete_run(db, "backtest_runs")["run_id"] == "new"
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT value FROM standoff_meta").fetchall() == [("standoff-results",)]
