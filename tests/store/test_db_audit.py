"""``--db`` never destroys anything that is not ours (issue 21): every case of the audit,
run as root (as CI runs) and as an unprivileged user (``setpriv`` to ``nobody``).

For each victim -- a DuckDB file that is not wholly a standoff store, or a special file --
``standoff --db VICTIM history summary`` must exit 2 with one line naming the file, leave it
byte-identical, and leave nothing else in its directory (no store, no temporary file). The
results store beside ``--db`` gets the same treatment (``forecast --record``). A FIFO must
not make it hang: each unprivileged run has a hard timeout.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb
import pytest

from standoff.history import History

SRC = str(Path(__file__).resolve().parents[2] / "src")
NOBODY = 65534
HANG_S = 60


def _sql_victim(*statements: str):
    def make(path: Path) -> None:
        with duckdb.connect(str(path)) as con:
            for s in statements:
                con.execute(s)

    return make


def _ours_plus(*statements: str):
    """A real standoff history store, then the user's own objects added to it."""

    def make(path: Path) -> None:
        shutil.copy(_GOOD[0], path)
        with duckdb.connect(str(path)) as con:
            for s in statements:
                con.execute(s)

    return make


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _socket(path: Path) -> None:
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(path))
    _SOCKETS.append(s)  # kept open while the test runs


_SOCKETS: list[socket.socket] = []
_GOOD: list[Path] = []

META = "CREATE TABLE standoff_meta (key VARCHAR, value VARCHAR)"
#: (case, how to make the victim, a phrase of the one-line error)
VICTIMS = [
    (
        "tables-outside-main",
        _sql_victim("CREATE SCHEMA crm", "CREATE TABLE crm.customers AS SELECT 1 AS id"),
        "table crm.customers",
    ),
    ("only-views", _sql_victim("CREATE VIEW answer AS SELECT 42 AS x"), "view answer"),
    ("only-macros", _sql_victim("CREATE MACRO plus1(x) AS x + 1"), "macro plus1"),
    (
        "only-table-macros",
        _sql_victim("CREATE MACRO rows3() AS TABLE SELECT * FROM range(3)"),
        "macro rows3",
    ),
    ("only-sequences", _sql_victim("CREATE SEQUENCE invoice_no START 1000"), "sequence invoice_no"),
    ("only-types", _sql_victim("CREATE TYPE mood AS ENUM ('ok', 'sad')"), "type mood"),
    (
        "meta-without-kind",
        _sql_victim(META, "INSERT INTO standoff_meta VALUES ('fingerprint', 'x')"),
        "another kind (None)",
    ),
    (
        "meta-of-another-kind",
        _sql_victim(META, "INSERT INTO standoff_meta VALUES ('kind', 'my-app')"),
        "another kind ('my-app')",
    ),
    (
        "meta-with-other-columns",
        _sql_victim("CREATE TABLE standoff_meta (k INTEGER)"),
        "other tables (standoff_meta)",
    ),
    ("empty-database", _sql_victim(), "an empty DuckDB database"),
    (
        "our-store-plus-a-table",
        _ours_plus("CREATE TABLE my_notes AS SELECT 'keep me' AS note"),
        "also holds table my_notes",
    ),
    (
        "our-store-plus-a-view-elsewhere",
        _ours_plus("CREATE SCHEMA mine", "CREATE VIEW mine.v AS SELECT 1 AS x"),
        "also holds schema mine, view mine.v",
    ),
    ("fifo", _fifo, "is not a regular file"),
    ("socket", _socket, "is not a regular file"),
]
IDS = [v[0] for v in VICTIMS]


@pytest.fixture(scope="module", autouse=True)
def good_store(tmp_path_factory):
    db = tmp_path_factory.mktemp("good") / "history.duckdb"
    History.load(db=db)
    _GOOD[:] = [db]
    yield db
    for s in _SOCKETS:
        s.close()


def _state(d: Path) -> dict[str, tuple[str, str]]:
    """Every entry of ``d``: its type and, for regular files, a digest of its bytes."""
    out = {}
    for p in sorted(d.iterdir()):
        st = os.lstat(p)
        if os.path.isfile(p) and not p.is_symlink():
            out[p.name] = ("file", hashlib.sha256(p.read_bytes()).hexdigest())
        else:
            out[p.name] = (oct(st.st_mode), "")
    return out


def _make(tmp_path: Path, make, name: str = "victim.duckdb", owner: int | None = None) -> Path:
    d = tmp_path / "d"
    d.mkdir()
    victim = d / name
    make(victim)
    if owner is not None:  # the unprivileged user owns (and could destroy) everything here
        for p in (d, victim):
            os.lchown(p, owner, owner)
        d.chmod(0o755)
    return victim


def _check(code: int, err: str, phrase: str, victim: Path) -> None:
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("error: ") and len(lines[0]) <= 500, err
    assert str(victim) in lines[0] and phrase in lines[0], lines[0]
    assert "internal error" not in err


# ------------------------------------------------------------------ as root (in-process)
@pytest.mark.parametrize("case, make, phrase", VICTIMS, ids=IDS)
def test_db_victim_is_refused_byte_identical_as_root(case, make, phrase, tmp_path, run_cli):
    victim = _make(tmp_path, make)
    before = _state(victim.parent)
    code, out, err = run_cli("--db", victim, "history", "summary")
    _check(code, err, phrase, victim)
    assert out == ""
    assert _state(victim.parent) == before


