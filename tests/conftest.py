"""Shared fixtures. Tests never touch the user's data dir: STANDOFF_HOME points to a temp dir."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_HOME = tempfile.mkdtemp(prefix="standoff-test-home-")
os.environ["STANDOFF_HOME"] = _HOME


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def hist():
    """The bundled history, loaded through the DuckDB store (in the temp STANDOFF_HOME)."""
    from standoff.history import History

    return History.load()


@pytest.fixture
def run_cli(capsys):
    """Run the CLI in-process: returns (exit code, stdout, stderr)."""
    from standoff.cli.main import main

    def _run(*args: str):
        code = main([str(a) for a in args])
        out = capsys.readouterr()
        return code, out.out, out.err

    return _run


# Property tests are derandomised: the same examples every run, so CI cannot flake.
from hypothesis import settings  # noqa: E402

settings.register_profile("standoff", derandomize=True, deadline=None)
settings.load_profile("standoff")
