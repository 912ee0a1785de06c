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
  ``VALUES``, ``DESCRIBE``, ``SHOW``, ``SUMMARIZE``, and ``EXPLAIN`` of a ``SELECT``):
  ``CREATE``, ``INSERT``, ``UPDATE``, ``DELETE``, ``COPY``, ``ATTACH``, ``SET``, ``PRAGMA``,
  ``CALL``, ``UPDATE EXTENSIONS``, statement types DuckDB adds later, ``EXPLAIN ANALYZE``
  (which *executes* the statement it explains, whatever it is) and the table functions that
  act (``checkpoint()``, ``force_checkpoint()``) are refused before anything runs, and so is
  text that is not valid Unicode (a lone surrogate);
* within **bounded time, memory and rows**: one time limit for the whole batch of queries
  (:func:`run_batches`: every as-of date of a claims file shares it), ``con.interrupt()``
  from a timer and on Linux a hard kill of the worker, DuckDB's ``memory_limit`` with one
  thread, an address-space limit on the worker, and a cap on the rows returned.

Results keep every DuckDB type printable: UUID, INTERVAL, BIT, TIME WITH TIME ZONE and
nested values holding them come back as DuckDB's own text, HUGEINT/UHUGEINT as Python
integers, and a column that NumPy cannot hold (an infinite date, a timestamp outside
pandas' range) is retried as text rather than failing.

On Linux (``fork`` available) the statements run in a forked worker process with
``RLIMIT_AS`` set, so even a scalar function that ignores DuckDB's memory limit and
interrupts (``repeat('x', 10^9)``) is stopped; elsewhere they run in-process with DuckDB's
own limits only. Every refusal or limit raises :class:`SandboxError` with one line.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Mapping
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


def _connect(tables: Mapping[str, pd.DataFrame] | None, limits: Limits, queries=()):
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
    if tables is not None:
        _register(con, tables, queries)
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CATALOG_WORDS = {"show", "describe", "summarize", "information_schema", "pg_catalog"}


def _needed(tables: Mapping[str, pd.DataFrame], queries) -> list[str]:
    """The tables the queries name (all of them for catalogue queries such as SHOW TABLES):
    a table that is computed on demand (a view's monthly panel) is built only if used."""
    words = {w.lower() for q in queries for w in _WORD.findall(q)}
    if not queries or words & _CATALOG_WORDS or any(w.startswith("duckdb_") for w in words):
        return list(tables)
    return [n for n in tables if n.lower() in words]


def _register(con, tables: Mapping[str, pd.DataFrame], queries) -> list[str]:
    names = _needed(tables, queries)
    for name in names:
        con.register(name, tables[name])
    return names


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


#: statements that start with EXPLAIN and then an option list or ANALYZE (which runs it)
_EXPLAIN_HEAD = re.compile(r"\s*EXPLAIN\b", re.IGNORECASE)
_LEADING_NOISE = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*", re.DOTALL)
#: table functions that act rather than read (refused by name, outside string literals)
_ACTING_FUNCTIONS = re.compile(r"\b(force_checkpoint|checkpoint)\"?\s*\(", re.IGNORECASE)
_LITERALS = re.compile(r"'(?:[^']|'')*'|\$\$.*?\$\$|--[^\n]*|/\*.*?\*/", re.DOTALL)
_ONLY_READING = (
    "only reading queries (SELECT, WITH, DESCRIBE, SUMMARIZE, EXPLAIN) run on the history; "
    "nothing can be written, attached, loaded or read from files"
)
_NOT_ALLOWED = f"statements are not allowed: {_ONLY_READING}"


def _statements(sql: str, con=None):
    import duckdb

    try:
        if con is None:
            with _PARSER_LOCK:
                return _parser().extract_statements(sql)
        return con.extract_statements(sql)
    except duckdb.Error as exc:
        raise SandboxError(_short(str(exc).strip().splitlines()[0])) from None


def _kind(statement) -> str:
    try:
        return statement.type.name
    except (ValueError, AttributeError):  # a statement type this duckdb module cannot name
        return "UNKNOWN"


def check_statement(sql: str, con=None) -> None:
    """Refuse anything but one read-only statement (before anything runs)."""
    if not isinstance(sql, str) or not sql.strip() or not sql.strip().strip(";").strip():
        raise SandboxError("expected a SQL SELECT statement, got nothing")
    try:
        sql.encode("utf-8")
    except UnicodeEncodeError:
        raise SandboxError(
            "expected valid Unicode text (the query holds a lone surrogate, e.g. from a byte "
            "that is not UTF-8)"
        ) from None
    statements = _statements(sql, con)
    if len(statements) != 1:
        raise SandboxError(
            f"expected one SELECT statement, got {len(statements)} statements "
            "(only reading queries are allowed)"
        )
    kind = _kind(statements[0])
    if kind == "UNKNOWN":
        raise SandboxError(f"statements of this type are not allowed: {_ONLY_READING}")
    if kind not in READ_ONLY_TYPES:
        raise SandboxError(f"{kind} {_NOT_ALLOWED}")
    if kind == "EXPLAIN":
        _check_explain(statements[0].query, con)
    m = _ACTING_FUNCTIONS.search(_LITERALS.sub(" ", sql))
    if m is not None:
        raise SandboxError(f"{m.group(1)}() acts on the database: {_ONLY_READING}")


def _check_explain(text: str, con) -> None:
    """``EXPLAIN`` of one ``SELECT`` only: no ``ANALYZE`` (it executes), no option list."""
    pos = _LEADING_NOISE.match(text).end()
    head = _EXPLAIN_HEAD.match(text, pos)
    if head is None:  # pragma: no cover - DuckDB said EXPLAIN
        raise SandboxError(f"EXPLAIN {_NOT_ALLOWED}")
    rest = text[_LEADING_NOISE.match(text, head.end()).end() :]
    if rest[:1] == "(" or re.match(r"ANALY[SZ]E\b", rest, re.IGNORECASE):
        raise SandboxError(
            "EXPLAIN ANALYZE (or EXPLAIN with options) is not allowed: it runs the statement "
            "it explains; use EXPLAIN SELECT ... (the plan only)"
        )
    inner = _statements(rest, con)
    if len(inner) != 1 or _kind(inner[0]) != "SELECT":
        raise SandboxError(f"EXPLAIN of anything but one SELECT {_NOT_ALLOWED}")


#: DuckDB types whose values NumPy/pandas cannot hold faithfully: sent back as DuckDB's text
_AS_TEXT = re.compile(
    r"\b(UUID|INTERVAL|BIT|TIME WITH TIME ZONE|TIMETZ|HUGEINT|UHUGEINT|VARINT|BIGNUM)\b"
)
_BIG_INTS = ("HUGEINT", "UHUGEINT")
#: types that always convert; on a conversion error every other column is retried as text
_PLAIN = re.compile(
    r"(BOOLEAN|TINYINT|SMALLINT|INTEGER|BIGINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|"
    r"DOUBLE|VARCHAR|DECIMAL\(\d+,\d+\))"
)


def _frame(rel, limit: int) -> pd.DataFrame:
    """The rows of ``rel`` (at most ``limit``) as a DataFrame that every output can print."""
    import duckdb

    types = [str(t) for t in rel.types]
    text = [bool(_AS_TEXT.search(t)) for t in types]
    try:
        return _fetch(rel, types, text, limit)
    except (duckdb.ConversionException, duckdb.NotImplementedException, OverflowError):
        text = [not re.fullmatch(_PLAIN, t) for t in types]
        return _fetch(rel, types, text, limit)


def _fetch(rel, types: list[str], text: list[bool], limit: int) -> pd.DataFrame:
    if any(text):
        names = rel.columns
        exprs = []
        for k, (name, as_text) in enumerate(zip(names, text, strict=True)):
            q = '"' + name.replace('"', '""') + '"'
            exprs.append(f"CAST(#{k + 1} AS VARCHAR) AS {q}" if as_text else f"#{k + 1} AS {q}")
        rel = rel.project(", ".join(exprs))
    df = rel.limit(limit).df()
    for k, t in enumerate(types):
        if text[k] and t in _BIG_INTS:
            df[df.columns[k]] = df.iloc[:, k].map(lambda v: None if v is None else int(v))
    return df


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
        df = _frame(rel, limits.max_rows + 1)
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
    con = _connect(tables, limits, queries)
    try:
        return [_run_one(con, q, limits, deadline) for q in queries]
    finally:
        con.close()


def _run_batches(batches, limits: Limits) -> list[list[Result]]:
    """Every batch in turn on one connection (each batch's tables registered, used, then
    dropped; built here, in the worker), with one deadline for all."""
    deadline = time.monotonic() + limits.seconds
    stopped = f"stopped: the queries ran past the time limit ({limits.seconds:g} s)"
    out: list[list[Result]] = []
    con = _connect(None, limits)
    try:
        for tables, queries in batches:
            if time.monotonic() >= deadline:
                out.append([Result(error=stopped) for _ in queries])
                continue
            names = _register(con, tables() if callable(tables) else tables, queries)
            try:
                out.append([_run_one(con, q, limits, deadline) for q in queries])
            finally:
                for name in names:
                    con.unregister(name)
    finally:
        con.close()
    return out


def _vm_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _worker(conn, batches, limits: Limits) -> None:  # pragma: no cover (child)
    import resource

    try:
        budget = _vm_bytes() + limits.memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (budget, budget))
    except (OSError, ValueError):
        pass
    sizes = [len(q) for _, q in batches]
    try:
        out = _run_batches(batches, limits)
    except MemoryError:
        out = [[Result(error=_oom(limits))] * n for n in sizes]
    except BaseException as exc:  # report anything to the parent, in one line
        out = [[Result(error=_short(f"{type(exc).__name__}: {exc}"))] * n for n in sizes]
    try:
        conn.send(out)
    except MemoryError:
        conn.send(None)
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
    return run_batches([(tables, queries)], limits)[0]


