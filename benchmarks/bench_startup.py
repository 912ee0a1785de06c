"""Start-up cost of the ``standoff`` command: CPU seconds (user + system) per run.

Each command runs ``REPS`` times in a fresh interpreter; the median is reported, with the
heavy libraries each one imported. Targets (issue 12): ``--help``, ``--version`` and
``history summary`` (summary cache warm) under 0.3 s of CPU. The cold ``history summary``
(first run after the data or the code changed) computes the summary with pandas and DuckDB.
A subcommand's ``--help`` goes through typer's parameter coercion, which imports pydantic.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile

REPS = 5
HEAVY = ("pandas", "numpy", "duckdb", "statsmodels", "scipy", "matplotlib", "pydantic")
PROBE = (
    "import json, sys\n"
    "from standoff.cli.main import main\n"
    "try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
    "sys.stderr.write('\\nMODULES=' + json.dumps(sorted(m for m in sys.modules if m in {heavy!r})))\n"
)


def cpu(args: list[str], env: dict) -> tuple[float, list[str]]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    res = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=args, heavy=set(HEAVY))],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return used, json.loads(res.stderr.rsplit("MODULES=", 1)[1])


def main() -> None:
    home = tempfile.mkdtemp(prefix="standoff-bench-startup-")
    env = {**os.environ, "STANDOFF_HOME": home}
    cpu(["history", "summary"], env)  # build the store and warm the summary cache
    cold_env = {**env, "STANDOFF_HOME": tempfile.mkdtemp(prefix="standoff-bench-cold-")}
    cases = [
        ("standoff --help", ["--help"], env),
        ("standoff --version", ["--version"], env),
        ("standoff history summary (cache warm)", ["history", "summary"], env),
        ("standoff history --help", ["history", "--help"], env),
        (
            "standoff history summary (--db: no cache)",
            ["--db", f"{home}/history.duckdb", "history", "summary"],
            cold_env,
        ),
    ]
    print(f"{'command':<45} {'CPU s (median of ' + str(REPS) + ')':>22}  heavy imports")
    for name, args, e in cases:
        runs = [cpu(args, e) for _ in range(REPS)]
        med = statistics.median(r[0] for r in runs)
        print(f"{name:<45} {med:>22.2f}  {', '.join(runs[0][1]) or '-'}")


if __name__ == "__main__":
    main()
