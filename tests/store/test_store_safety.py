"""The history store cannot lose or fake data: foreign files are refused byte-identical,
rows are verified, corrupt stores are rebuilt or named, kills and races leave no trace."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from standoff.errors import DataError
from standoff.history import History
from standoff.store.duckdb_store import (
    clean_orphans,
    default_db_path,
    rows_checksum,
    stored_fingerprint,
)

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _py(code: str, **env) -> subprocess.Popen:
    """A Python subprocess running ``code`` with this checkout's package."""
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        env={**os.environ, "PYTHONPATH": SRC, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture(scope="module")
def good_store(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("good") / "history.duckdb"
    History.load(db=db)
    return db


def _copy_store(good_store: Path, d: Path) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    shutil.copy(good_store, d / "history.duckdb")
    return d / "history.duckdb"


# ------------------------------------------------------------------ foreign files
def test_db_at_a_text_file_is_refused_byte_identical(tmp_path, run_cli):
    f = tmp_path / "notes.txt"
    f.write_text("my notes\n" * 100)
    before = _digest(f)
    code, out, err = run_cli("--db", f, "history", "summary")
    assert code == 2
    assert "is not a standoff history store" in err and "refusing to overwrite" in err
    assert err.count("\n") == 1 and len(err) < 500
    assert _digest(f) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_db_at_a_users_duckdb_database_is_refused_byte_identical(tmp_path, run_cli):
    f = tmp_path / "mine.duckdb"
    with duckdb.connect(str(f)) as con:
        con.execute("CREATE TABLE customers AS SELECT range AS id FROM range(100)")
    before = _digest(f)
    code, _, err = run_cli("--db", f, "history", "summary")
    assert code == 2 and "other tables (customers)" in err
    assert _digest(f) == before


@pytest.mark.parametrize("where", [".", "dir"])
def test_db_at_a_directory_is_exit_2(where, tmp_path, run_cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dir").mkdir()
    code, _, err = run_cli("--db", where, "history", "summary")
    assert code == 2 and "directory" in err and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir"]


def test_db_at_an_empty_file_becomes_a_store(tmp_path):
    f = tmp_path / "empty.duckdb"
    f.touch()
    assert len(History.load(db=f).launches) == 339
    assert stored_fingerprint(f) is not None


# ------------------------------------------------------------------ rows verified
def test_edited_rows_are_detected_and_rebuilt(good_store, tmp_path):
    db = _copy_store(good_store, tmp_path)
    with duckdb.connect(str(db)) as con:
        con.execute("DELETE FROM launches WHERE year(date) = 2017")
        con.execute("UPDATE nuclear_tests SET yield_kt = 0")
    h = History.load(db=db)
    assert len(h.launches) == 339 and h.nuclear_tests["yield_kt"].max() > 100
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM launches").fetchall()[0][0] == 339


def test_checksum_covers_every_table_and_row(good_store):
    with duckdb.connect(str(good_store), read_only=True) as con:
        meta = dict(con.execute("SELECT key, value FROM standoff_meta").fetchall())
        assert meta["kind"] == "standoff-history" and meta["rows"] == rows_checksum(con)
        tables = [r[0] for r in con.execute("SHOW TABLES").fetchall()]
    assert "monthly" in tables and "launches" in tables
    for name in ("monthly", "sources"):  # a change in any table changes the checksum
        mem = duckdb.connect()
        mem.execute(f"ATTACH '{good_store}' AS s (READ_ONLY)")
        for t in tables:
            if t != "standoff_meta":
                mem.execute(f'CREATE TABLE "{t}" AS SELECT * FROM s."{t}"')
        mem.execute("DETACH s")
        before = rows_checksum(mem)
        mem.execute(f'DELETE FROM "{name}" WHERE rowid = (SELECT min(rowid) FROM "{name}")')
        assert rows_checksum(mem) != before
        mem.close()


def test_readers_open_the_store_read_only(good_store):
    # another process holding a read-only connection does not block a reader
    holder = _py(
        f"""
        import duckdb, time
        con = duckdb.connect({str(good_store)!r}, read_only=True)
        print("open", flush=True)
        time.sleep(30)
        """
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        assert len(History.load(db=good_store).launches) == 339
    finally:
        holder.kill()
        holder.wait()


# ------------------------------------------------------------------ corrupt files
def test_truncated_store_at_a_users_path_names_the_file(good_store, tmp_path, run_cli):
    db = _copy_store(good_store, tmp_path)
    os.truncate(db, db.stat().st_size // 2)
    before = _digest(db)
    code, _, err = run_cli("--db", db, "history", "summary")
    if code == 0:  # the meta table survived: known to be ours, rebuilt
        assert stored_fingerprint(db) is not None
    else:
        assert code == 2 and f"rm '{db}'" in err and "delete it" in err
        assert _digest(db) == before


@pytest.mark.parametrize("damage", ["truncate", "overwrite", "header"])
def test_corrupt_store_at_the_default_location_is_rebuilt(
    damage, good_store, tmp_path, monkeypatch
):
    monkeypatch.setenv("STANDOFF_HOME", str(tmp_path))
    db = _copy_store(good_store, tmp_path)
    assert db == default_db_path()
    size = db.stat().st_size
    if damage == "truncate":
        os.truncate(db, size // 3)
    else:
        with db.open("r+b") as f:
            if damage == "header":
                f.write(b"\0" * 4096)
            else:
                for off in range(size // 4, 3 * size // 4, 65536):
                    f.seek(off)
                    f.write(os.urandom(8192))
    h = History.load()
    assert len(h.launches) == 339
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM launches").fetchall()[0][0] == 339


def test_mid_file_corruption_at_a_users_path_is_rebuilt_or_named(good_store, tmp_path):
    db = _copy_store(good_store, tmp_path)
    size = db.stat().st_size
    with db.open("r+b") as f:
        for off in range(size // 4, 3 * size // 4, 65536):
            f.seek(off)
            f.write(os.urandom(8192))
    try:
        h = History.load(db=db)
    except DataError as exc:
        assert f"rm '{db}'" in str(exc)
    else:
        assert len(h.launches) == 339 and stored_fingerprint(db) is not None


# ------------------------------------------------------------------ kills and races
def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_orphaned_temp_files_are_cleaned(good_store, tmp_path):
    db = _copy_store(good_store, tmp_path)
    dead = tmp_path / f".history.duckdb.{_dead_pid()}.tmp"
    dead_wal = tmp_path / f".history.duckdb.{_dead_pid()}.tmp.wal"
    live = tmp_path / f".history.duckdb.{os.getppid()}.tmp"  # a live process: kept...
    old = tmp_path / f".history.duckdb.{os.getppid() + 0}.tmp.wal"
    for p in (dead, dead_wal, live, old):
        p.write_bytes(b"x" * 100)
    os.utime(old, (time.time() - 7200, time.time() - 7200))  # ...unless older than an hour
    History.load(db=db)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["history.duckdb", live.name])
    assert clean_orphans(db) == []


def test_kill_9_during_a_store_build_leaves_no_trace(good_store, tmp_path):
    db = tmp_path / "history.duckdb"
    code = f"""
        import time
        import standoff.store.duckdb_store as s
        fill = s._fill
        def slow_fill(con, tables):
            fill(con, tables)
            print("filled", flush=True)
            time.sleep(60)
        s._fill = slow_fill
        from standoff.history import History
        History.load(db={str(db)!r})
        """
    proc = _py(code)
    try:
        assert proc.stdout.readline().strip() == "filled"
    finally:
        proc.kill()  # SIGKILL
        proc.wait()
    left = sorted(p.name for p in tmp_path.iterdir())
    assert "history.duckdb" not in left  # no half-written store
    assert any(n.endswith(".tmp") for n in left)  # the orphan of the killed build
    assert len(History.load(db=db).launches) == 339
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.duckdb"]


def test_kill_9_during_a_rebuild_keeps_the_old_store(good_store, tmp_path):
    db = _copy_store(good_store, tmp_path)
    with duckdb.connect(str(db)) as con:  # stale: needs a rebuild
        con.execute("UPDATE standoff_meta SET value = 'old' WHERE key = 'fingerprint'")
    before = _digest(db)
    proc = _py(
        f"""
        import time
        import standoff.store.duckdb_store as s
        fill = s._fill
        def slow_fill(con, tables):
            fill(con, tables)
            print("filled", flush=True)
            time.sleep(60)
        s._fill = slow_fill
        from standoff.history import History
        History.load(db={str(db)!r})
        """
    )
    try:
        assert proc.stdout.readline().strip() == "filled"
    finally:
        proc.kill()
        proc.wait()
    assert _digest(db) == before  # untouched until the new file is complete


def test_concurrent_first_use(tmp_path):
    db = tmp_path / "history.duckdb"
    code = f"""
        from standoff.history import History
        h = History.load(db={str(db)!r})
        print(len(h.launches), len(h.monthly))
        """
    procs = [_py(code) for _ in range(3)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 3, [e for _, e in outs]
    assert len({o for o, _ in outs}) == 1 and outs[0][0].startswith("339 ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.duckdb"]
    assert len(History.load(db=db).launches) == 339


# ------------------------------------------------------------------ read-only directory
def _readonly_run(d: Path, script: str) -> subprocess.CompletedProcess:
    """Run ``script`` (bash) with ``d`` read-only: chmod for a normal user; for root (whom
    permissions do not stop) a read-only bind mount in a private mount namespace."""
    if os.geteuid() != 0:
        d.chmod(0o555)
        try:
            return subprocess.run(["bash", "-c", script], capture_output=True, text=True)
        finally:
            d.chmod(0o755)
    if shutil.which("unshare") is None:
        pytest.skip("root without unshare: cannot make a read-only directory")
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", f"mount -o bind,ro '{d}' '{d}'"], capture_output=True
    )
    if probe.returncode != 0:
        pytest.skip("root without mount namespaces: cannot make a read-only directory")
    inner = f"mount -o bind,ro '{d}' '{d}' && touch '{d}/probe' 2>/dev/null && exit 99; {script}"
    return subprocess.run(["unshare", "-m", "bash", "-c", inner], capture_output=True, text=True)


def test_read_only_data_directory(good_store, tmp_path):
    ro = tmp_path / "ro"
    db = _copy_store(good_store, ro)
    before = _digest(db)
    runner = tmp_path / "runner.py"  # one interpreter runs every command (fast)
    runner.write_text(
        textwrap.dedent(
            f"""
            import os, sys
            sys.path.insert(0, {SRC!r})
            from standoff.cli.main import main
            cases = [
                (None, ["--db", "{db}", "history", "query", "SELECT count(*) AS n FROM launches", "--json"]),
                ("{ro}", ["history", "summary", "--json"]),
                ("{ro}/sub", ["history", "summary", "--json"]),
                (None, ["--db", "{ro}/new.duckdb", "history", "summary"]),
                (None, ["--db", "{db}", "backtest", "--from", "2016-01", "--to", "2016-01", "--paths", "20"]),
            ]
            for home, args in cases:
                if home:
                    os.environ["STANDOFF_HOME"] = home
                print("rc=%d" % main(args), flush=True)
            """
        )
    )
    r = _readonly_run(ro, f"{sys.executable} {runner} 2>&1")
    assert r.returncode != 99, "the directory was not read-only"
    out = r.stdout
    rcs = [ln for ln in out.splitlines() if ln.startswith("rc=")]
    assert rcs == ["rc=0", "rc=0", "rc=0", "rc=2", "rc=2"], out + r.stderr
    assert '"n": 339' in out
    assert "new.duckdb: cannot create" in out or "new.duckdb: cannot write" in out
    assert "results.duckdb: cannot write the results store" in out
    assert "Backtest" not in out  # refused before the work started
    assert _digest(db) == before
    assert sorted(p.name for p in ro.iterdir()) == ["history.duckdb"]
