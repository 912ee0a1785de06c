"""Sweep runs and their finished tasks in the DuckDB results store.

Two tables of ``results.duckdb`` (beside the history store; see
:func:`standoff.store.duckdb_store.results_db_path`):

``sweep_runs``
    one row per run: ``run_id`` (primary key), ``kind`` (e.g. ``sensitivity``), the run's
    ``spec`` (JSON: everything needed to rebuild its task list), ``seed``, ``n_tasks``,
    ``code_version``, ``data_version``, ``created``.
``sweep_summaries``
    the analysed result of a finished run (JSON), e.g. for the briefing.
``sweep_tasks``
    one row per **finished** task, primary key ``(run_id, task_index)``: ``inputs`` and
    ``outputs`` (JSON), ``code_version``, ``data_version``, ``finished``.

Each finished task is inserted in its own transaction, so a process killed at any moment
(``kill -9``) leaves only whole rows; the primary key makes a duplicate impossible. A resumed
run skips the tasks already stored.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import secrets
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from standoff.errors import DataError, UsageError
from standoff.store.duckdb_store import META_TABLE
from standoff.store.results import RESULTS_KIND

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sweep_runs (
    run_id VARCHAR PRIMARY KEY,
    kind VARCHAR NOT NULL,
    spec VARCHAR NOT NULL,
    seed UBIGINT NOT NULL,
    n_tasks INTEGER NOT NULL,
    code_version VARCHAR NOT NULL,
    data_version VARCHAR NOT NULL,
    created TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS sweep_tasks (
    run_id VARCHAR NOT NULL,
    task_index INTEGER NOT NULL,
    inputs VARCHAR NOT NULL,
    outputs VARCHAR NOT NULL,
    code_version VARCHAR NOT NULL,
    data_version VARCHAR NOT NULL,
    finished TIMESTAMP NOT NULL,
    PRIMARY KEY (run_id, task_index)
);
CREATE TABLE IF NOT EXISTS sweep_summaries (
    run_id VARCHAR PRIMARY KEY,
    kind VARCHAR NOT NULL,
    subject VARCHAR NOT NULL,
    summary VARCHAR NOT NULL,
    created TIMESTAMP NOT NULL
);
"""


def dumps(obj: Any) -> str:
    """JSON text of a task's inputs or outputs (floats round-trip exactly)."""
    return json.dumps(obj, default=_default, separators=(",", ":"))


def _default(o: Any) -> Any:
    import numpy as np

    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, np.generic):
        return o.item()
    raise TypeError(f"a sweep task returned a {type(o).__name__}, which is not JSON-serialisable")


def new_run_id(kind: str) -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    return f"{kind}-{stamp}-{secrets.token_hex(3)}"


