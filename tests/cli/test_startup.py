"""Start-up habits: ``--help`` and ``--version`` import no heavy library (issue 12, item 6)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# (typer itself imports pydantic for a subcommand's help: not ours to avoid)
HEAVY = ("pandas", "numpy", "duckdb", "statsmodels", "scipy", "matplotlib", "standoff.scenario")

PROBE = """
import json, sys
from standoff.cli.main import main
try:
    main({args!r})
except SystemExit:
    pass
sys.stdout.flush()
sys.stderr.write("\\nMODULES=" + json.dumps(sorted(m for m in sys.modules if m in {heavy!r})))
"""


def _loaded(args: list[str]) -> tuple[list[str], str]:
    code = PROBE.format(args=args, heavy=set(HEAVY))
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    mods = json.loads(res.stderr.rsplit("MODULES=", 1)[1])
    return mods, res.stdout


@pytest.mark.parametrize(
    "args",
    [["--help"], ["--version"], ["history", "--help"], ["forecast", "--help"], ["game", "--help"]],
)
def test_help_and_version_import_no_heavy_library(args):
    mods, out = _loaded(args)
    assert mods == [], f"standoff {' '.join(args)} imported {mods}"
    assert out.strip()


def test_version_is_the_package_metadata():
    from importlib.metadata import version

    _, out = _loaded(["--version"])
    assert out.strip() == f"standoff {version('standoff')}"


def test_top_level_names_still_work():
    import standoff as so

    assert so.History.__name__ == "History"
    assert callable(so.load_scenario)
    assert so.__version__
    with pytest.raises(AttributeError):
        so.no_such_name  # noqa: B018
