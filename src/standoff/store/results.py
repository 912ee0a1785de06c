"""The results store: runs (backtests, and later sweeps and forecast logs) in DuckDB.

A small, general API, safe under kills and concurrency:

* :func:`write_run` writes one run -- a row of a *run table* plus its rows in any number of
  detail tables, all keyed by ``run_id`` -- in **one transaction**: a run exists completely
  or not at all (a failing or killed writer leaves no trace; a new results file is written
  to a temporary file and renamed into place). Storing the same ``run_id`` again replaces
  it. New columns are added to existing tables, so a run table can grow.
* :func:`latest_complete_run` reads the latest run matching some column values that has
  rows in every required detail table (runs written by older versions without a
  transaction may lack them).
* :func:`open_results` opens the file (read-only for readers), refuses a file that is not a
  standoff results store, and waits out a lock held by another standoff process (retrying
  for ``wait`` seconds) before failing with one line naming the process.
* :func:`check_writable` is called **before** long work starts, so a results file that is
  locked by a long-lived process, foreign, or in a read-only directory is reported at
  once, not after an hour of computing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd

from standoff.errors import DataError
from standoff.store import journal
from standoff.store.duckdb_store import (
    META_TABLE,
    _first_line,
    _tmp_path,
    clean_orphans,
    describe_objects,
    file_kind,
    foreign_objects,
    inventory,
    is_lock_error,
    read_marker,
    special_file_error,
)

RESULTS_KIND = "standoff-results"
#: tables written before the results store had a meta table (accepted as ours)
LEGACY_TABLES = {"backtest_runs", "backtest_scores", "backtest_forecasts"}
#: seconds to wait for another standoff process to release the results file
LOCK_WAIT_S = 30.0


def _x(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> None:
    """Execute a statement and consume its result (DuckDB needs it before the next one)."""
    con.execute(sql, params or []).fetchall()


def _check_file(path: Path) -> str:
    kind = file_kind(path)
    if kind == "directory":
        raise DataError(f"{path}: is a directory; expected the results DuckDB file")
    if kind == "special":
        raise special_file_error(path, "the results DuckDB file")
    if kind == "other":
        raise DataError(
            f"{path}: exists and is not a standoff results store (not a DuckDB file); "
            "refusing to write into it: move it away"
        )
    return kind


def _check_ours(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """A results store is ours if its ``standoff_meta`` (schema ``main``) says
    ``kind = standoff-results`` and it holds nothing but tables in ``main`` (no view, macro,
    sequence, type, index or other schema); or, as written before the marker existed, only
    the backtest tables. Anything else -- an empty database too -- is refused."""
    objects = inventory(con)
    has_meta = ("table", "main", META_TABLE) in objects
    meta = read_marker(con) if has_meta else None
    if meta is not None and meta.get("kind") == RESULTS_KIND:
        other = foreign_objects(objects, None)
        if other:
            raise DataError(
                f"{path}: a standoff results store that also holds {', '.join(other[:5])}; "
                "refusing to write into it"
            )
        return
    if has_meta:
        kind = None if meta is None else meta.get("kind")
        raise DataError(
            f"{path}: a DuckDB database of another kind ({kind!r}), "
            "not a standoff results store; refusing to use it"
        )
    if not objects:
        raise DataError(
            f"{path}: an empty DuckDB database without standoff's marker, not a standoff "
            "results store; refusing to write into it"
        )
    if foreign_objects(objects, LEGACY_TABLES):
        rest = [o for o in objects if not (o[0] == "table" and o[2] in LEGACY_TABLES)]
        raise DataError(
            f"{path}: a DuckDB database with {describe_objects(rest)}, not a standoff results "
            "store; refusing to write into it"
        )


def _unreadable(path: Path, exc: BaseException) -> str:
    return (
        f"{path}: the results store cannot be read ({_first_line(exc)}); if it is corrupt, "
        f"move it away or delete it (rm '{path}') to start a new track record"
    )


def _connect(path: Path, read_only: bool, wait: float) -> duckdb.DuckDBPyConnection:
    t0 = time.monotonic()
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.Error as exc:
            if not is_lock_error(exc):
                raise DataError(_unreadable(path, exc)) from None
            if time.monotonic() - t0 >= wait:
                raise DataError(
                    f"{path}: locked by another process for more than {wait:g} s "
                    f"({_first_line(exc)}); wait for it or close it and run again"
                ) from None
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


@contextlib.contextmanager
def open_results(
    path: str | Path, *, write: bool = False, wait: float = LOCK_WAIT_S
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to an existing results store (read-only unless ``write``), checked to be
    ours, retrying while another process holds the lock."""
    path = Path(path)
    if _check_file(path) != "duckdb":
        raise DataError(f"{path}: no results store here")
    con = _connect(path, read_only=not write, wait=wait)
    try:
        _check_ours(con, path)
        yield con
    except duckdb.Error as exc:
        raise DataError(_unreadable(path, exc)) from None
    finally:
        con.close()


def check_writable(path: str | Path, *, wait: float = 0.0) -> None:
    """Fail now (one line) if a run could not be written to ``path`` later."""
    path = Path(path)
    kind = _check_file(path)
    if kind == "duckdb":
        with open_results(path, write=True, wait=wait):
            return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        probe = _tmp_path(path)
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise DataError(f"{path}: cannot write the results store ({exc.strerror})") from None


def _duck_types(con: duckdb.DuckDBPyConnection, df: pd.DataFrame) -> dict[str, str]:
    con.register("_types", df)
    try:
        return {r[0]: r[1] for r in con.execute("DESCRIBE SELECT * FROM _types").fetchall()}
    finally:
        con.unregister("_types")


