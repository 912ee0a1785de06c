"""Fuzz suite: malformed scenarios, KTAB/plain CSVs, history tables and flag values.

Every generated input is run through the CLI in-process, in a fresh directory, and must end
with exit code 0 or 2; on exit 2 with exactly one line on stderr, ``error: ...``, at most
500 characters, and no file created or changed. An example that runs longer than
``HANG_SECONDS`` is a failure (a hang guard, not a timing assertion), and so is a process
whose peak memory passes ``MAX_RSS_MIB``.

``make test`` runs a few dozen derandomised examples per surface. The larger profile is
behind the ``fuzz`` marker (``pytest -m fuzz tests/fuzz -s``); it prints the counts per
surface (n, exit 0, exit 2, anything else) and writes them to ``$FUZZ_REPORT`` if set.
"""

from __future__ import annotations

import json
import os
import resource
import signal
from collections import Counter
from pathlib import Path

import pytest
from generators import (  # tests/fuzz/generators.py (pytest puts this directory on sys.path)
    Case,
    bargain_case,
    claims_case,
    db_case,
    flags_case,
    history_case,
    scenario_case,
    small_history,
    sql_case,
)
from hypothesis import HealthCheck, given, settings

HANG_SECONDS = 120
MAX_RSS_MIB = 3072
QUICK = {"scenario": 40, "ktab": 60, "history": 15, "flags": 60, "sql": 20, "claims": 8, "db": 8}
LARGE = {
    "scenario": 1500,
    "ktab": 1500,
    "history": 500,
    "flags": 1500,
    "sql": 1500,
    "claims": 400,
    "db": 300,
}
COUNTS: dict[str, Counter] = {}


class _Hang(BaseException):  # not an Exception: the CLI's own handler must not swallow it
    pass


def _alarm(*_):
    raise _Hang()


@pytest.fixture(scope="module")
def runner(tmp_path_factory):
    """Run one case in-process in a fresh directory; return (code, stderr)."""
    from standoff.cli import _common
    from standoff.cli.main import main
    from standoff.history import History

    cached = History.load()
    original = _common.State.history

    def history(self):  # the bundled history is loaded once for the whole module
        if self.history_dir is None and self.db is None:
            return cached
        return original(self)

    _common.State.history = history
    root = tmp_path_factory.mktemp("fuzz")
    counter = iter(range(10**9))

    def run(case: Case, capsys) -> tuple[int, str]:
        d = root / f"c{next(counter)}"
        d.mkdir()
        for rel, data in case.files.items():
            p = d / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data)
        before = _snapshot(d)
        cwd = os.getcwd()
        os.chdir(d)
        old = signal.signal(signal.SIGALRM, _alarm)
        signal.alarm(HANG_SECONDS)
        try:
            code = main(list(case.argv))
        except _Hang:
            pytest.fail(f"hang (> {HANG_SECONDS} s): {case.argv}")
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, old)
            os.chdir(cwd)
        err = capsys.readouterr().err
        c = COUNTS.setdefault(case.what, Counter())
        c["n"] += 1
        c[str(code) if code in (0, 2) else "other"] += 1
        assert code in (0, 2), f"exit {code} for {case.argv}: {err[:300]}"
        assert "internal error" not in err
        if code == 2:
            lines = err.strip().splitlines()
            assert len(lines) == 1, f"{case.argv}: {err[:600]}"
            assert lines[0].startswith("error: ") and len(lines[0]) <= 500, lines[0][:600]
            assert _snapshot(d) == before, f"files changed on failure: {case.argv}"
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        assert rss < MAX_RSS_MIB, f"peak memory {rss:.0f} MiB after {case.argv}"
        return code, err

    yield run
    _common.State.history = original


def _snapshot(d: Path) -> dict[str, tuple[int, bytes]]:
    out = {}
    for p in sorted(d.rglob("*")):
        if p.is_file():
            out[str(p.relative_to(d))] = (p.stat().st_size, p.read_bytes()[:4096])
    return out


@pytest.fixture(scope="module")
def history_base(repo_root):
    return small_history(repo_root / "src" / "standoff" / "data" / "history")


# ------------------------------------------------------------------ make test (quick)
def test_fuzz_scenarios(runner, capsys):
    _run_surface(runner, capsys, scenario_case(), QUICK["scenario"])


def test_fuzz_ktab_csv(runner, capsys):
    _run_surface(runner, capsys, bargain_case(), QUICK["ktab"])


def test_fuzz_history_tables(runner, capsys, history_base):
    _run_surface(runner, capsys, history_case(history_base), QUICK["history"])


def test_fuzz_flags(runner, capsys):
    _run_surface(runner, capsys, flags_case(), QUICK["flags"])


def test_fuzz_sql(runner, capsys):
    _run_surface(runner, capsys, sql_case(), QUICK["sql"])


def test_fuzz_claims(runner, capsys):
    _run_surface(runner, capsys, claims_case(), QUICK["claims"])


def test_fuzz_db(runner, capsys):
    _run_surface(runner, capsys, db_case(), QUICK["db"])


# ------------------------------------------------------------------ the larger profile
@pytest.mark.fuzz
@pytest.mark.parametrize("surface", sorted(LARGE))
def test_fuzz_large(runner, capsys, history_base, surface):
    strategies = {
        "scenario": scenario_case(),
        "ktab": bargain_case(),
        "history": history_case(history_base),
        "flags": flags_case(),
        "sql": sql_case(),
        "claims": claims_case(),
        "db": db_case(),
    }
    _run_surface(runner, capsys, strategies[surface], LARGE[surface])
    c = COUNTS.get(surface, Counter())
    print(f"\nfuzz {surface}: n={c['n']} exit0={c['0']} exit2={c['2']} other={c['other']}")
    report = os.environ.get("FUZZ_REPORT")
    if report:
        data = json.loads(Path(report).read_text()) if Path(report).exists() else {}
        data[surface] = {"n": c["n"], "exit_0": c["0"], "exit_2": c["2"], "other": c["other"]}
        Path(report).write_text(json.dumps(data, indent=2))


def _run_surface(runner, capsys, strategy, n: int) -> None:
    @settings(
        max_examples=n,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(strategy)
    def check(case):
        runner(case, capsys)

    check()
