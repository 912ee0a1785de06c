"""A sandbox for SQL that comes from a user or a file (``history query``, claims checks).

Such SQL is data, never code. It runs:

* on a **separate in-memory DuckDB database** holding only the tables it may read (views
  over in-memory copies of a ``History`` view); the history store and the results store
  are never opened by it, so nothing it does can reach them;
* with ``enable_external_access = false`` (no ``COPY``, no file or network functions such
  as ``read_csv``/``read_parquet``/``read_text``/``glob``, no ``ATTACH``, no
  ``INSTALL``/``LOAD``), extension auto-loading and Python replacement scans off, and
  ``lock_configuration = true`` (no ``SET``/``RESET`` can undo any of this);
* only if it is **one read-only statement** (``SELECT``, ``WITH ... SELECT``, ``FROM``,
  ``VALUES``, ``DESCRIBE``, ``SHOW``, ``SUMMARIZE``, ``EXPLAIN``): ``CREATE``, ``INSERT``,
  ``UPDATE``, ``DELETE``, ``COPY``, ``ATTACH``, ``SET``, ``PRAGMA``, ``CALL``... are
  refused before anything runs;
* within **bounded time, memory and rows**: a time limit (``con.interrupt()`` from a timer,
  and on Linux a hard kill of the worker), DuckDB's ``memory_limit`` with one thread, an
  address-space limit on the worker, and a cap on the rows returned.

On Linux (``fork`` available) the statements run in a forked worker process with
``RLIMIT_AS`` set, so even a scalar function that ignores DuckDB's memory limit and
interrupts (``repeat('x', 10^9)``) is stopped; elsewhere they run in-process with DuckDB's
own limits only. Every refusal or limit raises :class:`SandboxError` with one line.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

#: statement types a sandboxed query may have (names of ``duckdb.StatementType``)
READ_ONLY_TYPES = ("SELECT", "EXPLAIN")

TIME_LIMIT_S = 10.0
MEMORY_LIMIT_MB = 1024
MAX_ROWS = 100_000
_MSG_MAX = 300


class SandboxError(Exception):
    """A query was refused, failed, or exceeded a limit (message: one line)."""


@dataclass(frozen=True)
class Limits:
    """Bounds for one batch of queries.

    ``seconds`` is the time for the whole batch; ``memory_mb`` the memory of the worker
    beyond what it starts with (DuckDB itself gets half of it); ``max_rows`` the rows kept
    per result (one more is fetched to tell whether the result was cut).
    """

    seconds: float = TIME_LIMIT_S
    memory_mb: int = MEMORY_LIMIT_MB
    max_rows: int = MAX_ROWS


@dataclass
class Result:
    frame: pd.DataFrame | None = None
    truncated: bool = False
    error: str | None = None


def _short(text: str) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= _MSG_MAX else line[: _MSG_MAX - 3] + "..."


def _oom(limits: Limits) -> str:
    return f"stopped: the query needs more memory than the limit ({limits.memory_mb} MiB)"


def _connect(tables: dict[str, pd.DataFrame], limits: Limits):
    import duckdb

    con = duckdb.connect(
        ":memory:",
        config={
            "threads": 1,
            "memory_limit": f"{max(limits.memory_mb // 2, 64)}MB",
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "python_enable_replacements": False,
        },
    )
    for name, df in tables.items():
        con.register(name, df)
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con


_PARSER = None
_PARSER_LOCK = threading.Lock()


def _parser():
    """A connection used only to parse (never to run) statements; created once."""
    global _PARSER
    if _PARSER is None:
        import duckdb

        con = duckdb.connect(":memory:", config={"threads": 1})
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        _PARSER = con
    return _PARSER


def check_statement(sql: str, con=None) -> None:
    """Refuse anything but one read-only statement (before anything runs)."""
    import duckdb

    if not sql or not sql.strip() or not sql.strip().strip(";").strip():
        raise SandboxError("expected a SQL SELECT statement, got nothing")
    try:
        if con is None:
            with _PARSER_LOCK:
                statements = _parser().extract_statements(sql)
        else:
            statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise SandboxError(_short(str(exc).strip().splitlines()[0])) from None
    if len(statements) != 1:
        raise SandboxError(
            f"expected one SELECT statement, got {len(statements)} statements "
            "(only reading queries are allowed)"
        )
    kind = statements[0].type.name
    if kind not in READ_ONLY_TYPES:
        raise SandboxError(
            f"{kind} statements are not allowed: only reading queries (SELECT, WITH, "
            "DESCRIBE, SUMMARIZE, EXPLAIN) run on the history; nothing can be written, "
            "attached, loaded or read from files"
        )


def _run_one(con, sql: str, limits: Limits, deadline: float) -> Result:
    import duckdb

    try:
        check_statement(sql, con)  # again, on the connection that runs it
    except SandboxError as exc:
        return Result(error=str(exc))
    left = deadline - time.monotonic()
    if left <= 0:
        return Result(error=f"stopped: the queries ran past the time limit ({limits.seconds:g} s)")
    timer = threading.Timer(left, con.interrupt)
    timer.daemon = True
    timer.start()
    try:
        rel = con.sql(sql)
        if rel is None:  # not a relation (cannot happen for the allowed types)
            return Result(frame=pd.DataFrame())
        df = rel.limit(limits.max_rows + 1).df()
    except duckdb.InterruptException:
        return Result(error=f"stopped: the query ran past the time limit ({limits.seconds:g} s)")
    except (duckdb.OutOfMemoryException, MemoryError):
        return Result(error=_oom(limits))
    except duckdb.Error as exc:
        return Result(error=_short(str(exc).strip().splitlines()[0]))
    finally:
        timer.cancel()
    truncated = len(df) > limits.max_rows
    return Result(frame=df.iloc[: limits.max_rows], truncated=truncated)


def _run_all(tables, queries, limits: Limits) -> list[Result]:
    deadline = time.monotonic() + limits.seconds
    con = _connect(tables, limits)
    try:
        return [_run_one(con, q, limits, deadline) for q in queries]
    finally:
        con.close()


def _vm_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _worker(conn, tables, queries, limits: Limits) -> None:  # pragma: no cover (child)
    import resource

    try:
        budget = _vm_bytes() + limits.memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (budget, budget))
    except (OSError, ValueError):
        pass
    try:
        out = _run_all(tables, queries, limits)
    except MemoryError:
        out = [Result(error=_oom(limits))] * len(queries)
    except BaseException as exc:  # report anything to the parent, in one line
        out = [Result(error=_short(f"{type(exc).__name__}: {exc}"))] * len(queries)
    try:
        conn.send(out)
    except MemoryError:
        conn.send([Result(error=_oom(limits))])
    conn.close()


def _can_fork() -> bool:
    return sys.platform.startswith("linux") and "fork" in mp.get_all_start_methods()


def run_queries(
    tables: dict[str, pd.DataFrame] | Callable[[], dict[str, pd.DataFrame]],
    queries: list[str],
    limits: Limits | None = None,
) -> list[Result]:
    """Run ``queries`` on a sandboxed copy of ``tables``; one :class:`Result` per query.

    ``tables`` may be a function returning them, called only if a query passes the check.

    A refused or failing query gives a result with ``error`` set (the others still run);
    running out of time or memory stops the batch (every result not yet returned gets the
    error).
    """
    limits = limits or Limits()
    out: list[Result | None] = []
    for q in queries:  # refuse what is not one reading statement without starting anything
        try:
            check_statement(q)
            out.append(None)
        except SandboxError as exc:
            out.append(Result(error=str(exc)))
    todo = [q for q, r in zip(queries, out, strict=True) if r is None]
    if todo:
        done = iter(_run_batch(tables() if callable(tables) else tables, todo, limits))
        out = [next(done) if r is None else r for r in out]
    return out


def _run_batch(tables: dict[str, pd.DataFrame], queries: list[str], limits: Limits):
    if not _can_fork():
        return _run_all(tables, queries, limits)
    ctx = mp.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_worker, args=(send, tables, queries, limits), daemon=True)
    proc.start()
    send.close()
    grace = 2.0
    try:
        if recv.poll(limits.seconds + grace):
            try:
                out = recv.recv()
            except EOFError:
                out = None
        else:
            out = "timeout"
    finally:
        recv.close()
        if proc.is_alive():
            proc.kill()
        proc.join()
    if out == "timeout":
        msg = f"stopped: the queries ran past the time limit ({limits.seconds:g} s)"
        return [Result(error=msg) for _ in queries]
    if out is None:  # the worker died (out of memory, killed)
        return [Result(error=_oom(limits)) for _ in queries]
    if len(out) != len(queries):
        return [out[0]] * len(queries)
    return out
