"""Output habits: --format table|csv|json, compact tables, the summary cache (issue 12)."""

from __future__ import annotations

import csv
import io
import json

import pytest


def test_summary_cache_gives_the_computed_summary(run_cli, monkeypatch, tmp_path):
    monkeypatch.setenv("STANDOFF_HOME", str(tmp_path))
    from standoff.cli import _summary_cache

    for args in ([], ["--by", "year"], ["--by", "leader", "--as-of", "2017-12-31"]):
        by = args[args.index("--by") + 1] if "--by" in args else None
        as_of = args[args.index("--as-of") + 1] if "--as-of" in args else None
        assert _summary_cache.get(by, as_of) is None
        code, computed, _ = run_cli("history", "summary", *args, "--json")  # miss: computes
        assert code == 0
        assert _summary_cache.get(by, as_of) == json.loads(computed)
        for fmt in ("json", "csv", "table"):  # hit: the fast path prints the same
            _, slow, _ = run_cli(
                "--db", tmp_path / "h.duckdb", "history", "summary", *args, "--format", fmt
            )
            _, fast, _ = run_cli("history", "summary", *args, "--format", fmt)
            assert fast == slow, (args, fmt)


def test_summary_cache_key_changes_with_the_arguments_and_data(monkeypatch, tmp_path):
    from standoff.cli import _summary_cache

    assert _summary_cache.key(None, None) == _summary_cache.key(None, None)
    assert _summary_cache.key(None, None) != _summary_cache.key("year", None)
    assert _summary_cache.key("year", None) != _summary_cache.key("year", "2017-12-31")


def test_summary_cache_dir_is_beside_the_default_store(monkeypatch, tmp_path):
    from standoff.cli._summary_cache import cache_dir
    from standoff.store.duckdb_store import default_db_path

    monkeypatch.setenv("STANDOFF_HOME", str(tmp_path))
    assert cache_dir() == default_db_path().parent / "cache"
    monkeypatch.delenv("STANDOFF_HOME")
    assert cache_dir() == default_db_path().parent / "cache"


def test_fast_path_leaves_errors_to_the_command(run_cli):
    code, _, err = run_cli("history", "summary", "--by", "decade")
    assert code == 2 and "--by: expected one of year, leader, type" in err
    code, _, err = run_cli("history", "summary", "--format", "xml")
    assert code == 2 and "--format: expected one of table, csv, json" in err
    code, _, err = run_cli("history", "summary", "--json", "--format", "csv")
    assert code == 2 and "--json" in err


def test_query_select_star_is_compact(run_cli):
    code, out, _ = run_cli("history", "query", "SELECT * FROM launches LIMIT 3")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) < 15, out  # 3 rows, one line each, plus header, borders and a note
    assert "more column(s) not shown" in out
    assert "NaT" not in out and "nan" not in out.lower().split()


def test_query_csv_and_json_have_every_column(run_cli):
    code, out, _ = run_cli("history", "query", "SELECT * FROM launches LIMIT 3", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    _, js, _ = run_cli("history", "query", "SELECT * FROM launches LIMIT 3", "--json")
    recs = json.loads(js)
    assert len(rows) == len(recs) == 3
    assert list(rows[0]) == list(recs[0])
    assert rows[0]["date"] == recs[0]["date"]


@pytest.mark.parametrize(
    "args",
    [
        ["history", "summary", "--by", "year"],
        ["history", "timeline", "--from", "2017-01-01", "--to", "2017-12-31"],
        ["history", "claims"],
        ["history", "sources", "G1"],
        ["scenario", "list"],
        ["scenario", "show", "korea-now"],
        ["evidence"],
        ["bargain", "--scenario", "korea-2018"],
        ["forecast", "--as-of", "2018-01-01", "--horizon", "3", "--paths", "100", "--seed", "1"],
        ["compare", "--policies", "status-quo,phased-relief", "--horizon", "3", "--paths", "100"],
        ["backtest", "--from", "2015-01", "--to", "2015-02", "--paths", "50", "--no-store"],
    ],
)
def test_every_table_command_takes_format_csv(run_cli, args):
    code, out, err = run_cli(*args, "--format", "csv")
    assert code == 0, err
    rows = list(csv.reader(io.StringIO(out)))
    assert len(rows) >= 2 and len({len(r) for r in rows}) == 1


def test_missing_values_read_as_a_dash(run_cli):
    code, out, _ = run_cli("history", "summary", "--by", "year")
    assert code == 0
    assert "–" in out  # years after the CNS data end
    assert "ICBMs" in out and "nuclear tests" in out and "ICBM launch" not in out  # counts
    for bad in ("None", "NaT", "nan"):
        assert bad not in out


def test_cells_for_people():
    import datetime as dt

    import numpy as np
    import pandas as pd

    from standoff.cli._common import cell

    cases = [
        (None, "–"),
        (float("nan"), "–"),
        (pd.NaT, "–"),
        (pd.NA, "–"),
        (np.float64("nan"), "–"),
        (4475.0, "4475"),
        (12345.6, "12345.6"),
        (2.807017, "2.807"),
        (np.int64(7), "7"),
        (pd.Timestamp("2017-01-02"), "2017-01-02"),
        (dt.date(2017, 1, 2), "2017-01-02"),
        (True, "yes"),
    ]
    for value, text in cases:
        assert cell(value) == text, value