def run_batches(
    batches: list[
        tuple[dict[str, pd.DataFrame] | Callable[[], dict[str, pd.DataFrame]], list[str]]
    ],
    limits: Limits | None = None,
) -> list[list[Result]]:
    """Several batches of queries, each on its own tables (e.g. one per as-of date), in one
    worker with **one** time limit, ``limits.seconds``, for all of them: however many
    batches there are, the whole call ends within that time (plus a second or two). The
    tables of a batch may be a function; it is called in the worker, only if one of the
    batch's queries passes the check. One list of results per batch."""
    limits = limits or Limits()
    out: list[list[Result | None]] = []
    todo = []
    for tables, queries in batches:  # refuse what is not one reading statement first
        res: list[Result | None] = []
        for q in queries:
            try:
                check_statement(q)
                res.append(None)
            except SandboxError as exc:
                res.append(Result(error=str(exc)))
        out.append(res)
        todo.append((tables, [q for q, r in zip(queries, res, strict=True) if r is None]))
    run = [(t, qs) for t, qs in todo if qs]
    if run:
        done = iter(_run_batch(run, limits))
        for res, (_, qs) in zip(out, todo, strict=True):
            if qs:
                got = iter(next(done))
                res[:] = [next(got) if r is None else r for r in res]
    return out  # type: ignore[return-value]


def _run_batch(batches, limits: Limits) -> list[list[Result]]:
    sizes = [len(q) for _, q in batches]
    if not _can_fork():  # pragma: no cover - Linux forks
        return _run_batches(batches, limits)
    ctx = mp.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_worker, args=(send, batches, limits), daemon=True)
    proc.start()
    send.close()
    grace = 2.0
    try:
        if recv.poll(limits.seconds + grace):
            try:
                out = recv.recv()
            except (EOFError, OSError):
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
        return [[Result(error=msg) for _ in range(n)] for n in sizes]
    if out is None:  # the worker died (out of memory, killed)
        return [[Result(error=_oom(limits)) for _ in range(n)] for n in sizes]
    return [
        got if len(got) == n else [got[0] if got else Result(error=_oom(limits))] * n
        for got, n in zip(out, sizes, strict=True)
    ]
