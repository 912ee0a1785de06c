"""The combined forecast's track-record cache holds data only, validated on read (issue 21)."""

from __future__ import annotations

import io
import json
import pickle

import numpy as np
import pandas as pd
import pytest

from standoff.forecast import combined


@pytest.fixture
def rec(hist):
    from standoff.backtest.core import forecast_origin

    r = forecast_origin(hist, pd.Period("2010-01", freq="M"), [1, 2, 3], 20, 0)
    r.pop("known")
    return r


def test_a_record_round_trips_bit_for_bit(rec):
    back = combined.load_record(combined.dump_record(rec), "2010-01", 3, 20)
    assert back is not None
    for k in (1, 2, 3):
        assert back["h"][k]["forecast"] == rec["h"][k]["forecast"]
        assert back["h"][k]["baselines"] == rec["h"][k]["baselines"]
        np.testing.assert_array_equal(back["h"][k]["launch_draws"], rec["h"][k]["launch_draws"])
    skipped = {"origin": "2010-02", "skipped": True}
    assert combined.load_record(combined.dump_record(skipped), "2010-02", 3, 20) == skipped


def _npz(meta, draws) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, meta=np.array(json.dumps(meta)), draws=draws)
    return buf.getvalue()


def test_foreign_or_malformed_entries_are_refused(rec):
    good = combined.dump_record(rec)
    meta = json.loads(str(np.load(io.BytesIO(good))["meta"]))
    draws = np.load(io.BytesIO(good))["draws"]
    bad = [
        b"",
        b"not a zip",
        pickle.dumps({"origin": "2010-01"}),  # a pickle is never loaded
        good[: len(good) // 2],  # truncated
        _npz({**meta, "origin": "2011-01"}, draws),  # another origin
        _npz(meta, draws[:, :5]),  # another number of paths
        _npz(meta, -draws - 1),  # negative counts
        _npz(meta, draws.astype(float)),  # not integers
    ]
    m2 = json.loads(json.dumps(meta))
    m2["h"]["1"]["forecast"]["icbm"] = 1.5
    bad.append(_npz(m2, draws))
    m3 = json.loads(json.dumps(meta))
    del m3["h"]["2"]
    bad.append(_npz(m3, draws))
    buf = io.BytesIO()  # an object array needs pickle to load: refused
    np.savez(buf, meta=np.array([{"origin": "2010-01"}], dtype=object), draws=draws)
    bad.append(buf.getvalue())
    for data in bad:
        assert combined.load_record(data, "2010-01", 3, 20) is None


def test_a_planted_or_broken_cache_is_rebuilt_never_executed(hist, tmp_path, monkeypatch):
    """Plant a pickle that would write a file if it were unpickled and garbage in an entry:
    the track record is recomputed, the payload never runs, and the entry is replaced by a
    valid one; a second call reads the cache and gives identical records."""
    monkeypatch.setattr(combined, "_cache_dir", lambda: tmp_path)
    monkeypatch.setattr(combined, "TRACK_FROM", "2012-01")
    monkeypatch.setattr(combined, "TRACK_PATHS", 20)
    monkeypatch.setattr(combined, "MAX_H", 3)
    until = pd.Period("2012-07", freq="M")
    first = combined.track_record(hist, until)
    (key,) = [d for d in tmp_path.iterdir() if d.is_dir()]
    canary = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (open, (str(canary), "w"))

    (key / "2012-01.pkl").write_bytes(pickle.dumps(Payload()))
    (key / "2012-04.npz").write_bytes(pickle.dumps(Payload()))
    again = combined.track_record(hist, until)
    assert not canary.exists()
    assert combined.load_record((key / "2012-04.npz").read_bytes(), "2012-04", 3, 20) is not None
    assert [r["origin"] for r in again] == [r["origin"] for r in first]
    for a, b in zip(first, again, strict=True):
        for k in a["h"]:
            assert a["h"][k]["forecast"] == b["h"][k]["forecast"]
            np.testing.assert_array_equal(a["h"][k]["launch_draws"], b["h"][k]["launch_draws"])
