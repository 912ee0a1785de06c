"""SQL from a user or a file is data: every escape is refused (exit 2), nothing is written."""

from __future__ import annotations

import hashlib

import pytest
import yaml

from standoff.history import History
from standoff.store.sandbox import Limits, run_queries


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def _store(tmp_path_factory):
    d = tmp_path_factory.mktemp("sandbox")
    db = d / "h.duckdb"
    h = History.load(db=db)
    (d / "secret.csv").write_text("password\nhunter2\n")
    return db, h


@pytest.fixture
def store(_store, monkeypatch):
    """A history store in its own directory (with a file outside it to steal); the CLI
    reuses the History loaded from it (loading is tested elsewhere: this keeps tests fast)."""
    db, h = _store
    monkeypatch.setattr("standoff.cli._common.State.history", lambda self: h)
    return db


def _escapes(d):
    db = d / "h.duckdb"
    return {
        "copy_to": (f"COPY (SELECT 1 AS x) TO '{d / 'pwn.csv'}'", d / "pwn.csv"),
        "copy_table_to": (f"COPY launches TO '{d / 'pwn2.csv'}'", d / "pwn2.csv"),
        "read_csv": (f"SELECT * FROM read_csv('{d / 'secret.csv'}')", None),
        "read_text": (f"SELECT content FROM read_text('{d / 'secret.csv'}')", None),
        "glob": (f"SELECT * FROM glob('{d}/*')", None),
        "attach_store": (f"ATTACH '{db}' AS s", None),
        "attach_new": (f"ATTACH '{d / 'new.duckdb'}' AS n", d / "new.duckdb"),
        "install": ("INSTALL httpfs", None),
        "load": ("LOAD httpfs", None),
        "create": ("CREATE TABLE launches2 AS SELECT * FROM launches", None),
        "update": ("UPDATE launches SET apogee_km = 0", None),
        "delete": ("DELETE FROM launches", None),
        "insert": ("INSERT INTO leaders SELECT * FROM leaders", None),
        "drop": ("DROP TABLE launches", None),
        "set": ("SET enable_external_access = true", None),
        "reset": ("RESET lock_configuration", None),
        "pragma": ("PRAGMA database_list", None),
        "export": (f"EXPORT DATABASE '{d / 'exp'}'", d / "exp"),
        "two_statements": ("SELECT 1; DELETE FROM launches", None),
        "query_function": ("SELECT * FROM query('DELETE FROM launches')", None),
    }


ESCAPES = list(_escapes(__import__("pathlib").Path("/x")))


@pytest.mark.parametrize("name", ESCAPES)
def test_history_query_refuses(name, store, run_cli):
    d = store.parent
    sql, target = _escapes(d)[name]
    before = _digest(store)
    code, out, err = run_cli("--db", store, "history", "query", sql)
    assert code == 2, (out, err)
    assert err.startswith("error: query: ") and err.count("\n") == 1, err
    assert "hunter2" not in out + err
    assert _digest(store) == before  # the store is byte-identical
    assert target is None or not target.exists()
    assert sorted(p.name for p in d.iterdir()) == ["h.duckdb", "secret.csv"]


@pytest.mark.parametrize("name", ESCAPES)
def test_claims_file_refuses(name, store, run_cli, tmp_path):
    d = store.parent
    sql, target = _escapes(d)[name]
    claims = {
        "title": "hostile",
        "as_of": "2018-01-01",
        "claims": [
            {"id": "ok", "text": "fine", "reason": "no check"},
            {"id": "evil", "text": "evil", "checks": [{"query": sql, "op": "eq", "value": 1}]},
        ],
    }
    f = tmp_path / "c.yaml"
    f.write_text(yaml.safe_dump(claims))
    before = _digest(store)
    code, out, err = run_cli("--db", store, "history", "claims", f)
    assert code == 2, (out, err)
    assert "claims[1] (evil)" in err and "query failed" in err and err.count("\n") == 1
    assert _digest(store) == before
    assert target is None or not target.exists()
    assert sorted(p.name for p in d.iterdir()) == ["h.duckdb", "secret.csv"]


def test_rows_unchanged_after_delete_attempt(_store, run_cli):
    store, _ = _store  # the real CLI path: the store is opened by the command
    code, out, _ = run_cli("--db", store, "history", "query", "SELECT count(*) AS n FROM launches")
    assert code == 0 and "339" in out
    assert run_cli("--db", store, "history", "query", "DELETE FROM launches")[0] == 2
    assert len(History.load(db=store).launches) == 339


@pytest.mark.parametrize("sql", ["", "   ", ";", " ; "])
def test_empty_sql_is_exit_2(sql, store, run_cli):
    code, _, err = run_cli("history", "query", sql)
    assert code == 2 and "expected a SQL SELECT statement" in err