def test_dev_null_is_refused_and_never_opened_as_root(run_cli):
    before = os.stat("/dev/null")
    code, _, err = run_cli("--db", "/dev/null", "history", "summary")
    _check(code, err, "is not a regular file", Path("/dev/null"))
    after = os.stat("/dev/null")
    assert (after.st_mode, after.st_rdev, after.st_ino) == (
        before.st_mode,
        before.st_rdev,
        before.st_ino,
    )
    assert not Path("/dev/results.duckdb").exists()


@pytest.mark.parametrize("case", ["only-views", "tables-outside-main", "empty-database"])
def test_results_store_victim_is_refused_byte_identical(case, tmp_path, run_cli):
    """The results store beside --db is checked before any work (``backtest``), refused,
    and the failed command removes the history store it built: nothing left behind."""
    make = dict((v[0], v[1]) for v in VICTIMS)[case]
    victim = _make(tmp_path, make, name="results.duckdb")
    before = _state(victim.parent)
    code, out, err = run_cli(
        "--db", victim.parent / "history.duckdb", "backtest",
        "--from", "2018-01", "--to", "2018-01", "--horizons", "3", "--paths", "100",
    )  # fmt: skip
    _check(code, err, "results.duckdb", victim)
    assert _state(victim.parent) == before  # the victim as it was, no history store left


# ------------------------------------------------------------------ as an unprivileged user
def _setpriv() -> list[str]:
    exe = shutil.which("setpriv")
    if exe is None:
        pytest.skip("setpriv (util-linux) is not installed: no unprivileged variant")
    if os.geteuid() != 0:
        pytest.skip("not root: the tests already run unprivileged")
    probe = subprocess.run(
        [exe, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--",
         sys.executable, "-c", "import duckdb, standoff"],
        env={**os.environ, "PYTHONPATH": SRC},
        capture_output=True,
        timeout=HANG_S,
    )  # fmt: skip
    if probe.returncode != 0:
        pytest.skip("the unprivileged user cannot run this checkout's Python")
    return [exe, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--"]


_SCRIPT = """
import contextlib, io, json, sys
from standoff.cli.main import main
out = {}
for case, path in json.loads(sys.argv[1]).items():
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["--db", path, "history", "summary"])
    out[case] = [code, err.getvalue()]
print(json.dumps(out))
"""


def _run_as_nobody(victims: dict[str, str], home: Path) -> dict[str, tuple[int, str]]:
    """``standoff --db V history summary`` for every victim, as ``nobody``, in one process."""
    import json

    cmd = [*_setpriv(), sys.executable, "-c", _SCRIPT, json.dumps(victims)]
    try:
        p = subprocess.run(
            cmd,
            env={**os.environ, "PYTHONPATH": SRC, "STANDOFF_HOME": str(home)},
            capture_output=True,
            text=True,
            timeout=HANG_S,  # a hang guard (a FIFO opened for reading would block forever)
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"hang as nobody: {victims}")
    assert p.returncode == 0, p.stderr[-2000:]
    return {k: tuple(v) for k, v in json.loads(p.stdout).items()}


@pytest.fixture(scope="module")
def nobody_home():
    home = Path(tempfile.mkdtemp(prefix="standoff-nobody-home-"))
    os.chown(home, NOBODY, NOBODY)
    yield home
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module")
def as_nobody(nobody_home):
    """Every victim made in a directory ``nobody`` owns (so it *could* destroy them), one
    unreadable root file, ``/dev/null``: their states before, and the runs' answers."""
    _setpriv()
    root = Path(tempfile.mkdtemp(prefix="standoff-audit-"))
    root.chmod(0o755)
    victims, before = {}, {}
    for case, make, _ in VICTIMS:
        d = root / case
        d.mkdir()
        victims[case] = str(_make(d, make, owner=NOBODY))
        before[case] = _state(Path(victims[case]).parent)
    d = root / "unreadable"
    d.mkdir()
    os.chown(d / ".." / "unreadable", NOBODY, NOBODY)  # nobody could rename over it...
    victim = d / "root.duckdb"
    _sql_victim("CREATE TABLE secrets AS SELECT 1 AS x")(victim)
    victim.chmod(0o600)  # ...but cannot read it
    victims["unreadable"], before["unreadable"] = str(victim), _state(d)
    victims["dev-null"] = "/dev/null"
    answers = _run_as_nobody(victims, nobody_home)
    yield victims, before, answers
    shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize("case, make, phrase", VICTIMS, ids=IDS)
def test_db_victim_is_refused_byte_identical_as_nobody(case, make, phrase, as_nobody):
    victims, before, answers = as_nobody
    code, err = answers[case]
    victim = Path(victims[case])
    _check(code, err, phrase, victim)
    assert _state(victim.parent) == before[case]


def test_an_unreadable_victim_and_dev_null_are_refused_as_nobody(as_nobody):
    victims, before, answers = as_nobody
    code, err = answers["unreadable"]
    _check(code, err, "readable", Path(victims["unreadable"]))
    assert _state(Path(victims["unreadable"]).parent) == before["unreadable"]
    code, err = answers["dev-null"]
    _check(code, err, "is not a regular file", Path("/dev/null"))
