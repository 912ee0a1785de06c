"""What a command wrote to the stores, so that a command that fails leaves them unchanged.

The CLI (:func:`standoff.cli.main.main`) opens a journal for each command. The stores record
in it what they create or add while it is open:

* a store **file created** by this command (the history store built on first use, a new
  results store) -- removed again if the command fails;
* a **run added** to an existing results store (:func:`standoff.store.results.write_run`) --
  its rows deleted again, in one transaction, if the command fails.

"Fails" is any exit code other than 0: a bad flag found after the history was loaded, an
output that cannot be written, an internal error. A successful command commits the journal
(forgets it). Outside the CLI (the Python API, the web app) no journal is open and nothing
is recorded. Files that were not created by this command are never removed, whatever
happens.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class _Journal:
    created: list[Path] = field(default_factory=list)
    runs: list[tuple[Path, list[str], str]] = field(default_factory=list)


_current: _Journal | None = None


def open_journal() -> None:
    """Start recording (the CLI, once per command)."""
    global _current
    _current = _Journal()


def created(path: str | Path) -> None:
    """``path`` did not exist before this command and was written by it."""
    if _current is not None:
        _current.created.append(Path(path))


def added_run(path: str | Path, tables: list[str], run_id: str) -> None:
    """A run ``run_id`` was added to the existing results store ``path`` (rows in ``tables``)."""
    if _current is not None:
        _current.runs.append((Path(path), list(tables), str(run_id)))


def commit() -> None:
    """The command succeeded: keep everything it wrote."""
    global _current
    _current = None


def rollback() -> list[str]:
    """The command failed: remove the files it created and the runs it added. Returns what
    could not be undone (one line each; nothing if all went well)."""
    global _current
    j, _current = _current, None
    if j is None:
        return []
    problems = []
    created = {p.resolve() if p.exists() else p for p in j.created}
    for path, tables, run_id in reversed(j.runs):
        if path in created or path.resolve() in created:
            continue  # the whole file goes below
        try:
            _delete_run(path, tables, run_id)
        except Exception as exc:  # reported, never raised over the real error
            problems.append(f"{path}: could not remove run {run_id} ({type(exc).__name__})")
    for path in reversed(j.created):
        for p in (path, Path(f"{path}.wal")):
            try:
                if p.is_file() and not p.is_symlink():
                    os.unlink(p)
            except OSError as exc:
                problems.append(f"{p}: could not remove ({exc.strerror})")
    return problems


def _delete_run(path: Path, tables: list[str], run_id: str) -> None:
    import duckdb

    con = duckdb.connect(str(path))
    try:
        have = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        con.begin()
        try:
            for t in tables:
                if t in have:
                    con.execute(f'DELETE FROM "{t}" WHERE run_id = ?', [run_id]).fetchall()
            con.commit()
        except BaseException:
            with contextlib.suppress(Exception):
                con.rollback()
            raise
    finally:
        con.close()