def test_claims_run_next_to_a_refused_one(store, run_cli, tmp_path):
    sql = "SELECT count(*) FROM launches WHERE year(date) = 2017"
    f = tmp_path / "c.yaml"
    f.write_text(
        yaml.safe_dump(
            {
                "title": "t",
                "as_of": "2018-01-01",
                "claims": [
                    {"id": "a", "text": "a", "checks": [{"query": sql, "op": "gt", "value": 1}]}
                ],
            }
        )
    )
    code, out, err = run_cli("--db", store, "history", "claims", f, "--json")
    assert code == 0, err
    assert '"supported"' in out


def test_reading_statements_still_work(hist):
    assert hist.query("DESCRIBE launches")["column_name"].tolist()[0] == "id"
    assert hist.query("SELECT as_of FROM meta")["as_of"].isna().all()
    cut = hist.as_of("2017-12-31")
    assert str(cut.query("SELECT as_of FROM meta")["as_of"].iloc[0])[:10] == "2017-12-31"
    n = cut.query("WITH x AS (SELECT * FROM launches) SELECT count(*) AS n FROM x")["n"].iloc[0]
    assert n == len(cut.launches)


def test_infinite_recursive_cte_stops(hist):
    sql = "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t) SELECT count(*) FROM t"
    with pytest.raises(ValueError, match="time limit"):
        hist.query(sql, seconds=1.0)


def test_row_cap_is_an_error_not_a_blow_up(hist):
    with pytest.raises(ValueError, match="more than 1,000 rows"):
        hist.query("SELECT * FROM range(10000000)", max_rows=1000)
    assert len(hist.query("SELECT * FROM range(1000)", max_rows=1000)) == 1000


def test_memory_blow_up_stops():
    # one scalar of 2 GB ignores DuckDB's memory limit and interrupts: the worker's
    # address-space limit stops it
    (res,) = run_queries({}, ["SELECT length(repeat('x', 2000000000))"], Limits(20, 256, 10))
    assert res.error is not None and "memory" in res.error


def test_one_bad_query_does_not_stop_the_others():
    res = run_queries({}, ["SELECT 1 AS a", "DELETE FROM x", "SELECT 2 AS b"])
    assert res[0].frame["a"].iloc[0] == 1 and res[2].frame["b"].iloc[0] == 2
    assert "DELETE statements are not allowed" in res[1].error


# ------------------------------------------------------------------ issue 21: one budget
def test_batches_share_one_deadline_and_late_ones_never_start(hist, tmp_path):
    """Three runaway batches (as-of dates) with one 1-second budget: the first is stopped,
    the tables of the next two are never even built (their builders would leave a file)."""
    from standoff.store.sandbox import run_batches

    runaway = "SELECT count(*) FROM range(1000000000000) t(a), range(10) u(b)"

    def tables(k):
        def build():
            (tmp_path / f"built-{k}").write_text("x")
            return hist.sql_tables()

        return build

    out = run_batches([(tables(k), [runaway]) for k in range(3)], Limits(seconds=1.0))
    assert [len(r) for r in out] == [1, 1, 1]
    assert all("time limit (1 s)" in r[0].error for r in out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["built-0"]


def test_many_dates_run_in_one_worker_with_lazy_tables(hist):
    """Only the tables a batch names are registered (a view's monthly panel is built only
    if asked for); the names offered are exactly those of ``History.sql_tables``."""
    from standoff.history.claims import _LazyTables
    from standoff.store.sandbox import run_batches

    view = hist.as_of("2010-01-01")
    lazy = _LazyTables(view)
    assert set(lazy) == set(view.sql_tables())
    out = run_batches(
        [
            (lazy, ["SELECT count(*) FROM launches"]),
            (_LazyTables(hist.as_of("2015-01-01")), ["SELECT max(month) FROM monthly"]),
            (lazy, ["SHOW TABLES"]),
        ],
        Limits(seconds=30),
    )
    assert out[0][0].error is None and int(out[0][0].frame.iloc[0, 0]) > 0
    assert str(out[1][0].frame.iloc[0, 0]).startswith("2014-12") or out[1][0].error is None
    names = set(out[2][0].frame.iloc[:, 0])
    assert names == set(view.sql_tables())


@pytest.mark.parametrize(
    "sql",
    [
        "EXPLAIN ANALYZE SELECT 1",
        "EXPLAIN ANALYZE CREATE TABLE t AS SELECT 1",
        "EXPLAIN (ANALYZE) DROP VIEW launches",
        "EXPLAIN ANALYZE CHECKPOINT",
        "EXPLAIN ANALYZE VACUUM",
        "UPDATE EXTENSIONS",
        "UPDATE EXTENSIONS (httpfs)",
        "SELECT * FROM checkpoint()",
        'SELECT * FROM "force_checkpoint"()',
        "SELECT '\ud800'",
    ],
)
def test_statement_check_refuses_anything_that_executes(sql):
    from standoff.store.sandbox import SandboxError, check_statement

    with pytest.raises(SandboxError):
        check_statement(sql)


def test_statement_check_allows_the_words_in_literals():
    from standoff.store.sandbox import check_statement

    check_statement("SELECT 'checkpoint()' AS a, 'EXPLAIN ANALYZE' AS b")
    check_statement("EXPLAIN SELECT 1")
    check_statement("/* EXPLAIN ANALYZE */ SELECT 1")
