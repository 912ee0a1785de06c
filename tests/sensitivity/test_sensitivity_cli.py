"""standoff sensitivity: error paths, a stored run, --resume."""

from __future__ import annotations

import json

import pytest


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--n", "100"], "--n: expected a power of two"),
        (["--outputs", "peace@24"], "--outputs: expected EVENT@MONTHS"),
        (["--outputs", "war@0"], "expected months in [1, 120]"),
        (["--backend", "dask"], "--backend: expected one of local, ray"),
        (["--policies", "status-quo"], "--policies: expected at least two"),
        (["--policies", "status-quo,nope"], "unknown policy 'nope'"),
        (["--method", "fast"], "--method: expected one of sobol, morris"),
        (["--paths", "10"], "--paths: expected an integer in [100, 1000000]"),
        (["--n", "65536", "--paths", "100000"], "above the bound"),
        (["--resume", "sensitivity-nope"], "--resume: no stored run 'sensitivity-nope'"),
        (["--report", "/nonexistent/x.html"], "--report: directory"),
        (["--address", "1.2.3.4:6379"], "--address: only with --backend ray"),
    ],
)
def test_bad_input_is_one_line_exit_2(run_cli, args, needle):
    code, out, err = run_cli("sensitivity", *args)
    assert code == 2
    assert needle in err and err.count("\n") == 1, err
    assert out == ""


def test_run_then_resume_gives_the_same_result(run_cli, tmp_path):
    args = [
        "sensitivity",
        "--policies",
        "status-quo,maximum-pressure",
        "--outputs",
        "war@12",
        "--n",
        "8",
        "--paths",
        "100",
        "--seed",
        "3",
        "--workers",
        "1",
        "--json",
    ]
    code, out, err = run_cli(*args)
    assert code == 0, err
    assert err == ""  # silent with --json
    first = json.loads(out)
    assert first["timing"]["tasks_resumed"] == 0
    code, out, err = run_cli(
        "sensitivity", "--resume", first["run_id"], "--json", "--report", str(tmp_path / "r.html")
    )
    assert code == 0, err
    again = json.loads(out)
    assert again["timing"]["tasks_resumed"] == again["timing"]["tasks"] == first["timing"]["tasks"]
    for k in ("indices", "best", "pairs", "flips", "tornado"):
        assert again[k] == first[k], k
    assert (tmp_path / "r.html").exists()
    # the stored result feeds the briefing's section
    from standoff.scenario import load_scenario
    from standoff.sensitivity.report import stored_briefing_section

    frag = stored_briefing_section(load_scenario("korea-now"))
    assert first["run_id"] in frag and "maximum-pressure better than status-quo" in frag


def test_scenario_show_lists_the_ranges(run_cli):
    code, out, err = run_cli("scenario", "show", "korea-now")
    assert code == 0, err
    assert "plausible ranges" in out and "triangular" in out and "uniform" in out
    code, out, err = run_cli("scenario", "show", "korea-now", "--json")
    data = json.loads(out)
    assert data["parameters"]["war_prior_weight"]["range"] == [10.0, 90.0]
    assert data["parameters"]["war_prior_mean"]["dist"]["triangular"] == [0.01, 0.03, 0.1]
