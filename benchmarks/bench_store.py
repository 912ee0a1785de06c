"""Cost of the store's safety: the row checksum verified on every open, and the SQL sandbox.

Prints the median of several runs (ms): opening the history store (read-only, checksum
verified, tables read), the checksum query alone, a sandboxed ``history query`` (forked
worker) against the same query on a plain in-process connection, and a refused statement.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import duckdb


def _ms(fn, n: int = 7) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def main() -> None:
    from standoff.history import History
    from standoff.history.schema import BASE_TABLES
    from standoff.store.duckdb_store import rows_checksum

    with tempfile.TemporaryDirectory() as d:
        db = Path(d) / "history.duckdb"
        h = History.load(db=db)

        con = duckdb.connect(str(db), read_only=True)

        def read_only_tables():
            for n in BASE_TABLES:
                con.execute(f'SELECT * FROM "{n}"').df()

        def checksum():
            rows_checksum(con)

        sql = "SELECT year(date) AS y, count(*) AS n FROM launches GROUP BY y ORDER BY y"
        tables = h.sql_tables()

        def plain():
            con = duckdb.connect()
            for name, df in tables.items():
                con.register(name, df)
            con.execute(sql).df()
            con.close()

        rows = [
            (
                "History.load (store current: open, verify rows, read)",
                _ms(lambda: History.load(db=db)),
            ),
            ("  read the tables into pandas", _ms(read_only_tables)),
            ("  row checksum (every table, every row)", _ms(checksum)),
            ("history query, sandboxed (forked worker)", _ms(lambda: h.query(sql))),
            ("same query, plain in-process connection", _ms(plain)),
            ("refused statement (DELETE)", _ms(lambda: _refused(h))),
        ]
        con.close()
    for label, ms in rows:
        print(f"{label:<58} {ms:8.1f} ms")


def _refused(h) -> None:
    try:
        h.query("DELETE FROM launches")
    except ValueError:
        pass


if __name__ == "__main__":
    main()