def _put(con: duckdb.DuckDBPyConnection, name: str, df: pd.DataFrame, run_id: str) -> None:
    """Create ``name`` if needed (adding missing columns), replace the run's rows."""
    types = _duck_types(con, df)
    con.register("_df", df)
    try:
        _x(con, f'CREATE TABLE IF NOT EXISTS "{name}" AS SELECT * FROM _df LIMIT 0')
        have = {r[0] for r in con.execute(f'DESCRIBE "{name}"').fetchall()}
        for col, typ in types.items():
            if col not in have:
                _x(con, f'ALTER TABLE "{name}" ADD COLUMN "{col}" {typ}')
        _x(con, f'DELETE FROM "{name}" WHERE run_id = ?', [run_id])
        if len(df):
            _x(con, f'INSERT INTO "{name}" BY NAME SELECT * FROM _df')
    finally:
        con.unregister("_df")


def _write(
    con: duckdb.DuckDBPyConnection,
    run_table: str,
    run_meta: dict,
    tables: dict[str, pd.DataFrame],
) -> None:
    run_id = str(run_meta["run_id"])
    _x(con, f"CREATE TABLE IF NOT EXISTS {META_TABLE} (key VARCHAR, value VARCHAR)")
    if not con.execute(f"SELECT count(*) FROM {META_TABLE} WHERE key = 'kind'").fetchall()[0][0]:
        _x(con, f"INSERT INTO {META_TABLE} VALUES ('kind', ?)", [RESULTS_KIND])
    for name, df in tables.items():
        _put(con, name, df.assign(run_id=run_id), run_id)
    row = {**run_meta, "stored_at": dt.datetime.now(dt.UTC).replace(tzinfo=None)}
    _put(con, run_table, pd.DataFrame([row]), run_id)  # the run row last


def write_run(
    path: str | Path,
    run_table: str,
    run_meta: dict,
    tables: dict[str, pd.DataFrame],
    *,
    wait: float = LOCK_WAIT_S,
) -> str:
    """Write a run (``run_meta`` must hold ``run_id``) and its detail ``tables`` in one
    transaction; returns the run id. Every detail frame gets the ``run_id`` column."""
    path = Path(path)
    if "run_id" not in run_meta:
        raise ValueError("write_run: run_meta needs a 'run_id'")
    kind = _check_file(path)
    if kind != "duckdb":  # a new store: written whole to a temporary file, then renamed
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DataError(f"{path}: cannot write the results store ({exc.strerror})") from None
        clean_orphans(path)
        tmp = _tmp_path(path)
        try:
            tmp.unlink(missing_ok=True)
            with duckdb.connect(str(tmp)) as con:
                _write(con, run_table, run_meta, tables)
            if kind == "empty":  # an empty file holds nothing to lose
                tmp.replace(path)
                return str(run_meta["run_id"])
            try:
                os.link(tmp, path)  # atomic, and never replaces a store created meanwhile
                journal.created(path)
                return str(run_meta["run_id"])
            except FileExistsError:
                pass  # another process created the store: add the run in a transaction
        except (duckdb.Error, OSError) as exc:
            raise DataError(
                f"{path}: cannot write the results store ({_first_line(exc)})"
            ) from None
        finally:
            for p in (tmp, Path(str(tmp) + ".wal")):
                with contextlib.suppress(OSError):
                    p.unlink(missing_ok=True)
    with open_results(path, write=True, wait=wait) as con:
        con.begin()
        try:
            _write(con, run_table, run_meta, tables)
            con.commit()
            journal.added_run(path, [*tables, run_table], str(run_meta["run_id"]))
        except BaseException as exc:
            con.rollback()
            if isinstance(exc, duckdb.Error):
                raise DataError(
                    f"{path}: cannot store the run ({_first_line(exc)}); nothing was written"
                ) from None
            raise
    return str(run_meta["run_id"])


def latest_complete_run(
    path: str | Path,
    run_table: str,
    where: dict | None = None,
    require: tuple[str, ...] = (),
    *,
    wait: float = LOCK_WAIT_S,
) -> dict | None:
    """The latest run of ``run_table`` whose columns equal ``where`` and that has rows in
    every table of ``require``; ``None`` if there is none (or no store)."""
    path = Path(path)
    if file_kind(path) in ("missing", "empty"):
        return None  # (a directory or a special file is refused by open_results)
    with open_results(path, wait=wait) as con:
        have = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        if run_table not in have or any(t not in have for t in require):
            return None
        cols = {r[0] for r in con.execute(f'DESCRIBE "{run_table}"').fetchall()}
        conds, params = [], []
        for k, v in (where or {}).items():
            conds.append(f'r."{k}" = ?')
            params.append(v)
        for t in require:
            conds.append(f'EXISTS (SELECT 1 FROM "{t}" d WHERE d.run_id = r.run_id)')
        order = (
            "r.stored_at DESC NULLS LAST, r.rowid DESC" if "stored_at" in cols else "r.rowid DESC"
        )
        sql = (
            f'SELECT r.* FROM "{run_table}" r'
            + (" WHERE " + " AND ".join(conds) if conds else "")
            + f" ORDER BY {order} LIMIT 1"
        )
        df = con.execute(sql, params).df()
    if df.empty:
        return None
    return df.iloc[0].to_dict()


def read_run_rows(
    path: str | Path, table: str, run_id: str, *, wait: float = LOCK_WAIT_S
) -> pd.DataFrame:
    """The rows of ``table`` for one run."""
    with open_results(Path(path), wait=wait) as con:
        return con.execute(f'SELECT * FROM "{table}" WHERE run_id = ?', [run_id]).df()
