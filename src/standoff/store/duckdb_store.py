"""The embedded DuckDB store of the history tables.

The bundled tables are loaded into a DuckDB file on first use: by default
``<user data dir>/standoff/history.duckdb`` (``platformdirs``), relocatable with the
``STANDOFF_HOME`` environment variable or the CLI's ``--db PATH``. Safety rules:

* **Never overwrite what is not ours.** A path that exists is replaced only if it is a
  standoff history store (its ``standoff_meta`` table says so) or an empty file. A text
  file, a user's own DuckDB database, a directory, are refused with one line
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
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd
import platformdirs

from standoff.errors import DataError
from standoff.history.schema import coerce_types

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
    """``missing``, ``directory``, ``empty``, ``duckdb`` or ``other`` (by the magic bytes)."""
    path = Path(path)
    if not path.exists():
        return "missing"
    if path.is_dir():
        return "directory"
    try:
        with path.open("rb") as f:
            head = f.read(16)
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror})") from None
    if not head:
        return "empty"
    return "duckdb" if head[8:12] == DUCKDB_MAGIC else "other"


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
                f"INSERT INTO {META_TABLE} VALUES ('kind', ?), ('fingerprint', ?), ('rows', ?)",
                [STORE_KIND, fp, rows_checksum(con)],
            )
        tmp.replace(path)
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

    Raises :class:`_NotOurs` for a DuckDB file without our meta table, and ``duckdb.Error``
    if the file cannot be opened or read.
    """
    with duckdb.connect(str(path), read_only=True) as con:
        tables = _table_names(con)
        has_meta = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? "
            "AND database_name = current_database()",
            [META_TABLE],
        ).fetchall()[0][0]
        if not has_meta:
            if tables:
                raise _NotOurs(f"a DuckDB database with other tables ({', '.join(tables[:5])})")
            return None  # an empty DuckDB database: nothing to lose
        meta = dict(con.execute(f"SELECT key, value FROM {META_TABLE}").fetchall())
        if meta.get("kind", STORE_KIND) != STORE_KIND or "fingerprint" not in meta:
            raise _NotOurs(f"a DuckDB database of another kind ({meta.get('kind')!r})")
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
    kind = file_kind(path)
    if kind == "directory":
        raise DataError(
            f"{path}: is a directory; --db expects a DuckDB file path (e.g. {path / 'history.duckdb'})"
        )
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
    """Can the meta table of an otherwise unreadable DuckDB file still be read?"""
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            rows = con.execute(f"SELECT value FROM {META_TABLE} WHERE key = 'kind'").fetchall()
    except duckdb.Error:
        return False
    return bool(rows) and rows[0][0] == STORE_KIND


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
