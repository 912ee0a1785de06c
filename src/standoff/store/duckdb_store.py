"""The embedded DuckDB store of the history tables.

The bundled tables are loaded into a DuckDB file on first use: by default
``<user data dir>/standoff/history.duckdb`` (``platformdirs``), relocatable with the
``STANDOFF_HOME`` environment variable or the CLI's ``--db PATH``. Safety rules:

* **Never overwrite what is not ours.** Only a regular file is considered (a symbolic link
  is followed to one): a directory, a FIFO, a socket or a device (``/dev/null``) is refused
  from its type alone, without opening it (no hang on a FIFO). A file that exists is
  replaced only if it is empty (0 bytes) or a standoff history store: a DuckDB database
  whose ``standoff_meta`` table (schema ``main``) says ``kind = standoff-history`` and
  that holds **nothing else** -- no table but ours (the tables the store lists, in
  ``main``), and no view, macro, sequence, type, index or schema of its own. Anything else
  (a text file, a user's database, tables in another schema, only views or macros or
  sequences, a meta table without ``kind``, an empty database) is refused with one line
  (:class:`~standoff.errors.DataError`, exit 2) and left byte-identical.
* **The fingerprint covers the stored rows.** The file records a fingerprint of the CSV
  texts it was built from *and* a checksum of its rows (per table: the row count and the
  sum of DuckDB's ``hash`` of every row), written at build time and verified on every
  open; a store whose rows no longer match (edited, truncated, corrupted) is rebuilt. The
  checksum lives in the same file: it detects changes, it cannot stop a forger who also
  rewrites it.
* **Opened read-only** by every reader; a new store is written to a temporary file and
  renamed into place, so readers never see a half-written database and concurrent first
  uses are safe. Temporary files left by killed builds are removed on the next open.
* **A corrupt store** that is known to be ours (readable ``standoff_meta``, or the default
  location) is rebuilt; otherwise the message names the file to delete.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd
import platformdirs

from standoff.errors import DataError
from standoff.history.schema import coerce_types
from standoff.store import journal

META_TABLE = "standoff_meta"
STORE_KIND = "standoff-history"
#: DuckDB's magic bytes (at offset 8 of every database file)
DUCKDB_MAGIC = b"DUCK"
#: temporary files older than this are orphans even if their PID is alive (PID reuse)
ORPHAN_AGE_S = 3600.0


def default_db_path() -> Path:
    home = os.environ.get("STANDOFF_HOME")
    base = Path(home) if home else Path(platformdirs.user_data_dir("standoff", appauthor=False))
    return base / "history.duckdb"


def results_db_path(history_db: Path | None = None) -> Path:
    """Where backtest results are stored: ``results.duckdb`` beside the history store (the
    history store is rebuilt when the data change; results of every data version are kept)."""
    base = Path(history_db).parent if history_db is not None else default_db_path().parent
    return base / "results.duckdb"


def fingerprint(texts: dict[str, str]) -> str:
    h = hashlib.sha256()
    for name in sorted(texts):
        h.update(name.encode())
        h.update(b"\0")
        h.update(texts[name].encode())
    return h.hexdigest()


def _first_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 200 else text[:197] + "..."


def is_lock_error(exc: BaseException) -> bool:
    return "Could not set lock" in str(exc) or "Conflicting lock" in str(exc)


def file_kind(path: Path) -> str:
    """``missing``, ``directory``, ``special`` (a FIFO, socket or device), ``empty``,
    ``duckdb`` or ``other`` (by the magic bytes). A special file is never opened; a regular
    file is opened without blocking and its type checked again on the descriptor."""
    path = Path(path)
    try:
        st = os.stat(path)
    except NotADirectoryError:
        return "missing"  # a parent is a file: creating the store will say so
    except FileNotFoundError:
        if os.path.lexists(path):
            raise DataError(
                f"{path}: a symbolic link to a missing file; refusing to replace it"
            ) from None
        return "missing"
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot use this path ({_why(exc)})") from None
    if stat.S_ISDIR(st.st_mode):
        return "directory"
    if not stat.S_ISREG(st.st_mode):
        return "special"
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({_why(exc)})") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # replaced since the stat
            return "special"
        head = os.read(fd, 16)
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({_why(exc)})") from None
    finally:
        os.close(fd)
    if not head:
        return "empty"
    return "duckdb" if head[8:12] == DUCKDB_MAGIC else "other"


def _why(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or type(exc).__name__


def special_file_error(path: Path, what: str = "a DuckDB file path") -> DataError:
    return DataError(
        f"{path}: is not a regular file (a device, pipe or socket); expected {what}; refusing "
        "to read or replace it"
    )


# ---------------------------------------------------------------------- ownership
def inventory(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    """Every object a user can create in the open database: ``(kind, schema, name)`` for
    tables, views, macros, sequences, types, indexes and schemas (DuckDB's built-in ones
    left out)."""
    return con.execute(
        """
        SELECT 'table', schema_name, table_name FROM duckdb_tables()
            WHERE database_name = current_database()
        UNION ALL SELECT 'view', schema_name, view_name FROM duckdb_views()
            WHERE database_name = current_database() AND NOT internal
        UNION ALL SELECT 'macro', schema_name, function_name FROM duckdb_functions()
            WHERE database_name = current_database() AND NOT internal
        UNION ALL SELECT 'sequence', schema_name, sequence_name FROM duckdb_sequences()
            WHERE database_name = current_database()
        UNION ALL SELECT 'type', schema_name, type_name FROM duckdb_types()
            WHERE database_name = current_database() AND NOT internal
        UNION ALL SELECT 'index', schema_name, index_name FROM duckdb_indexes()
            WHERE database_name = current_database()
        UNION ALL SELECT 'schema', schema_name, schema_name FROM duckdb_schemas()
            WHERE database_name = current_database() AND NOT internal AND schema_name <> 'main'
        """
    ).fetchall()


def foreign_objects(objects: list[tuple[str, str, str]], ours: set[str] | None) -> list[str]:
    """The objects that are not standoff's: anything but a table in ``main``, and (when
    ``ours`` is given) a table in ``main`` whose name is not in ``ours``."""
    out = []
    for kind, schema, name in objects:
        if kind == "table" and schema == "main" and (ours is None or name in ours):
            continue
        if kind == "schema" or schema == "main":
            out.append(f"{kind} {name}")
        else:
            out.append(f"{kind} {schema}.{name}")
    return sorted(out)


def describe_objects(objects: list[tuple[str, str, str]]) -> str:
    """``other tables (a, b)`` or ``other objects (view v, macro s.m)``: at most five named."""
    if all(k == "table" and sch == "main" for k, sch, _ in objects):
        return f"other tables ({', '.join(sorted(n for _, _, n in objects)[:5])})"
    return f"other objects ({', '.join(foreign_objects(objects, set())[:5])})"


def read_marker(con: duckdb.DuckDBPyConnection) -> dict[str, str] | None:
    """The ``standoff_meta`` key/value pairs (schema ``main``), or None without the table or
    when it does not have the two text columns standoff writes."""
    cols = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = "
        "current_database() AND schema_name = 'main' AND table_name = ? ORDER BY column_index",
        [META_TABLE],
    ).fetchall()
    if [c for c, _ in cols] != ["key", "value"]:
        return None
    rows = con.execute(f"SELECT key, value FROM main.{META_TABLE} LIMIT 1000").fetchall()
    return {str(k): str(v) for k, v in rows if k is not None and v is not None}


# ---------------------------------------------------------------------- temp files
def _tmp_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def clean_orphans(path: Path) -> list[Path]:
    """Remove temporary files of killed builds of ``path`` (``.<name>.<pid>.tmp[.wal]``)
    whose process is gone or that are older than an hour. Errors are ignored (read-only
    directory). Returns the files removed."""
    path = Path(path)
    removed = []
    try:
        candidates = list(path.parent.glob(f".{path.name}.*.tmp*"))
    except OSError:
        return removed
    now = time.time()
    for p in candidates:
        parts = p.name[len(path.name) + 2 :].split(".")
        if not parts or not parts[0].isdigit() or len(parts) < 2 or parts[1] != "tmp":
            continue
        pid = int(parts[0])
        try:
            old = now - p.stat().st_mtime > ORPHAN_AGE_S
            if pid != os.getpid() and (old or not _pid_alive(pid)):
                p.unlink()
                removed.append(p)
        except OSError:
            continue
    return removed


# ---------------------------------------------------------------------- checksum
def _table_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main' ORDER BY table_name"
    ).fetchall()
    return [r[0] for r in rows if r[0] != META_TABLE]


def rows_checksum(con: duckdb.DuckDBPyConnection, names: list[str] | None = None) -> str:
    """A checksum of every row of every table (order-independent): per table the row count
    and the sum of ``hash(row)``, combined with SHA-256."""
    names = _table_names(con) if names is None else sorted(names)
    if not names:
        return hashlib.sha256(b"").hexdigest()
    sql = " UNION ALL ".join(
        f"SELECT '{n}' AS t, count(*) AS n, coalesce(sum(hash(x)), 0)::VARCHAR AS s "
        f'FROM "{n}" AS x'
        for n in names
    )
    rows = sorted(con.execute(sql).fetchall())
    return hashlib.sha256(repr(rows).encode()).hexdigest()


# ---------------------------------------------------------------------- write
def write_store(path: Path, tables: dict[str, pd.DataFrame], fp: str) -> None:
    """Write all tables to a new DuckDB file at ``path`` atomically (temp file + rename).

    The caller must have checked that ``path`` may be replaced (see :func:`ensure_store`).
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"{path}: cannot create the database directory ({exc.strerror})") from None
    clean_orphans(path)
    tmp = _tmp_path(path)
    try:
        tmp.unlink(missing_ok=True)
        with duckdb.connect(str(tmp)) as con:
            _fill(con, tables)
            con.execute(f"CREATE TABLE {META_TABLE} (key VARCHAR, value VARCHAR)")
            con.execute(
                f"INSERT INTO {META_TABLE} VALUES ('kind', ?), ('fingerprint', ?), ('rows', ?), "
                "('tables', ?)",
                [STORE_KIND, fp, rows_checksum(con), ",".join(sorted(tables))],
            )
        created = not os.path.lexists(path)
        tmp.replace(path)
        if created:
            journal.created(path)
    except (duckdb.Error, OSError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else _first_line(exc)
        raise DataError(f"{path}: cannot write the history database ({why})") from None
    finally:
        for p in (tmp, Path(str(tmp) + ".wal")):
            with contextlib.suppress(OSError):
                p.unlink(missing_ok=True)


def _fill(con: duckdb.DuckDBPyConnection, tables: dict[str, pd.DataFrame]) -> None:
    for name, df in tables.items():
        con.register("_frame", df)
        con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM _frame')
        con.unregister("_frame")


# ---------------------------------------------------------------------- read
class _NotOurs(Exception):
    """The file is a DuckDB database but not a standoff history store."""


def _read_current(path: Path, fp: str, names: list[str]) -> dict[str, pd.DataFrame] | None:
    """The tables of the store at ``path`` if it is current and its rows verify, else None.

    Raises :class:`_NotOurs` for a DuckDB file that is not wholly a standoff history store
    (see the module docstring), and ``duckdb.Error`` if it cannot be opened or read.
    """
    with duckdb.connect(str(path), read_only=True) as con:
        objects = inventory(con)
        meta = read_marker(con) if ("table", "main", META_TABLE) in objects else None
        if meta is None:
            if not objects:
                raise _NotOurs("an empty DuckDB database, without standoff's marker")
            raise _NotOurs(f"a DuckDB database with {describe_objects(objects)}")
        if meta.get("kind") != STORE_KIND:
            raise _NotOurs(
                f"a DuckDB database of another kind ({meta.get('kind')!r}); standoff's marker "
                "needs kind = standoff-history"
            )
        listed = meta.get("tables")
        ours = {META_TABLE, *(listed.split(",") if listed else [*names, "monthly"])}
        other = foreign_objects(objects, ours)
        if other:
            raise _NotOurs(f"a standoff store that also holds {', '.join(other[:5])}")
        if "fingerprint" not in meta:
            return None  # ours, from a build that was interrupted: rebuild
        if meta.get("fingerprint") != fp or meta.get("rows") != rows_checksum(con):
            return None  # stale, from an older version, or rows changed: rebuild
        return {n: con.execute(f'SELECT * FROM "{n}"').df() for n in names}


def _refuse(path: Path, what: str) -> DataError:
    return DataError(
        f"{path}: exists and is not a standoff history store ({what}); refusing to overwrite "
        "it: choose another --db path"
    )


def ensure_store(
    path: Path,
    fp: str,
    build: Callable[[], dict[str, pd.DataFrame]],
    names: list[str],
    *,
    owned: bool = False,
    coerce: Callable[[str, pd.DataFrame], pd.DataFrame] = coerce_types,
) -> dict[str, pd.DataFrame]:
    """Return the tables ``names`` (canonical types) from the store at ``path``, building
    it first with ``build()`` if it is missing, stale or its rows do not verify.

    ``owned``: the path is standoff's own (the default location), so an unreadable file
    there is rebuilt; at a user's ``--db`` path it is refused with a message naming it.
    ``coerce(name, frame)`` gives a table read back its canonical types (default: the
    Korean schemas; a case passes its own, :meth:`standoff.cases.Case.coerce`).
    """
    path = Path(path)
    if os.path.islink(path) and os.path.exists(path):
        path = Path(os.path.realpath(path))  # a link to a store: use (and rebuild) its target
    kind = file_kind(path)
    if kind == "directory":
        raise DataError(
            f"{path}: is a directory; --db expects a DuckDB file path (e.g. {path / 'history.duckdb'})"
        )
    if kind == "special":
        raise special_file_error(path)
    if kind == "other":
        if not owned:
            raise _refuse(path, "not a DuckDB file")
    clean_orphans(path)
    if kind == "duckdb":
        try:
            raw = _read_current(path, fp, names)
        except _NotOurs as exc:
            raise _refuse(path, str(exc)) from None
        except duckdb.Error as exc:
            if is_lock_error(exc):
                raise DataError(
                    f"{path}: locked by another process ({_first_line(exc)}); close it and run again"
                ) from None
            if not owned and not _ours_despite_error(path):
                raise DataError(
                    f"{path}: a DuckDB file that cannot be read ({_first_line(exc)}); if it is a "
                    f"standoff history store, delete it (rm '{path}') and run again"
                ) from None
            raw = None  # ours but corrupt: rebuild
        if raw is not None:
            return {n: coerce(n, df) for n, df in raw.items()}
    write_store(path, build(), fp)
    try:
        raw = _read_current(path, fp, names)
    except (duckdb.Error, _NotOurs) as exc:
        raise DataError(f"{path}: cannot read the history database just written ({exc})") from None
    if raw is None:
        raise DataError(f"{path}: the history database just written does not verify")
    return {n: coerce(n, df) for n, df in raw.items()}


def _ours_despite_error(path: Path) -> bool:
    """Can the meta table of an otherwise unreadable DuckDB file still be read, and does it
    say the file is a history store holding nothing but standoff's tables?"""
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            objects = inventory(con)
            meta = read_marker(con)
            if meta is None or meta.get("kind") != STORE_KIND:
                return False
            listed = meta.get("tables")
            if not listed:
                return not foreign_objects(objects, None)
            return not foreign_objects(objects, {META_TABLE, *listed.split(",")})
    except duckdb.Error:
        return False


def stored_fingerprint(path: Path) -> str | None:
    """The source fingerprint recorded in a store (``None`` if absent or unreadable)."""
    if file_kind(path) != "duckdb":
        return None
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            row = con.execute(
                f"SELECT value FROM {META_TABLE} WHERE key = 'fingerprint'"
            ).fetchall()
    except duckdb.Error:
        return None
    return row[0][0] if row else None


def read_store(path: Path, names: list[str]) -> dict[str, pd.DataFrame]:
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            return {n: con.execute(f'SELECT * FROM "{n}"').df() for n in names}
    except duckdb.Error as exc:
        raise DataError(
            f"{path}: not a readable standoff history database ({_first_line(exc)})"
        ) from None
