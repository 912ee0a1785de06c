"""The embedded DuckDB store of the history tables.

The bundled tables are loaded into a DuckDB file on first use: by default
``<user data dir>/standoff/history.duckdb`` (``platformdirs``), relocatable with the
``STANDOFF_HOME`` environment variable or the CLI's ``--db PATH``. The file records a
fingerprint of the tables it was built from and is rebuilt when they change (for example
after an upgrade). A new store is written to a temporary file and renamed into place, so
an interrupted first run never leaves a half-written database.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import duckdb
import pandas as pd
import platformdirs

from standoff.errors import DataError
from standoff.history.schema import coerce_types

META_TABLE = "standoff_meta"


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


def stored_fingerprint(path: Path) -> str | None:
    if not path.exists():
        return None
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            row = con.execute(
                f"SELECT value FROM {META_TABLE} WHERE key = 'fingerprint'"
            ).fetchone()
    except duckdb.Error:
        return None
    return row[0] if row else None


def write_store(path: Path, tables: dict[str, pd.DataFrame], fp: str) -> None:
    """Write all tables to a new DuckDB file at ``path`` atomically."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"{path}: cannot create the database directory ({exc.strerror})") from None
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        with duckdb.connect(str(tmp)) as con:
            for name, df in tables.items():
                con.register("_frame", df)
                con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM _frame')
                con.unregister("_frame")
            con.execute(f"CREATE TABLE {META_TABLE} (key VARCHAR, value VARCHAR)")
            con.execute(f"INSERT INTO {META_TABLE} VALUES ('fingerprint', ?)", [fp])
        tmp.replace(path)
    except (duckdb.Error, OSError) as exc:
        tmp.unlink(missing_ok=True)
        raise DataError(f"{path}: cannot write the history database ({exc})") from None
    finally:
        Path(str(tmp) + ".wal").unlink(missing_ok=True)


def read_store(path: Path, names: list[str]) -> dict[str, pd.DataFrame]:
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            return {n: con.execute(f'SELECT * FROM "{n}"').df() for n in names}
    except duckdb.Error as exc:
        raise DataError(f"{path}: not a readable standoff history database ({exc})") from None


def ensure_store(path: Path, tables: dict[str, pd.DataFrame], fp: str) -> dict[str, pd.DataFrame]:
    """Create or refresh the store if needed, then return its tables with canonical types."""
    path = Path(path)
    if stored_fingerprint(path) != fp:
        write_store(path, tables, fp)
    raw = read_store(path, [n for n in tables if n != "monthly"])
    return {n: coerce_types(n, df) for n, df in raw.items()}