class SweepStore:
    """The sweep tables of one results file (:mod:`standoff.store.results`: checked to be a
    standoff results store, created whole if new). Each operation opens its own short
    connection, so a long sweep never holds the file's lock between tasks (a backtest can
    store its run meanwhile)."""

    def __init__(self, path: str | Path) -> None:
        from standoff.store.results import _check_file

        self.path = Path(path)
        if _check_file(self.path) != "duckdb":
            self._create()
        with self._connect() as con:
            con.execute(f"CREATE TABLE IF NOT EXISTS {META_TABLE} (key VARCHAR, value VARCHAR)")
            if not con.execute(f"SELECT count(*) FROM {META_TABLE} WHERE key = 'kind'").fetchone()[
                0
            ]:
                con.execute(f"INSERT INTO {META_TABLE} VALUES ('kind', ?)", [RESULTS_KIND])
            con.execute(_SCHEMA)

    def _create(self) -> None:
        """A new results file, written to a temporary file and linked into place."""
        from standoff.store.duckdb_store import _tmp_path, clean_orphans

        tmp = _tmp_path(self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            clean_orphans(self.path)
            tmp.unlink(missing_ok=True)
            with duckdb.connect(str(tmp)) as con:
                con.execute(f"CREATE TABLE {META_TABLE} (key VARCHAR, value VARCHAR)")
                con.execute(f"INSERT INTO {META_TABLE} VALUES ('kind', ?)", [RESULTS_KIND])
                con.execute(_SCHEMA)
            try:
                if self.path.exists() and self.path.stat().st_size == 0:
                    tmp.replace(self.path)
                else:
                    os.link(tmp, self.path)  # never replaces a store created meanwhile
                    from standoff.store import journal

                    journal.created(self.path)  # removed again if the command fails
            except FileExistsError:
                pass
        except (duckdb.Error, OSError) as exc:
            raise DataError(f"{self.path}: cannot create the results store ({exc})") from None
        finally:
            for q in (tmp, Path(str(tmp) + ".wal")):
                with contextlib.suppress(OSError):
                    q.unlink(missing_ok=True)

    @contextlib.contextmanager
    def _connect(self):
        from standoff.store.results import LOCK_WAIT_S, _check_ours, _connect

        con = _connect(self.path, read_only=False, wait=LOCK_WAIT_S)
        try:
            _check_ours(con, self.path)
            yield con
        except duckdb.ConstraintException:
            raise
        except duckdb.Error as exc:
            raise DataError(f"{self.path}: results store error ({exc})") from None
        finally:
            con.close()

    def close(self) -> None:
        pass

    def __enter__(self) -> SweepStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---------------------------------------------------------------- runs
    def create_run(
        self,
        kind: str,
        spec: dict,
        seed: int,
        n_tasks: int,
        code_version: str,
        data_version: str,
        run_id: str | None = None,
    ) -> str:
        run_id = run_id or new_run_id(kind)
        row = [
            run_id,
            kind,
            dumps(spec),
            int(seed),
            int(n_tasks),
            code_version,
            data_version,
            _now(),
        ]
        with self._connect() as con:
            con.execute("INSERT INTO sweep_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row)
        return run_id

    def run(self, run_id: str) -> dict:
        """The stored run ``run_id`` (spec decoded); a one-line error if there is none."""
        with self._connect() as con:
            row = con.execute(
                "SELECT run_id, kind, spec, seed, n_tasks, code_version, data_version, created "
                "FROM sweep_runs WHERE run_id = ?",
                [run_id],
            ).fetchone()
            known = [
                r[0]
                for r in con.execute(
                    "SELECT run_id FROM sweep_runs ORDER BY created DESC LIMIT 3"
                ).fetchall()
            ]
        if row is None:
            hint = f" (latest: {', '.join(known)})" if known else " (the store has no runs)"
            raise UsageError(f"--resume: no stored run {run_id!r} in {self.path}{hint}")
        keys = ("run_id", "kind", "spec", "seed", "n_tasks", "code_version", "data_version")
        out = dict(zip(keys, row[:7], strict=True))
        out["spec"] = json.loads(out["spec"])
        out["created"] = row[7]
        return out

    def check_resumable(self, run_id: str, kind: str, code_version: str, data_version: str) -> dict:
        """The run, after checking it can be resumed by this code on this data."""
        run = self.run(run_id)
        if run["kind"] != kind:
            raise UsageError(f"--resume: run {run_id!r} is a {run['kind']} run, not {kind}")
        for what, have, want in (
            ("code version", code_version, run["code_version"]),
            ("data version", data_version, run["data_version"]),
        ):
            if have != want:
                raise UsageError(
                    f"--resume: run {run_id!r} was made with {what} {want}, this is {have}; "
                    "its stored tasks would not match new ones (start a new run instead)"
                )
        return run

    # ---------------------------------------------------------------- tasks
    def done(self, run_id: str) -> set[int]:
        with self._connect() as con:
            rows = con.execute(
                "SELECT task_index FROM sweep_tasks WHERE run_id = ?", [run_id]
            ).fetchall()
        return {int(r[0]) for r in rows}

    def commit(
        self,
        run_id: str,
        index: int,
        inputs_json: str,
        outputs_json: str,
        code_version: str,
        data_version: str,
    ) -> None:
        """Store one finished task in its own transaction (all or nothing)."""
        row = [run_id, int(index), inputs_json, outputs_json, code_version, data_version, _now()]
        with self._connect() as con:
            con.begin()
            try:
                con.execute("INSERT INTO sweep_tasks VALUES (?, ?, ?, ?, ?, ?, ?)", row)
                con.commit()
            except BaseException:
                con.rollback()
                raise

    def outputs(self, run_id: str) -> dict[int, Any]:
        with self._connect() as con:
            rows = con.execute(
                "SELECT task_index, outputs FROM sweep_tasks WHERE run_id = ? ORDER BY task_index",
                [run_id],
            ).fetchall()
        return {int(i): json.loads(o) for i, o in rows}

    def tasks(self, run_id: str) -> pd.DataFrame:
        """Every stored task of ``run_id``: index, inputs, outputs (JSON text), versions."""
        with self._connect() as con:
            return con.execute(
                "SELECT run_id, task_index, inputs, outputs, code_version, data_version "
                "FROM sweep_tasks WHERE run_id = ? ORDER BY task_index",
                [run_id],
            ).df()

    # ---------------------------------------------------------------- summaries
    def put_summary(self, run_id: str, kind: str, subject: str, summary: dict) -> None:
        """Store (or replace) the analysed result of a finished run, in one transaction."""
        with self._connect() as con:
            con.begin()
            try:
                con.execute("DELETE FROM sweep_summaries WHERE run_id = ?", [run_id])
                con.execute(
                    "INSERT INTO sweep_summaries VALUES (?, ?, ?, ?, ?)",
                    [run_id, kind, subject, dumps(summary), _now()],
                )
                con.commit()
            except BaseException:
                con.rollback()
                raise


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def latest_summary(path: str | Path, kind: str, subject: str) -> dict | None:
    """The latest stored summary of ``kind`` for ``subject`` (read-only), or None."""
    from standoff.store.results import open_results

    path = Path(path)
    if not path.exists():
        return None
    try:
        with open_results(path) as con:
            row = con.execute(
                "SELECT summary FROM sweep_summaries WHERE kind = ? AND subject = ? "
                "ORDER BY created DESC LIMIT 1",
                [kind, subject],
            ).fetchone()
    except (duckdb.Error, DataError):
        return None
    return json.loads(row[0]) if row else None
