"""The progress helper: silent unless asked or on a terminal; counts what it is told."""

from __future__ import annotations

import io

import pytest

from standoff import progress as prog


@pytest.fixture(autouse=True)
def _reset(monkeypatch):
    monkeypatch.delenv("STANDOFF_PROGRESS", raising=False)
    yield
    prog.configure(None)


def test_silent_when_stderr_is_not_a_terminal(capsys):
    with prog.progress(3, "work") as bar:
        for _ in range(3):
            bar.advance()
    assert bar.done == 3
    assert capsys.readouterr().err == ""


def test_drawn_on_stderr_when_forced(monkeypatch):
    err = io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    prog.configure(True)
    with prog.progress(2, "origins") as bar:
        bar.advance(2)
    assert bar.done == 2
    assert "origins" in err.getvalue()


def test_environment_overrides_and_nesting(monkeypatch):
    monkeypatch.setenv("STANDOFF_PROGRESS", "0")
    prog.configure(True)
    assert not prog.enabled()
    monkeypatch.setenv("STANDOFF_PROGRESS", "1")
    prog.configure(False)
    assert prog.enabled()
    err = io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    with prog.progress(2, "outer") as outer:
        with prog.progress(5, "inner") as inner:
            inner.advance(5)
        outer.advance()
    assert "inner" not in err.getvalue()


def test_json_output_has_no_bar_unless_asked(run_cli, monkeypatch):
    # a CLI run with --json configures "never" unless --progress is given
    code, out, err = run_cli(
        "compare",
        "--policies",
        "status-quo",
        "--paths",
        "50",
        "--seed",
        "1",
        "--horizon",
        "3",
        "--json",
    )
    assert code == 0 and err == ""


def test_progress_flag_draws_the_simulation_bar_on_stderr_only(run_cli):
    args = ("compare", "--policies", "status-quo", "--paths", "50", "--seed", "1", "--horizon", "3")
    code, out, err = run_cli("--progress", *args, "--json")
    assert code == 0
    assert "simulating status-quo: months" in err
    assert out.lstrip().startswith("{")  # stdout stays clean JSON
    code, _, err = run_cli("--no-progress", *args)
    assert code == 0 and err == ""
