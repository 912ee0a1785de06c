"""The DuckDB store: created on first use, reused, rebuilt when the tables change, atomic."""

from __future__ import annotations

import duckdb
import pandas as pd

from standoff.history import History
from standoff.store.duckdb_store import default_db_path, stored_fingerprint


def test_created_on_first_use_in_the_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("STANDOFF_HOME", str(tmp_path / "home"))
    path = default_db_path()
    assert not path.exists()
    h = History.load()
    assert path.exists()
    with duckdb.connect(str(path), read_only=True) as con:
        n = con.execute("SELECT count(*) FROM launches").fetchone()[0]
        months = con.execute("SELECT count(*) FROM monthly").fetchone()[0]
    assert n == len(h.launches) == 339
    assert months == len(h.monthly)
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left


def test_reused_then_rebuilt_when_stale(tmp_path):
    db = tmp_path / "h.duckdb"
    a = History.load(db=db)
    fp, mtime = stored_fingerprint(db), db.stat().st_mtime_ns
    b = History.load(db=db)
    assert db.stat().st_mtime_ns == mtime  # reused, not rewritten
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE standoff_meta SET value = 'stale' WHERE key = 'fingerprint'")
    c = History.load(db=db)
    assert stored_fingerprint(db) == fp
    pd.testing.assert_frame_equal(c.launches, a.launches)


def test_store_round_trip_preserves_types(tmp_path):
    stored = History.load(db=tmp_path / "x.duckdb")
    direct = History.load(store=False)
    for name in direct.tables:
        pd.testing.assert_frame_equal(stored.tables[name], direct.tables[name])


def test_garbage_at_the_default_location_is_replaced(tmp_path, monkeypatch):
    monkeypatch.setenv("STANDOFF_HOME", str(tmp_path))
    default_db_path().write_bytes(b"not a database")
    h = History.load()
    assert len(h.launches) == 339
    assert stored_fingerprint(default_db_path()) is not None
